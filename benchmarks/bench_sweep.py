"""Sweep throughput, executor overhead and parent memory.

Usage::

    python benchmarks/bench_sweep.py            # about 2-3 minutes on 2 cores
    python benchmarks/bench_sweep.py --quick    # smaller sizes, under a minute

Three measurements:

1. **Runs per minute at the baseline size** (2,000 customers, 4 sellers, 520 weeks) with 1 worker
   (in this process) and 2 local worker processes, and the speed-up ratio. Wall time of the whole
   ``run_sweep`` call, worker start-up included.
2. **Dask overhead per run**: the same small runs in this process and on a local Dask cluster of one
   single-threaded worker; per-run time is measured between the first and the last finished run
   (start-up excluded, reported separately), so the difference is the scheduling + transfer cost.
3. **Parent memory stays flat**: resident memory of this (the collecting) process after N and after
   4N finished runs, with 2 workers. Results go to disk in batches; nothing grows with the run count.

Machines here are shared and noisy; the load average is printed next to the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import experiments as sw  # noqa: E402


def make_plan(folder: Path, name: str, weeks: int, customers: int, points: int, replicates: int) -> sw.SweepPlan:
    """A grid over relationship.pressure with ``points`` values and ``replicates`` runs each."""
    values = [round(0.05 + 0.9 * i / max(points - 1, 1), 4) for i in range(points)]
    text = (f"name: {name}\nscenario: baseline\nset: {{weeks: {weeks}, market.customers: {customers}}}\n"
            f"levers:\n  relationship.pressure: {values}\ndesign: {{kind: grid}}\nreplicates: {replicates}\nseed: 1\n")
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return sw.plan_sweep(*sw.load_sweep(path))


def rss_mb() -> float:
    """Current resident memory of this process in MB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed_sweep(plan: sw.SweepPlan, out: Path, **kw) -> dict[str, float]:
    """Run a sweep; wall time, and finish times of every run (for per-run rates without start-up)."""
    stamps: list[float] = []
    c0 = time.process_time()
    t0 = time.perf_counter()
    report = sw.run_sweep(plan, out, progress=False, callback=lambda done, total: stamps.append(time.perf_counter()),
                          **kw)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    assert report.complete, report.line()
    n = len(stamps)
    steady = (stamps[-1] - stamps[0]) / (n - 1) if n > 1 else float("nan")
    return {"wall_s": wall, "runs": n, "runs_per_min": n / wall * 60, "first_s": stamps[0] - t0,
            "per_run_steady_s": steady, "parent_cpu_s": cpu}


def dask_sweep(plan: sw.SweepPlan, out: Path) -> dict[str, float]:
    """The sweep on a local Dask cluster of one single-threaded worker; CPU of every process counted."""
    from distributed import Client, LocalCluster

    def cpu() -> float:
        t = os.times()
        return t.user + t.system

    t0 = time.perf_counter()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        startup = time.perf_counter() - t0
        before = sum(client.run(cpu).values()) + sum(client.run(cpu, nanny=True).values())
        res = timed_sweep(plan, out, workers=1, scheduler=cluster.scheduler_address)
        after = sum(client.run(cpu).values()) + sum(client.run(cpu, nanny=True).values())
    res["startup_s"] = startup
    res["cluster_cpu_s"] = after - before
    res["total_cpu_s"] = res["parent_cpu_s"] + res["cluster_cpu_s"]
    return res


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    quick = args.quick
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        tmpdir = Path(tmp)

        print(f"== 1. throughput at the baseline size (2,000 customers, 4 sellers, 520 weeks)   load {load()}")
        n_base = 6 if quick else 24
        plan = make_plan(tmpdir, "base", 520, 2000, 3, n_base // 3)
        one = timed_sweep(plan, tmpdir / "base1", workers=1)
        two = timed_sweep(plan, tmpdir / "base2", workers=2)
        speedup = one["wall_s"] / two["wall_s"]
        print(f"  1 worker (in-process): {one['runs']} runs in {one['wall_s']:.1f} s = "
              f"{one['runs_per_min']:.1f} runs/min")
        print(f"  2 worker processes   : {two['runs']} runs in {two['wall_s']:.1f} s = "
              f"{two['runs_per_min']:.1f} runs/min (first result after {two['first_s']:.1f} s; "
              f"steady {60 / two['per_run_steady_s']:.1f} runs/min; "
              f"parent CPU {two['parent_cpu_s'] / two['runs'] * 1000:.0f} ms/run)")
        print(f"  speed-up 2 vs 1 workers: x{speedup:.2f}   load {load()}")
        results["baseline"] = {"one_worker": one, "two_workers": two, "speedup": speedup}

        print(f"\n== 2. Dask overhead per run (26 weeks, 200 customers)   load {load()}")
        n_small = 40 if quick else 100
        small = make_plan(tmpdir, "small", 26, 200, 10, n_small // 10)
        inproc = timed_sweep(small, tmpdir / "small_inproc", workers=1)
        dask1 = dask_sweep(small, tmpdir / "small_dask")
        overhead = dask1["per_run_steady_s"] - inproc["per_run_steady_s"]
        cpu_inproc = inproc["parent_cpu_s"] / inproc["runs"]
        cpu_dask = dask1["total_cpu_s"] / dask1["runs"]
        print(f"  in-process          : {inproc['per_run_steady_s'] * 1000:7.1f} ms/run wall, "
              f"{cpu_inproc * 1000:6.1f} ms/run CPU  ({inproc['runs_per_min']:.0f} runs/min)")
        client_ms = dask1["parent_cpu_s"] / dask1["runs"] * 1000
        worker_ms = dask1["cluster_cpu_s"] / dask1["runs"] * 1000
        print(f"  local Dask, 1 worker: {dask1['per_run_steady_s'] * 1000:7.1f} ms/run wall, "
              f"{cpu_dask * 1000:6.1f} ms/run CPU (client+scheduler {client_ms:.1f}, worker+nanny {worker_ms:.1f}); "
              f"cluster start-up {dask1['startup_s']:.1f} s")
        extra_cpu = cpu_dask - cpu_inproc
        print(f"  Dask overhead per run: {overhead * 1000:+.1f} ms wall "
              f"({overhead / inproc['per_run_steady_s'] * 100:+.0f}%), {extra_cpu * 1000:+.1f} ms CPU "
              f"({extra_cpu / cpu_inproc * 100:+.0f}%)   load {load()}")
        results["dask"] = {"in_process": inproc, "dask_local_1_worker": dask1, "overhead_per_run_wall_s": overhead,
                           "overhead_per_run_cpu_s": cpu_dask - cpu_inproc}

        print(f"\n== 3. parent memory with 2 workers (10 weeks, 100 customers)   load {load()}")
        n_mem = 100 if quick else 250
        tiny = make_plan(tmpdir, "tiny", 10, 100, 20, (4 * n_mem) // 20)
        marks: dict[int, float] = {}

        def watch(done: int, total: int) -> None:
            if done in (n_mem, 4 * n_mem):
                marks[done] = rss_mb()

        t0 = time.perf_counter()
        marks[0] = rss_mb()
        report = sw.run_sweep(tiny, tmpdir / "tiny", workers=2, progress=False, callback=watch)
        wall = time.perf_counter() - t0
        assert report.complete
        growth = marks[4 * n_mem] - marks[n_mem]
        print(f"  parent RSS after {n_mem} runs: {marks[n_mem]:.1f} MB; after {4 * n_mem} runs: "
              f"{marks[4 * n_mem]:.1f} MB (change {growth:+.1f} MB; {4 * n_mem} runs in {wall:.1f} s)")
        parts = report.parts_written
        print(f"  {parts} part files written while running, merged into "
              f"{len(list((tmpdir / 'tiny' / 'runs').glob('part-*.parquet')))} at the end")
        results["memory"] = {"n": n_mem, "rss_mb_at_n": marks[n_mem], "rss_mb_at_4n": marks[4 * n_mem],
                             "growth_mb": growth, "parts": parts}
    print("\n" + json.dumps(results, indent=1, default=float))


if __name__ == "__main__":   # required: worker processes re-import this file
    main()
