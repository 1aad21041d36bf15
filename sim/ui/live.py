"""The live figures of the explorer and the dashboard: the same figures as :mod:`sim.ui.figures`, kept and updated.

Owns :func:`explorer_figure` (the explorer's panels) and :class:`DashboardFigures` (the revenue
story, where sales come from, and why), each a :class:`sim.plots.live.LiveFigure` that redraws
only what a slider move changed (see :mod:`sim.plots.live` for how) and hands back PNG bytes for
an :class:`ipywidgets.Image`.

Must not: define colours, fonts or sizes (:mod:`sim.plots.style`), word captions (:mod:`sim.narrate`),
run the model, or import ipywidgets.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..config import WEEKS_PER_YEAR
from ..narrate import crossover_caption, pretty_name, stars, years_text
from ..narrate.verdict import crossover_shown
from ..plots.cumulative import LINE_WIDTH
from ..plots.live import CurvePanel, FunnelPanel, LiveFigure, Panel, RunView, SourcePanel
from ..plots.style import FIGURE_SIZES, SOURCE_COLORS, SOURCE_LABELS, SOURCES
from .figures import LIVE_PANELS

__all__ = ["explorer_figure", "DashboardFigures"]


def _funnel_title(view: RunView) -> str:
    span = min(WEEKS_PER_YEAR, view.weeks)
    return f"Funnel per seller, {'year 1' if span == WEEKS_PER_YEAR else f'{span} weeks'}"


def _panel(name: str) -> Panel:
    if name == "revenue":
        return CurvePanel("revenue_cumulative", "Cumulative revenue per seller",
                          crossover=lambda v: (v.summary.get("crossover_week"), None))
    if name == "referrals":
        return CurvePanel("referrals_cumulative", "Referrals received per seller")
    if name == "funnel":
        return FunnelPanel(WEEKS_PER_YEAR, _funnel_title)
    if name == "trust":
        return CurvePanel("mean_trust", "Mean trust held in the market")
    return CurvePanel("reviews_count", "Public reviews per seller")


def explorer_figure(panels: Sequence[str] = ("revenue", "referrals", "funnel"), dpi: float = 72,
                    size: tuple[float, float] | None = None) -> LiveFigure:
    """The explorer's live figure: one panel per entry of ``panels`` (see :data:`sim.ui.figures.LIVE_PANELS`)."""
    unknown = [p for p in panels if p not in LIVE_PANELS]
    if unknown:
        raise ValueError(f"panels = {list(panels)!r}: unknown panel {unknown[0]!r}; use {', '.join(LIVE_PANELS)}")
    width, height = FIGURE_SIZES["live_panel"]
    return LiveFigure(size or (width * len(panels), height), [_panel(p) for p in panels], dpi=dpi)


# ------------------------------------------------------------------------------------------ dashboard
def _story_crossover(view: RunView) -> tuple[Any, str | None]:
    shown = crossover_shown(view.summary)
    return shown, crossover_caption({**view.summary, "crossover_week": shown}, pretty=True)


def _one_year_marker(_fig: Figure, axes: list[Axes], view: RunView) -> tuple[Hashable, list[Artist]]:
    if view.weeks <= WEEKS_PER_YEAR:
        return False, []
    ax = axes[0]
    return True, [ax.axvline(1.0, color="0.6", lw=1.2, ls="--"),
                  ax.annotate("1 year", xy=(1.0, 0.03), xycoords=("data", "axes fraction"), xytext=(4, 0),
                              textcoords="offset points", va="bottom", fontsize=12, color="0.4")]


def _sources_frame(fig: Figure, axes: list[Axes], view: RunView) -> tuple[Hashable, list[Artist]]:
    axes[0].set_ylabel("Sales per seller per year")
    title = "Where sales come from, per seller per year"   # the cards say over how many markets
    fig.suptitle(title, x=0.01, ha="left")
    handles = [Patch(facecolor=SOURCE_COLORS[s], edgecolor="white") for s in SOURCES]
    legend = fig.legend(handles, [SOURCE_LABELS[s] for s in SOURCES], loc="outside lower center", ncols=len(SOURCES),
                        title="Source of the sale")
    return title, [legend]


def _threshold(view: RunView) -> float:
    return float(view.config.market.trust_threshold) if view.config is not None else 0.0


def _why_frame(fig: Figure, axes: list[Axes], view: RunView) -> tuple[Hashable, list[Artist]]:
    threshold = _threshold(view)
    made: list[Artist] = [axes[2].axhline(threshold, color="0.5", ls="--", lw=1.2),
                          axes[2].annotate(f"buying threshold {threshold:g}", xy=(0.02, threshold),
                                           xycoords=("axes fraction", "data"), xytext=(0, 4),
                                           textcoords="offset points", fontsize=11, color="0.35")]
    handles = [Line2D([], [], color=view.colors[n], lw=LINE_WIDTH) for n in view.names]
    made.append(fig.legend(handles, view.names, loc="outside lower center", ncols=max(1, len(view.names))))
    fig.suptitle("Why: referrals, reviews and trust, per seller", x=0.01, ha="left")
    return (threshold, tuple(view.names)), made


def _ratings(axes: list[Axes], view: RunView) -> list[Artist]:
    strat = view.summary.get("strategies", {})
    ratings = [f"{pretty_name(n)} {stars(v.get('mean_rating'))}" for n, v in strat.items()]
    return [axes[1].text(0.02, 0.72, "mean rating:\n" + "\n".join(ratings), transform=axes[1].transAxes,
                         fontsize=12, va="top", color="0.25")]


class DashboardFigures:
    """The dashboard's three figures, kept between updates: :meth:`render` gives their PNG bytes.

    Args:
        dpi: resolution on screen.

    Attributes:
        revenue, sources, why: the :class:`~sim.plots.live.LiveFigure` objects.
    """

    def __init__(self, dpi: float = 80) -> None:
        self.revenue = LiveFigure(FIGURE_SIZES["story_screen"], [CurvePanel(
            "revenue_cumulative", lambda v: f"Cumulative revenue per seller over {years_text(v.weeks)}",
            crossover=_story_crossover)], dpi=dpi, decorate=_one_year_marker,
            decoration_key=lambda v: v.weeks > WEEKS_PER_YEAR)
        self._source_panels: list[Panel] = []
        self._shared: dict[str, Any] = {}
        self.sources = LiveFigure(FIGURE_SIZES["sources"], self._sources_for, dpi=dpi, decorate=_sources_frame,
                                  decoration_key=lambda _v: True, sharey=True)
        self.why = LiveFigure(FIGURE_SIZES["why"], [
            CurvePanel("referrals_cumulative", "Referrals received", legend=False),
            CurvePanel("reviews_count", "Public reviews written", ylabel="Reviews per seller", legend=False),
            CurvePanel("mean_trust", "Trust held in the market", ylabel="Mean customer trust (0..1)", legend=False,
                       min_top=lambda v: 1.0 if _threshold(v) > 0.5 else 1.15 * _threshold(v)),
        ], dpi=dpi, decorate=_why_frame, decoration_key=lambda v: (_threshold(v), tuple(v.names)), extra=_ratings)

    def _sources_for(self, view: RunView) -> list[Panel]:
        if len(self._source_panels) != len(view.names):   # one panel per strategy; a new figure when that changes
            self._shared = {}
            self._source_panels = [SourcePanel(i, self._shared) for i in range(len(view.names))]
            max_width, height = FIGURE_SIZES["sources"]
            self.sources.figure.set_size_inches(min(max(5.0, 4.2 * len(view.names)) + 1.5, max_width), height)
        return self._source_panels

    def render(self, results: Any) -> tuple[bytes, bytes, bytes]:
        """PNG bytes of the revenue story, the sources and the why figure of ``results``."""
        view = RunView.of(results)
        return self.revenue.render(view), self.sources.render(view), self.why.render(view)
