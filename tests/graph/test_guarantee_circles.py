"""Guarantee circles and chains on hand-drawn guarantee graphs (guarantor → borrower)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from loanwatch.graph.guarantee_circles import GUARANTEE_POSITION, guarantee_positions

EDGE = pa.schema([("src", pa.string()), ("dst", pa.string()), ("kind", pa.string()),
                  ("share", pa.decimal128(12, 8)), ("source", pa.string())])


def edges(*pairs: str, source: str = "guarantees", kind: str = "guarantee") -> pa.Table:
    """``"A>B"``: A guarantees a loan of B."""
    rows = [{"src": p.split(">")[0], "dst": p.split(">")[1], "kind": kind, "share": None,
             "source": source} for p in pairs]
    return pa.Table.from_pylist(rows, EDGE)


def positions(t: pa.Table) -> dict[str, dict]:
    return {r.pop("customer_id"): r for r in guarantee_positions(t).to_pylist()}


def test_three_company_circle():
    got = positions(edges("A>B", "B>C", "C>A"))
    assert set(got) == {"A", "B", "C"}
    for r in got.values():
        assert r["in_circle"] and r["circle_id"] == "A" and r["circle_size"] == 3
        assert r["circle_path"] == "A → B → C → A"
        assert r["chain_length"] == 1 and r["chain_path"] is None


def test_mutual_guarantee_is_a_circle():
    got = positions(edges("B>A", "A>B"))
    assert got["A"]["in_circle"] and got["B"]["in_circle"]
    assert got["A"]["circle_path"] == "A → B → A"


def test_chain_of_five():
    got = positions(edges("A>B", "B>C", "C>D", "D>E"))
    assert {k: v["chain_length"] for k, v in got.items()} == dict.fromkeys("ABCDE", 5)
    assert got["C"]["chain_path"] == "A → B → C → D → E"
    assert not any(v["in_circle"] for v in got.values())


def test_longest_chain_through_each_customer():
    # X → B joins the chain A → B → C; D hangs off C; Y guarantees D only
    got = positions(edges("A>B", "X>B", "B>C", "C>D", "Y>D"))
    assert got["A"]["chain_length"] == 4 and got["A"]["chain_path"] == "A → B → C → D"
    assert got["X"]["chain_path"] == "X → B → C → D"
    assert got["Y"]["chain_length"] == 2 and got["Y"]["chain_path"] == "Y → D"
    assert got["B"]["chain_path"] == "A → B → C → D"  # ties go to the smallest id


def test_a_circle_counts_as_one_party_of_a_chain():
    got = positions(edges("A>B", "B>A", "B>C", "C>D", "Z>A"))
    assert got["C"]["chain_length"] == 4
    assert got["C"]["chain_path"] == "Z → circle A (2) → C → D"
    assert got["A"]["in_circle"] and got["A"]["chain_length"] == 4
    assert not got["C"]["in_circle"]


def test_relations_and_self_guarantees_make_no_chain():
    t = pa.concat_tables([edges("A>B", "B>A", source="relations", kind="shareholder"),
                          edges("C>C")])
    assert guarantee_positions(t).num_rows == 0
    assert guarantee_positions(t).schema == GUARANTEE_POSITION


def test_reruns_and_edge_order_give_the_same_table():
    pairs = ["A>B", "B>C", "C>A", "C>D", "D>E", "E>C", "F>A"]
    first = guarantee_positions(edges(*pairs))
    assert guarantee_positions(edges(*reversed(pairs))).equals(first)
    got = positions(edges(*pairs))
    assert got["D"]["circle_id"] == "A" and got["D"]["circle_size"] == 5
    assert got["D"]["circle_path"] == "A → B → C → A"


@pytest.mark.parametrize("n", [2, 3, 4])
def test_ring_of_n(n):
    ids = [f"K{i}" for i in range(n)]
    got = positions(edges(*(f"{a}>{b}" for a, b in zip(ids, ids[1:] + ids[:1], strict=True))))
    assert all(r["in_circle"] and r["circle_size"] == n for r in got.values())
