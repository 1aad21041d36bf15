"""Where sweep runs execute: in this process, in local worker processes, or on a Dask cluster.

All executors share one small interface so :func:`sim.experiments.run_sweep` (and
:mod:`sim.validation`) drive them with the same loop:

* ``submit(fn, *args)`` returns a future with ``add_done_callback``
  (a :class:`concurrent.futures.Future` or a :class:`distributed.Future`), and ``result(future)``
  reads a finished one in bounded time (:class:`TaskLost` when a Dask result vanished with its
  worker after the task had finished: the caller runs it again);
* ``slots`` says how many tasks to keep in flight (enough to keep every worker busy, few enough
  that memory stays flat however long the sweep is);
* ``restart()`` replaces a broken local process pool (a worker process died);
* ``poll()``, called about once a second while tasks are in flight, returns a warning line to show
  (or None) and raises :class:`ExecutorLost` when the executor can no longer run anything (a Dask
  scheduler gone, no Dask worker for too long), so a sweep stops instead of waiting forever;
* ``close()`` releases everything the executor started (within a bounded time).

Which executor runs a task never changes its result: every run's seed comes from the sweep seed
and the run index only (see :mod:`sim.experiments.runner`).

Owns: starting, feeding, restarting and closing the workers (:func:`make_executor`,
:func:`default_workers`, :func:`is_broken_pool`). Must not: know what a task computes, build
seeds or touch results; callers hand in picklable functions and their arguments.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..config import ConfigError
from ..model.workers import init_worker

__all__ = [
    "Executor", "InProcessExecutor", "LocalProcessExecutor", "DaskExecutor", "ExecutorLost", "TaskLost",
    "make_executor", "default_workers", "is_broken_pool", "is_cancelled",
]


class ExecutorLost(Exception):
    """The executor cannot run tasks any more (e.g. its Dask scheduler is gone); the message is one line."""


class TaskLost(Exception):
    """A task had finished, but its result is gone (Dask kept it on a worker that died): run it again."""


def default_workers() -> int:
    """Number of CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def is_broken_pool(err: BaseException) -> bool:
    """True when a local worker process died and took its pool down."""
    return isinstance(err, BrokenProcessPool)


def is_cancelled(err: BaseException) -> bool:
    """True when a task was cancelled or lost rather than failed (e.g. Dask lost a worker or the scheduler)."""
    import asyncio
    import concurrent.futures

    return isinstance(err, (asyncio.CancelledError, concurrent.futures.CancelledError, TaskLost))


class Executor(ABC):
    """Base class: see the module docstring for the interface."""

    kind = "base"
    slots = 1
    workers = 1

    @abstractmethod
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)`` and return a future."""

    def result(self, future: Any) -> Any:
        """The result of a future whose done-callback has fired (raises what the task raised)."""
        return future.result()

    def restart(self) -> None:
        """Replace a broken pool (only local processes can break this way)."""
        return None   # default: nothing to replace

    def poll(self) -> str | None:
        """A warning line to show now, or None; raises :class:`ExecutorLost` when nothing can run any more."""
        return None   # default: local executors cannot lose their workers for good

    def close(self, cancel: bool = False) -> None:
        """Release workers; ``cancel`` drops tasks that have not started."""
        return None   # default: no workers held

    def describe(self) -> str:
        """One line for the log: where the runs execute."""
        return self.kind

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)


class InProcessExecutor(Executor):
    """Runs each task at once, in this process (``--workers 1``): simplest, easiest to debug."""

    kind = "in-process"

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` now; return an already completed future."""
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as err:  # a failing task is reported through its future, as elsewhere
            fut.set_exception(err)
        return fut

    def describe(self) -> str:
        """One line for the log."""
        return "1 worker (in this process)"


# ------------------------------------------------------------------------------- local processes
class LocalProcessExecutor(Executor):
    """A pool of worker processes on this machine (``concurrent.futures``, forkserver start).

    The forkserver imports the model (:mod:`sim.model.runner`) once, so new workers start fast and no worker is forked
    from a multi-threaded parent. Workers exit by themselves when the parent dies. ``nice`` > 0 runs them at a
    lower priority (a live page's pool: the page's own process draws first).
    """

    kind = "processes"

    def __init__(self, workers: int, nice: int = 0) -> None:
        self.workers = workers
        self.nice = nice
        self.slots = 2 * workers
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        self._ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(["sim.model.runner"])
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._ctx, initializer=init_worker,
                                   initargs=(os.getpid(), self.nice))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Queue ``fn(*args)`` on the pool."""
        return self._pool.submit(fn, *args)

    def restart(self) -> None:
        """Throw away a broken pool and start a fresh one."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self, cancel: bool = False) -> None:
        """Stop the workers (after their current task)."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def describe(self) -> str:
        """One line for the log."""
        return f"{self.workers} local worker processes"


# ------------------------------------------------------------------------------- dask
class _QuietGatherTimeout(logging.Filter):
    """Drops asyncio's "Task exception was never retrieved ... AllExit" left by a timed-out Dask result."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (type(exc).__name__ == "AllExit" or "exception=AllExit()" in str(record.msg))


_QUIET_GATHER = _QuietGatherTimeout()


class DaskExecutor(Executor):
    """Runs tasks on a Dask distributed cluster, and notices when the cluster is gone.

    :meth:`poll` asks the scheduler for its worker count at most every ``probe_every`` seconds.
    A scheduler that does not answer (killed, unreachable, or the client gave up reconnecting) for
    ``lost_after`` seconds raises :class:`ExecutorLost`; so does a cluster without any worker for
    ``worker_timeout`` seconds (at start or after every worker died), with a warning line at most
    every ``warn_every`` seconds meanwhile.

    Args:
        address: ``tcp://host:port`` of a running ``dask scheduler``, or ``"local"`` to start a
            :class:`distributed.LocalCluster` of ``workers`` single-threaded processes on 127.0.0.1
            (closed again by :meth:`close`).
        workers: size of the local cluster (ignored for a remote scheduler).
        timeout: seconds to wait for the scheduler to answer when connecting (and reconnecting).
        worker_timeout: seconds without any worker before giving up.
        lost_after: seconds without an answer from the scheduler before giving up.
        warn_every: seconds between two "no worker" warnings.
        probe_every: seconds between two questions to the scheduler.

    Raises:
        ConfigError: when the scheduler cannot be reached (one-line message).
    """

    kind = "dask"

    def __init__(self, address: str, workers: int = 2, timeout: float = 20.0, worker_timeout: float = 60.0,
                 lost_after: float = 30.0, warn_every: float = 10.0, probe_every: float = 2.0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the sweeps extra is missing
            raise ConfigError("--scheduler needs dask.distributed: "
                              "pip install 'relationship-selling-sim[sweeps]'") from None
        self._cluster = None
        self.address = address
        # the client logs its own "failed to reconnect" error; poll() says it once, in the project's words
        self._client_log = logging.getLogger("distributed.client")
        self._client_log_level = self._client_log.level
        self._client_log.setLevel(logging.CRITICAL)
        logging.getLogger("asyncio").addFilter(_QUIET_GATHER)   # idempotent: one filter object
        self.worker_timeout, self.lost_after = worker_timeout, lost_after
        self.warn_every, self.probe_every = warn_every, probe_every
        try:
            if address == "local":
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None)
                self._client = Client(self._cluster, timeout=timeout)
            else:
                self._client = Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as err:
            if self._cluster is not None:
                self._cluster.close()
            self._client_log.setLevel(self._client_log_level)
            raise ConfigError(f"--scheduler = {address!r}: cannot connect to a Dask scheduler there "
                              f"({err.__class__.__name__}: {' '.join(str(err).split())})") from None
        threads = self._threads()
        self.workers = threads
        self.slots = max(4, 2 * threads)
        now = time.monotonic()
        self._last_probe = self._last_answer = now
        self._no_workers_since: float | None = None if threads else now
        self._last_warning = -math.inf

    def _threads(self) -> int:
        try:
            return sum(self._client.nthreads().values())
        except Exception:  # pragma: no cover - scheduler went away right after connecting
            return 0

    def _where(self) -> str:
        return "the local Dask cluster" if self._cluster is not None else f"the Dask scheduler {self.address}"

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Send ``fn(*args)`` to the cluster (never cached: ``pure=False``)."""
        if self._client.status in ("closing", "closed"):
            raise ExecutorLost(f"lost {self._where()} (the client gave up reconnecting)")
        return self._client.submit(fn, *args, pure=False)

    def result(self, future: Any) -> Any:
        """The result of a finished task, in bounded time.

        Dask keeps a result on the worker that computed it; when that worker dies between the
        done-callback and this call, the future goes back to pending (the scheduler would compute it
        again, which may never happen without workers). That raises :class:`TaskLost` instead of
        waiting: the sweep sends the task again and :meth:`poll` decides whether to keep waiting.
        """
        if future.status not in ("finished", "error", "cancelled"):
            raise TaskLost(f"the result of task {future.key} was lost with its worker ({future.status})")
        try:
            return future.result(timeout=max(5.0, 2 * self.probe_every))
        except TimeoutError:
            with contextlib.suppress(Exception):
                future.cancel()
            raise TaskLost(f"the result of task {future.key} was lost with its worker") from None

    def poll(self) -> str | None:
        """Ask the scheduler how many workers it has (rate-limited); warn, or give up, as the class says."""
        now = time.monotonic()
        if now - self._last_probe < self.probe_every:
            return None
        self._last_probe = now
        info = None
        if self._client.status == "running":
            try:
                info = self._client.sync(self._client.scheduler.identity, n_workers=0,
                                         callback_timeout=max(1.0, self.probe_every * 2))
            except Exception:  # no answer (or an error) is what is being measured
                info = None
        if info is None:
            silent = now - self._last_answer
            if self._client.status in ("closing", "closed") or silent >= self.lost_after:
                raise ExecutorLost(f"lost {self._where()} (no answer for {silent:.0f} s)")
            return None
        self._last_answer = now
        threads = int(info.get("total_threads") or 0)
        self.slots = max(4, 2 * threads)
        if int(info.get("n_workers") or 0) > 0:
            self._no_workers_since = None
            return None
        if self._no_workers_since is None:
            self._no_workers_since = now
        waited = now - self._no_workers_since
        if waited >= self.worker_timeout:
            raise ExecutorLost(f"no Dask worker connected to {self._where()} for {waited:.0f} s")
        if now - self._last_warning >= self.warn_every:
            self._last_warning = now
            return (f"warning: no Dask worker connected to {self._where()}; waiting "
                    f"(giving up after {self.worker_timeout:.0f} s without one, {waited:.0f} s so far)")
        return None

    def close(self, cancel: bool = False) -> None:
        """Disconnect (and stop the local cluster if this executor started it), in bounded time."""
        try:
            with contextlib.suppress(Exception):
                self._client.close(timeout=10)
        finally:
            if self._cluster is not None:
                with contextlib.suppress(Exception):
                    self._cluster.close(timeout=20)
            self._client_log.setLevel(self._client_log_level)

    def describe(self) -> str:
        """One line for the log."""
        where = "local Dask cluster" if self._cluster is not None else f"Dask scheduler {self.address}"
        return f"{where} ({self._threads()} worker threads)"


def make_executor(workers: int = 1, scheduler: str | None = None, *, worker_timeout: float = 60.0) -> Executor:
    """The executor for ``--workers N`` / ``--scheduler ADDRESS``.

    ``scheduler`` wins over ``workers``; ``workers=1`` without a scheduler runs in this process.
    ``worker_timeout``: a Dask sweep gives up after this many seconds without any worker.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers = {workers!r}: must be a whole number, at least 1")
    if scheduler is not None and not str(scheduler).strip():
        raise ConfigError("--scheduler = '': give tcp://HOST:PORT of a running 'dask scheduler', or 'local'")
    if scheduler:
        return DaskExecutor(scheduler, workers=workers, worker_timeout=worker_timeout)
    if workers == 1:
        return InProcessExecutor()
    return LocalProcessExecutor(workers)
