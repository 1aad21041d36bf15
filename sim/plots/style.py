"""The one plot style: colours per strategy and per sales source, fonts, figure sizes, number labels.

Owns everything about how a figure *looks*, for every figure of the package: the command line's
files (:mod:`sim.plots`), the notebooks' live figures and the dashboard (:mod:`sim.ui`). A figure
function builds its figure inside :func:`styled` (or with :func:`new_figure`), takes its colours
from :func:`strategy_colors` / :data:`SOURCE_COLORS` and its size from :data:`FIGURE_SIZES`.

Must not: compute anything from a run (that is the figure modules' job) or write words about a
run (that is :mod:`sim.narrate`). It imports only matplotlib.

On a Linux machine without a display the non-interactive ``Agg`` backend is selected here, so
nothing ever tries to open a window.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

import matplotlib

if sys.platform.startswith("linux") and not (
    os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("MPLBACKEND")
):
    matplotlib.use("Agg")  # headless: never try to open a window

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

__all__ = [
    "STYLE", "STRATEGY_COLORS", "PALETTE", "SOURCES", "SOURCE_COLORS", "SOURCE_LABELS", "AXIS_LABELS",
    "FIGURE_SIZES", "FIGURE_MARGINS", "strategy_colors", "styled", "new_figure", "compact", "short", "axis_number",
]

STYLE: dict[str, Any] = {
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.titleweight": "bold",
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.frameon": False,
    "figure.titlesize": 16,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linestyle": "-",
}
"""Matplotlib rc settings of every figure (notebooks may ``rcParams.update(STYLE)`` for their own)."""

STRATEGY_COLORS: dict[str, str] = {"numbers_game": "#D55E00", "relationship": "#0072B2"}
"""Fixed colours of the two preset strategies (Okabe-Ito vermillion and blue)."""

PALETTE: tuple[str, ...] = (
    "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F3C8D", "#3B3B3B", "#A6761D", "#66A61E", "#E7298A",
    "#1B9E77",
)
"""Colours of other strategies, in order of appearance."""

SOURCES: tuple[str, ...] = ("new", "repeat", "referral", "inbound", "handoff")
SOURCE_COLORS: dict[str, str] = {"new": "#B0B0B0", "repeat": "#1B7837", "referral": "#8E5EA2", "inbound": "#F1A340",
                                 "handoff": "#5AAE61"}
SOURCE_LABELS: dict[str, str] = {
    "new": "new (cold lead)", "repeat": "repeat customer", "referral": "referral",
    "inbound": "inbound (came by themselves)", "handoff": "hand-off (a competitor's poor fit)",
}

AXIS_LABELS: dict[str, str] = {
    "revenue_cumulative": "Cumulative revenue per seller",
    "revenue_discounted_cumulative": "Cumulative discounted revenue per seller",
    "referrals_cumulative": "Cumulative referrals received per seller",
    "revenue": "Weekly revenue per seller",
    "mean_trust": "Mean customer trust",
    "customers_retained": "Customers in the book per seller",
    "reviews_count": "Reviews per seller",
    "mean_rating": "Mean rating (stars)",
    "market_share": "Weekly share of sales",
}
"""Y-axis label per weekly column."""

FIGURE_SIZES: dict[str, tuple[float, float]] = {
    "single": (10.0, 6.0),        # one axes: cumulative curves
    "funnel": (11.0, 6.5),        # the funnel alone
    "funnel_pair": (17.0, 6.5),   # year 1 next to the whole horizon
    "sources": (20.0, 6.0),       # sales by source: (maximum width, height); the width grows per strategy
    "live_panel": (6.2, 5.0),     # one panel of the notebooks' live figure (width per panel, height)
    "story": (12.0, 6.0),         # the dashboard's revenue story
    "story_screen": (11.0, 5.5),  # the same on the dashboard page
    "why": (18.0, 5.2),           # referrals, reviews and trust side by side
}
"""Figure sizes in inches by figure kind."""


def strategy_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per strategy: presets always get the same colour, others take the palette in order."""
    names = list(dict.fromkeys(str(n) for n in names))
    out = {n: STRATEGY_COLORS[n] for n in names if n in STRATEGY_COLORS}
    free = [c for c in PALETTE if c not in out.values()]
    for i, name in enumerate(n for n in names if n not in out):
        out[name] = free[i % len(free)]
    return out


def styled() -> AbstractContextManager[Any]:
    """A context in which figures are drawn with :data:`STYLE`."""
    return matplotlib.rc_context(STYLE)


FIGURE_MARGINS: dict[str, tuple[float, float, float, float, float]] = {
    "single": (1.05, 0.75, 0.75, 0.45, 0.0),       # curves: room for the values at the lines' right ends
    "funnel": (0.95, 0.25, 1.05, 0.45, 0.0),       # the note about warm leads under the axes
    "funnel_pair": (0.95, 0.25, 1.05, 0.85, 0.9),  # and a title over both panels
    "sources": (0.9, 0.25, 1.4, 0.85, 0.35),       # the legend of sources under the panels
}
"""Fixed margins in inches (left, right, bottom, top, gap between panels) of the standard figures.

With ``margins=`` :func:`new_figure` places the axes at once instead of laying the figure out
while drawing: the standard figures have known labels (numbers of at most five characters, fixed
titles), and constrained layout costs about a quarter of drawing them."""


def new_figure(ncols: int = 1, size: tuple[float, float] = FIGURE_SIZES["single"],
               sharey: bool = False, margins: str | None = None) -> tuple[Figure, Any]:
    """A figure with ``ncols`` axes side by side (call inside :func:`styled`).

    Args:
        ncols: axes side by side.
        size: figure size in inches.
        sharey: the axes share their y axis.
        margins: a key of :data:`FIGURE_MARGINS` for fixed margins; None lays the figure out
            while drawing (constrained layout: always fits, slower).
    """
    if margins is None:
        fig = Figure(figsize=size, layout="constrained")
        return fig, fig.subplots(1, ncols, sharey=sharey, squeeze=False)[0]
    left, right, bottom, top, gap = FIGURE_MARGINS[margins]
    width, height = size
    fig = Figure(figsize=size)
    panel = max((width - left - right - gap * (ncols - 1)) / ncols, 0.1)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=gap / panel)
    return fig, fig.subplots(1, ncols, sharey=sharey, squeeze=False)[0]


def compact(x: float) -> str:
    """Short human number for a bar label: 0.75, 4.5, 237, 2,490, 10.7k, 1.2M."""
    if x is None or not math.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.3g}M"
    if a >= 1e4:
        return f"{x / 1e3:.3g}k"
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    return f"{x:.2g}"


def short(x: float) -> str:
    """Three significant digits with k/M for a line-end label: 7.56k, 315k, 1.2M."""
    if not math.isfinite(x):
        return "n/a"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.3g}M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.3g}k"
    return f"{x:.3g}"


def axis_number(x: float, _pos: Any = None) -> str:
    """Tick label: 500, 2k, 1.5M (a :class:`~matplotlib.ticker.FuncFormatter` function)."""
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:g}M"
    if a >= 1e3:
        return f"{x / 1e3:g}k"
    return f"{x:g}"
