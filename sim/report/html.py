"""The report as one self-contained HTML file: styles inline, figures embedded as base64 PNG.

Owns :func:`render_html` and :func:`markdown_html` (the narration's small markdown: ``**bold**``
and ``- `` bullets). The page references nothing outside itself (no stylesheet, font, script or
image URL), so it opens offline, can be mailed, and prints without cutting figures.

Must not: choose words or numbers (they come in the :class:`~sim.report.content.Report`), or write
files (:mod:`sim.report.files` does, atomically).
"""

from __future__ import annotations

import base64
import html
import io
import re

from matplotlib.figure import Figure

from ..narrate.verdict import INTERVAL_NOTE
from .content import Report, Table

__all__ = ["render_html", "markdown_html", "png_bytes", "FIGURE_DPI"]

FIGURE_DPI = 110
"""Resolution of the embedded figures."""

CSS = """
body {font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1d1d1d; max-width: 1100px;
      margin: 24px auto; padding: 0 24px; line-height: 1.45; font-size: 16px;}
h1 {font-size: 30px; margin: 0 0 6px 0;} h2 {font-size: 21px; margin: 28px 0 8px 0; border-bottom: 1px solid #ddd;}
.intro {color: #444; font-size: 17px; margin: 0 0 12px 0;}
table {border-collapse: collapse; width: 100%; margin: 6px 0;}
td, th {text-align: left; vertical-align: top; padding: 5px 10px; border-bottom: 1px solid #e6e6e6;}
th {background: #f3f4f6;} td.num {font-weight: 600;}
figure {margin: 14px 0 22px 0; break-inside: avoid; page-break-inside: avoid;}
figure img {width: 100%; height: auto; border: 1px solid #eee;}
figcaption {font-size: 14px; color: #444; margin-top: 4px;}
.note {font-size: 14px; color: #555;}
@media print {body {max-width: none; margin: 0; font-size: 12px;} h2 {break-after: avoid;}}
"""


def png_bytes(fig: Figure, dpi: int = FIGURE_DPI) -> bytes:
    """A figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _inline(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))


def markdown_html(text: str) -> str:
    """The narration's markdown (paragraphs, ``**bold**``, ``- `` bullets) as HTML."""
    out = []
    for block in text.split("\n\n"):
        lines = block.strip().split("\n")
        if lines and all(line.startswith("- ") for line in lines):
            out.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        elif block.strip():
            out.append(f"<p>{_inline(block.strip())}</p>")
    return "\n".join(out)


def _table(columns: tuple[str, ...] | None, rows: list[tuple[str, ...]], numeric: int | None = None) -> str:
    head = "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>" if columns else ""
    body = "".join("<tr>" + "".join(
        f"<td{' class=num' if i == numeric else ''}>{html.escape(str(c))}</td>" for i, c in enumerate(row))
        + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _hook(table: Table | None) -> str:
    if table is None:
        return ""
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    return f"<h2>{html.escape(table.title)}</h2>{_table(table.columns, list(table.rows))}{note}"


def render_html(report: Report, dpi: int = FIGURE_DPI) -> str:
    """The whole report as one HTML document (figures as ``data:image/png;base64`` images)."""
    figures = []
    for caption, fig in report.figures:
        data = base64.b64encode(png_bytes(fig, dpi)).decode("ascii")
        figures.append(f"<figure><img alt='{html.escape(caption, quote=True)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    changes = (_table(("Setting", "Baseline", "This scenario"), report.changes) if report.changes
               else "<p>None: every setting is the baseline's.</p>")
    parts = [
        "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1><p class='intro'>{html.escape(report.intro)}</p>",
        "<h2>Headline numbers</h2>", _table(None, report.headline, numeric=1),
        f"<p class='note'>{html.escape(INTERVAL_NOTE)}</p>" if report.summary.get("replicates", 1) > 1 else "",
        "<h2>What happened, and why</h2>", markdown_html(report.story),
        "<h2>Figures</h2>", *figures,
        _hook(report.comparison), _hook(report.attribution), _hook(report.calibration),
        "<h2>Settings that differ from the baseline</h2>", changes,
        "<h2>Limitations</h2>", f"<p>{html.escape(report.limitations)}</p>",
        "<h2>About this report</h2>", _table(None, report.about),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
