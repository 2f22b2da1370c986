"""A borrower's neighbourhood for the console: the customers within two edges of it, with
what they owe, their worst class and open signals, and the edges between them. Tables in
(the caller reads them), a plain JSON-ready record out."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Neighbourhood", "NetworkEdge", "NetworkNode", "neighbourhood"]


@dataclass(frozen=True)
class NetworkNode:
    customer_id: str
    depth: int  # edges from the borrower looked at
    customer_type: str | None = None
    name: str | None = None  # as stored: masked for individuals
    borrower: bool = False
    exposure: str = "0.00"  # outstanding principal of its loans on the book, exact text
    worst_class: str | None = None
    signals: tuple[str, ...] = ()  # ids of its open alerts


@dataclass(frozen=True)
class NetworkEdge:
    src: str
    dst: str
    kind: str
    source: str
    share: str | None = None


@dataclass(frozen=True)
class Neighbourhood:
    customer_id: str
    depth: int
    nodes: tuple[NetworkNode, ...] = ()
    edges: tuple[NetworkEdge, ...] = ()
    truncated: bool = False  # more customers were in reach than ``max_nodes``

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _touching(edges: pa.Table, ids: set[str]) -> pa.Table:
    keys = pa.array(sorted(ids), pa.string())
    return edges.filter(pc.or_(pc.is_in(edges["src"], keys), pc.is_in(edges["dst"], keys)))


def _reach(edges: pa.Table, start: str, depth: int) -> dict[str, int]:
    """Customer → edges from ``start``, up to ``depth``, in either direction."""
    seen, frontier = {start: 0}, {start}
    for level in range(1, depth + 1):
        near = _touching(edges, frontier)
        found = set(near["src"].to_pylist()) | set(near["dst"].to_pylist())
        frontier = found - seen.keys()
        seen |= dict.fromkeys(frontier, level)
    return seen


def _rows(t: pa.Table | None, ids: list[str]) -> list[dict[str, Any]]:
    if t is None:
        return []
    return t.filter(pc.is_in(t["customer_id"], pa.array(ids, pa.string()))).to_pylist()


def _signals(alerts: pa.Table | None, ids: list[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for r in _rows(alerts, ids):
        out.setdefault(r["customer_id"], set()).add(r["signal_id"])
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _node(cid: str, depth: int, who: dict[str, Any], pos: dict[str, Any] | None,
          signals: tuple[str, ...]) -> NetworkNode:
    return NetworkNode(
        customer_id=cid, depth=depth, customer_type=who.get("customer_type"),
        name=who.get("name"), borrower=bool(pos and pos.get("borrower")),
        exposure=f"{pos['exposure']:.2f}" if pos and pos.get("exposure") is not None else "0.00",
        worst_class=pos.get("worst_class") if pos else None, signals=signals)


def neighbourhood(customer_id: str, edges: pa.Table, customers: pa.Table | None = None,
                  positions: pa.Table | None = None, alerts: pa.Table | None = None, *,
                  depth: int = 2, max_nodes: int = 200) -> Neighbourhood:
    """The customers within ``depth`` edges of ``customer_id`` (closest first, then by id;
    at most ``max_nodes``) and every edge between two of them.

    ``edges``: ``src, dst, kind, share, source`` (``graph.edges.relationship_edges``);
    ``customers``: ``customer_id, customer_type, name``; ``positions``: ``customer_id,
    borrower, exposure, worst_class`` (``graph.edges.customer_positions``); ``alerts``: the
    open alerts' ``customer_id, signal_id``."""
    reach = _reach(edges, customer_id, depth)
    order = sorted(reach, key=lambda c: (reach[c], c))
    kept = order[:max_nodes]
    who = {r["customer_id"]: r for r in _rows(customers, kept)}
    pos = {r["customer_id"]: r for r in _rows(positions, kept)}
    sig = _signals(alerts, kept)
    nodes = tuple(_node(c, reach[c], who.get(c, {}), pos.get(c), sig.get(c, ())) for c in kept)
    keys = pa.array(kept, pa.string())
    e = edges.filter(pc.and_(pc.is_in(edges["src"], keys), pc.is_in(edges["dst"], keys)))
    links = {(r["src"], r["dst"], r["kind"], r["source"],
              None if r["share"] is None else f"{r['share'].normalize():f}") for r in e.to_pylist()}
    return Neighbourhood(customer_id, depth, nodes,
                         tuple(NetworkEdge(*x) for x in sorted(links, key=lambda x: x[:4])),
                         truncated=len(order) > max_nodes)
