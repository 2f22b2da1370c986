"""The borrower inspection report (贷后检查报告): one borrower's profile (personal data
masked), loans, repayment record, indicators, signals with evidence, class and rating
history, collateral and guarantors, and a block to sign — ready to print."""

from __future__ import annotations

import datetime as dt
from typing import Any

from loanwatch.batch.borrower_file import profile
from loanwatch.batch.report_source import MartReader, Period, period_start
from loanwatch.policy import Policy
from loanwatch.reports.borrower.position import LOANS, PROFILE
from loanwatch.reports.borrower.risk import HISTORY, INDICATORS_SECTION, SECURITY, SIGNALS
from loanwatch.reports.borrower.work import TASKS
from loanwatch.reports.document import Report, SectionView, Signature
from loanwatch.reports.labels import labels
from loanwatch.reports.section import Context, Section

__all__ = ["SECTIONS", "UnknownBorrower", "build_borrower"]

SECTIONS: tuple[Section, ...] = (PROFILE, LOANS, INDICATORS_SECTION, SIGNALS, HISTORY, SECURITY,
                                 TASKS)
SIGN = (("检查人", "Inspected by"), ("日期", "Date"), ("复核人", "Reviewed by"))


class UnknownBorrower(LookupError):
    """No customer of that id is in force at the date."""


def build_borrower(reader: MartReader, policy: Policy, customer_id: str, as_of: dt.date, *,
                   lang: str = "zh", lender: str = "",
                   tasks: list[dict[str, Any]] | None = None) -> Report:
    if profile(reader, customer_id, as_of) is None:
        raise UnknownBorrower(f"no borrower {customer_id} as of {as_of}")
    ctx = Context(reader, policy, as_of, Period.MONTH, period_start(as_of, Period.MONTH), lang,
                  subject=customer_id, borrower_tasks=tasks)
    t = labels(lang)
    title = ctx.pick(("贷后检查报告", "Borrower inspection report"))
    cover = [(t("lender"), lender), (ctx.pick(("客户号", "Customer")), customer_id),
             (t("as_of"), as_of.isoformat()),
             (t("policy_version"), reader.policy_version(as_of) or policy.version_id),
             (t("currency"), f"{t('yuan')} ({policy.currency})")]
    sign = SectionView("sign-off", ctx.pick(("检查意见与签字", "Findings and sign-off")),
                       [Signature([ctx.pick(x) for x in SIGN], ctx.pick(("检查意见", "Findings")))])
    return Report(lang, title, cover, [*(s.view(ctx) for s in SECTIONS), sign], compact=True)
