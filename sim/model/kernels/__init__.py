"""Compiled loops (numba) for the week's phases of :class:`~sim.model.market.Market`, split by phase.

Every kernel carries out one phase with the model's rules (probabilities, formulas, clipping,
budget rules and counters), walking the week's entries one by one instead of paying NumPy's
per-call overhead on many small arrays. Random numbers come from the model's own
``numpy.random.Generator`` (passed in), so one seed gives one run.

Modules, one per concern:

* :mod:`.state` -- the named state (parameters, knobs, counters, arrays), built in one place;
* :mod:`.trust` -- ledger read/write, willingness, trust as seen, pressure, contact gain;
* :mod:`.budget` -- spending minutes, which tasks fit, booking presentation time;
* :mod:`.sales` -- fit, accepting a presentation, one sale, the next need's week;
* :mod:`.after_sales` -- failures, follow-ups, recovery, satisfaction, reviews, word of mouth;
* :mod:`.population` -- customers moving out and newcomers taking their place (turnover);
* :mod:`.contacts` -- customers seeking, warm leads, keeping in touch, cold list, prospecting;
* :mod:`.presentations` -- holding presentations, honest declines and hand-offs, the close.

This package must not import the market or any other model module that imports it (no cycles);
compiling ahead of time is :func:`sim.model.warmup.warm_up`.

numba's on-disk cache checks only the file of each compiled function, not the files of the
functions it calls; so that an edit to one kernel module never leaves a stale compiled caller
behind, the cached kernels are dropped whenever any module of this package changes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def _drop_stale_cache() -> None:
    """Remove numba's cached kernels of this package when any of its source files changed."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(here.glob("*.py")))).hexdigest()
    cache = here / "__pycache__"
    stamp = cache / "kernels-sources.sha256"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        for f in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            f.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        tmp = cache / f"kernels-sources.{os.getpid()}.tmp"
        tmp.write_text(digest)
        tmp.replace(stamp)
    except OSError:   # read-only install: numba keeps its cache elsewhere and the sources do not change
        pass


_drop_stale_cache()

from .after_sales import after_sales  # noqa: E402
from .contacts import customers_seek, keep_in_touch, prospect, serve_warm_leads  # noqa: E402
from .presentations import hold_presentations  # noqa: E402
from .sales import fits, next_needs, sell  # noqa: E402
from .state import COUNTER_DTYPE, NEVER, KernelState, State, build_state  # noqa: E402
from .trust import effective_trust, willingness  # noqa: E402

__all__ = ["KernelState", "State", "build_state", "COUNTER_DTYPE", "NEVER", "after_sales", "customers_seek",
           "serve_warm_leads", "keep_in_touch", "prospect", "hold_presentations", "sell", "fits",
           "next_needs", "willingness", "effective_trust"]
