"""``loanwatch classify``: propose, approve, reject, withdraw and list manual classifications,
mark and unmark technical overdues; refused requests are one-line usage errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli import app

cli = CliRunner()
COMMANDS = ["override", "approve", "reject", "withdraw", "list", "mark-technical",
            "unmark-technical", "marks"]


@pytest.fixture
def ws(year_end_ws) -> Path:
    return year_end_ws.root


def classify(ws: Path, *args: str):
    return cli.invoke(app, ["classify", *args, "--workspace", str(ws)], catch_exceptions=False)


def propose(ws: Path, *extra: str):
    return classify(ws, "override", "L001", "--class", "substandard", "--reason", "借款人失联",
                    "--by", "alice", "--from", "2024-12-31", *extra)


def one_error(result, exit_code: int = 2) -> str:
    """The single error line of a refused request."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    (line,) = [row for row in result.output.splitlines() if row.strip()]
    assert line.startswith("错误 error: ")
    return line


def test_propose_then_a_second_person_approves(ws):
    proposed = propose(ws, "--grade", "次级1")
    assert proposed.exit_code == 0, proposed.output
    assert "override 1 proposed (待复核): L001 → 次级 substandard (次级1) from 2024-12-31 by " \
           "alice" in proposed.output
    approved = classify(ws, "approve", "1", "--by", "bob", "--comment", "同意")
    assert approved.exit_code == 0, approved.output
    assert "override 1 approved (已批准) by bob: L001 is 次级 substandard (次级1)" in approved.output
    listed = classify(ws, "list", "--status", "approved")
    assert listed.exit_code == 0, listed.output
    assert all(word in listed.output for word in ("L001", "次级1", "已批准", "alice", "bob", "同意"))


def test_the_maker_cannot_approve(ws):
    propose(ws)
    line = one_error(classify(ws, "approve", "1", "--by", "alice"))
    assert "proposed by alice: a second person must review it" in line
    assert "待复核 proposed" in classify(ws, "list", "--loan", "L001").output


def test_reject_and_withdraw_close_a_proposal_for_good(ws):
    propose(ws)
    propose(ws)
    rejected = classify(ws, "reject", "1", "--by", "bob", "--comment", "证据不足")
    assert rejected.exit_code == 0 and "override 1 rejected (已驳回) by bob" in rejected.output
    withdrawn = classify(ws, "withdraw", "2", "--by", "alice")
    assert withdrawn.exit_code == 0 and "override 2 withdrawn (已撤回) by alice" in withdrawn.output
    assert "override 1 is rejected, not proposed" in one_error(
        classify(ws, "approve", "1", "--by", "carol"))
    assert "override 2 is withdrawn, not proposed" in one_error(
        classify(ws, "withdraw", "2", "--by", "alice"))


def test_the_class_may_be_given_in_chinese_and_the_date_defaults_to_today(ws):
    result = classify(ws, "override", "L002", "--class", "可疑", "--reason", "r", "--by", "alice")
    assert result.exit_code == 0, result.output
    assert "L002 → 可疑 doubtful from 20" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["override", "L001", "--class", "worse", "--reason", "r", "--by", "a"],
     "unknown five-level class 'worse'"),
    (["override", "L999", "--class", "loss", "--reason", "r", "--by", "a"], "no loan 'L999'"),
    (["override", "L001", "--class", "loss", "--grade", "次级1", "--reason", "r", "--by", "a"],
     "'次级1' is not a grade of loss (损失)"),
    (["override", "L001", "--class", "loss", "--reason", "", "--by", "a"], "reason"),
    (["override", "L001", "--class", "loss", "--reason", "r", "--by", "a", "--from", "2024-13-01"],
     "--from: '2024-13-01' is not a date"),
    (["approve", "7", "--by", "bob"], "no override 7"),
    (["list", "--status", "open"], "unknown override status 'open'"),
    (["mark-technical", "L003", "--on", "yesterday", "--by", "a", "--reason", "r"],
     "--on: 'yesterday' is not a date"),
    (["unmark-technical", "3", "--by", "bob"], "no technical mark 3"),
])
def test_bad_input_is_one_line_and_exit_code_2(ws, args, message):
    assert message in one_error(classify(ws, *args))


def test_a_reason_that_looks_like_markup_is_printed_as_is(ws):
    result = classify(ws, "override", "L002", "--class", "loss", "--reason", "[bold]x[/nope]",
                      "--by", "a")
    assert result.exit_code == 0, result.output
    assert "[bold]x[/nope]" in classify(ws, "list").output


def test_mark_and_unmark_a_technical_overdue(ws):
    marked = classify(ws, "mark-technical", "L003", "--on", "2024-06-11", "--by", "alice",
                      "--reason", "支付系统故障")
    assert marked.exit_code == 0, marked.output
    assert "technical mark 1: overdue of L003 marked technical (技术性逾期) on 2024-06-11" \
           in marked.output
    assert "支付系统故障" in classify(ws, "marks", "--loan", "L003").output
    unmarked = classify(ws, "unmark-technical", "1", "--by", "bob")
    assert unmarked.exit_code == 0 and "technical mark 1 of L003 withdrawn" in unmarked.output
    assert "already withdrawn by bob" in one_error(classify(ws, "unmark-technical", "1", "--by", "c"))


def test_empty_lists_say_so(ws):
    assert "no manual classifications" in classify(ws, "list").output
    assert "no technical marks" in classify(ws, "marks").output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_explains_itself(command):
    result = cli.invoke(app, ["classify", command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output)  # names the Chinese term
