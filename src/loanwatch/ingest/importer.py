"""Import a folder of contract tables into the workspace database, all or nothing.

Every file is staged and checked first; then, in one transaction, accepted rows are merged
as versions of the import's as-of date and bad rows go to the quarantine with file, line,
column and reason. A file that cannot be read stops the import before anything is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from loanwatch.ingest import integrity, staging
from loanwatch.ingest.cells import ident
from loanwatch.ingest.contract import TABLES, Table
from loanwatch.ingest.errors import ImportFailure, StrictRejected, UnreadableFile, first_line
from loanwatch.ingest.layout import PII_PLAIN, pii_columns, stored_columns, stored_select
from loanwatch.ingest.readers import Source, collect_csv_rejects, find_table_files, open_source
from loanwatch.ingest.versioning import write_versions
from loanwatch.security.masking import mask_sql
from loanwatch.security.pii import PiiCipher

Progress = Callable[[str, str, int, int], None]  # (table, step, steps done, steps in all)


@dataclass
class TableResult:
    table: str
    file: str
    format: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    versions: int = 0
    extras: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    import_id: int
    as_of: dt.date
    status: str
    tables: list[TableResult]
    ignored: list[str]

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables)


@dataclass
class _Staged:
    """A table checked and ready to merge: its spec, file and counts."""

    table: Table
    source: Source
    result: TableResult


def import_folder(con: duckdb.DuckDBPyConnection, folder: Path, as_of: dt.date,
                  cipher: PiiCipher, *, strict: bool = False, timezone: str = "Asia/Shanghai",
                  policy_version: str | None = None,
                  progress: Progress | None = None) -> ImportResult:
    """Validate and load every contract table file in ``folder`` as of ``as_of``; ``con``
    must have the personal-data SQL functions of ``cipher`` registered.

    One transaction: each table is checked (against parents already written in it), merged,
    and its staging dropped before the next, so memory holds one table at a time."""
    say = progress or (lambda table, step, done, total: None)
    files, ignored = find_table_files(folder)
    if not files:
        raise UnreadableFile(str(folder), "no contract table found (expected files such as "
                             "customers.csv, loans.csv, installments.parquet)")
    import_id = con.execute("SELECT nextval('lw_import_seq')").fetchall()[0][0]
    started = dt.datetime.now()
    results: list[TableResult] = []
    refused: list[pa.Table] = []
    steps = 2 * len(files)
    con.execute("BEGIN TRANSACTION")
    try:
        for table in TABLES:
            if table.name not in files:
                continue
            say(table.name, "checking", 2 * len(results), steps)
            staged = _stage(con, table, files[table.name], import_id, as_of, timezone)
            say(table.name, "writing", 2 * len(results) + 1, steps)
            staged.result.versions = _write(con, staged, as_of, import_id, cipher)
            refused.append(_refused_rows(con, staged, import_id))
            results.append(staged.result)
            _drop_staging(con, table.name)
        rejected = strict and any(r.quarantined for r in results)
        if rejected:  # undo the data, keep the record of why
            con.execute("ROLLBACK")
            con.execute("BEGIN TRANSACTION")
            for r in results:
                r.versions = 0
        for batch in refused:
            if batch.num_rows:
                con.register("refused_batch", batch)
                con.execute("INSERT INTO lw_quarantine SELECT * FROM refused_batch")
                con.unregister("refused_batch")
        for r in results:
            _log_table(con, import_id, r)
        status = "rejected" if rejected else "committed"
        con.execute("INSERT INTO lw_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [import_id, as_of, str(folder), started, dt.datetime.now(), status, strict,
                     policy_version, None])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if rejected:
        bad = sum(r.quarantined for r in results)
        raise StrictRejected(f"--strict: {bad} bad rows, nothing imported "
                             f"(see: loanwatch quarantine show --import {import_id})")
    return ImportResult(import_id, as_of, status, results, [p.name for p in ignored])


def _stage(con, table: Table, path: Path, import_id: int, as_of: dt.date,
           timezone: str) -> _Staged:
    tag = f"{table.name}_{import_id}"
    src = open_source(con, table.name, path, tag)
    missing = [c for c in table.required if c not in src.columns]
    if missing:
        raise UnreadableFile(str(path), "missing required columns: " + ", ".join(missing))
    try:
        checks = staging.stage_values(con, table, src, timezone)
    except duckdb.Error as e:
        raise UnreadableFile(str(path), first_line(e)) from e
    staging.record_value_errors(con, table, checks)
    if src.format == "csv":
        collect_csv_rejects(con, src, tag)
        _record_parse_rejects(con, table, src)
    for ref in table.references:
        integrity.check_reference(con, table, ref, as_of)
    if table.replace_scope:
        integrity.check_schedules(con, table)  # also finds duplicate keys
    else:
        integrity.check_duplicates(con, table)
    integrity.accepted_view(con, table)
    return _Staged(table, src, _count(con, table, src))


def _record_parse_rejects(con, table: Table, src: Source) -> None:
    """Rows the CSV reader refused go to the errors with their parsed fields as raw."""
    rows = []
    for line, column, reason, text in src.rejects:
        fields = src.fields_of(text or "")
        rows.append((line, column, reason, fields.get(column or ""),
                     json.dumps(fields, ensure_ascii=False)))
    if rows:
        con.executemany(f"INSERT INTO err_{table.name} VALUES (NULL, ?, ?, ?, ?, ?)", rows)


def _count(con, table: Table, src: Source) -> TableResult:
    n = table.name
    # the accepted rows are counted without their derived columns (a window for schedules)
    staged, loaded, bad = con.execute(
        f"SELECT (SELECT count(*) FROM stg_{n}), (SELECT count(*) FROM {integrity.accepted_rows(n)}), "
        f"(SELECT count(DISTINCT COALESCE(row, -line)) FROM err_{n})").fetchall()[0]
    extras = list(staging.extra_columns(table, src))
    return TableResult(n, src.path.name, src.format, staged + len({r[0] for r in src.rejects}),
                       loaded, bad, 0, extras)


def _write(con, s: _Staged, as_of: dt.date, import_id: int, cipher: PiiCipher) -> int:
    table, extras = s.table, s.result.extras
    for name in extras:
        con.execute(f"ALTER TABLE main.{table.name} ADD COLUMN IF NOT EXISTS {ident(name)} "
                    "VARCHAR")
    select = stored_select(table, extras, f"ok_{table.name}")
    cols = list(stored_columns(table)) + extras
    if not pii_columns(table):
        con.execute(f"CREATE OR REPLACE TEMP VIEW new_{table.name} AS {select}")
        return write_versions(con, table, f"new_{table.name}", cols, extras, as_of, import_id)
    with _sealed(con, table.name, select, cipher):
        return write_versions(con, table, f"new_{table.name}", cols, extras, as_of, import_id)


@contextlib.contextmanager
def _sealed(con, name: str, select: str, cipher: PiiCipher) -> Iterator[None]:
    """``new_<name>`` with personal fields AES-GCM encrypted in one Python batch (a UDF would
    run it in small chunks on competing threads, twice as slow), while the block runs."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE plain_{name} AS {select}")
    plain = con.sql(f"SELECT {PII_PLAIN} FROM plain_{name}").to_arrow_table()
    sealed = pa.table({"pii_enc": pa.array(cipher.encrypt_many(plain.column(0).to_pylist()),
                                           pa.string())})
    con.register(f"sealed_{name}", sealed)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW new_{name} AS SELECT p.* EXCLUDE "
                    f"({PII_PLAIN}), s.pii_enc FROM plain_{name} p POSITIONAL JOIN sealed_{name} s")
        yield
    finally:
        con.execute(f"DROP VIEW IF EXISTS new_{name}")
        con.unregister(f"sealed_{name}")
        con.execute(f"DROP TABLE IF EXISTS plain_{name}")


def _refused_rows(con, s: _Staged, import_id: int) -> pa.Table:
    """The table's quarantine rows: masked values, and the raw row encrypted if personal."""
    table, n = s.table, s.table.name
    pii = pii_columns(table)
    value = "e.value"
    if pii:
        cases = " ".join(f"WHEN '{c}' THEN {mask_sql(c, 'e.value')}" for c in pii)
        value = f"CASE e.column_name {cases} ELSE e.value END"
    fields = ", ".join(f"'{c}': s.{ident(c)}::VARCHAR" for c in table.column_names)
    raw = f"COALESCE(e.raw, to_json({{{fields}}})::VARCHAR)"
    if pii:
        raw = f"lw_encrypt({raw})"  # a refused customer row still holds personal data
    return con.sql(
        f"SELECT {import_id}::INTEGER AS import_id, '{n}' AS table_name, ? AS file, "
        f"COALESCE(e.line, {s.source.line_sql('e.row')}) AS line, e.column_name, e.reason, "
        f"{value} AS value, {raw} AS raw FROM err_{n} e LEFT JOIN stg_{n} s ON s.rowid = e.row "
        f"ORDER BY line, e.column_name", params=[str(s.source.path)]).to_arrow_table()


def _drop_staging(con, name: str) -> None:
    """Drop the temporary tables and views of one table's staging."""
    prefixes = ("ok", "new", "put", "bad_scope", "dup", "chg", "act", "err", "stg")
    wanted = {f"{p}_{name}" for p in prefixes}
    objects = con.execute("SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary "
                          "UNION ALL SELECT table_name, 'TABLE' FROM duckdb_tables() "
                          "WHERE temporary").fetchall()
    for obj, kind in objects:
        if obj in wanted:
            con.execute(f"DROP {kind} IF EXISTS {obj}")


def _log_table(con, import_id: int, r: TableResult) -> None:
    con.execute("INSERT INTO lw_import_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [import_id, r.table, r.file, r.format, r.read, r.loaded, r.quarantined,
                 r.versions, r.extras])



__all__ = ["ImportFailure", "ImportResult", "TableResult", "import_folder"]
