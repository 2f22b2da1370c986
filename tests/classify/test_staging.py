"""IFRS 9 stages on a table of loans, one rule at a time, with the boundaries of each rule."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.ecl import EclRules
from loanwatch.classify.staging import StagingRules, ecl_rules, ifrs9_stages, staging_rules
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy import default_policy_text, load_default_policy, load_policy_text

M = Decimal
N = None

# loan: dpd, five class, grade, origination grade, pd_12m, origination PD -> stage, reasons
# (default policy: stage 2 at DPD > 30, 关注 or worse, >= 3 notches down, PD >= 2 x origination;
#  stage 3 at DPD > 90 or 次级 and worse)
CASES = {
    "clean": (0, "normal", 3, 3, "0.002", "0.002", 1, []),
    "dpd 30": (30, "normal", 3, 3, "0.002", "0.002", 1, []),
    "dpd 31": (31, "normal", 3, 3, "0.002", "0.002", 2, ["STAGE2-DPD"]),
    "dpd 90": (90, "normal", 3, 3, "0.002", "0.002", 2, ["STAGE2-DPD"]),
    "dpd 91": (91, "normal", 3, 3, "0.002", "0.002", 3, ["STAGE3-DPD"]),
    "special mention": (0, "special_mention", 3, 3, "0.002", "0.002", 2, ["STAGE2-CLASS"]),
    "substandard": (0, "substandard", 3, 3, "0.002", "0.002", 3, ["STAGE3-CLASS"]),
    "loss": (0, "loss", 3, 3, "0.002", "0.002", 3, ["STAGE3-CLASS"]),
    # 3 notches down (4 -> 7) is stage 2, 2 notches (4 -> 6) is not; the PDs are kept level
    "3 notches down": (0, "normal", 7, 4, "0.004", "0.004", 2, ["STAGE2-RATING-DOWN"]),
    "2 notches down": (0, "normal", 6, 4, "0.004", "0.004", 1, []),
    "upgraded": (0, "normal", 1, 5, "0.004", "0.004", 1, []),
    # PD ratio exactly 2.0 (0.030 = 2 x 0.015, up 1.5 points) counts; 0.029999 does not
    "pd ratio 2.0": (0, "normal", 4, 4, "0.030", "0.015", 2, ["STAGE2-PD-RATIO"]),
    "pd ratio below 2": (0, "normal", 4, 4, "0.029999", "0.015", 1, []),
    # doubled, but up by less than the 0.5 points of pd_min_increase: 0.0049; 0.005 counts
    "pd doubled by little": (0, "normal", 4, 4, "0.0098", "0.0049", 1, []),
    "pd doubled by 0.5 points": (0, "normal", 4, 4, "0.010", "0.005", 2, ["STAGE2-PD-RATIO"]),
    # nothing known at origination: only DPD and class can move it
    "no origination": (0, "normal", 10, N, "0.25", N, 1, []),
    "every stage 2 rule": (45, "special_mention", 8, 4, "0.06", "0.004", 2,
                           ["STAGE2-DPD", "STAGE2-CLASS", "STAGE2-RATING-DOWN",
                            "STAGE2-PD-RATIO"]),
    # a stage 3 loan keeps only the rules that put it there, not the stage 2 ones that hold too
    "stage 3 by both": (200, "doubtful", 9, 2, "0.12", "0.001", 3,
                        ["STAGE3-DPD", "STAGE3-CLASS"]),
}


def _loans() -> ibis.Table:
    rows = list(CASES.items())
    return ibis.memtable(pa.table({
        "loan_id": [name for name, _ in rows],
        "branch_id": ["B1"] * len(rows),
        "dpd": pa.array([r[0] for _, r in rows], pa.int32()),
        "five_class": [r[1] for _, r in rows],
        "grade": pa.array([r[2] for _, r in rows], pa.int32()),
        "origination_grade": pa.array([r[3] for _, r in rows], pa.int32()),
        "pd_12m": pa.array([M(r[4]) for _, r in rows], pa.decimal128(9, 6)),
        "origination_pd": pa.array([r[5] and M(r[5]) for _, r in rows], pa.decimal128(9, 6)),
    }))


@pytest.fixture(scope="module")
def engine():
    engine = DuckDBEngine.open(con=duckdb.connect())
    yield engine
    engine.close()


def _staged(engine: DuckDBEngine, rules: StagingRules) -> dict[str, dict]:
    table = engine.to_arrow(ifrs9_stages(_loans(), rules))
    assert table.schema.field("stage").type == pa.int8()
    return {r["loan_id"]: r for r in table.to_pylist()}


@pytest.fixture(scope="module")
def staged(engine) -> dict[str, dict]:
    return _staged(engine, staging_rules(load_default_policy()))


@pytest.mark.parametrize("loan", list(CASES))
def test_stage_and_reasons(staged: dict[str, dict], loan: str) -> None:
    *_, stage, reasons = CASES[loan]
    assert (staged[loan]["stage"], staged[loan]["stage_reasons"]) == (stage, reasons)


def test_other_columns_are_kept(staged: dict[str, dict]) -> None:
    assert staged["clean"]["branch_id"] == "B1"
    assert staged["clean"]["pd_12m"] == M("0.002")


def test_the_thresholds_come_from_the_rules(engine) -> None:
    rules = StagingRules(stage2_dpd_above=60, stage3_dpd_above=120, stage3_from_class="doubtful",
                         sicr_from_class="substandard", rating_down_notches=2,
                         pd_ratio=M("1.5"))
    staged = _staged(engine, rules)
    assert staged["dpd 91"]["stage"] == 2            # 91 > 60, not > 120
    assert staged["substandard"]["stage_reasons"] == ["STAGE2-CLASS"]
    assert staged["2 notches down"]["stage_reasons"] == ["STAGE2-RATING-DOWN"]
    assert staged["pd ratio below 2"]["stage_reasons"] == ["STAGE2-PD-RATIO"]  # 0.029999 >= 0.0225
    assert staged["special mention"]["stage"] == 1


def test_rules_of_the_default_policy() -> None:
    policy = load_default_policy()
    assert staging_rules(policy) == StagingRules()
    assert ecl_rules(policy) == EclRules()


def test_ecl_rules_carry_product_lgds() -> None:
    text = default_policy_text().replace("lgd_by_product: {}",
                                         "lgd_by_product: {micro: 0.55, consumer: 0.60}")
    rules = ecl_rules(load_policy_text(text, "policy.yaml"))
    assert rules.unsecured_lgd_by_product == (("consumer", M("0.60")), ("micro", M("0.55")))
    assert rules.lgd_unsecured == M("0.45")
