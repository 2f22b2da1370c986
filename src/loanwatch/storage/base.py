"""The ports of the operational store: what the workflow services need to keep alerts and
their audit trail, whatever holds them (``Memory*`` doubles, ``Sql*`` adapters)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from loanwatch.workflow.alerts import Alert, AlertStatus
from loanwatch.workflow.audit import WriteAudit

#: how many records ``list`` returns unless told otherwise
DEFAULT_LIMIT = 100

T = TypeVar("T")


class RecordRepository(Protocol[T]):
    """Workflow records of one kind (tasks, collection cases, actions, inquiries) by id,
    saved with optimistic concurrency on their ``version``. Filters name columns: a value
    matches equal, a tuple any of its items, ``None`` null (``storage.records``)."""

    def get(self, record_id: str) -> T | None: ...

    def get_many(self, record_ids: Sequence[str]) -> dict[str, T]:
        """The records of these ids that exist, by id."""
        ...

    def add(self, record: T) -> None:
        """Store a new record; ``Conflict`` when one with its id exists."""
        ...

    def save(self, record: T, expected_version: int) -> None:
        """Replace the record if still at ``expected_version``, else ``Conflict``."""
        ...

    def list(self, *, limit: int | None = DEFAULT_LIMIT, order_by: Sequence[str] = (),
             **where: Any) -> builtins.list[T]:
        """Matching records sorted by ``order_by`` (``"-due_on"`` descending), then id."""
        ...

    def count(self, **where: Any) -> int: ...

    def index(self, *columns: str, **where: Any) -> builtins.list[dict[str, Any]]:
        """The named columns of each matching record, for bulk decisions."""
        ...

    def tuples(self, *columns: str, **where: Any) -> builtins.list[tuple[Any, ...]]:
        """As ``index``, as tuples in the order of ``columns``."""
        ...

    def add_many(self, records: Iterable[T],
                 bodies: Iterable[Mapping[str, Any]] | None = None) -> None:
        """Insert new records (generators welcome); an id that exists fails the call."""
        ...

    def save_many(self, changes: Sequence[tuple[T, int]]) -> builtins.list[str]:
        """Save each (record, expected version); return the ids that were not at it."""
        ...

    def touch_many(self, record_ids: Sequence[str], **values: Any) -> None:
        """Set bookkeeping columns without a new version (tables without a body only)."""
        ...

    def delete_many(self, record_ids: Sequence[str]) -> int: ...


class AlertRepository(Protocol):
    """Alerts by id, saved with optimistic concurrency on ``Alert.version``."""

    def get(self, alert_id: str) -> Alert | None:
        """The alert, or ``None`` when there is none with that id."""
        ...

    def add(self, alert: Alert) -> None:
        """Store a new alert; ``Conflict`` when one with its id exists (another sync won)."""
        ...

    def save(self, alert: Alert, expected_version: int) -> None:
        """Replace the stored alert if it is still at ``expected_version``, else raise
        ``Conflict`` and change nothing; ``LookupError`` when there is no such alert."""
        ...

    def find(self, signal_id: str, customer_id: str, loan_id: str | None) -> Alert | None:
        """The alert of a signal on a subject (the most recently (re)opened), for the sync to
        update or reopen; ``loan_id`` ``None`` means a customer-level alert."""
        ...

    def list(self, status: AlertStatus | None = None, owner: str | None = None,
             limit: int = DEFAULT_LIMIT) -> builtins.list[Alert]:
        """Alerts in a state and/or of an owner, most recently (re)opened first."""
        ...


class AuditLog(Protocol):
    """The append-only audit trail: rows are added, never changed or removed."""

    def append(self, row: WriteAudit) -> None:
        ...

    def append_many(self, rows: Sequence[WriteAudit]) -> None:
        """Append ``rows`` in their order, all or none."""
        ...

    def for_entity(self, entity: str, entity_id: str) -> builtins.list[WriteAudit]:
        """The rows of one record in the order they were appended."""
        ...
