"""Post-loan work (贷后工作) on the operational store: ``sync`` brings a run's alerts, collection
cases and scheduled tasks in; ``store upgrade`` migrates. What people then do lives by topic in
``alerts``, ``tasks``, ``collections`` and ``actions`` (with ``inquiry`` and ``retention``)."""

from __future__ import annotations

from typing import Annotated

import typer
from alembic.runtime.migration import MigrationContext

from loanwatch.batch.store import stored_dates
from loanwatch.cli.common import WorkspaceOpt, app, fail, out, parse_date
from loanwatch.cli.workflow_common import StoreOpt, _masked, _now, _table, _work
from loanwatch.services.nightly import OutOfOrder, sync_day
from loanwatch.storage.connect import open_engine

#: the marts a sync reads: without them at a date every alert would clear and every case cure
SYNC_NEEDS = ("alerts", "classification", "loan_snapshot")

store_app = typer.Typer(help="The operational store (业务库).", no_args_is_help=True)
app.add_typer(store_app, name="store")


@app.command()
def sync(
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date (default: the latest date the alerts were computed for).")
    ] = None,
    store_url: StoreOpt = None,
) -> None:
    """同步 Bring a run's alerts, collection cases and scheduled tasks into the store.

    Dates go forward only; syncing the same date again changes nothing."""
    with _work(workspace, store_url) as c, c.ws.connect(read_only=True) as con:
        computed = {m: set(stored_dates(con, m)) for m in SYNC_NEEDS}
        if as_of is None and not computed["alerts"]:
            raise fail("no run has computed the alerts yet: run `loanwatch run` first")
        day = parse_date(as_of, "--as-of") if as_of else max(computed["alerts"])
        missing = [m for m in SYNC_NEEDS if day not in computed[m]]
        if missing:
            raise fail(f"the marts {', '.join(missing)} are not computed as of {day}: run "
                       f"`loanwatch run --as-of {day}` first")
        try:
            result = sync_day(c.store, con, day, c.policy, _now())
        except OutOfOrder as e:
            raise fail(str(e)) from None
    out.print(_table(f"sync 同步 {day}", ("count", "n"), [[k, v] for k, v in result.counts.items()]))
    out.print(f"{result.notices:,} notices to people; store {_masked(c.store.url)}", highlight=False)


@store_app.command("upgrade")
def store_upgrade(workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """升级 Migrate the store to the newest schema and print where it is and its revision."""
    with _work(workspace, store_url) as c:
        engine = open_engine(c.store.url)
        try:
            with engine.connect() as conn:
                revision = MigrationContext.configure(conn).get_current_revision()
        finally:
            engine.dispose()
    out.print(f"store {_masked(c.store.url)} at revision {revision}", highlight=False)
