"""The model registry (模型库) in the workspace's DuckDB file: every trained model, versioned,
with its training window, metrics and policy version, and which one is the champion (it
scores the nightly run and feeds the rating) and which the challenger (scored beside it).

A model is its saved folder (``PDModel.save``) packed as a zip in ``lw_models.files``, next
to ``meta`` (JSON: family, features, windows, metrics per sample, calibration, the bins of
the score and features for monitoring). Keeping it in the database makes a registration
atomic with everything else a run writes, and the workspace one file to back up."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from loanwatch.models.families import load_model

MODELS_DDL = """
CREATE SEQUENCE IF NOT EXISTS lw_model_seq START 1;
CREATE TABLE IF NOT EXISTS lw_models (
    model_id VARCHAR PRIMARY KEY, family VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
    role VARCHAR NOT NULL, policy_version VARCHAR NOT NULL, meta VARCHAR NOT NULL,
    files BLOB NOT NULL);
"""
ROLES = ("champion", "challenger", "retired", "candidate")


class RegistryError(ValueError):
    """A model id or role the registry does not have; the message says which."""


@dataclass(frozen=True)
class Registered:
    model_id: str
    family: str
    created_at: dt.datetime
    role: str
    policy_version: str
    meta: dict[str, Any]


def ensure_models_table(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in MODELS_DDL.split(";"):
        if ddl.strip():
            con.execute(ddl)


def _packed(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def save_model_version(con: duckdb.DuckDBPyConnection, model: Any, meta: dict[str, Any], *,
                       policy_version: str, now: dt.datetime) -> str:
    """Register a fitted model as a ``candidate``; returns its id (``<family>-<n>``)."""
    ensure_models_table(con)
    n = con.execute("SELECT nextval('lw_model_seq')").fetchall()[0][0]
    model_id = f"{model.family}-{n}"
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp))
        files = _packed(Path(tmp))
    con.execute("INSERT INTO lw_models VALUES (?, ?, ?, 'candidate', ?, ?, ?)",
                [model_id, model.family, now, policy_version,
                 json.dumps({**meta, "model_id": model_id}, default=str), files])
    return model_id


def _has_models(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                            "'lw_models'").fetchall()[0][0])


def registered(con: duckdb.DuckDBPyConnection) -> list[Registered]:
    """Every model, newest first (none in a workspace that never trained one)."""
    if not _has_models(con):
        return []
    rows = con.execute("SELECT model_id, family, created_at, role, policy_version, meta "
                       "FROM lw_models ORDER BY created_at DESC, model_id DESC").fetchall()
    return [Registered(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


def model_entry(con: duckdb.DuckDBPyConnection, model_id: str) -> Registered:
    found = [m for m in registered(con) if m.model_id == model_id]
    if not found:
        known = ", ".join(m.model_id for m in registered(con)) or "none yet"
        raise RegistryError(f"no model {model_id!r} (models: {known})")
    return found[0]


def with_role(con: duckdb.DuckDBPyConnection, role: str) -> Registered | None:
    found = [m for m in registered(con) if m.role == role]
    return found[0] if found else None


def promote(con: duckdb.DuckDBPyConnection, model_id: str, role: str = "champion") -> None:
    """Make ``model_id`` the champion (the one before retires) or the challenger (the one
    before goes back to candidate)."""
    if role not in ("champion", "challenger"):
        raise RegistryError(f"a model is promoted to champion or challenger, not {role!r}")
    model_entry(con, model_id)
    before = "retired" if role == "champion" else "candidate"
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("UPDATE lw_models SET role = ? WHERE role = ?", [before, role])
        con.execute("UPDATE lw_models SET role = ? WHERE model_id = ?", [role, model_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load_registered(files: bytes) -> Any:
    """The model packed in ``files``, loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(io.BytesIO(files)) as z:
            z.extractall(tmp)
        return load_model(Path(tmp))


def model_files(con: duckdb.DuckDBPyConnection, model_id: str) -> bytes:
    model_entry(con, model_id)
    return con.execute("SELECT files FROM lw_models WHERE model_id = ?", [model_id]).fetchall()[0][0]


def export_model(con: duckdb.DuckDBPyConnection, model_id: str) -> bytes:
    """A registered model as one zip (``meta.json`` and ``model.zip``): what a bank moves
    from the workspace it was developed in to the one that runs every night."""
    entry = model_entry(con, model_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.json", json.dumps({**entry.meta, "family": entry.family,
                                            "policy_version": entry.policy_version},
                                           default=str))
        z.writestr("model.zip", model_files(con, model_id))
    return buf.getvalue()


def import_model(con: duckdb.DuckDBPyConnection, package: bytes, *, now: dt.datetime) -> str:
    """Register an exported model as a new candidate here; its new id is returned (the
    original id stays in its meta as ``imported_from``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as z:
            meta, files = json.loads(z.read("meta.json")), z.read("model.zip")
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise RegistryError(f"not a LoanWatch model package: {e}") from None
    model = load_registered(files)  # refuses a package that does not load
    meta = {**meta, "imported_from": meta.get("model_id")}
    return save_model_version(con, model, meta, policy_version=meta.get("policy_version", ""),
                              now=now)
