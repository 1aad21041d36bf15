"""A command's start-up: importing the heavy libraries without the garbage collector walking them.

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

Must not: import anything itself, or be used by the library (a notebook's objects must stay
collectable: freezing them is the command line's business, in a process that ends with the command).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


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
