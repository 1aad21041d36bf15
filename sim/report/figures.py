"""The report's figures, composed from :mod:`sim.plots` in its one style.

Owns :func:`report_figures`: cumulative revenue with the crossover, where sales come from, the
year-1 funnel, and referrals / reviews / trust side by side, each with the caption the report
prints under it.

Must not: define colours, fonts or sizes (:mod:`sim.plots.style`), word a caption about who wins
(the crossover label comes from :mod:`sim.narrate`), or import :mod:`sim.ui` (the command line
writes reports without ipywidgets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from .. import plots
from ..config import WEEKS_PER_YEAR
from ..narrate import crossover_caption, years_text
from ..narrate.verdict import crossover_shown
from ..plots.style import new_figure, styled

if TYPE_CHECKING:
    from ..model.runner import Results

__all__ = ["report_figures", "sources_figure", "WHY_SIZE"]

WHY_SIZE = (14.0, 5.0)
"""Three panels side by side, narrower than the dashboard's so that they stay legible on an A4 page."""


def sources_figure(results: Results) -> Figure:
    """Sales per seller per year by source, one panel per strategy (a title that fits two panels)."""
    runs = max(1, len(results.runs))
    return plots.plot_sales_by_source(results.timeseries, title="Where sales come from, per seller per year"
                                      + (f" (mean of {runs} runs)" if runs > 1 else ""))


def _why(results: Results) -> Figure:
    df = results.timeseries
    with styled():
        fig, axes = new_figure(3, size=WHY_SIZE)
        plots.plot_cumulative(df, "referrals_cumulative", ax=axes[0], title="Referrals received")
        plots.plot_cumulative(df, "reviews_count", ax=axes[1], title="Public reviews written")
        plots.plot_cumulative(df, "mean_trust", ax=axes[2], title="Trust held in the market")
        threshold = results.config.market.trust_threshold
        axes[2].set_ylim(0, max(axes[2].get_ylim()[1], 1.15 * threshold))   # the threshold stays in view
        axes[2].axhline(threshold, color="0.5", ls="--", lw=1.2)
        axes[2].annotate(f"buying threshold {threshold:g}", xy=(0.02, threshold), xycoords=("axes fraction", "data"),
                         xytext=(0, 4), textcoords="offset points", fontsize=11, color="0.35")
        for ax in axes[1:]:
            if ax.get_legend() is not None:
                ax.get_legend().remove()
        fig.suptitle("Referrals, reviews and trust, per seller", x=0.01, ha="left")
    return fig


def report_figures(results: Results) -> list[tuple[str, Figure]]:
    """``(caption, figure)`` pairs, in the order the report shows them."""
    df, summary = results.timeseries, results.summary
    weeks = int(df["week"].max())
    runs = max(1, len(results.runs))
    band = f" The shaded bands are 95% intervals of the mean over {runs} runs." if runs > 1 else ""
    cross = crossover_shown(summary)
    revenue = plots.plot_cumulative(df, "revenue_cumulative", crossover_week=cross,
                                    crossover_label=crossover_caption(summary, pretty=True) if cross else None,
                                    title=f"Cumulative revenue per seller over {years_text(weeks)}")
    span = min(weeks, WEEKS_PER_YEAR)
    funnel = plots.plot_funnel(df, weeks=span, title="Sales funnel per seller, " +
                               ("year 1" if span == WEEKS_PER_YEAR else f"first {span} weeks"))
    return [
        ("Cumulative revenue per seller, by strategy: who leads when. The dotted line marks the week the "
         "challenger overtakes for good (mean over the runs where it does), if it does in at least half of them."
         + band, revenue),
        ("Where each strategy's sales come from, year by year: new (cold leads), repeat customers, referrals "
         "and customers who came by themselves.", sources_figure(results)),
        ("The sales funnel in the first year: leads, prospects, presentations and sales per seller "
         "(log scale).", funnel),
        ("Referrals received, public reviews and the trust each strategy holds in the market; customers buy "
         "readily once trust passes the buying threshold." + band, _why(results)),
    ]
