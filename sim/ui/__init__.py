"""Notebook and dashboard presentation: schema-generated controls, the live explorer, the consultant dashboard.

Modules, each with one job:

* :mod:`~sim.ui.controls`: one ipywidgets control per config field (range and help from the schema);
* :mod:`~sim.ui.panel`: :class:`ParameterPanel`, the controls of a scenario, turned back into a Config;
* :mod:`~sim.ui.render`: HTML of the narration (headline cards, story, error box, stylesheet);
* :mod:`~sim.ui.figures`: the explorer's and the dashboard's figures, in :mod:`sim.plots`' one style, and
  their export for slides;
* :mod:`~sim.ui.live`: the same figures kept between updates, redrawing only what changed;
* :mod:`~sim.ui.background`: replicates in worker processes, shown as they arrive;
* :mod:`~sim.ui.changes`: how the dashboard answers a change (run, preview, final display);
* :mod:`~sim.ui.explorer`: :class:`Explorer`, re-run and redraw on every change;
* :mod:`~sim.ui.dashboard`: :class:`ConsultantDashboard` and the export of its figures;
* :mod:`~sim.ui.meeting`: HTML of the dashboard's title, verdict cards (with intervals) and story;
* :mod:`~sim.ui.downloads`: the dashboard's fixed export folder and its browser downloads;
* :mod:`~sim.ui.clientform`, :mod:`~sim.ui.clientpanel`, :mod:`~sim.ui.clientview`: the dashboard's
  client view (a client file or the form, calibrate, current versus proposed, the client's report).

The words and numbers come from :mod:`sim.narrate` and :mod:`sim.narrate.verdict`, colours and fonts from
:mod:`sim.plots.style`. This package sits on top of the model and the plots: nothing below it may import it.
"""

from __future__ import annotations

from ..narrate import headline_numbers, pretty_name, story_markdown
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
from .dashboard import KNOB_LABELS, KNOBS, ConsultantDashboard
from .explorer import Explorer
from .figures import (
    default_export_dir,
    export_figures,
    figure_to_png,
    live_figure,
    revenue_figure,
    sources_figure,
    why_figure,
)
from .live import DashboardFigures, explorer_figure
from .meeting import meeting_story_html, results_cards_html, verdict_cards_html
from .panel import ParameterPanel, relabel_results
from .render import clean_message, error_html, headline_html, story_html

__all__ = [
    "field_bounds", "field_help", "field_label", "slider_for", "UI_RANGES",
    "DEFAULT_STRATEGY_FIELDS", "DEFAULT_MARKET_FIELDS", "DEFAULT_NETWORK_FIELDS", "DEFAULT_CONFIG_FIELDS",
    "ParameterPanel", "relabel_results", "Explorer", "ConsultantDashboard", "export_figures", "default_export_dir",
    "KNOBS", "KNOB_LABELS", "headline_html", "story_html", "error_html", "clean_message", "headline_numbers",
    "story_markdown", "pretty_name", "live_figure", "figure_to_png", "revenue_figure", "sources_figure",
    "why_figure", "explorer_figure", "DashboardFigures", "results_cards_html", "verdict_cards_html",
    "meeting_story_html",
]
