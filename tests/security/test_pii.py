"""Personal-data encryption, keyed hashing, key handling and masking."""

from __future__ import annotations

import base64

import duckdb
import pytest

from loanwatch.engines.duckdb import register_pii_functions
from loanwatch.security import pii
from loanwatch.security.masking import mask_sql
from loanwatch.security.pii import KEY_ENV, KeyError_, PiiCipher, write_key_file


@pytest.fixture
def cipher(tmp_path) -> PiiCipher:
    write_key_file(tmp_path / "pii.key")
    return PiiCipher.load(tmp_path / "pii.key")


def test_encryption_round_trips_and_never_repeats(cipher):
    a, b = cipher.encrypt("13812345678"), cipher.encrypt("13812345678")
    assert a != b and "13812345678" not in a
    assert cipher.decrypt(a) == cipher.decrypt(b) == "13812345678"
    assert cipher.encrypt(None) is None and cipher.decrypt(None) is None


def test_a_large_batch_is_encrypted_in_slices_in_order(cipher, monkeypatch):
    monkeypatch.setattr(pii, "PARALLEL_FROM", 10)
    monkeypatch.setattr(pii.os, "cpu_count", lambda: 4)  # four slices of 26, 26, 26 and 25
    values = [None if i % 7 == 0 else f"客户{i}" for i in range(103)]
    tokens = cipher.encrypt_many(values)
    assert [cipher.decrypt(t) for t in tokens] == values
    assert len({t for t in tokens if t}) == sum(v is not None for v in values)


def test_a_tampered_ciphertext_is_refused(cipher):
    token = cipher.encrypt("张三")
    raw = bytearray(base64.b64decode(token[3:]))
    raw[-1] ^= 1
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        cipher.decrypt("v1:" + base64.b64encode(bytes(raw)).decode())


def test_keyed_hash_matches_equal_values_and_depends_on_the_key(cipher, tmp_path):
    other = PiiCipher.from_master(b"\x01" * 32)
    assert cipher.hash("110101199003071234") == cipher.hash("110101199003071234")
    assert cipher.hash("110101199003071234") != other.hash("110101199003071234")


def test_sql_and_python_compute_the_same_hash(cipher):
    con = duckdb.connect()
    register_pii_functions(con, cipher)
    got = con.execute("SELECT lw_hash('张三'), lw_hash(NULL)").fetchall()[0]
    assert got == (cipher.hash("张三"), None)


def test_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "pii.key"
    write_key_file(path)
    assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(FileExistsError):
        write_key_file(path)


def test_key_from_the_environment_wins(tmp_path, monkeypatch, cipher):
    key = base64.b64encode(b"\x02" * 32).decode()
    monkeypatch.setenv(KEY_ENV, key)
    from_env = PiiCipher.load(tmp_path / "missing.key")
    assert from_env.hash("x") == PiiCipher.from_master(b"\x02" * 32).hash("x")


@pytest.mark.parametrize("text, problem", [("not base64!!", "not valid base64"),
                                           (base64.b64encode(b"short").decode(), "32 bytes")])
def test_a_bad_key_is_a_clear_error(tmp_path, text, problem):
    path = tmp_path / "pii.key"
    path.write_text(text)
    with pytest.raises(KeyError_, match=problem):
        PiiCipher.load(path)


def test_a_missing_key_is_a_clear_error(tmp_path):
    with pytest.raises(KeyError_, match="no personal-data key"):
        PiiCipher.load(tmp_path / "none.key")


@pytest.mark.parametrize("column, value, masked", [
    ("name", "张三丰", "张**"), ("phone", "13812345678", "138****5678"),
    ("id_number", "110101199003071234", "110***********1234"), ("phone", "12345", "*****"),
])
def test_masking(column, value, masked):
    assert duckdb.sql(f"SELECT {mask_sql(column, repr(value))}").fetchall()[0][0] == masked
