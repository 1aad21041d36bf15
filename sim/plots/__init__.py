"""Figures of a run: cumulative curves, the sales funnel and where sales come from, in one style.

Every figure function takes the weekly table (``Results.timeseries``) and returns a matplotlib
:class:`~matplotlib.figure.Figure`; nothing here knows about the model itself. Tables from
:func:`sim.run_replicates` carry a ``replicate`` column: curves then show the mean over runs with
a shaded 95% band, bars show means over runs.

Figures are built with :class:`matplotlib.figure.Figure` directly (not ``pyplot``), so they do not
pile up in pyplot's global state and need no display; in a notebook, return or ``display()`` them.

Modules: :mod:`~sim.plots.style` (colours, fonts, sizes: the one style of every figure, including
the notebooks' and the dashboard's), :mod:`~sim.plots.data` (per-seller tables),
:mod:`~sim.plots.cumulative`, :mod:`~sim.plots.funnel`, :mod:`~sim.plots.sources` (one figure
kind each) and :mod:`~sim.plots.files` (:func:`save_figures`). This package must not import
:mod:`sim.ui` or :mod:`sim.experiments`; it reads results, it never runs the model.
"""

from __future__ import annotations

from .cumulative import plot_cumulative
from .files import FIGURE_FILES, save_figures
from .funnel import FUNNEL_NOTE, plot_funnel
from .sources import plot_sales_by_source
from .style import (
    FIGURE_SIZES,
    SOURCE_COLORS,
    SOURCE_LABELS,
    SOURCES,
    STRATEGY_COLORS,
    STYLE,
    strategy_colors,
    styled,
)

__all__ = [
    "plot_cumulative", "plot_funnel", "plot_sales_by_source", "save_figures", "strategy_colors", "styled",
    "STRATEGY_COLORS", "SOURCE_COLORS", "SOURCE_LABELS", "SOURCES", "FIGURE_FILES", "FIGURE_SIZES", "FUNNEL_NOTE",
    "STYLE",
]
