"""What the post-loan work commands (``sync``, ``store``, ``alerts``, ``tasks``,
``collections``, ``actions``, ``inquiry``, ``retention``) share: opening the operational store,
the actor and ``--version`` options, applying a person's event, error mapping and tables.

A person's event applies to the version of the record they looked at: ``--version N`` makes a
concurrent edit a conflict; without it the current version is read first."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import psycopg
import sqlalchemy as sa
import typer
from alembic.util import CommandError
from rich.table import Table as RichTable

from loanwatch.cli.common import cells, errors, fail, open_workspace, out, workspace_policy
from loanwatch.ingest.errors import first_line
from loanwatch.policy import Policy
from loanwatch.services.store import STORE_URL_VARIABLE, SqlStore, open_store
from loanwatch.services.work import Done, act
from loanwatch.workflow import actions as wa
from loanwatch.workflow.audit import WriteAudit, plain
from loanwatch.workflow.errors import WorkflowError
from loanwatch.workflow.inquiries import QueryBureau
from loanwatch.workspace import Workspace

USER_VARIABLE = "LOANWATCH_USER"


def _default_user() -> str:
    try:
        return os.environ.get(USER_VARIABLE) or getpass.getuser()
    except OSError:
        return "unknown"


StoreOpt = Annotated[str | None, typer.Option(
    "--store-url", show_default=False,
    help=f"业务库 Store, a SQLAlchemy URL (default: ${STORE_URL_VARIABLE}, else the workspace's "
         "SQLite file).")]
UserOpt = Annotated[str, typer.Option(
    "--as", default_factory=_default_user, show_default=False,
    help=f"操作人 Who acts (default: ${USER_VARIABLE}, else your login).")]
VersionOpt = Annotated[int | None, typer.Option(
    "--version", min=1, help="版本 The version you looked at: pass it to be protected from "
                             "concurrent edits (default: the current one, read first).")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")]
Id = Annotated[str, typer.Argument(help="Record id.")]

E = TypeVar("E", bound=Enum)


# --- plumbing -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Ctx:
    ws: Workspace
    policy: Policy
    store: SqlStore


def _masked(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unreadable URL>"


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except WorkflowError as e:  # IllegalTransition, Conflict, SelfApproval, InvalidEvent, OutOfOrder
        raise fail(str(e)) from None
    except LookupError as e:  # no such record
        if isinstance(e, KeyError):
            raise
        raise fail(str(e)) from None
    except (sa.exc.SQLAlchemyError, CommandError, psycopg.Error, sqlite3.Error) as e:
        # the drivers' own errors too: bulk writes may go round SQLAlchemy (PostgreSQL COPY)
        raise fail(f"store: {first_line(getattr(e, 'orig', None) or e)}", code=1) from None


@contextmanager
def _work(workspace: Path, url: str | None) -> Iterator[_Ctx]:
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), _errors():
        store = open_store(ws.root, url)
        try:
            yield _Ctx(ws, pol, store)
        finally:
            store.close()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _enum(cls: type[E], value: str | None, option: str) -> E | None:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not one of: {', '.join(m.value for m in cls)}") from None


def _pairs(items: list[str] | None, option: str) -> list[tuple[str, str]]:
    found = []
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise fail(f"{option} {item!r}: expected KEY=VALUE")
        found.append((key.strip(), value.strip()))
    return found


def _amount(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise fail(f"{what} {text!r} is not an amount") from None
    if not value.is_finite():
        raise fail(f"{what} {text!r} is not an amount")
    return value


def _fmt(v: Any) -> str:
    if v is None or v == ():
        return "—"
    if isinstance(v, Enum):
        return str(v.value)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, Decimal):
        return f"{v:,.2f}"
    if isinstance(v, dt.datetime):
        return v.isoformat(" ", "seconds")
    if isinstance(v, tuple | list):
        return "; ".join("=".join(map(_fmt, x)) if isinstance(x, tuple) else _fmt(x) for x in v)
    return str(v)


def _short(v: Any, width: int = 60) -> str:
    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(title: str | None, columns: tuple[str, ...], rows: list[list[Any]]) -> RichTable:
    t = RichTable(title=title)
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*cells(*(_fmt(v) for v in row)))
    return t


def _trail(rows: list[WriteAudit]) -> RichTable:
    def changes(r: WriteAudit) -> str:
        if not r.before:
            return "created"
        keys = [k for k in {**r.before, **r.after} if k != "version"]
        return ", ".join(f"{k}: {_short(r.before.get(k))} → {_short(r.after.get(k))}" for k in keys)
    return _table("audit trail 审计记录", ("at", "actor", "action", "changes"),
                  [[r.at, r.actor, r.action, changes(r)] for r in rows])


def _show(title: str, record: Any, trail: list[WriteAudit],
          extra: tuple[tuple[str, Any], ...] = ()) -> None:
    """Every field of a record, its lists of notes/contacts/… as tables, then its audit trail."""
    main = RichTable(title=title, show_header=False)
    main.add_column(style="bold")
    main.add_column(overflow="fold")
    lists = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            lists.append((f.name, value))
        else:
            main.add_row(*cells(f.name, _fmt(value)))
    for name, value in extra:
        main.add_row(*cells(name, _fmt(value)))
    out.print(main)
    for name, items in lists:
        names = tuple(f.name for f in dataclasses.fields(items[0]))
        out.print(_table(name, names, [[getattr(i, n) for n in names] for i in items]))
    out.print(_trail(trail))


_REPO = {"alert": "alerts", "task": "tasks", "collection_case": "cases", "loan_action": "actions",
         "bureau_inquiry": "inquiries"}
_LABEL = {"alert": "预警 alert", "task": "任务 task", "collection_case": "催收 case",
          "loan_action": "处置 action", "bureau_inquiry": "征信 inquiry"}


def _load(c: _Ctx, entity: str, record_id: str, with_trail: bool = False) -> Any:
    with c.store.session() as s:
        record = getattr(s, _REPO[entity]).get(record_id)
        trail = s.audit.for_entity(entity, record_id) if with_trail else []
    if record is None:
        raise LookupError(f"there is no {entity.replace('_', ' ')} {record_id}")
    return (record, trail) if with_trail else record


def _describe(effect: Any) -> str:
    kind = "指令 instruction" if isinstance(effect, wa.Execution | QueryBureau) else "通知 notice"
    fields = ", ".join(f"{k}={_short(v)}" for k, v in plain(effect).items() if v not in (None, [], ""))
    return f"{kind}: {type(effect).__name__} {fields}"


def _report(entity: str, record_id: str, done: Done) -> None:
    r = done.record
    out.print(f"{_LABEL[entity]} {record_id}: {r.status.value} (version {r.version})",
              highlight=False)
    for effect in done.effects:
        out.print(f"  {_describe(effect)}", highlight=False)


def _outbox(ws: Workspace, effects: tuple[Any, ...], **source: str) -> None:
    """Append the instructions for other systems to ``WS/outbox/instructions.jsonl``."""
    lines = [json.dumps({"instruction": type(e).__name__, **source, **plain(e)}, ensure_ascii=False)
             for e in effects if isinstance(e, wa.Execution | QueryBureau)]
    if not lines:
        return
    path = ws.root / "outbox" / "instructions.jsonl"
    path.parent.mkdir(exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    out.print(f"{len(lines)} instruction(s) → {path}", highlight=False)


def _apply(c: _Ctx, entity: str, record_id: str, version: int | None, event: Callable[..., Any],
           user: str, **fields: Any) -> Done:
    """Load → version → act: the person's event on the record, at ``version`` if given."""
    expected = version if version is not None else _load(c, entity, record_id).version
    return act(c.store, entity, record_id, event(by=user, at=_now(), expected_version=expected,
                                                 **fields), c.policy)


def _person(workspace: Path, url: str | None, entity: str, record_id: str, version: int | None,
            event: Callable[..., Any], user: str,
            then: Callable[[_Ctx, Done], None] | None = None, **fields: Any) -> None:
    with _work(workspace, url) as c:
        done = _apply(c, entity, record_id, version, event, user, **fields)
        _report(entity, record_id, done)
        if then is not None:
            then(c, done)


def _blank(value: str, option: str) -> str:
    if not value.strip():
        raise fail(f"{option} cannot be blank")
    return value.strip()
