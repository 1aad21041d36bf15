"""The consultant's dashboard: any shipped scenario, told with the model's numbers and their uncertainty.

Owns :class:`ConsultantDashboard` (scenario picker, horizon and replicates; headline cards with
intervals; the story; three large figures; a few strategy knobs that re-run the model; figures and
a one-click report offered as browser downloads) and the knobs it shows (:data:`KNOBS`,
:data:`KNOB_LABELS`); it re-exports :func:`~sim.ui.figures.export_figures`. Used by
``notebooks/consultant_demo.ipynb`` and, served by Voila with no code visible, by
``notebooks/dashboard.ipynb`` (``make dashboard``).

Quick to answer: the figures are :class:`sim.ui.live.DashboardFigures` (only what changed is
redrawn). In a live kernel (JupyterLab, Voila) the replicates run in the background
(:class:`sim.ui.background.ReplicateJobs`): the first, run in this process, is shown as a preview one
replicate's time after the change, the whole set with its intervals follows; from plain Python
:meth:`ConsultantDashboard.update` returns with the whole set.

The client's own market is a second view (:class:`sim.ui.clientpanel.ClientPanel`, the toggle at the
top): pick a client file or fill in the form, calibrate, compare current with proposed, download
the client's report.

Safe to serve: a visitor never chooses where the server writes. Every export goes into a new
time-stamped folder under :func:`~sim.ui.downloads.dashboard_dir` (nothing is ever overwritten)
and comes back to the visitor's browser as a download; the page never shows a server path.

Must not: word anything itself or pick a plot style. Every sentence comes from :mod:`sim.narrate.verdict`
and :mod:`sim.narrate` (so it stays true when the model, the scenario or a knob changes: nothing
here asserts who wins), the controls from :mod:`sim.ui.panel`, the figures from
:mod:`sim.ui.figures`, the report from :mod:`sim.report`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ipywidgets as W

from ..config import WEEKS_PER_YEAR, Config, scenario_names
from ..experiments.executors import default_workers
from ..model.runner import Results
from ..narrate import headline_numbers
from ..narrate.verdict import FAIR_TEST, compared_pair, meeting_cards, meeting_story, scenario_title
from .background import ReplicateJobs, in_kernel
from .changes import ChangeRunner
from .clientpanel import ClientPanel
from .downloads import dashboard_dir, download_link, safe_file_name, zip_bytes
from .figures import default_export_dir, export_figures
from .live import DashboardFigures
from .meeting import meeting_story_html, title_html, verdict_cards_html
from .panel import ParameterPanel

__all__ = ["ConsultantDashboard", "export_figures", "default_export_dir", "KNOBS", "MARKET_KNOBS", "KNOB_LABELS",
           "DEFAULT_REPLICATES", "MAX_DASHBOARD_REPLICATES", "MAX_YEARS"]

KNOBS: dict[int, tuple[str, ...]] = {
    1: ("minutes_per_contact", "prospecting_share", "genuine_interest", "asks_referrals"),
    0: ("pressure", "minutes_per_contact"),
}
"""Strategy knobs on the dashboard, by seller group (0 = numbers game, 1 = relationship): the ones
that move the outcome most in the two-cobbler town (one-at-a-time swaps of each knob between the
two presets)."""

MARKET_KNOBS: tuple[str, ...] = ("recurring_needs",)

KNOB_LABELS: dict[str, str] = {
    "minutes_per_contact": "minutes per contact",
    "prospecting_share": "hours on new leads",
    "genuine_interest": "genuine interest",
    "asks_referrals": "asks for referrals",
    "pressure": "sales pressure",
    "recurring_needs": "customers come back (repeat needs)",
}

DEFAULT_REPLICATES = 10
"""Simulated markets behind every number on the dashboard, unless the consultant picks another count."""
MAX_DASHBOARD_REPLICATES = 20
MAX_YEARS = 20


class ConsultantDashboard(ChangeRunner):
    """Scenario, horizon and replicates; headline cards with intervals; figures; knobs; downloads.

    Args:
        scenario: the scenario shown first (default: essay 002's ``two_cobblers`` town).
        seed: random seed (default: the scenario's).
        replicates: simulated markets per number (1 to :data:`MAX_DASHBOARD_REPLICATES`).
        export_dir: the folder under which exports get their time-stamped folders (default
            :func:`~sim.ui.downloads.dashboard_dir`). Chosen by whoever runs the server; the page
            has no folder box.
        scenarios: the scenarios offered (default: every shipped one, :func:`sim.scenario_names`).
        dpi: resolution of the figures on screen.
        auto_run: run once right away (in this process, while the worker processes start).
        background: run replicates in worker processes and show a preview first (default: when
            running inside a live IPython kernel, i.e. JupyterLab or Voila). :meth:`wait` waits
            for the whole set; :meth:`summary`, :meth:`export` and :meth:`report` wait by themselves.
        workers: worker processes for the replicates (default: every core).

    Attributes:
        results: the last successful run (strategy names as displayed; replicates in ``runs``).
        error: the message of the last rejected change, or None.
        runs: successful updates so far; timings: seconds per update (``model_s``, ``draw_s``, ``total_s``,
            and in the background ``preview_s``: from the change to the preview on the page).
        figures: the live figures (:class:`~sim.ui.live.DashboardFigures`).
        exports: the folders written so far (figures and reports), in order.
    """

    def __init__(self, scenario: str = "two_cobblers", seed: int | None = None,
                 replicates: int = DEFAULT_REPLICATES, export_dir: str | Path | None = None,
                 scenarios: Iterable[str] | None = None, dpi: int = 80, auto_run: bool = True,
                 background: bool | None = None, workers: int | None = None) -> None:
        self.panel = ParameterPanel(scenario, strategy_fields=KNOBS, market_fields=MARKET_KNOBS, network_fields=(),
                                    config_fields=(), scenarios=list(scenario_names() if scenarios is None
                                                                     else scenarios),
                                    seed=seed, show_seed=False, show_help=False, show_description=False,
                                    tabs=False, labels=KNOB_LABELS, label_width="150px", width="400px")
        self.export_dir = Path(export_dir) if export_dir is not None else dashboard_dir()
        self.dpi = dpi
        self.figures = DashboardFigures(dpi)
        self.background = in_kernel() if background is None else bool(background)
        self.jobs = ReplicateJobs(workers)
        self._draw_lock = threading.RLock()
        self._preview_s: float | None = None
        self.results: Results | None = None
        self.error: str | None = None
        self.runs = 0
        self.timings: list[dict[str, float]] = []
        self.exports: list[Path] = []
        self._scenario = self.panel.base.name
        self._quiet = False
        self._links: dict[str, tuple[list[str], str]] = {}

        # the panel's scenario picker moves into the dashboard's bar (one view of it on the page)
        self.panel.top.children = tuple(w for w in self.panel.top.children if w is not self.panel.scenario)
        self.panel.top.layout.display = "none"
        self.panel.scenario.layout.width = "330px"
        self.years = W.IntSlider(value=self._base_years(), min=1, max=MAX_YEARS, description="years",
                                 continuous_update=False, style={"description_width": "50px"},
                                 layout=W.Layout(width="300px"))
        self.years.add_class("sim-years")
        self.replicates = W.IntSlider(value=min(max(int(replicates), 1), MAX_DASHBOARD_REPLICATES), min=1,
                                      max=MAX_DASHBOARD_REPLICATES, description="replicates",
                                      continuous_update=False, style={"description_width": "80px"},
                                      layout=W.Layout(width="320px"))
        self.replicates.add_class("sim-replicates")
        self.replicates.tooltip = ("Replicate runs: independent simulated markets with the same settings. "
                                   "Every number is their mean with a 95% interval.")
        for w in (self.years, self.replicates):
            w.observe(self._on_control, names="value")

        self.title = W.HTML()
        self.title.add_class("sim-title-block")
        self.headline = W.HTML()
        self.headline.add_class("sim-headline")
        self.story = W.HTML()
        self.story.add_class("sim-story-block")
        self.message = W.HTML()
        self.message.add_class("sim-message")
        self.status = W.HTML()
        self.status.add_class("sim-status")
        img = {"width": "100%"}
        self.revenue_image = W.Image(format="png", layout=W.Layout(**img, max_width="1150px"))
        self.sources_image = W.Image(format="png", layout=W.Layout(**img, max_width="1000px"))
        self.why_image = W.Image(format="png", layout=W.Layout(**img, max_width="1600px"))
        for w, cls in ((self.revenue_image, "sim-plot-revenue"), (self.sources_image, "sim-plot-sources"),
                       (self.why_image, "sim-plot-why")):
            w.add_class("sim-plot")
            w.add_class(cls)

        # (no button icons: they come from a CDN, and a client-meeting laptop may well be offline)
        self.reset_button = W.Button(description="Reset knobs", layout=W.Layout(width="160px"))
        self.reset_button.on_click(lambda _b: self.panel.reset())
        self.export_button = W.Button(description="Figures for slides (ZIP)", layout=W.Layout(width="230px"))
        self.export_button.add_class("sim-export")
        self.export_button.on_click(lambda _b: self.export())
        self.report_button = W.Button(description="Report (HTML + PDF)", button_style="primary",
                                      layout=W.Layout(width="230px"))
        self.report_button.add_class("sim-report")
        self.report_button.on_click(lambda _b: self.report())
        self.downloads = W.HTML()
        self.downloads.add_class("sim-downloads")

        bar = W.HBox([self.panel.scenario, self.years, self.replicates],
                     layout=W.Layout(flex_flow="row wrap", align_items="center", margin="6px 0 2px 0"))
        knobs = W.VBox([
            W.HTML("<div class='sim-colhead' style='font-size:20px'>What if…</div>"
                   "<div style='font-size:14px;line-height:1.35;color:#555;max-width:420px'>Move a knob: the model "
                   "re-runs every simulated market and every number and figure updates. Hover a knob for its "
                   "meaning.</div>"),
            self.panel.widget, self.reset_button,
            W.HTML("<hr style='margin:10px 0'>"), W.HBox([self.report_button, self.export_button],
                                                         layout=W.Layout(flex_flow="row wrap")),
            self.downloads, self.status,
        ], layout=W.Layout(width="450px", min_width="430px", padding="0 18px 0 0"))
        story = W.VBox([W.HTML("<div class='sim-colhead' style='font-size:20px'>Who is ahead, how sure, and why</div>"),
                        self.story], layout=W.Layout(flex="1 1 40%", padding="0 0 0 18px"))
        self.scenario_view = W.VBox([
            self.title, bar, self.message, self.headline,
            W.HBox([knobs, W.Box([self.revenue_image], layout=W.Layout(flex="1 1 auto"))],
                   layout=W.Layout(align_items="flex-start")),
            W.HBox([W.Box([self.sources_image], layout=W.Layout(flex="1 1 60%")), story],
                   layout=W.Layout(align_items="flex-start", margin="12px 0 0 0")),
            self.why_image,
        ])
        self.client = ClientPanel(self.export_dir, background=self.background,
                                  workers=min(2, default_workers()) if self.background else 1)
        self.client.widget.layout.display = "none"
        self.view = W.ToggleButtons(options=[("Shipped scenarios", "scenarios"), ("Your client's market", "client")],
                                    value="scenarios", style={"button_width": "200px"})
        self.view.add_class("sim-view")
        self.view.observe(self._on_view, names="value")
        self.widget = W.VBox([self.view, self.scenario_view, self.client.widget])
        self.widget.add_class("sim-dashboard")
        self.panel.on_change(self.update)
        self._set_title()
        if auto_run:
            self.update(background=False)   # the page's first numbers: quickest in this process
        if self.background:
            self.jobs.warm()

    # -- controls ---------------------------------------------------------------------------------
    def _base_years(self) -> int:
        return min(max(1, round(self.panel.base.weeks / WEEKS_PER_YEAR)), MAX_YEARS)

    def _on_control(self, _change: Any = None) -> None:
        if not self._quiet:
            self.update()

    def _weeks(self) -> int:
        """The horizon: the scenario's own weeks until the years slider is moved."""
        years = int(self.years.value)
        return self.panel.base.weeks if years == self._base_years() else years * WEEKS_PER_YEAR

    def config(self) -> Config:
        """The validated configuration the controls describe (scenario, knobs, horizon)."""
        cfg = self.panel.config()
        weeks = self._weeks()
        return cfg if weeks == cfg.weeks else cfg.with_updates(weeks=weeks)

    def _set_title(self, cfg: Any = None, summary: dict[str, Any] | None = None) -> None:
        cfg = cfg or self.panel.base
        names = list(summary.get("strategies", {})) if summary else [g.strategy for g in cfg.sellers]
        description = (cfg.description or "").strip()
        self.title.value = title_html(scenario_title(cfg, compared_pair(names, cfg)),
                                      " ".join(t for t in (description, FAIR_TEST) if t))

    def draw(self) -> None:
        """Redraw title, headline cards, story and the three figures from :attr:`results`."""
        with self._draw_lock:
            res = self.results
            if res is None:
                return
            runs = res.runs or [res.summary]
            self._set_title(res.config, res.summary)
            self.headline.value = verdict_cards_html(meeting_cards(res.summary, runs, res.config),
                                                     list(res.summary.get("strategies", {})))
            self.story.value = meeting_story_html(meeting_story(res.summary, runs, res.config), res.config)
            revenue, sources, why = self.figures.render(res)
            self.revenue_image.value, self.sources_image.value, self.why_image.value = revenue, sources, why

    def _on_view(self, change: Any) -> None:
        """Show the shipped scenarios or the client's market (one at a time: the page stays short)."""
        client = change["new"] == "client"
        self.scenario_view.layout.display = "none" if client else None
        self.client.widget.layout.display = None if client else "none"

    # -- downloads --------------------------------------------------------------------------------
    def _folder(self) -> Path:
        from ..report.files import new_run_folder

        folder = new_run_folder(self.export_dir)
        self.exports.append(folder)
        return folder

    def _offer(self, kind: str, links: list[str], folder: Path) -> None:
        """Show the newest download links of each kind (report, figures) for the current run."""
        self._links[kind] = (links, folder.name)
        rows = [f"<div>{' '.join(ls)}<div class='sim-status'>Also kept on the server as export {name}.</div></div>"
                for ls, name in self._links.values()]
        self.downloads.value = f"<div class='sim-downloads'>{''.join(rows)}</div>"

    def _failed(self, what: str, err: OSError) -> None:
        self.downloads.value = (f"<span style='color:#a00'>Could not save the {what} on the server "
                                f"({type(err).__name__}). Nothing was overwritten.</span>")

    def export(self) -> list[Path]:
        """Figures for slides (PNG + SVG) into a new time-stamped folder, offered as one ZIP download."""
        self.wait()
        if self.results is None:
            return []
        try:
            folder = self._folder()
            paths = export_figures(self.results, folder)
        except OSError as err:
            self._failed("figures", err)
            return []
        name = f"{safe_file_name(self.results.config.name)}-figures-{folder.name}.zip"
        self._offer("figures", [download_link(zip_bytes(paths), name, f"Download figures ({len(paths)} files, ZIP)")],
                    folder)
        return paths

    def report(self) -> dict[str, Path]:
        """The one-click report: HTML, PDF and summary.json into a new time-stamped folder, offered as downloads.

        In the client view it is the client's report (:meth:`sim.ui.clientpanel.ClientPanel.report`). A
        scenario's report has the mechanism attribution when ``python -m sim explain`` wrote one for the
        scenario as shown (no knob moved, the same horizon).
        """
        if self.view.value == "client":
            return self.client.report()
        self.wait()
        if self.results is None:
            return {}
        from ..report import build_report, write_report

        try:
            folder = self._folder()
            paths = write_report(build_report(self.results, display_names=self.panel.display_names,
                                              attribution=self._attribution()), folder)
        except OSError as err:
            self._failed("report", err)
            return {}
        stem = f"{safe_file_name(self.results.config.name)}-report-{folder.name}"
        labels = {"report.pdf": "Download report (PDF)", "report.html": "Download report (HTML)",
                  "summary.json": "Download numbers (summary.json)"}
        links = [download_link(paths[f].read_bytes(), f"{stem}{Path(f).suffix}" if f != "summary.json"
                               else f"{stem}-summary.json", label) for f, label in labels.items()]
        self._offer("report", links, folder)
        return paths

    def _attribution(self) -> Any:
        from ..config import CONFIG_DIR
        from ..report.sections import attribution_folders, attribution_table, find_attribution

        cfg = self.results.config
        attr = find_attribution(cfg.name, attribution_folders(cfg.name, root=CONFIG_DIR.parent.parent))
        if attr is None or attr.get("weeks") != cfg.weeks or cfg != self.panel.base:   # measured for another set-up
            return None
        return attribution_table(attr)

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the last successful run (means over the simulated markets), once they are all in."""
        self.wait()
        return headline_numbers(self.results.summary) if self.results is not None else {}

    def _ipython_display_(self) -> None:  # pragma: no cover - notebook only
        from IPython.display import display

        display(self.widget)

