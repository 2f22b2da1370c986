"""The operational store as the services use it: every repository, opened together in one
unit of work (``with store.session() as s:`` commits all or nothing), on SQL (SQLite in the
workspace by default, PostgreSQL by URL) or in memory for tests and demos."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from loanwatch.storage.connect import open_engine, store_url
from loanwatch.storage.kinds import ACTIONS, CASES, INQUIRIES, SESSIONS, TASKS, USERS
from loanwatch.storage.memory import (
    MemoryAlertRepository,
    MemoryAuditLog,
    MemoryRecords,
    MemorySyncLog,
)
from loanwatch.storage.migrate import upgrade
from loanwatch.storage.records import SqlRecords
from loanwatch.storage.sql import SqlAlertRepository, SqlAuditLog, SqlSyncLog

#: the environment variable naming the store (a SQLAlchemy URL); else the workspace's SQLite
STORE_URL_VARIABLE = "LOANWATCH_STORE_URL"


@dataclass(frozen=True)
class Repositories:
    alerts: Any
    tasks: Any
    cases: Any
    actions: Any
    inquiries: Any
    audit: Any
    syncs: Any
    users: Any
    sessions: Any


class Store(Protocol):
    def session(self) -> contextlib.AbstractContextManager[Repositories]: ...

    def close(self) -> None: ...


class SqlStore:
    """The store at ``url``, migrated to the newest schema when opened."""

    def __init__(self, url: str) -> None:
        upgrade(url)
        self.url = url
        self._engine = open_engine(url)

    @contextlib.contextmanager
    def session(self) -> Iterator[Repositories]:
        with self._engine.begin() as conn:
            yield Repositories(alerts=SqlAlertRepository(conn), tasks=SqlRecords(conn, TASKS),
                               cases=SqlRecords(conn, CASES), actions=SqlRecords(conn, ACTIONS),
                               inquiries=SqlRecords(conn, INQUIRIES), audit=SqlAuditLog(conn),
                               syncs=SqlSyncLog(conn), users=SqlRecords(conn, USERS),
                               sessions=SqlRecords(conn, SESSIONS))

    def close(self) -> None:
        self._engine.dispose()


class MemoryStore:
    """Everything in memory; a session does not roll back (tests and demos only)."""

    def __init__(self) -> None:
        self._repos = Repositories(
            alerts=MemoryAlertRepository(), tasks=MemoryRecords(TASKS),
            cases=MemoryRecords(CASES), actions=MemoryRecords(ACTIONS),
            inquiries=MemoryRecords(INQUIRIES), audit=MemoryAuditLog(), syncs=MemorySyncLog(),
            users=MemoryRecords(USERS), sessions=MemoryRecords(SESSIONS))

    @contextlib.contextmanager
    def session(self) -> Iterator[Repositories]:
        yield self._repos

    def close(self) -> None:
        pass


def open_store(workspace_root: Path | str, url: str | None = None) -> SqlStore:
    """The workspace's store: ``url``, else ``LOANWATCH_STORE_URL``, else its SQLite file."""
    return SqlStore(store_url(workspace_root, url or os.environ.get(STORE_URL_VARIABLE)))
