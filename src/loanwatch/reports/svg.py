"""Charts as inline SVG: vector, self-contained (no script, no network), with CJK labels in
the page's font."""

from __future__ import annotations

from collections.abc import Sequence
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
    row, top, right = 22, 34, 90
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
