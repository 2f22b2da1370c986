"""The fund-flow path of a FLOW-* alert: a loan's traced proceeds as a graph of accounts,
one edge per pair of accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from loanwatch.batch.drilldown import loan_proceeds
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy import Policy
from loanwatch.workflow import alerts as wa


@dataclass(frozen=True)
class FlowNode:
    """An account the proceeds reached (or the borrower's own, where they started)."""

    node_id: str
    name: str | None  # the holder's name, an individual's masked
    kind: str  # borrower, enterprise, individual, unknown
    customer_id: str | None
    column: int  # the hop at which the money first reached it (0: the borrower's account)


@dataclass(frozen=True)
class FlowEdge:
    """The moves from one account to another: their total, count and categories."""

    source: str
    target: str
    amount: Decimal
    moves: int
    categories: tuple[str, ...]
    first_at: dt.datetime | None


@dataclass(frozen=True)
class FlowPath:
    loan_id: str
    as_of: dt.date
    nodes: tuple[FlowNode, ...]
    edges: tuple[FlowEdge, ...]


def masked_name(name: str | None) -> str | None:
    """An individual's name as the console shows it: the surname kept (``张三丰`` → ``张**``)."""
    return name if not name else name[0] + "*" * (len(name) - 1)


def _node_of(move: Mapping[str, Any]) -> str:
    """A move's payee account, or a stand-in for an unidentified one (cash, unknown holder)."""
    return move["dst"] or f"({move['dst_name'] or move['channel'] or 'unknown'})"


def flow_path(trace: pa.Table, loan_id: str, as_of: dt.date, borrower: str) -> FlowPath:
    """The graph of a loan's traced proceeds (``batch.drilldown.loan_proceeds``): accounts as
    nodes, and per pair of accounts one edge with the moves between them — each transaction
    counted once, though the trace may follow it on several routes."""
    moves = trace.to_pylist()
    nodes = {m["src"]: FlowNode(m["src"], None, "borrower", borrower, 0)
             for m in moves if m["hop"] == 1 and m["src"]}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    counted: set[tuple[str, str, str]] = set()
    for m in moves:
        src, dst = m["src"] or "(unknown)", _node_of(m)
        kind = "borrower" if m["dst_customer"] == borrower else (m["dst_type"] or "unknown")
        name = masked_name(m["dst_name"]) if kind in ("individual", "borrower") else m["dst_name"]
        nodes.setdefault(src, FlowNode(src, None, "unknown", None, max(m["hop"] - 1, 0)))
        known = nodes.setdefault(dst, FlowNode(dst, name, kind, m["dst_customer"], m["hop"]))
        if known.name is None and name:
            nodes[dst] = replace(known, name=name)
        e = edges.setdefault((src, dst), {"amount": Decimal(0), "moves": 0, "categories": set(),
                                          "first_at": m["at"]})
        if (src, dst, m["txn_id"]) not in counted:
            counted.add((src, dst, m["txn_id"]))
            e["amount"] += m["move_amount"] or Decimal(0)
            e["moves"] += 1
        e["categories"].add(m["category"] or "use")
        if m["at"] is not None and (e["first_at"] is None or m["at"] < e["first_at"]):
            e["first_at"] = m["at"]
    return FlowPath(loan_id, as_of, tuple(nodes.values()), tuple(
        FlowEdge(s, d, e["amount"], e["moves"], tuple(sorted(e["categories"])), e["first_at"])
        for (s, d), e in edges.items()))


def alert_flow(con: duckdb.DuckDBPyConnection, alert: wa.Alert,
               policy: Policy) -> tuple[FlowPath | None, str | None]:
    """The fund-flow path of a FLOW-* alert's loan at the alert's last firing, or why there is
    none; ``(None, None)`` for other signals."""
    if not alert.signal_id.startswith("FLOW-"):
        return None, None
    if not alert.loan_id:
        return None, "the alert names no loan to trace"
    try:
        trace = loan_proceeds(DuckDBEngine.open(con=con), alert.loan_id, alert.last_seen_on,
                              policy)
    except Exception as e:  # the drill-down is an aid: the alert page must show anyway
        return None, f"the trace of loan {alert.loan_id} failed: {str(e).splitlines()[0]}"
    if not trace.num_rows:
        return None, (f"loan {alert.loan_id} has no traced proceeds as of "
                      f"{alert.last_seen_on.isoformat()}")
    return flow_path(trace, alert.loan_id, alert.last_seen_on, alert.customer_id), None
