"""Parameter sweeps: a validated sweep file, a design, and runs streamed to Parquet, resumably.

A sweep file (YAML, see ``configs/sweeps/`` and ``docs/SWEEPS.md``) names a base scenario, the
**levers** (strategy knobs, ``<group strategy>.<knob>``), the **uncertainties** (market and network
behaviour, ``market.<setting>`` / ``network.<setting>``), a **design** (full ``grid``, Latin
hypercube ``lhs`` or ``sobol`` = Saltelli's scheme via SALib), the replicates per design point and
the outcomes to keep.

Run ``i`` is replicate ``i % replicates`` of design point ``i // replicates`` and is seeded with
``replicate_seed(sweep seed, i)``, so results do not depend on the executor or the number of
workers. Finished runs are written in small batches to ``DIR/runs/part-*.parquet`` (tmp name, then
``os.replace``); ``DIR/sweep.json`` pins the sweep (spec + hash) so that re-running the same command
completes only the missing runs and a changed sweep file is refused.

Command line (wired into ``python -m sim`` by :func:`register_cli`, or standalone)::

    python -m sim.sweep sweep configs/sweeps/smoke.yaml --out results/smoke --workers 2
    python -m sim.sweep analyze results/smoke
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import difflib
import fcntl
import hashlib
import itertools
import json
import math
import os
import queue
import re
import signal
import sys
import time
import typing
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..config import CONFIG_DIR, Config, ConfigError, MarketConfig, NetworkConfig, load_scenario, validate_config
from ..strategy import PRESETS, STRATEGY_KNOBS, Strategy

__all__ = [
    "Factor", "Design", "SweepSpec", "SweepPlan", "FactorInfo", "SweepReport", "load_sweep", "plan_sweep",
    "run_sweep", "run_batch", "sweep_function", "load_runs", "load_series", "register_cli", "cmd_sweep",
    "add_sweep_arguments", "add_analyze_arguments", "SWEEP_HELP", "ANALYZE_HELP",
    "cmd_analyze", "main", "known_outcomes", "RunStore", "SweepLockedError", "SWEEP_DIR", "ADVANTAGE", "LABEL_OUTCOMES",
    "log_revenue_advantage",
]

SWEEP_DIR = CONFIG_DIR / "sweeps"
FORMAT_VERSION = 1
ADVANTAGE = "log_revenue_ratio"
"""Derived outcome kept by every sweep: ``log((challenger revenue + price) / (incumbent revenue + price))``
per seller over the horizon (one sale added on both sides so it is finite when a side sells nothing).
Positive = the challenger (second seller group, usually ``relationship``) earns more."""
LABEL_OUTCOMES = ("incumbent", "challenger", "leader_year1", "leader_final")
RESERVED_COLUMNS = ("run", "point", "replicate", "seed")
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_FROZEN = ConfigDict(extra="forbid", frozen=True)

Scalar = bool | int | float | str


# ================================================================================ the sweep file
class Factor(BaseModel):
    """One swept parameter: a numeric range ``{low, high}`` or a list of ``values``.

    A plain YAML list is shorthand for ``{values: [...]}``.
    """

    model_config = _FROZEN

    low: float | None = Field(None, description="Lower end of a numeric range (inclusive).")
    high: float | None = Field(None, description="Upper end of a numeric range (inclusive).")
    values: tuple[Scalar, ...] | None = Field(None, description="Explicit values (numbers, booleans or names).")
    levels: int | None = Field(None, ge=2, le=1000,
                               description="Grid designs: points spread evenly over the range "
                               "(default: design.levels).")

    @model_validator(mode="before")
    @classmethod
    def _list_shorthand(cls, data: Any) -> Any:
        if isinstance(data, (list, tuple)):
            return {"values": list(data)}
        if data is None:
            raise ValueError("needs a range {low: L, high: H} or values: [..]")
        return data

    @model_validator(mode="after")
    def _check(self) -> Factor:
        has_range = self.low is not None or self.high is not None
        if has_range and self.values is not None:
            raise ValueError("give either a range (low, high) or values, not both")
        if not has_range and self.values is None:
            raise ValueError("needs a range {low: L, high: H} or values: [..]")
        if has_range:
            if self.low is None or self.high is None:
                raise ValueError(f"a range needs both low and high (got low = {self.low}, high = {self.high})")
            if not (math.isfinite(self.low) and math.isfinite(self.high)):
                raise ValueError(f"low = {self.low}, high = {self.high}: bounds must be finite numbers")
            if self.low > self.high:
                raise ValueError(f"low = {self.low} is above high = {self.high}: lower bound must not exceed upper")
            if self.low == self.high:
                raise ValueError(f"empty range (low = high = {self.low}): widen it, or fix the value under 'set:'")
        else:
            assert self.values is not None
            if len(self.values) == 0:
                raise ValueError("values = []: empty list, give at least one value")
            seen: list[Any] = []
            for v in self.values:
                if any(v == s and type(v) is type(s) for s in seen):
                    raise ValueError(f"values: {v!r} is listed twice")
                seen.append(v)
            if self.levels is not None:
                raise ValueError("levels applies to ranges (low, high), not to values")
        return self

    @property
    def is_range(self) -> bool:
        """True for ``{low, high}``, False for ``values``."""
        return self.values is None


class Design(BaseModel):
    """How design points are chosen."""

    model_config = _FROZEN

    kind: Literal["grid", "lhs", "sobol"] = Field(
        description="grid = every combination; lhs = Latin hypercube sample; "
        "sobol = Saltelli sample for Sobol indices.")
    levels: int | None = Field(None, ge=2, le=1000, description="grid: points per range (default 3).")
    samples: int | None = Field(None, ge=1, le=1_000_000,
                                description="lhs: number of points; sobol: base sample N (a power of 2), giving "
                                "N x (k + 2) points for k factors (N x (2k + 2) with second_order).")
    second_order: bool = Field(False, description="sobol: also sample for second-order indices.")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Seed of the sampler (default: the sweep seed).")

    @model_validator(mode="after")
    def _check(self) -> Design:
        if self.kind in ("lhs", "sobol") and self.samples is None:
            raise ValueError(f"kind = {self.kind!r} needs samples: N")
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("samples applies to lhs and sobol designs; a grid's size comes from levels and values")
        if self.kind != "grid" and self.levels is not None:
            raise ValueError(f"levels applies to grid designs only (kind = {self.kind!r})")
        if self.kind == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            raise ValueError(f"samples = {self.samples}: Sobol (Saltelli) sampling needs a power of 2, e.g. 8, 16, 64")
        if self.second_order and self.kind != "sobol":
            raise ValueError("second_order applies to sobol designs only")
        return self


class SweepSpec(BaseModel):
    """A whole sweep file."""

    model_config = _FROZEN

    name: str = Field("sweep", description="Sweep name (default: the file name).")
    description: str = Field("", description="What the sweep asks.")
    scenario: str = Field("baseline",
                          description="Base scenario: a shipped name or a YAML path (relative to this file).")
    set: dict[str, Any] = Field(default_factory=dict, description="Fixed overrides of the base scenario "
                                "(dotted paths, knobs as <group>.<knob>).")
    levers: dict[str, Factor] = Field(default_factory=dict, description="Strategy knobs: '<group strategy>.<knob>'.")
    uncertainties: dict[str, Factor] = Field(default_factory=dict,
                                             description="Market and network behaviour: 'market.<x>', 'network.<x>'.")
    design: Design = Field(description="grid, lhs or sobol.")
    replicates: int = Field(1, ge=1, le=100_000, description="Runs per design point, each with its own seed.")
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Sweep seed; run i is seeded with replicate_seed(seed, i).")
    outcomes: tuple[str, ...] | None = Field(None, description="Summary numbers to keep (flattened names); "
                                             "default: a headline set. log_revenue_ratio is always kept.")

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        if not self.levers and not self.uncertainties:
            raise ValueError("a sweep needs at least one factor under levers or uncertainties")
        both = set(self.levers) & set(self.uncertainties)
        if both:
            raise ValueError(f"{sorted(both)[0]!r} is listed under both levers and uncertainties")
        if self.outcomes is not None:
            if len(self.outcomes) == 0:
                raise ValueError("outcomes = []: list at least one outcome, or leave outcomes out for the default set")
            dup = [o for o in self.outcomes if self.outcomes.count(o) > 1]
            if dup:
                raise ValueError(f"outcomes: {dup[0]!r} is listed twice")
        return self


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed where an unknown key was found."""
    if len(loc) <= 1:
        return list(SweepSpec.model_fields)
    if loc[0] == "design":
        return list(Design.model_fields)
    if loc[0] in ("levers", "uncertainties"):
        return list(Factor.model_fields)
    return []


def _format_errors(err: ValidationError) -> str:
    """One line: field path, value given and what is allowed (pydantic's wording, trimmed)."""
    lines = []
    for e in err.errors():
        loc = tuple(e["loc"])
        where = ".".join(str(p) for p in loc) or "sweep"
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            lines.append(f"{where}: unknown setting" + (f"; allowed: {', '.join(allowed)}" if allowed else ""))
        elif e["type"] == "missing":
            lines.append(f"{where}: required setting is missing")
        elif isinstance(value, (dict, list, tuple)) or value is None or e["type"] == "value_error":
            lines.append(f"{where}: {msg}")
        else:
            lines.append(f"{where} = {value!r}: {msg}")
    return "; ".join(dict.fromkeys(lines))


def load_sweep(path: str | Path) -> tuple[SweepSpec, Path]:
    """Read and validate a sweep file (a path, or the name of a file in ``configs/sweeps/``).

    Returns:
        The spec and the resolved file path.

    Raises:
        ConfigError: missing file, bad YAML or an invalid setting (one-line message).
    """
    p = Path(path)
    if not p.is_file() and p.suffix not in (".yaml", ".yml") and (SWEEP_DIR / f"{path}.yaml").is_file():
        p = SWEEP_DIR / f"{path}.yaml"
    if not p.is_file():
        shipped = ", ".join(sorted(q.stem for q in SWEEP_DIR.glob("*.yaml")))
        raise ConfigError(f"sweep file {str(path)!r} does not exist (shipped sweeps: {shipped})")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML ({' '.join(str(err).split())})") from None
    except OSError as err:
        raise ConfigError(f"{p}: cannot read ({err.strerror or err})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a sweep file must be a mapping of settings (scenario, levers, design, ...)")
    data.setdefault("name", p.stem)
    try:
        return SweepSpec.model_validate(data), p.resolve()
    except ValidationError as err:
        raise ConfigError(f"{p.name}: {_format_errors(err)}") from None


# ================================================================================ resolving a sweep
@dataclass(frozen=True)
class FactorInfo:
    """A swept parameter after checking it against the base scenario.

    Attributes:
        name: the name in the sweep file and the column name in the results.
        section: ``"levers"`` or ``"uncertainties"``.
        path: the dotted config path set for each run (knobs of preset groups point at the
            group's private copy, see :func:`plan_sweep`).
        kind: ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``.
        spec: the factor as given.
        choices: allowed values of a ``choice`` setting.
    """

    name: str
    section: str
    path: str
    kind: str
    spec: Factor
    choices: tuple[Any, ...] = ()

    @property
    def numeric_range(self) -> bool:
        """A numeric ``{low, high}`` range (what Sobol designs need)."""
        return self.spec.is_range and self.kind in ("float", "int")

    def cast(self, value: Any) -> Any:
        """Python value of the column's type."""
        if self.kind == "float":
            return float(value)
        if self.kind == "int":
            return int(round(float(value)))
        if self.kind == "bool":
            return bool(value)
        return value

    def levels(self, default: int) -> list[Any]:
        """Grid values: the list given, or ``levels`` points spread evenly over the range."""
        if not self.spec.is_range:
            return [self.cast(v) for v in self.spec.values or ()]
        n = self.spec.levels or default
        raw = np.linspace(self.spec.low, self.spec.high, n)
        return list(dict.fromkeys(self.cast(v) for v in raw))

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map uniform [0, 1) numbers onto the factor (ranges; values by equal-width bins)."""
        if self.spec.is_range:
            low, high = float(self.spec.low), float(self.spec.high)
            if self.kind == "int":
                lo, hi = math.ceil(low), math.floor(high)
                return [int(min(hi, lo + math.floor(x * (hi - lo + 1)))) for x in u]
            return [float(low + x * (high - low)) for x in u]
        values = self.spec.values or ()
        return [self.cast(values[min(len(values) - 1, int(x * len(values)))]) for x in u]


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
        incumbent: first seller group (denominator of ratios).
        challenger: second seller group.
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
        """Factor values of one design point (column name -> value)."""
        row = self._rows[point]
        return {f.name: row[i] for i, f in enumerate(self.factors)}

    @property
    def _rows(self) -> list[tuple[Any, ...]]:
        cache = self.__dict__.get("_rows_cache")
        if cache is None:
            cols = [self.design[f.name].tolist() for f in self.factors]
            cache = self.__dict__["_rows_cache"] = list(zip(*cols, strict=True))
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
        if source is not None and (source.parent / scenario).is_file():
            return load_scenario(source.parent / scenario)
        return load_scenario(scenario)
    except ConfigError as err:
        raise ConfigError(f"scenario = {scenario!r}: {err}") from None


def _default_outcomes(inc: str, cha: str) -> tuple[str, ...]:
    return (ADVANTAGE, "revenue_ratio", "revenue_ratio_year1", "crossover_week", "referral_ratio",
            "leader_year1", "leader_final", f"{inc}.revenue_total", f"{cha}.revenue_total",
            f"{inc}.mean_trust_final", f"{cha}.mean_trust_final", f"{inc}.loyalty", f"{cha}.loyalty")


def known_outcomes(base: Config) -> list[str]:
    """Every outcome a run of ``base`` reports (flattened summary names, plus :data:`ADVANTAGE`)."""
    from ..model.runner import flatten_summary, run

    probe = run(base.with_updates({"weeks": 1}), seed=0)
    return [k for k in flatten_summary(probe.summary) if k != "seed"] + [ADVANTAGE]


def plan_sweep(spec: SweepSpec, source: Path | None = None, *, check_outcomes: bool = True) -> SweepPlan:
    """Check a sweep against its base scenario and build the design.

    Strategy knobs of a group that uses a preset (``relationship.pressure``) are swept on a private
    copy of the preset (``relationship_swept``) that only that group uses; outcome names keep the
    group's own name (``relationship.revenue_total``), so results read the same as ``sim run``.

    Raises:
        ConfigError: anything that does not fit the scenario (one-line message).
    """
    import pandas as pd

    base = _load_base(spec, source)
    if len(base.sellers) < 2:
        raise ConfigError(f"scenario = {spec.scenario!r}: a sweep compares strategies, so the scenario needs at least "
                          f"two seller groups (it has {len(base.sellers)})")
    incumbent, challenger = base.sellers[0].strategy, base.sellers[1].strategy
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
    design = _design_table(factors, d, spec.seed, pd)

    # --- outcomes
    outcomes = spec.outcomes if spec.outcomes is not None else _default_outcomes(incumbent, challenger)
    outcomes = tuple(dict.fromkeys((ADVANTAGE, *outcomes)))
    if check_outcomes:
        known = known_outcomes(load_scenario_unaliased(base, aliases))
        for o in outcomes:
            if o not in known:
                close = difflib.get_close_matches(o, known, n=3, cutoff=0.75)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ConfigError(f"outcomes: unknown outcome {o!r}{hint}; allowed: flattened summary names such as "
                                  f"revenue_ratio, crossover_week, {challenger}.revenue_total "
                                  f"(see 'python -m sim.sweep sweep FILE --list-outcomes')")
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


def _design_table(factors: list[FactorInfo], d: Design, sweep_seed: int, pd: Any) -> Any:
    seed = d.seed if d.seed is not None else sweep_seed % 2**32
    names = [f.name for f in factors]
    if d.kind == "grid":
        rows = list(itertools.product(*(f.levels(d.levels or 3) for f in factors)))
    elif d.kind == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(factors), rng=np.random.default_rng(seed)).random(d.samples or 1)
        cols = [f.from_unit(u[:, i]) for i, f in enumerate(factors)]
        rows = list(zip(*cols, strict=True))
    else:
        from SALib.sample import sobol as sobol_sample

        problem = {"num_vars": len(factors), "names": names,
                   "bounds": [[float(f.spec.low), float(f.spec.high)] for f in factors]}
        x = sobol_sample.sample(problem, d.samples, calc_second_order=d.second_order, seed=seed)
        rows = [tuple(f.cast(v) for f, v in zip(factors, r, strict=True)) for r in x]
    table = pd.DataFrame(rows, columns=names) if rows else pd.DataFrame(columns=names)
    for f in factors:
        table[f.name] = table[f.name].astype({"float": "float64", "int": "int64", "bool": "bool"}.get(f.kind, "object"))
    table.insert(0, "point", np.arange(len(table), dtype=np.int64))
    return table


def _identity(plan: SweepPlan) -> dict[str, Any]:
    """Everything that determines the results (name and description excluded)."""
    from .. import __version__

    spec = plan.spec.model_dump(mode="json", exclude={"name", "description"})
    design_values = json.dumps(plan.design.drop(columns="point").astype(object).values.tolist(), default=str)
    return {
        "format": FORMAT_VERSION,
        "sim_version": __version__,
        "spec": spec,
        "base_config": plan.base.model_dump(mode="json", exclude={"name", "description"}),
        "design_sha256": hashlib.sha256(design_values.encode()).hexdigest(),
        "outcomes": list(plan.outcomes),
    }


def _hash(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


# ================================================================================ one batch of runs
@dataclass(frozen=True)
class RunContext:
    """What a worker needs besides the run list (sent with every task; a few kB)."""

    base: Config
    outcomes: tuple[str, ...]
    aliases: dict[str, str]
    incumbent: str
    challenger: str
    keep_series: bool


@dataclass(frozen=True)
class RunItem:
    """One run: indices, seed, factor values (columns) and the config updates they mean."""

    run: int
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    updates: dict[str, Any]


def _unalias(flat: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    if not aliases:
        return flat
    out = {}
    for key, value in flat.items():
        head, dot, rest = key.partition(".")
        if dot and head in aliases:
            key = f"{aliases[head]}.{rest}"
        if isinstance(value, str) and value in aliases:
            value = aliases[value]
        out[key] = value
    return out


def log_revenue_advantage(incumbent_revenue: float, challenger_revenue: float, price: float) -> float:
    """The sweep outcome ``ADVANTAGE``: log((challenger + price) / (incumbent + price)), per seller."""
    return float(math.log((challenger_revenue + price) / (incumbent_revenue + price)))


def _advantage(flat: dict[str, Any], inc: str, cha: str) -> float | None:
    a, b, price = flat.get(f"{inc}.revenue_total"), flat.get(f"{cha}.revenue_total"), flat.get("price")
    if a is None or b is None or not price:
        return None
    return log_revenue_advantage(a, b, price)


def _clean(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def run_batch(ctx: RunContext, items: list[RunItem]) -> list[tuple[int, dict[str, Any] | None, Any, str | None]]:
    """Run a batch of runs (in whatever process); never raises for a failing run.

    Returns:
        Per run ``(run, row, series, error)``: the results row (indices, seed, parameters,
        outcomes) and, with ``keep_series``, the weekly table; or ``error`` text if the run failed.
    """
    from ..model.runner import flatten_summary, run

    out: list[tuple[int, dict[str, Any] | None, Any, str | None]] = []
    for item in items:
        try:
            cfg = ctx.base.with_updates(item.updates) if item.updates else ctx.base
            res = run(cfg, seed=item.seed)
            flat = _unalias(flatten_summary(res.summary), ctx.aliases)
            flat[ADVANTAGE] = _advantage(flat, ctx.incumbent, ctx.challenger)
            row = {"run": item.run, "point": item.point, "replicate": item.replicate, "seed": item.seed,
                   **item.params, **{o: _clean(flat.get(o)) for o in ctx.outcomes}}
            series = None
            if ctx.keep_series:
                series = _series_frame(res.timeseries, item, ctx.aliases)
            out.append((item.run, row, series, None))
        except Exception as err:  # one failing run must not take the others down; it is retried on resume
            out.append((item.run, None, None, f"{err.__class__.__name__}: {' '.join(str(err).split())}"))
    return out


def sweep_function(sweep: str | Path | SweepPlan,
                   outcomes: Sequence[str] | None = None) -> Callable[..., dict[str, Any]]:
    """Model-as-function with a sweep's names: ``f(seed=None, **factor_values) -> {outcome: value}``.

    Parameter names are the sweep file's factor names (``relationship.pressure``,
    ``market.skepticism_mean``); factors not given keep the base value of the sweep (its scenario
    with ``set:`` applied). Outcomes default to the sweep's outcomes, :data:`ADVANTAGE` included.
    EMA Workbench and SALib can call it directly.

    Args:
        sweep: a sweep file (path or shipped name) or a :class:`SweepPlan`.
        outcomes: outcome names to return (default: the sweep's).
    """
    plan = sweep if isinstance(sweep, SweepPlan) else plan_sweep(*load_sweep(sweep))
    paths = {f.name: f for f in plan.factors}
    keep = tuple(dict.fromkeys((ADVANTAGE, *(outcomes or plan.outcomes))))
    ctx = RunContext(plan.base, keep, plan.aliases, plan.incumbent, plan.challenger, False)

    def f(seed: int | None = None, **params: Any) -> dict[str, Any]:
        unknown = [k for k in params if k not in paths]
        if unknown:
            raise ConfigError(f"{unknown[0]}: not a factor of sweep {plan.spec.name!r}; factors: {', '.join(paths)}")
        clean = {k: paths[k].cast(v) for k, v in params.items()}
        item = RunItem(-1, -1, 0, plan.spec.seed if seed is None else int(seed), clean,
                       {paths[k].path: v for k, v in clean.items()})
        [(_, row, _, error)] = run_batch(ctx, [item])
        if error is not None or row is None:
            raise RuntimeError(error or "run failed")
        return {k: row[k] for k in keep}

    return f


def _series_frame(df: Any, item: RunItem, aliases: dict[str, str]) -> Any:
    df = df.copy()
    strategy = df["strategy"].astype(str)
    seller = df["seller"].astype(str)
    for alias, group in aliases.items():
        seller = seller.str.replace(f"^{re.escape(alias)}_", f"{group}_", regex=True)
        strategy = strategy.replace(alias, group)
    df["strategy"], df["seller"] = strategy, seller
    df.insert(0, "replicate", item.replicate)
    df.insert(0, "point", item.point)
    df.insert(0, "run", item.run)
    for col in df.columns:
        if col in ("run", "point", "replicate", "week"):
            df[col] = df[col].astype("int64")
        elif col not in ("seller", "strategy"):
            df[col] = df[col].astype("float64")
    return df


# ================================================================================ the results store
def _atomic_write_table(table: Any, path: Path) -> None:
    """Write a Parquet file under a hidden tmp name, fsync, then rename into place."""
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_text(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _part_files(folder: Path) -> list[Path]:
    """Finished part files (tmp files are hidden and end in .tmp, so never listed)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("part-*.parquet") if p.is_file())


def _runs_schema(plan: SweepPlan) -> Any:
    import pyarrow as pa

    types = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}
    fields = [pa.field("run", pa.int64(), False), pa.field("point", pa.int64(), False),
              pa.field("replicate", pa.int64(), False), pa.field("seed", pa.int64(), False)]
    for f in plan.factors:
        if f.kind in types:
            fields.append(pa.field(f.name, types[f.kind]))
        else:
            fields.append(pa.field(f.name, pa.string()))
    for o in plan.outcomes:
        fields.append(pa.field(o, pa.string() if o in LABEL_OUTCOMES else pa.float64()))
    return pa.schema(fields)


class SweepLockedError(ConfigError):
    """Another process is writing to the same output folder."""


class RunStore:
    """The output folder of one sweep: identity check, lock, resume scan and batched atomic writes.

    Layout::

        DIR/sweep.json         the sweep spec, its hash and sizes (written once, checked on resume)
        DIR/design.parquet     one row per design point
        DIR/runs/part-*.parquet    one row per finished run (batches, written atomically)
        DIR/series/part-*.parquet  weekly tables of the same runs (with --keep-series)
    """

    def __init__(self, out: str | Path, plan: SweepPlan, keep_series: bool = False,
                 batch_rows: int = 200, flush_seconds: float = 2.0) -> None:
        self.out = Path(out)
        self.plan = plan
        self.keep_series = keep_series
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self.runs_dir = self.out / "runs"
        self.series_dir = self.out / "series"
        self._rows: list[dict[str, Any]] = []
        self._series: list[Any] = []
        self._last_flush = time.monotonic()
        self._lock_fh: Any = None
        self._schema = _runs_schema(plan)
        self.parts_written = 0

    # -------------------------------------------------------------- identity
    def check(self) -> dict[str, Any] | None:
        """Refuse a folder that belongs to another sweep; return its ``sweep.json`` (None if new).

        Reads only; never modifies anything.
        """
        meta_path = self.out / "sweep.json"
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"--out {self.out}: exists and is not a folder")
        if not meta_path.exists():
            # what a first start killed before writing sweep.json can leave behind is fine
            leftovers = {".lock", "design.parquet"}
            if self.out.is_dir() and any(p.name not in leftovers and not p.name.startswith(".")
                                         for p in self.out.iterdir()):
                raise ConfigError(f"--out {self.out}: folder exists, is not empty and holds no sweep.json; "
                                  "choose a new or empty folder")
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ConfigError(f"{meta_path}: unreadable ({err}); delete the folder to start over") from None
        if meta.get("hash") != self.plan.spec_hash:
            theirs = meta.get("identity", {})
            mine = self.plan.identity
            diff = _identity_diff(theirs, mine)
            raise ConfigError(
                f"--out {self.out} holds results of a different sweep (hash {meta.get('hash')} there, "
                f"{self.plan.spec_hash} now; changed: {diff or 'unknown'}); existing results left untouched — "
                "use a new --out folder, or delete this one to start over")
        if bool(meta.get("keep_series")) != self.keep_series:
            was = "with" if meta.get("keep_series") else "without"
            raise ConfigError(f"--keep-series: {self.out} was started {was} --keep-series; resume it the same way")
        return meta

    def open(self) -> set[int]:
        """Lock the folder, write the identity on first use, tidy up and return finished run indices."""
        self.check()                    # refuse a foreign folder before creating anything in it
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            meta = self.check()         # again, now that no other sweep can write here
        except ConfigError:
            self.close()
            raise
        if meta is None:
            _atomic_write_table(_design_arrow(self.plan), self.out / "design.parquet")
            _atomic_write_text(json.dumps(self._meta(), indent=2, default=str) + "\n", self.out / "sweep.json")
        self.runs_dir.mkdir(exist_ok=True)
        if self.keep_series:
            self.series_dir.mkdir(exist_ok=True)
        for folder in (self.out, self.runs_dir, self.series_dir):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)   # half-written by a killed process
        done = self.done_runs()
        if self.series_dir.is_dir():   # series written just before a kill, whose runs part never landed
            finished = {p.name for p in _part_files(self.runs_dir)}
            for p in _part_files(self.series_dir):
                if p.name not in finished:
                    p.unlink(missing_ok=True)
        return done

    def _lock(self) -> None:
        fh = open(self.out / ".lock", "a+")  # noqa: SIM115 - held for the whole sweep
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            who = fh.read().strip() or "?"
            fh.close()
            raise SweepLockedError(f"--out {self.out}: another sweep (pid {who}) is writing there; "
                                   "wait for it to finish or stop it") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock_fh = fh

    def _meta(self) -> dict[str, Any]:
        p = self.plan
        return {
            "format": FORMAT_VERSION,
            "hash": p.spec_hash,
            "name": p.spec.name,
            "description": p.spec.description,
            "source": str(p.source) if p.source else None,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "design": p.spec.design.kind,
            "second_order": p.spec.design.second_order,
            "points": p.n_points,
            "replicates": p.spec.replicates,
            "runs": p.n_runs,
            "seed": p.spec.seed,
            "seed_scheme": "run i: sim.replicate_seed(seed, i); point = i // replicates, replicate = i % replicates",
            "incumbent": p.incumbent,
            "challenger": p.challenger,
            "advantage": ADVANTAGE,
            "factors": [{"name": f.name, "section": f.section, "path": f.path, "kind": f.kind,
                         "low": f.spec.low, "high": f.spec.high,
                         "values": list(f.spec.values) if f.spec.values is not None else None}
                        for f in p.factors],
            "outcomes": list(p.outcomes),
            "keep_series": self.keep_series,
            "spec": p.spec.model_dump(mode="json"),
            "identity": p.identity,
        }

    def done_runs(self) -> set[int]:
        """Run indices already on disk (any part file, duplicates collapse)."""
        import pyarrow.parquet as pq

        done: set[int] = set()
        for part in _part_files(self.runs_dir):
            try:
                done.update(pq.read_table(part, columns=["run"]).column("run").to_pylist())
            except Exception as err:  # a damaged file: leave it alone, redo its runs
                print(f"warning: skipping unreadable {part}: {err}", file=sys.stderr)
        return done

    # -------------------------------------------------------------- writing
    def add(self, row: dict[str, Any], series: Any = None) -> None:
        """Buffer one finished run."""
        self._rows.append(row)
        if series is not None:
            self._series.append(series)

    def due(self) -> bool:
        """True when the buffer should go to disk (enough rows, or enough time since the last write)."""
        return bool(self._rows) and (len(self._rows) >= self.batch_rows
                                     or time.monotonic() - self._last_flush >= self.flush_seconds)

    def flush(self) -> None:
        """Write buffered runs as one new part (series first, so a runs row implies its series)."""
        self._last_flush = time.monotonic()
        if not self._rows:
            return
        import pyarrow as pa

        rows, series = self._rows, self._series
        self._rows, self._series = [], []
        rows.sort(key=lambda r: r["run"])
        name = f"part-{rows[0]['run']:09d}-{uuid.uuid4().hex[:8]}.parquet"
        if self.keep_series and series:
            import pandas as pd

            frame = pd.concat(series, ignore_index=True).sort_values(["run", "week", "seller"], kind="stable")
            _atomic_write_table(pa.Table.from_pandas(frame, preserve_index=False), self.series_dir / name)
        _atomic_write_table(pa.Table.from_pylist(rows, schema=self._schema), self.runs_dir / name)
        self.parts_written += 1

    def compact(self) -> bool:
        """Merge all part files into one (per folder), dropping duplicate runs; True if it did.

        Safe at any point of interruption: the merged file is written under a tmp name and renamed
        into place before the parts it replaces are deleted, so a kill leaves either the old parts,
        or the old parts plus the merged file (duplicates, which readers and the next compaction
        drop). A merged series file is renamed into place before its runs file, so an interrupted
        merge leaves an orphan series file, which :meth:`open` removes.
        """
        self.flush()
        runs_parts = _part_files(self.runs_dir)
        if len(runs_parts) <= 1:
            return False
        import pyarrow.parquet as pq

        first = min(pq.read_table(p, columns=["run"]).column("run").to_numpy().min() for p in runs_parts)
        name = f"part-{int(first):09d}-{uuid.uuid4().hex[:8]}.parquet"
        names = {p.name for p in runs_parts}
        series_parts = [p for p in _part_files(self.series_dir) if p.name in names] if self.keep_series else []
        try:
            if series_parts:
                _merge_parts(series_parts, self.series_dir / name)
            _merge_parts(runs_parts, self.runs_dir / name)
        except Exception as err:  # keep the parts as they are; merging is only a convenience
            print(f"warning: could not merge part files ({err.__class__.__name__}: {err})", file=sys.stderr)
            (self.series_dir / name).unlink(missing_ok=True)
            return False
        for p in runs_parts + series_parts:
            p.unlink(missing_ok=True)
        return True

    def close(self) -> None:
        """Flush and release the lock."""
        try:
            self.flush()
        finally:
            if self._lock_fh is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
                self._lock_fh.close()
                self._lock_fh = None


def _merge_parts(parts: list[Path], target: Path) -> None:
    """Stream ``parts`` into one Parquet file (tmp name, fsync, rename), keeping each run once."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    seen: set[int] = set()
    writer = None
    try:
        with open(tmp, "wb") as fh:
            for part in parts:
                table = pq.read_table(part)
                runs = table.column("run")
                if seen:
                    table = table.filter(pc.invert(pc.is_in(runs, value_set=pa.array(sorted(seen), pa.int64()))))
                seen.update(pc.unique(runs).to_pylist())
                if writer is None:
                    writer = pq.ParquetWriter(fh, table.schema)
                writer.write_table(table)
            if writer is not None:
                writer.close()
                writer = None
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)


def _identity_diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    out = []
    for key in ("spec", "base_config"):
        x, y = a.get(key) or {}, b.get(key) or {}
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                out.append(k if key == "spec" else f"base scenario {k}")
    for key in ("design_sha256", "outcomes", "sim_version", "format"):
        if a.get(key) != b.get(key) and not out:
            out.append({"design_sha256": "design points"}.get(key, key))
    return ", ".join(out)


def _design_arrow(plan: SweepPlan) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(plan.design, preserve_index=False)


# ================================================================================ running a sweep
@dataclass
class SweepReport:
    """What :func:`run_sweep` did.

    Attributes:
        out: output folder.
        total: runs in the sweep.
        already_done: runs found on disk at start.
        completed: runs finished now.
        failed: run index -> error text (those runs are retried on the next resume).
        interrupted: stopped by Ctrl-C / SIGTERM before the end.
        aborted: why the executor gave up early (None if it did not).
        compacted: the part files were merged at the end.
        parts_written: part files written while running (before any merge).
        seconds: wall time of the run phase.
        executor: where the runs executed.
    """

    out: Path
    total: int
    already_done: int = 0
    completed: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    interrupted: bool = False
    seconds: float = 0.0
    executor: str = ""
    aborted: str | None = None
    compacted: bool = False
    parts_written: int = 0

    @property
    def done(self) -> int:
        """Runs on disk now."""
        return self.already_done + self.completed

    @property
    def complete(self) -> bool:
        """Every run of the sweep is on disk."""
        return self.done >= self.total

    def line(self) -> str:
        """A one-line account for the terminal."""
        rate = self.completed / self.seconds * 60 if self.seconds > 0 else 0.0
        text = (f"{self.done} of {self.total} runs on disk ({self.completed} now, {self.already_done} resumed) "
                f"in {self.seconds:.1f} s ({rate:,.0f} runs/min) on {self.executor}")
        if self.aborted:
            text += f"; stopped early: {self.aborted}"
        if self.failed:
            first = min(self.failed)
            text += f"; {len(self.failed)} failed (run {first}: {self.failed[first]})"
        return text


def _items(plan: SweepPlan, pending: list[int], chunk: int) -> Iterator[list[RunItem]]:
    batch: list[RunItem] = []
    for run_index in pending:
        point, rep, seed = plan.locate(run_index)
        params = plan.point_params(point)
        updates = {f.path: params[f.name] for f in plan.factors}
        batch.append(RunItem(run_index, point, rep, seed, params, updates))
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch


class _Aborted(Exception):
    """The executor cannot go on (workers keep dying)."""


class _Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not caught by `except Exception`
    """SIGTERM arrived."""


def run_sweep(plan: SweepPlan, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
              keep_series: bool = False, chunk: int = 1, progress: bool = True,
              flush_seconds: float = 2.0, batch_rows: int = 200, max_pool_restarts: int = 3, compact: bool = True,
              callback: Callable[[int, int], None] | None = None) -> SweepReport:
    """Run every missing run of ``plan`` into ``out`` (resuming whatever is already there).

    Args:
        plan: from :func:`plan_sweep`.
        out: output folder (created; must be new, empty, or hold this same sweep).
        workers: local worker processes (1 = in this process); size of the cluster for ``scheduler="local"``.
        scheduler: ``tcp://host:port`` of a Dask scheduler, or ``"local"`` for a local Dask cluster.
        keep_series: also write the weekly tables to ``out/series/``.
        chunk: runs per task (1 streams best; larger amortises scheduling overhead for tiny runs).
        progress: show a progress bar (runs done, rate, ETA) on stderr.
        flush_seconds: write finished runs at least this often.
        batch_rows: ... or whenever this many are waiting.
        max_pool_restarts: how often a local pool whose worker died is replaced before giving up.
        compact: once every run is on disk, merge the part files into one (per folder).
        callback: ``callback(done, total)`` after each finished run (benchmarks, notebooks).

    Returns:
        A :class:`SweepReport`. Failed runs are not written, so a later call retries them.

    Raises:
        ConfigError: the folder belongs to another sweep, is locked, or the scheduler is unreachable.
    """
    from tqdm import tqdm

    from .executors import is_broken_pool, make_executor

    if chunk < 1:
        raise ConfigError(f"--chunk = {chunk}: must be at least 1")
    store = RunStore(out, plan, keep_series=keep_series, batch_rows=batch_rows, flush_seconds=flush_seconds)
    store.check()      # refuse before starting any worker
    report = SweepReport(Path(out), plan.n_runs)
    executor = make_executor(workers, scheduler)
    report.executor = executor.describe()
    bar = None
    previous = _sigterm_as_interrupt()
    try:
        done = store.open()
        report.already_done = len(done & set(range(plan.n_runs)))
        pending = [i for i in range(plan.n_runs) if i not in done]
        bar = tqdm(total=plan.n_runs, initial=report.already_done, desc=plan.spec.name, unit="run",
                   file=sys.stderr, disable=not progress, dynamic_ncols=True, smoothing=0.05,
                   mininterval=0.5 if sys.stderr.isatty() else 10.0)   # log files: a line every 10 s
        start = time.monotonic()
        finished: queue.Queue = queue.Queue()
        batches = _items(plan, pending, chunk)
        inflight: dict[Any, tuple[list[RunItem], int, int]] = {}   # future -> (items, tries, pool generation)
        retry: list[tuple[list[RunItem], int]] = []
        generation, restarts = 0, 0

        ctx = RunContext(plan.base, plan.outcomes, plan.aliases, plan.incumbent, plan.challenger, keep_series)

        def replace_pool() -> None:
            """A local worker died: start a new pool; tasks of the old one are queued again."""
            nonlocal generation, restarts
            restarts += 1
            if restarts > max_pool_restarts:
                raise _Aborted(f"worker processes died {restarts} times; giving up")
            executor.restart()
            generation += 1
            for other, (o_items, o_tries, _gen) in list(inflight.items()):
                del inflight[other]
                retry.append((o_items, o_tries + 1))

        def submit(items: list[RunItem], tries: int) -> None:
            try:
                try:
                    fut = executor.submit(run_batch, ctx, items)
                except Exception as err:
                    if not is_broken_pool(err):
                        raise
                    replace_pool()
                    fut = executor.submit(run_batch, ctx, items)
            except _Aborted:
                raise
            except Exception as err:   # e.g. the Dask scheduler went away
                raise _Aborted(f"cannot submit runs ({err.__class__.__name__}: {' '.join(str(err).split())})") from None
            inflight[fut] = (items, tries, generation)
            fut.add_done_callback(finished.put)

        exhausted = False
        try:
            while True:
                while len(inflight) < executor.slots and (retry or not exhausted):
                    if retry:
                        submit(*retry.pop())
                        continue
                    nxt = next(batches, None)
                    if nxt is None:
                        exhausted = True
                        break
                    submit(nxt, 0)
                if not inflight:
                    break
                try:
                    fut = finished.get(timeout=max(0.05, min(0.5, flush_seconds)))
                except queue.Empty:
                    if store.due():
                        store.flush()
                    continue
                entry = inflight.pop(fut, None)
                if entry is None:   # a task of a replaced pool, already queued for a retry
                    continue
                items, tries, gen = entry
                try:
                    results = fut.result()
                except (KeyboardInterrupt, SystemExit, _Interrupted):
                    raise
                except BaseException as err:   # includes asyncio.CancelledError from a lost Dask scheduler
                    if is_broken_pool(err) and tries < 2:
                        if gen == generation:
                            replace_pool()   # the other tasks of the old pool are queued again, too
                        retry.append((items, tries + 1))
                        continue
                    text = f"{err.__class__.__name__}: {' '.join(str(err).split())}"
                    results = [(it.run, None, None, text) for it in items]
                for run_index, row, series, error in results:
                    if error is not None or row is None:
                        report.failed[run_index] = error or "no result"
                        continue
                    store.add(row, series)
                    report.completed += 1
                    bar.update(1)
                    if callback is not None:
                        callback(report.done, plan.n_runs)
                if store.due():
                    store.flush()
        except (KeyboardInterrupt, _Interrupted):
            report.interrupted = True
        except _Aborted as err:
            report.aborted = str(err)
        report.seconds = time.monotonic() - start
        if compact and not (report.interrupted or report.aborted or report.failed):
            try:
                store.flush()
                if report.already_done + report.completed >= plan.n_runs:
                    report.compacted = store.compact()
            except (KeyboardInterrupt, _Interrupted):
                report.interrupted = True
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if bar is not None:
            bar.close()
        try:
            store.close()
        finally:
            report.parts_written = store.parts_written
            executor.close(cancel=True)
    return report


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise _Interrupted()


def _sigterm_as_interrupt() -> Any:
    """SIGTERM stops the sweep like Ctrl-C (flush what is done, then exit) — main thread only."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


# ================================================================================ reading results
def load_runs(out: str | Path) -> Any:
    """The runs table of a sweep folder: one row per run, duplicates dropped, sorted by run index."""
    import pandas as pd
    import pyarrow.parquet as pq

    parts = _part_files(Path(out) / "runs")
    if not parts:
        return pd.DataFrame(columns=list(RESERVED_COLUMNS))
    frame = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    return frame.drop_duplicates("run").sort_values("run", kind="stable").reset_index(drop=True)


def load_series(out: str | Path) -> Any:
    """The weekly tables kept with ``--keep-series`` (one row per run x week x seller)."""
    import pandas as pd
    import pyarrow.parquet as pq

    parts = _part_files(Path(out) / "series")
    if not parts:
        return pd.DataFrame(columns=["run", "point", "replicate", "week", "seller", "strategy"])
    frame = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    return (frame.drop_duplicates(["run", "week", "seller"])
            .sort_values(["run", "week", "seller"], kind="stable").reset_index(drop=True))


# ================================================================================ command line
def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``sweep`` (for :func:`register_cli` or ``sim.cli.COMMANDS``)."""
    p.add_argument("sweep_file", metavar="SWEEP_YAML",
                   help="a sweep file (see configs/sweeps/), or the name of a shipped one (e.g. smoke)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: results/sweeps/<sweep name>/)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: all CPUs; 1 = run in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://HOST:PORT of a running 'dask scheduler', "
                   "or 'local' to start a local Dask cluster of --workers processes")
    p.add_argument("--keep-series", action="store_true", help="also keep the weekly tables (DIR/series/)")
    p.add_argument("--chunk", type=int, default=1, metavar="K", help="runs per task (default 1)")
    p.add_argument("--dry-run", action="store_true", help="check the sweep file, print its size, run nothing")
    p.add_argument("--list-outcomes", action="store_true", help="print the outcome names a sweep may keep, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar, print nothing on success")


def add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``analyze`` (for :func:`register_cli` or ``sim.cli.COMMANDS``)."""
    p.add_argument("out", type=Path, metavar="DIR", help="a sweep output folder")
    p.add_argument("--outcome", dest="outcomes", action="append", default=None, metavar="NAME",
                   help=f"outcome for indices and maps (repeatable; default {ADVANTAGE})")
    p.add_argument("--no-plots", action="store_true", help="tables only, no PNG figures")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


SWEEP_HELP = "run (or resume) a parameter sweep into a Parquet dataset"
ANALYZE_HELP = "summarise a sweep: intervals, winner maps, Sobol indices"


def _error(message: str) -> int:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    return EXIT_USAGE


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep SWEEP_YAML --out DIR``: run (or resume) a sweep; exit 0 when every run is on disk."""
    from .executors import default_workers

    try:
        spec, source = load_sweep(args.sweep_file)
        try:
            plan = plan_sweep(spec, source, check_outcomes=not args.list_outcomes)
        except ConfigError as err:
            raise ConfigError(f"{source.name}: {err}") from None
        if args.list_outcomes:
            print("\n".join(known_outcomes(load_scenario_unaliased(plan.base, plan.aliases))))
            return EXIT_OK
        out = args.out if args.out is not None else Path("results") / "sweeps" / _safe(spec.name)
        if args.dry_run:
            RunStore(out, plan, keep_series=args.keep_series).check()
            print(plan.describe())
            return EXIT_OK
        workers = args.workers if args.workers is not None else default_workers()
        if not args.quiet:
            print(plan.describe(), file=sys.stderr, flush=True)
        report = run_sweep(plan, out, workers=workers, scheduler=args.scheduler, keep_series=args.keep_series,
                           chunk=args.chunk, progress=not args.quiet)
    except ConfigError as err:
        return _error(str(err))
    except OSError as err:
        print(f"error: {err.strerror or err}: {getattr(err, 'filename', '') or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_FAILURE
    if report.interrupted:
        print(f"interrupted: {report.line()}; run the same command again to finish the missing runs",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if not report.complete:
        print(f"error: {report.line()}; run the same command again to retry the missing runs", file=sys.stderr)
        return EXIT_FAILURE
    if not args.quiet:
        print(report.line())
        print(f"Results in {out}/runs/ — python -m sim analyze {out}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    """``analyze DIR``: per-point means and intervals, Sobol indices, winner maps into ``DIR/analysis/``."""
    from .analysis import analyze, format_report

    try:
        result = analyze(args.out, outcomes=args.outcomes, plots=not args.no_plots)
    except ConfigError as err:
        return _error(str(err))
    if not args.quiet:
        print(format_report(result))
    return EXIT_OK


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "sweep"


def register_cli(subparsers: Any) -> None:
    """Add the ``sweep`` and ``analyze`` subcommands to an argparse ``add_subparsers()`` object.

    Each sub-parser gets ``handler=cmd_sweep`` / ``handler=cmd_analyze`` (``handler(args) -> exit code``).
    """
    p = subparsers.add_parser("sweep", help=SWEEP_HELP, description=SWEEP_HELP[:1].upper() + SWEEP_HELP[1:] + ".")
    add_sweep_arguments(p)
    p.set_defaults(handler=cmd_sweep)
    p = subparsers.add_parser("analyze", help=ANALYZE_HELP,
                              description=ANALYZE_HELP[:1].upper() + ANALYZE_HELP[1:] + ".")
    add_analyze_arguments(p)
    p.set_defaults(handler=cmd_analyze)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.sweep [sweep] SWEEP_YAML ...`` / ``python -m sim.sweep analyze DIR``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("sweep", "analyze", "-h", "--help"):
        argv.insert(0, "sweep")
    parser = argparse.ArgumentParser(prog="python -m sim.sweep", description="Parameter sweeps and their analysis.")
    register_cli(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
