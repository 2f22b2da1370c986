"""Builder of the ``networks`` mart: related-party groups, guarantee circles and chains per
customer at the date. The engine prepares the edges and the customers' positions (Ibis);
networkx finds the components, circles and chains on one machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.batch.dated import Stored, rows_on
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.graph.edges import customer_positions, relationship_edges
from loanwatch.graph.networks import network_table
from loanwatch.policy import Policy


def network_inputs(engine: AnalyticsEngine, day: dt.date) -> tuple[pa.Table, pa.Table]:
    """The relationship edges and each customer's position (exposure, worst class,
    guarantees) at ``day``, from the workspace's tables and the marts of the date."""
    snapshot = rows_on(engine, "loan_snapshot", day)
    guarantees = engine.table("guarantees")
    edges = engine.to_arrow(relationship_edges(engine.table("customers"), engine.table("relations"),
                                               guarantees, snapshot, day))
    positions = engine.to_arrow(customer_positions(
        snapshot, rows_on(engine, "classification", day), guarantees, day))
    return edges, positions


def networks(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
             stored: Stored) -> ir.Table:
    (day,) = dates
    t = network_table(*network_inputs(engine, day))
    as_of = pa.array([day] * t.num_rows, pa.date32())
    return ibis.memtable(t.add_column(0, "as_of", as_of))
