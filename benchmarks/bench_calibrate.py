"""How fast calibration, the ensemble headline and the attribution run, and how long their defaults take.

Usage::

    python benchmarks/bench_calibrate.py             # about 2 minutes on 2 idle cores
    python benchmarks/bench_calibrate.py --quick     # smaller samples, under a minute

Measured (wall time of the real functions, worker start-up included, into temporary folders):

1. **Year-1 runs per minute** (the calibration's runs: baseline market, 52 weeks, every target
   measured) with 1 worker (in this process) and with 2 local worker processes, and the duration of
   the default ``python -m sim calibrate`` (``Settings().runs`` runs) at that rate.
2. **Ten-year runs per minute** (520 weeks, the headline and the attribution's runs) with 2 workers,
   and the duration of the defaults: ``python -m sim explain baseline`` (2^9 subsets x 3 replicates)
   and ``python -m sim ensemble baseline`` (every shipped member and the single market, 3 replicates).

Each rate is also given as CPU time per run in this process (1 worker), which other work on the
machine disturbs far less than wall time, and turned into the rate of 2 idle cores. Targets (issue
10): a default ``calibrate`` under 30 minutes and ``explain`` under 5 minutes on 2 cores. Machines
here are shared and noisy; the load average is printed next to the figures, and nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.calibration.attribution import MECHANISMS, explain  # noqa: E402
from sim.calibration.design import DEFAULT, Settings  # noqa: E402
from sim.calibration.matching import calibrate  # noqa: E402


def load() -> str:
    """The 1-minute load average (other work on a 2-core machine slows every figure)."""
    return f"{os.getloadavg()[0]:.2f}"


def year1_rate(points: int, workers: int, folder: Path) -> tuple[float, float]:
    """Year-1 calibration runs per minute (wall) and CPU seconds per run in this process (1 worker only)."""
    settings = Settings(design=points, refine=2, waves=1, replicates=1, seed=7)
    t0, c0 = time.perf_counter(), time.process_time()
    calibrate(folder, settings=settings, workers=workers, progress=False)
    return points / (time.perf_counter() - t0) * 60, (time.process_time() - c0) / points


def ten_year_rate(groups: int, replicates: int, workers: int, folder: Path) -> tuple[float, float]:
    """520-week runs per minute and CPU seconds per run: the attribution of ``groups`` groups."""
    cfg = sim.load_scenario("baseline")
    names = [m.name for m in MECHANISMS[:groups]]
    runs = 2**groups * replicates
    t0, c0 = time.perf_counter(), time.process_time()
    explain(cfg, folder, replicates=replicates, groups=names, workers=workers, progress=False)
    return runs / (time.perf_counter() - t0) * 60, (time.process_time() - c0) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    args = parser.parse_args()
    y1_points = 256 if args.quick else 1024
    groups = 3 if args.quick else 4
    sim.run(sim.load_scenario("baseline", weeks=2), seed=0)   # compile / load the kernels first
    print(f"load average before: {load()}  (2 cores; other work shares them)")
    with tempfile.TemporaryDirectory() as tmp:
        one, cpu1 = year1_rate(y1_points // 4, 1, Path(tmp) / "y1-1")
        two, _ = year1_rate(y1_points, 2, Path(tmp) / "y1-2")
        quiet1 = 2 * 60 / cpu1
        print(f"year-1 runs (calibration): {one:,.0f} runs/min with 1 worker, {two:,.0f} with 2 workers "
              f"(speed-up {two / one:.2f}x); load {load()}")
        print(f"  CPU per run {cpu1 * 1000:.0f} ms -> about {quiet1:,.0f} runs/min on 2 idle cores")
        print(f"default calibrate: {DEFAULT.design} + {DEFAULT.waves - 1} x {DEFAULT.refine} points x "
              f"{DEFAULT.replicates} replicates = {DEFAULT.runs:,} runs -> {DEFAULT.runs / two:.1f} min at the "
              f"measured rate, {DEFAULT.runs / quiet1:.1f} min on 2 idle cores (target < 30)")
        in_process, cpu10 = ten_year_rate(groups - 1, 1, 1, Path(tmp) / "ten-1")
        rate, _ = ten_year_rate(groups, 2, 2, Path(tmp) / "ten-2")
        quiet10 = 2 * 60 / cpu10
        print(f"520-week runs (headline, attribution): {in_process:,.0f} runs/min with 1 worker, {rate:,.0f} with "
              f"2 workers; load {load()}")
        print(f"  CPU per run {cpu10 * 1000:.0f} ms -> about {quiet10:,.0f} runs/min on 2 idle cores")
        k = len(MECHANISMS)
        for reps in (3, 4):
            runs = 2**k * reps
            print(f"explain (one scenario), 2^{k} subsets x {reps} replicates = {runs:,} runs -> {runs / rate:.1f} min "
                  f"at the measured rate, {runs / quiet10:.1f} min on 2 idle cores (target < 5)")
        runs = 8 * 2**k
        print(f"explain --ensemble (8 members x 2^{k} subsets x 1 replicate = {runs:,} runs) -> {runs / rate:.1f} min "
              f"measured, {runs / quiet10:.1f} min idle")
        try:
            from sim.calibration.ensemble import load_ensemble

            members = len(load_ensemble().members)
            runs = (members + 1) * 3
            print(f"ensemble (one scenario): ({members} members + 1) x 3 replicates = {runs:,} runs -> "
                  f"{runs / rate:.1f} min measured, {runs / quiet10:.1f} min idle")
        except sim.ConfigError as err:
            print(f"ensemble: no shipped ensemble yet ({err})")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
