"""Numpy arrays to Arrow columns of the data contract: ids, exact money, dates; and seeded streams."""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1970-01-01", "D")
MONEY = pa.decimal128(18, 2)

#: the id of every kind of simulated entity: prefix and zero-padded width
ID_FORMATS: dict[str, tuple[str, int]] = {
    "customer": ("C", 8),
    "loan": ("L", 8),
    "account": ("A", 9),
    "txn": ("T", 10),
    "repayment": ("R", 10),
    "contract": ("K", 8),
    "guarantee": ("G", 8),
    "collateral": ("Z", 8),
    "branch": ("B", 3),
    "manager": ("M", 5),
    "line": ("CL", 8),
}


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so that one part drawing more numbers does not
    change what every other part draws."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


def ids(kind: str, numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``C00000042``-style ids; ``valid`` False gives null."""
    prefix, width = ID_FORMATS[kind]
    text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, np.int64)), pa.string()), width, "0")
    out = pc.binary_join_element_wise(prefix, text, "")
    if valid is not None:
        out = pc.if_else(pa.array(valid), out, pa.scalar(None, pa.string()))
    return out


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Exact DECIMAL(18,2) from integer cents (the unscaled value of a decimal is the cents)."""
    c = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(c), 2), dtype=np.int64)
    words[:, 0] = c
    words[:, 1] = np.where(c < 0, -1, 0)
    mask, nulls = None, 0
    if valid is not None:  # an Arrow validity bitmap is a packed boolean array
        mask = pa.array(np.asarray(valid, bool)).buffers()[1]
        nulls = int(len(c) - np.count_nonzero(valid))
    return pa.Array.from_buffers(MONEY, len(c), [mask, pa.py_buffer(words.tobytes())], null_count=nulls)


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """date32 from datetime64[D] values."""
    d = np.asarray(days, "datetime64[D]")
    mask = None if valid is None else ~np.asarray(valid, bool)
    return pa.array(d, pa.date32(), mask=mask)


def day(value: dt.date) -> np.datetime64:
    return np.datetime64(value.isoformat(), "D")


def expand(owner: np.ndarray, first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row per (owner, k) for k in first..last inclusive (empty where last < first)."""
    count = np.maximum(np.asarray(last) - np.asarray(first) + 1, 0)
    rows_owner = np.repeat(np.asarray(owner), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return rows_owner, np.repeat(np.asarray(first), count) + offset


def month_days(cfg_start: np.datetime64, k: np.ndarray, day_of_month: int | np.ndarray = 1) -> np.ndarray:
    """Day ``day_of_month`` (1-based, clamped to 28) of month k after the month of cfg_start."""
    first = (cfg_start.astype("datetime64[M]") + np.asarray(k)).astype("datetime64[D]")
    return first + (np.minimum(np.asarray(day_of_month), 28) - 1).astype("timedelta64[D]")


def month_end(cfg_start: np.datetime64, k: np.ndarray) -> np.ndarray:
    return (cfg_start.astype("datetime64[M]") + np.asarray(k) + 1).astype("datetime64[D]") - 1
