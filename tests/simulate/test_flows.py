"""Account flows of the simulated book: contract-shaped tables whose keys and references hold, a
baseline that follows activity, and flow scenarios whose real cases leave the trail a monitor looks
for while their look-alikes stay innocent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from loanwatch.simulate import flows as flows_module
from loanwatch.simulate.book import Loans, draw_loans
from loanwatch.simulate.config import SCENARIOS, SimConfig
from loanwatch.simulate.flows import Flows, draw_flows
from loanwatch.simulate.identity import COUNTERPARTY_SUFFIX
from loanwatch.simulate.parties import Parties, draw_parties
from loanwatch.simulate.scenarios import Scenarios

CFG = SimConfig(loans=2000, seed=7)
FLOW = ("backflow", "prohibited_use", "paid_to_individual", "fake_contract")
MONEY = pa.decimal128(18, 2)
PROHIBITED_SUFFIXES = tuple(
    COUNTERPARTY_SUFFIX[k] for k in ("securities", "futures", "real_estate", "lender")
)
COLUMNS = {
    "accounts": [
        ("account_id", pa.string()), ("customer_id", pa.string()), ("holder_name", pa.string()),
        ("holder_type", pa.string()), ("bank_code", pa.string()), ("is_own_bank", pa.bool_()),
    ],
    "transactions": [
        ("txn_id", pa.string()), ("account_id", pa.string()), ("occurred_at", pa.timestamp("s")),
        ("direction", pa.string()), ("amount", MONEY), ("counterparty_account", pa.string()),
        ("counterparty_name", pa.string()), ("counterparty_type", pa.string()), ("channel", pa.string()),
        ("memo", pa.string()), ("loan_id", pa.string()),
    ],
    "contracts": [
        ("contract_id", pa.string()), ("loan_id", pa.string()), ("counterparty_name", pa.string()),
        ("counterparty_tax_id", pa.string()), ("amount", MONEY), ("signed_on", pa.date32()),
        ("goods", pa.string()),
    ],
    "invoices": [
        ("invoice_no", pa.string()), ("seller_tax_id", pa.string()), ("seller_name", pa.string()),
        ("buyer_tax_id", pa.string()), ("buyer_name", pa.string()), ("issued_on", pa.date32()),
        ("amount", MONEY), ("tax_amount", MONEY), ("status", pa.string()), ("contract_id", pa.string()),
    ],
}  # fmt: skip


@dataclass
class Portfolio:
    loans: Loans
    parties: Parties
    flows: Flows
    transactions: pa.Table
    db: duckdb.DuckDBPyConnection


def _scenarios(loans: Loans) -> Scenarios:
    """Six real and six benign cases of each flow scenario on entrusted enterprise loans, and four
    of each backflow / prohibited use on self-paid consumer loans, all early enough in the window
    for late look-alikes to show."""
    rng = np.random.default_rng(0)
    early = loans.disbursed < np.datetime64(CFG.end) - np.timedelta64(200, "D")
    consumer = early & ~loans.enterprise & (loans.product == 0)
    pools = {"entrusted": np.flatnonzero(early & loans.entrusted), "consumer": np.flatnonzero(consumer)}
    taken = {k: rng.permutation(v) for k, v in pools.items()}
    loan, scenario, real = [], [], []
    for name in FLOW:
        for pool, count in (("entrusted", 6), ("consumer", 4 if name in FLOW[:2] else 0)):
            picked, taken[pool] = taken[pool][: 2 * count], taken[pool][2 * count :]
            loan += list(picked)
            scenario += [SCENARIOS.index(name)] * len(picked)
            real += [True] * count + [False] * count
    loan = np.array(loan, np.int64)
    trace = loans.disbursed[loan] + rng.integers(1, 21, len(loan)).astype("timedelta64[D]")
    return Scenarios(
        loan, loans.customer[loan], np.array(scenario, np.int8), np.array(real), trace, np.array([], np.int64)
    )


def _draw(cfg: SimConfig = CFG) -> tuple[Loans, Parties, Scenarios, Flows]:
    loans = draw_loans(cfg)
    parties, _ = draw_parties(cfg, loans)
    scen = _scenarios(loans)
    activity = np.ones((len(parties), cfg.months), np.float32)
    sales = np.where(parties.enterprise, parties.capital // 4, 0).astype(np.int64)
    return loans, parties, scen, draw_flows(cfg, loans, parties, scen, activity, sales)


@pytest.fixture(scope="module")
def book() -> Portfolio:
    loans, parties, scen, flows = _draw()
    txns = pa.concat_tables(flows.transactions)
    db = duckdb.connect()
    n = len(loans)
    rep = parties.legal_rep[loans.customer]
    cases = pa.table(
        {
            "loan_id": [f"L{i + 1:08d}" for i in scen.loan],
            "scenario": [SCENARIOS[s] for s in scen.scenario],
            "real": scen.real,
        }
    )
    loan_table = pa.table(
        {
            "loan_id": [f"L{i + 1:08d}" for i in range(n)],
            "account_id": [f"A{c + 1:09d}" for c in loans.customer],
            "rep_account": [f"A{r + 1:09d}" if r >= 0 else None for r in rep],
            "principal": pa.array(loans.principal / 100).cast(MONEY),
            "disbursed_on": pa.array(loans.disbursed, pa.date32()),
            "entrusted": loans.entrusted,
            "product": [CFG.products[p].name for p in loans.product],
        }
    )
    for name, table in {
        "transactions": txns, "accounts": flows.accounts, "contracts": flows.contracts,
        "invoices": flows.invoices, "paths": flows.paths, "cases": cases, "loans": loan_table,
    }.items():  # fmt: skip
        db.register(name, table)
    yield Portfolio(loans, parties, flows, txns, db)
    db.close()


def _one(db, sql: str):
    return db.execute(sql).fetchone()


def _cases(db, scenario: str, real: bool) -> list[tuple]:
    rows = db.execute(f"""SELECT l.loan_id, l.account_id, l.rep_account, l.principal, l.disbursed_on
        FROM cases c JOIN loans l USING (loan_id)
        WHERE c.scenario = '{scenario}' AND c.real = {real} ORDER BY 1""").fetchall()
    assert rows, (scenario, real)
    return rows


# --- the tables follow the data contract ---------------------------------------------------------


def test_columns_are_the_contracts_in_order(book: Portfolio):
    tables = {"transactions": book.transactions} | {
        name: getattr(book.flows, name) for name in ("accounts", "contracts", "invoices")
    }
    for name, columns in COLUMNS.items():
        assert [(f.name, f.type) for f in tables[name].schema] == columns, name


def test_keys_are_unique(book: Portfolio):
    db = book.db
    for table, key in (("transactions", "txn_id"), ("accounts", "account_id"),
                       ("contracts", "contract_id"), ("invoices", "invoice_no")):  # fmt: skip
        assert _one(db, f"SELECT count(*) = count(DISTINCT {key}) FROM {table}") == (True,), table
    assert _one(db, "SELECT bool_and(regexp_full_match(invoice_no, '[0-9]{20}')) FROM invoices") == (True,)


def test_references_hold(book: Portfolio):
    db = book.db
    checks = {
        "account of a transaction": """SELECT account_id FROM transactions
                                       EXCEPT SELECT account_id FROM accounts""",
        "counterparty account": """SELECT counterparty_account FROM transactions
                                   WHERE counterparty_account IS NOT NULL
                                   EXCEPT SELECT account_id FROM accounts""",
        "loan of a transaction": """SELECT loan_id FROM transactions WHERE loan_id IS NOT NULL
                                    EXCEPT SELECT loan_id FROM loans""",
        "loan of a contract": "SELECT loan_id FROM contracts EXCEPT SELECT loan_id FROM loans",
        "contract of an invoice": """SELECT contract_id FROM invoices WHERE contract_id IS NOT NULL
                                     EXCEPT SELECT contract_id FROM contracts""",
    }
    for what, sql in checks.items():
        assert db.execute(sql).fetchall() == [], what
    n_customers = len(book.parties)
    own = db.execute("""SELECT customer_id, is_own_bank, bank_code = 'OWN', holder_type FROM accounts
                        WHERE customer_id IS NOT NULL""").fetchall()
    assert len(own) == n_customers and all(o and b for _, o, b, _ in own)
    assert {t for *_, t in own} == {"individual", "enterprise"}


def test_money_is_never_negative_except_red_invoices(book: Portfolio):
    db = book.db
    assert _one(db, "SELECT min(amount) > 0 FROM transactions") == (True,)
    assert _one(db, "SELECT min(amount) > 0 FROM contracts") == (True,)
    assert _one(
        db,
        """SELECT count(*) FROM invoices
                       WHERE (amount < 0 OR tax_amount < 0) <> (status = 'red')""",
    ) == (0,)
    # VAT at 13% on every invoice, to the cent
    assert _one(db, "SELECT max(abs(tax_amount - round(amount * 0.13, 2))) <= 0.01 FROM invoices") == (True,)


def test_dates_stay_in_the_window_and_after_the_disbursement(book: Portfolio):
    db = book.db
    start, end = CFG.start, CFG.end
    first, last = _one(db, "SELECT min(occurred_at), max(occurred_at) FROM transactions")
    assert dt.datetime.combine(start, dt.time()) <= first and last < dt.datetime.combine(
        end, dt.time()
    ) + dt.timedelta(1)
    assert _one(db, f"SELECT max(issued_on) <= DATE '{end}' FROM invoices") == (True,)
    assert _one(
        db,
        """SELECT count(*) FROM transactions t JOIN loans l USING (loan_id)
                       WHERE t.occurred_at < l.disbursed_on""",
    ) == (0,)
    assert _one(
        db,
        """SELECT count(*) FROM contracts c JOIN loans l USING (loan_id)
                       WHERE c.signed_on > l.disbursed_on OR c.signed_on < l.disbursed_on - 30""",
    ) == (0,)


def test_enums_are_the_contracts(book: Portfolio):
    db = book.db
    party = {"individual", "enterprise", "unknown"}
    assert {r for (r,) in db.execute("SELECT DISTINCT holder_type FROM accounts").fetchall()} == party
    assert {
        r for (r,) in db.execute("SELECT DISTINCT counterparty_type FROM transactions").fetchall()
    } == party
    assert {r for (r,) in db.execute("SELECT DISTINCT direction FROM transactions").fetchall()} == {
        "in",
        "out",
    }
    assert {r for (r,) in db.execute("SELECT DISTINCT status FROM invoices").fetchall()} == {
        "normal",
        "void",
        "red",
    }
    # unknown holders have no name; other banks' accounts have a bank code of their own
    assert _one(
        db, "SELECT count(*) FROM accounts WHERE holder_type = 'unknown' AND holder_name IS NOT NULL"
    ) == (0,)
    assert _one(db, "SELECT count(*) FROM accounts WHERE is_own_bank <> (bank_code = 'OWN')") == (0,)


# --- every loan: disbursement, payout, contract, invoices -----------------------------------------


def test_every_loan_is_disbursed_once_on_its_day(book: Portfolio):
    rows = book.db.execute("""SELECT count(*), count(DISTINCT t.loan_id) FROM transactions t
        JOIN loans l ON t.loan_id = l.loan_id AND t.account_id = l.account_id
        WHERE t.direction = 'in' AND t.memo = '放款' AND t.channel = 'core' AND t.amount = l.principal
          AND CAST(t.occurred_at AS DATE) = l.disbursed_on AND t.counterparty_name = '贷款发放'
          AND t.counterparty_type = 'unknown'""").fetchone()
    assert rows == (len(book.loans), len(book.loans))


def test_normal_entrusted_loans_pay_the_contract_party_and_get_its_invoices(book: Portfolio):
    rows = book.db.execute(f"""
        WITH pay AS (SELECT t.loan_id, t.amount, t.occurred_at, t.counterparty_name, t.counterparty_type
                     FROM transactions t WHERE t.channel = 'entrusted' AND t.direction = 'out')
        SELECT c.contract_id, pay.amount, pay.counterparty_name = c.counterparty_name,
               pay.counterparty_type, c.amount >= pay.amount,
               (SELECT sum(i.amount + i.tax_amount) FROM invoices i WHERE i.contract_id = c.contract_id
                  AND i.status = 'normal' AND i.seller_tax_id = c.counterparty_tax_id
                  AND i.issued_on BETWEEN CAST(pay.occurred_at AS DATE) + 5
                                      AND CAST(pay.occurred_at AS DATE) + 45) AS invoiced
        FROM contracts c JOIN pay USING (loan_id)
        WHERE c.loan_id NOT IN (SELECT loan_id FROM cases)
          AND CAST(pay.occurred_at AS DATE) + 45 <= DATE '{CFG.end}'""").fetchall()
    assert len(rows) > 200
    for contract, paid, same_party, party_type, covers, invoiced in rows:
        assert same_party and party_type == "enterprise" and covers, contract
        assert invoiced == paid, contract


def test_consumer_loans_spend_at_most_the_principal_none_above_80_percent(book: Portfolio):
    rows = book.db.execute("""
        WITH single AS (SELECT account_id FROM loans GROUP BY ALL HAVING count(*) = 1)
        SELECT l.loan_id, l.principal, sum(t.amount), max(t.amount)
        FROM loans l JOIN single USING (account_id) JOIN transactions t ON t.account_id = l.account_id
         AND t.direction = 'out' AND t.occurred_at >= l.disbursed_on AND t.occurred_at < l.disbursed_on + 21
         AND t.memo IN ('装修款', '购车款', '家电', '学费')
        WHERE l.product = 'consumer' AND l.loan_id NOT IN (SELECT loan_id FROM cases)
        GROUP BY ALL""").fetchall()
    assert len(rows) > 300
    assert all(total <= p and top <= p * 8 / 10 for _, p, total, top in rows)


# --- flow scenarios: real cases leave the trail, look-alikes stay innocent -------------------------


def _returned(db, account: str, rep: str | None, principal, disbursed) -> float:
    """The largest amount that came back to the borrower or its legal representative within 30 days
    through at least one account the borrower's money reached (following accounts, up to 4 hops)."""
    rows = db.execute(f"""SELECT account_id, direction, counterparty_account, amount FROM transactions
        WHERE occurred_at >= DATE '{disbursed}' AND occurred_at < DATE '{disbursed}' + 31
          AND amount >= {principal} * 0.1 AND counterparty_account IS NOT NULL
          AND (loan_id IS NULL OR direction = 'out')""").fetchall()
    home = {account, rep} - {None}
    reached = {account}
    for _ in range(4):
        for acct, direction, other, _amount in rows:
            if direction == "out" and acct in reached:
                reached.add(other)
            elif direction == "in" and other in reached and acct not in home:
                reached.add(acct)
    back = [float(a) for acct, d, other, a in rows if d == "in" and acct in home and other in reached - home]
    return max(back, default=0.0)


def test_real_backflow_returns_to_the_borrower_or_its_representative_within_30_days(book: Portfolio):
    for loan, account, rep, principal, disbursed in _cases(book.db, "backflow", True):
        assert _returned(book.db, account, rep, principal, disbursed) >= 0.1 * float(principal), loan


def test_real_backflow_ground_truth_is_a_chain_through_own_bank_intermediaries(book: Portfolio):
    for loan, account, rep, principal, disbursed in _cases(book.db, "backflow", True):
        hops = book.db.execute(f"""SELECT hop, account_id, counterparty_account, amount, occurred_at
            FROM paths WHERE loan_id = '{loan}' ORDER BY hop""").fetchall()
        assert [h for h, *_ in hops] == list(range(len(hops))) and 2 <= len(hops) <= 4, loan
        assert hops[0][1] == account and hops[-1][2] in {account, rep}, loan
        assert all(a[2] == b[1] for a, b in zip(hops, hops[1:], strict=False)), loan
        assert float(hops[-1][3]) >= 0.5 * float(principal), loan  # at least half comes back
        assert hops[-1][4] < dt.datetime.combine(disbursed, dt.time()) + dt.timedelta(days=30), loan
        # self-paid proceeds leave to an intermediary this bank holds; entrusted ones via the supplier
        (own,) = _one(
            book.db,
            f"""SELECT bool_or(is_own_bank) FROM accounts
            WHERE account_id IN ({", ".join(f"'{h[2]}'" for h in hops[:-1])})""",
        )
        (entrusted,) = _one(book.db, f"SELECT entrusted FROM loans WHERE loan_id = '{loan}'")
        assert own or entrusted, loan


def test_benign_backflow_is_a_small_direct_refund(book: Portfolio):
    for loan, account, rep, principal, disbursed in _cases(book.db, "backflow", False):
        refunds = book.db.execute(f"""SELECT amount FROM transactions WHERE account_id = '{account}'
            AND direction = 'in' AND memo = '退款' AND occurred_at < DATE '{disbursed}' + 31""").fetchall()
        assert len(refunds) == 1 and 0.0 < float(refunds[0][0]) <= 0.15 * float(principal), loan
        via_intermediary = _one(
            book.db,
            f"""SELECT count(*) FROM transactions t JOIN accounts a
            ON a.account_id = t.counterparty_account WHERE t.account_id IN ('{account}', '{rep}')
            AND a.is_own_bank AND a.customer_id IS NULL""",
        )
        assert via_intermediary == (0,), loan


def _prohibited_share(db, account: str, principal, disbursed) -> float:
    suffixes = " OR ".join(f"counterparty_name LIKE '%{s}'" for s in PROHIBITED_SUFFIXES)
    (paid,) = _one(
        db,
        f"""SELECT coalesce(sum(amount), 0) FROM transactions WHERE account_id = '{account}'
        AND direction = 'out' AND occurred_at >= DATE '{disbursed}' AND occurred_at < DATE '{disbursed}' + 31
        AND ({suffixes})""",
    )
    return float(paid) / float(principal)


def test_real_prohibited_use_reaches_brokers_developers_or_lenders(book: Portfolio):
    for loan, account, _, principal, disbursed in _cases(book.db, "prohibited_use", True):
        assert _prohibited_share(book.db, account, principal, disbursed) >= 0.3, loan


def test_benign_prohibited_use_comes_late_and_small(book: Portfolio):
    for loan, account, _, principal, disbursed in _cases(book.db, "prohibited_use", False):
        assert _prohibited_share(book.db, account, principal, disbursed) == 0, loan
        later = book.db.execute(f"""SELECT t.amount, t.memo FROM paths p JOIN transactions t
            ON t.account_id = p.account_id AND t.occurred_at = p.occurred_at AND t.amount = p.amount
            WHERE p.loan_id = '{loan}'""").fetchall()
        assert len(later) == 1 and later[0][1] in ("房租", "银证转账"), loan
        assert float(later[0][0]) < 0.3 * float(principal), loan


def _entrusted_payment(db, loan: str) -> tuple:
    return _one(
        db,
        f"""SELECT t.counterparty_name, t.counterparty_type, c.counterparty_name,
            c.counterparty_tax_id, t.amount
        FROM transactions t JOIN contracts c USING (loan_id)
        WHERE t.loan_id = '{loan}' AND t.channel = 'entrusted'""",
    )


def test_paid_to_individual_real_pays_somebody_else_than_the_contract(book: Portfolio):
    for loan, *_ in _cases(book.db, "paid_to_individual", True):
        payee, payee_type, party, party_tax_id, _ = _entrusted_payment(book.db, loan)
        assert payee_type == "individual" and payee != party and party_tax_id is not None, loan


def test_paid_to_individual_benign_is_a_contract_with_that_person(book: Portfolio):
    for loan, *_ in _cases(book.db, "paid_to_individual", False):
        payee, payee_type, party, party_tax_id, _ = _entrusted_payment(book.db, loan)
        assert payee_type == "individual" and payee == party and party_tax_id is None, loan


def _valid_invoiced(db, loan: str) -> float:
    """Invoice totals from the contract's counterparty that still stand (void ignored, red subtracts)."""
    (total,) = _one(
        db,
        f"""SELECT coalesce(sum(i.amount + i.tax_amount), 0) FROM invoices i
        JOIN contracts c USING (contract_id)
        WHERE c.loan_id = '{loan}' AND i.status <> 'void' AND i.seller_tax_id = c.counterparty_tax_id""",
    )
    return float(total)


def test_fake_contracts_never_get_valid_invoices_for_the_payment(book: Portfolio):
    for loan, *_ in _cases(book.db, "fake_contract", True):
        paid = float(_entrusted_payment(book.db, loan)[4])
        assert _valid_invoiced(book.db, loan) < 0.95 * paid, loan


def test_fake_contract_look_alikes_are_invoiced_in_full_in_the_end(book: Portfolio):
    for loan, *_ in _cases(book.db, "fake_contract", False):
        paid = float(_entrusted_payment(book.db, loan)[4])
        assert _valid_invoiced(book.db, loan) == paid, loan
    ((late, voided),) = book.db.execute("""SELECT count(*) FILTER (i.issued_on > l.disbursed_on + 60),
            count(*) FILTER (i.status = 'void')
        FROM cases s JOIN loans l USING (loan_id) JOIN contracts c USING (loan_id)
             JOIN invoices i USING (contract_id)
        WHERE s.scenario = 'fake_contract' AND NOT s.real""").fetchall()
    assert late > 0 and voided > 0


# --- the baseline and the parts -------------------------------------------------------------------


def test_enterprise_settlement_adds_up_to_monthly_sales(book: Portfolio):
    """With activity 1.0 the buyers' payments of every month are exactly the normal monthly sales."""
    sales = np.where(book.parties.enterprise, book.parties.capital // 4, 0)
    rows = book.db.execute("""SELECT account_id, date_trunc('month', occurred_at), sum(amount), count(*)
        FROM transactions WHERE direction = 'in' AND memo = '货款' GROUP BY ALL""").fetchall()
    assert len(rows) > 1000
    for account, _, total, count in rows:
        assert round(float(total) * 100) == sales[int(account[1:]) - 1] and 2 <= count <= 3, account


def test_rows_per_loan_stay_within_budget(book: Portfolio):
    per_loan = book.transactions.num_rows / len(book.loans)
    assert 35 <= per_loan <= 50


def test_transactions_come_in_parts_with_running_ids(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(flows_module, "BLOCK", 1000)
    loans, parties, _, flows = _draw()
    parts = list(flows.transactions)
    assert len(parts) == -(-len(parties) // 1000)
    txn_ids = pa.concat_tables(parts).column("txn_id").to_pylist()
    assert txn_ids == [f"T{i + 1:010d}" for i in range(len(txn_ids))]
    table = pa.concat_tables(parts)
    assert table.filter(pc.equal(table["memo"], "放款")).num_rows == len(loans)


def test_same_seed_same_tables_other_seed_other_tables(book: Portfolio):
    _, _, _, again = _draw()
    for name in ("accounts", "contracts", "invoices", "paths"):
        assert getattr(again, name).equals(getattr(book.flows, name)), name
    assert pa.concat_tables(again.transactions).equals(book.transactions)
    assert pa.concat_tables(book.flows.transactions).equals(book.transactions)  # iterating again
    _, _, _, other = _draw(SimConfig(loans=2000, seed=8))
    assert not other.contracts.equals(book.flows.contracts)
