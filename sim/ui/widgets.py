"""Notebook controls generated from the config schema, and a live run-and-redraw explorer.

One source of truth: every control takes its type, range and help text from the pydantic models
(:class:`~sim.strategy.Strategy`, :class:`~sim.config.MarketConfig`,
:class:`~sim.config.NetworkConfig`, :class:`~sim.config.Config`). :func:`slider_for` turns one
field into an ipywidgets control; :class:`ParameterPanel` lays out many of them for a scenario and
turns their values back into a validated :class:`~sim.config.Config`; :class:`Explorer` re-runs the
model whenever a control changes and redraws headline numbers and figures. Nothing here knows how
the model works: it only builds configs, calls :func:`sim.run` and draws with :mod:`sim.plots`.

Typical use in a notebook::

    from sim.ui.widgets import ParameterPanel, Explorer
    app = Explorer(ParameterPanel("two_cobblers"))
    app            # displays controls, headline numbers and live figures

Invalid combinations (e.g. more friends than customers) never raise in the notebook: the
:class:`~sim.config.ConfigError` message is shown in a red box above the figures instead.
"""

from __future__ import annotations

import html
import io
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal, get_args, get_origin

import ipywidgets as W
import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from pydantic import BaseModel

from .. import plots
from ..config import Config, ConfigError, MarketConfig, NetworkConfig, load_scenario, scenario_names
from ..model.runner import Results, run
from ..strategy import PRESETS, STRATEGY_KNOBS, Strategy

__all__ = [
    "field_bounds", "field_help", "field_label", "slider_for", "ParameterPanel", "Explorer",
    "headline_html", "headline_numbers", "error_html", "clean_message", "relabel_results",
    "live_figure", "FIG_STYLE", "pretty_name", "figure_to_png", "UI_RANGES",
    "DEFAULT_STRATEGY_FIELDS", "DEFAULT_MARKET_FIELDS", "DEFAULT_NETWORK_FIELDS", "DEFAULT_CONFIG_FIELDS",
]

WEEKS_PER_YEAR = 52

# Practical slider ranges for settings whose schema range is far wider than anyone explores by hand
# (the schema still validates; a scenario value outside the range widens the slider to include it).
UI_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("MarketConfig", "customers"): (10, 20_000),
    ("MarketConfig", "price"): (1, 1_000),
    ("MarketConfig", "purchase_cycle_weeks"): (1, 156),
    ("MarketConfig", "review_prior"): (0, 100),
    ("MarketConfig", "need_patience_weeks"): (1, 52),
    ("Config", "weeks"): (1, 1040),
}

DEFAULT_STRATEGY_FIELDS: tuple[str, ...] = STRATEGY_KNOBS
DEFAULT_MARKET_FIELDS: tuple[str, ...] = (
    "customers", "hours_per_week", "skepticism_mean", "trust_threshold", "recurring_needs", "purchase_cycle_weeks",
    "reviews", "review_readers", "talk_rate", "referral_rate", "failure_rate", "pressure_trust_cost",
)
DEFAULT_NETWORK_FIELDS: tuple[str, ...] = ("kind", "mean_degree")
DEFAULT_CONFIG_FIELDS: tuple[str, ...] = ("weeks",)

# Matplotlib style of the live figures (close to sim.plots' own); notebooks use it for their own figures too.
FIG_STYLE: dict[str, Any] = {
    "font.size": 13, "axes.titlesize": 15, "axes.titleweight": "bold", "axes.labelsize": 13,
    "xtick.labelsize": 12, "ytick.labelsize": 12, "legend.fontsize": 12, "legend.frameon": False,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
}

_CSS = """
<style>
.sim-cards {display:flex; flex-wrap:wrap; gap:14px; margin:6px 0 10px 0; font-family:sans-serif;}
.sim-card {flex:1 1 210px; background:#f6f7f9; border-left:8px solid #999; border-radius:6px; padding:10px 16px;}
.sim-card .k {font-size:14px; color:#555; text-transform:uppercase; letter-spacing:.04em;}
.sim-card .v {font-size:34px; font-weight:700; line-height:1.15; margin:4px 0;}
.sim-card .s {font-size:15px; color:#333;}
.sim-error {background:#fdecea; color:#7a1c12; border:1px solid #f5c2bc; border-radius:6px; padding:10px 14px;
            font-size:15px; font-family:sans-serif;}
.sim-help {font-size:12px; color:#666; margin:-4px 0 6px 4px; line-height:1.25; max-width:520px;}
.sim-colhead {font-size:17px; font-weight:700; margin:4px 0 6px 0; font-family:sans-serif;}
.sim-status {font-size:13px; color:#666; font-family:sans-serif;}
</style>
"""


# ----------------------------------------------------------------------------------------- schema
def _field(model_cls: type[BaseModel], field: str):
    try:
        return model_cls.model_fields[field]
    except KeyError:
        raise KeyError(f"{model_cls.__name__} has no setting {field!r}; "
                       f"settings: {', '.join(model_cls.model_fields)}") from None


def field_bounds(model_cls: type[BaseModel], field: str) -> tuple[float | None, float | None, bool, bool]:
    """Schema bounds of a numeric field: ``(low, high, low_is_open, high_is_open)``.

    Read from the field's ``ge``/``gt``/``le``/``lt`` constraints (``None`` when unbounded).
    """
    lo = hi = None
    lo_open = hi_open = False
    for m in _field(model_cls, field).metadata:
        if getattr(m, "ge", None) is not None:
            lo, lo_open = m.ge, False
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi, hi_open = m.le, False
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    return lo, hi, lo_open, hi_open


def field_help(model_cls: type[BaseModel], field: str) -> str:
    """The field's description from the schema (its docstring), as shown under each control."""
    return _field(model_cls, field).description or ""


def field_label(field: str) -> str:
    """Short human label of a setting: ``"minutes_per_contact"`` -> ``"minutes per contact"``."""
    return field.replace("_", " ")


def _nice_step(span: float, integer: bool) -> float:
    if span <= 0 or not math.isfinite(span):
        return 1 if integer else 0.01
    step = 10 ** math.floor(math.log10(span / 100))
    if integer:
        return max(1, int(step))
    return step


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def slider_for(model_cls: type[BaseModel], field: str, value: Any = None, *, label: str | None = None,
               ui_range: tuple[float, float] | None = None, continuous_update: bool = False,
               label_width: str = "190px", width: str = "440px") -> W.Widget:
    """An ipywidgets control for one schema field: range, type and help text come from the schema.

    * ``float`` fields become a :class:`~ipywidgets.FloatSlider` over the field's ``ge``/``gt`` ..
      ``le``/``lt`` range (an open bound moves in by one step), with a step of about 1/100 of it;
    * ``int`` fields become an :class:`~ipywidgets.IntSlider`;
    * ``bool`` fields a :class:`~ipywidgets.Checkbox`; ``Literal`` fields a
      :class:`~ipywidgets.Dropdown` of the allowed values.

    The description of the field is the control's tooltip. Settings listed in :data:`UI_RANGES`
    (customers, price, ...) get a narrower practical range, always inside the schema's, widened to
    include ``value``.

    Args:
        model_cls: ``Strategy``, ``MarketConfig``, ``NetworkConfig`` or ``Config``.
        field: the setting's name.
        value: initial value (default: the schema default).
        label: text left of the control (default: the field name with spaces).
        ui_range: a practical ``(low, high)`` that overrides :data:`UI_RANGES`; clipped to the schema.
        continuous_update: re-run while dragging (default: only on release).
        label_width: width of the label column.
        width: total width of the control.
    """
    info = _field(model_cls, field)
    annotation = info.annotation
    value = info.default if value is None else value
    text = label if label is not None else field_label(field)
    help_text = field_help(model_cls, field)
    style = {"description_width": label_width}
    layout = W.Layout(width=width)

    if annotation is bool:
        w: W.Widget = W.Checkbox(value=bool(value), description=text, indent=False, layout=W.Layout(width=width))
    elif get_origin(annotation) is Literal:
        w = W.Dropdown(options=list(get_args(annotation)), value=value, description=text, style=style, layout=layout)
    elif annotation in (int, float):
        integer = annotation is int
        lo, hi, lo_open, hi_open = field_bounds(model_cls, field)
        if lo is None or hi is None:
            raise ValueError(f"{model_cls.__name__}.{field} has no upper/lower bound; give ui_range")
        hint = ui_range or UI_RANGES.get((model_cls.__name__, field))
        a, b = (max(lo, hint[0]), min(hi, hint[1])) if hint else (lo, hi)
        step = _nice_step(b - a, integer)
        if lo_open and a <= lo:
            a = lo + step
        if hi_open and b >= hi:
            b = hi - step
        if value is not None:
            a, b = min(a, value), max(b, value)
        if integer:
            w = W.IntSlider(value=int(value), min=int(a), max=int(b), step=int(step), description=text,
                            continuous_update=continuous_update, style=style, layout=layout)
        else:
            w = W.FloatSlider(value=float(value), min=float(a), max=float(b), step=step, description=text,
                              readout_format=f".{_decimals(step)}f", continuous_update=continuous_update,
                              style=style, layout=layout)
    else:
        raise TypeError(f"{model_cls.__name__}.{field}: no control for type {annotation!r}")
    w.tooltip = help_text
    w.add_class(f"sim-field-{field}")
    return w


def _widen(w: W.Widget, value: Any) -> None:
    """Make sure a slider's range includes ``value`` before setting it."""
    if isinstance(w, (W.FloatSlider, W.IntSlider)):
        if value < w.min:
            w.min = value
        if value > w.max:
            w.max = value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


# ----------------------------------------------------------------------------------------- names
def pretty_name(name: str) -> str:
    """Display name of a strategy: ``"numbers_game"`` -> ``"Numbers game"``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def relabel_results(results: Results, mapping: Mapping[str, str]) -> Results:
    """A copy of ``results`` with strategy names renamed (e.g. ``relationship_tuned`` -> ``relationship``).

    Renames the ``strategy`` column of the weekly table and every key and label in the summary, so
    plots keep each strategy's usual colour after its knobs were moved.
    """
    mapping = {k: v for k, v in mapping.items() if k != v}
    if not mapping:
        return results
    df = results.timeseries.copy()
    order = [mapping.get(s, s) for s in pd.unique(df["strategy"].astype(str))]
    df["strategy"] = pd.Categorical(df["strategy"].astype(str).replace(mapping), categories=order)

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            return {mapping.get(k, k) if isinstance(k, str) else k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, str):
            return mapping.get(x, x)
        return x

    return replace(results, timeseries=df, summary=walk(results.summary), runs=[walk(r) for r in results.runs])


# ----------------------------------------------------------------------------------------- headline
def _num(x: Any) -> float | None:
    if isinstance(x, Mapping):
        x = x.get("mean")
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _money(x: float | None) -> str:
    if x is None:
        return "n/a"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.1f}k"
    return f"{x:,.0f}"


def _horizon_text(weeks: int) -> str:
    if weeks % WEEKS_PER_YEAR == 0:
        years = weeks // WEEKS_PER_YEAR
        return f"{years} year" + ("s" if years != 1 else "")
    return f"{weeks} weeks"


def headline_numbers(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The four headline numbers of a run as plain values (also what the notebooks print as JSON)."""
    weeks = int(summary.get("weeks", 0))
    inc, cha = summary.get("incumbent"), summary.get("challenger")
    strat = summary.get("strategies", {})
    out = {
        "weeks": weeks,
        "incumbent": inc,
        "challenger": cha,
        "leader_year1": summary.get("leader_year1"),
        "leader_final": summary.get("leader_final"),
        "crossover_week": _num(summary.get("crossover_week")),
        "revenue_ratio": _num(summary.get("revenue_ratio")),
        "revenue_ratio_year1": _num(summary.get("revenue_ratio_year1")),
        "referral_ratio": _num(summary.get("referral_ratio")),
        "revenue_total": {k: _num(v.get("revenue_total")) for k, v in strat.items()},
        "revenue_year1": {k: _num(v.get("revenue_year1")) for k, v in strat.items()},
        "referrals_total": {k: _num(v.get("referrals_total")) for k, v in strat.items()},
    }
    if out["crossover_week"] is not None:
        out["crossover_week"] = int(round(out["crossover_week"]))
    return out


def headline_html(summary: Mapping[str, Any]) -> str:
    """Big headline cards: leader after year 1 and at the horizon, crossover week, revenue ratio."""
    h = headline_numbers(summary)
    names = list(h["revenue_total"])
    colors = plots.strategy_colors(names)
    inc, cha = h["incumbent"], h["challenger"]
    if inc is None or cha is None:  # a single strategy: nothing to compare
        name = names[0] if names else "?"
        return _CSS + (f"<div class='sim-cards'><div class='sim-card' style='border-color:{colors.get(name, '#999')}'>"
                       f"<div class='k'>Revenue per seller</div><div class='v'>{_money(h['revenue_total'].get(name))}"
                       f"</div><div class='s'>{html.escape(pretty_name(name))}</div></div></div>")
    weeks = h["weeks"]
    horizon = _horizon_text(weeks)

    def card(key: str, value: str, sub: str, color: str) -> str:
        return (f"<div class='sim-card' style='border-color:{color}'><div class='k'>{key}</div>"
                f"<div class='v' style='color:{color}'>{value}</div><div class='s'>{sub}</div></div>")

    def versus(metric: str) -> str:
        return " vs ".join(f"{_money(h[metric].get(n))}" for n in (cha, inc))

    y1 = h["leader_year1"]
    fin = h["leader_final"]
    cards = [
        card("Leader after " + ("1 year" if weeks >= WEEKS_PER_YEAR else horizon),
             html.escape(pretty_name(y1)), f"revenue {versus('revenue_year1')}", colors.get(y1, "#333")),
        card(f"Leader after {horizon}", html.escape(pretty_name(fin)), f"revenue {versus('revenue_total')}",
             colors.get(fin, "#333")),
    ]
    cw = h["crossover_week"]
    if cw is None:
        cards.append(card("Crossover week", "never", f"{html.escape(pretty_name(cha))} does not overtake "
                          f"within {horizon}", "#555"))
    else:
        when = (f"about {cw / WEEKS_PER_YEAR:.1f} years in" if cw >= WEEKS_PER_YEAR
                else f"in month {cw * 12 // WEEKS_PER_YEAR + 1}")
        cards.append(card("Crossover week", f"week {cw}", f"{html.escape(pretty_name(cha))} ahead for good, {when}",
                          colors.get(cha, "#333")))
    ratio = h["revenue_ratio"]
    rtext = "n/a" if ratio is None else (f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×")
    cards.append(card("Revenue ratio", rtext,
                      f"{html.escape(pretty_name(cha))} ÷ {html.escape(pretty_name(inc))}, {horizon}",
                      colors.get(fin, "#333")))
    return _CSS + "<div class='sim-cards'>" + "".join(cards) + "</div>"


def clean_message(message: str) -> str:
    """A validation message without pydantic's boilerplate (``"config: Value error, "``)."""
    text = str(message).replace("Value error, ", "")
    return text[len("config: "):] if text.startswith("config: ") else text


def error_html(message: str) -> str:
    """A readable red box for a configuration problem (no traceback)."""
    return (_CSS + "<div class='sim-error'><b>These settings cannot be run:</b> " + html.escape(clean_message(message))
            + "<br><span style='font-size:13px'>Move a control back to a valid value; "
            "the figures below still show the last valid run.</span></div>")


# ----------------------------------------------------------------------------------------- panel
class ParameterPanel:
    """Controls for a scenario's strategies, market, network and horizon, built from the schema.

    Args:
        scenario: shipped scenario name or YAML path loaded first.
        strategy_fields: strategy knobs shown for every seller group, or a mapping
            ``{group index: knobs}`` to show different knobs per group (group 0 is the incumbent).
        market_fields: :class:`~sim.config.MarketConfig` settings shown.
        network_fields: :class:`~sim.config.NetworkConfig` settings shown.
        config_fields: top-level :class:`~sim.config.Config` settings shown (e.g. ``weeks``).
        scenarios: names offered in the scenario dropdown (default: every shipped scenario;
            an empty sequence hides the dropdown).
        seed: initial seed (default: the scenario's).
        show_seed: show the seed box.
        show_help: print each field's description under its control, with a "help texts"
            checkbox to hide them (the description is every control's tooltip either way).
        show_description: show the scenario's description under the dropdown.
        tabs: one tab per section (strategies, market, network & horizon); False stacks them.
        labels: display labels per field name (default: the field name with spaces).
        label_width, width: widths of each control's label and of the whole control.

    Attributes:
        widget: the whole panel (``top`` bar, scenario ``description`` and the ``body`` of controls).
        base: the loaded scenario, before any control was moved.
        controls: ``{dotted path: widget}``; strategy knobs use ``"strategy.<group>.<knob>"``.
        display_names: ``{name used in the run: name shown}`` for strategies whose knobs were tuned.
    """

    def __init__(self, scenario: str = "two_cobblers", *,
                 strategy_fields: Sequence[str] | Mapping[int, Sequence[str]] = DEFAULT_STRATEGY_FIELDS,
                 market_fields: Sequence[str] = DEFAULT_MARKET_FIELDS,
                 network_fields: Sequence[str] = DEFAULT_NETWORK_FIELDS,
                 config_fields: Sequence[str] = DEFAULT_CONFIG_FIELDS,
                 scenarios: Sequence[str] | None = None, seed: int | None = None, show_seed: bool = True,
                 show_help: bool = True, show_description: bool = True, tabs: bool = True,
                 labels: Mapping[str, str] | None = None, label_width: str = "190px",
                 width: str = "440px") -> None:
        self._strategy_fields = strategy_fields
        self._market_fields = tuple(market_fields)
        self._network_fields = tuple(network_fields)
        self._config_fields = tuple(config_fields)
        self._show_help = show_help
        self._labels = dict(labels or {})
        self._slider_kw = {"label_width": label_width, "width": width}
        self._callbacks: list[Callable[[], None]] = []
        self._loading = False
        self.display_names: dict[str, str] = {}
        self.controls: dict[str, W.Widget] = {}

        self.base = load_scenario(scenario)
        options = list(scenario_names() if scenarios is None else scenarios)
        if options and self.base.name not in options:
            options.insert(0, self.base.name)
        self.scenario = W.Dropdown(options=options or [self.base.name], value=self.base.name,
                                   description="scenario", style={"description_width": "70px"},
                                   layout=W.Layout(width="300px", margin="0 18px 0 0",
                                                   display="" if options else "none"))
        self.scenario.add_class("sim-scenario")
        self.seed = W.BoundedIntText(value=self.base.seed if seed is None else seed, min=0, max=2**31 - 1,
                                     description="seed", style={"description_width": "40px"},
                                     layout=W.Layout(width="170px", display="" if show_seed else "none"))
        self.seed.add_class("sim-seed")
        self.description = W.HTML(layout=W.Layout(display="" if show_description else "none"))
        self.scenario.observe(self._on_scenario, names="value")
        self.seed.observe(self._on_value, names="value")

        self.help_toggle = W.Checkbox(value=show_help, description="help texts", indent=False,
                                      layout=W.Layout(width="120px", margin="0 0 0 18px",
                                                      display="" if show_help else "none"))
        self.help_toggle.observe(self._on_help_toggle, names="value")
        self._help_widgets: list[W.HTML] = []
        self._strategy_box = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self._market_box = W.VBox()
        self._network_box = W.VBox()
        self._build_static()
        self._build_strategies()
        self._set_description()

        sections = [("Strategies", self._strategy_box), ("Market", self._market_box),
                    ("Network & horizon", self._network_box)]
        sections = [(t, b) for t, b in sections if len(b.children) > (1 if b is self._market_box else 0)]
        if tabs:
            body: W.Widget = W.Tab(children=[b for _, b in sections], titles=[t for t, _ in sections])
        else:
            body = W.VBox([b for _, b in sections])
        self.body = body
        self.top = W.HBox([self.scenario, self.seed, self.help_toggle], layout=W.Layout(align_items="center"))
        if not (options or show_seed or show_help):
            self.top.layout.display = "none"
        self.widget = W.VBox([self.top, self.description, body])

    # -- building ---------------------------------------------------------------------------------
    def _labeled(self, model_cls: type[BaseModel], field: str, control: W.Widget) -> W.Widget:
        if not self._show_help:
            return control
        text = html.escape(field_help(model_cls, field))
        help_line = W.HTML(f"<div class='sim-help'>{text}</div>",
                           layout=W.Layout(display="" if self.help_toggle.value else "none"))
        self._help_widgets.append(help_line)
        return W.VBox([control, help_line])

    def _on_help_toggle(self, change: Any) -> None:
        for w in self._help_widgets:
            w.layout.display = "" if change["new"] else "none"

    def _make(self, path: str, model_cls: type[BaseModel], field: str, value: Any, **kw: Any) -> W.Widget:
        w = slider_for(model_cls, field, value, label=self._labels.get(field), **{**self._slider_kw, **kw})
        w.add_class("sim-" + path.replace(".", "-"))
        w.observe(self._on_value, names="value")
        self.controls[path] = w
        return self._labeled(model_cls, field, w)

    def _build_static(self) -> None:
        cfg = self.base
        self._market_box.children = [_CSS_WIDGET()] + [
            self._make(f"market.{f}", MarketConfig, f, getattr(cfg.market, f)) for f in self._market_fields]
        net = [self._make(f"network.{f}", NetworkConfig, f, getattr(cfg.network, f)) for f in self._network_fields]
        top = [self._make(f, Config, f, getattr(cfg, f)) for f in self._config_fields]
        self._network_box.children = net + top

    def _group_fields(self, index: int) -> tuple[str, ...]:
        spec = self._strategy_fields
        if isinstance(spec, Mapping):
            return tuple(spec.get(index, ()))
        return tuple(spec)

    def _build_strategies(self) -> None:
        for path in [p for p in self.controls if p.startswith("strategy.")]:
            del self.controls[path]
        colors = plots.strategy_colors([g.strategy for g in self.base.sellers])
        columns = []
        for i, group in enumerate(self.base.sellers):
            fields = self._group_fields(i)
            if not fields:
                continue
            strategy = self.base.strategy(group.strategy)
            role = "incumbent" if i == 0 else ("challenger" if i == 1 else f"group {i + 1}")
            head = W.HTML(f"<div class='sim-colhead' style='color:{colors[group.strategy]}'>"
                          f"{html.escape(pretty_name(group.strategy))} "
                          f"<span style='font-weight:400;color:#666;font-size:14px'>({role}, {group.count} "
                          f"seller{'s' if group.count != 1 else ''})</span></div>")
            rows = [self._make(f"strategy.{i}.{f}", Strategy, f, getattr(strategy, f)) for f in fields]
            columns.append(W.VBox([head, *rows], layout=W.Layout(margin="0 28px 8px 0")))
        self._strategy_box.children = columns
        self._groups_signature = tuple(g.strategy for g in self.base.sellers)

    def _set_description(self) -> None:
        text = html.escape(self.base.description or "")
        self.description.value = f"<div style='font-size:14px;color:#444;max-width:900px'>{text}</div>"

    # -- events -----------------------------------------------------------------------------------
    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once after every user change (a scenario switch counts as one change)."""
        self._callbacks.append(callback)

    def _fire(self) -> None:
        for cb in self._callbacks:
            cb()

    def _on_value(self, _change: Any = None) -> None:
        if not self._loading:
            self._fire()

    def _on_scenario(self, change: Any) -> None:
        if self._loading or change["new"] == self.base.name:
            return
        self.load(change["new"])

    def load(self, scenario: str, notify: bool = True) -> None:
        """Load a shipped scenario (or YAML path) into the controls, then notify once."""
        self._loading = True
        try:
            self.base = load_scenario(scenario)
            if self.scenario.value != self.base.name and self.base.name in self.scenario.options:
                self.scenario.value = self.base.name
            self._reset_values()
            self._set_description()
        finally:
            self._loading = False
        if notify:
            self._fire()

    def reset(self, notify: bool = True) -> None:
        """Put every control back to the loaded scenario's values."""
        self._loading = True
        try:
            self._reset_values()
        finally:
            self._loading = False
        if notify:
            self._fire()

    def _reset_values(self) -> None:
        if tuple(g.strategy for g in self.base.sellers) != self._groups_signature:
            self._build_strategies()
        for path, w in self.controls.items():
            value = self._base_value(path)
            _widen(w, value)
            w.value = value

    def _base_value(self, path: str) -> Any:
        parts = path.split(".")
        if parts[0] == "strategy":
            group = self.base.sellers[int(parts[1])]
            return getattr(self.base.strategy(group.strategy), parts[2])
        node: Any = self.base
        for p in parts:
            node = getattr(node, p)
        return node

    # -- values -----------------------------------------------------------------------------------
    def set(self, path: str, value: Any) -> None:
        """Set one control programmatically, exactly as a user would (fires the change callbacks).

        ``path`` is a dotted config path (``"market.customers"``, ``"weeks"``) or
        ``"strategy.<group index>.<knob>"``.
        """
        if path == "seed":
            self.seed.value = value
            return
        w = self.controls[path]
        _widen(w, value)
        w.value = value

    def get(self, path: str) -> Any:
        """Current value of one control (see :meth:`set` for paths)."""
        return self.seed.value if path == "seed" else self.controls[path].value

    def updates(self) -> dict[str, Any]:
        """The dotted-path updates the controls make to the loaded scenario (changed values only)."""
        out: dict[str, Any] = {}
        for path, w in self.controls.items():
            if path.startswith("strategy."):
                continue
            if not _same(w.value, self._base_value(path)):
                out[path] = w.value
        return out

    def config(self) -> Config:
        """The validated configuration the controls describe.

        A strategy whose knobs were moved runs as a custom strategy named ``<name>_tuned`` (presets
        cannot be redefined); :attr:`display_names` maps it back to its usual name for display.

        Raises:
            ConfigError: the combination is not valid (e.g. more friends than customers).
        """
        updates: dict[str, Any] = self.updates()
        updates["seed"] = int(self.seed.value)
        display: dict[str, str] = {}
        sellers = [g.model_dump() for g in self.base.sellers]
        tuned = False
        for i, group in enumerate(self.base.sellers):
            knobs = self.base.strategy(group.strategy).model_dump()
            changed = {f: self.controls[f"strategy.{i}.{f}"].value for f in self._group_fields(i)
                       if f"strategy.{i}.{f}" in self.controls}
            changed = {f: v for f, v in changed.items() if not _same(v, knobs[f])}
            if not changed:
                continue
            tuned = True
            name = group.strategy
            if name in PRESETS:
                taken = set(PRESETS) | set(self.base.strategies) | {g.strategy for g in self.base.sellers}
                new = f"{name}_tuned"
                while new in taken:
                    new += "_"
                display[new] = name
                sellers[i]["strategy"] = new
                name = new
            updates[f"strategies.{name}"] = {**knobs, **changed}
        if tuned:
            updates["sellers"] = sellers
        self.display_names = display
        return self.base.with_updates(updates)

    def values(self) -> dict[str, Any]:
        """Every control's current value by path (plus ``scenario`` and ``seed``)."""
        return {"scenario": self.base.name, "seed": self.seed.value,
                **{p: w.value for p, w in self.controls.items()}}

    def _ipython_display_(self) -> None:  # pragma: no cover - notebook only
        from IPython.display import display

        display(self.widget)


def _CSS_WIDGET() -> W.HTML:  # noqa: N802 - reads like a constant in the layout code
    return W.HTML(_CSS, layout=W.Layout(height="0px", overflow="hidden", margin="0"))


# ----------------------------------------------------------------------------------------- figures
def figure_to_png(fig: Figure, dpi: int = 72) -> bytes:
    """Render a Matplotlib figure to PNG bytes (for an :class:`ipywidgets.Image`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def live_figure(results: Results, panels: Sequence[str] = ("revenue", "referrals", "funnel"),
                size: tuple[float, float] | None = None) -> Figure:
    """One fixed-layout figure with a panel per entry of ``panels`` (quick to redraw).

    Panels: ``"revenue"`` (cumulative revenue with the crossover week), ``"referrals"`` (cumulative
    referrals received), ``"funnel"`` (year-1 funnel, log scale), ``"trust"`` (mean trust held in
    the market), ``"reviews"`` (public reviews count).
    """
    df, summary = results.timeseries, results.summary
    weeks = int(df["week"].max())
    n = len(panels)
    size = size or (6.2 * n, 5.0)
    with matplotlib.rc_context(FIG_STYLE):
        fig = Figure(figsize=size)
        axes = fig.subplots(1, n, squeeze=False)[0]
        fig.subplots_adjust(left=0.07 if n > 1 else 0.1, right=0.95, bottom=0.14, top=0.88, wspace=0.42)
        for ax, panel in zip(axes, panels, strict=True):
            if panel == "revenue":
                plots.plot_cumulative(df, "revenue_cumulative", ax=ax, crossover_week=summary.get("crossover_week"),
                                      title="Cumulative revenue per seller")
            elif panel == "referrals":
                plots.plot_cumulative(df, "referrals_cumulative", ax=ax, title="Referrals received per seller")
            elif panel == "funnel":
                span = min(WEEKS_PER_YEAR, weeks)
                period = "year 1" if span == WEEKS_PER_YEAR else f"{span} weeks"
                plots.plot_funnel(df, weeks=span, ax=ax, title=f"Funnel per seller, {period}")
                if ax.get_legend() is not None:
                    ax.legend(loc="upper right", fontsize=10)
            elif panel == "trust":
                plots.plot_cumulative(df, "mean_trust", ax=ax, title="Mean trust held in the market")
            elif panel == "reviews":
                plots.plot_cumulative(df, "reviews_count", ax=ax, title="Public reviews per seller")
            else:
                raise ValueError(f"unknown panel {panel!r}")
    return fig


# ----------------------------------------------------------------------------------------- explorer
class Explorer:
    """Controls + live model: every change re-runs :func:`sim.run` and redraws numbers and figures.

    Args:
        panel: the controls (default: a :class:`ParameterPanel` on ``two_cobblers``).
        panels: figure panels, see :func:`live_figure`.
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
    """

    def __init__(self, panel: ParameterPanel | None = None, *,
                 panels: Sequence[str] = ("revenue", "referrals", "funnel"), dpi: int = 72,
                 auto_run: bool = True) -> None:
        self.panel = panel or ParameterPanel()
        self.panels = tuple(panels)
        self.dpi = dpi
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
        fig = live_figure(self.results, self.panels)
        self.image.value = figure_to_png(fig, self.dpi)

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
