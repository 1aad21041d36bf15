"""Running the model: one run, replicates, and the model-as-function adapter.

``run(config, seed)`` is the one entry point notebooks, the CLI, sweeps and tests share.
Replicate seeds are derived from the base seed and the replicate index only, so results are the
same whichever process runs which replicate.

Intervals and the verdict over replicates follow :mod:`sim.model.comparison` (``mean_interval`` is
re-exported here for the code that has always imported it from this module).

Must not: know about sweeps, executors or plots (the experiment and presentation layers build on this).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import Config, load_scenario
from .comparison import NO_LEADER, compare_runs, mean_interval, summary_interval
from .market import Market
from .metrics import summarize

__all__ = ["Results", "run", "run_replicates", "replicate_seed", "model_function", "aggregate_summaries",
           "mean_interval", "flatten_summary"]


def replicate_seed(seed: int, index: int) -> int:
    """Seed of replicate ``index`` of a run seeded with ``seed`` (independent streams)."""
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


@dataclass
class Results:
    """What a run (or a set of replicates) produced.

    Attributes:
        config: the configuration that was run.
        timeseries: tidy weekly table, one row per week x seller (x replicate).
        summary: headline numbers (a replicate set gives ``{"mean", "low", "high"}`` per number).
        runs: per-replicate summaries.
        model: the last model run, for inspecting customers (``results.model.customer(7)``).
    """

    config: Config
    timeseries: pd.DataFrame
    summary: dict[str, Any]
    runs: list[dict[str, Any]] = field(default_factory=list)
    model: Market | None = None

    def save(self, out: str | Path) -> Path:
        """Write ``timeseries.parquet``, ``summary.json`` and ``config.json`` into ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.timeseries.to_parquet(out / "timeseries.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(_jsonable(self.summary), indent=2) + "\n")
        (out / "config.json").write_text(self.config.model_dump_json(indent=2) + "\n")
        return out


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if math.isnan(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def _order(config: Config) -> list[str]:
    return [g.strategy for g in config.sellers]


def run(config: Config | str | None = None, seed: int | None = None, **overrides: Any) -> Results:
    """Run one simulation to the horizon.

    Args:
        config: a :class:`Config`, a scenario name, or None for the baseline.
        seed: random seed (default: ``config.seed``).
        **overrides: dotted-path updates as in :meth:`Config.with_updates`.

    Returns:
        :class:`Results` with the weekly table and the summary.
    """
    cfg = _as_config(config, overrides)
    model = Market(cfg, rng=cfg.seed if seed is None else seed)
    model.run()
    df = model.recorder.frame(model)
    summary = summarize(df, cfg.market.price, _order(cfg))
    summary["seed"] = model._seed
    return Results(cfg, df, summary, [summary], model)


def _as_config(config: Config | str | None, overrides: dict[str, Any]) -> Config:
    if config is None:
        config = load_scenario("baseline")
    elif isinstance(config, str):
        config = load_scenario(config)
    return config.with_updates(**overrides) if overrides else config


def run_replicates(config: Config | str | None = None, replicates: int = 10, seed: int | None = None,
                   **overrides: Any) -> Results:
    """Run ``replicates`` independent runs; summary numbers become mean and 95% interval (:func:`aggregate_summaries`).

    Replicate ``i`` uses :func:`replicate_seed` ``(seed, i)``.
    """
    cfg = _as_config(config, overrides)
    if replicates < 1:
        raise ValueError(f"replicates = {replicates}: must be at least 1")
    base = cfg.seed if seed is None else seed
    frames, summaries, model = [], [], None
    for i in range(replicates):
        res = run(cfg, seed=replicate_seed(base, i))
        frames.append(res.timeseries.assign(replicate=i))
        summaries.append(res.summary)
        model = res.model
    df = pd.concat(frames, ignore_index=True)
    summary = aggregate_summaries(summaries)
    summary["replicates"] = replicates
    summary["seed"] = base
    return Results(cfg, df, summary, summaries, model)


def aggregate_summaries(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine per-replicate summaries into one, by the rules of :mod:`sim.model.comparison`.

    Numbers become ``{"mean", "low", "high"}`` (95% interval: bootstrap for non-negative numbers,
    t for signed ones); the ratios become the ratio of the two means with its log-scale bootstrap
    interval; ``crossover_week`` adds ``never_share``. ``comparison`` holds, for year 1 and the
    horizon, the comparison of the pair (:func:`~sim.model.comparison.compare_runs`), and the
    leaders are its verdict: the clear winner's name, or ``"none"`` when there is no clear winner
    (``leader_basis`` says which: ``"replicates"``, or ``"one run"`` for a single replicate);
    ``leader_*_share`` is the share of runs the named leader was ahead in (None without a leader)
    and ``ahead_year1`` / ``ahead_final`` the share of runs each strategy was ahead in.
    """
    out = _aggregate(summaries)
    pair = summaries[0].get("compared")
    if not pair:
        return out
    cha, inc = pair
    runs = len(summaries)
    out["comparison"] = {}
    for key, metric in (("revenue_ratio", "revenue_total"), ("revenue_ratio_year1", "revenue_year1"),
                        ("referral_ratio", "referrals_total")):
        c = compare_runs(summaries, metric, (cha, inc))
        out[key] = c["ratio"]
        if metric != "referrals_total":
            out["comparison"][metric] = c
    for label, metric in (("leader_year1", "revenue_year1"), ("leader_final", "revenue_total")):
        c = out["comparison"][metric]
        if runs == 1:
            leader = summaries[0].get(label, NO_LEADER)
        else:
            leader = c["winner"] or NO_LEADER
        out[label] = leader
        ahead = {cha: c["ahead"] / runs, inc: c["behind"] / runs}
        out[f"{label}_share"] = ahead.get(leader)
        out["ahead_" + label.removeprefix("leader_")] = ahead
    out["leader_basis"] = "one run" if runs == 1 else "replicates"
    return out


def _aggregate(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    first = summaries[0]
    out: dict[str, Any] = {}
    for key, value in first.items():
        values = [s.get(key) for s in summaries]
        if key == "seed":
            continue
        if isinstance(value, dict):
            out[key] = _aggregate([v for v in values if isinstance(v, dict)])
        elif key == "crossover_week":
            stats_ = summary_interval(key, [v for v in values if v is not None])
            stats_["never_share"] = sum(v is None for v in values) / len(values)
            out[key] = stats_
        elif isinstance(value, (list, tuple)):
            out[key] = list(value)   # the names compared: the same in every run
        elif any(isinstance(v, str) for v in values):
            labels = [v for v in values if v is not None]
            out[key] = max(set(labels), key=labels.count) if labels else None
        elif key in ("weeks", "price", "sellers"):
            out[key] = value
        else:
            out[key] = summary_interval(key, values)
    return out


def model_function(config: Config | str | None = None, outcomes: list[str] | None = None):
    """A model-as-function adapter: ``f(seed=..., **dotted_params) -> {outcome: float}``.

    SALib, EMA Workbench or any optimiser can call the returned function directly; parameter
    names are dotted config paths (``"market.skepticism_mean"``) or use ``__`` instead of ``.``.
    """
    base = _as_config(config, {})

    def f(seed: int | None = None, **params: Any) -> dict[str, float | None]:
        res = run(base.with_updates(**params) if params else base, seed=seed)
        flat = flatten_summary(res.summary)
        return {k: flat.get(k) for k in outcomes} if outcomes else flat

    return f


def flatten_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """``{"strategies": {"relationship": {"revenue_total": 1}}}`` -> ``{"relationship.revenue_total": 1}``."""
    flat: dict[str, Any] = {}

    def walk(d: dict[str, Any], prefix: str) -> None:
        for key, value in d.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    for key, value in summary.items():
        if key == "strategies":
            walk(value, "")
        elif isinstance(value, dict):
            walk(value, f"{key}.")
        else:
            flat[key] = value
    return flat
