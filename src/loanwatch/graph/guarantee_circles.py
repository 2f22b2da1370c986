"""Guarantee circles (担保圈) and chains (担保链) on the guarantee edges (guarantor → borrower).

A circle is a strongly connected component of two or more customers: each of them stands,
through some path of guarantees, behind every other, so one default can come back round to
all. Its evidence path is the shortest cycle through its smallest customer id.

A chain is a path of guarantees between distinct parties. Chains are measured on the
condensation (each circle shrunk to one node), which is acyclic, so the longest chain through
every customer is found in linear time; a circle counts as one party of the chain, as it
stands or falls together. ``chain_length`` counts those parties (2: one guarantee).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["GUARANTEE_POSITION", "guarantee_graph", "guarantee_positions"]

GUARANTEE_POSITION = pa.schema([
    ("customer_id", pa.string()), ("in_circle", pa.bool_()), ("circle_id", pa.string()),
    ("circle_size", pa.int32()), ("circle_path", pa.string()), ("chain_length", pa.int32()),
    ("chain_path", pa.string())])
ARROW = " → "
SHOWN = 12  # parties shown on each side of a customer in a chain path


def guarantee_graph(edges: pa.Table) -> nx.DiGraph:
    """Guarantor → borrower, from the edges of ``source = 'guarantees'``, in sorted order so
    that every traversal is the same from run to run."""
    g = edges.filter(pc.equal(edges["source"], "guarantees"))
    pairs = sorted(set(zip(g["src"].to_pylist(), g["dst"].to_pylist(), strict=True)))
    graph = nx.DiGraph()
    graph.add_edges_from((s, d) for s, d in pairs if s != d)
    return graph


def _cycle(graph: nx.DiGraph, members: set[str]) -> list[str]:
    """The shortest cycle through the smallest member (ties: the smallest in list order)."""
    start = min(members)
    sub = graph.subgraph(members)
    paths = nx.single_source_shortest_path(sub, start)
    return min(paths[p] + [start] for p in sub.predecessors(start))


def _labels(dag: nx.DiGraph) -> dict[int, str]:
    """A condensation node's name in a chain path: the customer, or its circle."""
    out = {}
    for n, members in dag.nodes(data="members"):
        first = min(members)
        out[n] = first if len(members) == 1 else f"circle {first} ({len(members)})"
    return out


def _longest(dag: nx.DiGraph, order: Sequence[int], towards: str,
             key: dict[int, str]) -> tuple[dict[int, int], dict[int, int | None]]:
    """Per node: parties on the longest path ending at it (``towards='pred'``) or starting
    from it (``'succ'``), and the next node on that path (ties: the smallest label)."""
    step = dag.predecessors if towards == "pred" else dag.successors
    length: dict[int, int] = {}
    best: dict[int, int | None] = {}
    for n in order:
        top = min(step(n), key=lambda p: (-length[p], key[p]), default=None)
        length[n] = 1 + (length[top] if top is not None else 0)
        best[n] = top
    return length, best


def _walk(start: int, best: dict[int, int | None]) -> list[int]:
    out, n = [], best[start]
    while n is not None and len(out) < SHOWN:
        out.append(n)
        n = best[n]
    return out + ([-1] if n is not None else [])


def _chain_text(nodes: list[int], labels: dict[int, str]) -> str:
    return ARROW.join("…" if n == -1 else labels[n] for n in nodes)


def _circles(graph: nx.DiGraph, dag: nx.DiGraph) -> dict[str, tuple[str, int, str]]:
    """customer → (circle id, size, path text) for the members of a circle."""
    out = {}
    for _, members in dag.nodes(data="members"):
        if len(members) < 2:
            continue
        circle = (min(members), len(members), ARROW.join(_cycle(graph, members)))
        out |= dict.fromkeys(members, circle)
    return out


def _chains(dag: nx.DiGraph) -> dict[int, tuple[int, str]]:
    """Condensation node → (parties on its longest chain, path text) for chains of 2 or more."""
    labels = _labels(dag)
    order = list(nx.topological_sort(dag))
    up, before = _longest(dag, order, "pred", labels)
    down, after = _longest(dag, order[::-1], "succ", labels)
    out = {}
    for n in order:
        length = up[n] + down[n] - 1
        if length >= 2:
            nodes = _walk(n, before)[::-1] + [n] + _walk(n, after)
            out[n] = (length, _chain_text(nodes, labels))
    return out


def guarantee_positions(edges: pa.Table) -> pa.Table:
    """Per customer on a guarantee chain of two or more parties (``GUARANTEE_POSITION``):
    whether it is in a circle, the circle's id (its smallest customer id), size and cycle
    path, and the length and path of the longest chain through it."""
    graph = guarantee_graph(edges)
    dag = nx.condensation(graph)
    circles = _circles(graph, dag)
    chains = _chains(dag)
    rows: list[dict[str, Hashable]] = []
    for n, members in sorted(dag.nodes(data="members"), key=lambda x: min(x[1])):
        length, path = chains.get(n, (1, None))
        for m in sorted(members):
            cid, size, cpath = circles.get(m, (None, None, None))
            if cid is None and length < 2:
                continue
            rows.append({"customer_id": m, "in_circle": cid is not None, "circle_id": cid,
                         "circle_size": size, "circle_path": cpath, "chain_length": length,
                         "chain_path": path})
    return pa.Table.from_pylist(rows, GUARANTEE_POSITION)
