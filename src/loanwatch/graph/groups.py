"""Groups of related parties (关联集团): customers tied by any edge — ownership, family,
guarantees, a shared phone — in either direction (weakly connected components), and what
the group owes together."""

from __future__ import annotations

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CLASSES", "GROUP", "group_summary", "related_groups"]

GROUP = pa.schema([("customer_id", pa.string()), ("group_id", pa.string()),
                   ("group_size", pa.int32())])
SUMMARY = pa.schema([("group_id", pa.string()), ("group_borrowers", pa.int32()),
                     ("group_exposure", pa.decimal128(18, 2)), ("group_worst_class", pa.string())])
CLASSES = pa.array(["normal", "special_mention", "substandard", "doubtful", "loss"])


def related_groups(edges: pa.Table) -> pa.Table:
    """Per customer in a group of two or more (``GROUP``); the group's id is its smallest
    customer id, so that reruns name it the same."""
    graph = nx.Graph()
    graph.add_edges_from(zip(edges["src"].to_pylist(), edges["dst"].to_pylist(), strict=True))
    customers, groups, sizes = [], [], []
    for members in nx.connected_components(graph):
        if len(members) < 2:
            continue
        first = min(members)
        customers += members
        groups += [first] * len(members)
        sizes += [len(members)] * len(members)
    t = pa.table([customers, groups, sizes], schema=GROUP)
    return t.sort_by([("group_id", "ascending"), ("customer_id", "ascending")])


def group_summary(groups: pa.Table, positions: pa.Table) -> pa.Table:
    """Per group (``SUMMARY``): its borrowers, their combined exposure and the worst class of
    their loans, from the customers' ``positions`` (``borrower, exposure, worst_class``)."""
    p = positions.select(["customer_id", "borrower", "exposure", "worst_class"])
    t = groups.select(["customer_id", "group_id"]).join(p, "customer_id", join_type="left outer")
    t = t.append_column("rank", pc.index_in(t["worst_class"], value_set=CLASSES))
    t = t.set_column(t.schema.get_field_index("borrower"), "borrower",
                     pc.cast(pc.fill_null(t["borrower"], False), pa.int32()))
    a = t.group_by("group_id").aggregate([("borrower", "sum"), ("exposure", "sum"),
                                          ("rank", "max")])
    worst = pc.take(CLASSES, a["rank_max"])
    exposure = pc.cast(pc.fill_null(a["exposure_sum"], 0), pa.decimal128(18, 2))
    return pa.table([a["group_id"], pc.cast(a["borrower_sum"], pa.int32()), exposure, worst],
                    schema=SUMMARY)
