"""Size limits checked before any work starts: replicates, total runs and estimated peak memory.

Owns: the estimate of a run's peak memory (from measured coefficients, see below), the machine's
available memory, and :func:`check_run`, which refuses with one line naming the figure, the limit
and the flag that lifts it (``--allow-large`` on the command line, ``allow_large=True`` in Python).

Must not: run the model, or import anything heavier than the config.

The memory coefficients were measured with ``benchmarks/bench_memory.py`` (peak resident memory of
a fresh process running the baseline for a few weeks at several sizes, minus the import): a fixed
part, a part per customer (needs, purchases, friendships) and a part per customer x seller pair
(trust, fit, contact dates, purchases with each seller, and the float64 start-up matrix). The fit
over (200,000 x 4), (1,000,000 x 4) and (500,000 x 100) predicts the 9.7 GB an earlier fault pass
measured for 2,000,000 customers x 200 sellers within 1%.
"""

from __future__ import annotations

import os

from .errors import ConfigError

__all__ = ["MAX_REPLICATES", "MAX_RUNS", "estimate_memory", "available_memory", "check_run", "format_bytes"]

MAX_REPLICATES = 1_000
"""Most replicates of one run without ``allow_large``."""
MAX_RUNS = 1_000_000
"""Most model runs in one sweep or calibration without ``allow_large``."""

IMPORT_BYTES = 222e6
"""Resident memory of a process that has imported the model (Python, NumPy, Mesa, numba)."""
FIXED_BYTES = 72e6
PER_CUSTOMER_BYTES = 39.4
PER_PAIR_BYTES = 23.25
PER_SERIES_CELL_BYTES = 8 * 64
"""Weekly series: about 64 float columns per seller and week, kept for every replicate."""
SAFETY = 0.8
"""Share of the available memory a run may plan to use."""


def estimate_memory(customers: int, sellers: int, weeks: int = 520, replicates: int = 1,
                    processes: int = 1) -> float:
    """Estimated peak resident memory in bytes, over all ``processes`` running at once."""
    model = FIXED_BYTES + PER_CUSTOMER_BYTES * customers + PER_PAIR_BYTES * customers * sellers
    series = PER_SERIES_CELL_BYTES * weeks * sellers * replicates
    return processes * (IMPORT_BYTES + model) + series


def available_memory() -> float | None:
    """Memory available to new work (``MemAvailable`` of ``/proc/meminfo``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """``1.2 GB`` style."""
    for unit, size in (("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 1e3:.0f} kB"


def check_run(config: object, replicates: int = 1, processes: int = 1, allow_large: bool = False,
              flag: str = "--allow-large") -> float:
    """Refuse a run that is too large before it starts; return its estimated peak memory (bytes).

    Args:
        config: a :class:`sim.config.Config`.
        replicates: replicate runs of it.
        processes: how many of them run at the same time.
        allow_large: lift the limits knowingly.
        flag: how the caller lifts the limits, named in the message.

    Raises:
        ConfigError: too many replicates, or more memory than the machine has available.
    """
    if replicates > MAX_REPLICATES and not allow_large:
        raise ConfigError(f"replicates = {replicates}: at most {MAX_REPLICATES} without {flag}")
    market = config.market  # type: ignore[attr-defined]
    n_sellers = config.n_sellers  # type: ignore[attr-defined]
    need = estimate_memory(market.customers, n_sellers, config.weeks, replicates,  # type: ignore[attr-defined]
                           max(1, min(processes, replicates)))
    have = available_memory()
    if have is not None and need > SAFETY * have and not allow_large:
        raise ConfigError(
            f"market.customers = {market.customers} x {n_sellers} sellers needs about {format_bytes(need)} of memory; "
            f"this machine has {format_bytes(have)} available (limit {int(SAFETY * 100)}%): use fewer customers, "
            f"sellers or worker processes, or pass {flag}")
    return need
