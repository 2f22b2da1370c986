"""The slice of the book a person sees, and the helpers every work list shares: a record
outside the slice is answered as if it did not exist (``LookupError``), so guessing ids reveals
nothing; lists page the rows they filtered and sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from loanwatch.policy import Policy
from loanwatch.security.permissions import Principal, Scope
from loanwatch.services.scope import owners_of, scope_sql
from loanwatch.services.store import Store
from loanwatch.services.work import Done, act
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import InvalidEvent

_REPO = {"alert": "alerts", "task": "tasks", "collection_case": "cases"}
#: the longest id (and owner) the store's columns hold
MAX_ID = 64


@dataclass(frozen=True)
class Slice:
    """The records a person sees: everything; or those they own, of their branch, or about
    the borrowers and loans of their slice of the book (``Principal.sees``)."""

    everything: bool = False
    owners: frozenset[str] = frozenset()
    branch_id: str | None = None
    customers: frozenset[str] = frozenset()
    loans: frozenset[str] = frozenset()

    def sees(self, owner: str, branch_id: str | None, customer_id: str,
             loan_id: str | None) -> bool:
        if self.everything or owner in self.owners:
            return True
        if self.branch_id is not None and branch_id == self.branch_id:
            return True
        return customer_id in self.customers or (loan_id is not None and loan_id in self.loans)

    def sees_row(self, row: Mapping[str, Any]) -> bool:
        return self.sees(row["owner"], row.get("branch_id"), row["customer_id"], row["loan_id"])

    def sees_record(self, record: Any) -> bool:
        return self.sees(record.owner, getattr(record, "branch_id", None), record.customer_id,
                         record.loan_id)


def slice_of(con: duckdb.DuckDBPyConnection, who: Principal) -> Slice:
    """``who``'s slice: the borrowers and loans the marts give their branch or manager code
    (current versions), and the records they own themselves."""
    if who.scope is Scope.ALL:
        return Slice(everything=True)
    cond, params = scope_sql(who)
    customers_sql = f"SELECT customer_id FROM customers WHERE _valid_to IS NULL AND {cond}"
    try:
        customers = {r[0] for r in con.execute(customers_sql, params).fetchall()}
        loans = con.execute(f"""SELECT loan_id, customer_id FROM loans WHERE _valid_to IS NULL
                                AND ({cond} OR customer_id IN ({customers_sql}))""",
                            params + params).fetchall()
    except duckdb.CatalogException:  # no data imported yet
        customers, loans = set(), []
    owners = owners_of(who) or _mine(who)
    return Slice(owners=frozenset(owners),
                 branch_id=who.branch_id if who.scope is Scope.BRANCH else None,
                 customers=frozenset(customers | {c for _, c in loans}),
                 loans=frozenset(loan for loan, _ in loans))


def _new_owner(to: str) -> str:
    """Whom work is given to: someone, by an id the store can hold."""
    to = to.strip()
    if not to:
        raise InvalidEvent("the person to assign to cannot be blank")
    if len(to) > MAX_ID:
        raise InvalidEvent(f"{to[:MAX_ID]}… is longer than a user id or a manager code can be")
    return to


def _mine(who: Principal) -> tuple[str, ...]:
    """The owner values that mean ``who``: their user id and their manager code."""
    return tuple(x for x in (who.user_id, who.manager_id) if x)


def _visible(store: Store, sl: Slice, entity: str, record_id: str) -> Any:
    # an id no record can have (too long, control characters) is not looked up at all
    usable = len(record_id) <= MAX_ID and record_id.isprintable()
    with store.session() as s:
        record = getattr(s, _REPO[entity]).get(record_id) if usable else None
    if record is None or not sl.sees_record(record):
        raise LookupError(f"there is no {entity.replace('_', ' ')} {record_id}")
    return record


def _trail(store: Store, entity: str, record_id: str) -> tuple[WriteAudit, ...]:
    with store.session() as s:
        return tuple(s.audit.for_entity(entity, record_id))


def _load(repo: Any, ids: Sequence[str]) -> list[Any]:
    """The records of ``ids``, in that order."""
    found = repo.get_many(ids) if ids else {}
    return [found[i] for i in ids if i in found]


def act_visible(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, entity: str,
                record_id: str, event: Callable[[], Any], policy: Policy) -> Done:
    """A person's event on a record of their slice (``services.work.act``). A record outside
    it is ``LookupError``, as a missing one, before ``event`` (a function making the event,
    which may find it incomplete) is even asked."""
    _visible(store, slice_of(con, who), entity, record_id)
    return act(store, entity, record_id, event(), policy)


@dataclass(frozen=True)
class Page:
    total: int
    limit: int
    offset: int


def _page(rows: Sequence[Any], limit: int, offset: int) -> tuple[Sequence[Any], Page]:
    if limit < 1 or offset < 0:
        raise ValueError(f"a page needs limit ≥ 1 and offset ≥ 0, not {limit} and {offset}")
    return rows[offset:offset + limit], Page(len(rows), limit, offset)


def _statuses(value: str, named: Iterable[str],
              groups: Mapping[str, Iterable[str] | None]) -> tuple[str, ...] | None:
    """A status filter as the statuses it keeps (``None``: all): a group's name (``live``,
    ``open``, ``all``) or one status."""
    if value in groups:
        group = groups[value]
        return None if group is None else tuple(sorted(str(s) for s in group))
    if value in {str(n) for n in named}:
        return (value,)
    raise ValueError(f"status {value!r} is not one of: {', '.join([*groups, *map(str, named)])}")
