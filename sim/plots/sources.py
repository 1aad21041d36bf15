"""Where sales come from: per-seller sales per year, stacked by source, one panel per strategy.

Owns :func:`plot_sales_by_source` and the pieces the live figures of :mod:`sim.plots.live` reuse:
:func:`source_table`, :func:`draw_source_bars`, :func:`decorate_source_axes`, :func:`sources_title`.

Must not: pick colours, fonts or sizes of its own (:mod:`sim.plots.style` has the source colours and labels).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..config import WEEKS_PER_YEAR
from .data import n_runs, per_seller_totals, strategies
from .style import FIGURE_SIZES, SOURCE_COLORS, SOURCE_LABELS, SOURCES, axis_number, new_figure, strategy_colors, styled

__all__ = ["plot_sales_by_source", "source_table", "draw_source_bars", "decorate_source_axes", "sources_title",
           "SOURCE_COLUMNS"]

SOURCE_COLUMNS: tuple[str, ...] = tuple(f"sales_{s}" for s in SOURCES)
"""The weekly columns stacked, in :data:`~sim.plots.style.SOURCES` order."""


def source_table(df: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, dict[str, pd.DataFrame]]:
    """Years (1, 2, ...) and, per strategy, per-seller sales per year by source (columns :data:`SOURCE_COLUMNS`)."""
    cols = list(SOURCE_COLUMNS)
    yearly = df.assign(year=(df["week"] - 1) // WEEKS_PER_YEAR + 1)
    totals = per_seller_totals(yearly, cols, by=("year",))
    years = np.arange(1, int(yearly["year"].max()) + 1)
    present = set(totals.index.get_level_values("strategy"))
    return years, {name: totals.xs(name, level="strategy").reindex(years, fill_value=0.0) if name in present
                   else pd.DataFrame(0.0, index=years, columns=cols) for name in names}


def draw_source_bars(ax: Axes, years: np.ndarray, table: pd.DataFrame) -> list[Artist]:
    """Stacked bars of one strategy, one colour per source; returns the bars."""
    bottom = np.zeros(len(years))
    out: list[Artist] = []
    for src, col in zip(SOURCES, SOURCE_COLUMNS, strict=True):
        vals = table[col].to_numpy(dtype=float)
        out.extend(ax.bar(years, vals, 0.8, bottom=bottom, color=SOURCE_COLORS[src], label=SOURCE_LABELS[src],
                          edgecolor="white", linewidth=0.5).patches)
        bottom += vals
    return out


def decorate_source_axes(ax: Axes, name: str, color: str, years: np.ndarray, partial: int) -> None:
    """Panel title in the strategy's colour, year ticks (a partial last year starred), number format."""
    ax.set_title(name, color=color, loc="left")
    step = max(1, int(math.ceil(len(years) / 12)))
    ticks = years[::step]
    ax.set_xticks(ticks, [f"{y}*" if (partial and y == years[-1]) else str(y) for y in ticks])
    ax.set_xlabel("Year" + (f"   (* partial: {partial} weeks)" if partial and len(years) > 0 else ""))
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(FuncFormatter(axis_number))


def sources_title(runs: int = 1) -> str:
    """The default title, with the number of runs averaged."""
    title = "Where sales come from: sales per seller per year, by source"
    return title + (f" (mean of {runs} runs)" if runs > 1 else "")


def plot_sales_by_source(df: pd.DataFrame, title: str | None = None, margins: str | None = None) -> Figure:
    """Stacked bars per year: sales per seller by source (new, repeat, referral, inbound), one panel per strategy.

    ``margins="sources"`` places the panels with fixed margins (quicker); None lays the figure out while drawing.
    """
    names = strategies(df)
    colors = strategy_colors(names)
    years, tables = source_table(df, names)
    partial = int(df["week"].max()) % WEEKS_PER_YEAR
    max_width, height = FIGURE_SIZES["sources"]
    with styled():
        width = max(5.0, 4.2 * len(names)) + 1.5
        fig, axes = new_figure(len(names), size=(min(width, max_width), height), sharey=True, margins=margins)
        for ax, name in zip(axes, names, strict=True):
            draw_source_bars(ax, years, tables[name])
            decorate_source_axes(ax, name, colors[name], years, partial)
        axes[0].set_ylabel("Sales per seller per year")
        handles, labels = axes[0].get_legend_handles_labels()
        where = {"loc": "outside lower center"} if margins is None else {"loc": "lower center",
                                                                          "bbox_to_anchor": (0.5, 0.0)}
        fig.legend(handles, labels, ncols=min(3, len(SOURCES)), title="Source of the sale", **where)
        fig.suptitle(sources_title(n_runs(df)) if title is None else title, x=0.01, ha="left",
                     **({} if margins is None else {"y": 0.985, "va": "top"}))
    return fig
