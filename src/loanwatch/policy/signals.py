"""The ``signals`` section: one entry per early-warning signal of SIGNALS.md.

Every signal must be present (a policy says what it does with each one) and an unknown
id is an error, so a typo cannot silently switch a signal off. Look entries up by id:
``policy.signals["FLOW-BACKFLOW"].params.window_days``.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import Field, StrictBool

from loanwatch.policy import signal_params as p
from loanwatch.policy.vocabulary import Actions, Severity, StrictModel

P = TypeVar("P", bound=StrictModel)


class SignalPolicy(StrictModel, Generic[P]):
    """What the bank does with one signal."""

    enabled: StrictBool
    severity: Severity
    params: P
    actions: Actions


def _signal(signal_id: str) -> Any:
    return Field(alias=signal_id)


class Signals(StrictModel):
    """All signals, keyed in the file by their id (e.g. ``FLOW-BACKFLOW``)."""

    # A. Repayment behaviour (还款行为)
    repay_overdue: SignalPolicy[p.RepayOverdue] = _signal("REPAY-OVERDUE")
    repay_partial: SignalPolicy[p.RepayPartial] = _signal("REPAY-PARTIAL")
    repay_repeat: SignalPolicy[p.RepayRepeat] = _signal("REPAY-REPEAT")
    repay_due_soon_risk: SignalPolicy[p.RepayDueSoonRisk] = _signal("REPAY-DUE-SOON-RISK")
    # B. Use and flow of loan proceeds (资金流向)
    flow_backflow: SignalPolicy[p.FlowBackflow] = _signal("FLOW-BACKFLOW")
    flow_contract_mismatch: SignalPolicy[p.NoParams] = _signal("FLOW-CONTRACT-MISMATCH")
    flow_untraced: SignalPolicy[p.FlowUntraced] = _signal("FLOW-UNTRACED")
    flow_prohibited: SignalPolicy[p.NoParams] = _signal("FLOW-PROHIBITED")
    flow_concentrated: SignalPolicy[p.FlowShare] = _signal("FLOW-CONCENTRATED")
    flow_cash_out: SignalPolicy[p.FlowShare] = _signal("FLOW-CASH-OUT")
    # C. Contracts and invoices (票款一致性)
    inv_missing: SignalPolicy[p.InvMissing] = _signal("INV-MISSING")
    inv_mismatch: SignalPolicy[p.InvMismatch] = _signal("INV-MISMATCH")
    inv_void: SignalPolicy[p.NoParams] = _signal("INV-VOID")
    contract_implausible: SignalPolicy[p.ContractImplausible] = _signal("CONTRACT-IMPLAUSIBLE")
    # D. Borrowing elsewhere and bureau data (多头借贷)
    bureau_short_debt_growth: SignalPolicy[p.BureauShortDebtGrowth] = _signal(
        "BUREAU-SHORT-DEBT-GROWTH")
    bureau_new_lenders: SignalPolicy[p.BureauNewLenders] = _signal("BUREAU-NEW-LENDERS")
    bureau_inquiry_spike: SignalPolicy[p.BureauInquirySpike] = _signal("BUREAU-INQUIRY-SPIKE")
    bureau_overdue_elsewhere: SignalPolicy[p.BureauOverdueElsewhere] = _signal(
        "BUREAU-OVERDUE-ELSEWHERE")
    # E. Public information and registry (公示信息)
    reg_key_person_churn: SignalPolicy[p.RegKeyPersonChurn] = _signal("REG-KEY-PERSON-CHURN")
    reg_litigation: SignalPolicy[p.RegLitigation] = _signal("REG-LITIGATION")
    reg_enforcement: SignalPolicy[p.NoParams] = _signal("REG-ENFORCEMENT")
    reg_penalty: SignalPolicy[p.RegPenalty] = _signal("REG-PENALTY")
    reg_major_change: SignalPolicy[p.NoParams] = _signal("REG-MAJOR-CHANGE")
    # F. Settlement and operations (结算渠道)
    settle_below_covenant: SignalPolicy[p.SettleBelowCovenant] = _signal(
        "SETTLE-BELOW-COVENANT")
    settle_drop: SignalPolicy[p.SettleDrop] = _signal("SETTLE-DROP")
    settle_vs_revenue: SignalPolicy[p.SettleVsRevenue] = _signal("SETTLE-VS-REVENUE")
    # G. Financial condition (财务)
    fin_revenue_drop: SignalPolicy[p.FinRevenueDrop] = _signal("FIN-REVENUE-DROP")
    fin_leverage: SignalPolicy[p.FinLeverage] = _signal("FIN-LEVERAGE")
    fin_liquidity: SignalPolicy[p.FinLiquidity] = _signal("FIN-LIQUIDITY")
    fin_loss: SignalPolicy[p.FinLoss] = _signal("FIN-LOSS")
    ind_income_drop: SignalPolicy[p.IndIncomeDrop] = _signal("IND-INCOME-DROP")
    ind_debt_burden: SignalPolicy[p.IndDebtBurden] = _signal("IND-DEBT-BURDEN")
    ind_repay_to_income: SignalPolicy[p.IndRepayToIncome] = _signal("IND-REPAY-TO-INCOME")
    # H. Guarantors and collateral (债权核对)
    coll_value_drop: SignalPolicy[p.CollValueDrop] = _signal("COLL-VALUE-DROP")
    coll_status: SignalPolicy[p.NoParams] = _signal("COLL-STATUS")
    guar_distress: SignalPolicy[p.GuarDistress] = _signal("GUAR-DISTRESS")
    guar_circle: SignalPolicy[p.GuarCircle] = _signal("GUAR-CIRCLE")
    # I. Classification and rating (分类与评级)
    class_downgrade: SignalPolicy[p.ClassDowngrade] = _signal("CLASS-DOWNGRADE")
    rating_downgrade: SignalPolicy[p.RatingDowngrade] = _signal("RATING-DOWNGRADE")
    score_deterioration: SignalPolicy[p.ScoreDeterioration] = _signal("SCORE-DETERIORATION")
    # J. Workflow (贷后任务); their deadlines are the `inspections` section
    task_first_inspection_late: SignalPolicy[p.NoParams] = _signal(
        "TASK-FIRST-INSPECTION-LATE")
    task_confirmation_late: SignalPolicy[p.NoParams] = _signal("TASK-CONFIRMATION-LATE")
    task_rating_stale: SignalPolicy[p.NoParams] = _signal("TASK-RATING-STALE")

    def __getitem__(self, signal_id: str) -> SignalPolicy[Any]:
        try:
            return getattr(self, _FIELD_BY_ID[signal_id])
        except KeyError:
            raise KeyError(f"unknown signal id {signal_id!r}") from None

    def items(self) -> Iterator[tuple[str, SignalPolicy[Any]]]:
        """``(signal_id, policy)`` pairs in catalogue order."""
        return ((signal_id, self[signal_id]) for signal_id in SIGNAL_IDS)


_FIELD_BY_ID: dict[str, str] = {
    str(field.alias): name for name, field in Signals.model_fields.items()
}
#: Every signal id, in catalogue order (SIGNALS.md).
SIGNAL_IDS: tuple[str, ...] = tuple(_FIELD_BY_ID)


class SignalGroup(StrEnum):
    """The groups A-J of SIGNALS.md; combining counts signals from different groups."""

    REPAYMENT = "repayment"
    FUND_FLOW = "fund_flow"
    RECONCILIATION = "reconciliation"
    MULTI_LENDING = "multi_lending"
    REGISTRY = "registry"
    SETTLEMENT = "settlement"
    FINANCIAL = "financial"
    GUARANTEE = "guarantee"
    RATING = "rating"
    WORKFLOW = "workflow"

#: Each group's name as a reader sees it: (Chinese, English), letters A-J of SIGNALS.md.
GROUP_TITLES: dict[SignalGroup, tuple[str, str]] = {
    SignalGroup.REPAYMENT: ("A 还款行为", "A Repayment"),
    SignalGroup.FUND_FLOW: ("B 资金流向", "B Fund flows"),
    SignalGroup.RECONCILIATION: ("C 票款一致性", "C Contracts and invoices"),
    SignalGroup.MULTI_LENDING: ("D 多头借贷", "D Borrowing elsewhere"),
    SignalGroup.REGISTRY: ("E 公示信息", "E Registry"),
    SignalGroup.SETTLEMENT: ("F 结算", "F Settlement"),
    SignalGroup.FINANCIAL: ("G 财务", "G Financial"),
    SignalGroup.GUARANTEE: ("H 担保与抵押", "H Guarantees and collateral"),
    SignalGroup.RATING: ("I 分类与评级", "I Classification and rating"),
    SignalGroup.WORKFLOW: ("J 贷后工作", "J Workflow"),
}


_GROUP_BY_PREFIX: dict[str, SignalGroup] = {
    "REPAY": SignalGroup.REPAYMENT, "FLOW": SignalGroup.FUND_FLOW,
    "INV": SignalGroup.RECONCILIATION, "CONTRACT": SignalGroup.RECONCILIATION,
    "BUREAU": SignalGroup.MULTI_LENDING, "REG": SignalGroup.REGISTRY,
    "SETTLE": SignalGroup.SETTLEMENT, "FIN": SignalGroup.FINANCIAL,
    "IND": SignalGroup.FINANCIAL, "COLL": SignalGroup.GUARANTEE,
    "GUAR": SignalGroup.GUARANTEE, "CLASS": SignalGroup.RATING,
    "RATING": SignalGroup.RATING, "SCORE": SignalGroup.RATING, "TASK": SignalGroup.WORKFLOW,
}


def signal_group(signal_id: str) -> SignalGroup:
    """The SIGNALS.md group of a signal.

    >>> signal_group("IND-DEBT-BURDEN")
    <SignalGroup.FINANCIAL: 'financial'>
    """
    if signal_id not in _FIELD_BY_ID:
        raise KeyError(f"unknown signal id {signal_id!r}")
    return _GROUP_BY_PREFIX[signal_id.split("-", 1)[0]]
