"""A report written as a file — HTML, PDF or XLSX — to a path or as bytes to send, with
its media type and a file name that says what it is."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from loanwatch.reports.document import Report
from loanwatch.reports.html import render_html
from loanwatch.reports.pdf import write_pdf
from loanwatch.reports.xlsx import write_xlsx

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def write_report(report: Report, fmt: str, out: Path) -> None:
    """``report`` as ``fmt`` at ``out``; ``PdfUnavailable`` when PDF cannot be made here."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        write_xlsx(report, out)
    elif fmt == "html":
        out.write_text(render_html(report), encoding="utf-8")
    elif fmt == "pdf":
        write_pdf(render_html(report), out)
    else:
        raise ValueError(f"format must be one of {', '.join(MEDIA_TYPES)}, not {fmt!r}")


def report_bytes(report: Report, fmt: str) -> bytes:
    """``report`` as the bytes of a ``fmt`` file."""
    with tempfile.TemporaryDirectory(prefix="lw-report-") as tmp:
        out = Path(tmp) / f"report.{fmt}"
        write_report(report, fmt, out)
        return out.read_bytes()


def file_name(kind: str, as_of: dt.date, fmt: str, *parts: str) -> str:
    """``loanwatch-<kind>-<parts…>-<as-of>.<fmt>``, e.g. loanwatch-portfolio-month-2024-12-31.pdf."""
    return "-".join(("loanwatch", kind, *parts, as_of.isoformat())) + f".{fmt}"
