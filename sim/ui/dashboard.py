"""The consultant's story and dashboard: the two cobblers of essay 002, told with the model's numbers.

Built on :mod:`sim.widgets` (the same schema-generated controls and headline cards) and
:mod:`sim.plots` (the same figures as the command line). Used by ``notebooks/consultant_demo.ipynb``
and, served by Voila with no code visible, by ``notebooks/dashboard.ipynb`` (``make dashboard``).

Every sentence of the story is generated from a run's summary, so it stays true when the model,
the scenario or a knob changes: nothing here asserts who wins.
"""

from __future__ import annotations

import html
import math
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import matplotlib
from matplotlib.figure import Figure

from .. import plots
from ..config import CONFIG_DIR, ConfigError
from ..model.runner import Results, run
from .widgets import (
    _CSS,
    WEEKS_PER_YEAR,
    ParameterPanel,
    clean_message,
    error_html,
    figure_to_png,
    headline_html,
    headline_numbers,
    pretty_name,
    relabel_results,
)

__all__ = [
    "ConsultantDashboard", "revenue_figure", "sources_figure", "why_figure", "story_markdown", "story_html",
    "export_figures", "default_export_dir", "KNOBS", "KNOB_LABELS",
]

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

_STYLE: dict[str, Any] = {
    "font.size": 14, "axes.titlesize": 16, "axes.titleweight": "bold", "axes.labelsize": 14,
    "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 13, "legend.frameon": False,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
    "figure.titlesize": 18, "figure.titleweight": "bold",
}


# ----------------------------------------------------------------------------------------- figures
def _crossover_label(summary: Mapping[str, Any]) -> str | None:
    cw = headline_numbers(summary)["crossover_week"]
    cha, inc = summary.get("challenger"), summary.get("incumbent")
    if cw is None or cha is None:
        return None
    return f"{pretty_name(cha)} overtakes\n{pretty_name(inc).lower()} in week {cw}"


def revenue_figure(results: Results, size: tuple[float, float] = (12.0, 6.0)) -> Figure:
    """Cumulative revenue per seller with the crossover week marked: who leads when."""
    df, summary = results.timeseries, results.summary
    weeks = int(df["week"].max())
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.subplots()
        plots.plot_cumulative(df, "revenue_cumulative", ax=ax, crossover_week=summary.get("crossover_week"),
                              crossover_label=_crossover_label(summary),
                              title=f"Cumulative revenue per seller over {_years(weeks)}")
        if weeks > WEEKS_PER_YEAR:
            ax.axvline(1.0, color="0.6", lw=1.2, ls="--")
            ax.annotate("1 year", xy=(1.0, 0.03), xycoords=("data", "axes fraction"), xytext=(4, 0),
                        textcoords="offset points", va="bottom", fontsize=12, color="0.4")
    return fig


def sources_figure(results: Results) -> Figure:
    """Sales per seller per year, split into new / repeat / referral / inbound, one panel per strategy."""
    with matplotlib.rc_context(_STYLE):
        return plots.plot_sales_by_source(results.timeseries)


def why_figure(results: Results, size: tuple[float, float] = (18.0, 5.2)) -> Figure:
    """Three reasons side by side: referrals received, public reviews, and trust held in the market."""
    df, summary = results.timeseries, results.summary
    strat = summary.get("strategies", {})
    ratings = [f"{pretty_name(n)} {_stars(v.get('mean_rating'))}" for n, v in strat.items()]
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(1, 3)
        plots.plot_cumulative(df, "referrals_cumulative", ax=axes[0], title="Referrals received")
        plots.plot_cumulative(df, "reviews_count", ax=axes[1], title="Public reviews written")
        axes[1].set_ylabel("Reviews per seller")
        axes[1].text(0.02, 0.72, "mean rating:\n" + "\n".join(ratings), transform=axes[1].transAxes, fontsize=12,
                     va="top", color="0.25")
        plots.plot_cumulative(df, "mean_trust", ax=axes[2], title="Trust held in the market")
        axes[2].set_ylabel("Mean customer trust (0..1)")
        threshold = results.config.market.trust_threshold
        axes[2].axhline(threshold, color="0.5", ls="--", lw=1.2)
        axes[2].annotate(f"buying threshold {threshold:g}", xy=(0.02, threshold), xycoords=("axes fraction", "data"),
                         xytext=(0, 4), textcoords="offset points", fontsize=11, color="0.35")
        axes[2].set_ylim(0, max(1.0, axes[2].get_ylim()[1]) if threshold > 0.5 else axes[2].get_ylim()[1])
        for ax in axes:
            if ax.get_legend() is not None:
                ax.get_legend().remove()
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        fig.suptitle("Why: referrals, reviews and trust, per seller", x=0.01, ha="left")
    return fig


# ----------------------------------------------------------------------------------------- story
def _years(weeks: int) -> str:
    if weeks % WEEKS_PER_YEAR == 0:
        n = weeks // WEEKS_PER_YEAR
        return f"{n} year" + ("s" if n != 1 else "")
    return f"{weeks} weeks"


def _stars(x: Any) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "no reviews"
    return "no reviews" if not math.isfinite(x) else f"★{x:.1f}"


def _money(x: Any) -> str:
    x = float(x or 0.0)
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.0f}k"
    return f"{x:,.0f}"


def _count(x: Any, noun: str) -> str:
    n = float(x or 0.0)
    return f"{n:,.0f} {noun}" + ("" if round(n) == 1 else "s")


def _share_text(sources: Mapping[str, float], handoffs: bool = False) -> str:
    total = sum(float(v or 0.0) for v in sources.values())
    if total <= 0:
        return "no sales"
    names = {"new": "cold leads", "repeat": "repeat customers",
             "referral": "referrals and hand-offs" if handoffs else "referrals",
             "inbound": "customers who came by themselves"}
    parts = sorted(((float(v or 0.0) / total, k) for k, v in sources.items()), reverse=True)
    return ", ".join(f"{share:.0%} {names.get(k, k)}" for share, k in parts if share >= 0.005)


def story_markdown(summary: Mapping[str, Any], config: Any = None) -> str:
    """A short plain-language story of a run: who leads after one year and at the horizon, and why.

    Every number comes from ``summary`` (a :attr:`sim.Results.summary` of a single run).
    """
    h = headline_numbers(summary)
    inc, cha = h["incumbent"], h["challenger"]
    strat = summary.get("strategies", {})
    if inc is None or cha is None:
        return "Only one strategy in this run: nothing to compare."
    weeks = h["weeks"]
    p_inc, p_cha = pretty_name(inc).lower(), pretty_name(cha).lower()
    lead1, leadf = h["leader_year1"], h["leader_final"]
    other1 = inc if lead1 == cha else cha
    otherf = inc if leadf == cha else cha
    lines = [
        f"**After one year** the **{pretty_name(lead1).lower()}** seller leads: "
        f"{_money(h['revenue_year1'][lead1])} revenue against {_money(h['revenue_year1'][other1])}.",
        f"**After {_years(weeks)}** the **{pretty_name(leadf).lower()}** seller leads: "
        f"{_money(h['revenue_total'][leadf])} against {_money(h['revenue_total'][otherf])}"
        + (f" ({p_cha} ÷ {p_inc} = {h['revenue_ratio']:.1f}×)." if h["revenue_ratio"] else "."),
    ]
    cw = h["crossover_week"]
    if cw is None:
        lines.append(f"The {p_cha} seller never overtakes the {p_inc} seller within {_years(weeks)}.")
    elif lead1 == inc:
        lines.append(f"The {p_cha} seller pulls ahead for good in **week {cw}** ({cw / WEEKS_PER_YEAR:.1f} years): "
                     "the short run and the long run have different winners.")
    else:
        lines.append(f"The {p_cha} seller is ahead for good from **week {cw}** on.")
    why = []
    for name in (cha, inc):
        s = strat.get(name, {})
        f1 = s.get("funnel_year1", {})
        leads, sales = float(f1.get("leads") or 0), float(f1.get("sales") or 0)
        per_sale = f"{leads / sales:,.0f} leads per sale in year 1" if sales else "no sales in year 1"
        handed = float(s.get("handoffs_received") or 0)
        passed = float(s.get("handoffs_made") or 0)
        handoffs = (f" and {handed:,.0f} poor-fit customers the competitor passed on" if handed else "") + \
                   (f"; passed {passed:,.0f} poor-fit customers on to the competitor" if passed else "")
        why.append(
            f"- **{pretty_name(name)}**: sales came from {_share_text(s.get('sales_by_source', {}), handed > 0)}; "
            f"{_count(s.get('referrals_total'), 'referral')} received from customers' friends{handoffs}; "
            f"{_count(s.get('reviews_count'), 'review')} ({_stars(s.get('mean_rating'))}); "
            f"trust held in the market at the end {float(s.get('mean_trust_final') or 0):.2f}; {per_sale}.")
    threshold = getattr(getattr(config, "market", None), "trust_threshold", None)
    tail = (f" Customers buy readily once their trust passes {threshold:g}." if threshold is not None else "")
    return ("\n\n".join(lines) + "\n\n**Why** (per seller, whole horizon):\n\n" + "\n".join(why) + "\n\n"
            + "Repeat business and referrals only come to a seller whom customers trust." + tail)


def story_html(summary: Mapping[str, Any], config: Any = None) -> str:
    """:func:`story_markdown` as HTML (for widgets and Voila)."""
    out = []
    for block in story_markdown(summary, config).split("\n\n"):
        text = html.escape(block)
        while "**" in text:
            text = text.replace("**", "<b>", 1).replace("**", "</b>", 1)
        if text.startswith("- "):
            items = "".join(f"<li>{line[2:]}</li>" for line in text.split("\n"))
            out.append(f"<ul style='margin:4px 0'>{items}</ul>")
        else:
            out.append(f"<p style='margin:4px 0'>{text}</p>")
    style = "font-size:16px;line-height:1.5;max-width:1100px;font-family:sans-serif"
    return f"<div style='{style}'>" + "".join(out) + "</div>"


# ----------------------------------------------------------------------------------------- export
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


# ----------------------------------------------------------------------------------------- dashboard
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
            _CSS + "<div style='font-family:sans-serif'><div style='font-size:30px;font-weight:700'>"
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
        self.revenue_image.value = figure_to_png(revenue_figure(res, size=(11.0, 5.5)), self.dpi)
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
