"""Replicates for a live page, run in the background and shown as they arrive.

Owns :class:`ReplicateJobs`: one set of replicates at a time, replicate 0 in this process and the
others on a pool of worker processes kept for the whole session
(:class:`sim.experiments.executors.LocalProcessExecutor` at a lower priority, :data:`WORKER_NICE`,
started and warmed up once, shared by every dashboard of the process). :meth:`ReplicateJobs.start`
returns at once; a thread runs replicate 0 and calls back with it as the *preview* (one run, one
replicate's time after the change: no round trip to a worker, and the workers yield the CPU to the
page's drawing), then with the *final* set. A newer start makes an older one stale: its replicates
not yet begun are cancelled and its results never shown. Replicate ``i`` is always
:func:`sim.model.runner.run_replicate` ``(config, seed, i)`` and the set is put together in index
order, so the final result is the same as :func:`sim.run_replicates` gives.

Must not: draw, word anything or touch widgets (the callbacks do); know what a replicate computes.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any

from ..config import Config
from ..model.runner import Results, combine_replicates, run_replicate

__all__ = ["ReplicateJobs", "shared_pool", "in_kernel", "WORKER_NICE"]

WORKER_NICE = 10
"""How much lower the replicate workers' priority is than the page's process (``nice``): the kernel drawing
the preview, the server and the browser painting it are served first on a small machine."""

_POOL: Any = None
_POOL_LOCK = threading.Lock()
_LOCAL = threading.Lock()   # one replicate at a time in this process


def shared_pool(workers: int | None = None) -> Any:
    """The process's pool of replicate workers (started on first use, warmed up in the background)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from ..experiments.executors import LocalProcessExecutor, default_workers
            from ..model.warmup import warm_up

            _POOL = LocalProcessExecutor(workers or default_workers(), nice=WORKER_NICE)
            for _ in range(_POOL.workers):   # each worker loads the compiled kernels before the first change
                _POOL.submit(warm_up)
        return _POOL


class ReplicateJobs:
    """Runs one replicate set at a time in worker processes; calls back with a preview, then the whole set.

    Args:
        workers: size of the shared pool when this is the first to start it (default: every core).
    """

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers
        self._lock = threading.Lock()
        self.generation = 0
        self._futures: list[Future] = []
        self._thread: threading.Thread | None = None
        self.preview_cpu_s: float | None = None
        """CPU seconds of this process's work for the last preview: replicate 0 and the callback (for benchmarks)."""

    def warm(self) -> None:
        """Start the pool now (in a thread), so that the first change does not wait for it."""
        threading.Thread(target=shared_pool, args=(self._workers,), name="replicate-pool", daemon=True).start()

    def start(self, config: Config, replicates: int, seed: int, *,
              on_preview: Callable[[int, Results], None], on_final: Callable[[int, Results], None],
              on_error: Callable[[int, BaseException], None]) -> int:
        """Start replicates ``0 .. replicates - 1``; return this job's generation (callbacks get it first).

        Replicate 0 runs in this process (in the job's thread), the others are submitted to the pool.
        """
        pool = shared_pool(self._workers)
        with self._lock:
            for fut in self._futures:   # an older job: drop what has not started
                fut.cancel()
            self.generation += 1
            gen = self.generation
            self._futures = futures = [pool.submit(run_replicate, config, seed, i) for i in range(1, replicates)]
            self._thread = threading.Thread(target=self._collect, name=f"replicates-{gen}", daemon=True,
                                            args=(gen, futures, config, seed, on_preview, on_final, on_error))
            self._thread.start()
        return gen

    def current(self, generation: int) -> bool:
        """True while ``generation`` is the newest job."""
        return generation == self.generation

    def wait(self, timeout: float | None = None) -> None:
        """Block until the newest job has called back with its final result (or failed)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _collect(self, gen: int, futures: list[Future], config: Config, seed: int,
                 on_preview: Callable[[int, Results], None], on_final: Callable[[int, Results], None],
                 on_error: Callable[[int, BaseException], None]) -> None:
        cpu = time.thread_time()
        try:
            with _LOCAL:   # an older job's replicate 0 finishes first (a fraction of a second); a stale job stops
                first = run_replicate(config, seed, 0) if self.current(gen) else None
            if first is None:
                return
            if futures and self.current(gen):   # replicate 0 as one run, while the others run
                frame, summary = first
                on_preview(gen, Results(config, frame.drop(columns="replicate"), summary, [summary]))
                self.preview_cpu_s = time.thread_time() - cpu
            wait(futures)
            if self.current(gen):
                on_final(gen, combine_replicates(config, [first] + [f.result() for f in futures], seed))
        except BaseException as err:   # a replicate failed (or the pool broke): the page says so
            if self.current(gen):
                self._recover(err)
                on_error(gen, err)

    def _recover(self, err: BaseException) -> None:
        from ..experiments.executors import is_broken_pool

        if is_broken_pool(err) and _POOL is not None:
            _POOL.restart()


def in_kernel() -> bool:
    """True inside a live IPython kernel (JupyterLab, Voila), where a change must return at once."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
