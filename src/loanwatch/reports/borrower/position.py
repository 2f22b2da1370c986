"""The borrower's profile, loans and repayment record (客户概况、贷款与还款记录)."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import borrower_file as bf
from loanwatch.reports.document import Block, Column, Kind, Note, Table
from loanwatch.reports.formats import show
from loanwatch.reports.section import Context, Section

M, C, R, T, D = Kind.MONEY, Kind.COUNT, Kind.RATIO, Kind.TEXT, Kind.DATE
FIELDS = (("customer_id", ("客户号", "Customer"), T), ("customer_type", ("客户类型", "Type"), T),
          ("name", ("名称（脱敏）", "Name (masked)"), T),
          ("id_number", ("证件号码（脱敏）", "ID number (masked)"), T),
          ("phone", ("电话（脱敏）", "Phone (masked)"), T), ("industry", ("行业", "Industry"), T),
          ("region", ("地区", "Region"), T), ("branch_id", ("机构", "Branch"), T),
          ("manager_id", ("客户经理", "Manager"), T),
          ("onboarded_on", ("建立关系日期", "Customer since"), D),
          ("annual_income", ("年收入（元）", "Annual income"), M),
          ("registered_capital", ("注册资本（元）", "Registered capital"), M),
          ("warning_level", ("预警等级", "Warning level"), T),
          ("exposure", ("贷款余额合计（元）", "Total outstanding"), M))
TYPES = {"individual": ("个人", "individual"), "enterprise": ("企业", "enterprise")}


def _profile(ctx: Context) -> dict[str, Any]:
    cid = ctx.subject
    return {"profile": bf.profile(ctx.reader, cid, ctx.as_of),
            "level": bf.warning_level(ctx.reader, cid, ctx.as_of),
            "loans": bf.loans(ctx.reader, cid, ctx.as_of)}


def _render_profile(result: dict[str, Any], ctx: Context) -> list[Block]:
    p = dict(result["profile"])
    p["customer_type"] = ctx.pick(TYPES.get(p["customer_type"], (p["customer_type"],) * 2))
    p["warning_level"] = ctx.t(result["level"]) if result["level"] else "—"
    p["exposure"] = sum((x["outstanding_principal"] or 0 for x in result["loans"]), 0)
    rows = [{"field": ctx.pick(title), "value": show(p.get(key), kind)}
            for key, title, kind in FIELDS]
    return [Table("profile", "", [Column("field", ctx.pick(("项目", "Item"))),
                                  Column("value", ctx.pick(("内容", "Value")))], rows)]


PROFILE = Section("profile", ("客户概况", "Profile"), (), _profile, _render_profile)

CONTRACT_COLUMNS = (("loan_id", T), ("product", T), ("principal", M), ("disbursed_on", D),
                    ("maturity_on", D), ("annual_rate", R), ("repayment_method", T),
                    ("payment_mode", T))
POSITION_COLUMNS = (("loan_id", T), ("status", T), ("dpd", C), ("outstanding_principal", M),
                    ("overdue", M), ("next_due_on", D), ("five_class", T), ("stage", C),
                    ("ecl", M))


def _loans(ctx: Context) -> dict[str, Any]:
    found = bf.loans(ctx.reader, ctx.subject, ctx.as_of)
    ids = [x["loan_id"] for x in found]
    return {"loans": found, "installments": bf.installments(ctx.reader, ids, ctx.as_of),
            "record": bf.repayment_record(ctx.reader, ids, ctx.as_of)}


def _render_loans(result: dict[str, Any], ctx: Context) -> list[Block]:
    words = {"loan_id": ("借据号", "Loan"), "principal": ("合同金额", "Principal"),
             "disbursed_on": ("放款日", "Disbursed"), "maturity_on": ("到期日", "Maturity"),
             "annual_rate": ("年利率", "Rate"), "dpd": ("逾期天数", "DPD"),
             "outstanding_principal": ("贷款余额", "Outstanding"),
             "overdue": ("逾期本息", "Overdue"), "seq": ("期次", "No."),
             "repayment_method": ("还款方式", "Repayment"), "payment_mode": ("支付方式", "Payment"),
             "next_due_on": ("下一还款日", "Next due"),
             "due_on": ("应还日", "Due on"), "due": ("应还金额", "Due"),
             "covered": ("已还金额", "Paid"), "state": ("状态", "State"),
             "late_12m": ("近12个月逾期期数", "Late in 12 months"),
             "long_late_12m": ("逾期超宽限期数", "Late beyond grace"),
             "partial_periods": ("部分还款期数", "Partial payments"),
             "recent_periods": ("观察期数", "Periods observed")}

    def cols(spec):
        return [Column(k, ctx.pick(words[k]) if k in words else ctx.t(k), kind) for k, kind in spec]

    states = {"paid": ("已还清", "paid"), "overdue": ("逾期", "overdue"), "due": ("未到期", "not due"),
              "active": ("正常还款中", "active"), "settled": ("已结清", "settled"),
              "written_off": ("已核销", "written off")}
    loans = [{**ctx.words(x, "five_class"),
              **{k: ctx.code(k, x.get(k)) for k in ("product", "repayment_method", "payment_mode")},
              "status": ctx.pick(states.get(x["status"], (x["status"],) * 2)),
              "overdue": None if x["overdue_principal"] is None else
              x["overdue_principal"] + x["overdue_interest"]} for x in result["loans"]]
    blocks: list[Block] = [
        Table("loan-contracts", ctx.pick(("贷款合同", "Loan contracts")), cols(CONTRACT_COLUMNS),
              loans),
        Table("loans", ctx.pick(("贷款状况（数据日期）", "Loans at the as-of date")),
              cols(POSITION_COLUMNS), loans)]
    plan = [{**x, "state": ctx.pick(states[x["state"]])} for x in result["installments"]]
    blocks.append(Table("installments", ctx.pick(("近期还款计划与还款情况", "Recent installments")),
                        cols((("loan_id", T), ("seq", C), ("due_on", D), ("due", M),
                              ("covered", M), ("state", T))), plan))
    if result["record"]:
        blocks.append(Table("repayment-record", ctx.pick(("还款记录（近12个月）", "Repayment record")),
                            cols((("loan_id", T), ("late_12m", C), ("long_late_12m", C),
                                  ("partial_periods", C), ("recent_periods", C))), result["record"]))
    else:
        blocks.append(ctx.missing("repayment_record") or Note(ctx.t("empty")))
    return blocks


LOANS = Section("loans", ("贷款与还款记录", "Loans and repayment record"), (), _loans, _render_loans)
