"""Sweep throughput, how it scales with workers, executor overhead and parent memory.

Usage::

    python benchmarks/bench_sweep.py                  # about 2-3 minutes on 2 cores
    python benchmarks/bench_sweep.py --quick          # smaller sizes, under a minute
    python benchmarks/bench_sweep.py --only throughput --runs 60
    python benchmarks/bench_sweep.py --tree /work/main --only throughput   # another checkout's code

Four measurements:

1. **Runs per minute at the baseline size** (``--customers``, default the shipped baseline's; 4 sellers,
   520 weeks) with 1 worker
   (in this process) and 1..N local worker processes (``--workers``): wall time of the whole
   ``run_sweep`` call (worker start-up included), the steady rate (first to last finished run),
   and the **CPU time per run** summed over this process and every worker (user + system, read
   from ``/proc``). CPU per run hardly depends on what else the machine is doing, so
   ``cores x 60 / CPU per run`` estimates the rate on idle cores honestly; the load average is
   printed with every figure. Ratios are to :data:`BEFORE_CPU_MS_PER_RUN` and
   :data:`BEFORE_IDLE_RUNS_PER_MIN` (2 workers, before the array-based outcome rows) and to issue
   12's starting figure.
2. **Where a run's time goes** (in this process, CPU): the model's weekly steps, then what a
   sweep does with the finished model (outcome row; weekly table with ``--keep-series``).
3. **Dask overhead per run**: the same small runs in this process and on a local Dask cluster of one
   single-threaded worker; per-run time is measured between the first and the last finished run
   (start-up excluded, reported separately), so the difference is the scheduling + transfer cost.
4. **Parent memory stays flat**: resident memory of this (the collecting) process after N and after
   4N finished runs, with 2 workers. Results go to disk in batches; nothing grows with the run count.

Before the array-based outcome rows (commit c8f8853, ``--tree`` on that checkout, 48 runs, two
runs each alternating with this tree's in the same session, load average 4.2-4.7 on the 2 cores):
1 worker 253-274 runs/min, 212-229 ms CPU per run; 2 workers 184-193 runs/min wall (221-230
steady), 254-274 ms CPU per run, so about 455 runs/min on 2 idle cores. After: 1 worker 319-334
runs/min, 173-182 ms; 2 workers 200-251 runs/min wall (264-340 steady), 174-224 ms, about 610
runs/min on 2 idle cores. Issue 12 started from about 515 runs/min
(:data:`ISSUE_START_RUNS_PER_MIN`, quiet machine); its target is 2,000 runs/min on 2 workers, which
needs at most 60 ms of CPU per run: the model's 520 weekly steps alone took 150-190 ms, about 120-150
ms of it whatever the market's size (section 2), so the target was not reachable from the sweep layer.
With the whole week in one compiled call (the fused week) the steps take about 45-65 ms, 13-15 ms of
it fixed, and 2 workers reach about 1,860 runs/min on idle cores (65 ms CPU per run, load 3.3).
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
TARGET_RUNS_PER_MIN = 2000.0
"""Issue 12: sweep throughput at the baseline size on 2 workers."""
ISSUE_START_RUNS_PER_MIN = 515.0
"""Issue 12's starting figure: 2 workers, baseline size, steady (pandas table + summary per run)."""
BEFORE_CPU_MS_PER_RUN = 264.0
"""2 workers, baseline size, steady CPU per run over all processes, before the array-based rows."""
BEFORE_IDLE_RUNS_PER_MIN = 455.0
"""The same, as runs per minute on 2 idle cores (2 x 60 s / CPU per run)."""
OLD_BASELINE_CUSTOMERS = 2000
"""The baseline's size when the figures above were taken (it is 10,000 households since 2026-12-01)."""


def _tree() -> Path:
    """``--tree DIR`` (read before the project is imported): whose ``sim`` to measure.

    Kept in the environment, because worker processes import this file again with other arguments
    (and must import the same ``sim``).
    """
    if "--tree" in sys.argv:
        os.environ["SIM_BENCH_TREE"] = str(Path(sys.argv[sys.argv.index("--tree") + 1]).resolve())
    return Path(os.environ.get("SIM_BENCH_TREE", ROOT))


TREE = _tree()
sys.path.insert(0, str(TREE))
os.environ["PYTHONPATH"] = os.pathsep.join([str(TREE), *filter(None, [os.environ.get("PYTHONPATH")])])

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


def _children() -> dict[int, int]:
    """Parent pid of every process, by pid (from /proc)."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    out[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return out


def descendant_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of every live descendant of this process, by pid."""
    parents = _children()
    mine, todo = set(), [os.getpid()]
    while todo:
        pid = todo.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in mine]
        mine.update(kids)
        todo.extend(kids)
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in mine:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return out


def timed_sweep(plan: sw.SweepPlan, out: Path, **kw) -> dict[str, float]:
    """Run a sweep: wall time, finish times of every run, CPU of this process and its workers."""
    stamps: list[float] = []
    seen: dict[int, float] = {}
    first: dict[int, float] = {}       # CPU at the first finished run: worker start-up is behind us
    first_parent: list[float] = []

    def on_run(done: int, total: int) -> None:
        stamps.append(time.perf_counter())
        if len(stamps) in (1, 2) or len(stamps) % 8 == 0 or done == total:   # workers' CPU, while they live
            now = descendant_cpu()
            seen.update(now)
            if len(stamps) == 1:
                first.update(now)
                first_parent.append(time.process_time())

    start_cpu = descendant_cpu()   # e.g. a Dask cluster started before this call
    load0 = os.getloadavg()[0]
    c0 = time.process_time()
    t0 = time.perf_counter()
    report = sw.run_sweep(plan, out, progress=False, callback=on_run, **kw)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    assert report.complete, report.line()
    n = len(stamps)
    steady = (stamps[-1] - stamps[0]) / (n - 1) if n > 1 else float("nan")
    workers_cpu = sum(v - start_cpu.get(pid, 0.0) for pid, v in seen.items())
    steady_cpu = (sum(v - first.get(pid, start_cpu.get(pid, 0.0)) for pid, v in seen.items())
                  + (c0 + cpu - first_parent[0]))
    return {"wall_s": wall, "runs": n, "runs_per_min": n / wall * 60, "first_s": stamps[0] - t0,
            "per_run_steady_s": steady, "steady_runs_per_min": 60 / steady if n > 1 else float("nan"),
            "parent_cpu_s": cpu, "workers_cpu_s": workers_cpu,
            "cpu_ms_per_run": (cpu + workers_cpu) / n * 1000,
            "steady_cpu_ms_per_run": steady_cpu / (n - 1) * 1000 if n > 1 else float("nan"),
            "load_before": load0, "load_after": os.getloadavg()[0]}


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


def ratio(x: float, ref: float) -> str:
    return f"x{x / ref:.2f}" if ref == ref else "n/a"


def throughput(tmpdir: Path, runs: int, workers: list[int], customers: int) -> dict:
    """Section 1: runs/min at ``customers`` for each worker count, CPU per run, idle-core estimate."""
    print(f"== 1. throughput at {customers:,} customers, 4 sellers, 520 weeks, {runs} runs   load {load()}")
    if customers != OLD_BASELINE_CUSTOMERS:
        print(f"  (the 'before' figures below were measured at {OLD_BASELINE_CUSTOMERS:,} customers, the baseline's "
              f"size until 2026-12-01: use --customers {OLD_BASELINE_CUSTOMERS} to compare like with like)")
    points = 4
    plan = make_plan(tmpdir, "base", 520, customers, points, max(1, runs // points))
    out: dict[str, dict] = {}
    print(f"  {'workers':<22} {'runs':>5} {'wall':>7} {'runs/min':>9} {'steady':>8} {'CPU/run':>9} "
          f"{'steady':>7} {'idle est.':>10} {'load':>10}")
    for n in workers:
        label = "1 (in this process)" if n == 1 else f"{n} processes"
        res = timed_sweep(plan, tmpdir / f"base{n}", workers=n)
        res["idle_estimate_runs_per_min"] = n * 60_000 / res["steady_cpu_ms_per_run"]
        out[str(n)] = res
        print(f"  {label:<22} {res['runs']:>5} {res['wall_s']:>6.1f}s {res['runs_per_min']:>9.0f} "
              f"{res['steady_runs_per_min']:>8.0f} {res['cpu_ms_per_run']:>7.0f}ms "
              f"{res['steady_cpu_ms_per_run']:>5.0f}ms "
              f"{res['idle_estimate_runs_per_min']:>10.0f} {res['load_before']:>4.1f}->{res['load_after']:.1f}")
    print("  (steady: from the first to the last finished run, worker start-up excluded; CPU/run: this"
          "\n   process + workers, user + system; idle est.: workers x 60 s / steady CPU per run, the rate"
          "\n   on that many idle cores)")
    if "1" in out:
        for n, res in out.items():
            if n != "1":
                est = res["idle_estimate_runs_per_min"] / out["1"]["idle_estimate_runs_per_min"]
                print(f"  {n} workers vs 1: speed-up x{out['1']['wall_s'] / res['wall_s']:.2f} in wall time "
                      f"(idle-core estimate x{est:.2f}; below it when other work holds the cores)")
    if "2" in out:
        two = out["2"]
        idle = two["idle_estimate_runs_per_min"]
        print(f"  2 workers: {two['runs_per_min']:.0f} runs/min wall at this load; steady CPU/run "
              f"{two['steady_cpu_ms_per_run']:.0f} ms ({ratio(two['steady_cpu_ms_per_run'], BEFORE_CPU_MS_PER_RUN)} "
              f"the {BEFORE_CPU_MS_PER_RUN:.0f} ms before the array-based rows); on 2 idle cores about "
              f"{idle:.0f} runs/min ({ratio(idle, BEFORE_IDLE_RUNS_PER_MIN)} the {BEFORE_IDLE_RUNS_PER_MIN:.0f} "
              f"before, {ratio(idle, ISSUE_START_RUNS_PER_MIN)} issue 12's {ISSUE_START_RUNS_PER_MIN:.0f}); "
              f"target {TARGET_RUNS_PER_MIN:.0f} ({'met' if idle >= TARGET_RUNS_PER_MIN else 'not met'})"
              f"   load {load()}")
    return out


def phases(runs: int) -> dict[str, float]:
    """Section 2: CPU ms per run of the model's steps and of what a sweep does with the result."""
    import sim
    from sim.experiments.batch import RunContext, RunItem, run_batch
    from sim.model.market import Market
    from sim.model.metrics import summarize

    cfg = sim.load_scenario("baseline")
    order = [g.strategy for g in cfg.sellers]
    plan_out = sw.outcomes.default_outcomes("numbers_game", "relationship")
    ctx = RunContext(cfg, plan_out, {}, "numbers_game", "relationship", False)
    run_batch(ctx, [RunItem(0, 0, 0, 0, {}, {})])   # load the compiled kernels
    totals = {"model steps": 0.0, "weekly table (pandas)": 0.0, "summary from the table (pandas)": 0.0,
              "run_batch: whole run + outcome row": 0.0}
    for seed in range(runs):
        t = time.process_time()
        model = Market(cfg, rng=seed)
        model.run()
        totals["model steps"] += time.process_time() - t
        t = time.process_time()
        frame = model.recorder.frame(model)
        totals["weekly table (pandas)"] += time.process_time() - t
        t = time.process_time()
        summarize(frame, cfg.market.price, order)
        totals["summary from the table (pandas)"] += time.process_time() - t
        t = time.process_time()
        run_batch(ctx, [RunItem(seed, 0, 0, seed, {}, {})])
        totals["run_batch: whole run + outcome row"] += time.process_time() - t
    small = cfg.with_updates({"market.customers": 200})
    t = time.process_time()
    for seed in range(runs):
        Market(small, rng=seed).run()
    totals["model steps, 200 customers (fixed cost)"] = time.process_time() - t
    ms = {k: v / runs * 1000 for k, v in totals.items()}
    ms["run_batch beyond the model steps"] = ms["run_batch: whole run + outcome row"] - ms["model steps"]
    print(f"\n== 2. where a baseline run's CPU goes (in this process, {runs} runs)   load {load()}")
    for k, v in ms.items():
        print(f"  {k:<42} {v:7.1f} ms")
    floor = 2 * 60_000 / ms["model steps"]
    print(f"  floor set by the model steps alone on 2 idle cores: {floor:.0f} runs/min; of the model's "
          f"{ms['model steps']:.0f} ms, {ms['model steps, 200 customers (fixed cost)']:.0f} ms do not depend on "
          f"the market's size (520 weeks of one compiled call each: the week's contacts, which the hours set, "
          f"and Mesa's step)   load {load()}")
    ms["floor_2_cores_runs_per_min"] = floor
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--runs", type=int, default=0,
                        help="baseline-size runs per worker count (default 48, quick 12)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument("--only", choices=["throughput", "phases", "dask", "memory"], action="append",
                        help="run only these sections (repeatable)")
    parser.add_argument("--tree", type=Path, help="measure the sim package of another checkout")
    parser.add_argument("--customers", type=int, default=0,
                        help="market size of the throughput runs (default: the shipped baseline's)")
    args = parser.parse_args()
    if args.customers < 0:
        parser.error(f"--customers = {args.customers}: must be a positive number of customers")
    quick = args.quick
    only = set(args.only or ["throughput", "phases", "dask", "memory"])
    print(f"sim from {Path(sw.__file__).parent.parent}; {os.cpu_count()} cores; load {load()}")
    results: dict[str, dict] = {}
    home = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        tmpdir = Path(tmp)
        os.chdir(tmpdir)   # worker processes put the working directory first on their path: keep it neutral
        if "throughput" in only:
            import sim

            customers = args.customers or sim.load_scenario("baseline").market.customers
            results["baseline"] = throughput(tmpdir, args.runs or (12 if quick else 48), args.workers, customers)
        if "phases" in only:
            results["phases"] = phases(5 if quick else 20)
        if "dask" in only:
            results["dask"] = dask_section(tmpdir, quick)
        if "memory" in only:
            results["memory"] = memory_section(tmpdir, quick)
        os.chdir(home)
    print("\n" + json.dumps(results, indent=1, default=float))


def dask_section(tmpdir: Path, quick: bool) -> dict:
    """Section 3: the Dask overhead per run."""
    print(f"\n== 3. Dask overhead per run (26 weeks, 200 customers)   load {load()}")
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
    return {"in_process": inproc, "dask_local_1_worker": dask1, "overhead_per_run_wall_s": overhead,
            "overhead_per_run_cpu_s": extra_cpu}


def memory_section(tmpdir: Path, quick: bool) -> dict:
    """Section 4: the collecting process's memory stays flat."""
    print(f"\n== 4. parent memory with 2 workers (10 weeks, 100 customers)   load {load()}")
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
    return {"n": n_mem, "rss_mb_at_n": marks[n_mem], "rss_mb_at_4n": marks[4 * n_mem], "growth_mb": growth,
            "parts": parts}


if __name__ == "__main__":   # required: worker processes re-import this file
    main()
