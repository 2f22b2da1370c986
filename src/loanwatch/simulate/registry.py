"""Public records about borrowers (工商变更, 司法, 行政处罚): routine noise, key-person churn,
court enforcement — and their benign look-alikes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.frames import dates, day, ids, money, stream
from loanwatch.simulate.identity import person_names
from loanwatch.simulate.parties import Parties
from loanwatch.simulate.scenarios import Scenarios

#: kind -> yearly probability for an ordinary enterprise
ROUTINE = {
    "address_change": 0.03,
    "business_scope_change": 0.05,
    "capital_change": 0.03,
    "director_change": 0.04,
    "supervisor_change": 0.03,
    "shareholder_change": 0.03,
    "admin_penalty": 0.01,
    "lawsuit": 0.03,
    "equity_pledge": 0.01,
}
CHURN = ("legal_rep_change", "shareholder_change", "finance_head_change", "director_change")
DETAILS = {
    "legal_rep_change": "法定代表人变更",
    "shareholder_change": "股东变更",
    "director_change": "董事备案变更",
    "supervisor_change": "监事备案变更",
    "finance_head_change": "财务负责人变更",
    "business_scope_change": "经营范围变更",
    "address_change": "住所变更",
    "capital_change": "注册资本变更",
    "lawsuit": "合同纠纷（被告）",
    "enforcement": "被执行人",
    "dishonest_debtor": "失信被执行人",
    "admin_penalty": "行政处罚",
    "equity_freeze": "股权冻结",
    "equity_pledge": "股权出质",
    "abnormal_operation": "列入经营异常名录",
}


class _Events:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = []

    def add(self, who, when, kind: str, amount=None) -> None:
        who = np.asarray(who, np.int64)
        amt = np.full(len(who), -1, np.int64) if amount is None else np.asarray(amount, np.int64)
        self.parts.append((who, np.asarray(when, "datetime64[D]"), kind, amt))


def registry_events(cfg: SimConfig, loans: Loans, parties: Parties, scen: Scenarios) -> pa.Table:
    rng = stream(cfg.seed, "registry")
    ev = _Events()
    start, end = day(cfg.start), day(cfg.end)
    span = (end - start).astype(np.int64) + 1
    years = span / 365
    ent = np.flatnonzero(parties.borrower & parties.enterprise)
    for kind, rate in ROUTINE.items():
        hit = ent[rng.random(len(ent)) < rate * years]
        when = start + rng.integers(0, span, len(hit)).astype("timedelta64[D]")
        amount = parties.capital[hit] * rng.uniform(0.01, 0.05, len(hit)) if kind == "lawsuit" else None
        ev.add(hit, when, kind, None if amount is None else np.rint(amount / 100) * 100)
    principal = np.zeros(len(parties), np.int64)
    np.add.at(principal, loans.customer, loans.principal)
    _churn(rng, ev, scen, end)
    _court(rng, ev, scen, principal, end)
    return _table(rng, ev, parties)


def _churn(rng, ev: _Events, scen: Scenarios, end) -> None:
    real = scen.of("key_person_churn", True)
    for i, kind in enumerate(rng.permutation(CHURN)[:3]):
        # two or three key people leave within half a year of the first trace
        rows = real if i < 2 else real[rng.random(len(real)) < 0.5]
        when = scen.trace_on[rows] + (rng.integers(0, 30, len(rows)) + 60 * i).astype("timedelta64[D]")
        ok = when <= end
        ev.add(scen.customer[rows][ok], when[ok], str(kind))
    benign = scen.of("key_person_churn", False)
    # an orderly succession: the new legal representative joins the board the same day
    for kind in ("legal_rep_change", "director_change"):
        ev.add(scen.customer[benign], scen.trace_on[benign], kind)


def _court(rng, ev: _Events, scen: Scenarios, principal: np.ndarray, end) -> None:
    real = scen.of("court_enforcement", True)
    who, t0 = scen.customer[real], scen.trace_on[real]
    ev.add(who, t0, "lawsuit", np.rint(principal[who] * rng.uniform(0.1, 0.5, len(real)) / 100) * 100)
    for kind, lo, hi in (("enforcement", 30, 61), ("dishonest_debtor", 90, 151)):
        when = t0 + rng.integers(lo, hi, len(real)).astype("timedelta64[D]")
        ok = when <= end
        ev.add(who[ok], when[ok], kind)
    benign = scen.of("court_enforcement", False)
    small = np.rint(principal[scen.customer[benign]] * rng.uniform(0.005, 0.03, len(benign)) / 100) * 100
    ev.add(scen.customer[benign], scen.trace_on[benign], "lawsuit", small)


def _table(rng, ev: _Events, parties: Parties) -> pa.Table:
    if not ev.parts:
        ev.add(np.array([], np.int64), np.array([], "datetime64[D]"), "lawsuit")
    who = np.concatenate([p[0] for p in ev.parts])
    when = np.concatenate([p[1] for p in ev.parts])
    kind = np.concatenate([np.full(len(p[0]), p[2], object) for p in ev.parts])
    amount = np.concatenate([p[3] for p in ev.parts])
    # one event per (customer, day, kind)
    key = np.stack([who, when.astype(np.int64), np.unique(kind, return_inverse=True)[1]]).T
    _, first = np.unique(key, axis=0, return_index=True)
    at = np.sort(first)
    who, when, kind, amount = who[at], when[at], kind[at], amount[at]
    order = np.lexsort((when, who))
    who, when, kind, amount = who[order], when[order], kind[order], amount[order]
    base = pa.array([DETAILS[k] for k in kind], pa.string())
    person = person_names(rng.integers(0, 10**9, len(who)))
    personal = pa.array(np.isin(kind, CHURN))
    detail = pc.if_else(personal, pc.binary_join_element_wise(base, "：新任", person, ""), base)
    return pa.table(
        {
            "customer_id": ids("customer", who + 1),
            "occurred_on": dates(when),
            "kind": pa.array(kind.tolist(), pa.string()),
            "detail": detail,
            "amount": money(amount.astype(np.int64), amount >= 0),
        }
    )
