"""Soak test: a real sweep survives SIGKILLs, a killed worker and a damaged part, and gives the same table.

``python -m sim sweep`` (2 local worker processes) is killed with SIGKILL at 5 random moments
(two counted from the start, so possibly during start-up; three counted from the moment the
workers exist, so mid-run) and started again each time with the same command. During
one of those runs a worker process (a grandchild of the sweep: sweep -> fork server -> workers) is
killed with SIGKILL and the sweep must carry on; between two runs a part file is truncated, and
the next start must move it aside and redo its runs. The last start finishes the sweep, and its
table must equal an uninterrupted run's, row for row, with no run written twice.

Bounded: 60 runs of 520 weeks at 20,000 customers, about 0.1 s each with the fused week (at 1,000
customers the whole sweep finished before a kill could land once the model got faster); two to
three minutes on 2 shared cores. Marked ``slow``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim import experiments as sw

pytestmark = pytest.mark.slow

SOAK = """\
name: soak
scenario: baseline
set: {weeks: 520, market.customers: 20000}   # long enough runs to kill mid-sweep (a run is ~0.1 s)
levers:
  relationship.pressure: {low: 0.0, high: 0.8, levels: 4}
uncertainties:
  market.skepticism_mean: [0.1, 0.35, 0.6]
design: {kind: grid}
replicates: 5
seed: 2024
"""
KILLS = 5
SEED = 1313
BUDGET = 5
"""A start is killed at its random moment, or as soon as this many new runs are on disk (runs must remain)."""


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def worker_pids(sweep_pid: int) -> list[int]:
    """The pool's worker processes: children of the sweep's children (the fork server's)."""
    return [w for c in children(sweep_pid) for w in children(c)]


def runs_on_disk(out: Path) -> int:
    return len(sw.load_runs(out)) if (out / "runs").is_dir() else 0


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=30)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find worker processes")
def test_soak_kills_worker_loss_and_damage(tmp_path: Path) -> None:
    path = tmp_path / "soak.yaml"
    path.write_text(SOAK, encoding="utf-8")
    plan = sw.plan_sweep(*sw.load_sweep(path))
    assert plan.n_runs == 60
    assert sw.run_sweep(plan, tmp_path / "reference", workers=1, progress=False).complete
    reference = sw.load_runs(tmp_path / "reference")

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"]
    rng = random.Random(SEED)
    log: list[str] = []
    faults = 0
    for attempt in range(KILLS):
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            started = time.monotonic()
            at_start = runs_on_disk(out)
            if attempt == 2:    # a worker dies mid-run; the sweep replaces the pool and goes on
                deadline = started + 60
                while (not worker_pids(proc.pid) or runs_on_disk(out) <= at_start) and time.monotonic() < deadline:
                    assert proc.poll() is None, proc.stderr.read()
                    time.sleep(0.1)
                victim = worker_pids(proc.pid)[0]
                os.kill(victim, signal.SIGKILL)
                faults += 1
                after_kill = runs_on_disk(out)
                while runs_on_disk(out) <= after_kill and time.monotonic() < deadline:
                    assert proc.poll() is None, proc.stderr.read()
                    time.sleep(0.1)
                assert runs_on_disk(out) > after_kill, "no run finished after the worker was killed"
                log.append(f"worker {victim} killed at {after_kill} runs; the sweep went on")
                delay, phase = time.monotonic() - started, "after start, once a run landed after the worker kill"
            elif attempt in (0, 3):     # anywhere, start-up included
                delay, phase = rng.uniform(0.3, 3.0), "after start"
            else:                       # mid-run: once the workers exist
                while not worker_pids(proc.pid) and proc.poll() is None and time.monotonic() - started < 60:
                    time.sleep(0.05)
                started, (delay, phase) = time.monotonic(), (rng.uniform(0.5, 4.0), "into the runs")
            while (time.monotonic() - started < delay and proc.poll() is None
                   and runs_on_disk(out) < at_start + BUDGET):
                time.sleep(0.05)
            assert proc.poll() is None, f"the sweep ended before kill {attempt + 1}: {proc.stderr.read()}"
            os.kill(proc.pid, signal.SIGKILL)
            faults += 1
            proc.wait(timeout=30)
        finally:
            kill_group(proc)            # the fork server and workers die with it; make sure of it
            proc.stderr.close()
        log.append(f"SIGKILL {attempt + 1} {delay:.1f} s {phase}: {runs_on_disk(out)} runs on disk")
        if attempt == 2:                # damage from outside: a part file cut in half
            parts = sorted((out / "runs").glob("part-*.parquet")) if (out / "runs").is_dir() else []
            assert parts, "no part file on disk to damage"
            os.truncate(parts[0], parts[0].stat().st_size // 2)
            faults += 1
            log.append(f"truncated {parts[0].name}")
    final = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    print("\n".join([*log, f"faults injected: {faults}; final run exit {final.returncode}"]))
    assert final.returncode == 0, final.stderr
    assert faults == KILLS + 2
    pd.testing.assert_frame_equal(sw.load_runs(out), reference)
    raw = pd.read_parquet(out / "runs")
    assert raw["run"].is_unique and len(raw) == plan.n_runs          # nothing written twice, nothing lost
    assert not list(out.rglob(".*.tmp"))
