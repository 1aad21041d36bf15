"""Worker processes for running the model in parallel: how they start and how they end.

Owns: the start-up every worker process of the project runs (Ctrl-C is the parent's business; the
worker exits as soon as the process that started the work is gone, even after a SIGKILL), used by
:func:`sim.model.runner.run_replicates` and by :mod:`sim.experiments.executors`.

Must not: decide how many workers there are or what they run.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

__all__ = ["init_worker", "watch_parent"]


def watch_parent(pid: int) -> None:
    """Exit this worker as soon as process ``pid`` is gone.

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


def init_worker(parent_pid: int, nice: int = 0) -> None:
    """Worker start-up: Ctrl-C is the parent's business; die with the parent; ``nice`` lowers the priority."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice > 0:
        try:
            os.nice(nice)
        except OSError:  # pragma: no cover - a system that refuses: run at the usual priority
            pass
    threading.Thread(target=watch_parent, args=(parent_pid,), daemon=True, name="watch-parent").start()
