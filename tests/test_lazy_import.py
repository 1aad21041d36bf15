"""``import sim``, ``python -m sim scenarios`` and ``python -m sim --help`` load no model code.

A module check, not a time: the listed heavy libraries must be absent from ``sys.modules`` after
the command, in a fresh interpreter (the worktree first on the path, as for every subprocess test).
And every public name of ``sim`` still resolves on first use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("mesa", "pandas", "numba", "matplotlib", "scipy", "pyarrow", "networkx")

PROBE = """
import json, runpy, sys
sys.argv = ["sim", *sys.argv[1:]]
try:
    runpy.run_module("sim", run_name="__main__")
except SystemExit as stop:
    code = stop.code
else:
    code = 0
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def _probe(*argv: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    return json.loads(proc.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [("scenarios",), ("--help",), ("bogus-command",)])
def test_light_commands_import_no_model(argv: tuple[str, ...]) -> None:
    result = _probe(*argv)
    assert result["loaded"] == [], f"python -m sim {' '.join(argv)} imported {result['loaded']}"
    assert result["code"] == (2 if argv == ("bogus-command",) else 0)


def test_import_sim_is_light() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import sys, sim; sim.Config; sim.load_scenario('baseline'); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_every_public_name_resolves() -> None:
    for name in sim.__all__:
        assert getattr(sim, name) is not None, name
    assert sim.run is sim.model.runner.run
    assert sim.experiments.run_sweep is not None
    assert set(sim.__all__) <= set(dir(sim))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sim.nope  # noqa: B018
