"""The Spark engine stores exactly the loan snapshots the DuckDB engine stores: same rows,
same values, same column types, on a simulated lender with corrections imported later."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from loanwatch.engines.base import open_engine
from loanwatch.engines.errors import EngineUnavailable
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.run import simulate
from loanwatch.workspace import Workspace
from tests.batch.conftest import D, copy_of, import_into, new_workspace, run, runs, stored, values

pytestmark = pytest.mark.spark

LENDER = SimConfig(loans=300, start=D("2023-01-01"), months=24, seed=6)  # writes one off in 2024-10
# four month ends over the two years, a mid-month day, and a day the corrections apply from
DATES = [D("2023-03-31"), D("2023-09-30"), D("2024-03-31"), D("2024-06-17"), D("2024-12-31"),
         D("2024-02-01")]
CORRECTED_FROM = "2024-02-01"


def _halve_every_tenth_repayment(folder: Path) -> None:
    path = folder / "repayments.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows[::10]:
        row["amount"] = str((Decimal(row["amount"]) / 2).quantize(Decimal("0.01")))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lender imported, then corrections to a tenth of its repayments from CORRECTED_FROM
    (so both engines must pick the row versions in force)."""
    data = tmp_path_factory.mktemp("lender")
    simulate(LENDER, data, "csv", None)
    ws = new_workspace(tmp_path_factory.mktemp("template") / "ws")
    import_into(ws, data, LENDER.end.isoformat())
    _halve_every_tenth_repayment(data)
    result = import_into(ws, data, CORRECTED_FROM)
    assert {t.table: t.versions for t in result.tables}["repayments"] > 50
    return ws.root


@pytest.fixture(scope="module")
def spark(template: Path):
    """One Spark for the module: the engines the runner opens run their sessions on it."""
    try:
        engine = open_engine("spark", Workspace(template).database, tables=("loans",))
    except EngineUnavailable as exc:
        pytest.skip(str(exc))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def by_engine(spark, template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Workspace]:
    """A workspace per engine, each run by that engine alone (so each creates the mart table)."""
    out = {}
    for engine in ("spark", "duckdb"):
        ws = copy_of(template, tmp_path_factory.mktemp(engine) / "ws")
        result = run(ws, *DATES, engine=engine)
        assert result.engine == engine
        out[engine] = ws
    return out


def column_types(ws: Workspace) -> list[tuple[str, str]]:
    with ws.connect(read_only=True) as con:
        return [(r[0], r[1]) for r in con.execute("DESCRIBE main.loan_snapshot").fetchall()]


def test_spark_stores_the_same_loan_snapshots_as_duckdb(by_engine):
    duck, spark = stored(by_engine["duckdb"]), stored(by_engine["spark"])
    assert len(duck) == LENDER.loans * len(DATES)
    assert values(spark) == values(duck)


def test_the_book_compared_is_not_trivial(by_engine):
    rows = stored(by_engine["duckdb"])
    assert {r["status"] for r in rows} >= {"not_started", "active", "settled", "written_off"}
    assert any(r["dpd"] > 90 for r in rows) and any(r["penalty_interest"] > 0 for r in rows)
    assert any(r["overdue_fee"] > 0 for r in rows) and any(r["next_due_on"] is None for r in rows)


def test_spark_stores_the_same_column_types_as_duckdb(by_engine):
    assert column_types(by_engine["spark"]) == column_types(by_engine["duckdb"])


def test_each_run_records_its_engine(by_engine):
    for engine, ws in by_engine.items():
        assert {(r[3], r[2]) for r in runs(ws)} == {(engine, d) for d in DATES}


def test_a_spark_rerun_over_duckdb_results_changes_no_value(spark, by_engine, tmp_path):
    ws = copy_of(by_engine["duckdb"].root, tmp_path / "ws")
    before = stored(ws)
    result = run(ws, *DATES[:2], engine="spark", dates_per_pass=1)
    after = stored(ws)
    assert values(after) == values(before)
    assert {r["run_id"] for r in after if r["as_of"] in DATES[:2]} == {result.run_id}
