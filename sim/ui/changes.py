"""How the dashboard answers a change: run it, show it, and in a live kernel show a preview first.

Owns :class:`ChangeRunner`, the part of :class:`sim.ui.dashboard.ConsultantDashboard` that turns
the controls into a run and the run onto the page: :meth:`~ChangeRunner.update` (check the
settings, run, draw), the preview and the final display of replicates run in the background
(:class:`sim.ui.background.ReplicateJobs`), and :meth:`~ChangeRunner.wait`. In the background the
cards and the story are dimmed (CSS class ``sim-pending``) from the change until the whole set is
in; the preview shows the figures of replicate 0 (one run, no bands).

Must not: build widgets, word anything (:mod:`sim.narrate.verdict`), or draw figures of its own
(:meth:`draw` and :class:`sim.ui.live.DashboardFigures` do).
"""

from __future__ import annotations

import time
from typing import Any

from .. import limits
from ..config import ConfigError
from ..model.runner import Results, run, run_replicates
from .panel import relabel_results
from .render import clean_message, error_html

__all__ = ["ChangeRunner"]


class ChangeRunner:
    """Mixin of the dashboard: expects its widgets, ``panel``, ``jobs``, ``figures``, ``_draw_lock``, ``draw()``."""

    background: bool
    results: Results | None
    error: str | None
    runs: int
    timings: list[dict[str, float]]
    _preview_s: float | None
    _links: dict[str, Any]

    def update(self, background: bool | None = None) -> bool:
        """Re-run with the current controls and redraw; False (and a readable message) if they are invalid.

        In the background (default: :attr:`background`) the replicates run in worker processes and
        this returns once they are submitted; the page fills in by itself.
        """
        if self.panel.base.name != self._scenario:   # a new scenario: its own horizon, quietly
            self._scenario = self.panel.base.name
            self._quiet = True
            try:
                self.years.value = self._base_years()
            finally:
                self._quiet = False
            self._set_title()
        t0 = time.perf_counter()
        n = int(self.replicates.value)
        try:
            cfg = self.config()
            limits.check_run(cfg, replicates=n)
        except (ConfigError, ValueError) as err:
            return self._invalid(str(err))
        self.status.value = (f"<span class='sim-status'>running {n} simulated market"
                             f"{'s' if n != 1 else ''}…</span>")
        if n > 1 and (self.background if background is None else background):
            self._pending(True)   # at once: these numbers are about to change
            names = dict(self.panel.display_names)
            self.jobs.start(cfg, n, cfg.seed, on_preview=lambda g, r: self._preview(g, r, names, n, t0),
                            on_final=lambda g, r: self._final(g, r, names, t0),
                            on_error=lambda g, e: self._failed_run(g, e))
            return True
        try:
            res = run_replicates(cfg, n) if n > 1 else run(cfg)
        except (ConfigError, ValueError) as err:
            return self._invalid(str(err))
        with self._draw_lock:
            self.jobs.generation += 1   # anything still running in the background is stale now
        self._final(self.jobs.generation, res, self.panel.display_names, t0)
        return True

    def _invalid(self, message: str) -> bool:
        self.error = clean_message(message)
        self.message.value = error_html(self.error)
        self.status.value = "<span class='sim-status'>not run: invalid settings</span>"
        return False

    def _failed_run(self, gen: int, err: BaseException) -> None:
        with self._draw_lock:
            if self.jobs.current(gen):
                self._pending(False)
                self._invalid(str(err) if isinstance(err, (ConfigError, ValueError)) else
                              f"the simulation stopped ({type(err).__name__}); change a knob to try again")

    def _preview(self, gen: int, res: Results, names: dict[str, str], n: int, t0: float) -> None:
        """The figures of replicate 0 (one run: no bands yet), while the others run.

        The cards and the story stay dimmed (``sim-pending``) until the whole set gives them their intervals.
        """
        with self._draw_lock:
            if not self.jobs.current(gen):
                return
            revenue, sources, why = self.figures.render(relabel_results(res, names))
            self.revenue_image.value, self.sources_image.value, self.why_image.value = revenue, sources, why
            self._preview_s = time.perf_counter() - t0
            self.status.value = (f"<span class='sim-status'>preview: the figures of the first of {n} simulated "
                                 f"markets after {self._preview_s:.2f} s; the numbers follow…</span>")

    def _final(self, gen: int, res: Results, names: dict[str, str], t0: float) -> None:
        with self._draw_lock:
            if not self.jobs.current(gen):
                return
            t1 = time.perf_counter()
            self._show(res, names)
            t2 = time.perf_counter()
            n, preview = len(res.runs) or 1, getattr(self, "_preview_s", None)
            self._preview_s = None
            self.runs += 1
            timing = {"model_s": t1 - t0, "draw_s": t2 - t1, "total_s": t2 - t0}
            if preview is not None:
                timing["preview_s"] = preview
            self.timings.append(timing)
            first = f" · first markets shown after {preview:.2f} s" if preview is not None else ""
            self.status.value = (f"<span class='sim-status'>run {self.runs}: {n} market{'s' if n != 1 else ''}, "
                                 f"model {t1 - t0:.2f} s + figures {t2 - t1:.2f} s{first} · seed "
                                 f"{res.config.seed}</span>")

    def _pending(self, on: bool) -> None:
        for w in (self.headline, self.story):
            (w.add_class if on else w.remove_class)("sim-pending")

    def _show(self, res: Results, names: dict[str, str]) -> None:
        self._pending(False)
        self.results = relabel_results(res, names)
        self.error = None
        self.message.value = ""
        self.downloads.value, self._links = "", {}   # downloads belong to the run they were made from
        self.draw()

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the replicates of the last change are on the page (background only; else at once)."""
        self.jobs.wait(timeout)
