"""``loanwatch report portfolio --format html``: the figures of the report equal the marts
exported by ``loanwatch export`` for the same date, computed here from the exported rows;
the comparison date is the period end before; a mart that is not stored is said, not an
error."""

from __future__ import annotations

import shutil
from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest

from loanwatch.domain.labels import code_label
from loanwatch.ingest.quality import GAPS, quality_report
from loanwatch.reports.portfolio.quality import GAPS_ZH
from loanwatch.workspace import Workspace
from tests.reports.conftest import (
    AS_OF,
    BEFORE,
    QUARTER_BEFORE,
    by_first_cell,
    export,
    html_tables,
    lw,
)


def money(text: str) -> str:
    return f"{Decimal(text):,.2f}"


def pct(text: str | float) -> str:
    return "—" if text in ("", None) else f"{float(text) * 100:,.2f}%"


def count(n: int | str) -> str:
    return f"{int(n):,}"


@pytest.fixture(scope="module")
def exported(report_ws, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exported")
    marts = {m: export(report_ws, m, AS_OF, folder)
             for m in ("portfolio_metrics", "roll_rates", "concentration", "classification",
                       "alerts", "class_migration", "fund_flows")}
    marts["portfolio_metrics_before"] = export(report_ws, "portfolio_metrics", BEFORE, folder)
    marts["portfolio_metrics_quarter"] = export(report_ws, "portfolio_metrics", QUARTER_BEFORE,
                                                folder)
    return marts


def report_html(ws: Workspace, tmp_path, *args: str) -> str:
    out = tmp_path / "report.html"
    result = lw("report", "portfolio", "-w", ws.root, "--as-of", AS_OF, "--format", "html",
                "--out", out, *args)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def monthly(report_ws, tmp_path_factory):
    return report_html(report_ws, tmp_path_factory.mktemp("monthly"), "--lender", "测试银行")


def book(rows: list[dict[str, str]]) -> dict[str, str]:
    (row,) = [r for r in rows if r["dimension"] == "all"]
    return row


def test_key_figures_equal_the_exported_portfolio_metrics_now_and_a_month_before(monthly, exported):
    figures = html_tables(monthly).figures["summary-figures"]
    now, before = book(exported["portfolio_metrics"]), book(exported["portfolio_metrics_before"])
    for key in ("outstanding", "m1_balance", "m3_balance", "npl_balance", "loss_allowance"):
        change = Decimal(now[key]) - Decimal(before[key])
        sign = "+" if change > 0 else ""
        assert figures[key][1:] == [money(now[key]), money(before[key]), sign + money(str(change))]
    for key in ("m1_rate_balance", "m3_rate_balance", "npl_ratio", "provision_coverage"):
        points = (float(now[key]) - float(before[key])) * 100
        assert figures[key][1:] == [pct(now[key]), pct(before[key]), f"{points:+,.2f} pp"]
    assert figures["loans"][1] == count(now["loans"])


def test_the_cover_names_the_date_the_comparison_the_lender_and_the_policy(monthly, exported):
    cover = monthly.split('<section class="section"')[0]
    policy = exported["portfolio_metrics"][0]["policy_version"]
    for text in ("贷后风险报告（月度）", "测试银行", AS_OF, BEFORE, policy, "2024-12-01"):
        assert text in cover


@pytest.mark.parametrize("dimension", ["product", "branch_id", "industry"])
def test_delinquency_by_segment_equals_the_mart(monthly, exported, dimension):
    table = by_first_cell(html_tables(monthly).tables[f"delinquency-{dimension}"])
    expected = [r for r in exported["portfolio_metrics"] if r["dimension"] == dimension]
    assert expected and len(table) == min(len(expected), 15)
    for r in expected:
        # products read as the console names them (domain.labels); branches, industries as coded
        row = table.get(code_label(dimension, r["segment"], "zh") or "—")
        if row is None:  # beyond the 15 largest
            assert len(expected) > 15, r["segment"]
            continue
        assert list(row.values())[1:] == [
            count(r["loans"]), money(r["outstanding"]), pct(r["m1_rate_count"]),
            pct(r["m1_rate_balance"]), pct(r["m3_rate_count"]), pct(r["m3_rate_balance"]),
            pct(r["m4_rate_count"]), pct(r["m4_rate_balance"])]


def test_roll_and_cure_rates_equal_the_mart(monthly, exported):
    table = by_first_cell(html_tables(monthly).tables["roll-rates"])
    assert set(table) == {r["from_bucket"] for r in exported["roll_rates"]}
    for r in exported["roll_rates"]:
        assert list(table[r["from_bucket"]].values())[1:] == [
            count(Decimal(r["loans_before"])), money(r["balance_before"]),
            money(r["rolled_forward"]), pct(r["roll_rate"]), money(r["cured"]), pct(r["cure_rate"])]


def test_classes_sum_the_exported_loans_and_their_npl_is_the_metrics_npl(monthly, exported):
    sums: dict[str, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for r in exported["classification"]:
        if r["status"] == "active" and Decimal(r["outstanding_principal"]) > 0:
            s = sums[r["five_class"]]
            s[0] += 1
            s[1] += Decimal(r["outstanding_principal"])
            s[2] += Decimal(r["ecl"])
    names = {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑",
             "loss": "损失"}
    table = by_first_cell(html_tables(monthly).tables["classes"])
    for code, name in names.items():
        loans, balance, ecl = sums.get(code, [0, Decimal(0), Decimal(0)])
        row = table[name]
        assert (row["贷款笔数"], row["余额"], row["预期信用损失"]) == (
            count(loans), money(str(balance)), money(str(ecl)))
    npl = sum((sums[c][1] for c in ("substandard", "doubtful", "loss") if c in sums), Decimal(0))
    assert npl == Decimal(book(exported["portfolio_metrics"])["npl_balance"])


def test_the_class_migration_matrix_holds_the_mart_s_balances(monthly, exported):
    table = by_first_cell(html_tables(monthly).tables["class-migration-balance"])
    names = {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑",
             "loss": "损失", "settled": "结清", "written_off": "核销"}
    for r in exported["class_migration"]:
        assert table[names[r["from_class"]]][names[r["to_state"]]] == money(r["balance_before"])


def test_top_borrowers_equal_the_concentration_mart(monthly, exported):
    table = html_tables(monthly).tables["top-borrowers"][1:]
    assert [row[1:] for row in table] == [
        [r["customer_id"], count(r["loans"]), money(r["exposure"]), pct(r["share"]),
         pct(r["cumulative_share"])] for r in exported["concentration"]]


def test_alerts_new_closed_and_open_are_counted_from_the_alerts_mart(monthly, exported):
    new, closed, open_ = defaultdict(int), defaultdict(int), defaultdict(int)
    for a in exported["alerts"]:
        new[a["severity"]] += BEFORE < a["opened_on"] <= AS_OF
        closed[a["severity"]] += bool(a["closed_on"]) and BEFORE < a["closed_on"] <= AS_OF
        open_[a["severity"]] += a["status"] == "open"
    table = by_first_cell(html_tables(monthly).tables["alerts"])
    assert table["合计"]["本期新增"] == count(sum(new.values()))
    assert table["合计"]["期末未关闭"] == count(sum(open_.values()))
    assert table["合计"]["本期关闭（条件消失）"] == count(sum(closed.values()))
    assert table["高"]["期末未关闭"] == count(open_["high"])
    assert "业务库" in monthly  # dispositions are not in the marts: the report says so


def test_fund_flow_findings_sum_the_mart(monthly, exported):
    table = html_tables(monthly).tables["flow-findings"][1:]
    total = sum(Decimal(r["amount"]) for r in exported["fund_flows"])
    assert sum(Decimal(row[2].replace(",", "")) for row in table) == total


def test_a_quarterly_report_compares_with_the_quarter_end_before(report_ws, tmp_path, exported):
    html = report_html(report_ws, tmp_path, "--period", "quarter")
    figures = html_tables(html).figures["summary-figures"]
    before = book(exported["portfolio_metrics_quarter"])
    assert "贷后风险报告（季度）" in html and "2024-10-01" in html
    assert figures["outstanding"][2] == money(before["outstanding"])


def test_in_english(report_ws, tmp_path):
    html = report_html(report_ws, tmp_path, "--lang", "en")
    for text in ("Post-loan risk report (monthly)", "Summary", "Delinquency", "Vintage analysis",
                 "IFRS 9 stages, ECL and provisions", "Early warnings", "Concentration",
                 "Outstanding principal", "NPL ratio"):
        assert text in html
    assert "贷款余额" not in html


def test_the_html_is_self_contained(monthly):
    assert "<script" not in monthly and "http://" not in monthly.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in monthly
    assert monthly.count("<svg") >= 4  # trend, products, classes, roll rates, vintages


def test_a_mart_not_stored_is_said_and_the_rest_is_shown(report_ws, tmp_path):
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(report_ws.root, ws.root)
    with duckdb.connect(str(ws.database)) as con:
        con.execute("DROP TABLE vintage")
        con.execute("DROP TABLE networks")
    html = report_html(ws, tmp_path)
    assert "未找到 vintage 在 2024-12-31 的结果" in html
    assert "未找到 networks 在 2024-12-31 的结果" in html
    assert 'id="delinquency-product"' in html and 'id="top-borrowers"' in html


def test_a_date_never_run_gives_a_report_saying_so(report_ws, tmp_path):
    out = tmp_path / "r.html"
    result = lw("report", "portfolio", "-w", report_ws.root, "--as-of", "2024-08-31", "--out", out)
    assert result.exit_code == 0, result.output
    assert "未找到 portfolio_metrics 在 2024-08-31 的结果" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "says"), [
    (("--format", "docx"), "--format must be one of html, pdf, xlsx"),
    (("--lang", "fr"), "--lang must be one of zh, en"),
])
def test_bad_options_are_one_line_errors(report_ws, tmp_path, args, says):
    result = lw("report", "portfolio", "-w", report_ws.root, "--as-of", AS_OF, "--out",
                tmp_path / "x", *args)
    assert result.exit_code == 2 and says in result.output


def test_the_referential_gaps_read_in_chinese_with_loanwatch_quality_s_counts(monthly, report_ws):
    """Every gap ``loanwatch quality`` measures has its Chinese name, and the report's counts
    are that command's."""
    assert {key for key, _, _ in GAPS} == set(GAPS_ZH)
    with report_ws.connect(read_only=True) as con:
        measured = {key: n for key, _, n in quality_report(con).gaps}
    table = by_first_cell(html_tables(monthly).tables["gaps"])
    assert {name: int(row["行数"].replace(",", "")) for name, row in table.items()} == {
        GAPS_ZH[key]: n for key, n in measured.items()}
