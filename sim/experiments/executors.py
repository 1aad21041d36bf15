"""Where sweep runs execute: in this process, in local worker processes, or on a Dask cluster.

All executors share one small interface so :func:`sim.experiments.run_sweep` (and
:mod:`sim.validation`) drive them with the same loop:

* ``submit(fn, *args)`` returns a future with ``add_done_callback`` and ``result()``
  (a :class:`concurrent.futures.Future` or a :class:`distributed.Future`);
* ``slots`` says how many tasks to keep in flight (enough to keep every worker busy, few enough
  that memory stays flat however long the sweep is);
* ``restart()`` replaces a broken local process pool (a worker process died);
* ``close()`` releases everything the executor started.

Which executor runs a task never changes its result: every run's seed comes from the sweep seed
and the run index only (see :mod:`sim.experiments.runner`).

Owns: starting, feeding, restarting and closing the workers (:func:`make_executor`,
:func:`default_workers`, :func:`is_broken_pool`). Must not: know what a task computes, build
seeds or touch results; callers hand in picklable functions and their arguments.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..config import ConfigError

__all__ = [
    "Executor", "InProcessExecutor", "LocalProcessExecutor", "DaskExecutor", "make_executor",
    "default_workers", "is_broken_pool",
]


def default_workers() -> int:
    """Number of CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def is_broken_pool(err: BaseException) -> bool:
    """True when a local worker process died and took its pool down."""
    return isinstance(err, BrokenProcessPool)


class Executor(ABC):
    """Base class: see the module docstring for the interface."""

    kind = "base"
    slots = 1
    workers = 1

    @abstractmethod
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)`` and return a future."""

    def restart(self) -> None:
        """Replace a broken pool (only local processes can break this way)."""
        return None   # default: nothing to replace

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
def _watch_parent(pid: int) -> None:
    """Exit this worker as soon as process ``pid`` (the sweep) is gone, e.g. after a SIGKILL.

    Checking our own parent is not enough: with the forkserver start method the parent is the
    fork server, which lives as long as any worker does.
    """
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])   # readable once the process has exited
        os._exit(0)
    while True:  # pragma: no cover - systems without pidfd
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass


def _init_worker(parent_pid: int) -> None:
    """Worker start-up: Ctrl-C is the parent's business; die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watch-parent").start()


class LocalProcessExecutor(Executor):
    """A pool of worker processes on this machine (``concurrent.futures``, forkserver start).

    The forkserver imports the model (:mod:`sim.model.runner`) once, so new workers start fast and no worker is forked
    from a multi-threaded parent. Workers exit by themselves when the parent dies.
    """

    kind = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.slots = 2 * workers
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        self._ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(["sim.model.runner"])
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._ctx, initializer=_init_worker,
                                   initargs=(os.getpid(),))

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
class DaskExecutor(Executor):
    """Runs tasks on a Dask distributed cluster.

    Args:
        address: ``tcp://host:port`` of a running ``dask scheduler``, or ``"local"`` to start a
            :class:`distributed.LocalCluster` of ``workers`` single-threaded processes (closed again
            by :meth:`close`).
        workers: size of the local cluster (ignored for a remote scheduler).
        timeout: seconds to wait for the scheduler to answer.

    Raises:
        ConfigError: when the scheduler cannot be reached (one-line message).
    """

    kind = "dask"

    def __init__(self, address: str, workers: int = 2, timeout: float = 20.0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the sweeps extra is missing
            raise ConfigError("--scheduler needs dask.distributed: "
                              "pip install 'relationship-selling-sim[sweeps]'") from None
        self._cluster = None
        self.address = address
        try:
            if address == "local":
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=None)
                self._client = Client(self._cluster, timeout=timeout)
            else:
                self._client = Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as err:
            if self._cluster is not None:
                self._cluster.close()
            raise ConfigError(f"--scheduler = {address!r}: cannot connect to a Dask scheduler there "
                              f"({err.__class__.__name__}: {err})") from None
        threads = self._threads()
        self.workers = threads
        self.slots = max(4, 2 * threads)

    def _threads(self) -> int:
        try:
            return max(1, sum(self._client.nthreads().values()))
        except Exception:  # pragma: no cover - scheduler went away right after connecting
            return 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Send ``fn(*args)`` to the cluster (never cached: ``pure=False``)."""
        return self._client.submit(fn, *args, pure=False)

    def close(self, cancel: bool = False) -> None:
        """Disconnect (and stop the local cluster if this executor started it)."""
        try:
            self._client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()

    def describe(self) -> str:
        """One line for the log."""
        where = "local Dask cluster" if self._cluster is not None else f"Dask scheduler {self.address}"
        return f"{where} ({self._threads()} worker threads)"


def make_executor(workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for ``--workers N`` / ``--scheduler ADDRESS``.

    ``scheduler`` wins over ``workers``; ``workers=1`` without a scheduler runs in this process.
    """
    if workers < 1:
        raise ConfigError(f"--workers = {workers}: must be at least 1")
    if scheduler:
        return DaskExecutor(scheduler, workers=workers)
    if workers == 1:
        return InProcessExecutor()
    return LocalProcessExecutor(workers)
