"""The data page (数据管理): imports and their quarantined rows, data quality as
``loanwatch quality`` reports it, the policy in force and the synced dates; read-only, for
the roles that may see data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from loanwatch.ingest.importer import import_folder
from loanwatch.ingest.quality import quality_report
from loanwatch.policy import load_policy, policy_to_yaml
from loanwatch.workspace import Workspace
from tests.conftest import EXAMPLE
from tests.web.conftest import BOOK_DAYS, bearer, log_in

BAD_LOANS = Path(__file__).parents[1] / "ingest" / "bad" / "bad_date.loans.csv"


@pytest.fixture
def bad_import(empty_ws: Path, tmp_path: Path) -> int:
    """The example lender imported with one loan whose disbursement date is not a date."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    (data / "loans.csv").unlink()
    shutil.copy(BAD_LOANS, data / "loans.csv")
    ws = Workspace(empty_ws)
    with ws.connect(pii=True) as con:
        return import_folder(con, data, dt.date(2024, 6, 30), ws.cipher()).import_id


def test_the_page_shows_the_quarantined_rows_of_an_import(client: TestClient, bad_import: int):
    log_in(client, "risk")
    page = client.get("/data")
    assert page.status_code == 200
    quarantine = page.text[page.text.index('id="quarantine"'):page.text.index('id="quality"')]
    assert "loans.csv" in quarantine and "disbursed_on" in quarantine
    assert "not a date" in quarantine and "2024/13/45" in quarantine
    imports = client.get("/api/data/imports", headers=bearer(client, "risk")).json()
    assert [i["import_id"] for i in imports] == [bad_import]
    assert imports[0]["rows_quarantined"] >= 1 and imports[0]["status"] == "committed"


def test_the_quarantine_api_filters_by_table_and_pages(client: TestClient, bad_import: int):
    headers = bearer(client, "risk")
    found = client.get("/api/data/quarantine", headers=headers).json()
    assert found["import_id"] == bad_import and found["total"] == sum(found["by_table"].values())
    loans = client.get("/api/data/quarantine?table=loans", headers=headers).json()
    assert loans["total"] == found["by_table"]["loans"] == len(loans["rows"])
    row = next(r for r in loans["rows"] if r["column"] == "disbursed_on")
    assert (row["table"], row["file"], row["line"]) == ("loans", "loans.csv", 4)
    assert "not a date" in row["reason"]
    assert {r["table"] for r in loans["rows"]} == {"loans"}
    first = client.get("/api/data/quarantine?size=1", headers=headers).json()
    second = client.get("/api/data/quarantine?size=1&page=2", headers=headers).json()
    assert first["pages"] == found["total"] > 1 and first["rows"] != second["rows"]
    assert client.get("/api/data/quarantine?import_id=99", headers=headers).status_code == 404


def test_the_quality_numbers_are_those_of_the_quality_command(book_client: TestClient,
                                                              book_ws: Path):
    with Workspace(book_ws).connect(read_only=True) as con:
        report = quality_report(con)
    shown = book_client.get("/api/data/quality", headers=bearer(book_client, "audit")).json()
    assert shown["tables"] == [dataclasses.asdict(t) for t in report.tables]
    assert [(g["name"], g["rows"]) for g in shown["gaps"]] == [(n, k) for n, _, k in report.gaps]
    log_in(book_client, "risk")
    page = book_client.get("/data").text
    loans = next(t for t in report.tables if t.table == "loans")
    assert f'data-testid="rows-loans">{loans.rows:,}<' in page


def test_the_policy_in_force_is_shown_with_its_version(book_client: TestClient, book_ws: Path):
    policy = load_policy(Workspace(book_ws).policy_file)
    shown = book_client.get("/api/data/policy", headers=bearer(book_client, "risk")).json()
    assert shown == {"version_id": policy.version_id, "yaml": policy_to_yaml(policy)}
    log_in(book_client, "risk")
    assert f'data-testid="policy-version">{policy.version_id}<' in book_client.get("/data").text


def test_every_stored_date_shows_whether_it_was_synced(book_client: TestClient):
    syncs = book_client.get("/api/data/syncs", headers=bearer(book_client, "risk")).json()
    assert syncs["latest"] == BOOK_DAYS[-1]
    assert [(d["as_of"], d["synced"]) for d in syncs["dates"]] == [
        (day, True) for day in reversed(BOOK_DAYS)]
    assert all(d["counts"] for d in syncs["dates"])


def test_an_empty_workspace_has_an_empty_data_page(client: TestClient):
    log_in(client, "audit")
    page = client.get("/data")
    assert page.status_code == 200 and "尚未导入数据" in page.text
    headers = bearer(client, "audit")
    assert client.get("/api/data/quarantine", headers=headers).json()["total"] == 0
    assert client.get("/api/data/syncs", headers=headers).json() == {"latest": None, "dates": []}


@pytest.mark.parametrize("user", ["mgr", "head", "view", "coll"])
def test_only_roles_that_view_data_may_open_it(book_client: TestClient, user: str):
    headers = bearer(book_client, user)
    for path in ("/api/data/imports", "/api/data/quarantine", "/api/data/quality",
                 "/api/data/policy", "/api/data/syncs"):
        assert book_client.get(path, headers=headers).status_code == 403, path
    log_in(book_client, user)
    assert book_client.get("/data").status_code == 403
