"""Running a sweep: feed the missing runs to an executor, stream finished rows into the store.

Run ``i`` is replicate ``i % replicates`` of design point ``i // replicates`` and is seeded with
``replicate_seed(sweep seed, i)`` (see :meth:`SweepPlan.locate`), so results do not depend on the
executor or the number of workers, and re-running the same command completes only what is missing.

Owns: :func:`run_sweep` (the scheduling loop: keep the executor's slots full, retry tasks of a
pool whose worker died or of a cancelled Dask task, ask the executor about its health and stop
when it is lost, flush in batches, merge the parts at the end), :class:`SweepReport` (what
happened, in one line for the terminal) and interrupt handling (Ctrl-C and SIGTERM stop cleanly:
what is finished is on disk, the rest is done on the next run).

Must not: compute outcomes or build rows (:mod:`sim.experiments.batch`), write files itself
(:mod:`sim.experiments.store`), or print anything but the progress bar and the executor's warning
lines.
"""

from __future__ import annotations

import queue
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import ConfigError
from .batch import RunContext, RunItem, run_batch
from .bounds import check_workers
from .plan import SweepPlan
from .store import RunStore

__all__ = ["SweepReport", "run_sweep"]


@dataclass
class SweepReport:
    """What :func:`run_sweep` did.

    Attributes:
        out: output folder.
        total: runs in the sweep.
        already_done: runs found on disk at start.
        completed: runs finished now.
        failed: run index -> error text (those runs are retried on the next resume).
        interrupted: stopped by Ctrl-C / SIGTERM before the end.
        aborted: why the sweep stopped early (workers keep dying, the Dask scheduler or every
            Dask worker is gone); None if it did not.
        compacted: the part files were merged at the end.
        parts_written: part files written while running (before any merge).
        seconds: wall time of the run phase.
        executor: where the runs executed.
    """

    out: Path
    total: int
    already_done: int = 0
    completed: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    interrupted: bool = False
    seconds: float = 0.0
    executor: str = ""
    aborted: str | None = None
    compacted: bool = False
    parts_written: int = 0

    @property
    def done(self) -> int:
        """Runs on disk now."""
        return self.already_done + self.completed

    @property
    def complete(self) -> bool:
        """Every run of the sweep is on disk."""
        return self.done >= self.total

    def line(self) -> str:
        """A one-line account for the terminal."""
        rate = self.completed / self.seconds * 60 if self.seconds > 0 else 0.0
        text = (f"{self.done} of {self.total} runs on disk ({self.completed} now, {self.already_done} resumed) "
                f"in {self.seconds:.1f} s ({rate:,.0f} runs/min) on {self.executor}")
        if self.aborted:
            text += f"; stopped early: {self.aborted}"
        if self.failed:
            first = min(self.failed)
            text += f"; {len(self.failed)} failed (run {first}: {self.failed[first]})"
        return text


def _items(plan: SweepPlan, pending: list[int], chunk: int) -> Iterator[list[RunItem]]:
    batch: list[RunItem] = []
    for run_index in pending:
        point, rep, seed = plan.locate(run_index)
        params = plan.point_params(point)
        updates = {f.path: params[f.name] for f in plan.factors}
        batch.append(RunItem(run_index, point, rep, seed, params, updates))
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch


class _Aborted(Exception):
    """The executor cannot go on (workers keep dying)."""


class _Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not caught by `except Exception`
    """SIGTERM arrived."""


def run_sweep(plan: SweepPlan, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
              keep_series: bool = False, chunk: int = 1, progress: bool = True,
              flush_seconds: float = 2.0, batch_rows: int = 200, max_pool_restarts: int = 3, compact: bool = True,
              callback: Callable[[int, int], None] | None = None, allow_large: bool = False,
              worker_timeout: float = 60.0) -> SweepReport:
    """Run every missing run of ``plan`` into ``out`` (resuming whatever is already there).

    Args:
        plan: from :func:`plan_sweep`.
        out: output folder (created; must be new, empty, or hold this same sweep).
        workers: local worker processes (1 = in this process); size of the cluster for ``scheduler="local"``.
        scheduler: ``tcp://host:port`` of a Dask scheduler, or ``"local"`` for a local Dask cluster.
        keep_series: also write the weekly tables to ``out/series/``.
        chunk: runs per task (1 streams best; larger amortises scheduling overhead for tiny runs).
        progress: show a progress bar (runs done, rate, ETA) on stderr.
        flush_seconds: write finished runs at least this often.
        batch_rows: ... or whenever this many are waiting.
        max_pool_restarts: how often a local pool whose worker died is replaced before giving up.
        compact: once every run is on disk, merge the part files into one (per folder).
        callback: ``callback(done, total)`` after each finished run (benchmarks, notebooks).
        allow_large: lift the limit on worker memory (see :func:`sim.experiments.bounds.check_workers`).
        worker_timeout: with a Dask scheduler, stop after this many seconds without any worker.

    Returns:
        A :class:`SweepReport`. Failed runs are not written, so a later call retries them. A lost
        Dask scheduler (or no Dask worker for ``worker_timeout`` seconds) ends the sweep early with
        ``aborted`` set, within about a minute; the same call later resumes it.

    Raises:
        ConfigError: the folder belongs to another sweep, is locked, the workers need more memory
            than there is, or the scheduler is unreachable.
    """
    from tqdm import tqdm

    from .executors import ExecutorLost, is_broken_pool, is_cancelled, make_executor

    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ConfigError(f"--chunk = {chunk!r}: must be a whole number, at least 1")
    store = RunStore(out, plan, keep_series=keep_series, batch_rows=batch_rows, flush_seconds=flush_seconds)
    store.check()      # refuse before starting any worker
    check_workers(plan.base, plan.factors, plan.design, workers, scheduler, allow_large)
    report = SweepReport(Path(out), plan.n_runs)
    executor = make_executor(workers, scheduler, worker_timeout=worker_timeout)
    report.executor = executor.describe()
    bar = None
    previous = _sigterm_as_interrupt()
    try:
        done = store.open()
        report.already_done = len(done & set(range(plan.n_runs)))
        pending = [i for i in range(plan.n_runs) if i not in done]
        bar = tqdm(total=plan.n_runs, initial=report.already_done, desc=plan.spec.name, unit="run",
                   file=sys.stderr, disable=not progress, dynamic_ncols=True, smoothing=0.05,
                   mininterval=0.5 if sys.stderr.isatty() else 10.0)   # log files: a line every 10 s
        start = time.monotonic()
        finished: queue.Queue = queue.Queue()
        batches = _items(plan, pending, chunk)
        inflight: dict[Any, tuple[list[RunItem], int, int]] = {}   # future -> (items, tries, pool generation)
        retry: list[tuple[list[RunItem], int]] = []
        generation, restarts = 0, 0

        ctx = RunContext(plan.base, plan.outcomes, plan.aliases, plan.incumbent, plan.challenger, keep_series)

        def replace_pool() -> None:
            """A local worker died: start a new pool; tasks of the old one are queued again."""
            nonlocal generation, restarts
            restarts += 1
            if restarts > max_pool_restarts:
                raise _Aborted(f"worker processes died {restarts} times; giving up")
            executor.restart()
            generation += 1
            for other, (o_items, o_tries, _gen) in list(inflight.items()):
                del inflight[other]
                retry.append((o_items, o_tries + 1))

        def submit(items: list[RunItem], tries: int) -> None:
            try:
                try:
                    fut = executor.submit(run_batch, ctx, items)
                except Exception as err:
                    if not is_broken_pool(err):
                        raise
                    replace_pool()
                    fut = executor.submit(run_batch, ctx, items)
            except (_Aborted, ExecutorLost):
                raise
            except Exception as err:   # e.g. the Dask scheduler went away
                raise _Aborted(f"cannot submit runs ({err.__class__.__name__}: {' '.join(str(err).split())})") from None
            inflight[fut] = (items, tries, generation)
            fut.add_done_callback(finished.put)

        exhausted = False
        try:
            while True:
                while len(inflight) < executor.slots and (retry or not exhausted):
                    if retry:
                        submit(*retry.pop())
                        continue
                    nxt = next(batches, None)
                    if nxt is None:
                        exhausted = True
                        break
                    submit(nxt, 0)
                if not inflight:
                    break
                warning = executor.poll()
                if warning:
                    tqdm.write(warning, file=sys.stderr)
                try:
                    fut = finished.get(timeout=max(0.05, min(0.5, flush_seconds)))
                except queue.Empty:
                    if store.due():
                        store.flush()
                    continue
                entry = inflight.pop(fut, None)
                if entry is None:   # a task of a replaced pool, already queued for a retry
                    continue
                items, tries, gen = entry
                try:
                    results = executor.result(fut)
                except (KeyboardInterrupt, SystemExit, _Interrupted):
                    raise
                except BaseException as err:   # includes asyncio.CancelledError from a lost Dask scheduler
                    if is_broken_pool(err) and tries < 2:
                        if gen == generation:
                            replace_pool()   # the other tasks of the old pool are queued again, too
                        retry.append((items, tries + 1))
                        continue
                    if is_cancelled(err) and tries < 3:   # not the run's fault: send it again, poll() decides
                        retry.append((items, tries + 1))
                        continue
                    text = f"{err.__class__.__name__}: {' '.join(str(err).split())}"
                    results = [(it.run, None, None, text) for it in items]
                for run_index, row, series, error in results:
                    if error is not None or row is None:
                        report.failed[run_index] = error or "no result"
                        continue
                    store.add(row, series)
                    report.completed += 1
                    bar.update(1)
                    if callback is not None:
                        callback(report.done, plan.n_runs)
                if store.due():
                    store.flush()
        except (KeyboardInterrupt, _Interrupted):
            report.interrupted = True
        except (_Aborted, ExecutorLost) as err:
            report.aborted = str(err)
        report.seconds = time.monotonic() - start
        if compact and not (report.interrupted or report.aborted or report.failed):
            try:
                store.flush()
                if report.already_done + report.completed >= plan.n_runs:
                    report.compacted = store.compact()
            except (KeyboardInterrupt, _Interrupted):
                report.interrupted = True
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if bar is not None:
            bar.close()
        try:
            store.close()
        finally:
            report.parts_written = store.parts_written
            executor.close(cancel=True)
    return report


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise _Interrupted()


def _sigterm_as_interrupt() -> Any:
    """SIGTERM stops the sweep like Ctrl-C (flush what is done, then exit) — main thread only."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)

