"""A report as data: a cover and sections of blocks (key figures, tables, charts, notes), in
one language. Sections make these from their results; the HTML, PDF and XLSX renderers
draw them, so every format shows the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """How a value is shown: text, a whole number, yuan (2 decimals), a ratio (percent,
    2 decimals), a date, or a plain decimal number."""

    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    RATIO = "ratio"
    DATE = "date"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Table:
    """A table of the report: ``id`` names it in the HTML and the sheet in the workbook."""

    id: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """One key figure, with its value the period before and the change (``None``: unknown)."""

    key: str
    label: str
    kind: Kind
    value: Any
    before: Any = None
    change: Any = None


@dataclass(frozen=True)
class Figures:
    id: str
    items: Sequence[Figure]
    before_label: str = ""


@dataclass(frozen=True)
class Chart:
    svg: str


@dataclass(frozen=True)
class Note:
    text: str
    missing: bool = False  # the section's mart is not stored: the reader must know


@dataclass(frozen=True)
class Signature:
    """The lines to sign by hand at the end of a printed report."""

    labels: Sequence[str]
    findings: str = ""  # a box above them for the inspector's findings, titled so


Block = Table | Figures | Chart | Note | Signature


@dataclass(frozen=True)
class SectionView:
    id: str
    title: str
    blocks: Sequence[Block]


@dataclass(frozen=True)
class Report:
    lang: str
    title: str
    cover: Sequence[tuple[str, str]]  # (label, value) lines of the cover
    sections: Sequence[SectionView] = field(default_factory=list)
    compact: bool = False  # sections follow each other, not each on a new page


    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]
