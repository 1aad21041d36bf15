"""Figures of a run: cumulative curves, the sales funnel and where sales come from.

Every function takes the weekly table (``Results.timeseries``) and returns a matplotlib
:class:`~matplotlib.figure.Figure`; nothing here knows about the model itself. Tables from
:func:`sim.run_replicates` carry a ``replicate`` column: curves then show the mean over runs with
a shaded 95% band, bars show means over runs.

Figures are built with :class:`matplotlib.figure.Figure` directly (not ``pyplot``), so they do not
pile up in pyplot's global state and need no display; in a notebook, return or ``display()`` them.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

if sys.platform.startswith("linux") and not (
    os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("MPLBACKEND")
):
    matplotlib.use("Agg")  # headless: never try to open a window

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..model.metrics import FUNNEL_STAGES

if TYPE_CHECKING:
    from ..model.runner import Results

__all__ = [
    "plot_cumulative", "plot_funnel", "plot_sales_by_source", "save_figures", "strategy_colors",
    "STRATEGY_COLORS", "SOURCE_COLORS", "FIGURE_FILES",
]

WEEKS_PER_YEAR = 52

STRATEGY_COLORS: dict[str, str] = {"numbers_game": "#D55E00", "relationship": "#0072B2"}
"""Fixed colours of the two preset strategies (Okabe-Ito vermillion and blue)."""

_PALETTE: tuple[str, ...] = (
    "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F3C8D", "#3B3B3B", "#A6761D", "#66A61E", "#E7298A",
    "#1B9E77",
)

SOURCES: tuple[str, ...] = ("new", "repeat", "referral", "inbound")
SOURCE_COLORS: dict[str, str] = {"new": "#B0B0B0", "repeat": "#1B7837", "referral": "#8E5EA2", "inbound": "#F1A340"}
SOURCE_LABELS: dict[str, str] = {
    "new": "new (cold lead)", "repeat": "repeat customer", "referral": "referral",
    "inbound": "inbound (came by themselves)",
}

FIGURE_FILES: tuple[str, ...] = ("cumulative_revenue", "cumulative_referrals", "funnel", "sales_by_source")
"""Base names of the files :func:`save_figures` writes."""

FUNNEL_NOTE = ("Warm leads (referrals, repeat and inbound customers) skip qualification and enter at the\n"
               "presentation stage, so a later stage can be larger than an earlier one.")

_STYLE: dict[str, Any] = {
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

_AXIS_LABELS: dict[str, str] = {
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


# ----------------------------------------------------------------------------------------- helpers
def strategy_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per strategy: presets always get the same colour, others take the palette in order."""
    names = list(dict.fromkeys(str(n) for n in names))
    out = {n: STRATEGY_COLORS[n] for n in names if n in STRATEGY_COLORS}
    free = [c for c in _PALETTE if c not in out.values()]
    for i, name in enumerate(n for n in names if n not in out):
        out[name] = free[i % len(free)]
    return out


def _strategies(df: pd.DataFrame) -> list[str]:
    """Strategy names in order of first appearance (config order: incumbent first)."""
    return [str(s) for s in pd.unique(df["strategy"].astype(str))]


def _n_runs(df: pd.DataFrame) -> int:
    return int(df["replicate"].nunique()) if "replicate" in df.columns else 1


def _new_figure(ncols: int = 1, size: tuple[float, float] = (10.0, 6.0), sharey: bool = False) -> tuple[Figure, Any]:
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(1, ncols, sharey=sharey, squeeze=False)[0]
    return fig, axes


def _compact(x: float) -> str:
    """Short human number: 0.75, 4.5, 237, 2,490, 10.7k, 1.2M."""
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


def _short(x: float) -> str:
    """Three significant digits with k/M: 7.56k, 315k, 1.2M."""
    if not math.isfinite(x):
        return "n/a"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.3g}M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.3g}k"
    return f"{x:.3g}"


def _axis_number(x: float, _pos: Any = None) -> str:
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:g}M"
    if a >= 1e3:
        return f"{x / 1e3:g}k"
    return f"{x:g}"


def _per_seller_totals(df: pd.DataFrame, columns: list[str], weeks: int | None = None,
                       by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per-seller sums of ``columns``, averaged over sellers (and replicates) of each strategy.

    Returns a table indexed by ``by + ("strategy",)``.
    """
    sub = df if weeks is None else df[df["week"] <= weeks]
    keys = (["replicate"] if "replicate" in sub.columns else []) + list(by) + ["strategy", "seller"]
    sums = sub.groupby(keys, observed=True)[columns].sum()
    return sums.groupby(list(by) + ["strategy"], observed=True).mean()


def _curves(df: pd.DataFrame, column: str, band: str) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Per-seller mean of ``column`` by week and strategy, with a 95% band over replicates if any."""
    if _n_runs(df) < 2:
        curve = df.pivot_table(index="week", columns="strategy", values=column, aggfunc="mean", observed=True)
        return curve, None, None
    per_run = df.groupby(["replicate", "week", "strategy"], observed=True)[column].mean().unstack("strategy")
    g = per_run.groupby(level="week")
    mean = g.mean()
    if band == "percentile":
        return mean, g.quantile(0.025), g.quantile(0.975)
    from scipy import stats

    n = g.count()
    half = stats.t.ppf(0.975, (n - 1).clip(lower=1)) * g.std(ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def _crossover_value(crossover_week: Any) -> float | None:
    if isinstance(crossover_week, Mapping):
        crossover_week = crossover_week.get("mean")
    if crossover_week is None:
        return None
    value = float(crossover_week)
    return value if math.isfinite(value) else None


def _spread_labels(ys: list[float], gap: float) -> list[float]:
    """Nudge end-of-line label positions apart so they do not overlap (keeps their order)."""
    order = np.argsort(ys)
    out = list(ys)
    prev = -math.inf
    for i in order:
        out[i] = max(out[i], prev + gap)
        prev = out[i]
    return out


# ----------------------------------------------------------------------------------------- figures
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
    names = _strategies(df)
    colors = strategy_colors(names)
    n_runs = _n_runs(df)
    with matplotlib.rc_context(_STYLE):
        if ax is None:
            fig, axes = _new_figure()
            ax = axes[0]
        else:
            fig = ax.figure
        mean, low, high = _curves(df, column, band)
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
        ax.set_ylabel(_AXIS_LABELS.get(column, column.replace("_", " ")))
        ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))

        # value labels at the right end of each line
        if ends:
            top = ax.get_ylim()[1]
            ys = _spread_labels([y for _, y in ends], gap=0.055 * top)
            for (name, y), y_text in zip(ends, ys, strict=True):
                ax.annotate(_short(y), xy=(years[-1], y_text), xytext=(6, 0), textcoords="offset points",
                            va="center", ha="left", color=colors[name], fontweight="bold", annotation_clip=False)

        week = _crossover_value(crossover_week)
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
        if n_runs > 1:
            what = "95% CI of the mean" if band == "ci" else "2.5–97.5 percentiles"
            handles.append(Patch(facecolor="0.6", alpha=0.35, label=f"shaded: {what} over {n_runs} runs"))
            labels.append(handles[-1].get_label())
        ax.legend(handles, labels, loc="upper left")
        if title is None:
            title = _AXIS_LABELS.get(column, column.replace("_", " ").capitalize()) + ", by strategy"
            if n_runs > 1:
                title += f" (mean of {n_runs} runs)"
        ax.set_title(title, loc="left")
    return fig


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
    names = _strategies(df)
    colors = strategy_colors(names)
    totals = _per_seller_totals(df, list(FUNNEL_STAGES), weeks)
    horizon = int(df["week"].max())
    n_runs = _n_runs(df)
    with matplotlib.rc_context(_STYLE):
        if ax is None:
            fig, axes = _new_figure(size=(11.0, 6.5))
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
                ax.annotate(_compact(v), xy=(bar.get_x() + bar.get_width() / 2, y), xytext=(0, 3),
                            textcoords="offset points", ha="center", va="bottom", fontsize=11)
            positive.extend(v for v in vals if v > 0)
        ax.set_yscale("log")
        if positive:
            ax.set_ylim(min(positive) / 2.5, max(positive) * 4)
        ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
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
            if n_runs > 1:
                title += f", mean of {n_runs} runs"
        ax.set_title(title, loc="left")
    return fig


def plot_sales_by_source(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Stacked bars per year: sales per seller by source (new, repeat, referral, inbound), one panel per strategy."""
    names = _strategies(df)
    colors = strategy_colors(names)
    n_runs = _n_runs(df)
    horizon = int(df["week"].max())
    cols = [f"sales_{s}" for s in SOURCES]
    yearly = df.assign(year=(df["week"] - 1) // WEEKS_PER_YEAR + 1)
    totals = _per_seller_totals(yearly, cols, by=("year",))
    years = np.arange(1, int(yearly["year"].max()) + 1)
    partial = horizon % WEEKS_PER_YEAR
    with matplotlib.rc_context(_STYLE):
        width = max(5.0, 4.2 * len(names)) + 1.5
        fig, axes = _new_figure(len(names), size=(min(width, 20.0), 6.0), sharey=True)
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
            ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
        axes[0].set_ylabel("Sales per seller per year")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(SOURCES), title="Source of the sale")
        if title is None:
            title = "Where sales come from: sales per seller per year, by source"
            if n_runs > 1:
                title += f" (mean of {n_runs} runs)"
        fig.suptitle(title, x=0.01, ha="left")
    return fig


# ----------------------------------------------------------------------------------------- files
def _crossover_text(summary: Mapping[str, Any]) -> str | None:
    cross, cha, inc = summary.get("crossover_week"), summary.get("challenger"), summary.get("incumbent")
    week = _crossover_value(cross)
    if week is None or cha is None:
        return None
    text = f"{cha} overtakes {inc}\nin week {week:.0f}"
    if isinstance(cross, Mapping):
        text = f"{cha} overtakes {inc}\nin week {week:.0f} (mean)"
        never = cross.get("never_share") or 0.0
        if never > 0:
            text += f"\nnever in {never:.0%} of runs"
    return text


def save_figures(results: Results, out_dir: str | Path, formats: Iterable[str] = ("png",),
                 dpi: int = 150) -> list[Path]:
    """Write the four standard figures of a run into ``out_dir``.

    Files: ``cumulative_revenue``, ``cumulative_referrals``, ``funnel`` (year 1 next to the whole
    horizon when the run is longer than a year) and ``sales_by_source``, once per format
    (``"png"``, ``"svg"``, ``"pdf"``).

    Returns:
        The paths written.
    """
    formats = tuple(f.lower().lstrip(".") for f in ([formats] if isinstance(formats, str) else formats))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df, summary = results.timeseries, results.summary
    horizon = int(df["week"].max())

    figures: dict[str, Figure] = {
        "cumulative_revenue": plot_cumulative(df, "revenue_cumulative", crossover_week=summary.get("crossover_week"),
                                              crossover_label=_crossover_text(summary)),
        "cumulative_referrals": plot_cumulative(df, "referrals_cumulative"),
    }
    if horizon > WEEKS_PER_YEAR:
        with matplotlib.rc_context(_STYLE):
            fig, axes = _new_figure(2, size=(17.0, 6.5))
            fig.supxlabel(FUNNEL_NOTE, fontsize=11, color="0.35")
            n_runs = _n_runs(df)
            fig.suptitle("Sales funnel per seller" + (f" (mean of {n_runs} runs)" if n_runs > 1 else ""),
                         x=0.01, ha="left")
        plot_funnel(df, weeks=WEEKS_PER_YEAR, ax=axes[0], title="Year 1")
        plot_funnel(df, ax=axes[1], title=f"Whole horizon ({horizon} weeks)")
        figures["funnel"] = fig
    else:
        figures["funnel"] = plot_funnel(df)
    figures["sales_by_source"] = plot_sales_by_source(df)

    paths = []
    for name, fig in figures.items():
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            fig.savefig(path, dpi=dpi, format=fmt)
            paths.append(path)
    return paths
