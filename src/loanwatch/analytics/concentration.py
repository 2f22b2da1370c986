"""Concentration (集中度): the largest borrowers' share of the outstanding book.

Exposure is a borrower's outstanding principal over its active loans at D; the share is
over the whole active book. Industry and region exposures are in ``portfolio_metrics``."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import money

TOP = 10


def top_borrowers(snapshot: ir.Table, top: int = TOP) -> ir.Table:
    """Per as-of date, the ``top`` borrowers by exposure (ties by customer id) with their
    share and the cumulative share of the book."""
    book = snapshot.filter(snapshot.status == "active", snapshot.outstanding_principal > 0)
    exposure = book.group_by("as_of", "customer_id").aggregate(
        loans=book.count(), exposure=money(book.outstanding_principal.sum()))
    total = book.group_by("as_of").aggregate(book_total=money(book.outstanding_principal.sum()))
    order = ibis.window(group_by="as_of", order_by=[ibis.desc("exposure"), "customer_id"])
    ranked = exposure.mutate(rank=ibis.row_number().over(order) + 1)
    ranked = ranked.filter(ranked["rank"] <= top)
    running = ibis.window(group_by="as_of", order_by="rank", preceding=None, following=0)
    ranked = ranked.mutate(cumulative=money(ranked.exposure.sum().over(running)))
    t = ranked.join(total, "as_of")
    return t.select("as_of", "rank", "customer_id", "loans", "exposure",
                    share=t.exposure.cast("float64") / t.book_total.cast("float64"),
                    cumulative_share=t.cumulative.cast("float64") / t.book_total.cast("float64"))
