"""Credit-bureau inquiries for post-loan management (征信查询, reason 贷后管理): an inquiry is
made only with the borrower's signed authorisation and the policy's reason, is audited, and
is purged once its retention has passed. Pure: the caller passes ``at`` and ``today``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from loanwatch.policy.workflow import InquiryPolicy
from loanwatch.workflow.audit import WriteAudit, audit
from loanwatch.workflow.errors import InvalidEvent, MissingAuthorisation

DEFAULT_INQUIRIES = InquiryPolicy()
#: the actor of purges made by the retention run
RETENTION = "retention"


@dataclass(frozen=True, kw_only=True)
class BureauInquiry:
    """One inquiry: who asked about whom, why, on which signed authorisation
    (``authorisation_ref``), and where the bureau's answer is kept (``result_ref``)."""

    inquiry_id: str
    customer_id: str
    reason: str
    authorisation_ref: str
    asked_by: str
    asked_at: dt.datetime
    result_ref: str | None = None
    version: int = 1


@dataclass(frozen=True, kw_only=True)
class QueryBureau:
    """Ask the credit bureau about the borrower."""

    inquiry_id: str
    customer_id: str


InquiryEffect = WriteAudit | QueryBureau


def request_inquiry(*, inquiry_id: str, customer_id: str, reason: str, authorisation_ref: str,
                    by: str, at: dt.datetime, policy: InquiryPolicy = DEFAULT_INQUIRIES,
                    ) -> tuple[BureauInquiry, tuple[InquiryEffect, ...]]:
    """The inquiry, its audit row and the query the service sends to the bureau.

    Raises ``MissingAuthorisation`` without a signed authorisation, ``InvalidEvent`` when the
    reason is not the policy's.
    """
    if not authorisation_ref.strip():
        raise MissingAuthorisation(f"customer {customer_id} has no signed authorisation on "
                                   "record for this inquiry; the bureau may not be asked")
    if reason.strip() != policy.reason:
        raise InvalidEvent(f"a post-loan inquiry gives the reason {policy.reason!r}, "
                           f"not {reason!r}")
    inquiry = BureauInquiry(inquiry_id=inquiry_id, customer_id=customer_id, reason=policy.reason,
                            authorisation_ref=authorisation_ref.strip(), asked_by=by, asked_at=at)
    row = audit(None, inquiry, actor=by, action="request", entity="bureau_inquiry",
                entity_id=inquiry_id, at=at)
    return inquiry, (row, QueryBureau(inquiry_id=inquiry_id, customer_id=customer_id))


def record_result(inquiry: BureauInquiry, result_ref: str, *, by: str,
                  at: dt.datetime) -> tuple[BureauInquiry, WriteAudit]:
    """The inquiry with the bureau's answer filed under ``result_ref``, and its audit row."""
    if not result_ref.strip():
        raise InvalidEvent("the reference of a bureau result cannot be blank")
    if inquiry.result_ref is not None:
        raise InvalidEvent(f"inquiry {inquiry.inquiry_id} has its result already")
    answered = replace(inquiry, result_ref=result_ref.strip(), version=inquiry.version + 1)
    return answered, audit(inquiry, answered, actor=by, action="record_result",
                           entity="bureau_inquiry", entity_id=inquiry.inquiry_id, at=at)


def expired(inquiries: Iterable[BureauInquiry], today: dt.date,
            policy: InquiryPolicy = DEFAULT_INQUIRIES) -> list[str]:
    """Ids of the inquiries past retention on ``today``: the last day kept is the day asked
    plus ``retention_days``.

    >>> asked = BureauInquiry(inquiry_id="Q1", customer_id="C1", reason="贷后管理",
    ...                       authorisation_ref="AUTH-1", asked_by="mgr-wang",
    ...                       asked_at=dt.datetime(2024, 6, 1, 9))
    >>> expired([asked], dt.date(2026, 6, 1)), expired([asked], dt.date(2026, 6, 2))
    ([], ['Q1'])
    """
    keep = dt.timedelta(days=policy.retention_days)
    return [i.inquiry_id for i in inquiries if i.asked_at.date() + keep < today]


def purge_audit(inquiry_id: str, at: dt.datetime, by: str = RETENTION) -> WriteAudit:
    """The audit row of purging an inquiry: only its id survives in the trail."""
    return WriteAudit(actor=by, action="purge", entity="bureau_inquiry", entity_id=inquiry_id,
                      at=at, before={"inquiry_id": inquiry_id}, after={})
