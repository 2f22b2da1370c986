"""The borrower indicators (客户指标) by name: what each column of the ``indicators`` mart
measures, in Chinese and English, and its kind. One list, read by the analytics that
compute the mart, the policy that validates threshold signals on it and the rules that
word their evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IndicatorKind(StrEnum):
    """How an indicator is typed and shown: a ratio (DECIMAL(18,6)), yuan (DECIMAL(18,2)), a
    count (BIGINT) or a yes/no flag (BOOLEAN)."""

    RATIO = "ratio"
    MONEY = "money"
    COUNT = "count"
    FLAG = "flag"


@dataclass(frozen=True)
class Indicator:
    name: str
    label_zh: str
    label_en: str
    kind: IndicatorKind


_R, _M, _C, _F = IndicatorKind.RATIO, IndicatorKind.MONEY, IndicatorKind.COUNT, IndicatorKind.FLAG

#: Every indicator, in the mart's column order.
INDICATORS: tuple[Indicator, ...] = (
    # individuals (METRICS.md "Individual indicators")
    Indicator("income_change", "收入变化", "Income change, last 3 months vs the 6 before", _R),
    Indicator("debt_burden_ratio", "债务负担比", "Debt burden ratio", _R),
    Indicator("repayment_to_income", "还款能力比", "Repayment-to-income ratio", _R),
    # repayment here
    Indicator("late_installments_12m", "近12个月逾期期数", "Installments late in 12 months", _C),
    Indicator("due_installments_12m", "近12个月应还期数", "Installments due in 12 months", _C),
    Indicator("overdue_rate_12m", "近12个月逾期率", "Overdue rate in 12 months", _R),
    # borrowing elsewhere (bureau)
    Indicator("lenders_count", "授信机构数", "Lenders", _C),
    Indicator("lenders_added_3m", "近3个月新增授信机构数", "Lenders added in 3 months", _C),
    Indicator("inquiries_3m", "近3个月征信查询次数", "Hard inquiries in 3 months", _C),
    Indicator("bureau_overdue_amount", "他行逾期金额", "Overdue at other lenders", _M),
    Indicator("short_term_debt_growth_6m", "近6个月他行短期负债增长率",
              "Short-term debt growth elsewhere in 6 months", _R),
    # settlement through this bank, last complete month
    Indicator("settlement_last_month", "上月本行结算量", "Settlement through this bank last month",
              _M),
    Indicator("settlement_covenant_min", "约定月结算量", "Covenant monthly settlement", _M),
    Indicator("settlement_to_covenant", "结算量与约定之比", "Settlement / covenant", _R),
    Indicator("settlement_avg_6m", "前6个月平均结算量", "Average settlement, 6 months before", _M),
    Indicator("settlement_change_vs_avg", "结算量较6个月均值变化",
              "Settlement change vs its 6-month average", _R),
    # financial statements
    Indicator("revenue_change_yoy", "营业收入同比变化", "Revenue change year on year", _R),
    Indicator("debt_ratio", "资产负债率", "Debt ratio (liabilities / assets)", _R),
    Indicator("debt_ratio_change_ytd", "资产负债率较年初变化", "Debt ratio change since year start",
              _R),
    Indicator("current_ratio", "流动比率", "Current ratio", _R),
    Indicator("net_loss", "净亏损", "Net loss", _F),
    Indicator("negative_cash_flow_periods", "经营现金流连续为负期数",
              "Periods running with negative operating cash flow", _C),
    # collateral of the active loans
    Indicator("max_ltv", "最高抵押率", "Highest loan-to-value", _R),
    Indicator("worst_collateral_value_change", "抵押物价值最大变化",
              "Worst collateral value change", _R),
    # registry
    Indicator("key_person_changes_12m", "近12个月关键人员变更次数", "Key-person changes in 12 months",
              _C),
)

INDICATOR_BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
