"""A credit-bureau inquiry (征信查询) for post-loan management is made only on the borrower's
signed authorisation and with the reason 贷后管理, is audited, and is purged after two years."""

from __future__ import annotations

import datetime as dt
import doctest
import json

import pytest

from loanwatch.policy.workflow import InquiryPolicy
from loanwatch.workflow import inquiries
from loanwatch.workflow.audit import WriteAudit, to_json
from loanwatch.workflow.errors import InvalidEvent, MissingAuthorisation
from loanwatch.workflow.inquiries import (
    BureauInquiry,
    QueryBureau,
    expired,
    purge_audit,
    record_result,
    request_inquiry,
)

MANAGER = "mgr-wang"
DEFAULT = InquiryPolicy()
ASKED_AT = dt.datetime(2024, 6, 1, 23, 30)


def request(inquiry_id: str = "Q1", *, reason: str = "贷后管理",
            authorisation_ref: str = "AUTH-2024-0001", at: dt.datetime = ASKED_AT,
            policy: InquiryPolicy = DEFAULT):
    return request_inquiry(inquiry_id=inquiry_id, customer_id="C1", reason=reason,
                           authorisation_ref=authorisation_ref, by=MANAGER, at=at, policy=policy)


def asked(inquiry_id: str = "Q1", at: dt.datetime = ASKED_AT) -> BureauInquiry:
    inquiry, _ = request(inquiry_id, at=at)
    return inquiry


def test_an_inquiry_is_audited_and_sent_to_the_bureau():
    inquiry, (row, query) = request()
    assert inquiry == BureauInquiry(inquiry_id="Q1", customer_id="C1", reason="贷后管理",
                                    authorisation_ref="AUTH-2024-0001", asked_by=MANAGER,
                                    asked_at=ASKED_AT)
    assert query == QueryBureau(inquiry_id="Q1", customer_id="C1")
    assert row == WriteAudit(actor=MANAGER, action="request", entity="bureau_inquiry",
                             entity_id="Q1", at=ASKED_AT, before={}, after={
                                 "inquiry_id": "Q1", "customer_id": "C1", "reason": "贷后管理",
                                 "authorisation_ref": "AUTH-2024-0001", "asked_by": MANAGER,
                                 "asked_at": "2024-06-01T23:30:00", "result_ref": None,
                                 "version": 1})
    assert json.loads(to_json(row.after)) == row.after  # the store writes it as JSON


@pytest.mark.parametrize("authorisation_ref", ["", "   "])
def test_no_inquiry_without_the_borrowers_signed_authorisation(authorisation_ref):
    with pytest.raises(MissingAuthorisation) as caught:
        request(authorisation_ref=authorisation_ref)
    assert str(caught.value) == ("customer C1 has no signed authorisation on record for this "
                                 "inquiry; the bureau may not be asked")
    assert isinstance(caught.value, InvalidEvent)


@pytest.mark.parametrize("reason", ["贷前审批", "", "post_loan"])
def test_an_inquiry_for_another_reason_is_refused(reason):
    with pytest.raises(InvalidEvent) as caught:
        request(reason=reason)
    assert str(caught.value) == f"a post-loan inquiry gives the reason '贷后管理', not {reason!r}"
    assert not isinstance(caught.value, MissingAuthorisation)


def test_the_policy_names_the_reason():
    policy = InquiryPolicy(reason="贷后管理查询")
    inquiry, _ = request(reason="贷后管理查询", policy=policy)
    assert inquiry.reason == "贷后管理查询"
    with pytest.raises(InvalidEvent, match="gives the reason '贷后管理查询', not '贷后管理'"):
        request(policy=policy)


def test_the_bureaus_answer_is_filed_once_and_audited():
    inquiry = asked()
    answered, row = record_result(inquiry, " RPT-88 ", by="bureau-gateway",
                                  at=ASKED_AT + dt.timedelta(minutes=1))
    assert (answered.result_ref, answered.version) == ("RPT-88", 2)
    assert (row.actor, row.action, row.entity, row.before, row.after) == (
        "bureau-gateway", "record_result", "bureau_inquiry", {"result_ref": None, "version": 1},
        {"result_ref": "RPT-88", "version": 2})
    with pytest.raises(InvalidEvent, match="^inquiry Q1 has its result already$"):
        record_result(answered, "RPT-89", by="bureau-gateway", at=ASKED_AT)
    with pytest.raises(InvalidEvent, match="cannot be blank"):
        record_result(inquiry, "", by="bureau-gateway", at=ASKED_AT)


# --- retention ------------------------------------------------------------------------------

@pytest.mark.parametrize(("days_later", "purged"), [(0, False), (729, False), (730, False),
                                                    (731, True), (1000, True)])
def test_an_inquiry_is_kept_730_days_and_purged_the_day_after(days_later, purged):
    today = ASKED_AT.date() + dt.timedelta(days=days_later)
    assert expired([asked()], today) == (["Q1"] if purged else [])


def test_retention_counts_calendar_days_whatever_the_hour_asked():
    early, late = (asked("Q-early", dt.datetime(2024, 6, 1, 0, 1)),
                   asked("Q-late", dt.datetime(2024, 6, 1, 23, 59)))
    assert expired([early, late], dt.date(2026, 6, 1)) == []
    assert expired([early, late], dt.date(2026, 6, 2)) == ["Q-early", "Q-late"]


def test_expired_keeps_the_order_given_and_follows_the_policy():
    batch = [asked("Q3", dt.datetime(2026, 1, 1)), asked("Q1", dt.datetime(2025, 1, 1)),
             asked("Q2", dt.datetime(2025, 6, 1))]
    assert expired(batch, dt.date(2026, 6, 3), InquiryPolicy(retention_days=365)) == ["Q1", "Q2"]
    assert expired(batch, dt.date(2026, 6, 3)) == []
    assert expired([], dt.date(2030, 1, 1)) == []


def test_a_purge_leaves_only_the_inquiry_id_in_the_audit_trail():
    now = dt.datetime(2026, 6, 2, 2, 0)
    assert purge_audit("Q1", now) == WriteAudit(
        actor="retention", action="purge", entity="bureau_inquiry", entity_id="Q1", at=now,
        before={"inquiry_id": "Q1"}, after={})
    assert purge_audit("Q1", now, by="ops-sun").actor == "ops-sun"


def test_doctest_examples_hold():
    result = doctest.testmod(inquiries)
    assert result.attempted > 0 and result.failed == 0
