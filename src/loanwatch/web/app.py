"""``create_app``: the FastAPI application of a workspace — the REST API under ``/api``
(OpenAPI at ``/api/openapi.json``), the console pages, and every asset served by the app
itself (no CDN: bank intranets are closed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from loanwatch import __version__
from loanwatch.policy import load_policy
from loanwatch.security.users import LoginRefused
from loanwatch.services.store import open_store
from loanwatch.web import api, console
from loanwatch.web.context import (
    AppState,
    CsrfRejected,
    DataBusy,
    Forbidden,
    NotLoggedIn,
    lang_of,
)
from loanwatch.web.i18n import pick
from loanwatch.web.pages import render
from loanwatch.workflow.errors import Conflict, IllegalTransition, InvalidEvent, WorkflowError
from loanwatch.workspace import Workspace

STATIC = Path(__file__).parent / "static"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _answer(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        if status == 422:  # the shape FastAPI documents for every 422 (HTTPValidationError)
            return JSONResponse({"detail": [{"loc": [], "msg": message, "type": "value_error"}]},
                                status_code=422)
        return JSONResponse({"detail": message}, status_code=status)
    lang = lang_of(request)
    return render(request, "error.html", None, status_code=status, status=status,
                  message=message, lang_hint=lang)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _: NotLoggedIn) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "not logged in"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, e: Forbidden) -> Response:
        return _answer(request, 403, pick(lang_of(request), "无权访问", "not allowed")
                       + (f": {e}" if str(e) else ""))

    @app.exception_handler(DataBusy)
    async def busy(request: Request, e: DataBusy) -> Response:
        return _answer(request, 503, pick(lang_of(request), "数据正在更新，请稍后再试",
                                          "the data is being refreshed; try again shortly"))

    @app.exception_handler(CsrfRejected)
    async def csrf(request: Request, _: CsrfRejected) -> Response:
        return _answer(request, 403, "missing or wrong CSRF token: reload the page and try again")

    @app.exception_handler(LookupError)
    async def missing(request: Request, e: LookupError) -> Response:
        return _answer(request, 404, str(e).strip("'\""))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, e: Conflict) -> Response:
        return _answer(request, 409, str(e))

    @app.exception_handler(IllegalTransition)
    async def illegal(request: Request, e: IllegalTransition) -> Response:
        return _answer(request, 409, str(e))

    @app.exception_handler(InvalidEvent)
    async def invalid(request: Request, e: InvalidEvent) -> Response:
        return _answer(request, 422, str(e))

    @app.exception_handler(WorkflowError)
    async def workflow(request: Request, e: WorkflowError) -> Response:
        return _answer(request, 409, str(e))

    @app.exception_handler(LoginRefused)
    async def refused(request: Request, e: LoginRefused) -> Response:
        return _answer(request, 401, str(e))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, e: ValueError) -> Response:
        return _answer(request, 422, str(e))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, e: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": e.errors()}, status_code=422)
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _answer(request, 422, f"{where}: {first.get('msg', 'invalid request')}")


def create_app(workspace_root: Path | str, store_url: str | None = None, *,
               secure_cookies: bool = False,
               clock: Callable[[], dt.datetime] = dt.datetime.now) -> FastAPI:
    """The app of a workspace. ``secure_cookies`` marks cookies Secure (behind HTTPS);
    ``clock`` is the time of day sessions and actions are stamped with (tests pass theirs)."""
    ws = Workspace.open(Path(workspace_root))
    app = FastAPI(title="LoanWatch 贷后智能监控平台 API", version=__version__,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  description="Post-loan risk monitoring. Log in with POST /api/auth/token and "
                              "send `Authorization: Bearer <token>`.")
    app.state.lw = AppState(workspace=ws, policy=load_policy(ws.policy_file),
                            store=open_store(ws.root, store_url), secure_cookies=secure_cookies,
                            clock=clock)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _handlers(app)
    for router in api.ROUTERS:
        app.include_router(router, prefix="/api")
    for router in console.ROUTERS:
        app.include_router(router, include_in_schema=False)
    return app
