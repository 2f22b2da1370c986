"""The words of the risk reports (贷后风险报告), Chinese and English (GLOSSARY.md): one entry
per key as (zh, en). ``labels(lang)`` gives the lookup for one language; an unknown key
(a bank's own code, say) is shown as it is."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("zh", "en")

WORDS: dict[str, tuple[str, str]] = {
    # the cover
    "portfolio_title": ("贷后风险报告", "Post-loan risk report"),
    "month": ("月度", "monthly"), "quarter": ("季度", "quarterly"),
    "lender": ("机构", "Lender"), "as_of": ("数据日期", "As of"),
    "period": ("报告期间", "Period"), "policy_version": ("策略版本", "Policy version"),
    "previous": ("对比日期", "Compared with"), "not_stored": ("未存储", "not stored"),
    "currency": ("金额单位", "Amounts in"), "yuan": ("元", "yuan"),
    "contents": ("目录", "Contents"),
    "missing": ("未找到 {mart} 在 {day} 的结果：请先运行 loanwatch run --as-of {day}。",
                "No {mart} stored for {day}: run `loanwatch run --as-of {day}` first."),
    "empty": ("本期无记录。", "Nothing this period."),
    # figures
    "value": ("本期", "This period"), "before": ("上期", "Previous"), "change": ("变动", "Change"),
    "figure": ("指标", "Figure"),
    "loans": ("贷款笔数", "Loans"), "outstanding": ("贷款余额", "Outstanding principal"),
    "m1_loans": ("M1+ 笔数", "M1+ loans"), "m1_balance": ("M1+ 余额", "M1+ balance"),
    "m1_rate_count": ("M1+ 逾期率（笔数）", "M1+ rate (count)"),
    "m1_rate_balance": ("M1+ 逾期率（余额）", "M1+ rate (balance)"),
    "m3_loans": ("M3+ 笔数", "M3+ loans"), "m3_balance": ("M3+ 余额", "M3+ balance"),
    "m3_rate_count": ("M3+ 逾期率（笔数）", "M3+ rate (count)"),
    "m3_rate_balance": ("M3+ 逾期率（余额）", "M3+ rate (balance)"),
    "m4_loans": ("M4+ 笔数", "M4+ loans"), "m4_balance": ("M4+ 余额", "M4+ balance"),
    "m4_rate_count": ("M4+ 逾期率（笔数）", "M4+ rate (count)"),
    "m4_rate_balance": ("M4+ 逾期率（余额）", "M4+ rate (balance)"),
    "npl_balance": ("不良贷款余额", "NPL balance"), "npl_ratio": ("不良率", "NPL ratio"),
    "stage2_balance": ("第二阶段余额", "Stage 2 balance"),
    "stage3_balance": ("第三阶段余额", "Stage 3 balance"),
    "loss_allowance": ("损失准备", "Loss allowance"),
    "provision_coverage": ("拨备覆盖率", "Provision coverage"),
    "provision_ratio": ("贷款拨备率", "Provision ratio"),
    "provision_shortfall": ("拨备缺口", "Provision shortfall"),
    # dimensions
    "segment": ("分组", "Segment"), "product": ("产品", "Product"), "branch_id": ("机构", "Branch"),
    "industry": ("行业", "Industry"), "region": ("地区", "Region"),
    # classes, buckets, stages
    "normal": ("正常", "Normal"), "special_mention": ("关注", "Special mention"),
    "substandard": ("次级", "Substandard"), "doubtful": ("可疑", "Doubtful"), "loss": ("损失", "Loss"),
    "settled": ("结清", "Settled"), "written_off": ("核销", "Written off"),
    "five_class": ("五级分类", "Class"), "balance": ("余额", "Balance"), "share": ("占比", "Share"),
    "ecl": ("预期信用损失", "ECL"), "ead": ("违约风险暴露", "EAD"), "stage": ("阶段", "Stage"),
    "coverage": ("计提比例", "ECL / balance"), "from": ("期初 \\ 期末", "From \\ to"),
    "from_bucket": ("期初账龄", "Bucket a month before"),
    "loans_before": ("期初笔数", "Loans before"), "balance_before": ("期初余额", "Balance before"),
    "rolled_forward": ("滚动余额", "Rolled forward"), "cured": ("回到 M0 余额", "Cured to M0"),
    "roll_rate": ("滚动率", "Roll rate"), "cure_rate": ("治愈率", "Cure rate"),
    "cohort": ("放款月份", "Disbursed"), "mob": ("账龄（月）", "MOB"),
    "disbursed": ("放款金额", "Disbursed"), "write_off_rate": ("核销率", "Write-off rate"),
    # warnings
    "severity": ("严重程度", "Severity"), "new": ("本期新增", "New"),
    "open": ("期末未关闭", "Open at the end"), "closed": ("本期关闭（条件消失）", "Closed (condition ended)"),
    "info": ("提示", "Info"), "low": ("低", "Low"), "medium": ("中", "Medium"), "high": ("高", "High"),
    "critical": ("严重", "Critical"), "total": ("合计", "Total"),
    "signal": ("预警信号", "Signal"), "group": ("信号组", "Group"), "borrowers": ("客户数", "Borrowers"),
    "customer_id": ("客户号", "Customer"), "level": ("预警等级", "Warning level"),
    "exposure": ("敞口", "Exposure"), "max_dpd": ("最大逾期天数", "Max DPD"),
    "signals": ("信号", "Signals"), "loan_id": ("借据号", "Loan"),
    # the operational store: dispositions, SLA, overdue work, collections
    "no_store": ("未找到业务库（预警处置、任务、催收记录）或尚未同步：请运行 loanwatch run（默认同步）"
                 "或 loanwatch sync。",
                 "No operational store (alert dispositions, tasks, collection cases), or it was "
                 "never synced: run `loanwatch run` (it syncs) or `loanwatch sync`."),
    "disposition": ("处置结果", "Disposition"), "resolved": ("已解决", "Resolved"),
    "false_positive": ("误报", "False positive"), "escalated": ("升级", "Escalated"),
    "alerts_closed": ("本期处置关闭", "Closed in the period"),
    "breached": ("超时", "Past SLA"), "closed_late": ("超时关闭", "Closed late"),
    "open_breached": ("期末超时未关闭", "Open past SLA"),
    "first_inspection": ("首次检查", "First inspection"),
    "periodic_inspection": ("定期检查", "Periodic inspection"),
    "triggered_inspection": ("触发检查", "Triggered inspection"),
    "debt_confirmation": ("债权核对", "Debt confirmation"),
    "cases_opened": ("本期新增案件", "Cases opened"), "cases_cured": ("本期治愈", "Cured"),
    "cases_closed": ("本期结案", "Closed"), "promises_kept": ("承诺还款已兑现", "Promises kept"),
    "promises_broken": ("承诺还款未兑现", "Promises broken"),
    "cases_worked": ("本期在催案件", "Cases worked"), "recovered": ("已回收金额", "Recovered"),
    "outcome": ("结案方式", "Outcome"), "cases": ("案件数", "Cases"),
    "outcome_cured": ("治愈", "Cured"), "outcome_settled": ("结清", "Settled"),
    "outcome_restructured": ("重组", "Restructured"),
    "outcome_transferred_legal": ("转法诉", "Sent to legal"),
    "outcome_written_off": ("核销", "Written off"),
    "outcome_uncollectable": ("无法回收", "Uncollectable"),
    # flows and invoices
    "finding": ("发现", "Finding"), "amount": ("金额", "Amount"), "principal": ("本金", "Principal"),
    "hops": ("跳数", "Hops"), "counterparty": ("交易对手", "Counterparty"),
    "backflow": ("资金回流", "Backflow"), "prohibited": ("禁止用途", "Prohibited use"),
    "cash_out": ("大额取现", "Cash withdrawal"), "untraced": ("去向不明", "Untraced"),
    "individual_payee": ("企业合同付至个人账户", "Paid to an individual"),
    "concentrated": ("集中流向单一对手", "Concentrated"),
    "contract_mismatch": ("受托支付与合同不符", "Contract mismatch"),
    "task_kind": ("任务", "Task"), "task_status": ("状态", "Status"), "owner": ("负责人", "Owner"),
    "finished_on": ("完成日期", "Finished"), "due_on": ("到期日", "Due"),
    "findings": ("检查发现与结论", "Findings and conclusion"),
    "status": ("状态", "Status"), "matched": ("一致", "Matched"), "partial": ("部分一致", "Partial"),
    "unmatched": ("不一致", "Unmatched"), "contract_amount": ("合同金额", "Contracted"),
    "paid_amount": ("受托支付金额", "Paid"), "invoiced_amount": ("发票金额", "Invoiced"),
    "invoice_shortfall": ("发票缺口", "Invoice shortfall"), "void_invoices": ("作废发票", "Void invoices"),
    "seller_mismatches": ("销方不符", "Seller mismatches"),
    "days_without_invoice": ("无发票天数", "Days without invoice"), "reasons": ("原因", "Reasons"),
    # concentration
    "rank": ("排名", "Rank"), "cumulative_share": ("累计占比", "Cumulative share"),
    "group_id": ("关联集团", "Group"), "members": ("成员数", "Members"),
    "worst_class": ("最差分类", "Worst class"), "in_circle": ("担保圈", "Guarantee circle"),
    "yes": ("是", "yes"), "no": ("否", "no"),
    # quality and models
    "import_id": ("导入批次", "Import"), "table": ("表", "Table"), "rows_read": ("读取行数", "Read"),
    "rows_loaded": ("入库行数", "Loaded"), "rows_quarantined": ("隔离行数", "Quarantined"),
    "column": ("列", "Column"), "reason": ("原因", "Reason"), "rows": ("行数", "Rows"),
    "latest": ("最新日期", "Latest"), "null_rates": ("关键字段空值率", "Null rates"),
    "gap": ("引用缺口", "Gap"),
    "model_id": ("模型", "Model"), "measure": ("指标", "Measure"), "drift": ("漂移", "Drift"),
    "grade": ("等级", "Grade"), "score": ("平均评分", "Mean score"), "pd": ("平均 PD", "Mean PD"),
}


def labels(lang: str) -> Callable[[str], str]:
    """The lookup of one language: ``labels("en")("npl_ratio") == "NPL ratio"``."""
    i = LANGS.index(lang)
    return lambda key: WORDS[key][i] if key in WORDS else key
