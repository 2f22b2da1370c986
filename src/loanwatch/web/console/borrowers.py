"""客户视图 Borrower pages: the search and the 360 view of one borrower, with its charts
(DPD history, relationship and guarantee network) drawn from the API's data, its codes read
through the label table and its signals by their titles."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loanwatch.batch.signals import Titles, signal_label
from loanwatch.security.permissions import Permission
from loanwatch.services.classification_review import REASON_LABELS
from loanwatch.web.api import borrowers as api
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.i18n import label, pick
from loanwatch.web.pages import render

router = APIRouter()

Con = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_BORROWERS))]
Unmasker = Annotated[Caller, Depends(require(Permission.UNMASK_PII))]

CLASS_COLOURS = {"normal": "#2f855a", "special_mention": "#d69e2e", "substandard": "#dd6b20",
                 "doubtful": "#c53030", "loss": "#742a2a"}


def dpd_chart(points: list[api.DpdPoint], lang: str) -> dict[str, Any]:
    """The worst DPD (line) and outstanding principal (bars) at each stored date."""
    dpd, owed = pick(lang, "最大逾期天数", "Worst DPD"), pick(lang, "贷款余额", "Outstanding")
    return {
        "tooltip": {"trigger": "axis"}, "legend": {"data": [dpd, owed]},
        "grid": {"left": 60, "right": 80, "top": 40, "bottom": 30},
        "xAxis": {"type": "category", "data": [p.as_of.isoformat() for p in points]},
        "yAxis": [{"type": "value", "name": "DPD", "minInterval": 1},
                  {"type": "value", "name": owed, "splitLine": {"show": False}}],
        "series": [
            {"name": dpd, "type": "line", "data": [p.dpd for p in points], "yAxisIndex": 0,
             "itemStyle": {"color": "#c53030"}, "connectNulls": False},
            {"name": owed, "type": "bar", "yAxisIndex": 1, "barMaxWidth": 36,
             "itemStyle": {"color": "#9fb3c8"},
             "data": [None if p.outstanding_principal is None else float(p.outstanding_principal)
                      for p in points]}]}


def network_chart(net: api.Network, lang: str, as_of: dt.date,
                  titles: Titles | None = None) -> dict[str, Any]:
    """A force-directed graph: the borrower in the middle, borrowers and other parties
    around it, coloured by worst class; clicking a party in your slice opens its page."""
    kinds = [pick(lang, "本客户", "This borrower"), pick(lang, "借款人", "Borrower"),
             pick(lang, "关联方", "Related party")]
    nodes = [_node(n, net.customer_id, lang, titles or {}) for n in net.nodes]
    links = [{"source": e.src, "target": e.dst,
              "label": {"show": True, "formatter": label(lang, "link", e.kind)},
              "lineStyle": {"type": "dashed" if e.source == "relations" else "solid"}}
             for e in net.edges]
    return {
        "tooltip": {}, "legend": {"data": kinds},
        "series": [{"type": "graph", "layout": "force", "roam": True, "draggable": True,
                    "categories": [{"name": k} for k in kinds], "data": nodes, "links": links,
                    "force": {"repulsion": 320, "edgeLength": [90, 160]},
                    "edgeSymbol": ["none", "arrow"], "edgeLabel": {"fontSize": 10},
                    "label": {"show": True, "position": "bottom"}}],
        "lwLinks": {n.customer_id: f"/borrowers/{n.customer_id}?as_of={as_of.isoformat()}"
                    for n in net.nodes if n.visible and n.customer_id != net.customer_id}}


def _node(n: api.NetworkNode, centre: str, lang: str, titles: Titles) -> dict[str, Any]:
    category = 0 if n.customer_id == centre else 1 if n.borrower else 2
    tip = [f"{n.name or ''} {n.customer_id}", f"{pick(lang, '敞口', 'Exposure')} {n.exposure:,.2f}"]
    if n.signals:
        tip.append(", ".join(signal_label(titles, s, lang) for s in n.signals))
    return {"name": n.customer_id, "category": category, "value": str(n.exposure),
            "symbolSize": 46 if category == 0 else 32 if n.borrower else 22,
            "itemStyle": {"color": CLASS_COLOURS.get(n.worst_class or "", "#718096")},
            "label": {"formatter": f"{n.name or n.customer_id}"},
            "tooltip": {"formatter": "<br>".join(tip)}}


def _page(request: Request, who: Caller, view: api.Borrower360,
          personal: api.Personal | None = None) -> HTMLResponse:
    charts = {"dpd": dpd_chart(view.dpd_history, who.lang)}
    if view.network and view.network.edges:
        charts["network"] = network_chart(view.network, who.lang, view.as_of,
                                          app_state(request).signal_titles)
    return render(request, "borrower.html", who, v=view, personal=personal, charts=charts,
                  reason_labels=REASON_LABELS,
                  can_unmask=who.principal.can(Permission.UNMASK_PII),
                  can_open_tasks=who.principal.can(Permission.VIEW_TASKS))


@router.get("/borrowers", response_class=HTMLResponse)
def search_page(request: Request, who: Viewer, con: Con, q: str = "",
                as_of: dt.date | None = None) -> HTMLResponse:
    return render(request, "borrowers.html", who, found=api.search(con, request, who, q, as_of))


@router.get("/borrowers/{customer_id}", response_class=HTMLResponse)
def borrower_page(request: Request, who: Viewer, con: Con, customer_id: str,
                  as_of: dt.date | None = None) -> HTMLResponse:
    return _page(request, who, api.view(con, request, who, customer_id, as_of))


@router.post("/borrowers/{customer_id}/unmask", response_class=HTMLResponse)
def unmask(request: Request, who: Unmasker, con: Con, customer_id: str,
           as_of: dt.date | None = None) -> HTMLResponse:
    """The page again with the personal data in clear (audited); never cached."""
    personal = api.reveal(con, request, who, customer_id, as_of)
    page = _page(request, who, api.view(con, request, who, customer_id, as_of), personal)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/borrowers/{customer_id}/unmask")
def unmask_again(customer_id: str) -> RedirectResponse:
    """Back to the masked page (the language switch returns here after a reveal)."""
    return RedirectResponse(f"/borrowers/{quote(customer_id)}", status_code=303)
