"""The sales funnel: leads, prospects, presentations and sales per seller, one bar colour per strategy.

Owns :func:`plot_funnel`, :data:`FUNNEL_NOTE` (why a later stage can be larger than an earlier
one) and the pieces the live figures of :mod:`sim.plots.live` reuse: :func:`funnel_values`,
:func:`draw_funnel_bars`, :func:`decorate_funnel_axes` and :func:`funnel_title`.

Must not: pick colours, fonts or sizes of its own (:mod:`sim.plots.style`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from ..config import WEEKS_PER_YEAR
from ..model.metrics import FUNNEL_STAGES
from .data import n_runs, per_seller_totals, strategies
from .style import FIGURE_SIZES, axis_number, compact, new_figure, strategy_colors, styled

__all__ = ["plot_funnel", "FUNNEL_NOTE", "note", "funnel_values", "draw_funnel_bars", "decorate_funnel_axes",
           "funnel_title"]

FUNNEL_NOTE = ("Warm leads (referrals, repeat and inbound customers) skip qualification and enter at the\n"
               "presentation stage, so a later stage can be larger than an earlier one.")


def note(fig: Figure, fixed: bool = False) -> None:
    """:data:`FUNNEL_NOTE` under the axes (at the bottom edge with fixed margins, else laid out)."""
    if fixed:
        fig.text(0.5, 0.02, FUNNEL_NOTE, ha="center", va="bottom", fontsize=11, color="0.35")
    else:
        fig.supxlabel(FUNNEL_NOTE, fontsize=11, color="0.35")


def funnel_values(df: pd.DataFrame, names: list[str], weeks: int | None = None) -> dict[str, np.ndarray]:
    """Per-seller totals of the funnel stages (leads, prospects, presentations, sales) by strategy."""
    totals = per_seller_totals(df, list(FUNNEL_STAGES), weeks)
    return {name: totals.loc[name, list(FUNNEL_STAGES)].to_numpy(dtype=float) if name in totals.index
            else np.zeros(len(FUNNEL_STAGES)) for name in names}


def draw_funnel_bars(ax: Axes, values: dict[str, np.ndarray], colors: dict[str, str]) -> list[Artist]:
    """Grouped bars, each with its number on top; bar labels say how many leads one sale took (for the legend)."""
    x = np.arange(len(FUNNEL_STAGES))
    width = 0.8 / max(len(values), 1)
    out: list[Artist] = []
    for i, (name, vals) in enumerate(values.items()):
        leads, sales = vals[0], vals[-1]
        per_sale = f"1 sale per {leads / sales:,.0f} leads" if sales > 0 else "no sales"
        offset = (i - (len(values) - 1) / 2) * width
        bars = ax.bar(x + offset, np.where(vals > 0, vals, np.nan), width * 0.92, color=colors[name],
                      label=f"{name} ({per_sale})")
        out.extend(bars.patches)
        for bar, v in zip(bars, vals, strict=True):
            y = v if v > 0 else 1.0
            out.append(ax.annotate(compact(v), xy=(bar.get_x() + bar.get_width() / 2, y), xytext=(0, 3),
                                   textcoords="offset points", ha="center", va="bottom", fontsize=11))
    return out


def funnel_limits(values: dict[str, np.ndarray]) -> tuple[float, float] | None:
    """Log-axis limits that leave room for the bars' numbers and the legend (None: nothing positive)."""
    positive = [v for vals in values.values() for v in vals if v > 0]
    return (min(positive) / 2.5, max(positive) * 4) if positive else None


def decorate_funnel_axes(ax: Axes) -> None:
    """Log y axis (decades only: minor ticks cost drawing time and add nothing here), stage names across."""
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(axis_number))
    ax.set_xticks(np.arange(len(FUNNEL_STAGES)), [s.capitalize() for s in FUNNEL_STAGES])
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("Count per seller (log scale)")


def funnel_title(horizon: int, weeks: int | None = None, runs: int = 1) -> str:
    """The default title: the period counted (year 1, whole horizon, first N weeks) and the runs."""
    span = horizon if weeks is None else min(weeks, horizon)
    if span == WEEKS_PER_YEAR:
        period = "year 1"
    elif span == horizon:
        period = f"whole horizon ({horizon} weeks)"
    else:
        period = f"first {span} weeks"
    return f"Sales funnel per seller, {period}" + (f", mean of {runs} runs" if runs > 1 else "")


def plot_funnel(df: pd.DataFrame, weeks: int | None = None, ax: Axes | None = None, title: str | None = None,
                margins: str | None = None) -> Figure:
    """Grouped bars: leads, prospects, presentations and sales per seller, one colour per strategy.

    The y axis is logarithmic so that 100 leads -> 1 sale stays readable; each bar carries its
    number, and the legend says how many leads one sale took.

    Args:
        df: the weekly table (replicates are averaged).
        weeks: count only the first ``weeks`` weeks (``52`` = year 1); None = the whole horizon.
        ax: draw into this axes instead of a new figure.
        title: axes title (default says the period).
        margins: fixed margins for a new figure (``"funnel"``); None lays it out while drawing.
    """
    names = strategies(df)
    colors = strategy_colors(names)
    values = funnel_values(df, names, weeks)
    with styled():
        if ax is None:
            fig, axes = new_figure(size=FIGURE_SIZES["funnel"], margins=margins)
            ax = axes[0]
            note(fig, margins is not None)
        else:
            fig = ax.figure
        draw_funnel_bars(ax, values, colors)
        decorate_funnel_axes(ax)
        limits = funnel_limits(values)
        if limits is not None:
            ax.set_ylim(*limits)
        ax.legend(loc="upper right")
        ax.set_title(funnel_title(int(df["week"].max()), weeks, n_runs(df)) if title is None else title, loc="left")
    return fig
