"""What the codes of the lender's data and of the workflow read as, in Chinese and English
(GLOSSARY.md): one table for the console and the reports. A code the table does not know
(a lender's own product code, a new registry event) is shown as it is."""

from __future__ import annotations

#: kind of code -> code -> (Chinese, English)
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    # alerts and actions
    "severity": {"critical": ("严重", "Critical"), "high": ("高", "High"), "medium": ("中", "Medium"),
                 "low": ("低", "Low"), "info": ("提示", "Info")},
    "alert_status": {"open": ("待处理", "Open"), "acknowledged": ("已确认", "Acknowledged"),
                     "in_progress": ("处置中", "In progress"), "closed": ("已关闭", "Closed")},
    "disposition": {"resolved": ("已解决", "Resolved"), "false_positive": ("误报", "False positive"),
                    "escalated": ("已上报", "Escalated")},
    "recommended": {"remind": ("提醒", "Remind"), "inspect": ("现场检查", "Inspect"),
                    "rerate": ("重新评级", "Re-rate"), "freeze_line": ("冻结额度", "Freeze line"),
                    "early_recall": ("提前收回", "Early recall"),
                    "repayment_plan": ("还款计划", "Repayment plan"),
                    "preserve_assets": ("资产保全", "Preserve assets"), "collect": ("催收", "Collect")},
    "action_kind": {"reminder": ("还款提醒", "Reminder"), "freeze_line": ("冻结额度", "Freeze the line"),
                    "early_recall": ("提前收回", "Early recall"),
                    "repayment_plan": ("还款计划", "Repayment plan"),
                    "asset_preservation": ("资产保全", "Asset preservation"),
                    "write_off": ("核销", "Write-off")},
    "action_status": {"proposed": ("待复核", "Waiting for approval"), "approved": ("已批准", "Approved"),
                      "rejected": ("已驳回", "Rejected"), "executed": ("已执行", "Executed"),
                      "cancelled": ("已撤销", "Cancelled")},
    # post-loan tasks (workflow/tasks.py, workflow/schedules.py)
    "task_kind": {"first_inspection": ("首次检查", "First inspection"),
                  "periodic_inspection": ("定期检查", "Periodic inspection"),
                  "triggered_inspection": ("触发检查", "Triggered inspection"),
                  "debt_confirmation": ("债权核对", "Debt confirmation"),
                  "rating_refresh": ("评级更新", "Rating refresh"),
                  "classification_materials": ("分类资料", "Classification materials")},
    "task_status": {"planned": ("待办", "Planned"), "in_progress": ("进行中", "In progress"),
                    "done": ("已完成", "Done"), "cancelled": ("已取消", "Cancelled")},
    # collection
    "case_status": {"open": ("待催收", "Open"), "in_progress": ("催收中", "In progress"),
                    "promised": ("已承诺还款", "Promised"), "closed": ("已结案", "Closed")},
    "outcome": {"cured": ("已转正常", "Cured"), "settled": ("已结清", "Settled"),
                "restructured": ("已重组", "Restructured"),
                "transferred_legal": ("转诉讼", "Transferred to legal"),
                "written_off": ("已核销", "Written off"), "uncollectable": ("无法回收", "Uncollectable")},
    "channel": {"reminder": ("提醒", "Reminder"), "sms": ("短信", "SMS"), "call": ("电话", "Call"),
                "letter": ("催收函", "Letter"), "visit": ("上门", "Visit"), "legal": ("法律途径", "Legal")},
    "contact_result": {"reached": ("已联系上", "Reached"), "no_answer": ("无人接听", "No answer"),
                       "wrong_number": ("号码错误", "Wrong number"), "refused": ("拒绝还款", "Refused"),
                       "promised": ("承诺还款", "Promised to pay"), "paid": ("已还款", "Paid")},
    "promise_status": {"pending": ("待兑现", "Pending"), "kept": ("已兑现", "Kept"),
                       "broken": ("已违约", "Broken")},
    # classification
    "five_class": {"normal": ("正常", "Normal"), "special_mention": ("关注", "Special mention"),
                   "substandard": ("次级", "Substandard"), "doubtful": ("可疑", "Doubtful"),
                   "loss": ("损失", "Loss")},
    "override_status": {"proposed": ("待复核", "Proposed"), "approved": ("已批准", "Approved"),
                        "rejected": ("已驳回", "Rejected"), "withdrawn": ("已撤回", "Withdrawn")},
    # the lender's data (the data contract's codes)
    "customer_type": {"individual": ("个人", "Individual"), "enterprise": ("企业", "Enterprise")},
    "product": {"consumer": ("个人消费贷款", "Consumer loan"), "business": ("经营贷款", "Business loan"),
                "working_capital": ("流动资金贷款", "Working capital loan"),
                "fixed_asset": ("固定资产贷款", "Fixed asset loan"),
                "mortgage": ("个人住房贷款", "Residential mortgage")},
    "loan_status": {"active": ("在贷", "active"), "settled": ("已结清", "settled"),
                    "written_off": ("已核销", "written off"), "not_started": ("未到首期", "not started")},
    "repayment_method": {"equal_installment": ("等额本息", "Equal instalments"),
                         "equal_principal": ("等额本金", "Equal principal"),
                         "interest_first": ("先息后本", "Interest first"),
                         "bullet": ("到期一次还本付息", "Bullet")},
    "payment_mode": {"entrusted": ("受托支付", "Entrusted payment"), "self": ("自主支付", "Self payment")},
    "installment_state": {"paid": ("已还清", "paid"), "overdue": ("逾期", "overdue"),
                          "scheduled": ("未到期", "scheduled")},
    "registry_kind": {
        "legal_rep_change": ("法定代表人变更", "Change of legal representative"),
        "shareholder_change": ("股东变更", "Change of shareholders"),
        "director_change": ("董事变更", "Change of directors"),
        "supervisor_change": ("监事变更", "Change of supervisors"),
        "finance_head_change": ("财务负责人变更", "Change of head of finance"),
        "business_scope_change": ("经营范围变更", "Change of business scope"),
        "address_change": ("住所变更", "Change of address"),
        "capital_change": ("注册资本变更", "Change of registered capital"),
        "lawsuit": ("诉讼", "Lawsuit"), "enforcement": ("被执行人", "Court enforcement"),
        "dishonest_debtor": ("失信被执行人", "Dishonest debtor"),
        "admin_penalty": ("行政处罚", "Administrative penalty"),
        "equity_freeze": ("股权冻结", "Equity frozen"), "equity_pledge": ("股权出质", "Equity pledged"),
        "abnormal_operation": ("经营异常", "Abnormal operation")},
    "collateral_kind": {"property": ("房产", "Property"), "land": ("土地", "Land"),
                        "deposit": ("存单", "Deposit"), "equity": ("股权", "Equity"),
                        "equipment": ("机器设备", "Equipment"), "receivable": ("应收账款", "Receivable")},
    "collateral_status": {"registered": ("已登记", "Registered"), "released": ("已解除", "Released"),
                          "seized": ("已查封", "Seized"), "missing": ("灭失", "Missing")},
    "invoice_status": {"normal": ("正常", "Normal"), "void": ("作废", "Void"), "red": ("红字", "Red")},
    # how parties are tied (relations.kind, guarantees.kind)
    "link": {"shareholder": ("股东", "shareholder"), "legal_rep": ("法定代表人", "legal rep."),
             "spouse": ("配偶", "spouse"), "family": ("亲属", "family"),
             "same_phone": ("同一电话", "same phone"), "same_address": ("同一地址", "same address"),
             "same_device": ("同一设备", "same device"), "contact": ("联系人", "contact"),
             "guarantor": ("保证人", "guarantor"), "guarantee": ("保证", "guarantee"),
             "mortgage": ("抵押", "mortgage"), "pledge": ("质押", "pledge"),
             "same_party": ("同一证件", "same id number")},
}


def code_label(kind: str, code: object, lang: str) -> str:
    """What ``code`` of ``kind`` reads as in ``lang`` (``zh`` or ``en``); the code itself when
    the table does not know it, ``""`` for none.

    >>> code_label("task_kind", "debt_confirmation", "zh"), code_label("product", "P-77", "en")
    ('债权核对', 'P-77')
    """
    if code is None:
        return ""
    pair = LABELS.get(kind, {}).get(str(code))
    if pair is None:
        return str(code)
    return pair[1] if lang == "en" else pair[0]
