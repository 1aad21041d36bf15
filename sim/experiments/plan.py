"""Planning a sweep: check the sweep file against its base scenario and build everything a run needs.

Owns: :func:`plan_sweep` and :class:`SweepPlan` (base config with ``set:`` applied, factors,
design table, outcomes, the seed scheme run -> (point, replicate, seed), and the identity and hash
that pin a results folder to one sweep); resolving dotted names (``<group>.<knob>``,
``market.<x>``, ``network.<x>``) and checking every value against the model's own constraints.

Must not: run the model beyond the one-week probe that lists outcome names, write files, or know
about executors. A plan is plain data: it goes to worker processes inside each task's context.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ..config import Config, ConfigError, MarketConfig, NetworkConfig, load_scenario, validate_config
from ..model.comparison import compared_pair
from ..strategy import PRESETS, STRATEGY_KNOBS, Strategy
from .bounds import check_design, check_workers
from .design import FactorInfo, design_table
from .outcomes import ADVANTAGE, RESERVED_COLUMNS, default_outcomes, known_outcomes
from .spec import SweepSpec

__all__ = ["SweepPlan", "plan_sweep", "load_scenario_unaliased", "FORMAT_VERSION"]

FORMAT_VERSION = 1
"""Version of the results folder layout; part of every sweep's identity."""


@dataclass
class SweepPlan:
    """Everything needed to run a sweep: base config, factors, design table, outcomes, identity.

    Attributes:
        spec: the validated sweep file.
        source: the sweep file.
        base: base config with ``set:`` applied and the swept groups pointed at private copies.
        factors: swept parameters in file order (levers first).
        design: one row per design point (``point`` + one column per factor).
        outcomes: kept outcome names (flattened summary names, plus :data:`ADVANTAGE`).
        aliases: private strategy name -> the group name it stands for in outcomes.
        incumbent: denominator of ratios (numbers_game by name, else the first seller group).
        challenger: numerator of ratios (relationship by name, else the second seller group).
        spec_hash: hash of everything that determines the results.
    """

    spec: SweepSpec
    source: Path | None
    base: Config
    factors: list[FactorInfo]
    design: Any
    outcomes: tuple[str, ...]
    aliases: dict[str, str]
    incumbent: str
    challenger: str
    spec_hash: str = ""
    identity: dict[str, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return len(self.design)

    @property
    def n_runs(self) -> int:
        """Design points x replicates."""
        return self.n_points * self.spec.replicates

    def locate(self, run: int) -> tuple[int, int, int]:
        """``(point, replicate, seed)`` of run ``run``."""
        from ..model.runner import replicate_seed

        point, rep = divmod(run, self.spec.replicates)
        return point, rep, replicate_seed(self.spec.seed, run)

    def point_params(self, point: int) -> dict[str, Any]:
        """Factor values of one design point (column name -> plain Python value)."""
        return {name: _plain(column[point]) for name, column in self._columns.items()}

    @property
    def _columns(self) -> dict[str, Any]:
        cache = self.__dict__.get("_columns_cache")
        if cache is None:   # NumPy columns: a million points cost megabytes, not a list of tuples
            cache = self.__dict__["_columns_cache"] = {f.name: self.design[f.name].to_numpy() for f in self.factors}
        return cache

    def describe(self) -> str:
        """One line: name, design, sizes."""
        d = self.spec.design
        facs = ", ".join(f.name for f in self.factors)
        return (f"{self.spec.name}: {d.kind} design over {len(self.factors)} factors ({facs}); "
                f"{self.n_points} points x {self.spec.replicates} replicates = {self.n_runs} runs, "
                f"{self.base.weeks} weeks, {self.base.market.customers:,} customers")


_SECTION_MODELS: dict[str, type[BaseModel]] = {"market": MarketConfig, "network": NetworkConfig}


def _range_text(description: str | None) -> str:
    m = re.search(r"\[([^\]]*)\]\s*$", description or "")
    return m.group(1) if m else ""


def _field_kind(annotation: Any) -> tuple[str, tuple[Any, ...]]:
    if annotation is bool:
        return "bool", (False, True)
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if typing.get_origin(annotation) is Literal:
        return "choice", tuple(typing.get_args(annotation))
    return "other", ()


@dataclass(frozen=True)
class _Target:
    """Where a dotted name from the sweep file points."""

    kind: str                 # "knob" | "setting"
    model: type[BaseModel]    # Strategy, MarketConfig or NetworkConfig
    owner: str                # group strategy name (knob) or section (setting)
    key: str                  # knob or setting name


def _target(name: str, base: Config, where: str) -> _Target:
    """Resolve ``<group>.<knob>``, ``strategies.<custom>.<knob>``, ``market.<x>`` or ``network.<x>``."""
    parts = name.split(".")
    groups = [g.strategy for g in base.sellers]
    if len(parts) == 3 and parts[0] == "strategies":
        parts = parts[1:]
        if parts[0] not in base.strategies:
            raise ConfigError(f"{where}: no custom strategy {parts[0]!r} in scenario {base.name!r}; "
                              f"defined: {', '.join(base.strategies) or 'none'}")
    if len(parts) != 2:
        raise ConfigError(f"{where}: unknown parameter; use <group strategy>.<knob> (e.g. relationship.pressure), "
                          "market.<setting> or network.<setting>")
    owner, key = parts
    if owner in _SECTION_MODELS:
        model = _SECTION_MODELS[owner]
        if key not in model.model_fields:
            raise ConfigError(f"{where}: unknown parameter {key!r}; allowed {owner} settings: "
                              f"{', '.join(model.model_fields)}")
        return _Target("setting", model, owner, key)
    if owner in groups or owner in PRESETS or owner in base.strategies:
        if owner not in groups:
            raise ConfigError(f"{where}: no seller group uses strategy {owner!r} in scenario {base.name!r}; "
                              f"groups: {', '.join(groups)}")
        if key not in STRATEGY_KNOBS:
            raise ConfigError(f"{where}: unknown strategy knob {key!r}; allowed: {', '.join(STRATEGY_KNOBS)}")
        return _Target("knob", Strategy, owner, key)
    raise ConfigError(f"{where}: unknown parameter {name!r}; use <group strategy>.<knob> with a group of "
                      f"{', '.join(groups)}, or market.<setting> / network.<setting>")


def _check_value(target: _Target, value: Any, base: Config, where: str) -> Any:
    """Validate one value of a parameter against the model's own constraints; return the clean value."""
    current = (base.strategy(target.owner) if target.kind == "knob" else getattr(base, target.owner)).model_dump()
    try:
        obj = target.model.model_validate({**current, target.key: value})
    except ValidationError as err:
        e = err.errors()[0]
        info = target.model.model_fields[target.key]
        allowed = _range_text(info.description)
        kind, choices = _field_kind(info.annotation)
        if kind == "choice":
            allowed = "" if e["type"] == "literal_error" else ", ".join(map(repr, choices))
        hint = f"; allowed: {allowed}" if allowed else ""
        raise ConfigError(f"{where} = {value!r}: {e['msg']}{hint}") from None
    return getattr(obj, target.key)


def _private_name(group: str, taken: set[str]) -> str:
    name = f"{group}_swept"
    while name in taken:
        name += "_"
    return name


def _config_path(target: _Target, aliases_by_group: dict[str, str]) -> str:
    if target.kind == "setting":
        return f"{target.owner}.{target.key}"
    return f"strategies.{aliases_by_group.get(target.owner, target.owner)}.{target.key}"


def _load_base(spec: SweepSpec, source: Path | None) -> Config:
    scenario = spec.scenario
    try:
        if source is not None and (source.parent / scenario).exists():   # relative to the sweep file first
            return load_scenario(source.parent / scenario)
        return load_scenario(scenario)
    except ConfigError as err:
        raise ConfigError(f"scenario = {scenario!r}: {err}") from None


def plan_sweep(spec: SweepSpec, source: Path | None = None, *, check_outcomes: bool = True,
               allow_large: bool = False) -> SweepPlan:
    """Check a sweep against its base scenario and build the design.

    Strategy knobs of a group that uses a preset (``relationship.pressure``) are swept on a private
    copy of the preset (``relationship_swept``) that only that group uses; outcome names keep the
    group's own name (``relationship.revenue_total``), so results read the same as ``sim run``.

    Args:
        spec: the sweep file, from :func:`sim.experiments.load_sweep`.
        source: its path (a relative ``scenario:`` is read next to it).
        check_outcomes: refuse outcome names a run does not report (runs the model for one week).
        allow_large: lift the size limits (replicates, runs, design memory; see
            :mod:`sim.experiments.bounds`), which are otherwise checked before the design is built.

    Raises:
        ConfigError: anything that does not fit the scenario, or a design too large (one-line message).
    """
    base = _load_base(spec, source)
    if len(base.sellers) < 2:
        raise ConfigError(f"scenario = {spec.scenario!r}: a sweep compares strategies, so the scenario needs at least "
                          f"two seller groups (it has {len(base.sellers)})")
    # the same pair as every summary: relationship over numbers_game by name, else the second group over the first
    challenger, incumbent = compared_pair([g.strategy for g in base.sellers])
    if "seed" in spec.set:
        raise ConfigError("set.seed: runs are seeded from the sweep's own seed; "
                          "set 'seed:' at the top of the sweep file")

    # --- resolve every name and find the preset groups whose knobs change
    targets: dict[tuple[str, str], _Target] = {}
    for section in ("set", "levers", "uncertainties"):
        names = getattr(spec, section)
        for name in names:
            where = f"{section}.{name}"
            if section == "set" and (name in ("weeks", "name", "description", "sellers") or
                                     name.startswith("sellers.")):
                continue
            t = _target(name, base, where)
            if section == "levers" and t.kind != "knob":
                raise ConfigError(f"{where}: levers are strategy knobs (<group strategy>.<knob>); put market and "
                                  "network settings under uncertainties")
            if section == "uncertainties" and t.kind != "setting":
                raise ConfigError(f"{where}: uncertainties are market or network settings; put strategy knobs "
                                  "under levers")
            targets[(section, name)] = t
    swept_groups = [t.owner for t in targets.values() if t.kind == "knob" and t.owner in PRESETS
                    and t.owner not in base.strategies]
    aliases_by_group: dict[str, str] = {}
    taken = set(base.strategies) | set(PRESETS)
    for group in dict.fromkeys(swept_groups):
        aliases_by_group[group] = alias = _private_name(group, taken)
        taken.add(alias)
    if aliases_by_group:
        data = base.model_dump(mode="python")
        for group, alias in aliases_by_group.items():
            data["strategies"][alias] = PRESETS[group].model_dump()
            for g in data["sellers"]:
                if g["strategy"] == group:
                    g["strategy"] = alias
        base = validate_config(data)
    aliases = {alias: group for group, alias in aliases_by_group.items()}

    # --- fixed settings
    if spec.set:
        updates: dict[str, Any] = {}
        for name, value in spec.set.items():
            t = targets.get(("set", name))
            if t is None:
                updates[name] = value
            else:
                _check_value(t, value, base, f"set.{name}")
                updates[_config_path(t, aliases_by_group)] = value
        try:
            base = base.with_updates(updates)
        except ConfigError as err:
            raise ConfigError(f"set: {err}") from None
        except (ValueError, TypeError) as err:
            raise ConfigError(f"set: {err}") from None

    # --- factors
    factors: list[FactorInfo] = []
    for section in ("levers", "uncertainties"):
        for name, fac in getattr(spec, section).items():
            t = targets[(section, name)]
            info = t.model.model_fields[t.key]
            kind, choices = _field_kind(info.annotation)
            where = f"{section}.{name}"
            if fac.is_range and kind not in ("float", "int"):
                allowed = ", ".join(map(repr, choices)) if choices else "a list"
                raise ConfigError(f"{where}: {t.key} is not numeric, so it takes values: [..], not a range; "
                                  f"allowed values: {allowed}")
            probe = [fac.low, fac.high] if fac.is_range else list(fac.values or ())
            label = ("low", "high") if fac.is_range else None
            cleaned = []
            for i, value in enumerate(probe):
                w = f"{where}.{label[i]}" if label else where
                cleaned.append(_check_value(t, value, base, w))
                try:
                    base.with_updates({_config_path(t, aliases_by_group): cleaned[-1]})
                except ConfigError as err:
                    raise ConfigError(f"{w} = {value!r}: {err}") from None
            if fac.is_range and kind == "int" and math.floor(fac.high) < math.ceil(fac.low):
                raise ConfigError(f"{where}: the range {fac.low}..{fac.high} holds no whole number")
            if not fac.is_range:
                fac = fac.model_copy(update={"values": tuple(cleaned)})
                if len(set(map(repr, cleaned))) != len(cleaned):
                    raise ConfigError(f"{where}: values {list(fac.values or ())} repeat once read as {kind}")
            factors.append(FactorInfo(name, section, _config_path(t, aliases_by_group), kind, fac, choices))
    reserved = [f.name for f in factors if f.name in RESERVED_COLUMNS]
    if reserved:
        raise ConfigError(f"{reserved[0]}: name reserved for a results column")

    # --- design
    d = spec.design
    if d.kind == "sobol":
        bad = [f for f in factors if not f.numeric_range]
        if bad:
            f = bad[0]
            what = f"values {list(f.spec.values or ())}" if not f.spec.is_range else f"a {f.kind} setting"
            raise ConfigError(f"design.kind = 'sobol': every factor needs a numeric range {{low, high}}; "
                              f"{f.section}.{f.name} has {what}")
    check_design(factors, d, spec.replicates, allow_large)
    design = design_table(factors, d, spec.seed)
    check_workers(base, factors, design, 1, None, allow_large)   # one run must fit, before any is probed

    # --- outcomes
    outcomes = spec.outcomes if spec.outcomes is not None else default_outcomes(incumbent, challenger)
    outcomes = tuple(dict.fromkeys((ADVANTAGE, *outcomes)))
    if check_outcomes:
        known = known_outcomes(load_scenario_unaliased(base, aliases))
        for o in outcomes:
            if o not in known:
                close = difflib.get_close_matches(o, known, n=3, cutoff=0.75)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ConfigError(f"outcomes: unknown outcome {o!r}{hint}; allowed: flattened summary names such as "
                                  f"revenue_ratio, crossover_week, {challenger}.revenue_total "
                                  f"(see 'python -m sim sweep FILE --list-outcomes')")
    plan = SweepPlan(spec, source, base, factors, design, outcomes, aliases, incumbent, challenger)
    plan.identity = _identity(plan)
    plan.spec_hash = _hash(plan.identity)
    return plan


def load_scenario_unaliased(base: Config, aliases: dict[str, str]) -> Config:
    """``base`` with the groups pointed back at their presets (to list outcome names)."""
    if not aliases:
        return base
    data = base.model_dump(mode="python")
    for g in data["sellers"]:
        g["strategy"] = aliases.get(g["strategy"], g["strategy"])
    data["strategies"] = {k: v for k, v in data["strategies"].items() if k not in aliases}
    return validate_config(data)


def _identity(plan: SweepPlan) -> dict[str, Any]:
    """Everything that determines the results (name and description excluded)."""
    from .. import __version__

    spec = plan.spec.model_dump(mode="json", exclude={"name", "description"})
    return {
        "format": FORMAT_VERSION,
        "sim_version": __version__,
        "spec": spec,
        "base_config": plan.base.model_dump(mode="json", exclude={"name", "description"}),
        "design_sha256": _design_digest(plan.design.drop(columns="point")),
        "outcomes": list(plan.outcomes),
    }


def _design_digest(table: Any, chunk: int = 20_000) -> str:
    """sha256 of ``json.dumps(table.astype(object).values.tolist(), default=str)``, built chunk by chunk."""
    digest = hashlib.sha256(b"[")
    for start in range(0, len(table), chunk):
        rows = table.iloc[start:start + chunk].astype(object).values.tolist()
        digest.update((", " if start else "").encode() + json.dumps(rows, default=str)[1:-1].encode())
    digest.update(b"]")
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value (float, int, bool); anything else unchanged."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _hash(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
