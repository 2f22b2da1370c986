"""A workspace folder: the analytics database, the policy file, the quarantine and the
personal-data key. Commands find it by ``--workspace``, ``LOANWATCH_WORKSPACE`` or
``./workspace``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loanwatch.engines.duckdb import connect
from loanwatch.ingest.layout import schema_ddl
from loanwatch.security.pii import PiiCipher, write_key_file

WORKSPACE_ENV = "LOANWATCH_WORKSPACE"
MEMORY_ENV = "LOANWATCH_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"  # DuckDB spills to WS/tmp beyond it; raise it on a big server
SCHEMA_VERSION = "5"  # bump when the stored layout changes


class WorkspaceError(Exception):
    """The workspace is missing or incomplete."""


def default_workspace() -> Path:
    return Path(os.environ.get(WORKSPACE_ENV) or "workspace")


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "loanwatch.duckdb"

    @property
    def policy_file(self) -> Path:
        return self.root / "policy.yaml"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def key_file(self) -> Path:
        return self.root / "keys" / "pii.key"

    @classmethod
    def open(cls, root: Path) -> Workspace:
        ws = cls(root)
        if not ws.database.exists():
            raise WorkspaceError(f"{root}: not a LoanWatch workspace "
                                 f"(create one with: loanwatch init {root})")
        with connect(ws.database, read_only=True) as con:
            found = con.execute("SELECT max(value) FROM lw_meta WHERE key = 'schema_version'"
                                ).fetchall()[0][0]
        if found != SCHEMA_VERSION:
            raise WorkspaceError(f"{root}: workspace layout version {found}, this LoanWatch "
                                 f"needs {SCHEMA_VERSION}: import the data into a new workspace")
        return ws

    def cipher(self) -> PiiCipher:
        return PiiCipher.load(self.key_file)

    def connect(self, *, read_only: bool = False, pii: bool = False) -> duckdb.DuckDBPyConnection:
        return connect(self.database, read_only=read_only, cipher=self.cipher() if pii else None,
                       memory_limit=os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY_LIMIT,
                       temp_directory=self.root / "tmp")


def init_workspace(root: Path, policy_text: str) -> tuple[Workspace, list[str]]:
    """Create what is missing of a workspace; never overwrite what exists. Returns what it made."""
    ws = Workspace(root)
    made: list[str] = []
    root.mkdir(parents=True, exist_ok=True)
    ws.quarantine_dir.mkdir(exist_ok=True)
    if not ws.policy_file.exists():
        ws.policy_file.write_text(policy_text, encoding="utf-8")
        made.append(str(ws.policy_file))
    if not ws.key_file.exists() and not os.environ.get("LOANWATCH_PII_KEY"):
        write_key_file(ws.key_file)
        made.append(str(ws.key_file))
    fresh = not ws.database.exists()
    with connect(ws.database) as con:
        for ddl in schema_ddl():
            con.execute(ddl)
        con.execute("INSERT OR IGNORE INTO lw_meta VALUES ('schema_version', ?)",
                    [SCHEMA_VERSION])
    if fresh:
        made.append(str(ws.database))
    return ws, made
