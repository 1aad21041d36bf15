"""How the validation checks run the model: their configs, seeds, worker pool and worker tasks.

Owns the validation config folder (:data:`CONFIG_DIR`, :func:`load`), the base seed of every check
(:data:`SEEDS`, :func:`replicate_seeds`), :class:`Pool` (ordered ``map`` over an executor of
:mod:`sim.experiments.executors`) and the small task functions that run in worker processes and
return what the checks measure (:func:`run_task`, :func:`summary_task`).

Runs are seeded with :func:`sim.replicate_seed` ``(check seed, replicate)`` only, and results are
collected in task order, so every number is the same whatever the executor and its number of
workers.

Must not start worker processes of its own (the experiment layer's executors do that), compute a
check's verdict, or format text: the check modules and the report build on this one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import sim
from sim.config import CONFIG_DIR as _SCENARIO_DIR
from sim.experiments.executors import Executor, make_executor

__all__ = ["CONFIG_DIR", "SEEDS", "Pool", "load", "replicate_seeds", "ensure_pool", "run_task", "summary_task",
           "WEEKLY"]

CONFIG_DIR = _SCENARIO_DIR / "validation"
"""Scenario files used only by validation (loaded by path, so they are not shipped scenarios)."""

SEEDS = {"funnel": 3001, "readers": 3002, "reviews": 3003, "bass": 3004, "ltv": 3005, "regimes": 3006,
         "identical": 3007, "sobol": 3008, "market": 42}
"""Base seed of each check; run ``i`` of a check uses ``replicate_seed(base, i)``. ``market`` uses the
scenarios' own seed 42, as the measurement in docs/ODD.md ("A credible default market") did."""


def load(name: str, updates: dict[str, Any] | None = None, **overrides: Any) -> sim.Config:
    """Load ``configs/validation/<name>.yaml`` (or a shipped scenario by name if no such file)."""
    path = CONFIG_DIR / f"{name}.yaml"
    return sim.load_scenario(path if path.exists() else name, updates, **overrides)


def replicate_seeds(check: str, n: int, offset: int = 0) -> list[int]:
    """Seeds of runs ``offset .. offset + n - 1`` of ``check`` (a key of :data:`SEEDS`)."""
    return [sim.replicate_seed(SEEDS[check], offset + i) for i in range(n)]


class Pool:
    """Maps a function over tasks on an executor of the experiment layer; results in task order.

    ``Pool(workers)`` uses :func:`sim.experiments.executors.make_executor`: in this process when
    ``workers <= 1``, otherwise local worker processes (the sweeps' own executor), started on first
    use and reused across checks. Pass ``executor=`` to run on another one (e.g. a Dask cluster);
    the pool then leaves closing it to the caller. Use as a context manager.

    Args:
        workers: worker processes (``<= 1``: run in this process).
        executor: an executor to use instead of making one.
    """

    def __init__(self, workers: int = 1, executor: Executor | None = None) -> None:
        self.workers = max(1, int(workers)) if executor is None else executor.workers
        self._ex = executor
        self._owned = executor is None

    def _executor(self) -> Executor:
        if self._ex is None:
            self._ex = make_executor(self.workers)
        return self._ex

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        """``[fn(t) for t in tasks]``, in parallel when the executor has more than one worker.

        At most the executor's ``slots`` tasks are in flight at a time (a new one starts whenever
        any finishes); results are collected in task order. A failing task raises its error here.
        """
        tasks = list(tasks)
        if (self._owned and self.workers == 1) or len(tasks) <= 1:
            return [fn(t) for t in tasks]
        ex = self._executor()
        free = threading.Semaphore(max(1, ex.slots))
        futures = []
        for task in tasks:
            free.acquire()
            fut = ex.submit(fn, task)
            fut.add_done_callback(lambda _: free.release())
            futures.append(fut)
        return [f.result() for f in futures]

    def close(self) -> None:
        """Stop the worker processes this pool started."""
        if self._ex is not None and self._owned:
            self._ex.close()
            self._ex = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ensure_pool(pool: Pool | None) -> Pool:
    """``pool``, or a pool that runs in this process."""
    return pool if pool is not None else Pool(1)


# ---------------------------------------------------------------- tasks run in worker processes
WEEKLY = ("sales", "sales_repeat", "revenue")
"""Weekly totals (over all sellers) that :func:`run_task` returns."""


def run_task(task: tuple[sim.Config, int]) -> dict[str, Any]:
    """One run: its summary and weekly totals over all sellers of :data:`WEEKLY`."""
    cfg, seed = task
    res = sim.run(cfg, seed=seed)
    weekly = res.timeseries.groupby("week", observed=True)[list(WEEKLY)].sum()
    return {"summary": res.summary, "weekly": {c: weekly[c].to_numpy(dtype=float) for c in WEEKLY}}


def summary_task(task: tuple[sim.Config, int]) -> dict[str, Any]:
    """One run's summary."""
    cfg, seed = task
    return sim.run(cfg, seed=seed).summary
