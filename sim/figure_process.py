"""The figures of ``python -m sim run`` drawn by a second process, which imports matplotlib while the model runs.

Owns :class:`FigureProcess`: :meth:`FigureProcess.start` starts a fresh interpreter (:func:`serve`)
that imports matplotlib, pandas and :mod:`sim.plots` on another core while this process imports
Mesa and numba and runs the model (on the 2-core machine these imports are a third of the
command's time); :meth:`FigureProcess.submit` then hands it the weekly table and the summary
(pickled through its standard input) and :meth:`FigureProcess.paths` waits for the paths of the
files it wrote with :func:`sim.plots.save_figures`, the very function (and files) of drawing in
this process.

An error while drawing is raised again here with its own type (so a full disk is still the one
line ``error: cannot write results``); a figure process that cannot start, dies or answers
nonsense is not an error: the figures are then drawn in this process, as without it. With one
usable core, no idle core at the start (the machine busy with other work) or
``SIM_FIGURE_PROCESS=off``, :meth:`FigureProcess.start` gives None and the caller draws them
itself. Ctrl-C is this process's business: the figure process ignores it and ends when its
standard input closes (also when this process is killed).

Must not: import matplotlib, pandas or the model in this process (``run --no-plots`` and the
light commands never load them), or draw anything but what :func:`sim.plots.save_figures` draws.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import traceback
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = ["FigureProcess", "serve"]

ROOT = Path(__file__).resolve().parent.parent
"""The folder holding this ``sim`` package: the figure process imports the same code."""
ORDER = ("funnel", "sales_by_source", "cumulative_revenue", "cumulative_referrals")
"""The standard figures (:data:`sim.plots.FIGURE_FILES`) in the order they are handed out: the longest to draw first,
so that the two processes drawing them finish at about the same time."""
SERVE = "import sys; sys.path.insert(0, sys.argv[1]); from sim.figure_process import serve; serve()"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _idle_cores() -> int:
    """Cores nobody is using right now: the usable ones less the tasks running now, this one included.

    Read from ``/proc/loadavg`` (the running tasks of the whole machine at this instant); without
    it, every core but this process's counts as idle.
    """
    try:
        with open("/proc/loadavg") as fh:
            running = int(fh.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        running = 1
    return _cores() - max(running, 1)


class FigureProcess:
    """A started figure process (:meth:`start`): :meth:`submit`, then :meth:`paths`; or :meth:`close` to let it go."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self._job: tuple[Any, str | Path] | None = None
        self._sender: threading.Thread | None = None
        self._answered = False

    @classmethod
    def start(cls) -> FigureProcess | None:
        """Start the figure process, or None when it would not help (no idle core, switched off) or cannot start.

        On a machine whose cores are all busy it would only add its own imports (pandas, matplotlib:
        about a second of CPU time) to the work: the figures are then drawn in this process.
        ``SIM_FIGURE_PROCESS=on`` starts it whatever the load, ``off`` never.
        """
        setting = os.environ.get("SIM_FIGURE_PROCESS", "").strip().lower()
        if setting in ("off", "0", "no", "false") or _cores() < 2 or (setting != "on" and _idle_cores() < 1):
            return None
        try:
            proc = subprocess.Popen([sys.executable, "-c", SERVE, str(ROOT)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE)
        except OSError:
            return None
        return cls(proc)

    def submit(self, results: Any, out_dir: str | Path) -> None:
        """Hand over the standard figures of ``results`` to write into ``out_dir``; :meth:`paths` waits for them.

        Returns at once: the request (a few MB, more than a pipe holds) is written by a thread while
        the figure process reads it, which it does as soon as its imports are done.
        """
        self._job = (results, out_dir)
        request = pickle.dumps({"timeseries": results.timeseries, "summary": results.summary, "out": str(out_dir)},
                               protocol=pickle.HIGHEST_PROTOCOL)
        self._sender = threading.Thread(target=self._send, args=(request,), daemon=True, name="figure-request")
        self._sender.start()

    def _send(self, request: bytes) -> None:
        try:
            self._proc.stdin.write(request)
            self._proc.stdin.close()
        except (OSError, ValueError):   # the process is gone: paths() draws here
            pass

    def paths(self) -> list[Path]:
        """The files written for :meth:`submit` (as :func:`sim.plots.save_figures`); its error raised here."""
        try:
            reply = pickle.load(self._proc.stdout)
            ok = isinstance(reply, tuple) and len(reply) == 2 and reply[0] in ("ok", "error")
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
            ok = False
        self._answered = ok
        self.close()
        if not ok:   # the process died or went astray: draw here, as without it
            from .plots import save_figures

            return save_figures(*self._job)
        if reply[0] == "error":
            raise reply[1]
        return [Path(p) for p in reply[1]]

    def close(self) -> None:
        """Reap the figure process; stopped first unless it answered (the run failed or was interrupted)."""
        if not self._answered and self._proc.poll() is None:
            self._proc.kill()
        if self._sender is not None:
            self._sender.join()
        for pipe in (self._proc.stdin, self._proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self._proc.wait()


def serve() -> None:
    """The figure process: import the figure code, read one request, draw it, answer (see :class:`FigureProcess`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)   # anything printed while drawing goes to stderr, never into the answer
    from .startup import gc_paused

    with gc_paused():
        from .plots import FIGURE_FILES  # matplotlib, pandas and the figure code, while the model runs
    try:
        request = pickle.load(requests)
    except EOFError:   # nothing to draw (the run failed or was interrupted)
        return
    results = SimpleNamespace(timeseries=request["timeseries"], summary=request["summary"])
    drawn, error = _draw_all(results, request["out"])
    reply: tuple[str, Any] = ("error", error) if error else ("ok", [p for name in FIGURE_FILES for p in drawn[name]])
    try:
        answer = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:   # noqa: BLE001 - an error that cannot be pickled: its type and message
        answer = pickle.dumps(("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))
    answers.write(answer)
    answers.close()
    sys.stderr.flush()
    os._exit(0)   # answered: tearing down matplotlib and pandas (up to a second on a busy machine) helps nobody


def _draw_all(results: Any, out: str) -> tuple[dict[str, list[str]], Exception | None]:
    """Draw every figure, two at a time: this process and a fork of it take the next one as each is free.

    A fork that dies leaves its figures to this process; the first error (if any) is returned.
    """
    jobs, queue = os.pipe()
    os.write(queue, bytes(range(len(ORDER))))   # one byte per figure; a read takes the next one
    os.close(queue)
    helper = _fork_helper(jobs, results, out)
    drawn, error = _draw_from(jobs, results, out)
    os.close(jobs)
    if helper is not None:
        pid, answer = helper
        with os.fdopen(answer, "rb") as fh:
            try:
                theirs, their_error = pickle.load(fh)
            except Exception:   # noqa: BLE001 - the fork died: its figures are drawn below
                theirs, their_error = {}, None
        os.waitpid(pid, 0)
        drawn.update(theirs)
        error = error or their_error
    if error is None:
        more, error = _draw_from(None, results, out, tuple(name for name in ORDER if name not in drawn))
        drawn.update(more)
    return drawn, error


def _draw_from(jobs: int | None, results: Any, out: str,
               names: tuple[str, ...] = ()) -> tuple[dict[str, list[str]], Exception | None]:
    """Draw ``names``, then the figures taken from the ``jobs`` pipe until none is left; stop at an error."""
    from .plots import save_figures

    drawn: dict[str, list[str]] = {}
    todo = list(names)
    try:
        while todo or jobs is not None:
            if todo:
                name = todo.pop(0)
            elif job := os.read(jobs, 1):
                name = ORDER[job[0]]
            else:
                break
            drawn[name] = [str(p) for p in save_figures(results, out, names=[name])]
    except Exception as err:   # noqa: BLE001 - every drawing error is raised again by the caller
        err.add_note("(in the figure process)\n" + traceback.format_exc())
        return drawn, err
    return drawn, None


def _fork_helper(jobs: int, results: Any, out: str) -> tuple[int, int] | None:
    """A fork of this process drawing figures from ``jobs`` too: (its pid, the pipe of its answer), or None.

    Python warns about forking a process with threads: here only pyarrow's memory allocator has one
    (pandas imports pyarrow), and jemalloc is fork-safe; the fork only draws and writes PNG files.
    """
    answer, reply = os.pipe()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(answer)
        os.close(reply)
        return None
    if pid:
        os.close(reply)
        return pid, answer
    try:   # the fork: draw, answer, and never return into the caller
        os.close(answer)
        drawn, error = _draw_from(jobs, results, out)
        try:
            data = pickle.dumps((drawn, error), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:   # noqa: BLE001 - an error that cannot be pickled: its type and message
            data = pickle.dumps((drawn, RuntimeError(f"{type(error).__name__}: {error}")))
        with os.fdopen(reply, "wb") as fh:
            fh.write(data)
    finally:
        os._exit(0)
