"""The consultant's dashboard: the two cobblers of essay 002, told with the model's numbers.

Owns :class:`ConsultantDashboard` (headline cards, the story, three large figures and a few
strategy knobs that re-run the model), the knobs it shows (:data:`KNOBS`, :data:`KNOB_LABELS`) and
the export of its figures for slides (:func:`export_figures`). Used by
``notebooks/consultant_demo.ipynb`` and, served by Voila with no code visible, by
``notebooks/dashboard.ipynb`` (``make dashboard``).

Must not: word anything itself or pick a plot style. Every sentence comes from :mod:`sim.narrate`
(so it stays true when the model, the scenario or a knob changes: nothing here asserts who wins),
the controls from :mod:`sim.ui.panel`, the figures from :mod:`sim.ui.figures`.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ipywidgets as W

from .. import plots
from ..config import CONFIG_DIR, ConfigError
from ..model.runner import Results, run
from ..narrate import headline_numbers
from ..plots.style import FIGURE_SIZES
from .figures import figure_to_png, revenue_figure, sources_figure, why_figure
from .panel import ParameterPanel, relabel_results
from .render import CSS, clean_message, error_html, headline_html, story_html

__all__ = ["ConsultantDashboard", "export_figures", "default_export_dir", "KNOBS", "MARKET_KNOBS", "KNOB_LABELS"]

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


def default_export_dir(name: str = "consultant_demo") -> Path:
    """Where exported figures go: ``$SIM_FIGURES_DIR`` if set, else ``results/figures/<name>`` in the project."""
    env = os.environ.get("SIM_FIGURES_DIR")
    if env:
        return Path(env)
    root = CONFIG_DIR.parent.parent
    base = root if (root / "pyproject.toml").exists() else Path.cwd()
    return base / "results" / "figures" / name


def export_figures(results: Results, out_dir: str | Path | None = None,
                   formats: Iterable[str] = ("png", "svg"), dpi: int = 200) -> list[Path]:
    """Write every figure of the story for slides: PNG and SVG by default.

    Files: the four standard figures of :func:`sim.plots.save_figures` plus ``revenue_story``
    (cumulative revenue with the crossover) and ``why`` (referrals, reviews, trust).
    """
    out = Path(out_dir) if out_dir is not None else default_export_dir()
    out.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats)
    paths = list(plots.save_figures(results, out, formats=formats, dpi=dpi))
    for name, fig in (("revenue_story", revenue_figure(results)), ("why", why_figure(results))):
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            fig.savefig(path, format=fmt, dpi=dpi)
            paths.append(path)
    return paths


class ConsultantDashboard:
    """Headline numbers, three large figures and a few strategy knobs that re-run the model.

    Args:
        scenario: the story's scenario (default: essay 002's ``two_cobblers`` town).
        seed: random seed (default: the scenario's).
        export_dir: where "Export figures" writes (default :func:`default_export_dir`).
        dpi: resolution of the figures on screen.
        auto_run: run once right away.

    Attributes:
        results: the last successful run (strategy names as displayed).
        error: the message of the last rejected change, or None.
        runs: successful runs so far; timings: seconds per run (``model_s``, ``draw_s``, ``total_s``).
    """

    def __init__(self, scenario: str = "two_cobblers", seed: int | None = None,
                 export_dir: str | Path | None = None, dpi: int = 80, auto_run: bool = True) -> None:
        self.panel = ParameterPanel(scenario, strategy_fields=KNOBS, market_fields=MARKET_KNOBS, network_fields=(),
                                    config_fields=(), scenarios=(), seed=seed, show_seed=False, show_help=False,
                                    show_description=False, tabs=False, labels=KNOB_LABELS,
                                    label_width="170px", width="450px")
        self.export_dir = Path(export_dir) if export_dir is not None else default_export_dir()
        self.dpi = dpi
        self.results: Results | None = None
        self.error: str | None = None
        self.runs = 0
        self.timings: list[dict[str, float]] = []

        cfg = self.panel.base
        self.title = W.HTML(
            CSS + "<div style='font-family:sans-serif'><div style='font-size:30px;font-weight:700'>"
            "Two cobblers, one town: numbers game or relationships?</div>"
            f"<div style='font-size:16px;color:#444;max-width:1100px;margin-top:4px'>"
            f"{html.escape(cfg.description)} Same hours, same price, equally good shoes: any difference comes "
            "from how they sell.</div></div>")
        self.headline = W.HTML()
        self.headline.add_class("sim-headline")
        self.story = W.HTML()
        self.story.add_class("sim-story")
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
        self.export_button = W.Button(description="Export figures (PNG + SVG)", button_style="primary",
                                      layout=W.Layout(width="260px"))
        self.export_button.add_class("sim-export")
        self.export_button.on_click(lambda _b: self.export())
        self.export_path = W.Text(value=str(self.export_dir), description="to folder",
                                  style={"description_width": "70px"}, layout=W.Layout(width="430px"))
        self.export_status = W.HTML()

        knobs = W.VBox([
            W.HTML("<div class='sim-colhead' style='font-size:20px'>What if…</div>"
                   "<div style='font-size:13px;color:#666;max-width:420px'>Move a knob: the model re-runs and every "
                   "number and figure updates. Hover a knob for its exact meaning.</div>"),
            self.panel.widget, self.reset_button,
            W.HTML("<hr style='margin:10px 0'>"), self.export_button, self.export_path, self.export_status,
            self.status,
        ], layout=W.Layout(width="480px", min_width="440px", padding="0 18px 0 0"))
        story = W.VBox([W.HTML("<div class='sim-colhead' style='font-size:20px'>Who leads, and why</div>"),
                        self.story], layout=W.Layout(flex="1 1 40%", padding="0 0 0 18px"))
        self.widget = W.VBox([
            self.title, self.message, self.headline,
            W.HBox([knobs, W.Box([self.revenue_image], layout=W.Layout(flex="1 1 auto"))],
                   layout=W.Layout(align_items="flex-start")),
            W.HBox([W.Box([self.sources_image], layout=W.Layout(flex="1 1 60%")), story],
                   layout=W.Layout(align_items="flex-start", margin="12px 0 0 0")),
            self.why_image,
        ])
        self.panel.on_change(self.update)
        if auto_run:
            self.update()

    def update(self) -> bool:
        """Re-run with the current knobs and redraw; False (and a readable message) if they are invalid."""
        t0 = time.perf_counter()
        try:
            cfg = self.panel.config()
            self.status.value = "<span class='sim-status'>running…</span>"
            res = run(cfg)
        except (ConfigError, ValueError) as err:
            self.error = clean_message(str(err))
            self.message.value = error_html(self.error)
            self.status.value = "<span class='sim-status'>not run: invalid settings</span>"
            return False
        t1 = time.perf_counter()
        self.results = relabel_results(res, self.panel.display_names)
        self.error = None
        self.message.value = ""
        self.draw()
        t2 = time.perf_counter()
        self.runs += 1
        self.timings.append({"model_s": t1 - t0, "draw_s": t2 - t1, "total_s": t2 - t0})
        self.status.value = (f"<span class='sim-status'>run {self.runs}: model {t1 - t0:.2f} s + figures "
                             f"{t2 - t1:.2f} s · seed {cfg.seed}</span>")
        return True

    def draw(self) -> None:
        """Redraw headline numbers, story and the three figures from :attr:`results`."""
        res = self.results
        if res is None:
            return
        self.headline.value = headline_html(res.summary)
        self.story.value = story_html(res.summary, res.config)
        self.revenue_image.value = figure_to_png(revenue_figure(res, size=FIGURE_SIZES["story_screen"]), self.dpi)
        self.sources_image.value = figure_to_png(sources_figure(res), self.dpi)
        self.why_image.value = figure_to_png(why_figure(res), self.dpi)

    def export(self, out_dir: str | Path | None = None) -> list[Path]:
        """Write the current figures as PNG and SVG (what the "Export figures" button does)."""
        if self.results is None:
            return []
        out = Path(out_dir or self.export_path.value or self.export_dir)
        try:
            paths = export_figures(self.results, out)
        except OSError as err:
            self.export_status.value = (f"<span style='color:#a00'>Could not write to {html.escape(str(out))}: "
                                        f"{html.escape(str(err))}</span>")
            return []
        self.export_status.value = (f"<span style='font-size:13px'>Wrote {len(paths)} files to "
                                    f"<code>{html.escape(str(out.resolve()))}</code></span>")
        return paths

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the last successful run."""
        return headline_numbers(self.results.summary) if self.results is not None else {}

    def _ipython_display_(self) -> None:  # pragma: no cover - notebook only
        from IPython.display import display

        display(self.widget)
