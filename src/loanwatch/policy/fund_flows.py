"""The ``fund_flows`` section: how the proceeds of a loan are traced (资金流向) and what the
FLOW-* signals call a prohibited use, cash, payroll or a refund.

Words are matched as case-insensitive substrings of the counterparty's name (``names``) or
of the transaction's memo (``memos``); ``channels`` are matched whole. A bank adds its own
words (its securities house's name, its dialect of memos) without code."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from loanwatch.policy.vocabulary import Count, Share, StrictModel

Word = Annotated[str, Field(min_length=1)]


class Words(StrictModel):
    names: tuple[Word, ...] = ()
    memos: tuple[Word, ...] = ()
    channels: tuple[Word, ...] = ()


def _words(names=(), memos=(), channels=()) -> Words:
    return Words(names=names, memos=memos, channels=channels)


class Refunds(StrictModel):
    """Money sent straight back by the counterparty that was paid, with a refund memo, is a
    refund, not a backflow, up to ``max_share`` of the loan (more is backflow anyway)."""

    memos: tuple[Word, ...] = ("退款", "退货")
    max_share: Share = Decimal("0.30")


class FundFlowPolicy(StrictModel):
    window_days: Count = 30
    max_hops: Count = 3
    # whom the borrower paid in these days before the loan are its trading partners: the
    # proceeds going to one of them is no concentration (FLOW-CONCENTRATED)
    regular_payee_days: Count = 90
    # kind of prohibited use -> its words (贷款资金禁止用途)
    prohibited: dict[Word, Words] = {
        "securities": _words(("证券", "券商"), ("银证转账", "证券", "股票", "炒股")),
        "futures": _words(("期货",), ("期货", "保证金")),
        "real_estate": _words(("房地产", "置业", "地产开发"), ("购房", "房款", "首付", "土地款")),
        "lending": _words(("小额贷款", "典当", "融资担保", "网络借贷", "网贷", "保理"),
                          ("借款", "放贷", "过桥")),
    }
    # product -> prohibited kinds that are its purpose (a mortgage buys a home)
    allowed: dict[Word, tuple[Word, ...]] = {"mortgage": ("real_estate",)}
    cash: Words = _words(memos=("取现", "现金", "提现"), channels=("atm", "cash", "counter"))
    payroll: Words = _words(("代发工资",), ("工资", "代发", "薪"), ("salary", "payroll"))
    refunds: Refunds = Refunds()

    @model_validator(mode="after")
    def _allowed_kinds_exist(self) -> FundFlowPolicy:
        unknown = sorted({k for kinds in self.allowed.values() for k in kinds} - set(self.prohibited))
        if unknown:
            raise ValueError(f"allowed names kinds that are not prohibited: {', '.join(unknown)} "
                             f"(prohibited: {', '.join(self.prohibited)})")
        return self
