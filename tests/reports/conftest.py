"""Report fixtures: the simulated lender of tests/batch (200 loans, 2023–2024) with every mart
run by ``loanwatch run`` for the month-ends of the last quarter of 2024 and the one before,
made once a session and read only; helpers to export a mart and to read an HTML report's
tables."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli import app
from loanwatch.simulate.run import simulate
from loanwatch.workspace import Workspace
from tests.batch.conftest import LENDER, import_into, new_workspace

AS_OF, BEFORE, QUARTER_BEFORE = "2024-12-31", "2024-11-30", "2024-09-30"

cli = CliRunner()


def lw(*args: str | Path):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def report_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The lender with every mart stored for 2024-09-30 … 2024-12-31 (do not change it)."""
    data = tmp_path_factory.mktemp("report-lender")
    simulate(LENDER, data, "csv", None)
    ws = new_workspace(tmp_path_factory.mktemp("report-ws") / "ws")
    import_into(ws, data, LENDER.end.isoformat())
    result = lw("run", "-w", ws.root, "--from", QUARTER_BEFORE, "--to", AS_OF, "--no-sync")
    assert result.exit_code == 0, result.output
    return ws


def export(ws: Workspace, mart: str, as_of: str, folder: Path) -> list[dict[str, str]]:
    """The rows of ``loanwatch export <mart>`` as CSV, as text."""
    out = folder / f"{mart}-{as_of}.csv"
    result = lw("export", mart, "-w", ws.root, "--as-of", as_of, "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class _Tables(HTMLParser):
    """Every ``<table id=…>`` as rows of cell texts (header row first), and each key figure
    row (``data-key``) as its cells, by table id and key."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.figures: dict[str, dict[str, list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row, self._key = [], a.get("data-key")
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            if self._key:
                self.figures.setdefault(self._table, {})[self._key] = self._row
            self._row = None
        elif tag == "table":
            self._table = None


def html_tables(html: str) -> _Tables:
    parsed = _Tables()
    parsed.feed(html)
    return parsed


def by_first_cell(table: list[list[str]]) -> dict[str, dict[str, str]]:
    """A table's body rows keyed by their first cell, each as {column title: cell}."""
    head, *body = table
    return {row[0]: dict(zip(head, row, strict=True)) for row in body}
