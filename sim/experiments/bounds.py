"""Sizes of a sweep, bounded before any work starts: design points, replicates, runs, memory.

A sweep file of a few lines can ask for 10^11 design points (eleven factors of ten values) or
10^30 runs; building such a design, even for a dry run, would take all the memory there is. The
sizes are computed from the factors alone (:func:`sim.experiments.design.design_size`) and
refused with one line naming the figure, the limit and the flag that lifts it
(``--allow-large`` on the command line, ``allow_large=True`` in Python), as :mod:`sim.limits`
does for single runs.

Owns: :func:`check_design` (design points, replicates, total runs and the design table's memory,
called by :func:`sim.experiments.plan_sweep` before the table is built) and :func:`check_workers`
(estimated memory of the worker processes, called before any worker starts), and
:data:`MAX_WORKERS`.

Must not: build the design, start workers or run the model.
"""

from __future__ import annotations

from typing import Any

from .. import limits
from ..config import Config, ConfigError
from .design import FactorInfo, design_size
from .spec import Design

__all__ = ["check_design", "check_workers", "MAX_WORKERS", "DESIGN_BYTES_PER_CELL"]

MAX_WORKERS = 512
"""Most local worker processes (a hard limit: each is a process with the model imported)."""
DESIGN_BYTES_PER_CELL = 64
"""Memory per design point and column while the table is built, hashed and written (copies included)."""


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"{n:.2e}"


def _how(factors: list[FactorInfo], d: Design, points: int) -> str:
    """How the number of points comes about, e.g. ``a grid of 10 x 10 x 3 levels = 300 points``."""
    if d.kind == "grid":
        sizes = [len(f.levels(d.levels or 3)) for f in factors]
        shown = " x ".join(map(str, sizes[:12])) + (" x ..." if len(sizes) > 12 else "")
        return f"a grid of {shown} levels = {_count(points)} points"
    if d.kind == "lhs":
        return f"a Latin hypercube of samples = {_count(points)} points"
    k = len(factors)
    per = f"2k + 2 = {2 * k + 2}" if d.second_order else f"k + 2 = {k + 2}"
    return f"Sobol samples = {d.samples} x ({per}, for k = {k} factors) = {_count(points)} points"


def check_design(factors: list[FactorInfo], d: Design, replicates: int, allow_large: bool = False) -> int:
    """Refuse a design too large to run or to hold, before it is built; return the number of points.

    The design table's memory is checked even with ``allow_large`` when it exceeds all the memory
    available (building it could only fail, slowly).

    Raises:
        ConfigError: too many replicates, runs, or more memory for the design than is available.
    """
    flag = "--allow-large"
    if replicates > limits.MAX_REPLICATES and not allow_large:
        raise ConfigError(f"replicates = {replicates}: at most {limits.MAX_REPLICATES} per design point without "
                          f"{flag}")
    points = design_size(factors, d)
    runs = points * replicates
    if runs > limits.MAX_RUNS and not allow_large:
        reps = f"{replicates} replicate{'s' if replicates != 1 else ''}"
        raise ConfigError(f"design: {_how(factors, d, points)} x {reps} = {_count(runs)} runs; "
                          f"at most {_count(limits.MAX_RUNS)} runs without {flag}")
    need = points * (len(factors) + 1) * DESIGN_BYTES_PER_CELL
    have = limits.available_memory()
    if have is not None and (need > have or (need > limits.SAFETY * have and not allow_large)):
        lift = "" if need > have else f", or pass {flag}"
        raise ConfigError(f"design: {_count(points)} points need about {limits.format_bytes(need)} of memory for the "
                          f"design table; this machine has {limits.format_bytes(have)} available: use fewer "
                          f"points{lift}")
    return points


def _largest_market(base: Config, factors: list[FactorInfo], design: Any) -> Config:
    """``base`` with the largest ``market.customers`` the design asks for (it drives a run's memory)."""
    for f in factors:
        if f.path == "market.customers" and len(design):
            biggest = int(design[f.name].max())
            if biggest > base.market.customers:
                return base.with_updates({"market.customers": biggest})
    return base


def check_workers(base: Config, factors: list[FactorInfo], design: Any, workers: int, scheduler: str | None,
                  allow_large: bool = False) -> float:
    """Refuse workers that together need more memory than this machine has; return the estimate (bytes).

    Local processes (and ``scheduler="local"``) all run here, so the estimate covers ``workers`` runs at
    once at the design's largest market; a remote Dask worker runs one at a time, so one run is checked.

    Raises:
        ConfigError: too many workers, or not enough memory (one line with the figure and the limit).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers = {workers!r}: must be a whole number, at least 1")
    if workers > MAX_WORKERS:
        raise ConfigError(f"--workers = {workers}: at most {MAX_WORKERS}")
    here = workers if scheduler in (None, "local") else 1
    config = _largest_market(base, factors, design)
    try:
        return limits.check_run(config, replicates=here, processes=here, allow_large=allow_large)
    except ConfigError as err:
        raise ConfigError(f"{here} worker process{'es' if here > 1 else ''}: {err}") from None

