"""The sweep file: its schema (factors, design, the whole spec) and :func:`load_sweep`.

A sweep file (YAML, see ``configs/sweeps/`` and ``docs/SWEEPS.md``) names a base scenario, fixed
overrides (``set:``), the **levers** (strategy knobs, ``<group strategy>.<knob>``), the
**uncertainties** (``market.<setting>`` / ``network.<setting>``), a **design** (``grid``, ``lhs`` or
``sobol``), the replicates per design point and the outcomes to keep.

Owns: the pydantic models :class:`Factor`, :class:`Design`, :class:`SweepSpec` (all
:class:`sim.schema.Settings`: unknown keys, NaN/inf and booleans given as numbers are refused),
reading a file (shipped name or path, through :func:`sim.safeyaml.read_yaml`: size, encoding,
nesting, alias and duplicate-key limits) and turning validation errors into one line naming field,
value and what is allowed.

Must not: look at the base scenario (whether a name exists, whether a value fits the model: that
is :mod:`sim.experiments.plan`), build designs, run anything or touch the disk beyond reading the
file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from ..config import CONFIG_DIR, ConfigError
from ..safeyaml import read_yaml
from ..schema import Settings

__all__ = ["Factor", "Design", "SweepSpec", "load_sweep", "SWEEP_DIR"]

SWEEP_DIR = CONFIG_DIR / "sweeps"
"""Where the shipped sweep files live (``configs/sweeps/``)."""
Scalar = bool | int | float | str


class Factor(Settings):
    """One swept parameter: a numeric range ``{low, high}`` or a list of ``values``.

    A plain YAML list is shorthand for ``{values: [...]}``.
    """

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


class Design(Settings):
    """How design points are chosen."""

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


class SweepSpec(Settings):
    """A whole sweep file."""

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

    @field_validator("name", "description")
    @classmethod
    def _printable(cls, value: str, info: Any) -> str:
        allowed = "\n\t" if info.field_name == "description" else ""
        if any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in value):
            raise ValueError("control characters are not allowed")
        if info.field_name == "name" and not 1 <= len(value) <= 200:
            raise ValueError("a name is 1 to 200 characters long")
        return value

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


_SCALAR_TAGS = ("bool", "int", "float", "str")


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
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        value = e.get("input")
        if len(loc) >= 3 and loc[-1] in _SCALAR_TAGS and isinstance(loc[-2], int):   # one entry of values: [..]
            loc = loc[:-1]
            finite = not isinstance(value, float) or math.isfinite(value)
            msg = "expected a number, a boolean or a name" if finite else "NaN and infinity are not allowed"
        where = ".".join(str(p) for p in loc) or "sweep"
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            lines.append(f"{where}: unknown setting" + (f"; allowed: {', '.join(allowed)}" if allowed else ""))
        elif e["type"] == "missing":
            lines.append(f"{where}: required setting is missing")
        elif isinstance(value, (dict, list, tuple)) or value is None:
            lines.append(f"{where}: {msg}")
        else:
            lines.append(f"{where} = {_shown(repr(value), 80)}: {msg}")
    return "; ".join(dict.fromkeys(lines))


def load_sweep(path: str | Path) -> tuple[SweepSpec, Path]:
    """Read and validate a sweep file (a path, or the name of a file in ``configs/sweeps/``).

    Returns:
        The spec and the resolved file path.

    Raises:
        ConfigError: missing file, a directory, a file too large, binary or not UTF-8, bad YAML
            (aliases, nesting, duplicate keys) or an invalid setting (one-line message).
    """
    text = str(path)
    if not text.strip():
        raise ConfigError("sweep file = '': give a sweep file (see configs/sweeps/) or the name of a shipped one")
    p = Path(path)
    shipped_file = SWEEP_DIR / f"{text}.yaml"
    if not p.exists() and p.suffix not in (".yaml", ".yml") and "/" not in text and shipped_file.is_file():
        p = shipped_file
    if not p.exists() and not p.is_symlink():
        shipped = ", ".join(sorted(q.stem for q in SWEEP_DIR.glob("*.yaml")))
        raise ConfigError(f"sweep file {_shown(text)!r} does not exist (shipped sweeps: {shipped})")
    data = read_yaml(p, "sweep file")
    if not isinstance(data, dict):
        raise ConfigError(f"{_shown(str(p))}: a sweep file must be a mapping of settings "
                          "(scenario, levers, design, ...)")
    data.setdefault("name", p.stem)
    try:
        return SweepSpec.model_validate(data), p.resolve()
    except ValidationError as err:
        raise ConfigError(f"{_shown(p.name)}: {_format_errors(err)}") from None


def _shown(text: str, limit: int = 120) -> str:
    """A user-given name, shortened for a message (control characters are escaped by the CLI)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
