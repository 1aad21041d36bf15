"""Calibration targets: the published figures the model should reproduce, and how each is measured.

A target file (``configs/calibration/targets.yaml``) names the scenario and horizon of the
calibration runs and, per target, the figure (a value with a relative or absolute tolerance, or a
band), its sources (title and address or file, and the figure as the source states it), the setting
it comes from, the **measure**: a named function of one finished run, a
:class:`~sim.calibration.markets.RunView` (:data:`MEASURES`: the run's weekly arrays, its model and,
computed on demand, its summary), and whether it decides acceptance (``use: accept``) or is only reported next to
the ensemble (``use: report``, for figures whose setting differs from the model's).

Owns: the schema (:class:`Target`, :class:`TargetFile`), :func:`load_targets` (one-line errors
naming the field, the value and what is allowed) and the measures.

Must not: run the model (a measure reads a finished run), choose design points or write files.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from ..config import CONFIG_DIR, format_validation_error
from ..errors import ConfigError
from ..safeyaml import read_yaml
from ..schema import Settings

__all__ = ["Source", "Target", "TargetFile", "MEASURES", "measure", "load_targets", "TARGETS_FILE",
           "CALIBRATION_DIR", "file_sha256"]

CALIBRATION_DIR = CONFIG_DIR / "calibration"
"""Shipped calibration files: targets, priors and the accepted ensemble."""
TARGETS_FILE = CALIBRATION_DIR / "targets.yaml"
"""The shipped target file."""

Measure = Callable[..., float | None]
MEASURES: dict[str, Measure] = {}
"""Measure name -> ``f(run, **args) -> float | None`` (``run``: a RunView; None: not defined for this run)."""


def measure(fn: Measure) -> Measure:
    """Register ``fn`` in :data:`MEASURES` under its own name."""
    MEASURES[fn.__name__] = fn
    return fn


@measure
def funnel_ratio(results: Any, strategy: str, numerator: str, denominator: str) -> float | None:
    """``numerator / denominator`` of ``strategy``'s first-year funnel (the summary's ``funnel_year1``)."""
    den = results.total(denominator, strategy, 52)
    return float(results.total(numerator, strategy, 52) / den) if den else None


@measure
def review_readers_share(results: Any) -> float:
    """Share of customers who read a seller's reviews before choosing (drawn when the market is built)."""
    return float(np.mean(results.model.customers.reads_reviews))


@measure
def repeat_customer_rate(results: Any) -> float | None:
    """Of the customer-seller pairs with a purchase in the run, the share with two or more purchases.

    Pooled over every seller (the 'average store'); with a 52-week run this is the repeat customer
    rate over one year: customers with 2+ purchases / customers (per seller, then pooled).
    """
    bought = np.asarray(results.model.customers.purchases_with)
    first = int((bought >= 1).sum())
    return float((bought >= 2).sum() / first) if first else None


def _percent(low: float, high: float) -> str:
    return f"{low:.4g}..{high:.4g}"


class Source(Settings):
    """Where a figure comes from."""

    title: str = Field(min_length=1, description="Title of the work (or essay file).")
    url: str | None = Field(None, description="Address where the figure was found.")
    file: str | None = Field(None, description="A file of the project (the seed essays).")
    states: str = Field(min_length=1, description="The figure as the source states it (paraphrased).")

    @model_validator(mode="after")
    def _where(self) -> Source:
        if not self.url and not self.file:
            raise ValueError("a source needs url or file")
        return self


class Target(Settings):
    """One figure the model should reproduce, the measure that compares it and its tolerance."""

    description: str = Field(min_length=1, description="What the figure is, in one line.")
    value: float | None = Field(None, description="The figure (with relative or absolute).")
    relative: float | None = Field(None, gt=0.0, le=10.0, description="Tolerance as a fraction of value (0.25 = ±25%).")
    absolute: float | None = Field(None, gt=0.0, description="Tolerance in the measure's unit (0.01 = ±1 point).")
    band: tuple[float, float] | None = Field(None, description="[low, high] instead of value and tolerance.")
    measure: str = Field(description="Name of the measure (see sim.calibration.targets.MEASURES).")
    args: dict[str, str | float | int] = Field(default_factory=dict, description="Arguments of the measure.")
    use: Literal["accept", "report"] = Field("accept", description="accept: a member must meet it; report: shown only.")
    setting: str = Field(min_length=1, description="Where the figure was observed, and how it differs from the model.")
    sources: tuple[Source, ...] = Field(min_length=1, description="Where the figure comes from.")

    @model_validator(mode="after")
    def _check(self) -> Target:
        if self.band is not None:
            if self.value is not None or self.relative is not None or self.absolute is not None:
                raise ValueError("give either band: [low, high] or value with relative/absolute, not both")
            if not self.band[0] < self.band[1]:
                raise ValueError(f"band = {list(self.band)}: low must be below high")
        else:
            if self.value is None:
                raise ValueError("needs value (with relative or absolute) or band: [low, high]")
            if (self.relative is None) == (self.absolute is None):
                raise ValueError("give exactly one of relative or absolute with value")
        if self.measure not in MEASURES:
            raise ValueError(f"measure = {self.measure!r}: unknown; allowed: {', '.join(sorted(MEASURES))}")
        try:
            inspect.signature(MEASURES[self.measure]).bind(None, **self.args)
        except TypeError as err:
            params = [p for p in inspect.signature(MEASURES[self.measure]).parameters if p != "results"]
            raise ValueError(f"args = {dict(self.args)}: {err}; {self.measure} takes {', '.join(params) or 'none'}") \
                from None
        return self

    @property
    def low(self) -> float:
        """Lowest value within tolerance."""
        if self.band is not None:
            return self.band[0]
        assert self.value is not None
        half = self.value * self.relative if self.relative is not None else self.absolute
        return self.value - abs(half or 0.0)

    @property
    def high(self) -> float:
        """Highest value within tolerance."""
        if self.band is not None:
            return self.band[1]
        assert self.value is not None
        half = self.value * self.relative if self.relative is not None else self.absolute
        return self.value + abs(half or 0.0)

    @property
    def centre(self) -> float:
        """The figure (middle of the band)."""
        return self.value if self.value is not None else 0.5 * (self.low + self.high)

    def distance(self, x: float | None) -> float:
        """Signed distance from the centre in half-widths: within tolerance when ``|d| <= 1`` (inf if undefined)."""
        if x is None or not math.isfinite(x):
            return math.inf
        half = 0.5 * (self.high - self.low)
        mid = 0.5 * (self.high + self.low)
        return (x - mid) / half

    def met(self, x: float | None) -> bool:
        """True when ``x`` is within tolerance."""
        return x is not None and math.isfinite(x) and self.low <= x <= self.high

    def evaluate(self, results: Any) -> float | None:
        """This target's measure of one run."""
        value = MEASURES[self.measure](results, **self.args)
        return None if value is None or not math.isfinite(value) else float(value)

    def band_text(self) -> str:
        """``0.2 ± 25% (0.15..0.25)`` or ``0.2..0.32``."""
        if self.band is not None:
            return _percent(self.low, self.high)
        tol = f"± {self.relative:.0%}" if self.relative is not None else f"± {self.absolute:g}"
        return f"{self.value:g} {tol} ({_percent(self.low, self.high)})"


class TargetFile(Settings):
    """A whole target file."""

    scenario: str = Field("baseline", description="Scenario of the calibration runs (the default market).")
    weeks: int = Field(52, ge=1, le=5200, description="Horizon of the calibration runs (year 1 keeps them cheap).")
    targets: dict[str, Target] = Field(min_length=1, description="Targets by name.")

    @model_validator(mode="after")
    def _some_accept(self) -> TargetFile:
        if not any(t.use == "accept" for t in self.targets.values()):
            raise ValueError("targets: at least one target needs use: accept")
        return self

    @property
    def accepting(self) -> dict[str, Target]:
        """The targets every accepted member must meet."""
        return {k: t for k, t in self.targets.items() if t.use == "accept"}


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (pins an ensemble to the targets and priors it was made with)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_targets(path: str | Path | None = None) -> TargetFile:
    """Read and validate a target file (default: the shipped one).

    Raises:
        ConfigError: unreadable file, unknown key, bad value or unknown measure (one line).
    """
    p = Path(path) if path is not None else TARGETS_FILE
    data = read_yaml(p, "targets file")
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: a targets file must be a mapping (scenario, weeks, targets)")
    try:
        return TargetFile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{p.name}: {format_validation_error(err)}") from None


def targets_identity(targets: TargetFile) -> str:
    """A stable text of the targets (for the identity of a calibration folder)."""
    return json.dumps(targets.model_dump(mode="json"), sort_keys=True)
