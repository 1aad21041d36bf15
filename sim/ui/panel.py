"""The parameter panel: a scenario's controls laid out, and their values turned back into a Config.

Owns :class:`ParameterPanel` (scenario dropdown, seed, one column of strategy knobs per seller
group, market / network / horizon tabs; :meth:`ParameterPanel.config` gives the validated
:class:`~sim.config.Config` the controls describe) and :func:`relabel_results`, which maps the
``<name>_tuned`` strategies the panel creates back to their usual names for display.

Must not: run the model or draw (that is :mod:`sim.ui.explorer` / :mod:`sim.ui.dashboard`), or
decide a control's range itself (:mod:`sim.ui.controls` reads it from the schema).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import ipywidgets as W
import pandas as pd
from pydantic import BaseModel

from ..config import Config, MarketConfig, NetworkConfig, load_scenario, scenario_names
from ..model.runner import Results
from ..narrate import pretty_name
from ..plots.style import strategy_colors
from ..strategy import PRESETS, Strategy
from .controls import (
    DEFAULT_CONFIG_FIELDS,
    DEFAULT_MARKET_FIELDS,
    DEFAULT_NETWORK_FIELDS,
    DEFAULT_STRATEGY_FIELDS,
    field_help,
    same,
    slider_for,
    widen,
)
from .render import css_widget

__all__ = ["ParameterPanel", "relabel_results"]


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
        self._market_box.children = [css_widget()] + [
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
        colors = strategy_colors([g.strategy for g in self.base.sellers])
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
            widen(w, value)
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
        widen(w, value)
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
            if not same(w.value, self._base_value(path)):
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
            changed = {f: v for f, v in changed.items() if not same(v, knobs[f])}
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

