"""Compiled loops (numba) for the week's phases of :class:`~sim.model.market.Market`, split by phase.

Every kernel carries out one phase with the model's rules (probabilities, formulas, clipping,
budget rules and counters), walking the week's entries one by one instead of paying NumPy's
per-call overhead on many small arrays. Random numbers come from the model's own
``numpy.random.Generator`` (passed in), so one seed gives one run.

Modules, one per concern:

* :mod:`.cache` -- where the compiled kernels are cached; damaged files are rebuilt;
* :mod:`.state` -- the named state (parameters, knobs, counters, arrays), built in one place;
* :mod:`.refs` -- the structure-reference types the state's groups have inside compiled code;
* :mod:`.trust` -- ledger read/write, willingness, trust as seen, pressure, contact gain;
* :mod:`.draws` -- a bounded integer and a permutation, numba's own draws without its per-call overhead;
* :mod:`.budget` -- spending minutes, which tasks fit, booking presentation time;
* :mod:`.sales` -- fit, accepting a presentation, one sale, the next need's week;
* :mod:`.after_sales` -- failures, follow-ups, recovery, satisfaction, reviews, word of mouth;
* :mod:`.population` -- customers moving out and newcomers taking their place (turnover);
* :mod:`.contacts` -- customers seeking, warm leads, keeping in touch, cold list, prospecting;
* :mod:`.presentations` -- holding presentations, honest declines and hand-offs, the close;
* :mod:`.bookkeeping` -- the week's start (decay, counters, budget), needs arising and expiring, its end
  (minutes, debt, the recorder's rows), the public rating signal;
* :mod:`.week` -- the week's phases in order, with preallocated queues between them, in one compiled call.

This package must not import the market or any other model module that imports it (no cycles);
compiling ahead of time is :func:`sim.model.warmup.warm_up`.

The compiled kernels are cached on disk (:mod:`.cache` chooses the folder, drops cached kernels
whenever any module of this package changes, since numba checks only each function's own file,
and removes damaged cache files before numba reads them).
"""

from __future__ import annotations

from .cache import prepare as _prepare_cache

CACHE = _prepare_cache()
"""Where this process caches the compiled kernels (see :mod:`.cache`): chosen before any is compiled."""

from .after_sales import after_sales  # noqa: E402
from .bookkeeping import end_week, expire_needs, needs_arise, refresh_signal, start_week  # noqa: E402
from .contacts import customers_seek, keep_in_touch, prospect, serve_warm_leads  # noqa: E402
from .presentations import hold_presentations  # noqa: E402
from .sales import fits, next_needs, sell  # noqa: E402
from .state import COUNTER_DTYPE, NEVER, KernelState, State, build_state  # noqa: E402
from .trust import effective_trust, willingness  # noqa: E402
from .week import (  # noqa: E402
    after_sales_phase,
    close_week,
    customers_seek_phase,
    hold_presentations_phase,
    keep_in_touch_phase,
    open_week,
    prospect_phase,
    queue_sales,
    run_week,
    serve_warm_leads_phase,
)

__all__ = ["KernelState", "State", "build_state", "COUNTER_DTYPE", "NEVER", "after_sales", "customers_seek",
           "serve_warm_leads", "keep_in_touch", "prospect", "hold_presentations", "sell", "fits",
           "next_needs", "willingness", "effective_trust", "start_week", "needs_arise", "expire_needs", "end_week",
           "refresh_signal", "run_week", "open_week", "close_week", "queue_sales", "after_sales_phase",
           "customers_seek_phase", "serve_warm_leads_phase", "keep_in_touch_phase", "prospect_phase",
           "hold_presentations_phase"]
