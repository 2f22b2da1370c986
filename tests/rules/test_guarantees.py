"""Group H, guarantors (GUAR-*): guarantee circles and chains from the networks mart, and a
guarantor's distress spreading to the loans it guarantees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.graph.edges import customer_positions, relationship_edges
from loanwatch.graph.networks import network_table
from loanwatch.policy import load_default_policy
from loanwatch.rules.guarantees import SIGNALS, guarantee_circle, guarantor_distress
from loanwatch.rules.signal import FIRING, Facts

AS_OF = dt.date(2026, 6, 30)
POLICY = load_default_policy()
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
SNAPSHOT = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()), ("status", pa.string()),
                      ("outstanding_principal", MONEY), ("dpd", pa.int32())])
GUARANTEE = pa.schema([("guarantee_id", pa.string()), ("loan_id", pa.string()),
                       ("guarantor_customer_id", pa.string()), ("kind", pa.string()),
                       ("amount", MONEY), *VALID])
FIRED = pa.schema([("signal_id", pa.string()), ("group", pa.string()), ("customer_id", pa.string()),
                   ("loan_id", pa.string()), ("severity", pa.string()), ("evidence", pa.string()),
                   ("actions", pa.list_(pa.string()))])
EMPTY = pa.schema([("customer_id", pa.string()), ("loan_id", pa.string()),
                   ("five_class", pa.string())])
KEYS = ibis.memtable(EMPTY.empty_table())


def table(rows, schema):
    return None if rows is None else ibis.memtable(pa.Table.from_pylist(list(rows), schema))


def loan(loan_id, customer_id, outstanding="1000", dpd=0, status="active"):
    return {"loan_id": loan_id, "customer_id": customer_id, "status": status,
            "outstanding_principal": Decimal(outstanding), "dpd": dpd}


def guarantee(gid, loan_id, guarantor, kind="guarantee", valid=(None, None)):
    return {"guarantee_id": gid, "loan_id": loan_id, "guarantor_customer_id": guarantor,
            "kind": kind, "amount": Decimal("100"),
            "_valid_from": valid[0] and D(valid[0]), "_valid_to": valid[1] and D(valid[1])}


def fired(signal_id, customer_id, severity, loan_id=None):
    return {"signal_id": signal_id, "group": "x", "customer_id": customer_id, "loan_id": loan_id,
            "severity": severity, "evidence": "", "actions": []}


def facts(loans, guarantees=None, fired_rows=None, networks=None) -> Facts:
    return Facts(as_of=AS_OF, snapshot=table(loans, SNAPSHOT), classification=KEYS,
                 class_events=KEYS, ratings=KEYS, previous_ratings=KEYS, loans=KEYS, customers=KEYS,
                 bureau_reports=KEYS, registry_events=KEYS, guarantees=table(guarantees, GUARANTEE),
                 firings=table(fired_rows, FIRED), networks=networks)


def run(calc, signal_id: str, f: Facts) -> dict[tuple, tuple[str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, POLICY.signals[signal_id])).to_pylist()
    return {(r["customer_id"], r["loan_id"]): (r["severity"], r["evidence"]) for r in rows}


def networks_of(loans, guarantees) -> ibis.Table:
    """The networks mart the batch would store for these loans and guarantees."""
    con = ibis.duckdb.connect()
    snapshot, g = table(loans, SNAPSHOT), table(guarantees, GUARANTEE)
    none = pa.schema([("customer_id", pa.string()), ("related_customer_id", pa.string()),
                      ("kind", pa.string()), ("share", pa.decimal128(12, 8)), *VALID])
    customers = pa.schema([("customer_id", pa.string()), ("phone_hash", pa.string()), *VALID])
    edges = con.to_pyarrow(relationship_edges(table([], customers), table([], none), g, snapshot,
                                              AS_OF))
    positions = con.to_pyarrow(customer_positions(snapshot, KEYS, g, AS_OF))
    return ibis.memtable(network_table(edges, positions))


def ring(members: str, closed: bool) -> tuple[list[dict], list[dict]]:
    """Each member guarantees the next one's loan (and the last the first's, if ``closed``)."""
    loans = [loan(f"L{m}", m, "1000.50") for m in members]
    pairs = zip(members, members[1:] + (members[0] if closed else ""), strict=False)
    return loans, [guarantee(f"G{a}{b}", f"L{b}", a) for a, b in pairs]


# --- GUAR-CIRCLE -------------------------------------------------------------------------

def test_three_company_circle_fires_for_each_borrower():
    loans, links = ring("ABC", closed=True)
    got = run(guarantee_circle, "GUAR-CIRCLE", facts(loans, networks=networks_of(loans, links)))
    assert set(got) == {("A", None), ("B", None), ("C", None)}
    assert got[("B", None)] == (
        "medium", "guarantee circle A → B → C → A (3 members); own exposure 1,000.50; "
        "group of 3 related customers, 3 borrowers, exposure 3,001.50")


def test_mutual_guarantee_fires_for_both():
    loans, links = ring("AB", closed=True)
    got = run(guarantee_circle, "GUAR-CIRCLE", facts(loans, networks=networks_of(loans, links)))
    assert set(got) == {("A", None), ("B", None)}


@pytest.mark.parametrize("members, fires", [("ABCDE", True), ("ABCD", True), ("ABC", False)])
def test_chain_fires_from_four_parties(members, fires):
    loans, links = ring(members, closed=False)
    got = run(guarantee_circle, "GUAR-CIRCLE", facts(loans, networks=networks_of(loans, links)))
    assert set(got) == ({(m, None) for m in members} if fires else set())


def test_chain_evidence_and_a_member_without_a_loan_does_not_fire():
    loans, links = ring("ABCDE", closed=False)
    loans = [x for x in loans if x["customer_id"] != "A"] + [loan("LA", "A", status="settled")]
    links = [guarantee("GAB", "LB", "A")] + links[1:]
    got = run(guarantee_circle, "GUAR-CIRCLE", facts(loans, networks=networks_of(loans, links)))
    assert ("A", None) not in got and len(got) == 4
    assert got[("C", None)][1] == (
        "guarantee chain of 5: A → B → C → D → E; own exposure 1,000.50; "
        "group of 5 related customers, 4 borrowers, exposure 4,002.00")


def test_no_networks_no_firings():
    loans, _ = ring("ABC", closed=True)
    assert run(guarantee_circle, "GUAR-CIRCLE", facts(loans)) == {}


# --- GUAR-DISTRESS -----------------------------------------------------------------------

BOOK = [loan("L1", "B"), loan("L2", "G", "500", dpd=0), loan("L3", "G", "500", dpd=12)]


@pytest.mark.parametrize("loans, fired_rows, expected", [
    pytest.param(BOOK, [], "guarantor G (G1): overdue 12 days (L3)", id="guarantor-overdue"),
    pytest.param(BOOK[:2], [fired("BUREAU-INQUIRY-SPIKE", "G", "medium")], None,
                 id="medium-signal-does-not"),
    pytest.param(BOOK[:2], [fired("COLL-STATUS", "G", "critical", "L2"),
                            fired("REPAY-REPEAT", "G", "high", "L2"),
                            fired("REPAY-OVERDUE", "B", "critical", "L1")],
                 "guarantor G (G1): fires COLL-STATUS, REPAY-REPEAT", id="critical-signal-fires"),
    pytest.param(BOOK[:2], [fired("GUAR-DISTRESS", "G", "high", "L2"),
                            fired("GUAR-CIRCLE", "G", "critical")], None,
                 id="guar-firings-do-not-feed-back"),
    pytest.param(BOOK, [fired("FIN-LOSS", "G", "high")],
                 "guarantor G (G1): overdue 12 days (L3); fires FIN-LOSS", id="both"),
    pytest.param([loan("L1", "B"), loan("L3", "G", dpd=12, status="settled")], [], None,
                 id="settled-loan-of-guarantor-does-not"),
    pytest.param([loan("L1", "B", status="settled"), *BOOK[1:]], [], None,
                 id="guaranteed-loan-not-on-the-book"),
])
def test_guarantor_distress(loans, fired_rows, expected):
    got = run(guarantor_distress, "GUAR-DISTRESS", facts(loans, [guarantee("G1", "L1", "G")],
                                                         fired_rows))
    assert got == ({} if expected is None else {("B", "L1"): ("high", expected)})


def test_a_guarantee_in_force_only_after_as_of_is_not_used():
    g = [guarantee("G1", "L1", "G", valid=("2026-07-01", None)),
         guarantee("G9", "L1", "H", valid=(None, "2026-07-01"))]
    got = run(guarantor_distress, "GUAR-DISTRESS",
              facts([*BOOK, loan("L4", "H", dpd=3)], g, []))
    assert got == {("B", "L1"): ("high", "guarantor H (G9): overdue 3 days (L4)")}


def test_third_party_pledgor_counts_and_own_pledge_does_not():
    g = [guarantee("G1", "L1", "G", "mortgage"), guarantee("G2", "L3", "G", "pledge"),
         guarantee("G3", "L1", "K")]
    got = run(guarantor_distress, "GUAR-DISTRESS",
              facts([*BOOK, loan("L5", "K", dpd=40)], g, [fired("FIN-LOSS", "K", "critical")]))
    assert got == {("B", "L1"): ("high", "guarantor G (G1): overdue 12 days (L3); "
                                         "guarantor K (G3): overdue 40 days (L5); fires FIN-LOSS")}


def test_the_threshold_comes_from_the_policy():
    entry = POLICY.signals["GUAR-DISTRESS"]
    lower = entry.model_copy(update={"params": entry.params.model_copy(
        update={"min_guarantor_severity": "medium"})})
    f = facts(BOOK[:2], [guarantee("G1", "L1", "G")], [fired("BUREAU-INQUIRY-SPIKE", "G", "medium")])
    rows = ibis.duckdb.connect().to_pyarrow(guarantor_distress(f, lower)).to_pylist()
    assert [r["evidence"] for r in rows] == ["guarantor G (G1): fires BUREAU-INQUIRY-SPIKE"]


def test_without_firings_only_overdue_counts_and_without_guarantees_nothing():
    assert run(guarantor_distress, "GUAR-DISTRESS", facts(BOOK, [guarantee("G1", "L1", "G")])) == {
        ("B", "L1"): ("high", "guarantor G (G1): overdue 12 days (L3)")}
    assert run(guarantor_distress, "GUAR-DISTRESS", facts(BOOK)) == {}


def test_signals_are_group_h_with_titles_and_firing_columns():
    assert [s.id for s in SIGNALS] == ["GUAR-DISTRESS", "GUAR-CIRCLE"]
    assert [s.reads_firings for s in SIGNALS] == [True, False]
    loans, links = ring("ABC", closed=True)
    full = facts(loans, links, [], networks_of(loans, links))
    for s in SIGNALS:
        assert s.title_zh and s.title_en and s.group == "guarantee"
        assert s.calculate(full, POLICY.signals[s.id]).schema() == FIRING
        assert s.calculate(facts(loans), POLICY.signals[s.id]).schema() == FIRING
