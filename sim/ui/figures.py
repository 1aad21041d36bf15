"""The figures of the notebooks and the dashboard, composed from :mod:`sim.plots` in its one style.

Owns :func:`live_figure` (the explorer's panels as one static figure; the live, updated version
is :func:`sim.ui.live.explorer_figure`), the dashboard's story figures (:func:`revenue_figure`,
:func:`sources_figure`, :func:`why_figure`), :func:`export_figures` (every figure of the story for
slides, written atomically) and :func:`figure_to_png` (PNG bytes for an :class:`ipywidgets.Image`).

Must not: define colours, fonts or sizes (:mod:`sim.plots.style`), word captions
(:mod:`sim.narrate`), or import ipywidgets: a figure here is a plain matplotlib Figure.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from .. import plots
from ..config import WEEKS_PER_YEAR
from ..model.runner import Results
from ..narrate import crossover_caption, pretty_name, stars, years_text
from ..plots.files import write_figure
from ..plots.style import FIGURE_SIZES, new_figure, styled
from .downloads import dashboard_dir

__all__ = ["figure_to_png", "live_figure", "revenue_figure", "sources_figure", "why_figure", "LIVE_PANELS",
           "export_figures", "default_export_dir"]

LIVE_PANELS: tuple[str, ...] = ("revenue", "referrals", "funnel", "trust", "reviews")
"""The panels :func:`live_figure` can draw."""


def figure_to_png(fig: Figure, dpi: int = 72) -> bytes:
    """Render a Matplotlib figure to PNG bytes (for an :class:`ipywidgets.Image`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def live_figure(results: Results, panels: Sequence[str] = ("revenue", "referrals", "funnel"),
                size: tuple[float, float] | None = None) -> Figure:
    """One fixed-layout figure with a panel per entry of ``panels`` (quick to redraw).

    Panels: ``"revenue"`` (cumulative revenue with the crossover week), ``"referrals"`` (cumulative
    referrals received), ``"funnel"`` (year-1 funnel, log scale), ``"trust"`` (mean trust held in
    the market), ``"reviews"`` (public reviews count).
    """
    unknown = [p for p in panels if p not in LIVE_PANELS]
    if unknown:
        raise ValueError(f"panels = {list(panels)!r}: unknown panel {unknown[0]!r}; use {', '.join(LIVE_PANELS)}")
    df, summary = results.timeseries, results.summary
    weeks = int(df["week"].max())
    n = len(panels)
    panel_width, height = FIGURE_SIZES["live_panel"]
    with styled():
        fig = Figure(figsize=size or (panel_width * n, height))
        axes = fig.subplots(1, n, squeeze=False)[0]
        fig.subplots_adjust(left=0.07 if n > 1 else 0.1, right=0.95, bottom=0.14, top=0.88, wspace=0.42)
        for ax, panel in zip(axes, panels, strict=True):
            if panel == "revenue":
                plots.plot_cumulative(df, "revenue_cumulative", ax=ax, crossover_week=summary.get("crossover_week"),
                                      title="Cumulative revenue per seller")
            elif panel == "referrals":
                plots.plot_cumulative(df, "referrals_cumulative", ax=ax, title="Referrals received per seller")
            elif panel == "funnel":
                span = min(WEEKS_PER_YEAR, weeks)
                period = "year 1" if span == WEEKS_PER_YEAR else f"{span} weeks"
                plots.plot_funnel(df, weeks=span, ax=ax, title=f"Funnel per seller, {period}")
                if ax.get_legend() is not None:
                    ax.legend(loc="upper right", fontsize=10)
            elif panel == "trust":
                plots.plot_cumulative(df, "mean_trust", ax=ax, title="Mean trust held in the market")
            else:
                plots.plot_cumulative(df, "reviews_count", ax=ax, title="Public reviews per seller")
    return fig


def revenue_figure(results: Results, size: tuple[float, float] = FIGURE_SIZES["story"]) -> Figure:
    """Cumulative revenue per seller with the crossover week marked: who leads when."""
    df, summary = results.timeseries, results.summary
    weeks = int(df["week"].max())
    with styled():
        fig, (ax,) = new_figure(size=size)
        plots.plot_cumulative(df, "revenue_cumulative", ax=ax, crossover_week=summary.get("crossover_week"),
                              crossover_label=crossover_caption(summary, pretty=True),
                              title=f"Cumulative revenue per seller over {years_text(weeks)}")
        if weeks > WEEKS_PER_YEAR:
            ax.axvline(1.0, color="0.6", lw=1.2, ls="--")
            ax.annotate("1 year", xy=(1.0, 0.03), xycoords=("data", "axes fraction"), xytext=(4, 0),
                        textcoords="offset points", va="bottom", fontsize=12, color="0.4")
    return fig


def sources_figure(results: Results) -> Figure:
    """Sales per seller per year, split into new / repeat / referral / inbound, one panel per strategy."""
    return plots.plot_sales_by_source(results.timeseries)


def why_figure(results: Results, size: tuple[float, float] = FIGURE_SIZES["why"]) -> Figure:
    """Three reasons side by side: referrals received, public reviews, and trust held in the market."""
    df, summary = results.timeseries, results.summary
    strat = summary.get("strategies", {})
    ratings = [f"{pretty_name(n)} {stars(v.get('mean_rating'))}" for n, v in strat.items()]
    with styled():
        fig, axes = new_figure(3, size=size)
        plots.plot_cumulative(df, "referrals_cumulative", ax=axes[0], title="Referrals received")
        plots.plot_cumulative(df, "reviews_count", ax=axes[1], title="Public reviews written")
        axes[1].set_ylabel("Reviews per seller")
        axes[1].text(0.02, 0.72, "mean rating:\n" + "\n".join(ratings), transform=axes[1].transAxes, fontsize=12,
                     va="top", color="0.25")
        plots.plot_cumulative(df, "mean_trust", ax=axes[2], title="Trust held in the market")
        axes[2].set_ylabel("Mean customer trust (0..1)")
        threshold = results.config.market.trust_threshold
        axes[2].axhline(threshold, color="0.5", ls="--", lw=1.2)
        axes[2].annotate(f"buying threshold {threshold:g}", xy=(0.02, threshold), xycoords=("axes fraction", "data"),
                         xytext=(0, 4), textcoords="offset points", fontsize=11, color="0.35")
        axes[2].set_ylim(0, max(1.0, axes[2].get_ylim()[1]) if threshold > 0.5 else axes[2].get_ylim()[1])
        for ax in axes:
            if ax.get_legend() is not None:
                ax.get_legend().remove()
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        fig.suptitle("Why: referrals, reviews and trust, per seller", x=0.01, ha="left")
    return fig


def default_export_dir(name: str = "consultant_demo") -> Path:
    """Where :func:`export_figures` writes when called from Python without a folder.

    ``$SIM_FIGURES_DIR`` if set, else ``results/figures/<name>`` in the project (or the working
    folder). The dashboard's buttons do not use it: they write under :func:`~sim.ui.downloads.dashboard_dir`.
    """
    env = os.environ.get("SIM_FIGURES_DIR")
    if env:
        return Path(env)
    return dashboard_dir().parent / "figures" / name


def export_figures(results: Results, out_dir: str | Path | None = None, formats: Iterable[str] = ("png", "svg"),
                   dpi: int = 200) -> list[Path]:
    """Write every figure of the story for slides: PNG and SVG by default (into :func:`default_export_dir`).

    Files: the four standard figures of :func:`sim.plots.save_figures` plus ``revenue_story``
    (cumulative revenue with the crossover) and ``why`` (referrals, reviews, trust), the last two
    written atomically (a temporary name, then a rename).
    """
    out = Path(out_dir) if out_dir is not None else default_export_dir()
    out.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats)
    paths = list(plots.save_figures(results, out, formats=formats, dpi=dpi))
    for name, fig in (("revenue_story", revenue_figure(results)), ("why", why_figure(results))):
        for fmt in formats:
            paths.append(write_figure(fig, out / f"{name}.{fmt}", fmt, dpi))
    return paths
