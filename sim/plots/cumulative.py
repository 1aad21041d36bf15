"""Curves over time: the per-seller mean of a weekly column, one line per strategy.

Owns :func:`plot_cumulative` (cumulative revenue, referrals, trust, reviews, ... with the crossover
week marked and a 95% band over replicates). Must not: pick colours, fonts or sizes of its own
(:mod:`sim.plots.style`) or compute the crossover (it only draws the week it is given).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..config import WEEKS_PER_YEAR
from ..narrate import scalar
from .data import curves, n_runs, strategies
from .style import AXIS_LABELS, axis_number, new_figure, short, strategy_colors, styled

__all__ = ["plot_cumulative"]


def _spread_labels(ys: list[float], gap: float) -> list[float]:
    """Nudge end-of-line label positions apart so they do not overlap (keeps their order)."""
    order = np.argsort(ys)
    out = list(ys)
    prev = -math.inf
    for i in order:
        out[i] = max(out[i], prev + gap)
        prev = out[i]
    return out


def plot_cumulative(df: pd.DataFrame, column: str = "revenue_cumulative", ax: Axes | None = None,
                    title: str | None = None, crossover_week: Any = None, crossover_label: str | None = None,
                    band: str = "ci") -> Figure:
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
            fig, axes = new_figure()
            ax = axes[0]
        else:
            fig = ax.figure
        mean, low, high = curves(df, column, band)
        years = mean.index.to_numpy(dtype=float) / WEEKS_PER_YEAR
        ends: list[tuple[str, float]] = []
        for name in names:
            if name not in mean.columns:
                continue
            ax.plot(years, mean[name].to_numpy(), color=colors[name], lw=2.8, label=name)
            if low is not None and high is not None:
                ax.fill_between(years, low[name].to_numpy(), high[name].to_numpy(), color=colors[name], alpha=0.2, lw=0)
            ends.append((name, float(mean[name].iloc[-1])))
        ax.set_xlim(0, years[-1] if len(years) else 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("Years")
        ax.set_ylabel(AXIS_LABELS.get(column, column.replace("_", " ")))
        ax.yaxis.set_major_formatter(FuncFormatter(axis_number))

        # value labels at the right end of each line
        if ends:
            top = ax.get_ylim()[1]
            ys = _spread_labels([y for _, y in ends], gap=0.055 * top)
            for (name, y), y_text in zip(ends, ys, strict=True):
                ax.annotate(short(y), xy=(years[-1], y_text), xytext=(6, 0), textcoords="offset points",
                            va="center", ha="left", color=colors[name], fontweight="bold", annotation_clip=False)

        week = scalar(crossover_week)
        if week is not None:
            x = week / WEEKS_PER_YEAR
            ax.axvline(x, color="0.25", ls=":", lw=2, gid="crossover")
            if crossover_label is None:
                crossover_label = f"crossover: week {week:.0f}"
            right = x > 0.65 * ax.get_xlim()[1]   # late crossover: put the text left of the line
            ax.annotate(crossover_label, xy=(x, 0.6), xycoords=("data", "axes fraction"),
                        xytext=(-8 if right else 8, 0), textcoords="offset points", va="center",
                        ha="right" if right else "left", fontsize=12, color="0.2",
                        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.7", "alpha": 0.9})

        handles, labels = ax.get_legend_handles_labels()
        if runs > 1:
            what = "95% CI of the mean" if band == "ci" else "2.5–97.5 percentiles"
            handles.append(Patch(facecolor="0.6", alpha=0.35, label=f"shaded: {what} over {runs} runs"))
            labels.append(handles[-1].get_label())
        ax.legend(handles, labels, loc="upper left")
        if title is None:
            title = AXIS_LABELS.get(column, column.replace("_", " ").capitalize()) + ", by strategy"
            if runs > 1:
                title += f" (mean of {runs} runs)"
        ax.set_title(title, loc="left")
    return fig
