"""The graph's inputs at D: relations, guarantees and shared hashed identifiers as edges, and
the customers' positions — versions in force at D only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa

from loanwatch.graph.edges import EDGE, POSITION, customer_positions, relationship_edges

AS_OF = dt.date(2026, 6, 30)
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
CUSTOMER = pa.schema([("customer_id", pa.string()), ("customer_type", pa.string()),
                      ("phone", pa.string()), ("phone_hash", pa.string()),
                      ("id_number_hash", pa.string()), *VALID])
RELATION = pa.schema([("customer_id", pa.string()), ("related_customer_id", pa.string()),
                      ("kind", pa.string()), ("share", pa.decimal128(12, 8)), *VALID])
GUARANTEE = pa.schema([("guarantee_id", pa.string()), ("loan_id", pa.string()),
                       ("guarantor_customer_id", pa.string()), ("kind", pa.string()),
                       ("amount", MONEY), *VALID])
SNAPSHOT = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()), ("status", pa.string()),
                      ("outstanding_principal", MONEY), ("dpd", pa.int32())])
CLASSIFICATION = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                            ("five_class", pa.string())])


def _valid(valid):
    return {"_valid_from": valid[0] and D(valid[0]), "_valid_to": valid[1] and D(valid[1])}


def customer(cid, phone_hash=None, id_hash=None, phone="138****0000", valid=(None, None)):
    return {"customer_id": cid, "customer_type": "individual", "phone": phone,
            "phone_hash": phone_hash, "id_number_hash": id_hash, **_valid(valid)}


def relation(a, b, kind="shareholder", share=None, valid=(None, None)):
    return {"customer_id": a, "related_customer_id": b, "kind": kind,
            "share": None if share is None else Decimal(share), **_valid(valid)}


def guarantee(gid, loan, guarantor, kind="guarantee", valid=(None, None)):
    return {"guarantee_id": gid, "loan_id": loan, "guarantor_customer_id": guarantor, "kind": kind,
            "amount": Decimal("100"), **_valid(valid)}


def loan(loan_id, customer_id, outstanding="1000", status="active", dpd=0):
    return {"loan_id": loan_id, "customer_id": customer_id, "status": status,
            "outstanding_principal": Decimal(outstanding), "dpd": dpd}


def table(rows, schema):
    return ibis.memtable(pa.Table.from_pylist(list(rows), schema))


def run(expr) -> list[dict]:
    return ibis.duckdb.connect().to_pyarrow(expr).to_pylist()


def edge_set(customers=(), relations=(), guarantees=(), loans=()) -> set[tuple]:
    e = relationship_edges(table(customers, CUSTOMER), table(relations, RELATION),
                           table(guarantees, GUARANTEE), table(loans, SNAPSHOT), AS_OF)
    assert e.schema() == EDGE
    return {(r["src"], r["dst"], r["kind"], r["source"]) for r in run(e)}


def test_relations_in_force_with_their_share():
    e = relationship_edges(
        table([], CUSTOMER),
        table([relation("E1", "P1", share="0.6"), relation("E1", "P2", "spouse"),
               relation("E1", "P3", valid=("2026-07-01", None)),
               relation("E1", "P4", valid=(None, "2026-06-30"))], RELATION),
        table([], GUARANTEE), table([], SNAPSHOT), AS_OF)
    got = {(r["dst"], r["kind"], r["share"]) for r in run(e)}
    assert got == {("P1", "shareholder", Decimal("0.6")), ("P2", "spouse", None)}


def test_guarantee_edges_go_from_guarantor_to_borrower_of_loans_on_the_book():
    loans = [loan("L1", "B"), loan("L2", "C"), loan("L3", "D", status="settled"), loan("L4", "E")]
    guarantees = [guarantee("G1", "L1", "A"), guarantee("G2", "L2", "A", "pledge"),
                  guarantee("G3", "L3", "A"), guarantee("G4", "L4", "E", "mortgage")]
    assert edge_set(guarantees=guarantees, loans=loans) == {
        ("A", "B", "guarantee", "guarantees"), ("A", "C", "pledge", "guarantees")}


def test_a_guarantee_whose_version_starts_after_as_of_is_not_used():
    loans = [loan("L1", "B"), loan("L2", "C")]
    guarantees = [guarantee("G1", "L1", "A", valid=("2026-07-01", None)),
                  guarantee("G2", "L2", "A", valid=(None, "2026-07-01")),
                  guarantee("G2", "L2", "X", valid=("2026-07-01", None))]
    assert edge_set(guarantees=guarantees, loans=loans) == {("A", "C", "guarantee", "guarantees")}


def test_shared_phone_and_identity_hashes_link_customers_to_the_smallest_id():
    customers = [customer("K3", "h1"), customer("K1", "h1"), customer("K2", "h1"),
                 customer("K4", "h2", id_hash="i1"), customer("K5", None, id_hash="i1"),
                 customer("K6", "h9", valid=(None, "2026-06-01")), customer("K7", "h9")]
    assert edge_set(customers=customers) == {
        ("K2", "K1", "same_phone", "customers"), ("K3", "K1", "same_phone", "customers"),
        ("K5", "K4", "same_party", "customers")}


def test_clear_values_are_never_matched():
    # same masked text, different hashes: no edge
    assert edge_set(customers=[customer("K1", "h1"), customer("K2", "h2")]) == set()


def test_positions_exposure_worst_class_and_guarantees_given():
    snapshot = table([loan("L1", "B", "300.50"), loan("L2", "B", "200.25"),
                      loan("L3", "C", "999", status="settled"), loan("L4", "D", "50")], SNAPSHOT)
    cls = table([{"loan_id": "L1", "customer_id": "B", "five_class": "special_mention"},
                 {"loan_id": "L2", "customer_id": "B", "five_class": "substandard"},
                 {"loan_id": "L4", "customer_id": "D", "five_class": "normal"}], CLASSIFICATION)
    g = table([guarantee("G1", "L1", "A"), guarantee("G2", "L2", "A"), guarantee("G5", "L2", "A"),
               guarantee("G3", "L3", "A"), guarantee("G4", "L4", "B")], GUARANTEE)
    t = customer_positions(snapshot, cls, g, AS_OF)
    assert t.schema() == POSITION
    got = {r.pop("customer_id"): r for r in run(t)}
    assert got == {
        "A": {"borrower": False, "exposure": Decimal("0.00"), "worst_class": None,
              "guarantees_given": 2, "guaranteed_exposure": Decimal("500.75")},
        "B": {"borrower": True, "exposure": Decimal("500.75"), "worst_class": "substandard",
              "guarantees_given": 1, "guaranteed_exposure": Decimal("50.00")},
        "D": {"borrower": True, "exposure": Decimal("50.00"), "worst_class": "normal",
              "guarantees_given": 0, "guaranteed_exposure": Decimal("0.00")}}
