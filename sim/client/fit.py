"""A simple calibration of a client's market: free constants that reproduce its observed figures.

The fit looks for market constants with which the client's current way of selling reproduces its
observed funnel ratios and repeat-customer share.

Owns: the search (a Latin-hypercube design over the free constants of :mod:`sim.client.targets`,
then smaller designs around the best point so far, then the best few re-run with more seeds) and
its result, :class:`Calibration` (the table of observed versus fitted figures, the constants, the
seeds, ``calibration.json`` and the calibrated scenario YAML). Data no setting reaches are refused
with one line naming the figure (:class:`UnreachableError`).

Every candidate is run with the same seeds (common random numbers), so candidates differ only by
their constants; which executor runs a candidate never changes its figures.

This is the simple fit issue 11 asks for until the calibration machinery of issue 10
(``python -m sim calibrate``: history matching over shipped priors) exists; then
:func:`calibrate` should draw its ranges from those priors and its search from that machinery.

Must not: word results for people (:mod:`sim.narrate.client`), draw, or change the model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .. import __version__
from ..atomic import write_text
from ..config import WEEKS_PER_YEAR, Config
from ..errors import ConfigError
from ..experiments.executors import make_executor
from ..model.runner import replicate_seed
from .schema import CLIENT_GROUP, ClientMarket, client_config
from .targets import (
    FIGURES,
    FREE_CONSTANTS,
    figures_from_counts,
    free_constants,
    measure,
    observed_figures,
    tolerance_of,
)

__all__ = ["Design", "Calibration", "UnreachableError", "calibrate", "unreachable_message",
           # re-exported from sim.client.targets, where they live
           "FIGURES", "FREE_CONSTANTS", "free_constants", "measure", "figures_from_counts", "observed_figures"]


def _loss(figures: dict[str, float], observed: dict[str, float], tolerances: dict[str, float]) -> float:
    """Sum of squared deviations in units of each fitted figure's tolerance (<= 1 each when all fit)."""
    return float(sum(((figures[f.name] - observed[f.name]) / tolerances[f.name]) ** 2 for f in FIGURES if f.fitted))


@dataclass(frozen=True)
class Design:
    """How hard the fit searches (defaults: about 350 one-year runs, well under a minute on 2 cores).

    Attributes:
        points: candidates of the first, space-filling design over the whole ranges.
        refine_rounds: designs around the best point so far, each in a smaller box.
        refine_points: candidates per refinement.
        shrink: half-width of the first refinement box (share of each range); each round halves it.
        replicates: seeds per candidate during the search.
        final_candidates: the best few, re-run with ``final_replicates`` seeds; the best of them wins.
        final_replicates: seeds of the final check (the reported fit).
    """

    points: int = 96
    refine_rounds: int = 3
    refine_points: int = 24
    shrink: float = 0.2
    replicates: int = 2
    final_candidates: int = 3
    final_replicates: int = 5

    def __post_init__(self) -> None:
        for name in ("points", "replicates", "final_candidates", "final_replicates"):
            if getattr(self, name) < 1:
                raise ConfigError(f"design {name} = {getattr(self, name)}: must be at least 1")
        if self.refine_rounds < 0 or self.refine_points < 1:
            raise ConfigError("design: refine_rounds must be >= 0 and refine_points >= 1")
        if not 0 < self.shrink <= 0.5:
            raise ConfigError(f"design shrink = {self.shrink}: must be in (0, 0.5]")

    @property
    def runs(self) -> int:
        """Model runs of the whole fit."""
        return (self.points + self.refine_rounds * self.refine_points) * self.replicates + \
            self.final_candidates * self.final_replicates


@dataclass
class Calibration:
    """What the fit found for one client.

    Attributes:
        client: the client market.
        constants: fitted (and held) free constants by MarketConfig name.
        figures: one row per figure of :data:`FIGURES`: name, label, observed, fitted, tolerance, within, fitted_by_fit.
        seeds: the seeds of the final check (the reported fit).
        design: the search settings.
        tried: candidates evaluated.
        seconds: wall time of the fit.
    """

    client: ClientMarket
    constants: dict[str, float]
    figures: list[dict[str, Any]]
    seeds: list[int]
    design: Design
    tried: int
    seconds: float
    workers: int = 1
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def accepted(self) -> bool:
        """True when every fitted figure is within its tolerance."""
        return all(f["within"] for f in self.figures if f["fitted_by_calibration"])

    @property
    def misfits(self) -> list[dict[str, Any]]:
        """Fitted figures outside their tolerance, worst first."""
        bad = [f for f in self.figures if f["fitted_by_calibration"] and not f["within"]]
        return sorted(bad, key=lambda f: -abs(f["fitted"] - f["observed"]) / f["tolerance"])

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Checked, not fitted, figures outside their tolerance (leads per seller)."""
        return [f for f in self.figures if not f["fitted_by_calibration"] and not f["within"]]

    def config(self, weeks: int, strategy: Any = None, seed: int | None = None) -> Config:
        """The calibrated market as a Config; the client's sellers sell by ``strategy`` (default: current)."""
        return client_config(self.client, self.client.current if strategy is None else strategy,
                             self.constants, weeks=weeks, seed=seed)

    def table(self) -> Any:
        """The calibration table as a pandas DataFrame (observed, fitted, tolerance, ok)."""
        import pandas as pd

        rows = [{"figure": f["label"], "observed": f["observed"], "fitted": f["fitted"], "tolerance": f["tolerance"],
                 "ok": f["within"]} for f in self.figures]
        return pd.DataFrame(rows).set_index("figure")

    def to_dict(self) -> dict[str, Any]:
        """Everything ``calibration.json`` holds."""
        client = self.client
        held = {c.name: client.market[c.name] for c in FREE_CONSTANTS if c.name in client.market}
        return {
            "client": client.name,
            "model_version": __version__,
            "accepted": self.accepted,
            "observed_year": client.observed_year,
            "figures": self.figures,
            "constants": self.constants,
            "held_by_client": held,
            "ranges": {c.name: {"low": c.low, "high": c.high, "log": c.log, "reason": c.reason}
                       for c in free_constants(client)},
            "seeds": self.seeds,
            "base_seed": client.seed,
            "search": {"points": self.design.points, "refine_rounds": self.design.refine_rounds,
                       "refine_points": self.design.refine_points, "replicates": self.design.replicates,
                       "final_candidates": self.design.final_candidates,
                       "final_replicates": self.design.final_replicates, "candidates_tried": self.tried,
                       "model_runs": self.design.runs, "workers": self.workers, "seconds": round(self.seconds, 1)},
            "measure": (f"the client's sellers in simulated year {client.observed_year} (weeks "
                        f"{(client.observed_year - 1) * WEEKS_PER_YEAR + 1}-{client.observed_year * WEEKS_PER_YEAR}) "
                        "of a market that starts with nobody having bought; counts summed over the client's "
                        "sellers and the seeds, then divided"),
        }

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write ``calibration.json`` and, when accepted, the calibrated ``scenario.yaml`` (atomically)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"calibration": write_text(out / "calibration.json", json.dumps(self.to_dict(), indent=2) + "\n")}
        if self.accepted:
            paths["scenario"] = write_text(out / "scenario.yaml", self.scenario_yaml())
        return paths

    def scenario_yaml(self, weeks: int = 10 * WEEKS_PER_YEAR) -> str:
        """The calibrated market (current way of selling) as a scenario file for ``python -m sim run``."""
        data = self.config(weeks).model_dump(mode="json")
        fitted = ", ".join(f"{k} = {v:.4g}" for k, v in self.constants.items())
        head = (f"# The market of {self.client.name}, calibrated by 'python -m sim client' (model {__version__}).\n"
                f"# Fitted constants: {fitted}.\n"
                f"# The client's sellers are the '{CLIENT_GROUP}' group, selling the current way; "
                "run it with: python -m sim run THIS_FILE\n")
        return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class UnreachableError(ConfigError):
    """The best setting found leaves a figure outside its tolerance; the message names it."""

    def __init__(self, message: str, calibration: Calibration) -> None:
        super().__init__(message)
        self.calibration = calibration


def _lhs(n: int, d: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    if d == 0:
        return np.zeros((1, 0))
    return qmc.LatinHypercube(d=d, seed=seed).random(n)


def _evaluate_all(configs: list[Config], seeds: list[int], year: int, executor: Any) -> list[dict[str, float]]:
    futures = [executor.submit(measure, cfg, seeds, year) for cfg in configs]
    return [f.result() for f in futures]


def calibrate(client: ClientMarket, design: Design | None = None, workers: int = 1, scheduler: str | None = None,
              progress: Callable[[str], None] | None = None, refuse: bool = True) -> Calibration:
    """Fit the free constants so that the client's current way of selling reproduces its figures.

    Args:
        client: the client market.
        design: how hard to search (default :class:`Design`).
        workers: local processes running candidates at once (1 = in this process).
        scheduler: a Dask scheduler address instead (see :mod:`sim.experiments.executors`).
        progress: called with a short line after each stage.
        refuse: raise :class:`UnreachableError` when a fitted figure stays outside its tolerance.

    Returns:
        The :class:`Calibration` (also when not accepted, if ``refuse`` is False).

    Raises:
        UnreachableError: no setting found reproduces every fitted figure (names the figure and how far).
    """
    design = design or Design()
    start = time.perf_counter()
    free = free_constants(client)
    observed = observed_figures(client)
    tolerances = {f.name: tolerance_of(client, f, observed[f.name]) for f in FIGURES}
    weeks = client.observed_year * WEEKS_PER_YEAR
    search_seeds = [replicate_seed(client.seed, i) for i in range(design.replicates)]
    final_seeds = [replicate_seed(client.seed, i) for i in range(design.final_replicates)]
    say = progress or (lambda _line: None)

    def constants_at(u: np.ndarray) -> dict[str, float]:
        return {c.name: c.value(float(x)) for c, x in zip(free, u, strict=True)}

    def configs_at(points: np.ndarray) -> list[Config]:
        return [client_config(client, client.current, constants_at(u), weeks) for u in points]

    tried: list[tuple[float, np.ndarray]] = []
    history: list[dict[str, Any]] = []
    with make_executor(workers, scheduler) as executor:
        def stage(points: np.ndarray, label: str) -> None:
            for u, counts in zip(points, _evaluate_all(configs_at(points), search_seeds, client.observed_year,
                                                       executor), strict=True):
                figs = figures_from_counts(counts)
                tried.append((_loss(figs, observed, tolerances), u))
                history.append({"stage": label, "constants": constants_at(u), "figures": figs})
            best = min(tried, key=lambda t: t[0])
            say(f"{label}: {len(points)} candidates, best so far {_describe(constants_at(best[1]))}")

        stage(_lhs(design.points, len(free), client.seed), "design")
        half = design.shrink
        for r in range(design.refine_rounds if free else 0):
            centre = min(tried, key=lambda t: t[0])[1]
            low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
            points = low + _lhs(design.refine_points, len(free), client.seed + r + 1) * (high - low)
            stage(points, f"refine {r + 1}")
            half /= 2
        best = sorted(tried, key=lambda t: t[0])[: design.final_candidates]
        finals = _evaluate_all(configs_at(np.array([u for _, u in best])), final_seeds, client.observed_year,
                               executor)
    scored = []
    for (_, u), counts in zip(best, finals, strict=True):
        figs = figures_from_counts(counts)
        scored.append((_loss(figs, observed, tolerances), u, figs))
    _, u, figs = min(scored, key=lambda t: t[0])
    constants = {**constants_at(u), **{c.name: float(client.market[c.name]) for c in FREE_CONSTANTS
                                       if c.name in client.market}}
    rows = []
    for f in FIGURES:
        obs, fit, tol = observed[f.name], figs[f.name], tolerances[f.name]
        rows.append({"figure": f.name, "label": f.label, "observed": obs, "fitted": fit, "tolerance": tol,
                     "tolerance_kind": "relative" if f.relative else "absolute",
                     "within": bool(abs(fit - obs) <= tol), "fitted_by_calibration": f.fitted})
    cal = Calibration(client, constants, rows, final_seeds, design, len(tried),
                      time.perf_counter() - start, workers=getattr(executor, "workers", workers), history=history)
    if refuse and not cal.accepted:
        raise UnreachableError(unreachable_message(cal), cal)
    return cal


def _describe(constants: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3g}" for k, v in constants.items()) or "(nothing to fit)"


def unreachable_message(cal: Calibration) -> str:
    """One line: which figure no setting reaches, how far the best fit is, and what was searched."""
    parts = []
    for f in cal.misfits:
        gap = f["fitted"] - f["observed"]
        far = (f"{gap / f['observed']:+.0%}" if f["tolerance_kind"] == "relative" and f["observed"]
               else f"{gap:+.3f}")
        allowed = (f"±{f['tolerance'] / f['observed']:.0%}" if f["tolerance_kind"] == "relative" and f["observed"]
                   else f"±{f['tolerance']:.3f}")
        parts.append(f"{f['figure']} ({f['label']}) = {f['observed']:.3g} observed, best fit {f['fitted']:.3g} "
                     f"({far}, tolerance {allowed})")
    names = ", ".join(c.name for c in free_constants(cal.client)) or "none (all held under market:)"
    return (f"{cal.client.name}: the model cannot reproduce {'; '.join(parts)} with the current way of selling; "
            f"best of {cal.tried} settings of {names} in their ranges")
