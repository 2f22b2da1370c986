"""The simulated book as contract tables (Arrow): customers, loans, schedules, repayments and the
credit support around them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.frames import dates, day, ids, money, stream
from loanwatch.simulate.identity import (
    company_names,
    enterprise_suffix,
    id_numbers,
    person_names,
    phones,
    tax_ids,
)
from loanwatch.simulate.parties import INDUSTRIES, REGIONS, RELATION_KINDS, Parties, Relations
from loanwatch.simulate.repay import Installments, Outcome, Repayments
from loanwatch.simulate.schedules import METHODS
from loanwatch.simulate.support import COLLATERAL_KINDS, GUARANTEE_KINDS, Collaterals, Covenants, Guarantees

PURPOSES = {
    "consumer": ["装修", "购车", "教育", "旅游", "家电"],
    "business": ["经营周转", "采购货物"],
    "working_capital": ["采购原材料", "支付货款"],
    "fixed_asset": ["购置设备", "厂房改造"],
    "mortgage": ["购买住房"],
}


def _strings(values: list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(values).take(pa.array(np.asarray(idx, np.int64)))


def customers(cfg: SimConfig, parties: Parties) -> pa.Table:
    rng = stream(cfg.seed, "customer-text")
    n = len(parties)
    num = np.arange(n)
    ent = parties.enterprise
    names = pc.if_else(
        pa.array(ent),
        company_names(num, parties.region, enterprise_suffix(parties.industry)),
        person_names(num),
    )
    born = np.datetime64("1960-01-01") + rng.integers(0, 365 * 40, n).astype("timedelta64[D]")
    id_no = pc.if_else(pa.array(ent), tax_ids(num, parties.region), id_numbers(num, parties.region, born))
    return pa.table(
        {
            "customer_id": ids("customer", num + 1),
            "customer_type": pc.if_else(pa.array(ent), "enterprise", "individual"),
            "name": names,
            "id_number": id_no,
            "phone": phones(parties.phone_of),
            "industry": pc.if_else(
                pa.array(ent),
                _strings([c for c, _ in INDUSTRIES], np.maximum(parties.industry, 0)),
                pa.scalar(None, pa.string()),
            ),
            "region": _strings([c for c, _ in REGIONS], parties.region),
            "branch_id": ids("branch", parties.branch + 1),
            "manager_id": ids("manager", parties.manager + 1),
            "onboarded_on": dates(parties.onboarded),
            "annual_income": money(parties.income, ~ent),
            "registered_capital": money(parties.capital, ent),
        }
    )


def loans_table(cfg: SimConfig, loans: Loans, parties: Parties, outcome: Outcome) -> pa.Table:
    rng = stream(cfg.seed, "loan-text")
    n = len(loans)
    names = [p.name for p in cfg.products]
    purpose = np.empty(n, object)
    for i, p in enumerate(names):
        at = np.flatnonzero(loans.product == i)
        purpose[at] = np.asarray(PURPOSES.get(p, ["经营"]), object)[
            rng.integers(0, len(PURPOSES.get(p, ["经营"])), len(at))
        ]
    cust = loans.customer
    line = parties.enterprise[cust] & (rng.random(n) < 0.5)
    return pa.table(
        {
            "loan_id": ids("loan", np.arange(n) + 1),
            "customer_id": ids("customer", cust + 1),
            "product": _strings(names, loans.product),
            "principal": money(loans.principal),
            "currency": pa.array(np.full(n, "CNY", object), pa.string()),
            "disbursed_on": dates(loans.disbursed),
            "maturity_on": dates(loans.maturity),
            "annual_rate": pa.array(loans.rate_micro / 1e6).cast(pa.decimal128(12, 6)),
            "repayment_method": _strings(list(METHODS), loans.method),
            "payment_mode": pc.if_else(pa.array(loans.entrusted), "entrusted", "self"),
            "purpose": pa.array(purpose.tolist(), pa.string()),
            "branch_id": ids("branch", parties.branch[cust] + 1),
            "manager_id": ids("manager", parties.manager[cust] + 1),
            "credit_line_id": ids("line", cust + 1, line),
            "restructured_on": dates(outcome.restructured, ~np.isnat(outcome.restructured)),
            "written_off_on": dates(outcome.written_off, ~np.isnat(outcome.written_off)),
        }
    )


def installments(inst: Installments) -> pa.Table:
    return pa.table(
        {
            "loan_id": ids("loan", inst.loan + 1),
            "seq": pa.array(inst.seq.astype(np.int32)),
            "due_on": dates(inst.due_on),
            "principal_due": money(inst.principal_due),
            "interest_due": money(inst.interest_due),
            "fee_due": money(inst.fee_due),
        }
    )


def repayments(rep: Repayments) -> pa.Table:
    return pa.table(
        {
            "repayment_id": ids("repayment", np.arange(len(rep.loan)) + 1),
            "loan_id": ids("loan", rep.loan + 1),
            "paid_on": dates(rep.paid_on),
            "amount": money(rep.amount),
        }
    )


def relations(rel: Relations) -> pa.Table:
    share = rel.share_micro
    return pa.table(
        {
            "customer_id": ids("customer", rel.customer + 1),
            "related_customer_id": ids("customer", rel.related + 1),
            "kind": _strings(list(RELATION_KINDS), rel.kind),
            "share": pa.array(np.where(share >= 0, share, 0) / 1e6, mask=share < 0).cast(
                pa.decimal128(12, 6)
            ),
        }
    )


def guarantees(g: Guarantees) -> pa.Table:
    return pa.table(
        {
            "guarantee_id": ids("guarantee", np.arange(len(g.loan)) + 1),
            "loan_id": ids("loan", g.loan + 1),
            "guarantor_customer_id": ids("customer", g.guarantor + 1),
            "kind": _strings(list(GUARANTEE_KINDS), g.kind),
            "amount": money(g.amount),
        }
    )


def collaterals(c: Collaterals, outcome: Outcome, descriptions: pa.Array) -> pa.Table:
    status = np.where(
        ~np.isnat(outcome.written_off[c.loan]),
        "seized",
        np.where(~np.isnat(outcome.prepaid[c.loan]), "released", "registered"),
    )
    return pa.table(
        {
            "collateral_id": ids("collateral", np.arange(len(c.loan)) + 1),
            "loan_id": ids("loan", c.loan + 1),
            "kind": _strings(list(COLLATERAL_KINDS), c.kind),
            "description": descriptions,
            "appraised_value": money(c.value),
            "appraised_on": dates(c.appraised),
            "status": pa.array(status.tolist(), pa.string()),
        }
    )


def covenants(cov: Covenants) -> pa.Table:
    n = len(cov.loan)
    loan = np.r_[cov.loan, cov.loan]
    kind = np.r_[np.full(n, "min_monthly_settlement", object), np.full(n, "max_debt_ratio", object)]
    threshold = np.r_[cov.min_settlement / 100, cov.max_debt_ratio / 1e4]
    order = np.argsort(loan, kind="stable")
    return pa.table(
        {
            "loan_id": ids("loan", loan[order] + 1),
            "kind": pa.array(kind[order].tolist(), pa.string()),
            "threshold": pa.array(threshold[order]).cast(pa.decimal128(18, 4)),
        }
    )


def collateral_descriptions(cfg: SimConfig, c: Collaterals, loans: Loans, parties: Parties) -> pa.Array:
    city = _strings([name for _, name in REGIONS], parties.region[loans.customer[c.loan]])
    what = _strings(["住宅", "土地使用权", "定期存单", "股权", "生产设备", "应收账款"], c.kind)
    return pc.binary_join_element_wise(city, what, "")


def collateral_valuations(
    cfg: SimConfig,
    c: Collaterals,
    scen_drop: tuple[np.ndarray, np.ndarray],
    benign_drop: tuple[np.ndarray, np.ndarray],
    loans: Loans,
) -> pa.Table:
    """Quarterly revaluations from the first quarter end after appraisal: property drifts, equipment
    depreciates; a real collateral scenario halves the value, a benign one trims it but keeps LTV low."""
    from loanwatch.simulate.frames import expand, month_end

    rng = stream(cfg.seed, "valuations")
    base = int(day(cfg.start).astype("datetime64[M]").astype(np.int64))
    first_q = (c.appraised.astype("datetime64[M]").astype(np.int64)) // 3 + 1
    last_q = (base + cfg.months) // 3 - 1
    idx, q = expand(np.arange(len(c.loan)), np.maximum(first_q, base // 3), np.full(len(c.loan), last_q))
    when = month_end(day(cfg.start), q * 3 + 2 - base)
    years = (when - c.appraised[idx]).astype(np.int64) / 365
    drift = np.where(c.kind[idx] == COLLATERAL_KINDS.index("equipment"), -0.10, 0.01)
    factor = (1 + drift) ** years * np.exp(rng.normal(0, 0.03, len(idx)))
    for (coll, from_day), level in ((scen_drop, None), (benign_drop, "benign")):
        hit_at = np.full(len(c.loan), np.datetime64("2100-01-01"), "datetime64[D]")
        hit_at[coll] = from_day
        after = when >= hit_at[idx]
        if level is None:
            factor = np.where(after, factor * rng.uniform(0.5, 0.7, len(idx)), factor)
        else:
            ltv = loans.principal[c.loan[idx]] / np.maximum(c.value[idx], 1)
            factor = np.where(after, factor * np.maximum(0.78, ltv / 0.75), factor)
    value = np.rint(c.value[idx] * factor / 100).astype(np.int64) * 100
    return pa.table(
        {"collateral_id": ids("collateral", idx + 1), "valued_on": dates(when), "value": money(value)}
    )
