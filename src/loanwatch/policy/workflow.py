"""The ``workflow`` section: what the post-loan work (贷后工作) asks of people — service
levels of alerts, what an attachment may be, which borrowers get scheduled tasks, the
collection strategy by bucket (催收策略), which actions need a second person's approval
(双人复核) and how long credit-bureau inquiries are kept (征信查询).

Every key has a default, so a policy file without the section gets the bank-typical
settings below; the inspection frequencies themselves are the ``inspections`` section."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from loanwatch.policy.vocabulary import Count, Share, StrictModel

Name = Annotated[str, Field(min_length=1)]
Hours = Annotated[int, Field(strict=True, gt=0)] | None


class SlaPolicy(StrictModel):
    """Hours a person has to close an alert with a disposition, by severity; null: no limit."""

    critical: Hours = 24
    high: Hours = 72
    medium: Hours = 7 * 24
    low: Hours = 14 * 24
    info: Hours = None


class AttachmentPolicy(StrictModel):
    """What a file attached to a task may be (inspection photos, signed confirmations)."""

    max_megabytes: Count = 20
    content_types: tuple[Name, ...] = ("application/pdf", "image/jpeg", "image/png")


class CustomerType(StrEnum):
    INDIVIDUAL = "individual"
    ENTERPRISE = "enterprise"


class ScheduleScope(StrictModel):
    """Which borrowers a scheduled task is planned for: their type and, when set, a minimum
    outstanding principal over all their loans (yuan)."""

    customer_types: tuple[CustomerType, ...] = (CustomerType.ENTERPRISE, CustomerType.INDIVIDUAL)
    min_balance: Annotated[Decimal, Field(ge=0)] = Decimal("0")


_ENTERPRISES = ScheduleScope(customer_types=(CustomerType.ENTERPRISE,))


class SchedulePolicy(StrictModel):
    """Scheduled tasks go to the borrower's customer manager; consumer borrowers are watched
    by the engine and visited when an alert asks for it, so by default only enterprises get
    periodic visits, confirmations and rating refreshes."""

    first_inspection: ScheduleScope = ScheduleScope()
    periodic_inspection: ScheduleScope = _ENTERPRISES
    debt_confirmation: ScheduleScope = _ENTERPRISES
    rating_refresh: ScheduleScope = _ENTERPRISES
    classification_materials: ScheduleScope = _ENTERPRISES
    # a triggered inspection (触发检查) is due this many days after its alert opened
    triggered_inspection_days: Count = 7
    # monthly classification materials are due this many days after the month ends
    classification_materials_days: Count = 10


class Channel(StrEnum):
    """How a collector reaches a borrower."""

    REMINDER = "reminder"
    SMS = "sms"
    CALL = "call"
    LETTER = "letter"
    VISIT = "visit"
    LEGAL = "legal"


class CollectionStrategy(StrictModel):
    """From ``from_bucket`` on (until the next strategy's bucket), these channels, in order."""

    from_bucket: Name
    channels: tuple[Channel, ...] = Field(min_length=1)


class CollectionPolicy(StrictModel):
    # a reminder (还款提醒) this many days before an installment falls due
    remind_days_before_due: Count = 3
    strategies: tuple[CollectionStrategy, ...] = (
        CollectionStrategy(from_bucket="M1", channels=(Channel.SMS, Channel.CALL)),
        CollectionStrategy(from_bucket="M2", channels=(Channel.CALL, Channel.VISIT)),
        CollectionStrategy(from_bucket="M3", channels=(Channel.VISIT, Channel.LETTER, Channel.LEGAL)),
    )
    # share of the balance expected to be lost, by bucket, when a loan has no model PD
    bucket_weights: dict[Name, Share] = {
        "M1": Decimal("0.05"), "M2": Decimal("0.20"), "M3": Decimal("0.40"),
        "M4": Decimal("0.60"), "M5": Decimal("0.75"), "M6": Decimal("0.90"),
        "M7+": Decimal("1"),
    }
    # a promise to pay (承诺还款) counts as kept if paid within this many days after its date
    promise_grace_days: Annotated[int, Field(strict=True, ge=0)] = 3
    # how far ahead a promise may be dated
    promise_max_days: Count = 30

    @model_validator(mode="after")
    def _one_strategy_per_bucket(self) -> CollectionPolicy:
        names = [s.from_bucket for s in self.strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"strategies: a bucket has two strategies ({', '.join(names)})")
        return self


class ActionKind(StrEnum):
    """Actions on a loan or borrower (GLOSSARY.md)."""

    REMINDER = "reminder"
    FREEZE_LINE = "freeze_line"
    EARLY_RECALL = "early_recall"
    REPAYMENT_PLAN = "repayment_plan"
    ASSET_PRESERVATION = "asset_preservation"
    WRITE_OFF = "write_off"


class ApprovalPolicy(StrictModel):
    """Actions a second person (the checker) must approve before they take effect; the maker
    may never approve their own."""

    maker_checker: tuple[ActionKind, ...] = (
        ActionKind.FREEZE_LINE, ActionKind.EARLY_RECALL, ActionKind.REPAYMENT_PLAN,
        ActionKind.ASSET_PRESERVATION, ActionKind.WRITE_OFF)


class InquiryPolicy(StrictModel):
    """Credit-bureau inquiries for post-loan management (贷后管理查询)."""

    reason: Name = "贷后管理"
    retention_days: Count = 730  # kept two years, then purged by `loanwatch retention`


class WorkflowPolicy(StrictModel):
    sla_hours: SlaPolicy = SlaPolicy()
    attachments: AttachmentPolicy = AttachmentPolicy()
    schedules: SchedulePolicy = SchedulePolicy()
    collections: CollectionPolicy = CollectionPolicy()
    approvals: ApprovalPolicy = ApprovalPolicy()
    inquiries: InquiryPolicy = InquiryPolicy()
