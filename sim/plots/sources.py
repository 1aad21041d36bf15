"""Where sales come from: per-seller sales per year, stacked by source, one panel per strategy.

Owns :func:`plot_sales_by_source`. Must not: pick colours, fonts or sizes of its own
(:mod:`sim.plots.style` has the source colours and labels).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..config import WEEKS_PER_YEAR
from .data import n_runs, per_seller_totals, strategies
from .style import FIGURE_SIZES, SOURCE_COLORS, SOURCE_LABELS, SOURCES, axis_number, new_figure, strategy_colors, styled

__all__ = ["plot_sales_by_source"]


def plot_sales_by_source(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Stacked bars per year: sales per seller by source (new, repeat, referral, inbound), one panel per strategy."""
    names = strategies(df)
    colors = strategy_colors(names)
    runs = n_runs(df)
    horizon = int(df["week"].max())
    cols = [f"sales_{s}" for s in SOURCES]
    yearly = df.assign(year=(df["week"] - 1) // WEEKS_PER_YEAR + 1)
    totals = per_seller_totals(yearly, cols, by=("year",))
    years = np.arange(1, int(yearly["year"].max()) + 1)
    partial = horizon % WEEKS_PER_YEAR
    max_width, height = FIGURE_SIZES["sources"]
    with styled():
        width = max(5.0, 4.2 * len(names)) + 1.5
        fig, axes = new_figure(len(names), size=(min(width, max_width), height), sharey=True)
        for ax, name in zip(axes, names, strict=True):
            sub = totals.xs(name, level="strategy").reindex(years, fill_value=0.0) \
                if name in totals.index.get_level_values("strategy") else \
                pd.DataFrame(0.0, index=years, columns=cols)
            bottom = np.zeros(len(years))
            for src, col in zip(SOURCES, cols, strict=True):
                vals = sub[col].to_numpy(dtype=float)
                ax.bar(years, vals, 0.8, bottom=bottom, color=SOURCE_COLORS[src], label=SOURCE_LABELS[src],
                       edgecolor="white", linewidth=0.5)
                bottom += vals
            ax.set_title(name, color=colors[name], loc="left")
            step = max(1, int(math.ceil(len(years) / 12)))
            ticks = years[::step]
            ax.set_xticks(ticks, [f"{y}*" if (partial and y == years[-1]) else str(y) for y in ticks])
            ax.set_xlabel("Year" + (f"   (* partial: {partial} weeks)" if partial and len(years) > 0 else ""))
            ax.grid(axis="x", visible=False)
            ax.yaxis.set_major_formatter(FuncFormatter(axis_number))
        axes[0].set_ylabel("Sales per seller per year")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(SOURCES), title="Source of the sale")
        if title is None:
            title = "Where sales come from: sales per seller per year, by source"
            if runs > 1:
                title += f" (mean of {runs} runs)"
        fig.suptitle(title, x=0.01, ha="left")
    return fig
