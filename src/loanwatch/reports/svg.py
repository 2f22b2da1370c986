"""Charts as inline SVG: vector, self-contained (no script, no network), with CJK labels in
the page's font."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
BAR = "#3b6ea8"
MARK = "#c0504d"


def text_width(text: str, size: int = 12) -> int:
    """About how wide ``text`` is drawn: a CJK character is a square, others about half."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.58 for c in text).__ceil__()


def hbar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str,
               value_text: Sequence[str], marked: Sequence[bool] = (), goal: float | None = None,
               goal_text: str = "", width: int = 960) -> str:
    """Horizontal bars, one per label, scaled to the largest value (and ``goal``, drawn as a
    dashed line); ``marked`` bars in a second colour. ``None`` draws no bar."""
    row, top = 22, 34
    right = max([90, *(text_width(t) + 12 for t in value_text)])  # room for the values
    left = min(max((text_width(t) for t in labels), default=0) + 16, width * 11 // 20)
    height = top + row * len(labels) + 16
    scale_max = max([v for v in values if v is not None] + ([goal] if goal else []) + [1e-9])
    span = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12" role="img">',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        if value is not None:
            w = max(span * value / scale_max, 0.0)
            colour = MARK if i < len(marked) and marked[i] else BAR
            parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                         f'fill="{colour}"/>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}">{escape(value_text[i])}</text>')
    if goal is not None:
        x = left + span * goal / scale_max
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 12}" '
                     f'stroke="#444" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x:.1f}" y="{top - 8}" text-anchor="middle" fill="#444">'
                     f'{escape(goal_text)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


PALETTE = ("#3b6ea8", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646", "#2c4d75",
           "#772c2a", "#5f7530", "#4d3b62", "#276a7c", "#b65708")


def _ticks(top: float, n: int = 4) -> list[float]:
    """``n`` + 1 evenly spaced values from 0 to a round number at or above ``top``.

    >>> _ticks(0.037)
    [0.0, 0.01, 0.02, 0.03, 0.04]
    """
    if top <= 0:
        return [float(i) / n for i in range(n + 1)]
    magnitude = 10.0 ** math.floor(math.log10(top / n))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude * n >= top)
    return [round(step * i, 12) for i in range(n + 1)]


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               title: str, y_text: Callable[[float], str] = lambda v: f"{v * 100:.1f}%", width: int = 680,
               height: int = 260) -> str:
    """Lines over the points ``x_labels``, one per (name, values) with a legend; ``None``
    leaves a gap. The y axis starts at 0 and is labelled by ``y_text``."""
    left, right, top, bottom = 64, 16, 34, 44
    legend_rows = -(-len(series) // 4)
    height += 18 * max(legend_rows - 1, 0)
    plot_w, plot_h = width - left - right, height - top - bottom - 18 * legend_rows
    values = [v for _, vs in series for v in vs if v is not None]
    ticks = _ticks(max(values, default=0.0))
    y_max = ticks[-1] or 1.0
    n = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11" role="img">',
             f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for t in ticks:
        parts.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{left + plot_w}" y2="{y(t):.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y(t) + 4:.1f}" '
                     f'text-anchor="end">{escape(y_text(t))}</text>')
    every = max(1, -(-n // 12))  # at most about 12 labels on the x axis
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    for k, (name, vs) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" '
                             f'stroke="{colour}" stroke-width="1.8"/>')
            if len(run) == 1:
                parts.append(f'<circle cx="{run[0].split(",")[0]}" cy="{run[0].split(",")[1]}" '
                             f'r="2.5" fill="{colour}"/>')
        lx = left + (k % 4) * (plot_w // 4)
        ly = height - 18 * (legend_rows - k // 4) + 8
        parts.append(f'<rect x="{lx}" y="{ly - 8}" width="14" height="4" fill="{colour}"/>'
                     f'<text x="{lx + 18}" y="{ly - 3}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
