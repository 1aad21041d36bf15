"""The live explorer: every change of a control re-runs the model and redraws numbers and figures.

Owns :class:`Explorer`: a :class:`~sim.ui.panel.ParameterPanel` above headline cards, an error box,
the live figure and a status line with the re-run's timings (:attr:`Explorer.timings`; the
figures are printed by ``benchmarks/bench_widgets.py``, never asserted by a test).

A re-run redraws only what changed: the figure is a :class:`sim.plots.live.LiveFigure`
(:func:`sim.ui.live.explorer_figure`), whose axes, ticks and titles stay rendered while the new
lines, bars and numbers are drawn over them.

Must not: know how the model works. It only takes a config from the panel, calls :func:`sim.run`,
and shows what :mod:`sim.ui.render` and :mod:`sim.ui.live` make of the results. Invalid
combinations never raise: the :class:`~sim.config.ConfigError` message is shown instead.

Typical use in a notebook::

    from sim.ui import Explorer, ParameterPanel
    app = Explorer(ParameterPanel("two_cobblers"))
    app            # displays controls, headline numbers and live figures
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as W

from ..config import ConfigError
from ..model.runner import Results, run
from ..narrate import headline_numbers
from ..plots.live import RunView
from .live import explorer_figure
from .panel import ParameterPanel, relabel_results
from .render import clean_message, error_html, headline_html

__all__ = ["Explorer"]


class Explorer:
    """Controls + live model: every change re-runs :func:`sim.run` and redraws numbers and figures.

    Args:
        panel: the controls (default: a :class:`ParameterPanel` on ``two_cobblers``).
        panels: figure panels, see :func:`sim.ui.figures.live_figure`.
        dpi: resolution of the live figure (72 keeps a redraw cheap).
        auto_run: run once right away.

    Attributes:
        results: the last successful run (strategy names as displayed).
        error: the message of the last rejected change, or None.
        timings: one dict per successful re-run: wall-clock seconds for the model (``model_s``), the
            redraw (``draw_s``) and both (``total_s``), and the CPU seconds this process spent on
            both (``cpu_s``; unlike wall time it does not grow when other programs compete for the CPU).
        headline, message, image, status: the output widgets (CSS classes ``sim-headline``,
            ``sim-message``, ``sim-plot``, ``sim-status``).
        figure: the :class:`~sim.plots.live.LiveFigure` behind ``image``.
    """

    def __init__(self, panel: ParameterPanel | None = None, *,
                 panels: Sequence[str] = ("revenue", "referrals", "funnel"), dpi: int = 72,
                 auto_run: bool = True) -> None:
        self.panel = panel or ParameterPanel()
        self.panels = tuple(panels)
        self.dpi = dpi
        self.figure = explorer_figure(self.panels, dpi=dpi)
        self.results: Results | None = None
        self.error: str | None = None
        self.timings: list[dict[str, float]] = []
        self.runs = 0
        self.headline = W.HTML()
        self.headline.add_class("sim-headline")
        self.message = W.HTML()
        self.message.add_class("sim-message")
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="1400px"))
        self.image.add_class("sim-plot")
        self.status = W.HTML()
        self.status.add_class("sim-status")
        # numbers and figures right under the scenario bar, the controls below them: the figures stay in
        # view while the first controls of each tab are moved
        p = self.panel
        self.widget = W.VBox([p.top, p.description, self.message, self.headline, self.image, self.status, p.body])
        self.panel.on_change(self.update)
        if auto_run:
            self.update()

    @property
    def last_timing(self) -> dict[str, float] | None:
        """Timing of the last successful re-run (seconds)."""
        return self.timings[-1] if self.timings else None

    def update(self) -> bool:
        """Re-run with the current controls and redraw; False (and a message) if the settings are invalid."""
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            cfg = self.panel.config()
        except ConfigError as err:
            return self._fail(str(err))
        self.status.value = "<span class='sim-status'>running…</span>"
        try:
            res = run(cfg)
        except (ConfigError, ValueError) as err:  # a combination only the model itself rejects
            return self._fail(str(err))
        t1 = time.perf_counter()
        res = relabel_results(res, self.panel.display_names)
        self.results = res
        self.draw()
        t2 = time.perf_counter()  # the status line below is the last update a browser sees
        self.error = None
        self.message.value = ""
        self.runs += 1
        self.timings.append({"model_s": t1 - t0, "draw_s": t2 - t1, "total_s": t2 - t0,
                             "cpu_s": time.process_time() - c0})
        self.status.value = (f"<span class='sim-status'>run {self.runs}: model {t1 - t0:.2f} s + figures "
                             f"{t2 - t1:.2f} s = {t2 - t0:.2f} s · {cfg.market.customers:,} customers, "
                             f"{cfg.weeks} weeks, seed {cfg.seed}</span>")
        return True

    def draw(self) -> None:
        """Redraw figures and headline numbers from :attr:`results`."""
        if self.results is None:
            return
        self.headline.value = headline_html(self.results.summary)  # numbers first: quickest feedback
        self.image.value = self.figure.render(RunView.of(self.results))

    def _fail(self, message: str) -> bool:
        self.error = clean_message(message)
        self.message.value = error_html(message)
        self.status.value = "<span class='sim-status'>not run: invalid settings</span>"
        return False

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the last successful run (see :func:`headline_numbers`)."""
        return headline_numbers(self.results.summary) if self.results is not None else {}

    def _ipython_display_(self) -> None:  # pragma: no cover - notebook only
        from IPython.display import display

        display(self.widget)
