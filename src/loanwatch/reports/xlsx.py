"""A report's tables as an Excel workbook: a cover sheet, then one sheet per table (key
figures included), header row bold and frozen, columns sized to their content; yuan as
numbers formatted '#,##0.00', ratios '0.00%', counts '#,##0', dates as dates. A single
table (a console list) makes a workbook of one sheet the same way."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from loanwatch.reports.document import Column, Figures, Kind, Report, Table
from loanwatch.reports.formats import show
from loanwatch.reports.labels import labels

FORMATS = {Kind.MONEY: "#,##0.00", Kind.RATIO: "0.00%", Kind.COUNT: "#,##0",
           Kind.DATE: "yyyy-mm-dd", Kind.NUMBER: "#,##0.00"}
DATETIME = "yyyy-mm-dd hh:mm"
BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def write_xlsx(report: Report, out: Path) -> None:
    wb = Workbook()
    cover = wb.active
    cover.title = labels(report.lang)("contents")[:31]
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=14)
    for k, v in report.cover:
        cover.append([k, v])
    names: set[str] = {cover.title}
    for section in report.sections:
        for block in section.blocks:
            table = _as_table(block, report.lang)
            if table is not None:
                ws = wb.create_sheet(_sheet_name(table, names))
                _fill(ws, table)
                cover.append([ws.title, f"{section.title} — {table.title}"])
    _widths(cover, 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)


def table_xlsx(table: Table) -> bytes:
    """``table`` as the bytes of a workbook of one sheet named by its id."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(table, set())
    _fill(ws, table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _as_table(block: object, lang: str) -> Table | None:
    if isinstance(block, Table):
        return block
    if isinstance(block, Figures):
        t = labels(lang)
        cols = [Column("label", t("figure")), Column("value", t("value"), Kind.NUMBER),
                Column("before", block.before_label or t("before"), Kind.NUMBER),
                Column("change", t("change"), Kind.NUMBER)]
        rows = [{"label": f.label, "value": f.value, "before": f.before, "change": f.change,
                 "_kind": f.kind} for f in block.items]
        return Table(block.id, t("figure"), cols, rows)
    return None


def _sheet_name(table: Table, taken: set[str]) -> str:
    base = table.id.translate(BAD_SHEET_CHARS)[:28]
    name, n = base, 2
    while name in taken:
        name, n = f"{base[:26]}-{n}", n + 1
    taken.add(name)
    return name


def _value(value: Any, kind: Kind) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind in (Kind.MONEY, Kind.RATIO, Kind.NUMBER):
        return float(value) if isinstance(value, Decimal) else value
    if kind is Kind.DATE and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _kind(row: dict[str, Any], column: Column) -> Kind:
    """A key figure's row says its own kind (money, ratio, count) for its number columns."""
    return row.get("_kind", column.kind) if column.kind is Kind.NUMBER else column.kind


def _fill(ws: Worksheet, table: Table) -> None:
    ws.append([c.title for c in table.columns])
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in table.rows:
        kinds = [_kind(r, c) for c in table.columns]
        ws.append([_value(r.get(c.key), k) for c, k in zip(table.columns, kinds, strict=True)])
        for cell, kind in zip(ws[ws.max_row], kinds, strict=True):
            if kind in FORMATS and cell.value is not None:
                cell.number_format = DATETIME if isinstance(cell.value, dt.datetime) \
                    else FORMATS[kind]
    ws.freeze_panes = "A2"
    _widths(ws, len(table.columns), table)


def _widths(ws: Worksheet, n: int, table: Table | None = None) -> None:
    """Each column as wide as its longest text as shown (a CJK character counts double)."""
    for i in range(1, n + 1):
        widest = 8
        for (cell,) in ws.iter_rows(min_col=i, max_col=i):
            kind = table.columns[i - 1].kind if table else Kind.TEXT
            text = show(cell.value, kind) if cell.row > 1 and cell.value is not None else \
                str(cell.value or "")
            widest = max(widest, sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text) + 2)
        ws.column_dimensions[get_column_letter(i)].width = min(widest, 60)
