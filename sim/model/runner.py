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
import multiprocessing
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_path, write_text
from ..config import Config, load_scenario
from .comparison import NO_LEADER, compare_runs, mean_interval, summary_interval
from .market import Market
from .metrics import summarize
from .workers import init_worker

__all__ = ["Results", "run", "run_replicates", "run_replicate", "combine_replicates", "replicate_seed",
           "model_function", "aggregate_summaries", "mean_interval", "flatten_summary"]


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
        """Write ``timeseries.parquet``, ``summary.json`` and ``config.json`` into ``out``.

        Each file is written under a temporary name and renamed into place (:mod:`sim.atomic`): a
        full disk or a crash leaves the previous file or none, never a truncated one.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(out / "timeseries.parquet") as tmp:
            self.timeseries.to_parquet(tmp, index=False)
        write_text(out / "summary.json", json.dumps(_jsonable(self.summary), indent=2) + "\n")
        write_text(out / "config.json", self.config.model_dump_json(indent=2) + "\n")
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


AUTO_PARALLEL_S = 2.0
"""``run_replicates(workers=None)`` starts worker processes only when the replicates still to run
would take longer than this one after another (measured on the first one): starting a worker
costs about a second and a half of import and compiled-kernel loading."""


def run_replicates(config: Config | str | None = None, replicates: int = 10, seed: int | None = None, *,
                   workers: int | None = None, **overrides: Any) -> Results:
    """Run ``replicates`` independent runs; summary numbers become mean and 95% interval (:func:`aggregate_summaries`).

    Replicate ``i`` uses :func:`replicate_seed` ``(seed, i)`` wherever it runs, and the replicates
    are put together in index order, so the results are identical for any number of workers.

    Args:
        config: a :class:`Config`, a scenario name, or None for the baseline.
        replicates: number of runs (at least 1).
        seed: base seed (default: ``config.seed``).
        workers: processes that run replicates: this one plus ``workers - 1`` worker processes
            (``forkserver``; each takes the next replicate from the front while this process takes
            them from the back). Default: every core that is idle (by the load average), once the
            first replicate shows that the others would take more than :data:`AUTO_PARALLEL_S`
            seconds one after another; 1 inside a worker process (no pools inside pools). As with
            any process pool, a script that may start workers (``workers > 1``, or the default with
            long replicates) must guard its top level with ``if __name__ == "__main__":``;
            ``python -m sim`` and notebooks need nothing.
        **overrides: dotted-path updates as in :meth:`Config.with_updates`.

    Returns:
        :class:`Results`; ``model`` is the last replicate's model (always run in this process).
    """
    cfg = _as_config(config, overrides)
    if replicates < 1:
        raise ValueError(f"replicates = {replicates}: must be at least 1")
    if workers is not None and workers < 1:
        raise ValueError(f"workers = {workers}: must be at least 1")
    base = cfg.seed if seed is None else seed
    auto = workers is None
    procs = min(replicates, _idle_cores() if auto and multiprocessing.parent_process() is None else workers or 1)
    parts: list[tuple[pd.DataFrame, dict[str, Any]] | None] = [None] * replicates
    share = _Share(replicates)
    i = share.take_back()   # the last replicate, claimed before any worker starts: its model is kept
    feeder = None if auto or procs < 2 else _Feeder(cfg, base, share, parts, procs - 1)
    model = None
    try:
        while i is not None:   # this process works from the back
            t0 = time.perf_counter()
            res = run(cfg, seed=replicate_seed(base, i))
            parts[i] = (res.timeseries.assign(replicate=i), res.summary)
            model = res.model if model is None else model
            if feeder is None and procs > 1 and (time.perf_counter() - t0) * share.left() > AUTO_PARALLEL_S:
                feeder = _Feeder(cfg, base, share, parts, procs - 1)
            i = share.take_back()
    except BaseException:
        share.stop()
        if feeder is not None:
            feeder.abort()
        raise
    if feeder is not None:
        feeder.finish()
    return combine_replicates(cfg, [p for p in parts if p is not None], base, model)


def run_replicate(config: Config, seed: int, index: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Replicate ``index`` of a run seeded with ``seed``: its weekly table (``replicate`` column) and summary.

    A plain function of its arguments with a picklable result, for worker processes.
    """
    res = run(config, seed=replicate_seed(seed, index))
    return res.timeseries.assign(replicate=index), res.summary


def combine_replicates(config: Config, parts: list[tuple[pd.DataFrame, dict[str, Any]]], seed: int,
                       model: Market | None = None) -> Results:
    """Put replicate parts (from :func:`run_replicate`, in index order) together into one :class:`Results`."""
    df = pd.concat([frame for frame, _ in parts], ignore_index=True)
    summaries = [summary for _, summary in parts]
    summary = aggregate_summaries(summaries)
    summary["replicates"] = len(parts)
    summary["seed"] = seed
    return Results(config, df, summary, summaries, model)


def _idle_cores() -> int:
    """This process's core plus every other core the 1-minute load average leaves idle (at least 1).

    On a machine busy with other work, worker processes only compete for the same cores (and cost
    their start-up), so the default takes the cores that are free when the replicates start.
    """
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        cores = max(1, os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average
        return cores
    return max(1, min(cores, 1 + math.floor(cores - load - 0.5)))


class _Share:
    """Replicate indices still to run: worker processes take them from the front, this process from the back."""

    def __init__(self, n: int) -> None:
        self._lo, self._hi, self._lock = 0, n - 1, threading.Lock()

    def take_front(self) -> int | None:
        with self._lock:
            if self._lo > self._hi:
                return None
            self._lo += 1
            return self._lo - 1

    def take_back(self) -> int | None:
        with self._lock:
            if self._lo > self._hi:
                return None
            self._hi -= 1
            return self._hi + 1

    def left(self) -> int:
        with self._lock:
            return self._hi - self._lo + 1

    def stop(self) -> None:
        with self._lock:
            self._lo = self._hi + 1


class _Feeder:
    """A pool of worker processes fed from the front of a :class:`_Share` by a thread of this process.

    The thread keeps one replicate in flight per worker (plus one queued), so a replicate is taken
    only when a worker is about to be free; starting the pool (the fork server imports the model)
    happens in that thread while this process goes on running replicates.
    """

    def __init__(self, cfg: Config, base: int, share: _Share, parts: list, workers: int) -> None:
        self._args, self._share, self._parts, self._workers = (cfg, base), share, parts, workers
        self._error: BaseException | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._thread = threading.Thread(target=self._feed, name="replicate-feeder", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        try:
            self._pool = _worker_pool(self._workers)
            flying: dict[Future, int] = {}
            while True:
                while len(flying) <= self._workers and (i := self._share.take_front()) is not None:
                    flying[self._pool.submit(run_replicate, *self._args, i)] = i
                if not flying:
                    return
                done, _ = wait(flying, return_when=FIRST_COMPLETED)
                for fut in done:
                    self._parts[flying.pop(fut)] = fut.result()
        except BaseException as err:   # re-raised in the calling thread by finish()
            self._share.stop()
            self._error = err

    def finish(self) -> None:
        """Wait for the replicates in flight; re-raise a worker's error here."""
        try:
            while self._thread.is_alive():
                self._thread.join(0.2)   # a short join keeps Ctrl-C working in the main thread
        except BaseException:
            self.abort()
            raise
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Take no more replicates and drop those not started (after an error or Ctrl-C here)."""
        self._share.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started by a fork server that has imported the model once (no fork of a threaded process)."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["sim.model.runner"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_worker,
                               initargs=(os.getpid(),))


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
