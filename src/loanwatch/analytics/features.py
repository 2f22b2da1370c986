"""Borrower features of the behavioural models (行为评分特征) and the outcome they predict,
from the marts of the monitoring history: tables in, table out.

Features at a date D read only marts computed for D (indicators, the loan snapshot, the
fund-flow findings and the reconciliation), so a model trained on past month-ends sees what
the nightly run sees. The outcome of a borrower observed at D is *bad* when one of its loans
is more than 90 days past due (or written off) at a month-end of the 12 months after D;
a borrower already there at D is not observed (it has defaulted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.domain.calendar import month_end, months_before
from loanwatch.domain.indicators import INDICATORS, IndicatorKind

DEFAULT_DPD_ABOVE = 90
HORIZON_MONTHS = 12  # the outcome: 90+ DPD within the next 12 months
# columns of the loan snapshot summed or taken per borrower
SNAPSHOT_FEATURES = ("active_loans", "outstanding", "max_dpd", "overdue_share", "min_mob",
                     "max_mob", "overdue_installments")
FLOW_FEATURES = ("flow_findings", "flow_backflow_share", "flow_prohibited_share",
                 "invoice_problems")
FEATURES: tuple[str, ...] = (*(i.name for i in INDICATORS), *SNAPSHOT_FEATURES, *FLOW_FEATURES)
CATEGORICAL = ("customer_type",)
#: feature -> how its value reads (ratio, money, count, flag)
FEATURE_KINDS: dict[str, IndicatorKind] = {
    **{i.name: i.kind for i in INDICATORS},
    **dict.fromkeys(("outstanding",), IndicatorKind.MONEY),
    **dict.fromkeys(("overdue_share", "flow_backflow_share", "flow_prohibited_share"),
                    IndicatorKind.RATIO),
    **dict.fromkeys(("active_loans", "max_dpd", "min_mob", "max_mob", "overdue_installments",
                     "flow_findings", "invoice_problems"), IndicatorKind.COUNT),
}
#: feature -> (Chinese, English), for explanations a customer manager reads
FEATURE_LABELS: dict[str, tuple[str, str]] = {
    **{i.name: (i.label_zh, i.label_en) for i in INDICATORS},
    "active_loans": ("在贷笔数", "Active loans"),
    "outstanding": ("贷款余额", "Outstanding principal"),
    "max_dpd": ("当前最长逾期天数", "Days past due now (worst loan)"),
    "overdue_share": ("逾期本金占比", "Overdue share of the balance"),
    "min_mob": ("最短账龄（月）", "Months on book (newest loan)"),
    "max_mob": ("最长账龄（月）", "Months on book (oldest loan)"),
    "overdue_installments": ("逾期期数", "Installments overdue now"),
    "flow_findings": ("资金流向异常数", "Fund-flow findings"),
    "flow_backflow_share": ("贷款资金回流比例", "Share of the proceeds flowing back"),
    "flow_prohibited_share": ("流入禁止领域比例", "Share of the proceeds to prohibited uses"),
    "invoice_problems": ("票款不一致笔数", "Loans with invoice problems"),
    "customer_type": ("客户类型", "Customer type"),
}


def _numeric(t: ir.Table) -> dict[str, ir.Value]:
    out = {}
    for i in INDICATORS:
        v = t[i.name]
        out[i.name] = (v.cast("int8") if i.kind is IndicatorKind.FLAG else v).cast("float64")
    return out


def borrower_features(indicators: ir.Table, snapshot: ir.Table, fund_flows: ir.Table,
                      reconciliation: ir.Table) -> ir.Table:
    """``as_of, customer_id, customer_type`` and every feature of ``FEATURES`` (float, NULL
    when unknown) for each borrower of ``indicators`` (one or many dates), not in default."""
    s = snapshot.filter(snapshot.status == "active")
    per = s.group_by("as_of", "customer_id").aggregate(
        active_loans=s.count(), outstanding=s.outstanding_principal.sum(),
        overdue=s.overdue_principal.sum(), max_dpd=s.dpd.max(), min_mob=s.mob.min(),
        max_mob=s.mob.max(), overdue_installments=s.overdue_installments.sum())
    per = per.filter(per.max_dpd <= DEFAULT_DPD_ABOVE)
    f = fund_flows
    flows = f.group_by(f_as_of="as_of", f_customer="customer_id").aggregate(
        flow_findings=f.count(),
        flow_backflow_share=f.share.max(where=f.finding == "backflow"),
        flow_prohibited_share=f.share.max(where=f.finding == "prohibited"))
    r = reconciliation
    invoices = r.group_by(r_as_of="as_of", r_customer="customer_id").aggregate(
        invoice_problems=(r.status != "matched").sum())
    t = indicators.join(per, ["as_of", "customer_id"])
    t = t.left_join(flows, [t.as_of == flows.f_as_of, t.customer_id == flows.f_customer])
    t = t.left_join(invoices, [t.as_of == invoices.r_as_of, t.customer_id == invoices.r_customer])
    ratio = ibis.ifelse(t.outstanding > 0, t.overdue.cast("float64") / t.outstanding.cast("float64"),
                        ibis.null("float64"))
    return t.select(
        "as_of", "customer_id", customer_type=t.customer_type, **_numeric(t),
        active_loans=t.active_loans.cast("float64"), outstanding=t.outstanding.cast("float64"),
        max_dpd=t.max_dpd.cast("float64"), overdue_share=ratio,
        min_mob=t.min_mob.cast("float64"), max_mob=t.max_mob.cast("float64"),
        overdue_installments=t.overdue_installments.cast("float64"),
        flow_findings=t.flow_findings.coalesce(0).cast("float64"),
        flow_backflow_share=t.flow_backflow_share.coalesce(0).cast("float64"),
        flow_prohibited_share=t.flow_prohibited_share.coalesce(0).cast("float64"),
        invoice_problems=t.invoice_problems.coalesce(0).cast("float64"))


def _later(d: dt.date, months: int) -> dt.date:
    """``months`` after ``d``; a month-end stays a month-end."""
    later = months_before(d, -months)
    return month_end(later) if d == month_end(d) else later


def outcomes(snapshots: ir.Table, observed: Sequence[dt.date], stored: Sequence[dt.date],
             horizon_months: int = HORIZON_MONTHS) -> ir.Table:
    """``as_of, customer_id, bad`` for each date of ``observed`` whose outcome window has
    passed within the ``stored`` month-ends (the window's last month-end is stored): bad when
    a loan of the borrower is past ``DEFAULT_DPD_ABOVE`` or written off at a stored date of
    (D, D + horizon]."""
    last = max(stored) if stored else None
    matured = [d for d in observed if last is not None and _later(d, horizon_months) <= last]
    if not matured:
        return ibis.memtable(pa.table({"as_of": pa.array([], pa.date32()),
                                       "customer_id": pa.array([], pa.string()),
                                       "bad": pa.array([], pa.int8())}))
    windows = ibis.memtable(pa.table({
        "o_as_of": pa.array(matured, pa.date32()),
        "o_until": pa.array([_later(d, horizon_months) for d in matured], pa.date32())}))
    s = snapshots
    bad = s.filter((s.dpd > DEFAULT_DPD_ABOVE) | (s.status == "written_off"))
    bad = bad.select(b_as_of="as_of", b_customer="customer_id").distinct()
    hits = bad.join(windows, [bad.b_as_of > windows.o_as_of, bad.b_as_of <= windows.o_until])
    hits = hits.select(h_as_of="o_as_of", h_customer="b_customer").distinct()
    people = s.filter(s.as_of.isin(matured)).select("as_of", "customer_id").distinct()
    t = people.left_join(hits, [people.as_of == hits.h_as_of,
                                people.customer_id == hits.h_customer])
    return t.select("as_of", "customer_id", bad=t.h_customer.notnull().cast("int8"))
