"""Priors: the plausible range of every market constant that no calibration target fixes directly.

A prior file (``configs/calibration/priors.yaml``) gives, per :class:`~sim.config.MarketConfig`
field, a range (``low``, ``high``, linear or log scale) and a one-line reason; it also lists the
fields that are *not* calibrated, each with why: ``scenario_settings`` (what market it is: size,
hours, price, purchase cycle, switches) and ``fixed_by_targets`` (set directly by a target's figure).
:func:`uncovered_fields` names MarketConfig fields in none of the three lists, so a new model
constant cannot slip past the calibration unnoticed (a test checks it).

Owns: the schema (:class:`Prior`, :class:`PriorFile`), :func:`load_priors` (names must be
MarketConfig fields, ranges inside the field's own bounds; one-line errors) and the map from the
unit cube onto the ranges (:meth:`PriorFile.values`).

Must not: run the model, choose design points or write files.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from ..config import MarketConfig, format_validation_error
from ..errors import ConfigError
from ..safeyaml import read_yaml
from ..schema import Settings
from .targets import CALIBRATION_DIR

__all__ = ["Prior", "PriorFile", "load_priors", "PRIORS_FILE", "uncovered_fields"]

PRIORS_FILE = CALIBRATION_DIR / "priors.yaml"
"""The shipped prior file."""


def _kind(name: str) -> str:
    annotation = MarketConfig.model_fields[name].annotation
    return {float: "float", int: "int", bool: "bool"}.get(annotation, "other")


def _check_in_field(name: str, value: float, label: str) -> None:
    """Raise ValueError if ``value`` is outside MarketConfig.``name``'s own bounds."""
    if _kind(name) == "int" and value != int(value):
        raise ValueError(f"{name}.{label} = {value!r}: {name} is a whole number")
    try:
        MarketConfig.model_validate({name: int(value) if _kind(name) == "int" else value})
    except ValidationError as err:
        e = err.errors()[0]
        desc = MarketConfig.model_fields[name].description or ""
        allowed = desc[desc.rfind("[") + 1: desc.rfind("]")] if "[" in desc else ""
        raise ValueError(f"{name}.{label} = {value!r}: outside the setting's bounds ({e['msg']}"
                         + (f"; allowed {allowed}" if allowed else "") + ")") from None


class Prior(Settings):
    """The plausible range of one market constant."""

    low: float = Field(description="Lower end of the plausible range.")
    high: float = Field(description="Upper end of the plausible range.")
    scale: Literal["linear", "log"] = Field("linear", description="Sample evenly on this scale.")
    reason: str = Field(min_length=1, description="Why this range, in one line.")

    @model_validator(mode="after")
    def _order(self) -> Prior:
        if not self.low < self.high:
            raise ValueError(f"low = {self.low} must be below high = {self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"scale = 'log' needs low > 0 (low = {self.low})")
        return self


class PriorFile(Settings):
    """A whole prior file: ranges, and the fields deliberately left out of the calibration."""

    priors: dict[str, Prior] = Field(min_length=1, description="MarketConfig field -> plausible range.")
    scenario_settings: dict[str, str] = Field(default_factory=dict,
                                              description="Fields the scenario sets (which market), with why.")
    fixed_by_targets: dict[str, str] = Field(default_factory=dict,
                                             description="Fields a target fixes directly -> the target's name.")

    @model_validator(mode="after")
    def _names(self) -> PriorFile:
        fields = MarketConfig.model_fields
        seen: dict[str, str] = {}
        for section in ("priors", "scenario_settings", "fixed_by_targets"):
            for name in getattr(self, section):
                if name not in fields:
                    raise ValueError(f"{section}.{name}: not a market setting; allowed: {', '.join(fields)}")
                if name in seen:
                    raise ValueError(f"{name} is listed under both {seen[name]} and {section}")
                seen[name] = section
        for name, prior in self.priors.items():
            if _kind(name) not in ("float", "int"):
                raise ValueError(f"priors.{name}: a range needs a numeric setting ({name} is not)")
            _check_in_field(name, prior.low, "low")
            _check_in_field(name, prior.high, "high")
        return self

    @property
    def names(self) -> list[str]:
        """Calibrated fields, in file order (the columns of the design)."""
        return list(self.priors)

    def values(self, u: np.ndarray) -> list[dict[str, Any]]:
        """Map points of the unit cube (rows, one column per prior) onto the ranges."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        if u.shape[1] != len(self.priors):
            raise ValueError(f"unit points have {u.shape[1]} columns; the priors have {len(self.priors)}")
        out: list[dict[str, Any]] = [{} for _ in range(len(u))]
        for j, (name, prior) in enumerate(self.priors.items()):
            x = np.clip(u[:, j], 0.0, 1.0)
            if _kind(name) == "int":
                lo, hi = math.ceil(prior.low), math.floor(prior.high)
                col: list[Any] = [int(min(hi, lo + math.floor(v * (hi - lo + 1)))) for v in x]
            elif prior.scale == "log":
                col = [float(math.exp(math.log(prior.low) + v * (math.log(prior.high) - math.log(prior.low))))
                       for v in x]
            else:
                col = [float(prior.low + v * (prior.high - prior.low)) for v in x]
            for i, v in enumerate(col):
                out[i][name] = float(f"{v:.6g}") if isinstance(v, float) else v   # 6 digits: exact in YAML
        return out

    def unit(self, values: dict[str, Any]) -> np.ndarray:
        """Inverse of :meth:`values` for one point (ints map to the middle of their bin)."""
        out = np.empty(len(self.priors))
        for j, (name, prior) in enumerate(self.priors.items()):
            v = float(values[name])
            if _kind(name) == "int":
                lo, hi = math.ceil(prior.low), math.floor(prior.high)
                out[j] = (v - lo + 0.5) / (hi - lo + 1)
            elif prior.scale == "log":
                out[j] = (math.log(v) - math.log(prior.low)) / (math.log(prior.high) - math.log(prior.low))
            else:
                out[j] = (v - prior.low) / (prior.high - prior.low)
        return out


def uncovered_fields(priors: PriorFile) -> list[str]:
    """MarketConfig fields that are neither calibrated, nor a scenario setting, nor fixed by a target."""
    listed = set(priors.priors) | set(priors.scenario_settings) | set(priors.fixed_by_targets)
    return [name for name in MarketConfig.model_fields if name not in listed]


def load_priors(path: str | Path | None = None) -> PriorFile:
    """Read and validate a prior file (default: the shipped one).

    Raises:
        ConfigError: unreadable file, a name that is not a market setting, a range outside the
            setting's bounds, a missing reason (one line).
    """
    p = Path(path) if path is not None else PRIORS_FILE
    data = read_yaml(p, "priors file")
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a priors file must be a mapping (priors, scenario_settings, fixed_by_targets)")
    try:
        return PriorFile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{p.name}: {format_validation_error(err)}") from None
