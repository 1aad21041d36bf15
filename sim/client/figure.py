"""The comparison figure: each arm's revenue by year, and the difference with its 95% interval.

Owns :func:`plot_comparison`. Looks come from :mod:`sim.plots.style` (the one plot style); words
about the result from :mod:`sim.narrate.client`. Must not: run the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..plots.style import FIGURE_SIZES, PALETTE, STRATEGY_COLORS, axis_number, new_figure, styled

__all__ = ["plot_comparison"]


def plot_comparison(comparison: Any) -> Figure:
    """The comparison in two panels, in the project's plot style.

    Left: the client's revenue by year in each arm (mean, 95% band). Right: proposed - current by
    year (bars with 95% intervals) and the cumulative difference (line), with the crossover marked.

    Args:
        comparison: a :class:`sim.client.Comparison` or its ``to_dict()`` (``compare.json``).
    """
    data = comparison.to_dict() if hasattr(comparison, "to_dict") else comparison
    rows = data["by_year"]
    years = np.array([r["year"] for r in rows])
    cur, prop = data["current"]["label"], data["proposed"]["label"]
    colors = (STRATEGY_COLORS["numbers_game"], STRATEGY_COLORS["relationship"])
    with styled():
        fig, (left, right) = new_figure(2, size=FIGURE_SIZES["funnel_pair"])
        for key, label, color in (("current", cur, colors[0]), ("proposed", prop, colors[1])):
            mean = np.array([r[key]["mean"] for r in rows])
            low, high = np.array([r[key]["low"] for r in rows]), np.array([r[key]["high"] for r in rows])
            left.plot(years, mean, marker="o", color=color, label=label, linewidth=2.5)
            left.fill_between(years, low, high, color=color, alpha=0.2, linewidth=0)
        left.set_title("Revenue by year (all the client's sellers)")
        left.set_xlabel("Year")
        left.set_ylabel("Revenue")
        left.legend(loc="best")
        diff = np.array([r["difference"]["mean"] for r in rows])
        err = np.array([[r["difference"]["mean"] - r["difference"]["low"] for r in rows],
                        [r["difference"]["high"] - r["difference"]["mean"] for r in rows]])
        right.bar(years, diff, color=[colors[1] if d >= 0 else colors[0] for d in diff], alpha=0.75,
                  yerr=err, capsize=4, label="difference in the year (95% interval)")
        cum = [r["cumulative_difference"]["mean"] for r in rows]
        right.plot(years, cum, color=PALETTE[5], marker="s", linewidth=2, label="cumulative difference")
        right.axhline(0, color="0.3", linewidth=1)
        year = data.get("crossover_year")
        if year:
            right.axvline(year - 0.5, color="0.3", linestyle="--", linewidth=1.2,
                          label=f"{prop} ahead for good from year {year}")
        right.set_title(f"{prop} minus {cur}")
        right.set_xlabel("Year" if year else "Year (the proposed way is not ahead for good within the horizon)")
        right.set_ylabel("Revenue difference")
        right.legend(loc="upper left")
        for ax in (left, right):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(axis_number))
        fig.suptitle(f"{data['client']}: current versus proposed way of selling\n"
                     f"mean of {data['replicates']} simulated markets, the same random numbers in both",
                     x=0.01, ha="left", fontsize=15)
    return fig
