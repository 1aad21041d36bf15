"""Curves over time: the per-seller mean of a weekly column, one line per strategy.

Owns :func:`plot_cumulative` (cumulative revenue, referrals, trust, reviews, ... with the crossover
week marked and a 95% band over replicates) and the pieces it is made of, which the live figures
of :mod:`sim.plots.live` reuse so that both look the same: :func:`draw_curves` (lines and bands),
:func:`draw_end_labels`, :func:`draw_crossover`, :func:`curve_legend` and :func:`decorate_curve_axes`.

Must not: pick colours, fonts or sizes of its own (:mod:`sim.plots.style`) or compute the
crossover (it only draws the week it is given).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..config import WEEKS_PER_YEAR
from ..narrate import scalar
from .data import curves, n_runs, strategies
from .style import AXIS_LABELS, axis_number, new_figure, short, strategy_colors, styled

__all__ = ["plot_cumulative", "draw_curves", "draw_end_labels", "draw_crossover", "curve_legend",
           "decorate_curve_axes", "curve_title", "LINE_WIDTH"]

LINE_WIDTH = 2.8
"""Width of a strategy's curve (points)."""


def _spread_labels(ys: list[float], gap: float) -> list[float]:
    """Nudge end-of-line label positions apart so they do not overlap (keeps their order)."""
    order = np.argsort(ys)
    out = list(ys)
    prev = -math.inf
    for i in order:
        out[i] = max(out[i], prev + gap)
        prev = out[i]
    return out


def draw_curves(ax: Axes, years: np.ndarray, mean: pd.DataFrame, low: pd.DataFrame | None,
                high: pd.DataFrame | None, names: list[str], colors: dict[str, str]) -> list[Artist]:
    """One line per strategy (and its shaded band when ``low``/``high`` are given); returns the artists."""
    out: list[Artist] = []
    for name in names:
        if name not in mean.columns:
            continue
        out.extend(ax.plot(years, mean[name].to_numpy(), color=colors[name], lw=LINE_WIDTH, label=name))
        if low is not None and high is not None:
            out.append(ax.fill_between(years, low[name].to_numpy(), high[name].to_numpy(), color=colors[name],
                                       alpha=0.2, lw=0))
    return out


def draw_end_labels(ax: Axes, years: np.ndarray, mean: pd.DataFrame, names: list[str],
                    colors: dict[str, str]) -> list[Artist]:
    """The last value of each line, written just right of its end (nudged apart; call after the y limits are set)."""
    ends = [(name, float(mean[name].iloc[-1])) for name in names if name in mean.columns and len(mean)]
    if not ends:
        return []
    ys = _spread_labels([y for _, y in ends], gap=0.055 * ax.get_ylim()[1])
    return [ax.annotate(short(y), xy=(years[-1], y_text), xytext=(6, 0), textcoords="offset points", va="center",
                        ha="left", color=colors[name], fontweight="bold", annotation_clip=False)
            for (name, y), y_text in zip(ends, ys, strict=True)]


def draw_crossover(ax: Axes, crossover_week: Any, label: str | None = None) -> list[Artist]:
    """A dotted vertical line at the crossover week (None: nothing) and its label (call after the x limits are set)."""
    week = scalar(crossover_week)
    if week is None:
        return []
    x = week / WEEKS_PER_YEAR
    line = ax.axvline(x, color="0.25", ls=":", lw=2, gid="crossover")
    if label is None:
        label = f"crossover: week {week:.0f}"
    right = x > 0.65 * ax.get_xlim()[1]   # late crossover: put the text left of the line
    text = ax.annotate(label, xy=(x, 0.6), xycoords=("data", "axes fraction"), xytext=(-8 if right else 8, 0),
                       textcoords="offset points", va="center", ha="right" if right else "left", fontsize=12,
                       color="0.2", bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.7", "alpha": 0.9})
    return [line, text]


def curve_legend(names: list[str], colors: dict[str, str], runs: int = 1,
                 band: str = "ci") -> tuple[list[Artist], list[str]]:
    """Legend entries of a curve panel: one line per strategy, plus what the shading means over ``runs`` runs."""
    handles: list[Artist] = [Line2D([], [], color=colors[n], lw=LINE_WIDTH) for n in names]
    labels = list(names)
    if runs > 1:
        what = "95% CI of the mean" if band == "ci" else "2.5–97.5 percentiles"
        labels.append(f"shaded: {what} over {runs} runs")
        handles.append(Patch(facecolor="0.6", alpha=0.35, label=labels[-1]))
    return handles, labels


def decorate_curve_axes(ax: Axes, column: str) -> None:
    """Axis labels and number format of a curve panel (years across, the column's label up)."""
    ax.set_xlabel("Years")
    ax.set_ylabel(AXIS_LABELS.get(column, column.replace("_", " ")))
    ax.yaxis.set_major_formatter(FuncFormatter(axis_number))


def curve_title(column: str, runs: int = 1) -> str:
    """The default title of a curve panel: what is plotted, and over how many runs."""
    title = AXIS_LABELS.get(column, column.replace("_", " ").capitalize()) + ", by strategy"
    return title + (f" (mean of {runs} runs)" if runs > 1 else "")


def plot_cumulative(df: pd.DataFrame, column: str = "revenue_cumulative", ax: Axes | None = None,
                    title: str | None = None, crossover_week: Any = None, crossover_label: str | None = None,
                    band: str = "ci", margins: str | None = None) -> Figure:
    """Per-seller mean of a (cumulative) series over time, one line per strategy.

    Args:
        df: the weekly table; with a ``replicate`` column the line is the mean over runs and a shaded
            band shows the 95% range.
        column: a column of the table, e.g. ``"revenue_cumulative"`` or ``"referrals_cumulative"``.
        ax: draw into this axes instead of a new figure.
        title: figure title (default says what is plotted).
        crossover_week: week the challenger overtakes (an int, or a replicate summary dict with
            ``"mean"``); drawn as a dotted vertical line.
        crossover_label: text next to that line (default "crossover: week N").
        band: ``"ci"`` = 95% confidence interval of the mean over runs (mean ± t·se), or
            ``"percentile"`` = 2.5–97.5 percentiles of the runs (spread of single outcomes).
        margins: fixed margins for a new figure (``"single"``, see :data:`~sim.plots.style.FIGURE_MARGINS`);
            None lays it out while drawing.

    Returns:
        The figure.
    """
    if band not in ("ci", "percentile"):
        raise ValueError(f"band = {band!r}: use 'ci' or 'percentile'")
    names = strategies(df)
    colors = strategy_colors(names)
    runs = n_runs(df)
    with styled():
        if ax is None:
            fig, axes = new_figure(margins=margins)
            ax = axes[0]
        else:
            fig = ax.figure
        mean, low, high = curves(df, column, band)
        years = mean.index.to_numpy(dtype=float) / WEEKS_PER_YEAR
        draw_curves(ax, years, mean, low, high, names, colors)
        ax.set_xlim(0, years[-1] if len(years) else 1)
        ax.set_ylim(bottom=0)
        decorate_curve_axes(ax, column)
        draw_end_labels(ax, years, mean, names, colors)
        draw_crossover(ax, crossover_week, crossover_label)
        drawn = [n for n in names if n in mean.columns]
        ax.legend(*curve_legend(drawn, colors, runs, band), loc="upper left")
        ax.set_title(curve_title(column, runs) if title is None else title, loc="left")
    return fig
