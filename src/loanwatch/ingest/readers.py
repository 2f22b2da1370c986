"""Find the contract tables in a folder and expose each file to DuckDB as a relation.

CSV and XLSX values arrive as text; Parquet keeps its own types. Each reader gives the SQL
of a relation whose row order is the file's, the source columns and their types, and how to
turn a row position into the line a person sees in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from loanwatch.ingest.cells import CSV_PARSE_TYPES, INVALID_REASONS
from loanwatch.ingest.contract import TABLES_BY_NAME
from loanwatch.ingest.errors import UnreadableFile, first_line

FORMATS = (".csv", ".parquet", ".xlsx")


@dataclass
class Source:
    """One table file, readable by DuckDB."""

    table: str
    path: Path
    format: str
    relation_sql: str  # SQL of a relation in file order
    columns: dict[str, str]  # normalised name -> source column name
    types: dict[str, str]  # source column name -> DuckDB type
    first_line: int  # line of the first data row (2 after a header row, 1 for Parquet)
    rejects: list[tuple[int, str | None, str, str]] = field(default_factory=list)

    def fields_of(self, text: str) -> dict[str, str]:
        """The fields of a raw CSV line refused by the reader, by column name."""
        values = next(csv.reader(io.StringIO(text)), [])
        return dict(zip(self.columns, values, strict=False))

    steps_table: str | None = None  # row positions after which a refused row was skipped
    row_base: int = 0  # rowid of the first staged row (rows staged in a transaction start high)

    def line_sql(self, rowid: str) -> str:
        """SQL turning the rowid of a staged row into the line number in the file."""
        row = f"({rowid} - {self.row_base})"
        if not self.steps_table:
            return f"({row} + {self.first_line})"
        skipped = f"(SELECT count(*) FROM {self.steps_table} WHERE step <= {row})"
        return f"({row} + {self.first_line} + {skipped})"


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Path]]:
    """Contract table files in ``folder`` (not its subfolders), and the files ignored."""
    if not folder.is_dir():
        raise UnreadableFile(str(folder), "not a folder")
    found: dict[str, Path] = {}
    ignored: list[Path] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        name, suffix = path.stem.lower(), path.suffix.lower()
        if suffix not in FORMATS or name not in TABLES_BY_NAME:
            ignored.append(path)
            continue
        if name in found:
            raise UnreadableFile(str(path), f"table {name} is also in {found[name].name}; "
                                 "keep one file per table")
        found[name] = path
    return found, ignored


def _normalise(names: list[str], path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in names:
        norm = raw.strip().lower()
        if not norm:
            raise UnreadableFile(str(path), "the header has an empty column name")
        if norm in out:
            raise UnreadableFile(str(path), f"column {norm!r} appears twice in the header")
        out[norm] = raw
    return out


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as f:
        head = f.read(1 << 20)
    if not head.strip():
        raise UnreadableFile(str(path), "the file is empty (a header row is expected)")
    if b"\x00" in head:
        raise UnreadableFile(str(path), "not a text CSV file (binary content)")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the 1 MiB boundary
            raise UnreadableFile(str(path), "not UTF-8 encoded (save it as CSV UTF-8)") from e
        text = head[: e.start].decode("utf-8-sig")
    return next(csv.reader(io.StringIO(text)))


def read_csv_source(con: duckdb.DuckDBPyConnection, table: str, path: Path, tag: str) -> Source:
    """Contract columns of a simple type are parsed by the reader itself; the rest is text."""
    names = _normalise(_csv_header(path), path)
    spec = TABLES_BY_NAME[table]
    kinds = {c.name: c.kind for c in spec.columns}
    types = {raw: CSV_PARSE_TYPES.get(kinds.get(norm, "text"), "VARCHAR")
             for norm, raw in names.items()}
    columns = ", ".join(f"'{_q(raw)}': '{typ}'" for raw, typ in types.items())
    rej, scan = f"rej_{tag}", f"scan_{tag}"
    sql = (f"read_csv('{_q(str(path))}', header=true, delim=',', quote='\"', escape='\"', "
           f"auto_detect=false, columns={{{columns}}}, store_rejects=true, "
           f"rejects_table='{rej}', rejects_scan='{scan}', encoding='utf-8', "
           f"dateformat='%Y-%m-%d')")
    return Source(table, path, "csv", sql, names, types, 2)


_PARSE_REASONS = {"TOO MANY COLUMNS": "unreadable row: more fields than the header",
                  "MISSING COLUMNS": "unreadable row: fewer fields than the header",
                  "UNQUOTED VALUE": "unreadable row: badly quoted field"}


def collect_csv_rejects(con: duckdb.DuckDBPyConnection, src: Source, tag: str) -> None:
    """After the scan: record rows the reader refused; refuse a file that is not UTF-8."""
    rows = con.execute(f"SELECT line, column_name, error_type, csv_line FROM rej_{tag} "
                       "ORDER BY line").fetchall()
    spec = TABLES_BY_NAME[src.table]
    kinds = {c.name: c.kind for c in spec.columns}
    for line, column, kind, text in rows:
        if kind in ("INVALID ENCODING", "INVALID UNICODE"):
            raise UnreadableFile(str(src.path), f"not UTF-8 encoded at line {line} "
                                 "(save it as CSV UTF-8)")
        norm = column.strip().lower() if column else None
        if kind == "CAST":
            reason = INVALID_REASONS.get(kinds.get(norm or "", ""), "value of the wrong type")
        else:
            reason = _PARSE_REASONS.get(kind, f"unreadable row: {kind.lower()}")
        src.rejects.append((int(line), norm, reason, text))
    lines = sorted({r[0] for r in src.rejects})
    if lines:
        steps = [line - src.first_line - i for i, line in enumerate(lines)]
        src.steps_table = f"steps_{tag}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {src.steps_table} (step BIGINT)")
        con.executemany(f"INSERT INTO {src.steps_table} VALUES (?)", [(x,) for x in steps])


def read_parquet_source(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> Source:
    sql = f"read_parquet('{_q(str(path))}')"
    try:
        desc = con.execute(f"DESCRIBE SELECT * FROM {sql}").fetchall()
    except duckdb.Error as e:
        raise UnreadableFile(str(path), f"not a readable Parquet file ({first_line(e)})") from e
    names = _normalise([d[0] for d in desc], path)
    return Source(table, path, "parquet", sql, names, {d[0]: d[1] for d in desc}, 1)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx_source(con: duckdb.DuckDBPyConnection, table: str, path: Path, tag: str) -> Source:
    """The first sheet of a workbook, as text (workbooks are small: rows are Python here)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(str(path), f"not a readable XLSX workbook ({first_line(e)})") from e
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header or all(h is None for h in header):
            raise UnreadableFile(str(path), "the first sheet is empty (a header row is expected)")
        width = max(i for i, h in enumerate(header) if h is not None) + 1
        names = _normalise([_cell_text(h) or "" for h in header[:width]], path)
        data = [[_cell_text(v) for v in (row + (None,) * width)[:width]] for row in rows]
    finally:
        book.close()
    while data and all(v is None for v in data[-1]):
        data.pop()
    arrow = pa.table({raw: pa.array([r[i] for r in data], pa.string())
                      for i, raw in enumerate(names.values())})
    con.register(f"xlsx_{tag}", arrow)
    return Source(table, path, "xlsx", f"xlsx_{tag}", names,
                  dict.fromkeys(names.values(), "VARCHAR"), 2)


def open_source(con: duckdb.DuckDBPyConnection, table: str, path: Path, tag: str) -> Source:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv_source(con, table, path, tag)
    if suffix == ".parquet":
        return read_parquet_source(con, table, path)
    return read_xlsx_source(con, table, path, tag)


def _q(text: str) -> str:
    return text.replace("'", "''")

