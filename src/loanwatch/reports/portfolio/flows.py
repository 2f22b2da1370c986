"""资金流向与票款一致性 Fund-flow and invoice findings: what the traced proceeds reached
(``fund_flows``) and how contracts, entrusted payments and VAT invoices matched
(``reconciliation``), with the largest cases."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_findings as rf
from loanwatch.reports.document import Block, Kind
from loanwatch.reports.section import Context, Section

M, C, T = Kind.MONEY, Kind.COUNT, Kind.TEXT


def calculate(ctx: Context) -> dict[str, Any]:
    r, day = ctx.reader, ctx.as_of
    flows = r.has("fund_flows", day)
    invoices = r.has("reconciliation", day)
    return {"findings": rf.flow_findings(r, day) if flows else None,
            "flow_cases": rf.flow_cases(r, day) if flows else None,
            "status": rf.reconciliation_status(r, day) if invoices else None,
            "invoice_cases": rf.reconciliation_cases(r, day) if invoices else None}


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    blocks: list[Block] = []
    if result["findings"] is None:
        blocks.append(ctx.missing("fund_flows"))
    else:
        blocks.append(ctx.table("flow-findings", ctx.pick(("资金流向发现", "Fund-flow findings")),
                                (("finding", T), ("loans", C), ("amount", M), ("principal", M)),
                                [ctx.words(r, "finding") for r in result["findings"]]))
        blocks.append(ctx.table("flow-cases", ctx.pick(("金额最大的资金流向发现", "Largest findings")),
                                (("loan_id", T), ("customer_id", T), ("finding", T), ("amount", M),
                                 ("share", Kind.RATIO), ("hops", C), ("counterparty", T)),
                                [ctx.words(r, "finding") for r in result["flow_cases"]]))
    if result["status"] is None:
        blocks.append(ctx.missing("reconciliation"))
    else:
        blocks.append(ctx.table("reconciliation", ctx.pick(("票款一致性", "Contracts and invoices")),
                                (("status", T), ("loans", C), ("contract_amount", M),
                                 ("paid_amount", M), ("invoiced_amount", M),
                                 ("invoice_shortfall", M), ("void_invoices", C),
                                 ("seller_mismatches", C)),
                                [ctx.words(r, "status") for r in result["status"]]))
        blocks.append(ctx.table("invoice-cases", ctx.pick(("发票缺口最大的借据", "Largest invoice gaps")),
                                (("loan_id", T), ("customer_id", T), ("status", T),
                                 ("paid_amount", M), ("invoiced_amount", M),
                                 ("invoice_shortfall", M), ("days_without_invoice", C),
                                 ("reasons", T)),
                                [ctx.words(r, "status") for r in result["invoice_cases"]]))
    return blocks


SECTION = Section("flows", ("资金流向与票款一致性", "Fund flows and invoices"), (), calculate, render)
