"""The data behind the figures: imports, their quarantine, data quality, the policy in
force and the dates synced into the store (read-only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, WithJsonSchema

from loanwatch.security.permissions import Permission
from loanwatch.services.datapage import data_quality, imports, policy_text, quarantine_page, syncs
from loanwatch.web.context import Caller, app_state, marts, require

router = APIRouter(prefix="/data", tags=["data 数据管理"])

DataViewer = Annotated[Caller, Depends(require(Permission.VIEW_DATA))]
Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]


# the store and the import log keep local times without an offset: published as plain text
# (an RFC 3339 "date-time" would need one)
LocalTime = Annotated[dt.datetime, WithJsonSchema(
    {"type": "string", "description": "local date and time, ISO 8601 without an offset"})]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ImportPublic(_Out):
    import_id: int
    as_of: dt.date
    source: str
    started_at: LocalTime
    finished_at: LocalTime | None
    status: str
    strict: bool
    policy_version: str | None
    message: str | None
    tables: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


class QuarantinedRowPublic(_Out):
    import_id: int
    table: str
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


class QuarantinePagePublic(_Out):
    import_id: int | None
    table: str | None
    total: int
    page: int
    size: int
    pages: int
    rows: list[QuarantinedRowPublic]
    by_table: dict[str, int]


class TableQualityPublic(_Out):
    table: str
    rows: int
    null_rates: dict[str, float]
    latest: str | None
    quarantined: dict[str, int]


class GapPublic(_Out):
    name: str
    description: str
    rows: int


class QualityPublic(_Out):
    tables: list[TableQualityPublic]
    gaps: list[GapPublic]


class PolicyPublic(_Out):
    version_id: str
    yaml: str


class SyncedDatePublic(_Out):
    as_of: dt.date
    synced: bool
    counts: dict[str, int]


class SyncsPublic(_Out):
    latest: dt.date | None
    dates: list[SyncedDatePublic]


@router.get("/imports", response_model=list[ImportPublic])
def get_imports(who: DataViewer, con: Marts) -> list[ImportPublic]:
    """The last imports, newest first, with rows read, loaded and quarantined."""
    return [ImportPublic.model_validate(i) for i in imports(con)]


@router.get("/quarantine", response_model=QuarantinePagePublic,
            responses={404: {"description": "not a recent import"}})
def get_quarantine(who: DataViewer, con: Marts,
                   import_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                   table: str | None = None, page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                   size: Annotated[int, Query(ge=1, le=500)] = 50) -> QuarantinePagePublic:
    """The refused rows of an import (default the latest): table, file, line, column, the
    (masked) value and the reason."""
    return QuarantinePagePublic.model_validate(
        quarantine_page(con, import_id, table or None, page, size))


@router.get("/quality", response_model=QualityPublic)
def get_quality(who: DataViewer, con: Marts) -> QualityPublic:
    """Data quality per table, as ``loanwatch quality`` reports it."""
    return QualityPublic.model_validate(data_quality(con))


@router.get("/policy", response_model=PolicyPublic)
def get_policy(who: DataViewer, request: Request) -> PolicyPublic:
    """The policy in force: its version id and YAML text."""
    return PolicyPublic.model_validate(policy_text(app_state(request).policy))


@router.get("/syncs", response_model=SyncsPublic)
def get_syncs(who: DataViewer, con: Marts, request: Request) -> SyncsPublic:
    """The dates the marts hold and which were synced into the store."""
    return SyncsPublic.model_validate(syncs(con, app_state(request).store))
