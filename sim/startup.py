"""A command's start and end: heavy imports with the garbage collector paused, an end with no teardown.

Owns :func:`gc_paused`, the context in which ``python -m sim run`` imports Mesa, pandas, numba and
matplotlib and makes its first compiled call. Those imports (and numba's first compiled call,
which imports numba's implementation modules) create about a million objects that live as long as
the process; Python's cyclic garbage collector, meanwhile, walks all of them again and again (a
full collection each time the long-lived objects grew by a quarter) and finds next to nothing to
free: about a fifth of the command's time (0.6 s of 3 s measured on the 2-core machine, with
``gc.callbacks``). Inside :func:`gc_paused` it does not run; on leaving, the objects made so far
are frozen (:func:`gc.freeze`: never walked again) and collecting resumes as before, for the new
objects only. A model run makes little cyclic garbage (about a thousand objects per run), so a
single run may sit inside the context; many runs (replicates, sweeps) must not, as their models
are cyclic garbage once done.

Owns :func:`end_without_teardown` and :func:`finish` too, for ``python -m sim`` only: once a command
is done, Python would still tear the process down (free every object, module by module: 0.1 s of
``run``, 0.3 s of ``python -c "import mesa"``, CPU time measured on the 2-core machine). The
handler registered by :func:`end_without_teardown` is the first ``atexit`` handler of the process
(``python -m sim`` registers none before it), so it runs after all the others (numba's,
multiprocessing's, logging's, temporary folders'): it flushes standard output and error and ends
the process with the command's exit code (1 if the command never returned one).

Must not: import anything itself, or be used by the library (a notebook's objects must stay
collectable: freezing them is the command line's business, in a process that ends with the command).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

__all__ = ["gc_paused", "end_without_teardown", "finish"]

_EXIT_CODE = [1]   # until finish() is given the command's code


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with the cyclic garbage collector paused; then freeze what exists and resume it.

    Nested use is fine: only the outermost context resumes the collector (if it was running).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def end_without_teardown() -> None:
    """Register the handler that ends the process once every other ``atexit`` handler has run (register first)."""
    atexit.register(_end_now)


def finish(code: int) -> NoReturn:
    """Exit with ``code``: the handler of :func:`end_without_teardown` (if registered) ends the process with it."""
    _EXIT_CODE[0] = code
    sys.exit(code)


def _end_now() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):   # closed, a broken pipe, or no stream at all
            pass
    os._exit(_EXIT_CODE[0])
