"""Every notebook runs top to bottom on a fresh kernel, and computes what it claims.

Notebooks are executed with nbclient on the ``python3`` kernel of the interpreter running the tests
(the venv's ipykernel), from the ``notebooks/`` folder as Jupyter would. The notebooks hold nothing
for the tests: after a notebook has run, the test executes a *probe* (code kept here, in
:data:`PROBES`) in the same kernel, which prints the notebook's key numbers as JSON from the
variables the notebook left behind. Committed notebooks carry no outputs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import sim

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no", "off"):
    # locally without the notebooks extra: skip; in CI it is installed, so a missing package fails
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("ipywidgets")

import nbclient  # noqa: E402
import nbformat  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"consultant_demo", "student_playground", "researcher_sweeps", "dashboard"}


PROBES = {
    'consultant_demo': (
        'import json\n'
        'key = headline_numbers(results.summary)\n'
        'key["scenario"] = SCENARIO\n'
        'key["seed"] = SEED\n'
        'key["exported"] = sorted(p.name for p in paths)\n'
        'key["dashboard_leader_final"] = dashboard.summary()["leader_final"]\n'
        'key["sales_by_source"] = {name: s["sales_by_source"] for name, s in results.summary["strategies"].items()}\n'
        'print(json.dumps(key, default=float))\n'
    ),
    'researcher_sweeps': (
        'import json\n'
        'print(json.dumps({\n'
        '    "replicates": REPLICATES,\n'
        '    "revenue_ratio": reps.summary["revenue_ratio"],\n'
        '    "leader_final": reps.summary["leader_final"],\n'
        '    "leader_final_share": reps.summary["ahead_final"]["relationship"],\n'
        '    "replicates_in_table": int(reps.timeseries["replicate"].nunique()),\n'
        '    "smoke_runs_completed": report.completed,\n'
        '    "smoke_runs_total": plan.n_runs,\n'
        '    "smoke_failed": len(report.failed),\n'
        '    "smoke_grid_points": int(len(grid)),\n'
        '    "smoke_mean_log_ratio": {f"{k[0]}|{k[1]}": v for k, v in grid["mean"].items()},\n'
        '    "param_levels": LEVELS,\n'
        '    "param_ratio": table[["ratio_mean", "ratio_low", "ratio_high"]].to_dict(orient="index"),\n'
        '    "elapsed_s": ELAPSED,\n'
        '}, default=float))\n'
    ),
    'student_playground': (
        'import json\n'
        'import statistics\n'
        'print(json.dumps({\n'
        '    "scenario": app.panel.base.name,\n'
        '    "revenue_before": before,\n'
        '    "revenue_after": after,\n'
        '    "rerun_seconds": rerun,\n'
        '    "rerun_median_s": statistics.median(rerun),\n'
        '    "invalid_error": invalid_error,\n'
        '    "error_after_reset": app.error,\n'
        '    "runs": app.runs,\n'
        '    "controls": len(app.panel.controls),\n'
        '    "scenarios": list(app.panel.scenario.options),\n'
        '}))\n'
    ),
}
"""Code run in a notebook's kernel after the notebook, printing its key numbers as JSON."""


def execute(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timeout: int = 600):
    """Run ``notebooks/<name>.ipynb`` on a fresh kernel, then its probe; return the executed notebook.

    The probe's cell is appended to the returned (in-memory) notebook only; the file is untouched.
    """
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("SIM_FIGURES_DIR", str(tmp_path / "figures"))
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=timeout,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        if name in PROBES:
            probe = nbformat.v4.new_code_cell(PROBES[name], metadata={"probe": True})
            nb.cells.append(probe)
            client.execute_cell(probe, len(nb.cells) - 1)
    return nb


def key_numbers(nb) -> dict:
    """The JSON the probe printed."""
    cells = [c for c in nb.cells if c.get("metadata", {}).get("probe")]
    assert len(cells) == 1, "the notebook was run without its probe"
    text = "".join(o.get("text", "") for o in cells[0].outputs if o.output_type == "stream" and o.name == "stdout")
    return json.loads(text.strip().splitlines()[-1])


def images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


# ----------------------------------------------------------------------------------------- stored form
def test_expected_notebooks_exist():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: clear them before committing"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_thin_client(path: Path):
    """No model logic in notebooks: they never build a Market or touch the model's internals."""
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    for forbidden in ("sim.Market(", "from sim.model", "import sim.model", ".step()"):
        assert forbidden not in source, f"{path.name} uses {forbidden!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_no_test_plumbing(path: Path):
    """What the tests read comes from probes kept in this file, not from cells in the notebook."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        assert "test-output" not in tags, f"{path.name} cell {i} is tagged for tests"
        assert "machine-readable" not in cell.source and "test suite" not in cell.source.lower(), \
            f"{path.name} cell {i} talks to the test suite"


# ----------------------------------------------------------------------------------------- execution
def test_consultant_demo(tmp_path, monkeypatch):
    nb = execute("consultant_demo", tmp_path, monkeypatch)
    key = key_numbers(nb)
    direct = sim.run(sim.load_scenario("two_cobblers"), seed=key["seed"]).summary
    assert key["scenario"] == "two_cobblers" and key["weeks"] == 520
    for name in ("leader_year1", "leader_final", "crossover_week", "incumbent", "challenger"):
        assert key[name] == direct[name], name
    assert key["leader_final"] in ("numbers_game", "relationship")
    assert key["revenue_ratio"] == pytest.approx(direct["revenue_ratio"])
    assert key["dashboard_leader_final"] == key["leader_final"]
    assert sum(sum(s.values()) for s in key["sales_by_source"].values()) > 0
    # the export wrote PNG and SVG of every figure into $SIM_FIGURES_DIR
    out = tmp_path / "figures"
    for base in ("cumulative_revenue", "sales_by_source", "revenue_story", "why"):
        for fmt in ("png", "svg"):
            assert (out / f"{base}.{fmt}").stat().st_size > 1000
    assert images(nb) >= 3   # revenue, sources, why: shown inline as figures
    # across plausible markets, and why: the shipped measurement's lines (or why they are not shown)
    shown = [o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code"
             for o in c.get("outputs", [])]
    assert any(t.startswith(("Across the", "Across plausible markets")) for t in shown)


def test_student_playground(tmp_path, monkeypatch):
    nb = execute("student_playground", tmp_path, monkeypatch)
    key = key_numbers(nb)
    assert key["scenario"] == "two_cobblers"
    assert key["scenarios"] == sim.scenario_names()
    assert key["revenue_after"] != key["revenue_before"], "moving the slider did not change revenue"
    assert len(key["rerun_seconds"]) == 4   # four re-runs happened; how long they took is for
    # benchmarks/bench_widgets.py, which prints the figures (no time is judged in a test)
    assert "network.mean_degree" in key["invalid_error"] and "Traceback" not in key["invalid_error"]
    assert key["error_after_reset"] is None
    assert key["controls"] >= 30


def test_dashboard_notebook_displays_the_dashboard(tmp_path, monkeypatch):
    nb = execute("dashboard", tmp_path, monkeypatch)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


@pytest.mark.slow
def test_researcher_sweeps(tmp_path, monkeypatch):
    nb = execute("researcher_sweeps", tmp_path, monkeypatch)
    key = key_numbers(nb)
    ratio = key["revenue_ratio"]
    assert key["replicates"] == key["replicates_in_table"] >= 5
    assert ratio["low"] <= ratio["mean"] <= ratio["high"]
    assert 0 <= key["leader_final_share"] <= 1
    assert key["smoke_runs_completed"] == key["smoke_runs_total"] == 18 and key["smoke_failed"] == 0
    assert key["smoke_grid_points"] == 9
    assert all(v == v for v in key["smoke_mean_log_ratio"].values())  # no NaN
    levels = key["param_levels"]
    assert len(levels) >= 3 and len(key["param_ratio"]) == len(levels)
    for r in key["param_ratio"].values():
        assert r["ratio_low"] <= r["ratio_mean"] <= r["ratio_high"]
    assert images(nb) >= 4
