"""A command's start and end (:mod:`sim.startup`): the collector paused and resumed, the exit code and output kept.

``python -m sim`` ends its process without tearing it down, after every ``atexit`` handler: the
exit code must be the command's and everything printed must arrive, also through a pipe.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from sim.startup import gc_paused

ROOT = Path(__file__).resolve().parent.parent


def _sim(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim", *argv], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_gc_paused_resumes_the_collector_and_nests() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()   # only the outermost context resumes it
    assert gc.isenabled()
    gc.unfreeze()


def test_gc_paused_leaves_a_paused_collector_paused() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_exit_codes_and_output_of_python_m_sim(tmp_path: Path) -> None:
    ok = _sim("scenarios", cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("baseline"), ok.stderr
    assert _sim("bogus-command", cwd=tmp_path).returncode == 2
    assert _sim("run", "no_such_scenario", cwd=tmp_path).returncode == 2
    run = _sim("run", "baseline", "--weeks", "30", "--customers", "200", "--replicates", "2", "--workers", "2",
               "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith(f"Results written to {tmp_path / 'out'}/"), run.stdout[-300:]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == [
        "cumulative_referrals.png", "cumulative_revenue.png", "funnel.png", "sales_by_source.png"]
