"""Every setting of a scenario that differs from the baseline, as rows a reader can check.

Owns :func:`settings_changes`: the flat comparison of ``Config.model_dump()`` with
``load_scenario("baseline")`` (horizon, seed, every market and network setting), the seller groups
as one line, and each strategy's knobs against the strategy of the same name in the baseline (a
preset), so a knob moved on the dashboard shows as ``relationship: minutes_per_contact 20 -> 8``.

Must not: run the model, format numbers of a run or lay anything out (the renderers do).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import Config, ConfigError, load_scenario

__all__ = ["settings_changes", "setting_text", "NOT_SETTINGS"]

NOT_SETTINGS: tuple[str, ...] = ("name", "description")
"""Config fields that describe a scenario rather than set it."""


def setting_text(value: Any) -> str:
    """A setting's value as YAML would show it: ``true``, ``0.3``, ``small_world``, ``none``; ``—`` when absent."""
    if value is _MISSING:
        return "—"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_MISSING = object()


def _flat(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _sellers_text(config: Config, display: Mapping[str, str]) -> str:
    return " + ".join(f"{g.count} {display.get(g.strategy, g.strategy)}" for g in config.sellers)


def settings_changes(config: Config, baseline: Config | None = None,
                     display_names: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """Rows ``(setting, baseline value, this scenario's value)`` for every setting that differs.

    Args:
        config: the configuration that was run.
        baseline: what to compare with (default: the shipped ``baseline`` scenario).
        display_names: ``{name in the run: name shown}`` for strategies renamed for display (the
            dashboard runs a preset whose knobs were moved as ``<name>_tuned``); their knobs are
            compared with the strategy of the shown name.
    """
    base = baseline if baseline is not None else load_scenario("baseline")
    display = dict(display_names or {})
    skip = {*NOT_SETTINGS, "strategies", "sellers"}
    ours = _flat(config.model_dump(exclude=skip))
    theirs = _flat(base.model_dump(exclude=skip))
    rows = [(key, setting_text(theirs.get(key, _MISSING)), setting_text(ours.get(key, _MISSING)))
            for key in [*ours, *(k for k in theirs if k not in ours)]
            if ours.get(key, _MISSING) != theirs.get(key, _MISSING)]
    sellers, base_sellers = _sellers_text(config, display), _sellers_text(base, {})
    if sellers != base_sellers:
        rows.append(("sellers", base_sellers, sellers))
    for name in dict.fromkeys(g.strategy for g in config.sellers):
        shown = display.get(name, name)
        knobs = config.strategy(name).model_dump()
        try:
            reference = base.strategy(shown).model_dump()
        except (ConfigError, KeyError, ValueError):   # a strategy the baseline does not know: all its knobs
            reference = {}
        rows += [(f"strategy {shown}: {knob}", setting_text(reference.get(knob, _MISSING)), setting_text(value))
                 for knob, value in knobs.items() if reference.get(knob, _MISSING) != value]
    return rows
