"""The standard figure files of a run, as ``python -m sim run`` writes them.

Owns :func:`save_figures`, :data:`FIGURE_FILES` (the base names it writes) and how a figure
becomes a file (:func:`write_figure`: atomically, through a temporary name and a rename, and PNGs
with light compression: quicker to write, for files about a fifth larger). Must
not: draw a figure of its own beyond composing the year-1 and whole-horizon funnels side by side,
or word a caption itself (the crossover caption comes from :mod:`sim.narrate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.figure import Figure

from ..atomic import atomic_path
from ..config import WEEKS_PER_YEAR
from ..narrate import crossover_caption
from .cumulative import plot_cumulative
from .data import n_runs
from .funnel import note, plot_funnel
from .sources import plot_sales_by_source
from .style import FIGURE_SIZES, new_figure, styled

if TYPE_CHECKING:
    from ..model.runner import Results

__all__ = ["save_figures", "write_figure", "FIGURE_FILES", "DPI", "PNG_COMPRESSION"]

FIGURE_FILES: tuple[str, ...] = ("cumulative_revenue", "cumulative_referrals", "funnel", "sales_by_source")
"""Base names of the files :func:`save_figures` writes."""
DPI = 100
"""Resolution of the standard figures (a 10 x 6 inch figure is 1000 x 600 pixels); slides take
:func:`sim.ui.export_figures` at 200 dpi or SVG."""
PNG_COMPRESSION = 1
"""zlib level of PNG files (1: quick; Pillow's default 6 takes longer for files 15-20% smaller)."""


def write_figure(fig: Figure, path: str | Path, fmt: str | None = None, dpi: float = DPI) -> Path:
    """Save ``fig`` to ``path`` atomically (temporary name, then rename); the format from the suffix by default."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "png").lower()
    options = {"pil_kwargs": {"compress_level": PNG_COMPRESSION}} if fmt == "png" else {}
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, **options)
    return path


def save_figures(results: Results, out_dir: str | Path, formats: Iterable[str] = ("png",),
                 dpi: float = DPI, names: Iterable[str] | None = None) -> list[Path]:
    """Write the four standard figures of a run into ``out_dir``.

    Files: ``cumulative_revenue``, ``cumulative_referrals``, ``funnel`` (year 1 next to the whole
    horizon when the run is longer than a year) and ``sales_by_source``, once per format
    (``"png"``, ``"svg"``, ``"pdf"``), each written atomically (:func:`write_figure`); ``names``
    picks some of :data:`FIGURE_FILES` (default: all, in that order).

    Returns:
        The paths written.
    """
    formats = tuple(f.lower().lstrip(".") for f in ([formats] if isinstance(formats, str) else formats))
    names = FIGURE_FILES if names is None else tuple(names)
    unknown = [n for n in names if n not in FIGURE_FILES]
    if unknown:
        raise ValueError(f"names = {unknown!r}: not among the standard figures {FIGURE_FILES}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        fig = _FIGURES[name](results.timeseries, results.summary)
        for fmt in formats:
            paths.append(write_figure(fig, out / f"{name}.{fmt}", fmt, dpi))
    return paths


def _revenue(df: pd.DataFrame, summary: dict[str, Any]) -> Figure:
    return plot_cumulative(df, "revenue_cumulative", crossover_week=summary.get("crossover_week"),
                           crossover_label=crossover_caption(summary), margins="single")


def _referrals(df: pd.DataFrame, summary: dict[str, Any]) -> Figure:
    return plot_cumulative(df, "referrals_cumulative", margins="single")


def _funnel(df: pd.DataFrame, summary: dict[str, Any]) -> Figure:
    horizon = int(df["week"].max())
    if horizon <= WEEKS_PER_YEAR:
        return plot_funnel(df, margins="funnel")
    with styled():
        fig, axes = new_figure(2, size=FIGURE_SIZES["funnel_pair"], margins="funnel_pair")
        note(fig, fixed=True)
        runs = n_runs(df)
        fig.suptitle("Sales funnel per seller" + (f" (mean of {runs} runs)" if runs > 1 else ""),
                     x=0.01, y=0.985, ha="left", va="top")
    plot_funnel(df, weeks=WEEKS_PER_YEAR, ax=axes[0], title="Year 1")
    plot_funnel(df, ax=axes[1], title=f"Whole horizon ({horizon} weeks)")
    return fig


def _sources(df: pd.DataFrame, summary: dict[str, Any]) -> Figure:
    return plot_sales_by_source(df, margins="sources")


_FIGURES: dict[str, Callable[[pd.DataFrame, dict[str, Any]], Figure]] = {   # fixed margins: quicker than
    "cumulative_revenue": _revenue, "cumulative_referrals": _referrals,   # laying each figure out while drawing
    "funnel": _funnel, "sales_by_source": _sources,
}
