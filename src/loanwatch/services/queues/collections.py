"""The collection queue (催收): the cases of a person's slice in working order, what
collection recovered, one case with its trail, and the events a person asks for by name.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from loanwatch.policy.workflow import Channel
from loanwatch.security.permissions import Permission, Principal
from loanwatch.services.queues.slice import Page, _new_owner, _page, _statuses, _trail, _visible, slice_of
from loanwatch.services.store import Store
from loanwatch.workflow import collection_queue as wq
from loanwatch.workflow import collections as wc
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import InvalidEvent


@dataclass(frozen=True)
class CaseFilter:
    bucket: str | None = None
    status: str = "live"  # live, all, or one CaseStatus
    owner: str | None = None


@dataclass(frozen=True)
class CaseQueue:
    items: list[wc.CollectionCase]
    page: Page
    expected_loss: Decimal  # of the cases that pass the filter
    by_bucket: dict[str, int]
    figures: wq.RecoveryFigures  # of every case of the slice
    buckets: list[str]
    owners: list[str]


def _priority(c: wc.CollectionCase) -> tuple[Any, ...]:
    return (-c.expected_loss, -c.dpd, c.case_id)


def case_queue(store: Store, con: duckdb.DuckDBPyConnection, who: Principal,
               f: CaseFilter = CaseFilter(), limit: int = 50, offset: int = 0) -> CaseQueue:
    """The collection cases of the slice (collectors see every one), the live ones in
    working order (``workflow.collections.queue``: largest expected loss first)."""
    status = _statuses(f.status, wc.CaseStatus, {"live": wc.LIVE, "all": None})
    sl = slice_of(con, who)
    with store.session() as s:
        cases = [c for c in s.cases.list(limit=None) if sl.sees_record(c)]
    chosen = [c for c in cases if (status is None or c.status in status)
              and f.bucket in (None, c.bucket) and f.owner in (None, c.owner)]
    ordered = wq.queue(chosen) if f.status == "live" else sorted(chosen, key=_priority)
    items, page = _page(ordered, limit, offset)
    return CaseQueue(list(items), page, sum((c.expected_loss for c in chosen), Decimal(0)),
                     dict(Counter(c.bucket for c in chosen)), wq.recovery_figures(cases),
                     sorted({c.bucket for c in cases}), sorted({c.owner for c in cases}))


def recovery(store: Store, con: duckdb.DuckDBPyConnection, who: Principal) -> wq.RecoveryFigures:
    """What collection achieved over the cases of the slice."""
    sl = slice_of(con, who)
    with store.session() as s:
        return wq.recovery_figures(c for c in s.cases.list(limit=None) if sl.sees_record(c))


@dataclass(frozen=True)
class CaseView:
    case: wc.CollectionCase
    trail: tuple[WriteAudit, ...] | None


def case_view(store: Store, con: duckdb.DuckDBPyConnection, who: Principal,
              case_id: str) -> CaseView:
    """A case of the slice; its audit trail for auditors and those who work cases."""
    case: wc.CollectionCase = _visible(store, slice_of(con, who), "collection_case", case_id)
    readable = who.can(Permission.VIEW_AUDIT) or who.can(Permission.ACT_COLLECTIONS)
    return CaseView(case, _trail(store, "collection_case", case_id) if readable else None)


def case_event(name: str, *, by: str, at: dt.datetime, version: int, channel: Channel | None = None,
               result: wc.ContactResult | None = None, note: str = "",
               amount: Decimal | None = None, due_on: dt.date | None = None,
               outcome: wc.Outcome | None = None, comment: str = "", to: str = "") -> Any:
    """The workflow event a person asks for by name: ``contact`` (channel, result, note),
    ``promise`` (amount, due_on), ``close`` (outcome, comment), ``reopen`` (comment: the
    reason), ``assign`` (to)."""
    common: dict[str, Any] = {"by": by, "at": at, "expected_version": version}
    needs = {"contact": {"channel": channel, "result": result},
             "promise": {"amount": amount, "due_on": due_on}, "close": {"outcome": outcome}}
    missing = [k for k, v in needs.get(name, {}).items() if v is None]
    if missing:
        raise InvalidEvent(f"{name} needs {' and '.join(missing)}")
    makers: dict[str, Callable[[], Any]] = {
        "contact": lambda: wc.LogContact(**common, channel=channel, result=result, note=note),
        "promise": lambda: wc.PromiseToPay(**common, amount=amount, due_on=due_on),
        "close": lambda: wc.Close(**common, outcome=outcome, comment=comment),
        "reopen": lambda: wc.Reopen(**common, reason=comment),
        "assign": lambda: wc.Assign(**common, to=_new_owner(to)),
    }
    if name not in makers:
        raise InvalidEvent(f"a collection case has no event {name!r}: {', '.join(makers)}")
    return makers[name]()
