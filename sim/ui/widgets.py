"""The old import path ``sim.ui.widgets``: the names the notebooks have always imported from it.

Owns nothing: every name is re-exported from the module that owns it (:mod:`sim.ui.controls`,
:mod:`sim.ui.panel`, :mod:`sim.ui.explorer`, :mod:`sim.ui.render`, :mod:`sim.ui.figures`,
:mod:`sim.narrate`, :mod:`sim.plots.style`). New code imports from :mod:`sim.ui`. Must not
grow code of its own.

``FIG_STYLE`` is the one plot style, :data:`sim.plots.STYLE`, under its old name.
"""

from __future__ import annotations

from ..narrate import headline_numbers, pretty_name
from ..plots.style import STYLE as FIG_STYLE
from .controls import (
    DEFAULT_CONFIG_FIELDS,
    DEFAULT_MARKET_FIELDS,
    DEFAULT_NETWORK_FIELDS,
    DEFAULT_STRATEGY_FIELDS,
    UI_RANGES,
    field_bounds,
    field_help,
    field_label,
    slider_for,
)
from .explorer import Explorer
from .figures import figure_to_png, live_figure
from .panel import ParameterPanel, relabel_results
from .render import clean_message, error_html, headline_html

__all__ = [
    "field_bounds", "field_help", "field_label", "slider_for", "ParameterPanel", "Explorer",
    "headline_html", "headline_numbers", "error_html", "clean_message", "relabel_results",
    "live_figure", "FIG_STYLE", "pretty_name", "figure_to_png", "UI_RANGES",
    "DEFAULT_STRATEGY_FIELDS", "DEFAULT_MARKET_FIELDS", "DEFAULT_NETWORK_FIELDS", "DEFAULT_CONFIG_FIELDS",
]
