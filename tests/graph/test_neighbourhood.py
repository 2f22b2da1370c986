"""A borrower's neighbourhood for the console, on a hand-drawn network."""

from __future__ import annotations

import json
from decimal import Decimal

import pyarrow as pa

from loanwatch.graph.neighbourhood import neighbourhood

EDGE = pa.schema([("src", pa.string()), ("dst", pa.string()), ("kind", pa.string()),
                  ("share", pa.decimal128(12, 8)), ("source", pa.string())])
# B borrows; A guarantees it; A's shareholder P; P's spouse S (depth 2 from A, 3 from B);
# B shares a phone with Q; Q guarantees R (depth 2)
EDGES = pa.Table.from_pylist([
    {"src": "A", "dst": "B", "kind": "guarantee", "share": None, "source": "guarantees"},
    {"src": "A", "dst": "P", "kind": "shareholder", "share": Decimal("0.6"), "source": "relations"},
    {"src": "P", "dst": "S", "kind": "spouse", "share": None, "source": "relations"},
    {"src": "Q", "dst": "B", "kind": "same_phone", "share": None, "source": "customers"},
    {"src": "Q", "dst": "R", "kind": "guarantee", "share": None, "source": "guarantees"},
    {"src": "X", "dst": "Y", "kind": "family", "share": None, "source": "relations"},
], EDGE)
CUSTOMERS = pa.table({"customer_id": ["A", "B", "P"], "customer_type": ["enterprise"] * 2 + ["individual"],
                      "name": ["甲公司", "乙公司", "张*"]})
POSITIONS = pa.Table.from_pylist([
    {"customer_id": "B", "borrower": True, "exposure": Decimal("1200.50"), "worst_class": "substandard"},
    {"customer_id": "R", "borrower": True, "exposure": Decimal("10.00"), "worst_class": "normal"},
], pa.schema([("customer_id", pa.string()), ("borrower", pa.bool_()),
              ("exposure", pa.decimal128(18, 2)), ("worst_class", pa.string())]))
ALERTS = pa.table({"customer_id": ["B", "B", "A", "S"],
                   "signal_id": ["REPAY-OVERDUE", "GUAR-DISTRESS", "BUREAU-INQUIRY-SPIKE", "X"]})


def test_nodes_and_edges_within_two_steps():
    n = neighbourhood("B", EDGES, CUSTOMERS, POSITIONS, ALERTS)
    assert [(x.customer_id, x.depth) for x in n.nodes] == [
        ("B", 0), ("A", 1), ("Q", 1), ("P", 2), ("R", 2)]
    b = n.nodes[0]
    assert (b.customer_type, b.name, b.borrower, b.exposure, b.worst_class, b.signals) == (
        "enterprise", "乙公司", True, "1200.50", "substandard", ("GUAR-DISTRESS", "REPAY-OVERDUE"))
    assert n.nodes[1].signals == ("BUREAU-INQUIRY-SPIKE",) and n.nodes[1].exposure == "0.00"
    assert {(e.src, e.dst, e.kind, e.share) for e in n.edges} == {
        ("A", "B", "guarantee", None), ("A", "P", "shareholder", "0.6"),
        ("Q", "B", "same_phone", None), ("Q", "R", "guarantee", None)}
    assert not n.truncated


def test_depth_one_and_a_cap_on_nodes():
    assert [x.customer_id for x in neighbourhood("B", EDGES, depth=1).nodes] == ["B", "A", "Q"]
    capped = neighbourhood("B", EDGES, max_nodes=2)
    assert [x.customer_id for x in capped.nodes] == ["B", "A"] and capped.truncated
    assert [(e.src, e.dst) for e in capped.edges] == [("A", "B")]


def test_a_customer_without_edges_and_json():
    lone = neighbourhood("Z", EDGES)
    assert [x.customer_id for x in lone.nodes] == ["Z"] and lone.edges == ()
    d = json.loads(json.dumps(neighbourhood("B", EDGES, CUSTOMERS, POSITIONS, ALERTS).to_dict()))
    assert d["customer_id"] == "B" and len(d["nodes"]) == 5 and len(d["edges"]) == 4
