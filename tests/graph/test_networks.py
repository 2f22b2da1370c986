"""The networks table: groups of related parties with their exposure and worst class,
circles and chains, on hand-drawn portfolios."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa

from loanwatch.graph.edges import customer_positions, relationship_edges
from loanwatch.graph.groups import related_groups
from loanwatch.graph.networks import NETWORK, network_table
from tests.graph.test_edges import (
    CLASSIFICATION,
    CUSTOMER,
    GUARANTEE,
    RELATION,
    SNAPSHOT,
    customer,
    guarantee,
    loan,
    relation,
    table,
)

AS_OF = dt.date(2026, 6, 30)


def networks(customers=(), relations=(), guarantees=(), loans=(), classes=()) -> dict[str, dict]:
    con = ibis.duckdb.connect()
    snapshot, g = table(loans, SNAPSHOT), table(guarantees, GUARANTEE)
    cls = table([{"loan_id": lid, "customer_id": cid, "five_class": c} for lid, cid, c in classes],
                CLASSIFICATION)
    edges = con.to_pyarrow(relationship_edges(table(customers, CUSTOMER), table(relations, RELATION),
                                              g, snapshot, AS_OF))
    positions = con.to_pyarrow(customer_positions(snapshot, cls, g, AS_OF))
    t = network_table(edges, positions)
    assert t.schema == NETWORK
    return {r.pop("customer_id"): r for r in t.to_pylist()}


def test_a_shared_phone_hash_joins_two_borrowers_into_one_group():
    got = networks(customers=[customer("K1", "h1"), customer("K2", "h1"), customer("K3", "h2")],
                   loans=[loan("L1", "K1", "1000.10"), loan("L2", "K2", "2000.20"),
                          loan("L3", "K2", "5", status="settled"), loan("L4", "K3", "7")],
                   classes=[("L1", "K1", "normal"), ("L2", "K2", "doubtful"), ("L4", "K3", "loss")])
    assert set(got) == {"K1", "K2"}  # K3 is alone: no row
    for r in got.values():
        assert (r["group_id"], r["group_size"], r["group_borrowers"]) == ("K1", 2, 2)
        assert r["group_exposure"] == Decimal("3000.30")
        assert r["group_worst_class"] == "doubtful"
        assert not r["in_circle"] and r["chain_length"] == 1


def test_circle_members_with_group_and_guarantees_given():
    loans = [loan("LA", "A", "100"), loan("LB", "B", "200"), loan("LC", "C", "300")]
    got = networks(guarantees=[guarantee("G1", "LB", "A"), guarantee("G2", "LC", "B"),
                               guarantee("G3", "LA", "C")],
                   relations=[relation("C", "P", "legal_rep")], loans=loans,
                   classes=[("LA", "A", "normal"), ("LB", "B", "special_mention")])
    assert set(got) == {"A", "B", "C", "P"}
    assert [got[c]["in_circle"] for c in "ABCP"] == [True, True, True, False]
    assert got["B"]["circle_path"] == "A → B → C → A" and got["B"]["circle_id"] == "A"
    assert got["A"]["guarantees_given"] == 1 and got["A"]["guaranteed_exposure"] == Decimal("200.00")
    assert got["P"]["group_size"] == 4 and got["P"]["group_borrowers"] == 3
    assert got["P"]["group_exposure"] == Decimal("600.00")
    assert got["P"]["group_worst_class"] == "special_mention"


def test_chain_of_five_and_of_three():
    custs = "ABCDE"
    loans = [loan(f"L{c}", c) for c in custs + "XYZ"]
    links = [guarantee(f"G{a}", f"L{b}", a) for a, b in zip(custs, custs[1:], strict=False)]
    links += [guarantee("GX", "LY", "X"), guarantee("GY", "LZ", "Y")]
    got = networks(guarantees=links, loans=loans)
    assert {c: got[c]["chain_length"] for c in "ABCDEXYZ"} == {**dict.fromkeys("ABCDE", 5),
                                                               **dict.fromkeys("XYZ", 3)}
    assert got["E"]["chain_path"] == "A → B → C → D → E"


def test_groups_have_the_smallest_id_and_ignore_edge_direction():
    edges = pa.table({"src": ["Z", "M", "Q"], "dst": ["M", "B", "R"]})
    got = {r["customer_id"]: (r["group_id"], r["group_size"])
           for r in related_groups(edges).to_pylist()}
    assert got == {"B": ("B", 3), "M": ("B", 3), "Z": ("B", 3), "Q": ("Q", 2), "R": ("Q", 2)}
