"""Schemathesis against the OpenAPI schema the app publishes: generated requests to every
endpoint, as an officer who may call them all, must never get a 5xx, and every response must
match its declared schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from loanwatch.web.app import create_app
from tests.web.conftest import bearer


@pytest.fixture(scope="module")
def fuzzed(book_ws: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fuzz") / "ws"
    shutil.copytree(book_ws, root)  # the fuzzer changes things: its own copy
    app = create_app(root)
    with TestClient(app) as c:
        headers = bearer(c, "admin")
    return app, headers


def test_no_server_errors_and_responses_match_the_schema(fuzzed):
    app, headers = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    checked, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/auth/logout":
            continue  # would end the session the other cases use

        @settings(max_examples=12, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:
            case.call_and_validate(headers=headers)

        name = f"{operation.method.upper()} {operation.path}"
        try:
            fuzz()
        except BaseException as e:  # noqa: BLE001 (gathered: every operation's failures at once)
            if isinstance(e, KeyboardInterrupt):
                raise
            failures.append(f"{name}: {str(e)[:600]}")
        checked.append(name)
    assert len(checked) >= 10, checked
    assert not failures, "\n\n".join(failures)
