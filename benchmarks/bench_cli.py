"""Time the command line as a person waits for it: whole processes, wall clock, against ``import mesa``.

Usage::

    python benchmarks/bench_cli.py                      # run baseline with plots vs import mesa, 5 runs each
    python benchmarks/bench_cli.py --runs 9             # more runs (medians are printed)
    python benchmarks/bench_cli.py --before /work/main  # the same commands on another checkout, in the same run
    python benchmarks/bench_cli.py --replicates 20      # also --replicates 20 with --workers 1 and 2
    python benchmarks/bench_cli.py --light --before /work/main   # only the light commands, this tree vs another

Each case is a fresh ``python`` process; the cases take turns (mesa, run, run --no-plots, mesa, ...)
so that a change in the machine's load hits them alike. Printed per case: the median wall time,
the median CPU time of the process and its children (user + system, less disturbed by other work
on a busy machine) and the ratio of the median wall time to that of ``python -c "import mesa"``,
which is the floor (the model is a ``mesa.Model``). Issue 12's target: ``run baseline`` with its
plots at most 2x ``import mesa``.

Before issue 12 ("Speed where people wait"), on this 2-core machine: ``run baseline`` about 5 s
wall with plots, 2.9 s without, ``import mesa`` 1.3 s (ratio about 3.8); ``--replicates 20`` ran
its replicates one after another on one core. ``--before DIR`` measures another checkout (e.g.
the main branch before the change) in the same run, so both sets of figures share the machine's
load.

The light commands, ``python -m sim scenarios`` and ``python -m sim --help``, need no model: they
import no Mesa, pandas or numba (``tests/test_lazy_import.py`` checks the modules). Before that
change (commit c8f8853: ``import sim`` imported the model eagerly and ``--help`` built every
command's arguments), see :data:`BEFORE_LIGHT`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2.0
"""Issue 12: ``python -m sim run baseline`` (with plots) within 2x ``python -c "import mesa"``."""
BEFORE_LIGHT = {"python -m sim scenarios": (4.44, 1.69), "python -m sim --help": (4.26, 1.76),
                "import mesa": (2.88, 1.15)}
"""Median (wall, CPU) seconds at commit c8f8853, 7 runs, machine busy (load average 4.4-6.9, so wall
is about 2.5x CPU); ``--before`` gives a fresh pair in the same run."""
LIGHT = ("import mesa", "python -m sim scenarios", "python -m sim --help")


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the process and its children) of one command."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: {err.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def cases(tree: Path, out: Path, replicates: int, light: bool = False) -> dict[str, list[str]]:
    py = sys.executable
    run = [py, "-m", "sim", "run", "baseline", "--quiet"]
    out_cases = {
        "import mesa": [py, "-c", "import mesa"],
        "python -m sim scenarios": [py, "-m", "sim", "scenarios"],
        "python -m sim --help": [py, "-m", "sim", "--help"],
        "run baseline (4 PNGs)": [*run, "--out", str(out / "plots")],
        "run baseline --no-plots": [*run, "--no-plots", "--out", str(out / "data")],
    }
    if light:
        return {k: v for k, v in out_cases.items() if k in LIGHT}
    if replicates:
        for workers in (1, 2):
            out_cases[f"run --replicates {replicates} --workers {workers}"] = [
                *run, "--no-plots", "--replicates", str(replicates), "--workers", str(workers),
                "--out", str(out / f"reps{workers}")]
    return out_cases


def measure(tree: Path, runs: int, replicates: int, label: str,
            light: bool = False) -> dict[str, tuple[float, float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        todo = cases(tree, Path(tmp), replicates, light)
        if "--workers" not in subprocess.run([sys.executable, "-m", "sim", "run", "--help"], env=env, cwd=tmp,
                                             capture_output=True, text=True).stdout:
            todo = {k: v for k, v in todo.items() if "--workers" not in k}   # an older tree: no --workers
        timed(todo.get("run baseline --no-plots", todo["import mesa"]), env, Path(tmp))   # warm the caches
        walls: dict[str, list[float]] = {k: [] for k in todo}
        cpus: dict[str, list[float]] = {k: [] for k in todo}
        for i in range(runs):
            for name, cmd in todo.items():
                if "--replicates" in name and i >= max(1, runs // 2):   # the long cases: fewer runs
                    continue
                wall, cpu = timed(cmd, env, Path(tmp))
                walls[name].append(wall)
                cpus[name].append(cpu)
    result = {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in todo}
    floor = result["import mesa"][0]
    print(f"\n{label}: {tree}")
    print(f"  {'case':<38} {'wall (median)':>14} {'CPU':>8} {'wall / import mesa':>19}")
    for name, (wall, cpu) in result.items():
        print(f"  {name:<38} {wall:>12.2f} s {cpu:>6.2f} s {wall / floor:>18.2f}x")
    if "run baseline (4 PNGs)" in result:
        ratio = result["run baseline (4 PNGs)"][0] / floor
        print(f"  target: run baseline with plots <= {TARGET:.1f}x import mesa -> {ratio:.2f}x "
              f"({'met' if ratio <= TARGET else 'not met'})")
    for name in LIGHT[1:]:
        if name in result:
            old = BEFORE_LIGHT[name][0] / BEFORE_LIGHT["import mesa"][0]
            print(f"  {name}: {result[name][0] / floor:.2f}x import mesa, CPU {result[name][1]:.2f} s "
                  f"(recorded before the lazy imports: {old:.2f}x, CPU {BEFORE_LIGHT[name][1]:.2f} s: "
                  f"x{result[name][1] / BEFORE_LIGHT[name][1]:.2f})")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5; the median is printed)")
    parser.add_argument("--before", type=Path, metavar="DIR", help="also time another checkout (e.g. /work/main)")
    parser.add_argument("--light", action="store_true",
                        help="only import mesa, sim scenarios and sim --help (quick)")
    parser.add_argument("--replicates", type=int, default=0, metavar="R",
                        help="also time --replicates R with --workers 1 and 2 (default: skip)")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores); "
          f"python {sys.version.split()[0]}")
    now = measure(ROOT, args.runs, args.replicates, "this tree", args.light)
    if args.before:
        before = measure(args.before.resolve(), args.runs, args.replicates, "before", args.light)
        print("\nthis tree / before (wall):")
        for name in now:
            if name in before:
                print(f"  {name:<38} {now[name][0] / before[name][0]:>6.2f}")
    if args.replicates:
        one = now.get(f"run --replicates {args.replicates} --workers 1")
        two = now.get(f"run --replicates {args.replicates} --workers 2")
        if one and two:
            print(f"\n--replicates {args.replicates}: 2 workers take {two[0] / one[0]:.2f} of the wall time of 1")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
