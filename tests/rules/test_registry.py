"""Group E, public information (REG-*): registry events in, borrower firings out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.policy.vocabulary import Severity
from loanwatch.rules.registry import (
    SIGNALS,
    enforcement,
    key_person_churn,
    litigation,
    major_change,
    penalty,
)
from loanwatch.rules.signal import FIRING, Facts

AS_OF = dt.date(2026, 6, 10)
POLICY = load_default_policy()
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
EVENT = pa.schema([
    ("customer_id", pa.string()), ("occurred_on", pa.date32()), ("kind", pa.string()),
    ("detail", pa.string()), ("amount", MONEY), ("_valid_from", pa.date32()),
    ("_valid_to", pa.date32())])
SNAPSHOT = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                      ("dpd", pa.int32()), ("status", pa.string()),
                      ("outstanding_principal", MONEY)])
KEYS = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string()),
                               "loan_id": pa.array([], pa.string())}))
BUREAU = ibis.memtable(pa.schema([
    ("customer_id", pa.string()), ("reported_on", pa.date32()), ("lenders_count", pa.int32()),
    ("loans_balance", MONEY), ("short_term_balance", MONEY), ("overdue_amount", MONEY),
    ("inquiries_3m", pa.int32()), ("new_loans_3m", pa.int32()), ("overdue_90_amount", MONEY),
    ("_valid_from", pa.date32()), ("_valid_to", pa.date32())]).empty_table())


def event(kind: str, on: str, *, amount: str | None = None, customer: str = "C",
          valid: tuple[str | None, str | None] = (None, None)) -> dict:
    return {"customer_id": customer, "occurred_on": D(on), "kind": kind, "detail": None,
            "amount": amount and Decimal(amount), "_valid_from": valid[0] and D(valid[0]),
            "_valid_to": valid[1] and D(valid[1])}


def facts(events: list[dict], loans: tuple[tuple[str, int], ...] = (), owed: str = "0") -> Facts:
    """``loans``: the borrower C's loans on the book as (status, dpd), each owing ``owed``."""
    snapshot = pa.Table.from_pylist(
        [{"loan_id": f"L{i}", "customer_id": "C", "dpd": dpd, "status": status,
          "outstanding_principal": Decimal(owed)} for i, (status, dpd) in enumerate(loans)],
        SNAPSHOT)
    return Facts(as_of=AS_OF, snapshot=ibis.memtable(snapshot), classification=KEYS,
                 class_events=KEYS, ratings=KEYS, previous_ratings=KEYS, loans=KEYS, customers=KEYS,
                 bureau_reports=BUREAU, registry_events=ibis.memtable(pa.Table.from_pylist(events, EVENT)))


def policy(signal_id: str, **params):
    entry = POLICY.signals[signal_id]
    return entry.model_copy(update={"params": entry.params.model_copy(update=params)})


def run(calc, signal_id: str, f: Facts, **params) -> dict[str, tuple[str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, policy(signal_id, **params))).to_pylist()
    assert all(r["loan_id"] is None for r in rows)
    return {r["customer_id"]: (r["severity"], r["evidence"]) for r in rows}


def fired(calc, signal_id: str, events: list[dict], **params) -> tuple[str, str] | None:
    return run(calc, signal_id, facts(events), **params).get("C")


@pytest.mark.parametrize("events, expected", [
    pytest.param([event("legal_rep_change", "2026-05-11")], None, id="one-change-not"),
    pytest.param([event("legal_rep_change", "2026-05-11"), event("shareholder_change", "2026-03-02")],
                 "shareholder_change 2026-03-02, legal_rep_change 2026-05-11", id="two-fire-in-date-order"),
    pytest.param([event("director_change", "2025-06-10"), event("finance_head_change", "2026-01-05")],
                 None, id="exactly-12-months-ago-out"),
    pytest.param([event("director_change", "2025-06-11"), event("finance_head_change", "2026-01-05")],
                 "director_change 2025-06-11, finance_head_change 2026-01-05", id="a-day-inside"),
    pytest.param([event("supervisor_change", "2026-02-01"), event("address_change", "2026-03-01"),
                  event("legal_rep_change", "2026-05-11")], None, id="other-kinds-do-not-count"),
    pytest.param([event("legal_rep_change", "2026-05-11"), event("director_change", "2026-06-11")],
                 None, id="event-after-as-of-ignored"),
    pytest.param([event("legal_rep_change", "2026-05-11"),
                  event("director_change", "2026-04-01", valid=(None, "2026-05-01"))],
                 None, id="retracted-version-ignored"),
])
def test_key_person_churn(events, expected):
    got = fired(key_person_churn, "REG-KEY-PERSON-CHURN", events)
    assert got == (expected and ("high", expected))


CHURN = [event("shareholder_change", "2026-03-02"), event("legal_rep_change", "2026-05-11")]
CHURN_TEXT = "shareholder_change 2026-03-02, legal_rep_change 2026-05-11"


@pytest.mark.parametrize("loans, recall, expected", [
    pytest.param((("active", 5), ("active", 0)), True,
                 ("critical", CHURN_TEXT + "; overdue with us, 5 days past due"), id="overdue"),
    pytest.param((("active", 0),), True, ("high", CHURN_TEXT), id="current"),
    pytest.param((("settled", 3),), True, ("high", CHURN_TEXT), id="settled-loan-not-overdue"),
    pytest.param((("active", 5),), False, ("high", CHURN_TEXT), id="switched-off"),
])
def test_key_person_churn_with_overdue_is_critical(loans, recall, expected):
    got = run(key_person_churn, "REG-KEY-PERSON-CHURN", facts(CHURN, loans),
              early_recall_if_overdue=recall)
    assert got == {"C": expected}


def financials(net: dict[str, tuple[str, str]]) -> ibis.Table:
    """net: customer -> (period_end, net assets), with total liabilities of 1,000,000."""
    return ibis.memtable(pa.table({
        "customer_id": list(net), "period_end": pa.array([D(p) for p, _ in net.values()], pa.date32()),
        "total_assets": pa.array([Decimal(a) + 1_000_000 for _, a in net.values()], MONEY),
        "total_liabilities": pa.array([Decimal(1_000_000)] * len(net), MONEY)}))


@pytest.mark.parametrize("events, expected", [
    pytest.param([event("lawsuit", "2026-03-01", amount="500000")],
                 "lawsuit 2026-03-01 500,000.00; net assets unknown", id="any-amount-fires"),
    pytest.param([event("lawsuit", "2026-03-01"), event("lawsuit", "2026-04-01", amount="0")],
                 None, id="no-amount"),
    pytest.param([event("lawsuit", "2025-06-10", amount="500000")], None, id="exactly-12-months-ago"),
    pytest.param([event("lawsuit", "2026-06-11", amount="500000")], None, id="after-as-of"),
    pytest.param([event("lawsuit", "2026-03-01", amount="500000", valid=("2026-06-11", None))],
                 None, id="not-yet-in-force"),
])
def test_litigation_without_financials(events, expected):
    got = fired(litigation, "REG-LITIGATION", events)
    assert got == (expected and ("medium", expected))


@pytest.mark.parametrize("amount, loans, expected", [
    ("100000", (("active", 0), ("active", 0)), "lawsuit 2026-03-01 100,000.00 vs 1,000,000.00 owed here"),
    ("99999.99", (("active", 0), ("active", 0)), None),
    ("99999.99", (("active", 0), ("settled", 0)), "lawsuit 2026-03-01 99,999.99 vs 500,000.00 owed here"),
])
def test_litigation_without_a_statement_against_what_the_borrower_owes(amount, loans, expected):
    got = litigation(facts([event("lawsuit", "2026-03-01", amount=amount)], loans, owed="500000"),
                     POLICY.signals["REG-LITIGATION"])
    rows = ibis.duckdb.connect().to_pyarrow(got).to_pylist()
    assert (rows[0]["evidence"] if rows else None) == expected


@pytest.mark.parametrize("amount, expected", [
    ("500000", "lawsuit 2026-03-01 500,000.00 vs net assets 5,000,000.00 on 2025-12-31"),
    ("499999.99", None),
])
def test_litigation_against_net_assets(amount, expected):
    fin = financials({"C": ("2025-12-31", "5000000")})
    fin = fin.union(financials({"C": ("2026-06-30", "1")}))  # a statement after as_of is unknown
    got = litigation(facts([event("lawsuit", "2026-03-01", amount=amount),
                            event("lawsuit", "2026-03-01", amount="1", customer="NEW")]),
                     POLICY.signals["REG-LITIGATION"], fin)
    rows = {r["customer_id"]: r["evidence"] for r in ibis.duckdb.connect().to_pyarrow(got).to_pylist()}
    assert rows.get("C") == expected
    assert rows["NEW"] == "lawsuit 2026-03-01 1.00; net assets unknown"


@pytest.mark.parametrize("events, expected", [
    pytest.param([event("dishonest_debtor", "2026-04-01")], "dishonest_debtor 2026-04-01", id="dishonest"),
    pytest.param([event("enforcement", "2020-01-15"), event("dishonest_debtor", "2026-04-01")],
                 "enforcement 2020-01-15, dishonest_debtor 2026-04-01", id="ever"),
    pytest.param([event("lawsuit", "2026-04-01", amount="100")], None, id="a-lawsuit-is-not"),
    pytest.param([event("enforcement", "2026-06-11")], None, id="after-as-of"),
    pytest.param([event("enforcement", "2026-01-01", valid=(None, "2026-06-10"))],
                 None, id="ended-the-day-before"),
])
def test_enforcement(events, expected):
    got = fired(enforcement, "REG-ENFORCEMENT", events)
    assert got == (expected and ("critical", expected))


@pytest.mark.parametrize("events, expected", [
    pytest.param([event("admin_penalty", "2026-02-01")], ("medium", "admin_penalty 2026-02-01"),
                 id="penalty"),
    pytest.param([event("equity_freeze", "2026-05-01"), event("abnormal_operation", "2025-09-01")],
                 ("high", "abnormal_operation 2025-09-01, equity_freeze 2026-05-01"), id="freeze-is-high"),
    pytest.param([event("equity_freeze", "2025-06-10"), event("admin_penalty", "2026-02-01")],
                 ("medium", "admin_penalty 2026-02-01"), id="freeze-exactly-12-months-ago-out"),
    pytest.param([event("equity_pledge", "2026-02-01")], None, id="pledge-is-not"),
])
def test_penalty(events, expected):
    assert fired(penalty, "REG-PENALTY", events) == expected


def test_penalty_freeze_severity_is_policy():
    got = fired(penalty, "REG-PENALTY", [event("equity_freeze", "2026-05-01")],
                equity_freeze_severity=Severity.CRITICAL)
    assert got == ("critical", "equity_freeze 2026-05-01")


@pytest.mark.parametrize("events, expected", [
    pytest.param([event("address_change", "2026-03-11"), event("capital_change", "2026-06-10")],
                 "address_change 2026-03-11, capital_change 2026-06-10", id="within-3-months"),
    pytest.param([event("business_scope_change", "2026-03-10")], None, id="exactly-3-months-ago"),
    pytest.param([event("director_change", "2026-05-01")], None, id="other-kind"),
])
def test_major_change(events, expected):
    got = fired(major_change, "REG-MAJOR-CHANGE", events)
    assert got == (expected and ("low", expected))


def test_signals_are_group_e_with_titles_and_firing_columns():
    assert [s.id for s in SIGNALS] == ["REG-KEY-PERSON-CHURN", "REG-LITIGATION", "REG-ENFORCEMENT",
                                       "REG-PENALTY", "REG-MAJOR-CHANGE"]
    f = facts([event("lawsuit", "2026-03-01", amount="1")], (("active", 3),))
    for s in SIGNALS:
        assert s.title_zh and s.title_en and s.group == "registry"
        assert s.calculate(f, POLICY.signals[s.id]).schema() == FIRING
