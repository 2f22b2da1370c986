"""预警处置 The alerts queue and the alert page: filters, bulk assignment, the alert's
lifecycle forms (each carrying the version shown, so a concurrent change is a conflict, not
an overwrite), launching an action, and the fund-flow path of a FLOW-* alert."""

from __future__ import annotations

import math
from collections import Counter
from typing import Annotated, Any
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loanwatch.policy.workflow import ActionKind
from loanwatch.security.permissions import Permission
from loanwatch.services import queues
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.i18n import pick
from loanwatch.web.pages import money, render
from loanwatch.workflow.alerts import Disposition

router = APIRouter()

Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_ALERTS))]
Actor = Annotated[Caller, Depends(require(Permission.ACT_ALERTS))]
Assigner = Annotated[Caller, Depends(require(Permission.ASSIGN_ALERTS))]
Proposer = Annotated[Caller, Depends(require(Permission.PROPOSE_ACTIONS))]

#: the action a signal's recommendation launches by default (policy.vocabulary.Action names)
PROPOSABLE = {"remind": ActionKind.REMINDER, "freeze_line": ActionKind.FREEZE_LINE,
              "early_recall": ActionKind.EARLY_RECALL,
              "preserve_assets": ActionKind.ASSET_PRESERVATION}

_KIND_COLOURS = {"borrower": "#0b4f8a", "enterprise": "#2c7a7b", "individual": "#805ad5",
                 "unknown": "#a0aec0"}
_KIND_NAMES = {"borrower": ("借款人", "Borrower"), "enterprise": ("企业", "Enterprise"),
               "individual": ("个人", "Individual"), "unknown": ("未识别", "Unidentified")}
# the worst category of an edge's moves gives its colour
_CATEGORY_COLOURS = {"prohibited": "#9b2c2c", "backflow": "#c53030", "cash_out": "#dd6b20",
                     "untraced": "#d69e2e", "refund": "#718096", "payroll": "#3182ce",
                     "purpose": "#2f855a", "use": "#9fb3c8"}


def flow_chart(path: queues.FlowPath, lang: str) -> dict[str, Any]:
    """The ECharts option drawing a fund-flow path: accounts in columns in the order of the
    hop at which the money reached them, an arrow per pair of accounts labelled with its
    amount and coloured by its worst category (backflow, prohibited use, cash…)."""
    kinds = list(_KIND_COLOURS)
    columns = {c: i for i, c in enumerate(sorted({n.column for n in path.nodes}))}
    rows: Counter[int] = Counter()
    nodes, links = [], {}
    for n in path.nodes:
        x, y = columns[n.column], rows[n.column]
        rows[n.column] += 1
        title = n.name or (pick(lang, "借款人账户", "Borrower's account")
                           if n.kind == "borrower" else n.node_id)
        nodes.append({"name": n.node_id, "x": x * 260, "y": y * 110,
                      "category": kinds.index(n.kind) if n.kind in kinds else kinds.index("unknown"),
                      "label": {"formatter": f"{title}\n{n.node_id}" if n.name else title},
                      "tooltip": {"formatter": f"{title} · {n.node_id}"}})
        if n.customer_id:
            links[n.node_id] = f"/borrowers/{quote(n.customer_id)}"
    edges = []
    for e in path.edges:
        worst = next((c for c in _CATEGORY_COLOURS if c in e.categories), "use")
        text = f"{money(e.amount)} · {', '.join(e.categories)} · {e.moves}"
        edges.append({"source": e.source, "target": e.target, "value": float(e.amount),
                      "label": {"show": True, "formatter": money(e.amount)},
                      "tooltip": {"formatter": text},
                      "lineStyle": {"color": _CATEGORY_COLOURS[worst],
                                    "width": 1.5 + min(4.0, math.log10(1 + float(e.amount)) / 2)}})
    categories = [{"name": pick(lang, *_KIND_NAMES[k]), "itemStyle": {"color": _KIND_COLOURS[k]}}
                  for k in kinds]
    return {"tooltip": {}, "legend": [{"data": [c["name"] for c in categories], "top": 0}],
            "animation": False, "lwLinks": links,
            "series": [{"type": "graph", "layout": "none", "roam": True, "top": 70,
                        "bottom": 50, "left": 80, "right": 80,
                        "symbolSize": 42, "edgeSymbol": ["none", "arrow"], "edgeSymbolSize": 9,
                        "label": {"show": True, "position": "bottom", "fontSize": 11},
                        "edgeLabel": {"fontSize": 11}, "lineStyle": {"curveness": 0.15},
                        "categories": categories, "data": nodes, "links": edges}]}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request, who: Viewer, con: Marts,
    severity: str = "", signal: str = "", branch: str = "", owner: str = "",
    status: str = "live", breached: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    state = app_state(request)
    f = queues.AlertFilter.from_form(severity, signal, branch, owner, status, breached)
    q = queues.alert_queue(state.store, con, who.principal, state.policy, state.now(), f,
                           limit, offset)
    return render(request, "alerts.html", who, q=q, f=f, breached_choice=breached)


@router.post("/alerts/assign", response_class=HTMLResponse)
def assign_form(request: Request, who: Assigner, con: Marts,
                to: Annotated[str, Form()] = "",
                ids: Annotated[list[str] | None, Form()] = None) -> HTMLResponse:
    state = app_state(request)
    results = queues.assign_alerts(state.store, con, who.principal, state.policy, ids or [],
                                   to, state.now())
    return render(request, "alerts_assigned.html", who, results=results, to=to.strip())


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: str, request: Request, who: Viewer, con: Marts,
               done: str = "") -> HTMLResponse:
    state = app_state(request)
    v = queues.alert_view(state.store, con, who.principal, state.policy, state.now(), alert_id)
    suggested = next((PROPOSABLE[a.value] for a in v.alert.actions if a.value in PROPOSABLE),
                     ActionKind.REMINDER)
    return render(request, "alerts_detail.html", who, v=v, done=done,
                  chart=flow_chart(v.flow, who.lang) if v.flow else None,
                  dispositions=list(Disposition), suggested=suggested,
                  # a repayment plan needs its schedule: the API and the CLI take one
                  kinds=[k for k in ActionKind if k is not ActionKind.REPAYMENT_PLAN])


def _back(alert_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/alerts/{quote(alert_id)}?done={done}", status_code=303)


@router.post("/alerts/{alert_id}/events")
def event_form(alert_id: str, request: Request, who: Actor, con: Marts,
               event: Annotated[str, Form()], version: Annotated[int, Form()],
               comment: Annotated[str, Form()] = "", disposition: Annotated[str, Form()] = "",
               to: Annotated[str, Form()] = "") -> RedirectResponse:
    state = app_state(request)
    queues.act_visible(state.store, con, who.principal, "alert", alert_id, lambda: (
        queues.alert_event(event, by=who.user_id, at=state.now(), version=version,
                           comment=comment, to=to,
                           disposition=Disposition(disposition) if disposition else None)),
                       state.policy)
    return _back(alert_id, event)


@router.post("/alerts/{alert_id}/actions")
def action_form(alert_id: str, request: Request, who: Proposer, con: Marts,
                kind: Annotated[ActionKind, Form()],
                reason: Annotated[str, Form()] = "") -> RedirectResponse:
    state = app_state(request)
    queues.propose_action(state.store, con, who.principal, state.policy, alert_id, kind, reason,
                          state.now())
    return _back(alert_id, "action")

