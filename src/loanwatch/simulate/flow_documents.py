"""The paperwork of entrusted loans: one purchase contract per loan, the VAT invoices that follow
its payment (bent by fake contracts), and the quarterly sales invoices of enterprise borrowers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.flow_accounts import IND, Book, Traits
from loanwatch.simulate.flow_moves import DAY, concat, fan, split, take, yuan
from loanwatch.simulate.flow_paths import FAKE, Plan
from loanwatch.simulate.frames import dates, day, expand, ids, money, stream
from loanwatch.simulate.parties import REGIONS, Parties

VAT = 0.13
INVOICE_STATUS = ("normal", "void", "red")
#: goods bought with entrusted proceeds, by industry (parties.INDUSTRIES order); equipment last
GOODS = (
    ("面粉", "食用油", "包装材料"),
    ("棉纱", "化纤面料", "染料"),
    ("化工原料", "塑料粒子", "有机溶剂"),
    ("钢材", "轴承", "液压件"),
    ("电子元器件", "集成电路", "印制电路板"),
    ("钢筋", "水泥", "商品混凝土"),
    ("日用百货", "五金制品", "纸制品"),
    ("家用电器", "服装", "食品饮料"),
    ("燃油", "轮胎", "托盘货架"),
    ("食材", "冷链食品", "厨房用品"),
    ("服务器", "网络设备", "软件许可"),
    ("办公设备", "计算机", "办公家具"),
    ("数控机床", "生产线设备", "工业机器人"),
)


def contracts_table(cfg: SimConfig, loans: Loans, parties: Parties, plan: Plan, book: Book) -> pa.Table:
    """One purchase contract per entrusted loan, signed 1–30 days before the disbursement, for the
    payment or a little more; goods fit the borrower's industry (equipment for fixed-asset loans)."""
    rng = stream(cfg.seed, "flows-contracts")
    at = np.flatnonzero(loans.entrusted)
    n, pay, party = len(at), plan.pay_amount[at], plan.party[at]
    more = (np.ceil(pay * rng.uniform(1.0, 1.1, n) / 10_000) * 10_000).astype(np.int64)
    names = [p.name for p in cfg.products]
    fixed = loans.product[at] == (names.index("fixed_asset") if "fixed_asset" in names else -1)
    group = np.where(fixed, len(GOODS) - 1, np.maximum(parties.industry[loans.customer[at]], 0))
    goods = pa.array([g for options in GOODS for g in options])
    sole = pa.array(book.holder[party] == IND)
    return pa.table(
        {
            "contract_id": ids("contract", np.arange(n) + 1),
            "loan_id": ids("loan", at + 1),
            "counterparty_name": book.names.take(pa.array(party)),
            "counterparty_tax_id": pc.if_else(sole, pa.scalar(None, pa.string()), book.tax_ids(party)),
            "amount": money(np.where(rng.random(n) < 0.5, pay, more)),
            "signed_on": dates(loans.disbursed[at] - rng.integers(1, 31, n).astype("timedelta64[D]")),
            "goods": goods.take(pa.array(group * 3 + rng.integers(0, 3, n))),
        }
    )


@dataclass
class _Invoices:
    contract: np.ndarray  # contract number (-1: not tied to a contract)
    seller: np.ndarray  # accounts stand for their holders
    buyer: np.ndarray
    day: np.ndarray  # datetime64[D]
    total: np.ndarray  # signed cents, tax included (价税合计)
    status: np.ndarray  # int8 INVOICE_STATUS


def contract_invoices(cfg: SimConfig, loans: Loans, plan: Plan, book: Book) -> _Invoices:
    """1–3 invoices per entrusted payment from the contract's counterparty 5–45 days later, whose
    totals add up to the payment; fake contracts and their look-alikes bend them."""
    rng = stream(cfg.seed, "flows-invoices")
    at = np.flatnonzero(loans.entrusted)
    row, j = fan(rng.integers(1, 4, len(at)))
    loan = at[row]
    total = split(plan.pay_amount[at], row, rng.random(len(row)) + 0.5)
    pay_day = (plan.pay_at[loan] // DAY).astype("datetime64[D]")
    issued = pay_day + rng.integers(5, 46, len(row)).astype("timedelta64[D]")
    inv = _Invoices(row, plan.party[loan], loans.customer[loan], issued, total, np.zeros(len(row), np.int8))
    return _fake_documents(cfg, rng, plan, book, inv, loan, j)


def _fake_documents(cfg: SimConfig, rng, plan: Plan, book: Book, inv: _Invoices, loan, j) -> _Invoices:
    """Real fake contracts: no invoice ever, invoices voided, reversed by red ones, or sold by another
    company; look-alikes: invoices 61–120 days late, or one voided and reissued at once. Invoices
    after the end are not issued yet."""
    fake = plan.case[loan] == FAKE
    real, benign = fake & plan.real[loan], fake & ~plan.real[loan]
    variant = rng.integers(0, 4, len(plan.case))[loan]
    end = day(cfg.end)
    inv.status[real & (variant == 1)] = INVOICE_STATUS.index("void")
    other = np.flatnonzero(real & (variant == 3))
    step = 1 + rng.integers(0, book.size["supplier"] - 1, len(other))
    inv.seller[other] = book.of("supplier", inv.seller[other] - book.start["supplier"] + step)
    late = np.flatnonzero(benign & (variant % 2 == 0))
    inv.day[late] += rng.integers(56, 76, len(late)).astype("timedelta64[D]")
    redo = benign & (variant % 2 == 1) & (j == 0)
    inv.status[redo] = INVOICE_STATUS.index("void")
    issued = (inv.day <= end) & ~(real & (variant == 0))
    red = take(inv, np.flatnonzero(issued & real & (variant == 2)))
    red.total, red.status[:] = -red.total, INVOICE_STATUS.index("red")
    red.day = np.minimum(red.day + rng.integers(3, 31, len(red.day)).astype("timedelta64[D]"), end)
    again = take(inv, np.flatnonzero(issued & redo))
    again.status[:] = INVOICE_STATUS.index("normal")
    again.day = np.minimum(again.day + rng.integers(0, 2, len(again.day)).astype("timedelta64[D]"), end)
    return concat([take(inv, np.flatnonzero(issued)), red, again])


def sales_invoices(
    cfg: SimConfig, parties: Parties, activity: np.ndarray, sales: np.ndarray, traits: Traits, book: Book
) -> _Invoices:
    """One invoice a quarter from each enterprise borrower to a regular buyer, for a part of the
    quarter's sales: sales invoices that are not tied to a contract."""
    rng = stream(cfg.seed, "flows-sales-invoices")
    who = np.flatnonzero(parties.enterprise & parties.borrower)
    base = int(day(cfg.start).astype("datetime64[M]").astype(np.int64))
    first = -((-(base + traits.first_month[who])) // 3)
    c, q = expand(who, first, np.full(len(who), (base + cfg.months - 3) // 3))
    last = q * 3 + 2 - base
    act = activity[c, last - 2] + activity[c, last - 1] + activity[c, last]
    total = yuan(sales[c] * act * rng.uniform(0.3, 0.5, len(c)))
    end_of_quarter = (day(cfg.start).astype("datetime64[M]") + last + 1).astype("datetime64[D]") - 1
    issued = end_of_quarter - rng.integers(0, 10, len(c)).astype("timedelta64[D]")
    buyer = book.of("buyer", traits.buyer[c] + rng.integers(0, 5, len(c)) * 7)
    return _Invoices(np.full(len(c), -1), c, buyer, issued, total, np.zeros(len(c), np.int8))


def invoices_table(inv: _Invoices, book: Book) -> pa.Table:
    """Numbered in the order of issue: 2-digit year, 2-digit province of the seller, 16-digit serial."""
    inv = take(inv, np.argsort(inv.day, kind="stable"))
    n = len(inv.day)
    year = inv.day.astype("datetime64[Y]").astype(np.int64) + 1970
    province = np.array([int(code[:2]) for code, _ in REGIONS])[book.region[inv.seller]]
    head = pc.utf8_lpad(pc.cast(pa.array(year % 100 * 100 + province), pa.string()), 4, "0")
    serial = pc.utf8_lpad(pc.cast(pa.array(np.arange(n) + 1), pa.string()), 16, "0")
    gross = np.abs(inv.total)
    amount = np.rint(gross / (1 + VAT)).astype(np.int64)
    sign = np.where(inv.total < 0, -1, 1)
    return pa.table(
        {
            "invoice_no": pc.binary_join_element_wise(head, serial, ""),
            "seller_tax_id": book.tax_ids(inv.seller),
            "seller_name": book.names.take(pa.array(inv.seller)),
            "buyer_tax_id": book.tax_ids(inv.buyer),
            "buyer_name": book.names.take(pa.array(inv.buyer)),
            "issued_on": dates(inv.day),
            "amount": money(sign * amount),
            "tax_amount": money(sign * (gross - amount)),
            "status": pa.array(list(INVOICE_STATUS)).take(pa.array(inv.status)),
            "contract_id": ids("contract", inv.contract + 1, inv.contract >= 0),
        }
    )
