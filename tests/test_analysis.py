"""Sweep analysis: per-point intervals, winners, importance, Sobol indices, maps, and the docs' examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import experiments as sw
from sim.experiments import cli as sweep_cli
from sim.experiments.analysis import analyze, format_report, sobol_table
from sim.plots.sweeps import write_figures

ROOT = Path(__file__).resolve().parent.parent

GRID = """\
name: grid3
scenario: baseline
set: {weeks: 26, market.customers: 200}
levers:
  relationship.pressure: [0.1, 0.8]
  relationship.prospecting_share: [0.3, 0.8]
uncertainties:
  market.skepticism_mean: [0.1, 0.6]
design: {kind: grid}
replicates: 2
seed: 4
"""

SOBOL = """\
name: tiny_sobol
scenario: baseline
set: {weeks: 26, market.customers: 200}
levers:
  relationship.pressure: {low: 0.0, high: 0.8}
uncertainties:
  market.skepticism_mean: {low: 0.05, high: 0.7}
design: {kind: sobol, samples: 4}
seed: 11
"""

LHS = """\
name: tiny_lhs
scenario: baseline
set: {weeks: 26, market.customers: 200}
levers:
  relationship.asks_referrals: {low: 0.0, high: 1.0}
uncertainties:
  network.kind: [small_world, none]
design: {kind: lhs, samples: 6}
replicates: 2
seed: 2
"""


def run_sweep_text(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    plan = sw.plan_sweep(*sw.load_sweep(path))
    out = tmp_path / name
    report = sw.run_sweep(plan, out, workers=1, progress=False)
    assert report.complete
    return out


@pytest.fixture(scope="module")
def grid_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_sweep_text(tmp_path_factory.mktemp("grid"), GRID, "grid3")


def test_grid_point_table(grid_dir: Path) -> None:
    res = analyze(grid_dir)
    pts = res.points
    assert len(pts) == 8 and (pts["replicates"] == 2).all()
    runs = sw.load_runs(grid_dir)
    assert pts["log_revenue_ratio.mean"].notna().all()       # defined even when a side sells nothing
    for o in ("log_revenue_ratio", "revenue_ratio", "relationship.revenue_total"):
        ok = pts[f"{o}.mean"].notna()                           # revenue_ratio is null when the incumbent sold nothing
        assert (pts.loc[ok, f"{o}.low"] <= pts.loc[ok, f"{o}.mean"] + 1e-12).all()
        assert (pts.loc[ok, f"{o}.mean"] <= pts.loc[ok, f"{o}.high"] + 1e-12).all()
        expected = runs.groupby("point")[o].mean().to_numpy()
        np.testing.assert_allclose(pts[f"{o}.mean"].to_numpy(), expected)
    assert set(pts["winner"]) <= {"relationship", "numbers_game", "unclear"}
    clear = pts[pts["winner"] == "relationship"]
    assert (clear["log_revenue_ratio.low"] > 0).all()
    assert set(res.importance["factor"]) == {"relationship.pressure", "relationship.prospecting_share",
                                             "market.skepticism_mean"}
    assert res.sobol.empty


def test_grid_files_and_report(grid_dir: Path) -> None:
    res = analyze(grid_dir, figures=write_figures)
    folder = grid_dir / "analysis"
    for name in ("points.csv", "importance.csv", "summary.json", "winner_map.png", "effects.png"):
        assert (folder / name).stat().st_size > 0, name
    assert not (folder / "sobol.csv").exists()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["complete"] and summary["runs_on_disk"] == 16 and summary["points"] == 8
    assert sum(summary["winner_counts"].values()) == 8
    assert len(summary["factor_ranking"]) == 3
    assert pd.read_csv(folder / "points.csv").shape[0] == 8
    text = format_report(res)
    assert "relationship earns more at" in text and "Parameters that matter most" in text


def test_sobol_indices_from_a_sweep(tmp_path: Path) -> None:
    out = run_sweep_text(tmp_path, SOBOL, "sobol")
    res = analyze(out, outcomes=["relationship.revenue_total"], figures=write_figures)
    s = res.sobol
    assert set(s["outcome"]) == {"log_revenue_ratio", "relationship.revenue_total"}
    assert set(s["factor"]) == {"relationship.pressure", "market.skepticism_mean"}
    assert np.isfinite(s[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()
    assert (out / "analysis" / "sobol.csv").exists() and (out / "analysis" / "sobol.png").exists()
    assert {"S1", "ST"} <= set(res.importance.columns)
    assert "ST" in res.summary["factor_ranking"][0]


def test_sobol_table_ranks_a_known_function() -> None:
    """The wiring to SALib on a function with a known answer: y = 4 a + b, c unused."""
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = sobol_sample.sample(problem, 256, calc_second_order=False, seed=1)
    points = pd.DataFrame({"point": range(len(x)), "log_revenue_ratio.mean": 4 * x[:, 0] + x[:, 1]})
    meta = {"design": "sobol", "points": len(x), "seed": 1, "second_order": False,
            "factors": [{"name": n, "low": 0.0, "high": 1.0} for n in "abc"]}
    table, notes = sobol_table(points, meta, ["log_revenue_ratio"])
    st = table.set_index("factor")["ST"]
    assert not notes
    assert st["a"] > 0.8 and 0.02 < st["b"] < 0.2 and abs(st["c"]) < 0.02


def test_lhs_scatter_map_with_a_categorical_factor(tmp_path: Path) -> None:
    out = run_sweep_text(tmp_path, LHS, "lhs")
    res = analyze(out, figures=write_figures)
    assert len(res.points) == 6
    assert (out / "analysis" / "winner_map.png").stat().st_size > 0
    rho = res.importance.set_index("factor")["spearman_rho"]
    assert np.isnan(rho["network.kind"])


def test_incomplete_sweep_is_analysed_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SOBOL, encoding="utf-8")
    plan = sw.plan_sweep(*sw.load_sweep(path))
    out = tmp_path / "partial"
    calls = []

    def stop_early(done: int, total: int) -> None:
        calls.append(done)
        if done == 6:
            raise KeyboardInterrupt

    report = sw.run_sweep(plan, out, progress=False, callback=stop_early)
    assert report.interrupted and report.done == 6
    res = analyze(out)
    assert not res.summary["complete"]
    assert any("incomplete" in n for n in res.summary["notes"])
    assert any("need every design point" in n for n in res.summary["notes"])
    assert res.sobol.empty


def test_tables_only_without_a_figure_writer(grid_dir: Path, tmp_path: Path) -> None:
    """analyze() writes no figure unless given a figure writer; a writer's files are listed."""
    res = analyze(grid_dir)
    assert not any(p.suffix == ".png" for p in res.files)
    calls = []

    def writer(result):
        calls.append(result)
        path = tmp_path / "figure.png"
        path.write_bytes(b"png")
        return [path]

    res = analyze(grid_dir, figures=writer)
    assert len(calls) == 1 and calls[0] is res and res.files[-1] == tmp_path / "figure.png"


def test_analyze_cli_errors(tmp_path: Path, grid_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sweep_cli.main(["analyze", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert sweep_cli.main(["analyze", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err
    assert sweep_cli.main(["analyze", str(grid_dir), "--outcome", "nope", "--no-plots"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--outcome 'nope'" in err[0]


# ---------------------------------------------------------------------------------- documentation
def doc_blocks() -> dict[str, str]:
    """Python blocks of docs/SWEEPS.md that carry a ``# test: NAME`` first line."""
    text = (ROOT / "docs" / "SWEEPS.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return {m.group(1): b for b in blocks if (m := re.match(r"# test: (\w+)", b))}


@pytest.mark.parametrize("name", ["salib", "batch_run"])
def test_docs_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = doc_blocks()
    assert name in blocks
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__main__"}
    exec(compile(blocks[name], f"SWEEPS.md:{name}", "exec"), namespace)  # noqa: S102 - our own docs
    if name == "salib":
        si = namespace["Si"]
        assert len(si["ST"]) == 2 and np.isfinite(si["ST"]).all()
    else:
        assert len(namespace["rows"]) == 4
