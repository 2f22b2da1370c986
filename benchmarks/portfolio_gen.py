"""Generate a synthetic, contract-conforming loan portfolio for import benchmarks.

Everything is done by DuckDB SQL over ``range()``: no Python loop runs per row. Random
draws are ``hash(row key, seed, salt)`` mapped to [0, 1) rather than ``random()``:
``random()`` under ``setseed`` is only reproducible on one thread, while a hash of the row
key gives the same portfolio for the same seed whatever the thread count, and lets a child
table re-derive its parent's draws without a join.

Money is computed in integer cents and written as DECIMAL(18,2); no binary floating point
touches an amount (doubles are only used to pick random categories, dates and counts).

Tables written (``<table>.csv`` with a header, or ``<table>.parquet``):

* customers     ~ loans / 1.05 rows (about one loan per customer)
* loans         N rows, equal_principal, disbursed 2023-01-01 .. 2024-12-31, 12/24/36 months
* installments  ~ 24 N rows; principal split equally, the last one absorbs the rounding
* repayments    ~ 20 N rows; for most installments due by the as-of date 2025-06-30 the
                installment amount is paid on the due date or a few days later, sometimes
                in two parts; a few installments are missed and ~4 % of loans stop paying.
                No payment is dated after the as-of date.

Every reference resolves, every due_on / paid_on is on or after the loan's disbursement,
so a LoanWatch import quarantines nothing.

Usage::

    python benchmarks/portfolio_gen.py --out DIR --loans N --format csv|parquet [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

TABLES = ("customers", "loans", "installments", "repayments")
AS_OF = "2025-06-30"
LOANS_PER_CUSTOMER = 1.05

# Real-looking codes: administrative divisions (region) and GB/T 4754 classes (industry).
REGIONS = ("110101", "110105", "310104", "310115", "440305", "440106", "330106", "320106",
           "510104", "420106", "610113", "370202", "350203", "500103", "120101", "210102")
INDUSTRIES = ("A0111", "C1310", "C1810", "C3130", "C3914", "E4710", "F5123", "F5212",
              "G5430", "H6110", "I6510", "K7010", "L7212", "M7520", "O8010", "P8331")
PURPOSES = ("经营周转", "购买原材料", "购置设备", "支付货款", "装修", "教育", "日常消费", "租金")


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _setup(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    # u(k, salt): a uniform draw in [0, 1) keyed by row key and salt, stable for a seed.
    con.execute(f"CREATE OR REPLACE MACRO u(k, salt) AS "
                f"CAST(hash(k, {int(seed)}, salt) % 1000000007 AS DOUBLE) / 1000000007.0")
    # pick(k, salt, n): an integer in 1..n
    con.execute("CREATE OR REPLACE MACRO pick(k, salt, n) AS "
                "CAST(floor(u(k, salt) * n) AS BIGINT) + 1")
    # exact cents -> DECIMAL(18,2)
    con.execute("CREATE OR REPLACE MACRO yuan(cents) AS "
                "CAST(CAST(cents AS DECIMAL(18,0)) * 0.01 AS DECIMAL(18,2))")
    # ISO 7064 MOD 11-2 check character of the 17 digits of a 身份证号 (GB 11643)
    con.execute("CREATE OR REPLACE MACRO id_check(s) AS "
                "substr('10X98765432', CAST(list_sum(list_transform(range(17), lambda i: "
                "(ascii(substr(s, CAST(i AS INTEGER) + 1, 1)) - 48) * "
                "[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][CAST(i AS INTEGER) + 1]"
                ")) % 11 AS INTEGER) + 1, 1)")
    # check character of a 统一社会信用代码 whose first 17 characters are digits (GB 32100)
    con.execute("CREATE OR REPLACE MACRO uscc_check(s) AS "
                "substr('0123456789ABCDEFGHJKLMNPQRTUWXY', CAST((31 - list_sum(list_transform("
                "range(17), lambda i: (ascii(substr(s, CAST(i AS INTEGER) + 1, 1)) - 48) * "
                "[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]"
                "[CAST(i AS INTEGER) + 1])) % 31) % 31 AS INTEGER) + 1, 1)")


def _build(con: duckdb.DuckDBPyConnection, loans: int) -> int:
    customers = max(1, round(loans / LOANS_PER_CUSTOMER))
    regions, industries, purposes = _sql_list(REGIONS), _sql_list(INDUSTRIES), _sql_list(PURPOSES)

    # Per-customer draws: type, branch, manager, region.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cust_base AS
        SELECT c AS customer_no,
               printf('C%07d', c) AS customer_id,
               CASE WHEN u(c, 'ctype') < 0.2 THEN 'enterprise' ELSE 'individual' END
                   AS customer_type,
               pick(c, 'branch', 60) AS branch_no,
               pick(c, 'mgr', 20) AS mgr_no,
               {regions}[pick(c, 'region', {len(REGIONS)})] AS region
        FROM range(1, {customers} + 1) t(c)
    """)

    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE loan_base AS
        WITH l AS (
            SELECT n AS loan_no, ((n - 1) % {customers}) + 1 AS customer_no
            FROM range(1, {loans} + 1) t(n)
        ), d AS (
            SELECT l.loan_no, c.*,
                   [12, 24, 36][pick(l.loan_no, 'term', 3)] AS term,
                   435 + CAST(floor(u(l.loan_no, 'rate') * 1366) AS BIGINT) AS rate_bp,
                   CAST(DATE '2023-01-01' + CAST(floor(u(l.loan_no, 'disb') * 731) AS INTEGER)
                        AS DATE) AS disbursed_on,
                   u(l.loan_no, 'size') AS size_u,
                   u(l.loan_no, 'odd') AS odd_u
            FROM l JOIN cust_base c USING (customer_no)
        )
        SELECT *,
               -- principal in cents: whole hundreds of yuan, 15 % with odd cents
               CASE WHEN customer_type = 'enterprise'
                    THEN (1000 + CAST(floor(size_u * size_u * 99000) AS BIGINT)) * 10000
                    ELSE (100 + CAST(floor(size_u * 4900) AS BIGINT)) * 10000 END
               + CASE WHEN odd_u < 0.15 THEN CAST(floor(odd_u * 6666666) AS BIGINT) ELSE 0 END
                   AS principal_cents,
               -- loans that stop paying from some installment on (about 4 %)
               CASE WHEN u(loan_no, 'default') < 0.04
                    THEN pick(loan_no, 'default_from', term) END AS default_from
        FROM d
        ORDER BY loan_no
    """)

    con.execute(f"""
        CREATE OR REPLACE VIEW customers_v AS
        SELECT c.customer_id,
               c.customer_type,
               '客户' || c.customer_id AS name,
               CASE WHEN c.customer_type = 'individual'
                    THEN p17 || id_check(p17) ELSE p17 || uscc_check(p17) END AS id_number,
               printf('1%s%09d', ['3', '5', '7', '8', '9'][pick(c.customer_no, 'ph1', 5)],
                      pick(c.customer_no, 'phone', 999999999) - 1) AS phone,
               CASE WHEN c.customer_type = 'individual' AND u(c.customer_no, 'noind') < 0.3
                    THEN NULL ELSE {industries}[pick(c.customer_no, 'ind', {len(INDUSTRIES)})]
               END AS industry,
               c.region,
               printf('BR%03d', c.branch_no) AS branch_id,
               printf('MG%03d%02d', c.branch_no, c.mgr_no) AS manager_id,
               CAST(l.disbursed_on - CAST(floor(u(c.customer_no, 'onb') * 720) AS INTEGER)
                    AS DATE) AS onboarded_on,
               CASE WHEN c.customer_type = 'individual'
                    THEN yuan((60 + pick(c.customer_no, 'inc', 940)) * 100000) END
                   AS annual_income,
               CASE WHEN c.customer_type = 'enterprise'
                    THEN yuan((10 + pick(c.customer_no, 'cap', 4990)) * 1000000) END
                   AS registered_capital
        FROM (
            SELECT c.*,
                   CASE WHEN c.customer_type = 'individual'
                        THEN c.region
                             || strftime(DATE '1960-01-01'
                                + CAST(floor(u(c.customer_no, 'birth') * 14600) AS INTEGER),
                                '%Y%m%d')
                             || printf('%03d', pick(c.customer_no, 'ser', 999) - 1)
                        ELSE '91' || c.region
                             || printf('%09d', pick(c.customer_no, 'org', 999999999) - 1)
                   END AS p17
            FROM cust_base c
        ) c
        JOIN (SELECT customer_no, min(disbursed_on) AS disbursed_on
              FROM loan_base GROUP BY customer_no) l USING (customer_no)
        ORDER BY c.customer_no
    """)

    con.execute(f"""
        CREATE OR REPLACE VIEW loans_v AS
        SELECT printf('L%09d', loan_no) AS loan_id,
               customer_id,
               CASE WHEN customer_type = 'enterprise'
                    THEN ['SME_WORKING_CAPITAL', 'SME_EQUIPMENT', 'SME_TRADE']
                         [pick(loan_no, 'prod', 3)]
                    ELSE ['PL_CONSUMER', 'PL_BUSINESS'][pick(loan_no, 'prod', 2)] END
                   AS product,
               yuan(principal_cents) AS principal,
               'CNY' AS currency,
               disbursed_on,
               CAST(disbursed_on + to_months(term) AS DATE) AS maturity_on,
               CAST(CAST(rate_bp AS DECIMAL(6,0)) * 0.0001 AS DECIMAL(6,4)) AS annual_rate,
               'equal_principal' AS repayment_method,
               CASE WHEN u(loan_no, 'pmode') < 0.6 THEN 'entrusted' ELSE 'self' END
                   AS payment_mode,
               {purposes}[pick(loan_no, 'purpose', {len(PURPOSES)})] AS purpose,
               printf('BR%03d', branch_no) AS branch_id,
               printf('MG%03d%02d', branch_no, mgr_no) AS manager_id
        FROM loan_base
        ORDER BY loan_no
    """)

    # One row per (loan, seq); money in integer cents, converted at the end.
    con.execute("""
        CREATE OR REPLACE VIEW inst_cents AS
        SELECT loan_no, seq, term, default_from, disbursed_on,
               CAST(disbursed_on + to_months(seq) AS DATE) AS due_on,
               CASE WHEN seq < term THEN principal_cents // term
                    ELSE principal_cents - (principal_cents // term) * (term - 1) END
                   AS principal_c,
               -- interest on the outstanding principal: outstanding * rate / 12, half up
               ((principal_cents - (principal_cents // term) * (seq - 1)) * rate_bp + 60000)
                   // 120000 AS interest_c
        FROM loan_base CROSS JOIN range(1, 37) s(seq)
        WHERE seq <= term
    """)
    con.execute("""
        CREATE OR REPLACE VIEW installments_v AS
        SELECT printf('L%09d', loan_no) AS loan_id,
               CAST(seq AS INTEGER) AS seq,
               due_on,
               yuan(principal_c) AS principal_due,
               yuan(interest_c) AS interest_due,
               CAST(0 AS DECIMAL(18,2)) AS fee_due
        FROM inst_cents
    """)

    # Repayments: per installment due by the as-of date, unless missed. 70 % on the due
    # date, 25 % 1-5 days late, 5 % 6-45 days late; 38 % of paid installments in two parts
    # (the second part 0-10 days after the first). Nothing after the as-of date.
    con.execute(f"""
        CREATE OR REPLACE VIEW repayments_v AS
        WITH k AS (
            SELECT *, loan_no * 100 + seq AS key,
                   principal_c + interest_c AS total_c
            FROM inst_cents
            WHERE due_on <= DATE '{AS_OF}'
              AND NOT coalesce(seq >= default_from, false)
        ), p AS (
            SELECT *,
                   u(key, 'lagc') AS lag_u,
                   u(key, 'split') < 0.38 AS split
            FROM k
            WHERE u(key, 'miss') >= 0.02
        ), r AS (
            SELECT p.*, part,
                   CAST(due_on + CAST(
                        CASE WHEN lag_u < 0.70 THEN 0
                             WHEN lag_u < 0.95 THEN pick(key, 'lag', 5)
                             ELSE 5 + pick(key, 'lag', 40) END
                        + CASE WHEN part = 2 THEN pick(key, 'lag2', 11) - 1 ELSE 0 END
                        AS INTEGER) AS DATE) AS paid_on,
                   CASE WHEN NOT split THEN total_c
                        ELSE total_c * (30 + pick(key, 'share', 40)) // 100 END AS first_c
            FROM p CROSS JOIN (VALUES (1), (2)) v(part)
            WHERE part = 1 OR split
        )
        SELECT printf('R%09d%02d%d', loan_no, seq, part) AS repayment_id,
               printf('L%09d', loan_no) AS loan_id,
               paid_on,
               yuan(CASE WHEN part = 1 THEN first_c ELSE total_c - first_c END) AS amount
        FROM r
        WHERE paid_on <= DATE '{AS_OF}'
    """)
    return customers


def generate(out: Path | str, loans: int, fmt: str = "csv", seed: int = 42,
             verbose: bool = True) -> dict[str, int]:
    """Write the portfolio into ``out``; return the row count of each table."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    if loans < 1:
        raise ValueError("loans must be at least 1")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    options = ("(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"')"
               if fmt == "csv" else "(FORMAT parquet, COMPRESSION zstd)")
    con = duckdb.connect()
    counts: dict[str, int] = {}
    try:
        _setup(con, seed)
        _build(con, loans)
        for table in TABLES:
            path = out / f"{table}.{fmt}"
            tmp = out / f".{table}.{fmt}.tmp"
            started = time.perf_counter()
            target = str(tmp).replace("'", "''")
            counts[table] = con.execute(
                f"COPY (SELECT * FROM {table}_v) TO '{target}' {options}").fetchone()[0]
            tmp.replace(path)  # never leave a half-written table file behind
            if verbose:
                print(f"  {table:<13}{counts[table]:>12,} rows  {path.stat().st_size / 2**20:>9.1f} MB"
                      f"  {time.perf_counter() - started:6.1f} s", flush=True)
    finally:
        con.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="folder to write the tables into")
    ap.add_argument("--loans", required=True, type=int, help="number of loans")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    started = time.perf_counter()
    print(f"generating {args.loans:,} loans as {args.format} into {args.out} (seed {args.seed})")
    counts = generate(args.out, args.loans, args.format, args.seed)
    total = sum(counts.values())
    size = sum((args.out / f"{t}.{args.format}").stat().st_size for t in TABLES)
    print(f"total {total:,} rows, {size / 2**20:,.1f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
