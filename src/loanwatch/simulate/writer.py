"""Write simulated tables as the data contract's files: ``<table>.csv`` or ``<table>.parquet``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet")


class TableWriter:
    """Streams Arrow tables (one or many parts) into one file per table."""

    def __init__(self, folder: Path, fmt: str = "csv") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.folder = folder
        self.fmt = fmt
        folder.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = {}

    def write(self, name: str, parts: pa.Table | Iterable[pa.Table]) -> int:
        path = self.folder / f"{name}.{self.fmt}"
        writer = None
        count = 0
        try:
            for part in [parts] if isinstance(parts, pa.Table) else parts:
                part = self._prepare(part)
                if writer is None:
                    writer = self._open(path, part.schema)
                writer.write_table(part)
                count += part.num_rows
        finally:
            if writer is not None:
                writer.close()
        self.rows[name] = count
        return count

    def _open(self, path: Path, schema: pa.Schema):
        if self.fmt == "csv":
            return pacsv.CSVWriter(path, schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
        return pq.ParquetWriter(path, schema, compression="zstd")

    def _prepare(self, table: pa.Table) -> pa.Table:
        if self.fmt != "csv":
            return table
        # the contract's timestamps are ISO 8601 with a T; booleans are true/false either way
        for i, field in enumerate(table.schema):
            if pa.types.is_timestamp(field.type):
                # a cast then one replace is several times faster than strftime on 48M rows
                text = pc.replace_substring(pc.cast(table.column(i), pa.string()), " ", "T")
                table = table.set_column(i, field.name, text)
        return table
