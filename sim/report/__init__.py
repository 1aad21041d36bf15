"""One-click reports: a self-contained HTML page and a PDF of a run, with ``summary.json`` beside them.

``python -m sim report SCENARIO_OR_YAML --out DIR`` (:mod:`sim.report.cli`) and the dashboard's
"Report" button both call :func:`build_report` then :func:`write_report`::

    import sim
    from sim.report import build_report, write_report
    res = sim.run_replicates("two_cobblers", 10)
    write_report(build_report(res), "results/two_cobblers_report")

Modules, each with one job: :mod:`~sim.report.content` (what the report says, and its two hooks:
mechanism attribution and calibration fit), :mod:`~sim.report.sections` (those sections' tables, from
``attribution.json``, ``calibration.json``, ``compare.json``), :mod:`~sim.report.client` (a client's
report), :mod:`~sim.report.settings` (what differs from the
baseline), :mod:`~sim.report.figures`, :mod:`~sim.report.html`, :mod:`~sim.report.pdf`,
:mod:`~sim.report.files` (atomic writes, time-stamped folders), :mod:`~sim.report.cli`.

Names are imported on first use (``from sim.report import build_report`` works as usual), so
the command line can register ``report`` without loading matplotlib. This package sits on the
model, the narration (:mod:`sim.narrate`, :mod:`sim.narrate.verdict`) and the plots. It must not
import :mod:`sim.ui` (reports are written without ipywidgets), and nothing below it may import it.
"""

from __future__ import annotations

import importlib
from typing import Any

_OWNERS = {  # imported on first use, so that `python -m sim` (which registers the command) stays light
    "Report": "content", "Table": "content", "build_report": "content", "limitations": "content",
    "summary_data": "content", "write_report": "files", "new_run_folder": "files", "REPORT_FILES": "files",
    "build_client_report": "client", "attribution_table": "sections", "find_attribution": "sections",
    "attribution_folders": "sections", "calibration_table": "sections", "comparison_table": "sections",
    "render_html": "html", "render_pdf": "pdf", "settings_changes": "settings",
}

__all__ = list(_OWNERS)


def __getattr__(name: str) -> Any:
    if name in _OWNERS:
        return getattr(importlib.import_module(f".{_OWNERS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
