"""The ``networks`` table: one row per customer in a group of related parties of two or more
(every member of a guarantee circle or chain is one), with its group, circle, longest
guarantee chain and what it guarantees."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.graph.groups import group_summary, related_groups
from loanwatch.graph.guarantee_circles import guarantee_positions

__all__ = ["NETWORK", "network_table"]

MONEY = pa.decimal128(18, 2)
NETWORK = pa.schema([
    ("customer_id", pa.string()), ("group_id", pa.string()), ("group_size", pa.int32()),
    ("group_borrowers", pa.int32()), ("group_exposure", MONEY), ("group_worst_class", pa.string()),
    ("in_circle", pa.bool_()), ("circle_id", pa.string()), ("circle_size", pa.int32()),
    ("circle_path", pa.string()), ("chain_length", pa.int32()), ("chain_path", pa.string()),
    ("guarantees_given", pa.int32()), ("guaranteed_exposure", MONEY)])


def network_table(edges: pa.Table, positions: pa.Table) -> pa.Table:
    """``NETWORK`` rows from the edges of D (``graph.edges.relationship_edges``) and the
    customers' positions (``graph.edges.customer_positions``), sorted by customer."""
    groups = related_groups(edges)
    t = groups.join(group_summary(groups, positions), "group_id", join_type="left outer")
    t = t.join(guarantee_positions(edges), "customer_id", join_type="left outer")
    given = positions.select(["customer_id", "guarantees_given", "guaranteed_exposure"])
    t = t.join(given, "customer_id", join_type="left outer")
    fills = {"in_circle": False, "chain_length": 1, "guarantees_given": 0,
             "guaranteed_exposure": pa.scalar(0, MONEY)}
    cols = [pc.fill_null(t[f.name], fills[f.name]) if f.name in fills else t[f.name]
            for f in NETWORK]
    out = pa.table([pc.cast(c, f.type) for c, f in zip(cols, NETWORK, strict=True)], schema=NETWORK)
    return out.sort_by("customer_id")
