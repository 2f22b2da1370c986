"""Money moving between accounts, and the array helpers the flow modules share: a move is a row on
each side that this bank holds; helpers fan rows out, split totals and put payments on the clock."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

DAY = 86_400
CHANNELS = ("core", "entrusted", "transfer", "online", "pos", "salary", "batch")
MEMOS = (
    "放款", "受托支付", "工资", "消费", "房租", "转账", "往来款", "货款", "代发工资", "采购", "原材料款",
    "设备款", "工程款", "装修款", "购车款", "家电", "学费", "购房款", "退款", "银证转账", "期货保证金",
    "还款", "借款",
)  # fmt: skip
LABELS = ("贷款发放", "代发工资")  # counterparty names of rows that have no counterparty account


def _column(value, n: int, dtype=np.int64) -> np.ndarray:
    """A scalar repeated n times, or the array itself (no copy)."""
    return np.full(n, value, dtype) if np.ndim(value) == 0 else np.asarray(value, dtype)


def _code(table: tuple[str, ...], value: str | np.ndarray, n: int) -> np.ndarray:
    return _column(table.index(value) if isinstance(value, str) else value, n, np.int8)


def codes(table: tuple[str, ...], *values: str) -> np.ndarray:
    return np.array([table.index(v) for v in values], np.int8)


def clock(days: np.ndarray, rng: np.random.Generator, from_hour: int, to_hour: int) -> np.ndarray:
    """Seconds since 1970 at a random time of each day (business hours differ by kind of payment)."""
    d = np.asarray(days, "datetime64[D]").astype(np.int64)
    return d * DAY + rng.integers(from_hour * 3600, to_hour * 3600, len(d))


def yuan(cents: np.ndarray, step: int = 1) -> np.ndarray:
    """Round down to ``step`` whole yuan: people transfer round sums."""
    return (np.floor(np.asarray(cents) / (100 * step)) * 100 * step).astype(np.int64)


def fan(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row number and position 0..count-1 of ``count`` sub-rows for every row."""
    counts = np.asarray(counts, np.int64)
    row = np.repeat(np.arange(len(counts)), counts)
    return row, np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)


def split(total: np.ndarray, row: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Integer parts of each row's total in proportion to the weights, summing exactly to it."""
    share = weight / np.bincount(row, weight, len(total))[row]
    part = np.floor(total[row] * share).astype(np.int64)
    rest = total - np.bincount(row, part, len(total)).astype(np.int64)
    last = np.r_[row[1:] != row[:-1], True] if len(row) else np.zeros(0, bool)
    part[last] += rest[row[last]]
    return part


@dataclass
class Moves:
    """Money moving between two accounts; this bank keeps a row on each side that it holds."""

    src: np.ndarray  # paying account (-1: none, e.g. the loan itself)
    dst: np.ndarray  # receiving account (-1: none, e.g. a payroll batch)
    at: np.ndarray  # int64 seconds since 1970
    amount: np.ndarray  # int64 cents
    memo: np.ndarray  # int8 MEMOS
    channel: np.ndarray  # int8 CHANNELS
    key: np.ndarray  # customer whose transactions part holds the rows
    loan: np.ndarray  # loan carried on the rows (-1: none)
    label: np.ndarray  # int8 LABELS naming a missing counterparty (-1: none)


def moves(src, dst, at, amount, memo, channel, key, loan=-1, label=-1) -> Moves:
    n = len(at)
    return Moves(
        _column(src, n), _column(dst, n), _column(at, n), _column(amount, n), _code(MEMOS, memo, n),
        _code(CHANNELS, channel, n), _column(key, n), _column(loan, n), _column(label, n, np.int8),
    )  # fmt: skip


def take(obj, idx):
    return type(obj)(*(getattr(obj, f.name)[idx] for f in dataclasses.fields(obj)))


def concat(parts: list):
    cls = type(parts[0])
    return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(cls)))
