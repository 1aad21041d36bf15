"""The report as a PDF: A4 pages laid out with matplotlib, text first, then the figures with their captions.

Owns :func:`render_pdf`, written with matplotlib's PDF backend
(:class:`~matplotlib.backends.backend_pdf.PdfPages`; no other dependency). Fonts are embedded as
TrueType (``pdf.fonttype`` 42), so the text can be searched, copied and extracted (``pdftotext``).
The text flows over as many A4 pages as it needs: headings, paragraphs, bullets and tables with
wrapped cells, a footer with the title and page number on every page. Figures are placed on A4
pages too (as 200 dpi images, two to a page), each with its caption as text beneath it.

Must not: choose words or numbers (they come in the :class:`~sim.report.content.Report`) or decide
where the file goes (:mod:`sim.report.files` writes it atomically).
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.image
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ..narrate.verdict import INTERVAL_NOTE
from .content import Report, Table
from .html import png_bytes

__all__ = ["render_pdf", "PAGE_SIZE"]

PAGE_SIZE = (8.27, 11.69)
"""A4 portrait, inches."""
MARGIN = 0.75   # inches
FONT = {"h1": 17.0, "h2": 13.0, "p": 9.5, "small": 8.0}
CHAR_WIDTH = 0.52   # average glyph width of DejaVu Sans, in ems: sets how many characters fit a line
RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": "DejaVu Sans"}
FIGURE_DPI = 200


def _plain(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text)


class _Pages:
    """A cursor that writes lines top to bottom and starts a new page when one is full."""

    def __init__(self, pdf: PdfPages, title: str) -> None:
        self.pdf, self.title, self.number = pdf, title, 0
        self.width = PAGE_SIZE[0] - 2 * MARGIN
        self.fig: Figure | None = None
        self.y = 0.0

    def _new_page(self) -> None:
        self.flush()
        self.number += 1
        self.fig = Figure(figsize=PAGE_SIZE)
        self.y = PAGE_SIZE[1] - MARGIN
        self.fig.text(MARGIN / PAGE_SIZE[0], 0.45 / PAGE_SIZE[1], f"{self.title} · page {self.number}",
                      fontsize=FONT["small"], color="0.45")

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < MARGIN:
            self._new_page()

    def chars(self, size: float, width: float) -> int:
        return max(10, int(width * 72 / (CHAR_WIDTH * size)))

    def put(self, x: float, text: str, size: float, **kw) -> None:
        assert self.fig is not None
        self.fig.text((MARGIN + x) / PAGE_SIZE[0], self.y / PAGE_SIZE[1], text, fontsize=size, va="top", **kw)

    def lines(self, text: str, size: float = FONT["p"], indent: float = 0.0, gap: float = 0.5, **kw) -> None:
        wrapped = textwrap.wrap(_plain(text), self.chars(size, self.width - indent)) or [""]
        step = size * 1.4 / 72
        for line in wrapped:
            self.need(step)
            self.put(indent, line, size, **kw)
            self.y -= step
        self.y -= gap * size / 72

    def heading(self, text: str, level: str = "h2") -> None:
        size = FONT[level]
        self.need(size * 4 / 72)   # keep a heading with what follows it
        if self.y < PAGE_SIZE[1] - MARGIN - 0.01:
            self.y -= size * 0.6 / 72
        self.put(0, text, size, fontweight="bold")
        self.y -= size * 1.6 / 72

    def table(self, rows: list[tuple[str, ...]], widths: tuple[float, ...], header: tuple[str, ...] | None = None,
              size: float = FONT["p"], bold_column: int | None = None) -> None:
        step = size * 1.35 / 72
        xs = [sum(widths[:i]) * self.width for i in range(len(widths))]
        for r, row in enumerate(([header] if header else []) + list(rows)):
            cells = [textwrap.wrap(_plain(str(c)), self.chars(size, w * self.width - 0.12)) or [""]
                     for c, w in zip(row, widths, strict=True)]
            height = max(len(c) for c in cells) * step + 0.05
            self.need(height)
            for i, (x, cell) in enumerate(zip(xs, cells, strict=True)):
                weight = "bold" if (header and r == 0) or i == bold_column else "normal"
                for k, line in enumerate(cell):
                    self.fig.text((MARGIN + x) / PAGE_SIZE[0], (self.y - k * step) / PAGE_SIZE[1], line,
                                  fontsize=size, va="top", fontweight=weight)
            self.y -= height
        self.y -= size * 0.6 / 72

    def image(self, fig: Figure, caption: str) -> None:
        """A figure as an image across the text width, its caption beneath it (a new page if it does not fit)."""
        picture = matplotlib.image.imread(io.BytesIO(png_bytes(fig, FIGURE_DPI)), format="png")
        height = self.width * picture.shape[0] / picture.shape[1]
        caption_lines = textwrap.wrap(caption, self.chars(FONT["small"], self.width))
        self.need(height + (len(caption_lines) + 2) * FONT["small"] * 1.4 / 72)
        ax = self.fig.add_axes((MARGIN / PAGE_SIZE[0], (self.y - height) / PAGE_SIZE[1],
                                self.width / PAGE_SIZE[0], height / PAGE_SIZE[1]))
        ax.imshow(picture, interpolation="lanczos")
        ax.set_axis_off()
        self.y -= height + 0.08
        self.lines(caption, FONT["small"], color="0.25", gap=2.5)

    def hook(self, table: Table | None) -> None:
        if table is None:
            return
        self.heading(table.title)
        n = len(table.columns)
        self.table(list(table.rows), tuple([1 / n] * n), header=table.columns,
                   size=FONT["p"] if n <= 4 else FONT["small"])   # wide tables: smaller type, fewer wraps
        if table.note:
            self.lines(table.note, FONT["small"], color="0.3")


def _story(pages: _Pages, story: str) -> None:
    for block in story.split("\n\n"):
        lines = block.strip().split("\n")
        if lines and all(line.startswith("- ") for line in lines):
            for line in lines:
                pages.need(FONT["p"] * 1.4 / 72)
                pages.put(0.05, "•", FONT["p"])   # the bullet, and its text beside it
                pages.lines(line[2:], indent=0.22)
        elif block.strip():
            pages.lines(block.strip())


def render_pdf(report: Report, path: str | Path) -> Path:
    """Write the report to ``path`` as a PDF (text pages, then the figures, one per page)."""
    path = Path(path)
    with matplotlib.rc_context(RC), PdfPages(path, metadata={
            "Title": report.title, "Subject": f"Scenario {report.scenario}",
            "Creator": str(dict(report.about).get("Model version", "sim"))}) as pdf:
        pages = _Pages(pdf, report.title)
        pages.need(1.0)
        pages.put(0, report.title, FONT["h1"], fontweight="bold")
        pages.y -= FONT["h1"] * 1.8 / 72
        pages.lines(report.intro, color="0.25", gap=1.0)
        pages.heading("Headline numbers")
        pages.table(report.headline, (0.42, 0.58), bold_column=1)
        if report.summary.get("replicates", 1) > 1:
            pages.lines(INTERVAL_NOTE, FONT["small"], color="0.3")
        pages.heading("What happened, and why")
        _story(pages, report.story)
        for table in (report.comparison, report.attribution, report.calibration):
            pages.hook(table)
        pages.heading("Settings that differ from the baseline")
        if report.changes:
            pages.table(report.changes, (0.5, 0.25, 0.25), header=("Setting", "Baseline", "This scenario"))
        else:
            pages.lines("None: every setting is the baseline's.")
        pages.heading("Limitations")
        pages.lines(report.limitations)
        pages.heading("About this report")
        pages.table(report.about, (0.25, 0.75))
        pages.flush()
        pages.heading("Figures")
        for i, (caption, fig) in enumerate(report.figures, 1):
            pages.image(fig, f"Figure {i}. {caption}")
        pages.flush()
    return path
