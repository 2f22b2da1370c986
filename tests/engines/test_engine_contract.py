"""The engine contract: the same Ibis expressions give the same Arrow rows (values and types)
on DuckDB and on Spark.

Each case below is written the portable way; on Ibis 12 + PySpark 4.0 that means:
- multiply decimals of different scales only after casting one so Ibis can type the
  product (``amount * rate.cast("decimal(18,8)")``), then ``.round(n)``: Ibis declares the
  operand type, and a product with more decimals than that cannot be returned unrounded;
- days between dates with ``later.delta(earlier, unit="day")``, not ``later - earlier``
  (an interval, which neither engine returns as Arrow);
- guard a divisor with ``.nullif(0)``: Spark raises on division by zero, DuckDB gives inf;
- no ``mean()`` or ``/`` on money, no ``round`` on floats: DuckDB computes them in double,
  Spark in exact decimal, and results differ in the last digit;
- build ``ibis.memtable`` data with decimals or NULLs from a pyarrow table.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pytest

from loanwatch.engines.base import open_engine
from loanwatch.engines.errors import EngineUnavailable

D = dt.date
M = Decimal
AS_OF = ibis.date("2025-01-31")

@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("engines") / "tiny.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (loan_id VARCHAR, d DATE, amount DECIMAL(18,2), rate DECIMAL(12,8), "
                "_valid_from DATE, _valid_to DATE)")
    con.execute("""INSERT INTO t VALUES
        ('L1', DATE '2025-01-15', 1000.00, 0.01234567, DATE '2025-01-01', NULL),
        ('L1', DATE '2025-02-15', 1000.05, 0.00500000, DATE '2025-01-01', DATE '2025-03-01'),
        ('L2', DATE '2025-01-31',    2.45, 0.50000000, DATE '2025-01-10', NULL),
        ('L2', NULL,                -2.45, 0.50000000, DATE '2025-01-10', NULL),
        ('L3', DATE '2024-12-31',    0.01, 0.50000000, NULL, NULL),
        ('L4', DATE '2025-03-01',    NULL, NULL,       NULL, NULL)""")
    con.execute("CREATE TABLE pay (loan_id VARCHAR, paid DECIMAL(18,2))")
    con.execute("INSERT INTO pay VALUES ('L1', 10.00), ('L3', 0.02)")
    con.execute("CREATE TABLE lw_meta (key VARCHAR, value VARCHAR)")  # metadata: not served
    con.close()
    return path


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest, database: Path):
    """Each engine once per module: Spark takes seconds to start."""
    try:
        eng = open_engine(request.param, database)
    except EngineUnavailable as exc:
        pytest.skip(str(exc))
    yield eng
    eng.close()


def _t(e):
    return e.table("t")


def _sums(e):
    t = _t(e)
    return t.group_by("loan_id").aggregate(
        total=t.amount.sum(),
        due=ibis.cases((t.d <= AS_OF, t.amount), else_=0).sum(),
        later=ibis.ifelse(t.d > AS_OF, t.amount, 0).sum(),
        total18=t.amount.sum().cast("decimal(18,2)"),
        rows=t.count(),
    ).order_by("loan_id")


def _in_force(e):
    t = _t(e)
    in_force = ((t._valid_from.isnull() | (t._valid_from <= AS_OF))
                & (t._valid_to.isnull() | (t._valid_to > AS_OF)))
    return t.filter(in_force, t.d.between(ibis.date("2025-01-01"), AS_OF)).select("loan_id", "d").order_by(
        "loan_id", "d")


def _days(e):
    t = _t(e)
    return t.select("loan_id", "d",
                    overdue=AS_OF.delta(t.d, unit="day"),
                    since=t.d.delta(t._valid_from, unit="day")).order_by("loan_id", "d")


def _date_range(e):
    t = _t(e)
    return t.group_by("loan_id").aggregate(first=t.d.min(), last=t.d.max()).order_by("loan_id")


def _bounds(e):
    t = _t(e)
    zero = ibis.literal(M("0.00"), "decimal(18,2)")
    return t.select("loan_id", "d", floor=ibis.greatest(t.amount, zero),
                    cap=ibis.least(t.amount, ibis.literal(M("100.00"), "decimal(18,2)")),
                    start=ibis.greatest(t.d, AS_OF)).order_by("loan_id", "d")


def _interest(e):
    t = _t(e)
    half = ibis.literal(M("0.5"), "decimal(18,2)")
    return t.select("loan_id", "d",
                    interest=(t.amount * t.rate.cast("decimal(18,8)")).round(2).cast("decimal(18,2)"),
                    half=(t.amount * half).round(2)).order_by("loan_id", "d")


def _calendar(e):
    t = _t(e)
    days = ibis.memtable({"as_of": [D(2025, 1, 31), D(2025, 2, 28)]})
    return (t.filter(t.d.notnull()).cross_join(days)
            .select("loan_id", "d", "as_of", due=lambda r: r.d <= r.as_of)
            .order_by("loan_id", "d", "as_of"))


def _rates(e):
    t = _t(e)
    f = pa.array([M("1.10"), None], pa.decimal128(18, 2))
    factors = ibis.memtable(pa.table({"k": ["a", "b"], "f": f}))
    return (t.filter(t.loan_id == "L1").cross_join(factors)
            .select("loan_id", "d", "k", v=lambda r: (r.amount * r.f).round(2)).order_by("d", "k"))


def _balance(e):
    t, p = _t(e), e.table("pay")
    owed = t.group_by("loan_id").aggregate(owed=t.amount.sum())
    j = owed.left_join(p, "loan_id")
    return j.select("loan_id", paid=ibis.coalesce(j.paid, 0),
                    left=j.owed - ibis.coalesce(j.paid, 0),
                    share=(j.paid.cast("float64") / j.owed.cast("float64").nullif(0))).order_by("loan_id")


def _running(e):
    t = _t(e)
    w = ibis.cumulative_window(group_by="loan_id", order_by="d")  # ibis.window() spans the partition
    return t.select("loan_id", "d", cum=t.amount.sum().over(w), n=ibis.row_number().over(w),
                    month=t.d.truncate("M")).order_by("loan_id", "d")


NUL = None
CASES: dict[str, tuple[Callable, dict[str, str], dict[str, list]]] = {
    "sum of decimals by cases/ifelse, cast": (_sums, {
        "loan_id": "string", "total": "decimal128(38, 2)", "due": "decimal128(38, 2)",
        "later": "decimal128(38, 2)", "total18": "decimal128(18, 2)", "rows": "int64"}, {
        "loan_id": ["L1", "L2", "L3", "L4"],
        "total": [M("2000.05"), M("0.00"), M("0.01"), NUL],
        "due": [M("1000.00"), M("2.45"), M("0.01"), M("0.00")],
        "later": [M("1000.05"), M("0.00"), M("0.00"), NUL],
        "total18": [M("2000.05"), M("0.00"), M("0.01"), NUL],
        "rows": [2, 2, 1, 1]}),
    "as-of validity and date literals": (_in_force, {"loan_id": "string", "d": "date32[day]"}, {
        "loan_id": ["L1", "L2"], "d": [D(2025, 1, 15), D(2025, 1, 31)]}),
    "days between dates": (_days, {
        "loan_id": "string", "d": "date32[day]", "overdue": "int64", "since": "int64"}, {
        "loan_id": ["L1", "L1", "L2", "L2", "L3", "L4"],
        "d": [D(2025, 1, 15), D(2025, 2, 15), D(2025, 1, 31), NUL, D(2024, 12, 31), D(2025, 3, 1)],
        "overdue": [16, -15, 0, NUL, 31, -29], "since": [14, 45, 21, NUL, NUL, NUL]}),
    "min/max of dates": (_date_range, {"loan_id": "string", "first": "date32[day]", "last": "date32[day]"}, {
        "loan_id": ["L1", "L2", "L3", "L4"],
        "first": [D(2025, 1, 15), D(2025, 1, 31), D(2024, 12, 31), D(2025, 3, 1)],
        "last": [D(2025, 2, 15), D(2025, 1, 31), D(2024, 12, 31), D(2025, 3, 1)]}),
    "greatest/least": (_bounds, {
        "loan_id": "string", "d": "date32[day]", "floor": "decimal128(18, 2)", "cap": "decimal128(18, 2)",
        "start": "date32[day]"}, {
        "loan_id": ["L1", "L1", "L2", "L2", "L3", "L4"],
        "d": [D(2025, 1, 15), D(2025, 2, 15), D(2025, 1, 31), NUL, D(2024, 12, 31), D(2025, 3, 1)],
        # both engines skip NULL arguments (unlike max(a, b) in Python, not NULL-propagating)
        "floor": [M("1000.00"), M("1000.05"), M("2.45"), M("0.00"), M("0.01"), M("0.00")],
        "cap": [M("100.00"), M("100.00"), M("2.45"), M("-2.45"), M("0.01"), M("100.00")],
        "start": [D(2025, 1, 31), D(2025, 2, 15), D(2025, 1, 31), D(2025, 1, 31), D(2025, 1, 31),
                  D(2025, 3, 1)]}),
    "decimal product rounded half up": (_interest, {
        "loan_id": "string", "d": "date32[day]", "interest": "decimal128(18, 2)",
        "half": "decimal128(18, 2)"}, {
        "loan_id": ["L1", "L1", "L2", "L2", "L3", "L4"],
        "d": [D(2025, 1, 15), D(2025, 2, 15), D(2025, 1, 31), NUL, D(2024, 12, 31), D(2025, 3, 1)],
        "interest": [M("12.35"), M("5.00"), M("1.23"), M("-1.23"), M("0.01"), NUL],
        "half": [M("500.00"), M("500.03"), M("1.23"), M("-1.23"), M("0.01"), NUL]}),
    "cross join with a memtable of dates": (_calendar, {
        "loan_id": "string", "d": "date32[day]", "as_of": "date32[day]", "due": "bool"}, {
        "loan_id": ["L1", "L1", "L1", "L1", "L2", "L2", "L3", "L3", "L4", "L4"],
        "d": [D(2025, 1, 15)] * 2 + [D(2025, 2, 15)] * 2 + [D(2025, 1, 31)] * 2 + [D(2024, 12, 31)] * 2
        + [D(2025, 3, 1)] * 2,
        "as_of": [D(2025, 1, 31), D(2025, 2, 28)] * 5,
        "due": [True, True, False, True, True, True, True, True, False, False]}),
    "memtable of decimals with NULL": (_rates, {
        "loan_id": "string", "d": "date32[day]", "k": "string", "v": "decimal128(18, 2)"}, {
        "loan_id": ["L1"] * 4, "d": [D(2025, 1, 15)] * 2 + [D(2025, 2, 15)] * 2, "k": ["a", "b"] * 2,
        "v": [M("1100.00"), NUL, M("1100.06"), NUL]}),
    "left join with coalesce": (_balance, {
        "loan_id": "string", "paid": "decimal128(18, 2)", "left": "decimal128(38, 2)", "share": "double"}, {
        "loan_id": ["L1", "L2", "L3", "L4"],
        "paid": [M("10.00"), M("0.00"), M("0.02"), M("0.00")],
        "left": [M("1990.05"), M("0.00"), M("-0.01"), NUL],
        "share": [10.0 / 2000.05, NUL, 2.0, NUL]}),
    "running sum, row number, month": (_running, {
        "loan_id": "string", "d": "date32[day]", "cum": "decimal128(38, 2)", "n": "int64",
        "month": "date32[day]"}, {
        "loan_id": ["L1", "L1", "L2", "L2", "L3", "L4"],
        "d": [D(2025, 1, 15), D(2025, 2, 15), D(2025, 1, 31), NUL, D(2024, 12, 31), D(2025, 3, 1)],
        # ascending order puts NULL last on both engines (Ibis says so explicitly)
        "cum": [M("1000.00"), M("2000.05"), M("2.45"), M("0.00"), M("0.01"), NUL],
        "n": [0, 1, 0, 1, 0, 0],  # ibis.row_number() counts from 0
        "month": [D(2025, 1, 1), D(2025, 2, 1), D(2025, 1, 1), NUL, D(2024, 12, 1), D(2025, 3, 1)]}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_rows_on_every_engine(engine, case: str) -> None:
    build, types, rows = CASES[case]
    result = engine.to_arrow(build(engine))
    assert {f.name: str(f.type) for f in result.schema} == types
    assert result.to_pydict() == rows


SPARK_ONLY = pytest.mark.parametrize("engine", [pytest.param("spark", marks=pytest.mark.spark)],
                                     indirect=True)


@SPARK_ONLY
def test_spark_serves_contract_tables_not_metadata(engine) -> None:
    assert engine.tables == ("pay", "t")
    with pytest.raises(Exception, match="lw_meta"):
        engine.table("lw_meta")


@SPARK_ONLY
def test_second_spark_engine_shares_spark_and_cleans_up(engine, database: Path, tmp_path: Path) -> None:
    other = open_engine("spark", database, tables=("pay",), workdir=tmp_path)
    assert not other.owns_context and other.session is not engine.session
    assert other.to_arrow(other.table("pay")).num_rows == 2
    other.close()
    assert list(tmp_path.iterdir()) == []
    assert engine.to_arrow(engine.table("pay")).num_rows == 2  # the first engine is untouched


def test_unknown_engine_is_refused(database: Path) -> None:
    with pytest.raises(ValueError, match="unknown engine 'nope'"):
        open_engine("nope", database)


def test_spark_without_pyspark_says_how_to_install(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    with pytest.raises(EngineUnavailable, match=r"pip install 'loanwatch\[spark\]'"):
        open_engine("spark", database)


def test_spark_without_java_says_so(database: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineUnavailable, match="Java 17"):
        open_engine("spark", database)
