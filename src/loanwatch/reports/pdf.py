"""A report's HTML printed to PDF by WeasyPrint (pango lays out the CJK text; the fonts used
are embedded as subsets). Nothing is fetched: a URL in the page is refused."""

from __future__ import annotations

from pathlib import Path


class PdfUnavailable(Exception):
    """WeasyPrint (or the system libraries it needs, pango) cannot be loaded."""


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"reports fetch nothing while rendering (asked for {url[:80]})")


def write_pdf(html: str, out: Path) -> None:
    try:
        import weasyprint
    except (ImportError, OSError) as e:  # OSError: pango missing
        raise PdfUnavailable(f"PDF output needs WeasyPrint and pango: {e} (pip install "
                             "weasyprint; apt-get install libpango-1.0-0)") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf(out)
