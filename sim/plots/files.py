"""The standard figure files of a run, as ``python -m sim run`` writes them.

Owns :func:`save_figures` and :data:`FIGURE_FILES` (the base names it writes). Must not: draw a
figure of its own beyond composing the year-1 and whole-horizon funnels side by side, or word a
caption itself (the crossover caption comes from :mod:`sim.narrate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from ..config import WEEKS_PER_YEAR
from ..narrate import crossover_caption
from .cumulative import plot_cumulative
from .data import n_runs
from .funnel import FUNNEL_NOTE, plot_funnel
from .sources import plot_sales_by_source
from .style import FIGURE_SIZES, new_figure, styled

if TYPE_CHECKING:
    from ..model.runner import Results

__all__ = ["save_figures", "FIGURE_FILES"]

FIGURE_FILES: tuple[str, ...] = ("cumulative_revenue", "cumulative_referrals", "funnel", "sales_by_source")
"""Base names of the files :func:`save_figures` writes."""


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
                                              crossover_label=crossover_caption(summary)),
        "cumulative_referrals": plot_cumulative(df, "referrals_cumulative"),
    }
    if horizon > WEEKS_PER_YEAR:
        with styled():
            fig, axes = new_figure(2, size=FIGURE_SIZES["funnel_pair"])
            fig.supxlabel(FUNNEL_NOTE, fontsize=11, color="0.35")
            runs = n_runs(df)
            fig.suptitle("Sales funnel per seller" + (f" (mean of {runs} runs)" if runs > 1 else ""),
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
