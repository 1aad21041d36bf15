"""Time model set-up and run separately, and show how run time grows with customers and weeks.

Usage::

    python benchmarks/bench_model.py            # everything (about 2 minutes)
    python benchmarks/bench_model.py --quick    # skips the 1,000,000-customer case

Machines here are noisy, so every case is timed in one process, reported as the best of a few
repeats (CPU time of this process, which other load disturbs less than wall time), and compared as
ratios. The million-customer case runs in a child process so its peak memory can be read alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402


def time_case(customers: int, sellers: int, weeks: int, repeats: int = 3) -> dict[str, float]:
    """Best-of-``repeats`` CPU seconds for building and for running one model."""
    cfg = sim.load_scenario("baseline", weeks=weeks, sellers=sellers, updates={"market.customers": customers})
    setups, runs = [], []
    for i in range(repeats):
        t0 = time.process_time()
        model = sim.Market(cfg, rng=i)
        t1 = time.process_time()
        model.run()
        t2 = time.process_time()
        setups.append(t1 - t0)
        runs.append(t2 - t1)
    return {"customers": customers, "sellers": sellers, "weeks": weeks, "setup_s": min(setups), "run_s": min(runs)}


def child_million() -> None:
    """Run the 1,000,000-customer case and print timings and peak memory as JSON."""
    res = time_case(1_000_000, 4, 520, repeats=1)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def fmt(r: dict[str, float]) -> str:
    return (f"{r['customers']:>9,} customers x {r['sellers']:>2} sellers x {r['weeks']:>3} weeks: "
            f"set-up {r['setup_s']:6.3f} s, run {r['run_s']:6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the million-customer case")
    parser.add_argument("--child-million", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_million:
        child_million()
        return

    print("== targets")
    base = time_case(2000, 4, 520, repeats=5)
    print(fmt(base), "  (target run <= 0.25 s; the baseline's size until 2026-12-01)")
    default = sim.load_scenario("baseline").market.customers
    if default != 2000:
        now = time_case(default, 4, 520, repeats=5)
        print(fmt(now), f"  (the baseline now; x{now['run_s'] / base['run_s']:.2f} the run time at 2,000)")
    big = time_case(100_000, 20, 520, repeats=1)
    print(fmt(big), "  (target run <= 6 s)")
    if not args.quick:
        out = subprocess.run([sys.executable, __file__, "--child-million"], capture_output=True, text=True, check=True)
        million = json.loads(out.stdout.strip().splitlines()[-1])
        print(fmt(million), f"peak memory {million['peak_rss_mb']:.0f} MB  (target run <= 60 s, <= 2,048 MB)")

    print("\n== scaling with customers (4 sellers, 520 weeks); ratio = run time / run time at 2,000")
    for n in (2_000, 20_000, 200_000):
        r = base if n == 2000 else time_case(n, 4, 520, repeats=2)
        print(fmt(r), f"  x{r['run_s'] / base['run_s']:.1f} time for x{n / 2000:.0f} customers")

    print("\n== scaling with weeks (2,000 customers, 4 sellers); ratio = run time / run time at 130 weeks")
    first = None
    for w in (130, 260, 520, 1040):
        r = time_case(2000, 4, w, repeats=3)
        first = first or r["run_s"]
        print(fmt(r), f"  x{r['run_s'] / first:.1f} time for x{w / 130:.0f} weeks")

    print("\n== scaling with sellers (20,000 customers, 520 weeks); ratio = run time / run time at 2 sellers")
    first = None
    for s in (2, 4, 20, 100):
        r = time_case(20_000, s, 520, repeats=1)
        first = first or r["run_s"]
        print(fmt(r), f"  x{r['run_s'] / first:.1f} time for x{s / 2:.0f} sellers")


if __name__ == "__main__":
    main()
