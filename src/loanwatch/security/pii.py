"""Field encryption for personal data: AES-GCM ciphertext plus a keyed hash for matching.

One 32-byte master key (workspace key file or ``LOANWATCH_PII_KEY``) is split with HKDF
into an encryption key and a hashing key, so the hash reveals nothing about the cipher key.
Ciphertexts are ``v1:<base64(nonce | ciphertext | tag)>``; hashes are hex HMAC-SHA256, the
same whether computed here or in SQL from ``hmac_pads``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_ENV = "LOANWATCH_PII_KEY"
_PREFIX = "v1:"
PARALLEL_FROM = 50_000  # values per thread below which threads cost more than they save
HASH_HEX_CHARS = 32  # 128 bits of HMAC-SHA256: no collision in any portfolio, half the bytes


class KeyError_(ValueError):
    """The personal-data key is missing or malformed."""


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def write_key_file(path: Path) -> None:
    """Create a fresh key file readable by its owner only; never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(new_key_text() + "\n")


def _decode_key(text: str, source: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError as e:
        raise KeyError_(f"{source}: the personal-data key is not valid base64") from e
    if len(raw) != 32:
        raise KeyError_(f"{source}: the personal-data key must be 32 bytes, got {len(raw)}")
    return raw


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


@dataclass(frozen=True)
class PiiCipher:
    """Encrypts, decrypts and hashes personal-data values with one master key."""

    enc_key: bytes
    hash_key: bytes

    @property
    def _aead(self) -> AESGCM:
        return AESGCM(self.enc_key)

    @classmethod
    def from_master(cls, master: bytes) -> PiiCipher:
        return cls(_derive(master, b"loanwatch-pii-enc"), _derive(master, b"loanwatch-pii-hash"))

    @classmethod
    def load(cls, key_file: Path | None) -> PiiCipher:
        """The key from ``LOANWATCH_PII_KEY`` if set, else from the key file."""
        if text := os.environ.get(KEY_ENV):
            return cls.from_master(_decode_key(text, KEY_ENV))
        if key_file is None or not key_file.exists():
            raise KeyError_(f"no personal-data key: set {KEY_ENV} or create {key_file}")
        return cls.from_master(_decode_key(key_file.read_text(), str(key_file)))

    def encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self.encrypt_many([value])[0]

    def encrypt_many(self, values: list[str | None]) -> list[str | None]:
        """Encrypt a batch; a large one in slices on every core (AES-GCM runs without the
        GIL: 952k customers take half the time on two cores)."""
        workers = min(os.cpu_count() or 1, len(values) // PARALLEL_FROM)
        if workers < 2:
            return self._encrypt_slice(values)
        size = -(-len(values) // workers)
        with ThreadPoolExecutor(workers) as pool:
            slices = pool.map(self._encrypt_slice,
                              [values[i:i + size] for i in range(0, len(values), size)])
            return [token for part in slices for token in part]

    def _encrypt_slice(self, values: list[str | None]) -> list[str | None]:
        """One cipher object and one call for all the nonces."""
        seal, nonces = self._aead.encrypt, secrets.token_bytes(12 * len(values))
        out: list[str | None] = []
        for i, value in enumerate(values):
            if value is None:
                out.append(None)
                continue
            nonce = nonces[12 * i: 12 * i + 12]
            sealed = nonce + seal(nonce, value.encode("utf-8"), None)
            out.append(_PREFIX + binascii.b2a_base64(sealed, newline=False).decode("ascii"))
        return out

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        if not token.startswith(_PREFIX):
            raise ValueError("not a LoanWatch ciphertext")
        raw = base64.b64decode(token[len(_PREFIX):])
        return self._aead.decrypt(raw[:12], raw[12:], None).decode("utf-8")

    def reveal(self, token: str | None) -> dict[str, str | None]:
        """The personal-data fields of a row, from its ``pii_enc`` record."""
        text = self.decrypt(token)
        return json.loads(text) if text else {}

    def hash(self, value: str | None) -> str | None:
        """Keyed hash for equality matching; equal inputs give equal hashes."""
        if value is None:
            return None
        return hmac.digest(self.hash_key, value.encode("utf-8"), "sha256").hex()[:HASH_HEX_CHARS]

    def hmac_pads(self) -> tuple[bytes, bytes]:
        """(inner, outer) HMAC-SHA256 pads, so SQL can compute the same keyed hash."""
        key = self.hash_key.ljust(64, b"\0")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
