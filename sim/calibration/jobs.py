"""Resumable batches of model runs: a folder of finished jobs, and the loop that feeds an executor.

Calibration, the ensemble headline and the attribution all run many independent, seeded model runs
whose results are small JSON records. :class:`JobStore` keeps them in the ``--out`` folder::

    DIR/runs/<model>/identity.json      what these jobs are (checked on restart: other work is refused)
    DIR/runs/<model>/jobs/part-*.jsonl  finished jobs, one JSON record a line, each part written atomically

where ``<model>`` is :func:`model_fingerprint`, a hash of the model's source: after a change to the
model the same command starts afresh in a new subfolder instead of reusing runs of the old model.

and :func:`run_jobs` runs whatever is not in the folder yet on a :mod:`sim.experiments.executors`
executor (in this process, local processes, or Dask), with a progress bar. Killing it loses at most
the last few seconds of work; running the same command again finishes only what is missing, and
since every job is seeded by its own key the results are the same as an uninterrupted run.

Owns: the folder layout, the lock, the identity check and the scheduling loop. Must not: know what
a job computes (callers pass a picklable top-level function and its arguments).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import queue
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..errors import ConfigError

__all__ = ["JobStore", "run_jobs", "JobFailed", "default_chunk", "model_fingerprint", "FINGERPRINTED"]

FINGERPRINTED = ("model", "config.py", "strategy.py", "schema.py", "calibration/markets.py", "calibration/targets.py")
"""Sources (under ``sim/``) whose change makes earlier runs stale: the model, its settings, the measures."""


def model_fingerprint() -> str:
    """SHA-256 of the source files in :data:`FINGERPRINTED` (paths and bytes, in sorted order)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for entry in FINGERPRINTED:
        target = root / entry
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for path in files:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class JobFailed(RuntimeError):
    """Some jobs raised; finished ones are on disk and the failed ones run again next time."""


def _diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b), key=str):
            out += _diff(a.get(k), b.get(k), f"{prefix}{k}.")
        return out
    return [] if a == b else [prefix.rstrip(".") or "identity"]


class JobStore:
    """A folder of finished jobs (layout in the module docstring); one writer at a time."""

    def __init__(self, folder: str | Path, identity: dict[str, Any], what: str = "calibration",
                 flush_seconds: float = 2.0) -> None:
        self.out = Path(folder)
        fingerprint = model_fingerprint()
        self.folder = self.out / "runs" / fingerprint[:16]
        self.identity = json.loads(json.dumps({**identity, "model_sha256": fingerprint}, sort_keys=True, default=str))
        self.what = what
        self.flush_seconds = flush_seconds
        self.jobs_dir = self.folder / "jobs"
        self._buffer: list[dict[str, Any]] = []
        self._last = time.monotonic()
        self._lock: Any = None

    def _check(self) -> None:
        meta = self.folder / "identity.json"
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"--out {self.out}: exists and is not a folder")
        if not meta.exists():
            if self.out.is_dir() and not (self.out / "runs").is_dir() and any(
                    not p.name.startswith(".") for p in self.out.iterdir()):
                raise ConfigError(f"--out {self.out}: folder exists, is not empty and holds no runs/; "
                                  "choose a new or empty folder")
            return
        try:
            theirs = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ConfigError(f"{meta}: unreadable ({err}); delete the folder to start over") from None
        if theirs != self.identity:
            changed = ", ".join(_diff(theirs, self.identity)[:4])
            raise ConfigError(f"--out {self.out} holds a different {theirs.get('kind', 'job')} "
                              f"(changed: {changed}); its results are left untouched: use a new --out folder, "
                              "or delete this one to start over")

    def open(self) -> dict[str, Any]:
        """Check the identity, lock the folder and return the finished results by key."""
        self._check()
        self.folder.mkdir(parents=True, exist_ok=True)
        fh = open(self.folder / ".lock", "a+")  # noqa: SIM115 - held while the jobs run
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise ConfigError(f"--out {self.out}: another {self.what} is writing there; wait for it or stop it") \
                from None
        self._lock = fh
        if not (self.folder / "identity.json").exists():
            write_text(self.folder / "identity.json", json.dumps(self.identity, indent=2, sort_keys=True) + "\n")
        self.jobs_dir.mkdir(exist_ok=True)
        return self.done()

    @property
    def is_open(self) -> bool:
        """True while this store holds the folder's lock."""
        return self._lock is not None

    def done(self) -> dict[str, Any]:
        """Finished results by key (any part file; a damaged line is skipped and its job redone)."""
        out: dict[str, Any] = {}
        for part in sorted(self.jobs_dir.glob("part-*.jsonl")) if self.jobs_dir.is_dir() else []:
            for line in part.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                    out[record["key"]] = record["result"]
                except (ValueError, KeyError, TypeError):
                    continue
        return out

    def add(self, key: str, result: Any) -> None:
        """Buffer one finished job; written by :meth:`flush`."""
        self._buffer.append({"key": key, "result": result})

    def due(self) -> bool:
        """True when buffered results should go to disk."""
        return bool(self._buffer) and time.monotonic() - self._last >= self.flush_seconds

    def flush(self) -> None:
        """Write buffered results as one new part file (atomically)."""
        self._last = time.monotonic()
        if not self._buffer:
            return
        lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in self._buffer)
        self._buffer = []
        write_text(self.jobs_dir / f"part-{time.time_ns()}-{uuid.uuid4().hex[:6]}.jsonl", lines)

    def close(self) -> None:
        """Flush and release the lock."""
        try:
            self.flush()
        finally:
            if self._lock is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
                self._lock.close()
                self._lock = None


def _run_chunk(fn: Callable[..., Any], items: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, Any, str | None]]:
    """Run jobs in a worker; an error comes back as text (the job is retried next time)."""
    out: list[tuple[str, Any, str | None]] = []
    for key, args in items:
        try:
            out.append((key, fn(*args), None))
        except Exception as err:  # one failing job must not take the others down
            out.append((key, None, f"{err.__class__.__name__}: {' '.join(str(err).split())}"))
    return out


class _Stop(BaseException):  # noqa: N818 - like KeyboardInterrupt
    """SIGTERM arrived."""


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple[str, tuple[Any, ...]]], store: JobStore, *,
             workers: int = 1, scheduler: str | None = None, chunk: int = 1, desc: str = "runs",
             progress: bool = True, max_restarts: int = 3) -> dict[str, Any]:
    """Run every job of ``jobs`` not yet in ``store``; return the results of all of them by key.

    Args:
        fn: a picklable top-level function; job ``(key, args)`` runs ``fn(*args)``, whose result must be
            JSON-serialisable.
        jobs: ``(key, args)`` pairs; keys are unique and name the job (its seed comes from its args).
        store: an opened or new :class:`JobStore` (opened here if needed; closed at the end).
        workers: local processes (1 = in this process); the size of the cluster with ``scheduler="local"``.
        scheduler: a Dask scheduler address (``tcp://host:port``) or ``"local"``.
        chunk: jobs per task (more amortises scheduling for tiny runs).
        desc: label of the progress bar.
        progress: show the progress bar on stderr.
        max_restarts: how often a local pool whose worker died is replaced before giving up.

    Raises:
        JobFailed: some jobs raised (the others are on disk; a rerun retries only the failed ones).
        KeyboardInterrupt: Ctrl-C or SIGTERM; finished jobs are on disk.
    """
    from tqdm import tqdm

    from ..experiments.executors import ExecutorLost, is_broken_pool, is_cancelled, make_executor

    done = store.done() if store.is_open else store.open()
    wanted = {key for key, _ in jobs}
    results = {k: v for k, v in done.items() if k in wanted}
    pending = [(k, a) for k, a in jobs if k not in results]
    failed: dict[str, str] = {}
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_stop)
    bar = tqdm(total=len(jobs), initial=len(results), desc=desc, unit="run", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, smoothing=0.05, mininterval=0.5 if sys.stderr.isatty() else 10.0)
    executor = None
    try:
        if pending:
            executor = make_executor(workers, scheduler)
            chunks = [pending[i:i + chunk] for i in range(0, len(pending), chunk)]
            finished: queue.Queue = queue.Queue()
            inflight: dict[Any, list[tuple[str, tuple[Any, ...]]]] = {}
            restarts = 0

            def submit(items: list[tuple[str, tuple[Any, ...]]]) -> None:
                fut = executor.submit(_run_chunk, fn, items)
                inflight[fut] = items
                fut.add_done_callback(finished.put)

            todo = list(reversed(chunks))
            lost: dict[str, int] = {}
            while todo or inflight:
                while todo and len(inflight) < executor.slots:
                    submit(todo.pop())
                warning = executor.poll()   # a Dask cluster without workers or scheduler: warn, then give up
                if warning:
                    tqdm.write(warning, file=sys.stderr)
                try:
                    fut = finished.get(timeout=0.5)
                except queue.Empty:
                    if store.due():
                        store.flush()
                    continue
                items = inflight.pop(fut, None)
                if items is None:
                    continue
                try:
                    out = executor.result(fut)
                except BaseException as err:
                    if isinstance(err, (KeyboardInterrupt, _Stop)):
                        raise
                    first = items[0][0]
                    if is_cancelled(err) and lost.get(first, 0) < 3:   # lost with a worker: send it again
                        lost[first] = lost.get(first, 0) + 1
                        todo.append(items)
                        continue
                    if is_broken_pool(err) and restarts < max_restarts:
                        restarts += 1
                        executor.restart()
                        todo.extend(inflight.values())
                        todo.append(items)
                        inflight.clear()
                        continue
                    text = f"{err.__class__.__name__}: {' '.join(str(err).split())}"
                    out = [(k, None, text) for k, _ in items]
                for key, result, error in out:
                    if error is not None:
                        failed[key] = error
                        continue
                    results[key] = result
                    store.add(key, result)
                    bar.update(1)
                if store.due():
                    store.flush()
    except _Stop:
        raise KeyboardInterrupt from None
    except ExecutorLost as err:
        raise JobFailed(f"{err}; {len(results)} of {len(jobs)} runs are saved in the folder: run the same command "
                        "again to resume") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        bar.close()
        try:
            store.close()
        finally:
            if executor is not None:
                executor.close(cancel=True)
    if failed:
        first = min(failed)
        raise JobFailed(f"{len(failed)} of {len(jobs)} runs failed (run {first}: {failed[first]}); the rest are saved "
                        "in the folder and a rerun of the same command retries only the failed ones")
    return results


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop()


def default_chunk(weeks: int) -> int:
    """Jobs per task: a few short runs per task, one long run per task."""
    return max(1, min(8, 200 // max(weeks, 1)))

