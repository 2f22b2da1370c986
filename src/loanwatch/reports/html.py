"""A report as one self-contained HTML page (inline CSS and SVG, no script, nothing fetched)
with a print stylesheet for A4: a cover, each section on a new page, table headers repeated
across pages, and page numbers ("第 N 页 / 共 M 页") that WeasyPrint draws in the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from loanwatch.reports.document import (
    Block,
    Chart,
    Column,
    Figures,
    Kind,
    Note,
    Report,
    SectionView,
    Signature,
    Table,
)
from loanwatch.reports.formats import show, show_change
from loanwatch.reports.labels import labels

PAGE_NUMBER = {"zh": '"第 " counter(page) " 页 / 共 " counter(pages) " 页"',
               "en": '"Page " counter(page) " of " counter(pages)'}
NUMERIC = (Kind.COUNT, Kind.MONEY, Kind.RATIO, Kind.NUMBER)
#: characters of 7.8pt text (cells' padding included) across the A4 page between margins
PAGE_CHARACTERS = 120
SHORT = 16  # a text this long or shorter is not broken across lines

CSS = """
@page { size: A4; margin: 15mm 13mm 17mm 13mm;
  @bottom-center { content: @PAGE_NUMBER@; font-size: 8pt; color: #555; }
  @top-right { content: string(report-title); font-size: 8pt; color: #888; } }
@page :first { @top-right { content: none; } }
html { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif;
  font-size: 9.5pt; color: #222; }
body { margin: 0 auto; max-width: 184mm; }
h1 { font-size: 22pt; margin: 40mm 0 8mm; string-set: report-title content(); }
h2 { font-size: 14pt; border-bottom: 2px solid #3b6ea8; padding-bottom: 2pt; }
h3 { font-size: 10.5pt; margin: 10pt 0 4pt; }
section.section { break-before: page; }
body.compact section.section { break-before: auto; }
body.compact h1 { margin-top: 0; }
body.compact .cover ol { display: none; }
body.compact .cover h2 { display: none; }
.cover dl { display: grid; grid-template-columns: 32mm auto; row-gap: 4pt; font-size: 11pt; }
.cover dt { color: #555; } .cover dd { margin: 0; }
.cover ol { columns: 2; font-size: 10.5pt; }
table { border-collapse: collapse; width: 100%; font-size: 7.8pt; margin-bottom: 6pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.6pt solid #bbb; padding: 1.5pt 3pt; vertical-align: top; }
th { background: #eef2f7; font-weight: bold; text-align: center; }
td { overflow-wrap: break-word; }
th { overflow-wrap: normal; word-break: keep-all; }
td.s { white-space: nowrap; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.figures td:first-child { width: 34%; }
tr.total td { font-weight: bold; background: #f6f6f0; }
.chart { margin: 6pt 0; break-inside: avoid; }
.chart svg { max-width: 100%; height: auto; }
p.note { font-size: 8.5pt; color: #444; }
p.missing { color: #b00020; font-weight: bold; }
table.sign { break-inside: avoid; }
table.sign td { height: 16mm; width: 33%; font-size: 10pt; vertical-align: top; }
table.sign td.findings { height: 60mm; }
"""


def render_html(report: Report) -> str:
    t = labels(report.lang)
    contents = "".join(f"<li>{escape(s.title)}</li>" for s in report.sections)
    cover = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in report.cover)
    body = "".join(_section(i, s, report.lang) for i, s in enumerate(report.sections, 1))
    lang = "zh-CN" if report.lang == "zh" else "en"
    css = CSS.replace("@PAGE_NUMBER@", PAGE_NUMBER[report.lang])
    compact = ' class="compact"' if report.compact else ""
    return (f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{escape(report.title)}</title>"
            f"<style>{css}</style></head><body{compact}>\n"
            f'<section class="cover"><h1>{escape(report.title)}</h1><dl>{cover}</dl>'
            f"<h2>{escape(t('contents'))}</h2><ol>{contents}</ol></section>\n{body}</body></html>\n")


def _section(number: int, s: SectionView, lang: str) -> str:
    blocks = "\n".join(_block(b, lang) for b in s.blocks)
    return (f'<section class="section" id="s-{escape(s.id)}"><h2>{number}. {escape(s.title)}'
            f"</h2>\n{blocks}</section>\n")


def _block(b: Block, lang: str) -> str:
    if isinstance(b, Table):
        return _table(b, lang)
    if isinstance(b, Figures):
        return _figures(b, lang)
    if isinstance(b, Chart):
        return f'<div class="chart">{b.svg}</div>'
    if isinstance(b, Note):
        return f'<p class="note{" missing" if b.missing else ""}">{escape(b.text)}</p>'
    if isinstance(b, Signature):
        cells = "".join(f"<td>{escape(x)}：</td>" for x in b.labels)
        findings = (f'<tr><td class="findings" colspan="{len(b.labels)}">{escape(b.findings)}：'
                    "</td></tr>") if b.findings else ""
        return f'<table class="sign">{findings}<tr>{cells}</tr></table>'
    raise TypeError(f"no rendering of {type(b).__name__}")


def cell(value: object, kind: Kind) -> str:
    """A cell; numbers right-aligned, short texts (codes, ids, dates) kept on one line."""
    text = show(value, kind)
    cls = ' class="n"' if kind in NUMERIC else ' class="s"' if len(text) <= SHORT else ""
    return f"<td{cls}>{escape(text)}</td>"


def _width(column: Column, rows: Sequence[dict]) -> int:
    """About how many characters wide a column is drawn (a CJK character counts double)."""
    def chars(text: str) -> int:
        return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)

    # a title may take two lines
    widest = max([-(-chars(column.title) // 2), *(chars(show(r.get(column.key), column.kind))
                                                   for r in rows)])
    return min(widest, 24 if column.kind is Kind.TEXT else 40) + 2  # long text wraps; padding


def column_parts(b: Table, budget: int = PAGE_CHARACTERS) -> list[list[Column]]:
    """The table's columns in parts that fit the page's width, each part starting with the
    first (label) column: a wide matrix is printed as two or more tables, not cut off."""
    first, *rest = b.columns
    parts: list[list[Column]] = [[first]]
    used = _width(first, b.rows)
    for c in rest:
        w = _width(c, b.rows)
        if used + w > budget and len(parts[-1]) > 1:
            parts.append([first])
            used = _width(first, b.rows)
        parts[-1].append(c)
        used += w
    return parts


def _table(b: Table, lang: str) -> str:
    title = f"<h3>{escape(b.title)}</h3>" if b.title else ""
    note = f'<p class="note">{escape(b.note)}</p>' if b.note else ""
    if not b.rows:
        return f'{title}<p class="note" id="{escape(b.id)}">{escape(labels(lang)("empty"))}</p>{note}'
    tables = []
    for n, columns in enumerate(column_parts(b), 1):
        head = "".join(f"<th>{escape(c.title)}</th>" for c in columns)
        rows = []
        for r in b.rows:
            total = ' class="total"' if r.get("_total") else ""
            rows.append(f"<tr{total}>" + "".join(cell(r.get(c.key), c.kind) for c in columns)
                        + "</tr>")
        id_ = b.id if n == 1 else f"{b.id}-{n}"
        tables.append(f'<table id="{escape(id_)}"><thead><tr>{head}</tr></thead>'
                      f"<tbody>{''.join(rows)}</tbody></table>")
    return f"{title}{''.join(tables)}{note}"


def _figures(b: Figures, lang: str) -> str:
    t = labels(lang)
    compare = any(f.before is not None for f in b.items) or b.before_label
    head = f"<th>{escape(t('figure'))}</th><th>{escape(t('value'))}</th>"
    if compare:
        head += f"<th>{escape(b.before_label or t('before'))}</th><th>{escape(t('change'))}</th>"
    rows = []
    for f in b.items:
        extra = (cell(f.before, f.kind) + f'<td class="n">{escape(show_change(f.change, f.kind))}'
                 "</td>") if compare else ""
        rows.append(f'<tr data-key="{escape(f.key)}"><td>{escape(f.label)}</td>'
                    f"{cell(f.value, f.kind)}{extra}</tr>")
    return (f'<table class="figures" id="{escape(b.id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")
