"""Rendering of console pages: one Jinja2 environment over ``templates/``, every page given
the caller, the language, its texts, the labels of codes (``label(kind, code)``), the titles
of signals (``signal(id)``: "title (ID)") and the CSRF token for its forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from loanwatch.batch.signals import signal_label
from loanwatch.web.context import CSRF_FIELD, Caller, app_state, lang_of
from loanwatch.web.i18n import label, pick, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def money(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}"


def percent(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{float(value) * 100:.{digits}f}%"


TEMPLATES.env.filters["money"] = money
TEMPLATES.env.filters["percent"] = percent


def render(request: Request, template: str, who: Caller | None, status_code: int = 200,
           **values: Any) -> HTMLResponse:
    lang = who.lang if who else lang_of(request)
    t = translator(lang)
    context = {"request": request, "who": who, "lang": lang, "t": t,
               "pick": lambda zh, en: pick(lang, zh, en),
               "label": lambda kind, code: label(lang, kind, code),
               "signal": lambda signal_id: signal_label(app_state(request).signal_titles,
                                                        signal_id, lang),
               "csrf_field": CSRF_FIELD,
               "csrf_token": who.session.csrf_token if who else "",
               "other_lang": "en" if lang == "zh" else "zh", **values}
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
