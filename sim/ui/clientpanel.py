"""The dashboard's client view: describe the client's market, calibrate it, compare current with proposed.

Owns :class:`ClientPanel`: the :class:`~sim.ui.clientform.ClientForm`, a "Calibrate" button (the
same fit as ``python -m sim client``: :func:`sim.client.calibrate`, quick or thorough), its
progress (a bar by search stage and the seconds so far), the calibration table, then current
versus proposed (:func:`sim.client.compare` on the calibrated market, the same code
:func:`sim.client.current_vs_proposed` runs after its fit): a strategy picker for each arm (the
client's own two ways of selling, with the client's labels, and the presets), horizon and
replicates, the cards and the table by year, the figure, and the client's report as downloads.

In a live kernel the fit and the comparison run in a thread (the fit's candidates in worker
processes), so the page stays responsive and shows their state; a newer comparison makes an older
one stale. From plain Python every call returns when its work is done. Fits are kept per client
and effort, so picking a client again costs nothing.

Must not: word results (:mod:`sim.ui.clientview`, :mod:`sim.narrate.client`), validate the client
itself (:mod:`sim.client.schema` does, through the form) or choose where files go (the dashboard's
export folder).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as W

from ..client import Calibration, Comparison, Design, calibrate, compare
from ..client.fit import unreachable_message
from ..errors import ConfigError
from ..strategy import PRESETS
from .clientform import ClientForm, preset_label
from .clientview import calibration_html, comparison_html
from .downloads import download_link, safe_file_name
from .render import clean_message, error_html

__all__ = ["ClientPanel", "EFFORT"]

EFFORT: dict[str, Design] = {
    "quick": Design(points=32, refine_rounds=2, refine_points=12, replicates=1, final_candidates=2, final_replicates=3),
    "thorough": Design(),
}
"""How hard the dashboard's fit searches: quick (about 60 one-year runs) or thorough (``python -m sim client``'s)."""


class ClientPanel:
    """Form, calibration and current versus proposed for one client at a time (see the module docstring).

    Args:
        export_dir: the folder under which each report gets a new time-stamped folder.
        background: run the fit and the comparison in a thread (a live page) or in the call.
        workers: processes for the fit's candidates and the comparison's runs.
        folder: where client files are looked for (default ``configs/clients/``).
        effort: ``quick`` or ``thorough`` (:data:`EFFORT`).

    Attributes:
        calibration, comparison: the last successful fit and comparison (None before).
        error: the last message shown (bad form, unreachable figures), or None.
    """

    def __init__(self, export_dir: Path, background: bool = False, workers: int = 1, folder: Path | None = None,
                 effort: str = "thorough") -> None:
        self.export_dir, self.background, self.workers = Path(export_dir), background, workers
        self.form = ClientForm(folder)
        self.calibration: Calibration | None = None
        self.comparison: Comparison | None = None
        self.error: str | None = None
        self._fits: dict[tuple[str, str], Calibration] = {}
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._fit_note = ""
        self._lock = threading.RLock()
        self.exports: list[Path] = []

        self.effort = W.ToggleButtons(options=[("quick fit", "quick"), ("thorough fit", "thorough")], value=effort,
                                      style={"button_width": "120px"})
        self.effort.add_class("sim-client-effort")
        self.effort.tooltip = "quick: about 60 runs, may miss a tolerance; thorough: the command line's fit"
        self.calibrate_button = W.Button(description="Calibrate", button_style="primary",
                                         layout=W.Layout(width="160px"))
        self.calibrate_button.add_class("sim-calibrate")
        self.calibrate_button.on_click(lambda _b: self.calibrate())
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="380px"))
        self.progress.add_class("sim-client-progress")
        self.state = W.HTML("<span class='sim-status'>Check the figures, then press Calibrate.</span>")
        self.state.add_class("sim-client-state")
        self.message = W.HTML()
        self.message.add_class("sim-client-message")
        self.calibration_view = W.HTML()
        self.calibration_view.add_class("sim-calibration")
        arm = {"style": {"description_width": "70px"}, "layout": W.Layout(width="330px")}
        self.current = W.Dropdown(description="current", **arm)
        self.current.add_class("sim-client-arm-current")
        self.proposed = W.Dropdown(description="proposed", **arm)
        self.proposed.add_class("sim-client-arm-proposed")
        self.years = W.IntSlider(value=10, min=1, max=20, description="years", continuous_update=False,
                                 style={"description_width": "50px"}, layout=W.Layout(width="280px"))
        self.years.add_class("sim-client-years")
        self.replicates = W.IntSlider(value=10, min=2, max=20, description="replicates", continuous_update=False,
                                      style={"description_width": "80px"}, layout=W.Layout(width="300px"))
        self.replicates.add_class("sim-client-replicates")
        self.cards, self.table = W.HTML(), W.HTML()
        self.cards.add_class("sim-client-cards")
        self.table.add_class("sim-client-table")
        self.figure = W.Image(format="png", layout=W.Layout(width="100%", max_width="1150px"))
        self.figure.add_class("sim-client-figure")
        self.figure.layout.display = "none"   # until there is a comparison to draw
        self.report_button = W.Button(description="Client report (HTML + PDF)", layout=W.Layout(width="260px"))
        self.report_button.add_class("sim-client-report")
        self.report_button.on_click(lambda _b: self.report())
        self.downloads = W.HTML()
        self.downloads.add_class("sim-downloads")
        for w in (self.current, self.proposed, self.years, self.replicates):
            w.observe(self._on_arms, names="value")
        self.form.on_change(self._stale)
        self.form.source.observe(lambda _c: self._stale(), names="value")

        intro = ("<div class='sim-colhead' style='font-size:20px'>The client's market</div><div style='font-size:14px;"
                 "line-height:1.35;color:#555;font-family:sans-serif'>Pick a client file or fill in the client's "
                 "yearly figures, then Calibrate: the market's free constants are fitted so that the current way "
                 "of selling reproduces them.</div>")
        left = W.VBox([W.HTML(intro),
                       self.form.widget, self.effort, W.HBox([self.calibrate_button, self.progress],
                                                             layout=W.Layout(align_items="center")),
                       self.state], layout=W.Layout(width="420px", min_width="410px", padding="0 18px 0 0"))
        self.compare_box = W.VBox([
            W.HTML("<div class='sim-colhead' style='font-size:20px'>Current versus proposed</div>"),
            W.HBox([self.current, self.proposed], layout=W.Layout(flex_flow="row wrap")),
            W.HBox([self.years, self.replicates], layout=W.Layout(flex_flow="row wrap")),
            self.cards, self.table, W.HBox([self.report_button]), self.downloads,
        ])
        self.compare_box.layout.display = "none"
        right = W.VBox([self.message, self.calibration_view, self.compare_box], layout=W.Layout(flex="1 1 auto"))
        self.widget = W.VBox([W.HBox([left, right], layout=W.Layout(align_items="flex-start")), self.figure])
        self.widget.add_class("sim-client-view")

    # -- calibration ------------------------------------------------------------------------------
    def calibrate(self) -> bool:
        """Validate the form and fit the market (then compare); False, with one clear message, for bad input."""
        try:
            client = self.form.client()
        except ConfigError as err:
            self._say_error(str(err))
            self.state.value = "<span class='sim-status'>not calibrated: correct the field named above</span>"
            return False
        self.error, self.message.value = None, ""
        key = (client.model_dump_json(), self.effort.value)
        design = EFFORT[self.effort.value]
        stages = 2 + (design.refine_rounds if design.refine_rounds else 0)
        self.progress.max, self.progress.value = stages, 0
        self.calibrate_button.disabled = True
        self._dim(True)
        self._run(lambda: self._fit(client, key, design, stages))
        return True

    def _fit(self, client: Any, key: tuple[str, str], design: Design, stages: int) -> None:
        start = time.perf_counter()
        done = threading.Event()

        def tick() -> None:   # the seconds so far, while the fit runs
            while not done.wait(1.0):
                self.state.value = (f"<span class='sim-status'>calibrating {client.name}: stage "
                                    f"{min(self.progress.value + 1, stages)} of {stages}, "
                                    f"{time.perf_counter() - start:.0f} s…</span>")

        def stage(_line: str) -> None:
            self.progress.value = min(self.progress.value + 1, stages - 1)

        if self.background:
            threading.Thread(target=tick, name="calibration-clock", daemon=True).start()
        try:
            cal = self._fits.get(key)
            if cal is None:
                self.state.value = f"<span class='sim-status'>calibrating {client.name}: stage 1 of {stages}…</span>"
                cal = calibrate(client, design, workers=self.workers, progress=stage, refuse=False)
                self._fits[key] = cal
        except Exception as err:  # noqa: BLE001 - a failed fit is a message on the page, never a traceback
            self._say_error(str(err) if isinstance(err, (ConfigError, ValueError))
                            else f"the calibration stopped ({type(err).__name__}); try again")
            return
        finally:
            done.set()
            self.calibrate_button.disabled = False
        self.progress.value = stages
        self.calibration = cal
        self.calibration_view.value = calibration_html(cal.to_dict())
        self._fit_note = f"calibrated: best of {cal.tried} settings, {cal.seconds:.0f} s on {cal.workers} worker(s)"
        self.state.value = f"<span class='sim-status'>{self._fit_note}</span>"
        if not cal.accepted:
            self._say_error(unreachable_message(cal))
            self.compare_box.layout.display = "none"
            return
        self._arm_options(cal)
        self.compare_box.layout.display = None
        self._compare()

    def _arm_options(self, cal: Calibration) -> None:
        client = cal.client
        options = [(f"{client.current_label} (today)", "current"), (f"{client.proposed_label} (proposed)", "proposed")]
        options += [(f"{preset_label(n)} (preset)", n) for n in PRESETS]
        self._quiet = True
        try:
            self.current.options, self.proposed.options = options, options
            self.current.value, self.proposed.value = "current", "proposed"
        finally:
            self._quiet = False

    # -- comparison -------------------------------------------------------------------------------
    def _arm(self, value: str) -> tuple[Any, str]:
        client = self.calibration.client
        if value == "current":
            return client.current, client.current_label
        if value == "proposed":
            return client.proposed_strategy, client.proposed_label
        return PRESETS[value], preset_label(value)

    def _on_arms(self, _change: Any) -> None:
        if not getattr(self, "_quiet", False) and self.calibration is not None and self.calibration.accepted:
            self._dim(True)
            self._run(self._compare)

    def _compare(self) -> None:
        with self._lock:
            self._generation += 1
            gen = self._generation
        (cur, cur_label), (prop, prop_label) = self._arm(self.current.value), self._arm(self.proposed.value)
        n, years = int(self.replicates.value), int(self.years.value)
        self.state.value = (f"<span class='sim-status'>{self._fit_note} · comparing: {n} simulated markets x 2 ways x "
                            f"{years} years…</span>")
        try:
            cmp = compare(self.calibration, prop, current=cur, labels=(cur_label, prop_label), years=years,
                          replicates=n, workers=self.workers)
        except Exception as err:  # noqa: BLE001 - shown on the page
            if gen == self._generation:
                self._say_error(str(err) if isinstance(err, (ConfigError, ValueError))
                                else f"the comparison stopped ({type(err).__name__}); change a setting to retry")
            return
        from ..client.figure import plot_comparison
        from .figures import figure_to_png

        with self._lock:
            if gen != self._generation:
                return   # a newer comparison is on its way
            self.comparison = cmp
            self.cards.value, self.table.value = comparison_html(cmp.to_dict())
            self.figure.value = figure_to_png(plot_comparison(cmp), dpi=80)
            self.figure.layout.display = None
            self.downloads.value = ""
            self._dim(False)
            self.state.value = (f"<span class='sim-status'>{self._fit_note} · compared: {cmp.current_label} versus "
                                f"{cmp.proposed_label}, {n} simulated markets, {years} years</span>")

    # -- helpers ----------------------------------------------------------------------------------
    def _run(self, job: Callable[[], None]) -> None:
        if not self.background:
            job()
            return
        self._thread = threading.Thread(target=job, name="client-job", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the fit or comparison in progress (a live page only; else at once)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _say_error(self, message: str) -> None:
        self.error = clean_message(message)
        self.message.value = error_html(self.error).replace(
            "Move a control back to a valid value; the figures below still show the last valid run.",
            "Correct it in the form and press Calibrate again.")
        self._dim(False)

    def _dim(self, on: bool) -> None:
        for w in (self.cards, self.table, self.figure):
            (w.add_class if on else w.remove_class)("sim-pending")

    def _stale(self) -> None:
        if self.calibration is not None:
            self.state.value = "<span class='sim-status'>the form changed: press Calibrate to fit it again</span>"

    def report(self) -> dict[str, Path]:
        """The client's report (HTML, PDF, summary.json) in a new time-stamped folder, offered as downloads."""
        self.wait()
        if self.comparison is None:
            self.downloads.value = "<span class='sim-status'>calibrate and compare first</span>"
            return {}
        from ..report import write_report
        from ..report.client import build_client_report
        from ..report.files import new_run_folder

        try:
            folder = new_run_folder(self.export_dir)
            paths = write_report(build_client_report(self.comparison), folder)
        except OSError as err:
            self.downloads.value = (f"<span style='color:#a00'>Could not save the report on the server "
                                    f"({type(err).__name__}). Nothing was overwritten.</span>")
            return {}
        self.exports.append(folder)
        stem = f"{safe_file_name(self.comparison.calibration.client.name)}-report-{folder.name}"
        links = [download_link(paths["report.pdf"].read_bytes(), f"{stem}.pdf", "Download report (PDF)"),
                 download_link(paths["report.html"].read_bytes(), f"{stem}.html", "Download report (HTML)"),
                 download_link(paths["summary.json"].read_bytes(), f"{stem}-summary.json",
                               "Download numbers (summary.json)")]
        self.downloads.value = (f"<div class='sim-downloads'>{' '.join(links)}<div class='sim-status'>Also kept on "
                                f"the server as export {folder.name}.</div></div>")
        return paths
