"""The console's two languages: Chinese (zh, the default) and English (en). Each text is one
entry with both spellings; a page asks ``t(key)`` in the request's language. The codes the
data and the workflow use (a task kind, a registry event, a collateral kind…) read through
the one label table ``domain.labels.LABELS`` (the reports use it too): a page asks
``label(kind, code)``, and a code the table does not know reads as itself."""

from __future__ import annotations

from collections.abc import Callable

from loanwatch.domain.labels import code_label

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

TEXTS: dict[str, tuple[str, str]] = {
    "app.title": ("贷后智能监控平台", "LoanWatch post-loan monitoring"),
    "nav.dashboard": ("风险总览", "Dashboard"),
    "nav.alerts": ("预警处置", "Alerts"),
    "nav.borrowers": ("客户视图", "Borrowers"),
    "nav.tasks": ("贷后任务", "Tasks"),
    "nav.collections": ("催收管理", "Collections"),
    "nav.classification": ("分类审核", "Classification review"),
    "nav.reports": ("报告", "Reports"),
    "nav.data": ("数据管理", "Data"),
    "nav.admin": ("系统管理", "Admin"),
    "login.title": ("登录", "Log in"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "lang.switch": ("English", "中文"),
    "as_of": ("数据日期", "As of"),
    "error.title": ("出错了", "Something is wrong"),
    "error.back": ("返回", "Back"),
}



def label(lang: str, kind: str, code: str | None) -> str:
    """What ``code`` of ``kind`` reads as in ``lang`` (``domain.labels``, the table the reports
    use too); the code itself when the table does not know it, ``""`` for none.

    >>> label("zh", "task_kind", "debt_confirmation"), label("en", "product", "P-77")
    ('债权核对', 'P-77')
    """
    return code_label(kind, code, lang)


def translator(lang: str) -> Callable[[str], str]:
    index = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str) -> str:
        pair = TEXTS.get(key)
        return pair[index] if pair else key

    return t


def pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh
