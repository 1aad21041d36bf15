"""The sales funnel: leads, prospects, presentations and sales per seller, one bar colour per strategy.

Owns :func:`plot_funnel` and :data:`FUNNEL_NOTE` (why a later stage can be larger than an earlier
one). Must not: pick colours, fonts or sizes of its own (:mod:`sim.plots.style`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..config import WEEKS_PER_YEAR
from ..model.metrics import FUNNEL_STAGES
from .data import n_runs, per_seller_totals, strategies
from .style import FIGURE_SIZES, axis_number, compact, new_figure, strategy_colors, styled

__all__ = ["plot_funnel", "FUNNEL_NOTE"]

FUNNEL_NOTE = ("Warm leads (referrals, repeat and inbound customers) skip qualification and enter at the\n"
               "presentation stage, so a later stage can be larger than an earlier one.")


def plot_funnel(df: pd.DataFrame, weeks: int | None = None, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Grouped bars: leads, prospects, presentations and sales per seller, one colour per strategy.

    The y axis is logarithmic so that 100 leads -> 1 sale stays readable; each bar carries its
    number, and the legend says how many leads one sale took.

    Args:
        df: the weekly table (replicates are averaged).
        weeks: count only the first ``weeks`` weeks (``52`` = year 1); None = the whole horizon.
        ax: draw into this axes instead of a new figure.
        title: axes title (default says the period).
    """
    names = strategies(df)
    colors = strategy_colors(names)
    totals = per_seller_totals(df, list(FUNNEL_STAGES), weeks)
    horizon = int(df["week"].max())
    runs = n_runs(df)
    with styled():
        if ax is None:
            fig, axes = new_figure(size=FIGURE_SIZES["funnel"])
            ax = axes[0]
            fig.supxlabel(FUNNEL_NOTE, fontsize=11, color="0.35")
        else:
            fig = ax.figure
        x = np.arange(len(FUNNEL_STAGES))
        width = 0.8 / max(len(names), 1)
        positive = []
        for i, name in enumerate(names):
            vals = totals.loc[name, list(FUNNEL_STAGES)].to_numpy(dtype=float) if name in totals.index else \
                np.zeros(len(FUNNEL_STAGES))
            leads, sales = vals[0], vals[-1]
            per_sale = f"1 sale per {leads / sales:,.0f} leads" if sales > 0 else "no sales"
            offset = (i - (len(names) - 1) / 2) * width
            bars = ax.bar(x + offset, np.where(vals > 0, vals, np.nan), width * 0.92, color=colors[name],
                          label=f"{name} ({per_sale})")
            for bar, v in zip(bars, vals, strict=True):
                y = v if v > 0 else 1.0
                ax.annotate(compact(v), xy=(bar.get_x() + bar.get_width() / 2, y), xytext=(0, 3),
                            textcoords="offset points", ha="center", va="bottom", fontsize=11)
            positive.extend(v for v in vals if v > 0)
        ax.set_yscale("log")
        if positive:
            ax.set_ylim(min(positive) / 2.5, max(positive) * 4)
        ax.yaxis.set_major_formatter(FuncFormatter(axis_number))
        ax.set_xticks(x, [s.capitalize() for s in FUNNEL_STAGES])
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("Count per seller (log scale)")
        ax.legend(loc="upper right")
        if title is None:
            span = horizon if weeks is None else min(weeks, horizon)
            if span == WEEKS_PER_YEAR:
                period = "year 1"
            elif span == horizon:
                period = f"whole horizon ({horizon} weeks)"
            else:
                period = f"first {span} weeks"
            title = f"Sales funnel per seller, {period}"
            if runs > 1:
                title += f", mean of {runs} runs"
        ax.set_title(title, loc="left")
    return fig
