"""Peak memory of one run against its estimate (sim.limits.estimate_memory).

Runs the baseline for 3 weeks in fresh processes at several sizes and prints the measured peak
resident memory, the estimate and their ratio. The coefficients in ``sim/limits.py`` come from
this script; rerun it after a change to the model's arrays.

    .venv/bin/python benchmarks/bench_memory.py
"""

from __future__ import annotations

import subprocess
import sys

from sim.limits import estimate_memory, format_bytes

CODE = """
import resource, sim
cfg = sim.load_scenario('baseline', {{'market.customers': {n}, 'weeks': 3}}).with_updates(sellers={s})
sim.run(cfg, seed=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""

SIZES = [(200_000, 4), (200_000, 40), (1_000_000, 4), (500_000, 100)]


def main() -> None:
    print(f"{'customers':>10} {'sellers':>8} {'measured':>10} {'estimate':>10} {'estimate/measured':>18}")
    for n, s in SIZES:
        out = subprocess.run([sys.executable, "-c", CODE.format(n=n, s=s)], capture_output=True, text=True, check=True)
        measured = float(out.stdout.split()[-1])
        est = estimate_memory(n, s, weeks=3)
        print(f"{n:>10,} {s:>8} {format_bytes(measured):>10} {format_bytes(est):>10} {est / measured:>18.2f}")


if __name__ == "__main__":
    main()
