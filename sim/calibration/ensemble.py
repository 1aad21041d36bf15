"""The accepted ensemble, and the headline over it: in how many plausible markets each strategy wins.

The ensemble file (``configs/calibration/ensemble.yaml``, written by ``make calibrate``) lists the
accepted members: each a set of market constants, its weight (see :mod:`~sim.calibration.matching`),
the seeds it was calibrated with and its measured targets. :func:`run_ensemble` runs a scenario on
every member (the scenario's own market settings win over the member's) and on the scenario as
shipped, with replicates, and :func:`ensemble_headline` reduces the runs to the share of members in
which each strategy wins (a member's winner needs its replicate interval of the log revenue
advantage to exclude zero, else "no clear winner"), and the median and 5-95% range over members of
the long-run revenue ratio and of the crossover week, next to the single market's figures.

Ratios are relationship over numbers game by name (:func:`~sim.calibration.markets.compared_names`),
computed as ``exp`` of the mean log revenue advantage over replicates
(:func:`sim.experiments.outcomes.log_revenue_advantage`: one sale added on both sides), so a ratio and
its interval are never negative.

Owns: the ensemble file's schema, :func:`load_ensemble`, :func:`dump_ensemble`, :func:`run_ensemble`,
:func:`ensemble_headline` (numbers only: the summary's ``sentence`` is
:func:`sim.narrate.evidence.ensemble_sentence`'s). Must not: draw, word a result, or decide what a member is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from ..config import Config, MarketConfig, format_validation_error
from ..errors import ConfigError
from ..narrate.evidence import NO_WINNER, ensemble_sentence
from ..safeyaml import read_yaml
from ..schema import Settings
from .jobs import JobStore, default_chunk, run_jobs
from .markets import compared_names, headline_task, own_market_settings, with_market
from .stats import mean_interval, spread
from .targets import CALIBRATION_DIR

__all__ = ["Member", "EnsembleFile", "ENSEMBLE_FILE", "load_ensemble", "dump_ensemble", "run_ensemble",
           "ensemble_headline", "drivers", "NO_WINNER"]

ENSEMBLE_FILE = CALIBRATION_DIR / "ensemble.yaml"
"""The shipped accepted ensemble."""


class Member(Settings):
    """One accepted set of market constants."""

    id: int = Field(ge=0, description="Design point index in the calibration that accepted it.")
    weight: float = Field(gt=0.0, description="Relative weight (1 / design density; mean 1 over the accepted).")
    seeds: tuple[int, ...] = Field(min_length=1, description="Seeds of its calibration runs.")
    market: dict[str, float | int] = Field(min_length=1, description="Market constants (MarketConfig fields).")
    measures: dict[str, float | None] = Field(default_factory=dict, description="Its targets' measures (means).")

    @model_validator(mode="after")
    def _fields(self) -> Member:
        try:
            MarketConfig.model_validate(self.market)
        except ValidationError as err:
            raise ValueError(f"market: {format_validation_error(err)}") from None
        return self


class EnsembleFile(Settings):
    """A whole ensemble file."""

    format: Literal[1] = Field(1, description="Layout version.")
    scenario: str = Field(description="Calibration scenario (the default market).")
    weeks: int = Field(ge=1, description="Horizon of the calibration runs.")
    sim_version: str = Field(description="Model version that accepted it.")
    targets_sha256: str = Field(description="SHA-256 of the targets file it was calibrated on.")
    priors_sha256: str = Field(description="SHA-256 of the priors file.")
    settings: dict[str, float | int] = Field(default_factory=dict, description="Design sizes and seed.")
    tried: int = Field(ge=1, description="Design points tried.")
    accepted: int = Field(ge=1, description="Points that met every accepted target.")
    members: tuple[Member, ...] = Field(min_length=1, description="The shipped members (accepted, evenly thinned).")

    def selected(self, count: int | None = None) -> list[Member]:
        """``count`` members spread evenly over the file (all when None)."""
        if count is None or count >= len(self.members):
            return list(self.members)
        step = len(self.members) / count
        return [self.members[int(i * step)] for i in range(count)]


def load_ensemble(path: str | Path | None = None) -> EnsembleFile:
    """Read and validate an ensemble file (default: the shipped one).

    Raises:
        ConfigError: missing file (run ``make calibrate``), bad YAML or an invalid member (one line).
    """
    p = Path(path) if path is not None else ENSEMBLE_FILE
    if not p.exists():
        raise ConfigError(f"ensemble file {str(p)!r} does not exist; run 'make calibrate' (or 'python -m sim calibrate "
                          "--ship') to make it")
    data = read_yaml(p, "ensemble file")
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: an ensemble file must be a mapping (members, ...)")
    try:
        return EnsembleFile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{p.name}: {format_validation_error(err)}") from None


def dump_ensemble(calibration: Any) -> str:
    """The ensemble file's text for a :class:`~sim.calibration.matching.Calibration` (stable: no dates)."""
    import yaml

    from .. import __version__

    cal = calibration
    if not cal.members:
        raise ConfigError("no parameter set met every accepted target, so there is no ensemble to write; "
                          "widen the priors or enlarge the design (see docs/CALIBRATION.md)")
    data = {
        "format": 1, "scenario": cal.targets.scenario, "weeks": cal.targets.weeks, "sim_version": __version__,
        "targets_sha256": cal.sources["targets_sha256"], "priors_sha256": cal.sources["priors_sha256"],
        "settings": {k: v for k, v in vars(cal.settings).items()},
        "tried": len(cal.points), "accepted": len(cal.accepted),
        "members": [{"id": m["point"], "weight": m["weight"], "seeds": list(m["seeds"]), "market": dict(m["values"]),
                     "measures": dict(m["measures"])} for m in cal.members],
    }
    EnsembleFile.model_validate(data)   # what is written must load
    head = ("# The accepted ensemble: market constants consistent with every accepted calibration target.\n"
            "# Written by `make calibrate` (python -m sim calibrate --ship); do not edit by hand.\n"
            "# See docs/CALIBRATION.md for the targets, the priors and the method.\n")
    return head + yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True, default_flow_style=None)


def _seed(cfg: Config, r: int) -> int:
    from ..model.runner import replicate_seed

    return replicate_seed(cfg.seed, r)


def run_ensemble(cfg: Config, ensemble: EnsembleFile, out: str | Path, *, replicates: int = 3,
                 members: int | None = None, workers: int = 1, scheduler: str | None = None,
                 progress: bool = True) -> dict[str, Any]:
    """Run ``cfg`` on the ensemble's members and as shipped; write and return ``ensemble_summary.json``'s content.

    Every member uses the same replicate seeds as the single market (common random numbers), so the
    spread over members is the spread of the constants, not of luck.

    Args:
        cfg: the scenario.
        ensemble: from :func:`load_ensemble`.
        out: folder (resumable, see :mod:`~sim.calibration.jobs`); ``ensemble_summary.json`` goes here.
        replicates: runs per member.
        members: use this many members, spread evenly over the file (default: all).
        workers: local worker processes (1 = in this process).
        scheduler: a Dask scheduler address, or ``"local"``.
        progress: progress bar on stderr.
    """
    import json

    from .. import __version__
    from ..atomic import write_text

    if not 1 <= replicates <= 1000:
        raise ConfigError(f"--replicates = {replicates}: must be 1..1000")
    chosen = ensemble.selected(members)
    pair = compared_names(cfg)
    keep = own_market_settings(cfg)
    identity = {"kind": "ensemble run", "sim_version": __version__, "scenario": cfg.model_dump(mode="json"),
                "replicates": replicates, "members": [m.model_dump(mode="json") for m in chosen]}
    jobs = [(f"single-r{r}", (cfg, _seed(cfg, r), pair, {})) for r in range(replicates)]
    for m in chosen:
        mcfg = with_market(cfg, m.market, keep)
        jobs += [(f"m{m.id}-r{r}", (mcfg, _seed(cfg, r), pair, {})) for r in range(replicates)]
    results = run_jobs(headline_task, jobs, JobStore(out, identity, "ensemble run"), workers=workers,
                       scheduler=scheduler, chunk=default_chunk(cfg.weeks), desc=f"ensemble {cfg.name}",
                       progress=progress)
    single = [results[f"single-r{r}"] for r in range(replicates)]
    runs = {m.id: [results[f"m{m.id}-r{r}"] for r in range(replicates)] for m in chosen}
    summary = ensemble_headline(single, runs, {m.id: m.weight for m in chosen}, pair)
    summary.update({"scenario": cfg.name, "weeks": cfg.weeks, "replicates": replicates,
                    "kept_scenario_settings": sorted(keep & set().union(*(m.market for m in chosen))),
                    "ensemble": {"tried": ensemble.tried, "accepted": ensemble.accepted,
                                 "shipped": len(ensemble.members), "sim_version": ensemble.sim_version}})
    summary["drivers"] = drivers(chosen, summary["per_member"])
    summary["sentence"] = ensemble_sentence(summary)
    Path(out).mkdir(parents=True, exist_ok=True)
    write_text(Path(out) / "ensemble_summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def drivers(members: Sequence[Member], per_member: Sequence[Mapping[str, Any]], top: int = 8) -> list[dict[str, Any]]:
    """The constants the members' log revenue ratio moves with most: Spearman rank correlations, largest first."""
    import numpy as np
    from scipy.stats import spearmanr

    ratio = {p["id"]: p["ratio"] for p in per_member}
    keep = [m for m in members if ratio.get(m.id) is not None]
    if len(keep) < 5:
        return []
    y = np.log([ratio[m.id] for m in keep])
    out = []
    for name in keep[0].market:
        x = [m.market[name] for m in keep]
        if len(set(x)) < 2:
            continue
        rho = float(spearmanr(x, y)[0])
        if math.isfinite(rho):
            out.append({"constant": name, "spearman": round(rho, 3)})
    return sorted(out, key=lambda d: -abs(d["spearman"]))[:top]


def _market(runs: Sequence[Mapping[str, Any]], pair: tuple[str, str]) -> dict[str, Any]:
    """One market over its replicates: advantage interval, ratio, winner, crossover."""
    adv = mean_interval([r["log_advantage"] for r in runs])
    mean, low, high = adv["mean"], adv["low"], adv["high"]
    if mean is None:
        winner = NO_WINNER
    elif len(runs) < 2:
        winner = pair[1] if mean > 0 else pair[0] if mean < 0 else NO_WINNER
    else:
        winner = pair[1] if low is not None and low > 0 else pair[0] if high is not None and high < 0 else NO_WINNER
    weeks = sorted(math.inf if r["crossover_week"] is None else r["crossover_week"] for r in runs)
    half = len(weeks) // 2
    median = weeks[half] if len(weeks) % 2 else 0.5 * (weeks[half - 1] + weeks[half])   # "never" counts as inf
    return {"log_advantage": adv, "winner": winner,
            "ratio": None if mean is None else math.exp(mean),
            "ratio_low": None if low is None else math.exp(low), "ratio_high": None if high is None else math.exp(high),
            "crossover_week": None if not math.isfinite(median) else float(median),
            "revenue": {pair[0]: _avg([r["incumbent"] for r in runs]), pair[1]: _avg([r["challenger"] for r in runs])}}


def _avg(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else math.nan


def ensemble_headline(single: Sequence[Mapping[str, Any]], runs: Mapping[int, Sequence[Mapping[str, Any]]],
                      weights: Mapping[int, float], pair: tuple[str, str]) -> dict[str, Any]:
    """Shares of members each strategy wins, ratio and crossover spread, next to the single market.

    Args:
        single: the shipped scenario's replicate records (:func:`~sim.calibration.markets.headline_task`).
        runs: member id -> its replicate records (the same seeds).
        weights: member id -> weight.
        pair: ``(incumbent, challenger)``.
    """
    per = {mid: _market(rs, pair) for mid, rs in runs.items()}
    ids = list(per)
    w = [weights[i] for i in ids]
    total = sum(w)
    wins = {name: sum(wi for i, wi in zip(ids, w, strict=True) if per[i]["winner"] == name) / total
            for name in (pair[1], pair[0], NO_WINNER)}
    ratios = [per[i]["ratio"] if per[i]["ratio"] is not None else math.nan for i in ids]
    cross = [per[i]["crossover_week"] if per[i]["crossover_week"] is not None else math.nan for i in ids]
    never = sum(wi for i, wi in zip(ids, w, strict=True) if per[i]["crossover_week"] is None) / total
    return {
        "pair": {"incumbent": pair[0], "challenger": pair[1]},
        "members": len(ids),
        "wins": wins,
        "ratio": spread(ratios, w),
        "crossover_week": {**spread(cross, w), "never_share": never},
        "single_market": _market(single, pair),
        "per_member": [{"id": i, "weight": weights[i], **per[i]} for i in ids],
    }
