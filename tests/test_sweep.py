"""Parameter sweeps: sweep files, designs, seeds, the Parquet store, resume, executors and the CLI.

Sweeps here are tiny (26-40 weeks, 200-300 customers) so the whole file runs in well under a minute
on two cores; the SIGKILL test drives ``python -m sim.experiments`` in a subprocess.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import experiments as sw
from sim.config import ConfigError
from sim.experiments import cli as sweep_cli
from sim.experiments.parts import merge_parts as _merge_parts
from sim.model.runner import flatten_summary, replicate_seed

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

TINY = """\
name: tiny
scenario: baseline
set: {weeks: 26, market.customers: 200}
levers:
  relationship.pressure: {low: 0.1, high: 0.7}
uncertainties:
  market.skepticism_mean: [0.2, 0.5]
design: {kind: grid, levels: 3}
replicates: 2
seed: 9
outcomes: [revenue_ratio, crossover_week, leader_final, relationship.revenue_total, numbers_game.revenue_total]
"""

# 32 runs of 40 weeks: long enough (several seconds) that random kills land mid-sweep.
KILLABLE = """\
name: killable
scenario: baseline
set: {weeks: 40, market.customers: 300}
levers:
  relationship.pressure: {low: 0.0, high: 0.8}
uncertainties:
  market.skepticism_mean: {low: 0.1, high: 0.6}
design: {kind: grid, levels: 4}
replicates: 2
seed: 5
"""


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def plan_of(tmp_path: Path, text: str, name: str = "sweep.yaml") -> sw.SweepPlan:
    spec, source = sw.load_sweep(write(tmp_path, text, name))
    return sw.plan_sweep(spec, source)


def snapshot(folder: Path) -> dict[str, str]:
    """Content hash of every file below ``folder`` (to prove nothing changed)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def tiny_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[sw.SweepPlan, pd.DataFrame]:
    """The tiny sweep, run in this process: the table every other executor must reproduce."""
    tmp = tmp_path_factory.mktemp("tiny_ref")
    plan = plan_of(tmp, TINY)
    report = sw.run_sweep(plan, tmp / "out", workers=1, progress=False)
    assert report.complete and not report.failed
    return plan, sw.load_runs(tmp / "out")


# ------------------------------------------------------------------------------ shipped files
SHIPPED = sorted((ROOT / "configs" / "sweeps").glob("*.yaml"))


def test_shipped_sweeps_exist() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"smoke", "pressure_vs_skepticism", "sobol_main"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_sweeps_are_valid(path: Path) -> None:
    spec, source = sw.load_sweep(path)
    plan = sw.plan_sweep(spec, source)
    assert plan.n_runs >= 1
    assert spec.description
    if path.stem == "smoke":
        assert plan.n_runs <= 40
    if path.stem == "sobol_main":
        assert spec.design.kind == "sobol" and len(plan.factors) >= 6


def test_smoke_sweep_and_analysis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped smoke sweep end to end through ``python -m sim sweep`` / ``analyze`` (figures included)."""
    from sim import cli

    out = tmp_path / "smoke"
    assert cli.main(["sweep", "smoke", "--out", str(out), "--workers", "2", "--quiet"]) == 0
    runs = sw.load_runs(out)
    assert len(runs) == 18 and runs["run"].tolist() == list(range(18))
    assert cli.main(["analyze", str(out)]) == 0
    text = capsys.readouterr().out
    assert "relationship earns more at" in text
    assert (out / "analysis" / "winner_map.png").stat().st_size > 0


# ------------------------------------------------------------------------------ designs and seeds
def test_grid_layout_and_seeds(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, TINY)
    assert plan.n_points == 6 and plan.n_runs == 12
    assert plan.design["relationship.pressure"].tolist() == [0.1, 0.1, 0.4, 0.4, 0.7, 0.7]
    assert plan.design["market.skepticism_mean"].tolist() == [0.2, 0.5] * 3
    for run in range(plan.n_runs):
        point, rep, seed = plan.locate(run)
        assert (point, rep) == divmod(run, 2)
        assert seed == replicate_seed(9, run)
    seeds = [plan.locate(r)[2] for r in range(plan.n_runs)]
    assert len(set(seeds)) == len(seeds)


def test_int_and_choice_factors(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, TINY.replace("market.skepticism_mean: [0.2, 0.5]",
                                          "market.attention_weeks: {low: 1, high: 4}\n  network.kind: [none, random]"))
    assert plan.design["market.attention_weeks"].tolist()[:6:2] == [1, 2, 4]     # last factor varies fastest
    assert set(plan.design["market.attention_weeks"]) == {1, 2, 4}      # 3 levels over 1..4, rounded
    assert set(plan.design["network.kind"]) == {"none", "random"}
    assert plan.n_points == 3 * 3 * 2


def test_lhs_is_stratified_and_reproducible(tmp_path: Path) -> None:
    text = TINY.replace("design: {kind: grid, levels: 3}", "design: {kind: lhs, samples: 10}").replace(
        "market.skepticism_mean: [0.2, 0.5]",
        "market.skepticism_mean: {low: 0.0, high: 0.5}\n  network.kind: [none, random]")
    plan = plan_of(tmp_path, text)
    assert plan.n_points == 10
    x = plan.design["relationship.pressure"]
    bins = ((x - 0.1) / 0.6 * 10).astype(int).clip(0, 9)
    assert sorted(bins) == list(range(10))          # one point per stratum
    assert plan.design["network.kind"].value_counts().to_dict() == {"none": 5, "random": 5}
    again = plan_of(tmp_path, text, "again.yaml")
    pd.testing.assert_frame_equal(plan.design, again.design)
    assert plan.spec_hash == again.spec_hash


@pytest.mark.parametrize("second_order, size", [(False, 8 * (3 + 2)), (True, 8 * (2 * 3 + 2))])
def test_sobol_design_size(tmp_path: Path, second_order: bool, size: int) -> None:
    text = TINY.replace("design: {kind: grid, levels: 3}",
                        f"design: {{kind: sobol, samples: 8, second_order: {str(second_order).lower()}}}").replace(
        "market.skepticism_mean: [0.2, 0.5]",
        "market.skepticism_mean: {low: 0.0, high: 0.5}\n  market.purchase_cycle_weeks: {low: 6, high: 52}")
    plan = plan_of(tmp_path, text)
    assert plan.n_points == size and plan.n_runs == 2 * size
    d = plan.design
    assert d["relationship.pressure"].between(0.1, 0.7).all()
    assert d["market.skepticism_mean"].between(0.0, 0.5).all()


# ------------------------------------------------------------------------------ levers on presets
def test_lever_on_a_preset_keeps_names_and_results(tmp_path: Path) -> None:
    """Sweeping relationship.pressure at the preset's own value reproduces a plain run exactly."""
    preset = sim.PRESETS["relationship"].pressure
    plan = plan_of(tmp_path, TINY.replace("{low: 0.1, high: 0.7}", f"[{preset}]").replace(
        "outcomes: [", "outcomes: [leader_year1, relationship.mean_trust_final, "))
    assert plan.aliases == {"relationship_swept": "relationship"}
    assert [g.strategy for g in plan.base.sellers] == ["numbers_game", "relationship_swept"]
    ctx = sw.RunContext(plan.base, plan.outcomes, plan.aliases, plan.incumbent, plan.challenger, False)
    point, rep, seed = plan.locate(0)
    params = plan.point_params(point)
    item = sw.RunItem(0, point, rep, seed, params, {f.path: params[f.name] for f in plan.factors})
    [(run, row, _, err)] = sw.run_batch(ctx, [item])
    assert err is None
    skepticism = params["market.skepticism_mean"]
    plain = sim.load_scenario("baseline", weeks=26,
                              updates={"market.customers": 200, "market.skepticism_mean": skepticism})
    expected = flatten_summary(sim.run(plain, seed=seed).summary)
    for name in plan.outcomes:
        if name != sw.ADVANTAGE:
            assert row[name] == pytest.approx(expected[name], nan_ok=True), name
    assert row["leader_final"] in ("relationship", "numbers_game")


def test_lever_on_a_custom_strategy(tmp_path: Path) -> None:
    write(tmp_path, """\
name: with_custom
extends: baseline
weeks: 26
market: {customers: 200}
strategies:
  careful: {preset: relationship, pressure: 0.0}
sellers:
  - {strategy: numbers_game, count: 2}
  - {strategy: careful, count: 2}
""", "custom.yaml")
    plan = plan_of(tmp_path, """\
scenario: custom.yaml
levers:
  careful.follow_up: [0.2, 0.9]
  strategies.careful.pressure: [0.0, 0.3]
design: {kind: grid}
outcomes: [careful.revenue_total]
""")
    assert plan.aliases == {}
    assert {f.path for f in plan.factors} == {"strategies.careful.follow_up", "strategies.careful.pressure"}
    report = sw.run_sweep(plan, tmp_path / "out", progress=False)
    assert report.complete
    runs = sw.load_runs(tmp_path / "out")
    assert len(runs) == 4 and runs["careful.revenue_total"].notna().all()
    assert set(runs["strategies.careful.pressure"]) == {0.0, 0.3}


# ------------------------------------------------------------------------------ executors agree
def test_two_workers_and_chunks_give_the_same_table(tmp_path: Path, tiny_reference) -> None:
    plan, reference = tiny_reference
    two = sw.run_sweep(plan, tmp_path / "two", workers=2, progress=False)
    assert two.complete and two.completed == plan.n_runs
    pd.testing.assert_frame_equal(sw.load_runs(tmp_path / "two"), reference)
    chunked = sw.run_sweep(plan, tmp_path / "chunked", workers=1, chunk=5, progress=False)
    assert chunked.complete
    pd.testing.assert_frame_equal(sw.load_runs(tmp_path / "chunked"), reference)


def test_readable_in_one_line_by_pandas_and_duckdb(tmp_path: Path, tiny_reference) -> None:
    import duckdb

    plan, reference = tiny_reference
    out = tmp_path / "out"
    sw.run_sweep(plan, out, keep_series=True, progress=False, flush_seconds=0.0)
    runs = pd.read_parquet(out / "runs")
    assert len(runs) == plan.n_runs
    pd.testing.assert_frame_equal(runs.sort_values("run").reset_index(drop=True), reference)
    n, mean = duckdb.sql(f"select count(*), avg(log_revenue_ratio) from '{out}/runs/*.parquet'").fetchall()[0]
    assert n == plan.n_runs and mean == pytest.approx(reference["log_revenue_ratio"].mean())
    cols = set(reference.columns)
    assert {"run", "point", "replicate", "seed", "relationship.pressure", "market.skepticism_mean",
            "log_revenue_ratio", "revenue_ratio", "leader_final"} <= cols
    series = pd.read_parquet(out / "series")
    assert len(series) == plan.n_runs * 26 * 4
    assert set(series["strategy"]) == {"numbers_game", "relationship"}
    assert {"relationship_2", "numbers_game_0"} <= set(series["seller"])
    total = series.groupby(["run", "strategy"])["revenue"].sum().unstack() / 2    # per seller
    pd.testing.assert_series_equal(total["relationship"].reset_index(drop=True),
                                   reference["relationship.revenue_total"], check_names=False)
    assert duckdb.sql(f"select count(distinct run) from '{out}/series/*.parquet'").fetchall()[0][0] == plan.n_runs


# ------------------------------------------------------------------------------ resume
def test_resume_runs_only_what_is_missing(tmp_path: Path, tiny_reference) -> None:
    plan, reference = tiny_reference
    out = tmp_path / "out"
    sw.run_sweep(plan, out, progress=False, batch_rows=4, compact=False)
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) >= 3
    lost = pd.read_parquet(parts[1])
    parts[1].unlink()                                            # runs lost with a killed batch
    shutil.copy(parts[0], out / "runs" / "part-999999999-dupe0000.parquet")   # a duplicated part
    junk = out / "runs" / f".{parts[2].name}.4242.tmp"
    junk.write_bytes(b"PAR1 half-written")                       # a half-written part of a killed writer
    report = sw.run_sweep(plan, out, progress=False, compact=False)
    assert report.already_done == plan.n_runs - len(lost)
    assert report.completed == len(lost)
    assert not junk.exists()
    pd.testing.assert_frame_equal(sw.load_runs(out), reference)
    again = sw.run_sweep(plan, out, progress=False)
    assert again.completed == 0 and again.complete and again.compacted
    assert len(list((out / "runs").glob("part-*.parquet"))) == 1
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs"), reference)   # duplicates dropped, one file


def _truncate(p: Path) -> None:
    os.truncate(p, p.stat().st_size // 2)


def _garbage(p: Path) -> None:
    p.write_bytes(os.urandom(p.stat().st_size))


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _bit_flip(p: Path) -> None:
    """Flip the first bit whose change still reads without checksums, with other values: silent damage."""
    import io

    import pyarrow.parquet as pq

    data = p.read_bytes()
    original = pq.read_table(io.BytesIO(data))
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    for at in range(4, footer):
        flipped = bytearray(data)
        flipped[at] ^= 0x01
        try:
            table = pq.read_table(io.BytesIO(bytes(flipped)))
        except Exception:
            continue
        if not table.equals(original):
            p.write_bytes(bytes(flipped))
            return
    raise AssertionError("no silent bit flip found")


DAMAGE = {"truncated": _truncate, "garbage": _garbage, "empty": _empty, "bit-flip": _bit_flip}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damaged_part_is_moved_aside_and_its_runs_redone(tmp_path: Path, tiny_reference, damage: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A damaged part: analyze skips and names it; resume moves it aside (one line) and redoes its runs."""
    from sim import cli

    plan, reference = tiny_reference
    out = tmp_path / "out"
    sw.run_sweep(plan, out, progress=False, batch_rows=4, compact=False)
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) >= 3
    victim = parts[1]
    lost = len(pd.read_parquet(victim))
    DAMAGE[damage](victim)
    capsys.readouterr()
    # analyze: the good parts, and one warning line naming the bad one
    assert cli.main(["analyze", str(out), "--no-plots"]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and f"skipping unreadable {victim}" in warnings[0], captured.err
    assert f"{plan.n_runs - lost} of {plan.n_runs} runs" in captured.out and victim.name in captured.out
    # resume: moved aside with one line, its runs run again, the table equals the uninterrupted one
    report = sw.run_sweep(plan, out, progress=False)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {victim} cannot be used"), err
    assert "corrupt" in err[0] and "its runs will be run again" in err[0]
    assert report.already_done == plan.n_runs - lost and report.completed == lost and report.complete
    pd.testing.assert_frame_equal(sw.load_runs(out), reference)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs"), reference)   # the dataset reads in one line again
    moved = list((out / "corrupt" / "runs").glob(f"{victim.name}.corrupt-*"))
    assert len(moved) == 1 and not victim.exists()


def test_damaged_merged_file_series_and_design_heal(tmp_path: Path, tiny_reference,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The one merged file of a finished sweep, a series part and design.parquet damaged: all redone."""
    plan, reference = tiny_reference
    out = tmp_path / "out"
    assert sw.run_sweep(plan, out, progress=False, keep_series=True, batch_rows=4).compacted
    series_before = sw.load_series(out)
    [merged] = (out / "runs").glob("part-*.parquet")
    _garbage(merged)
    capsys.readouterr()
    with pytest.raises(ConfigError, match="no finished runs yet .1 unreadable part"):
        sw.analyze(out)
    (out / "design.parquet").write_bytes(b"PAR1")
    report = sw.run_sweep(plan, out, progress=False, keep_series=True)
    err = capsys.readouterr().err
    assert "design.parquet was damaged" in err and f"{merged} cannot be used" in err
    assert report.already_done == 0 and report.complete
    pd.testing.assert_frame_equal(sw.load_runs(out), reference)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "design.parquet"), plan.design)
    # now a series part only: its runs part is moved aside with it, and both are redone
    [series_part] = (out / "series").glob("part-*.parquet")
    _truncate(series_part)
    report = sw.run_sweep(plan, out, progress=False, keep_series=True)
    err = capsys.readouterr().err
    assert "its series part cannot be read" in err and report.completed == plan.n_runs
    pd.testing.assert_frame_equal(sw.load_runs(out), reference)
    pd.testing.assert_frame_equal(sw.load_series(out), series_before)
    assert len(list((out / "corrupt").rglob("*.corrupt-*"))) == 4    # two runs parts and their series twins


def test_every_file_is_written_atomically(tmp_path: Path, tiny_reference, monkeypatch) -> None:
    """A full disk during any write of a sweep or an analysis leaves no file half-written."""
    import sim.atomic

    plan, _ = tiny_reference
    out = tmp_path / "out"
    written: list[str] = []
    real = sim.atomic.atomic_path

    def spy(target):
        written.append(Path(target).name)
        return real(target)

    monkeypatch.setattr(sim.atomic, "atomic_path", spy)
    monkeypatch.setattr("sim.experiments.parts.atomic_path", spy)
    sw.run_sweep(plan, out, progress=False, keep_series=True, batch_rows=5)
    sw.analyze(out)
    names = {n.split("-")[0] if n.startswith("part-") else n for n in written}
    assert {"design.parquet", "sweep.json", "part", "points.csv", "importance.csv", "summary.json"} <= names
    on_disk = {p.name for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    assert all(n in written for n in on_disk), on_disk - set(written)

    import pyarrow.parquet as pq

    real_write = pq.write_table

    def full_disk(table, where, **kw):   # half a file, then the disk is full
        if "part-" in str(where):
            Path(where).write_bytes(b"PAR1" + b"\0" * 100)
            raise OSError(28, "No space left on device")
        return real_write(table, where, **kw)

    monkeypatch.setattr(pq, "write_table", full_disk)
    path = write(tmp_path, TINY.replace("seed: 9", "seed: 10"), "full.yaml")
    assert sweep_cli.main(["sweep", str(path), "--out", str(tmp_path / "full"), "--workers", "1", "--quiet"]) == 1
    assert not list((tmp_path / "full" / "runs").iterdir())     # no part, no temporary file left behind
    assert {p.name for p in (tmp_path / "full").iterdir()} == {".lock", "sweep.json", "design.parquet", "runs"}


def test_merging_parts_survives_interruption(tmp_path: Path, tiny_reference) -> None:
    plan, reference = tiny_reference
    out = tmp_path / "out"
    sw.run_sweep(plan, out, progress=False, batch_rows=3, keep_series=True, compact=False)
    runs_parts = sorted((out / "runs").glob("part-*.parquet"))
    series_parts = sorted((out / "series").glob("part-*.parquet"))
    assert len(runs_parts) >= 4 and [p.name for p in runs_parts] == [p.name for p in series_parts]
    series_before = sw.load_series(out)
    # killed after the merged files were renamed into place, before the old parts were deleted
    _merge_parts(series_parts, out / "series" / "part-000000000-merged00.parquet")
    _merge_parts(runs_parts, out / "runs" / "part-000000000-merged00.parquet")
    # ... and an earlier merge killed between its series file and its runs file
    shutil.copy(series_parts[0], out / "series" / "part-000000000-orphan00.parquet")
    pd.testing.assert_frame_equal(sw.load_runs(out), reference)
    pd.testing.assert_frame_equal(sw.load_series(out), series_before)
    report = sw.run_sweep(plan, out, progress=False, keep_series=True)
    assert report.completed == 0 and report.compacted
    assert len(list((out / "runs").glob("part-*.parquet"))) == 1
    assert len(list((out / "series").glob("part-*.parquet"))) == 1
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs"), reference)
    assert len(pd.read_parquet(out / "series")) == len(series_before)
    pd.testing.assert_frame_equal(sw.load_series(out), series_before)


def test_changed_sweep_is_refused_and_results_untouched(tmp_path: Path, tiny_reference) -> None:
    plan, _ = tiny_reference
    out = tmp_path / "out"
    sw.run_sweep(plan, out, progress=False)
    before = snapshot(out)
    changed = plan_of(tmp_path, TINY.replace("levels: 3", "levels: 4"))
    with pytest.raises(ConfigError, match=r"different sweep .*changed: design") as err:
        sw.run_sweep(changed, out, progress=False)
    assert "\n" not in str(err.value)
    base_changed = plan_of(tmp_path, TINY.replace("weeks: 26", "weeks: 27"))
    with pytest.raises(ConfigError, match="different sweep"):
        sw.run_sweep(base_changed, out, progress=False)
    with pytest.raises(ConfigError, match="keep-series"):
        sw.run_sweep(plan, out, keep_series=True, progress=False)
    # name and description do not change results, so they do not block a resume
    renamed = plan_of(tmp_path, TINY.replace("name: tiny", "name: tiny2\ndescription: same runs"))
    assert renamed.spec_hash == plan.spec_hash
    assert snapshot(out) == before


def test_foreign_folder_and_lock(tmp_path: Path, tiny_reference) -> None:
    plan, _ = tiny_reference
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        sw.run_sweep(plan, foreign, progress=False)
    assert snapshot(foreign) == {"notes.txt": hashlib.sha256(b"mine").hexdigest()}
    half = tmp_path / "half"                    # a first start killed before sweep.json was written
    half.mkdir()
    (half / ".lock").write_text("123")
    (half / "design.parquet").write_bytes(b"partial")
    (half / ".sweep.json.99.tmp").write_text("{")
    assert sw.run_sweep(plan, half, progress=False).complete
    store = sw.RunStore(tmp_path / "locked", plan)
    store.open()
    try:
        with pytest.raises(sw.SweepLockedError, match="another sweep"):
            sw.RunStore(tmp_path / "locked", plan).open()
    finally:
        store.close()


def test_failed_runs_are_reported_and_retried(tmp_path: Path, tiny_reference, monkeypatch) -> None:
    import sim.experiments.batch

    plan, reference = tiny_reference
    real_summary = sim.experiments.batch.array_summary
    bad_seed = plan.locate(3)[2]

    def flaky(model):
        if model._seed == bad_seed:
            raise RuntimeError("boom")
        return real_summary(model)

    monkeypatch.setattr(sim.experiments.batch, "array_summary", flaky)
    out = tmp_path / "out"
    report = sw.run_sweep(plan, out, progress=False)
    assert set(report.failed) == {3} and "RuntimeError: boom" in report.failed[3]
    assert not report.complete and "1 failed" in report.line()
    monkeypatch.setattr(sim.experiments.batch, "array_summary", real_summary)
    report = sw.run_sweep(plan, out, progress=False)
    assert report.completed == 1 and report.complete
    pd.testing.assert_frame_equal(sw.load_runs(out), reference)


def test_sigkill_and_resume_equals_uninterrupted(tmp_path: Path) -> None:
    """Kill ``python -m sim.experiments`` with SIGKILL at random moments 3 times, then let it finish."""
    path = write(tmp_path, KILLABLE)
    plan = sw.plan_sweep(*sw.load_sweep(path))
    reference_dir = tmp_path / "reference"
    sw.run_sweep(plan, reference_dir, workers=1, progress=False)
    reference = sw.load_runs(reference_dir)
    assert len(reference) == 32

    out = tmp_path / "killed"
    cmd = [PYTHON, "-m", "sim.experiments", "sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"]
    rng = random.Random(20240)
    progress = []
    for _ in range(3):
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not (out / "sweep.json").exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(1.0, 4.0))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            with _suppress():
                os.killpg(proc.pid, signal.SIGKILL)   # leftovers of the session we started, if any
            proc.stderr.close()
        progress.append(len(sw.load_runs(out)))
    print("runs on disk after each kill:", progress)
    final = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert final.returncode == 0, final.stderr
    result = sw.load_runs(out)
    pd.testing.assert_frame_equal(result, reference)
    raw = pd.read_parquet(out / "runs")
    assert raw["run"].is_unique                        # nothing computed twice
    assert progress == sorted(progress)
    assert not list((out / "runs").glob(".*.tmp"))


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], (ProcessLookupError, PermissionError))


# ------------------------------------------------------------------------------ bad sweep files
BASE = "name: bad\nscenario: baseline\nset: {weeks: 26, market.customers: 200}\n"
LEVER = "levers: {relationship.pressure: {low: 0.1, high: 0.5}}\n"
GRID = "design: {kind: grid}\n"
BAD = {
    "unknown knob": (GRID + "levers: {relationship.presure: {low: 0, high: 1}}", "unknown strategy knob 'presure'"),
    "unknown group": (GRID + "levers: {relatioship.pressure: {low: 0, high: 1}}", "unknown parameter"),
    "unknown market setting": (GRID + "uncertainties: {market.skeptcism_mean: {low: 0.1, high: 0.5}}",
                               "unknown parameter 'skeptcism_mean'"),
    "empty range": (GRID + "levers: {relationship.pressure: {low: 0.5, high: 0.5}}", "empty range"),
    "empty values": (GRID + "levers: {relationship.pressure: []}", "empty list"),
    "lower above upper": (GRID + "levers: {relationship.pressure: {low: 0.7, high: 0.1}}", "is above high"),
    "out of bounds": (GRID + "levers: {relationship.pressure: {low: 0.1, high: 1.7}}",
                      "levers.relationship.pressure.high = 1.7: Input should be less than or equal to 1"),
    "half a range": (GRID + "levers: {relationship.pressure: {low: 0.1}}", "needs both low and high"),
    "unknown factor key": (GRID + "levers: {relationship.pressure: {low: 0, high: 1, step: 2}}",
                           "levers.relationship.pressure.step: unknown setting"),
    "market setting as lever": (GRID + "levers: {market.price: {low: 10, high: 50}}", "levers are strategy knobs"),
    "knob as uncertainty": (GRID + "uncertainties: {relationship.pressure: {low: 0.1, high: 0.5}}",
                            "uncertainties are market or network settings"),
    "range on a choice": (GRID + "uncertainties: {network.kind: {low: 0, high: 1}}", "not numeric"),
    "bad choice": (GRID + "uncertainties: {network.kind: [small_world, ring]}", "'ring'"),
    "replicates 0": (GRID + LEVER + "replicates: 0", "replicates = 0: Input should be greater than or equal to 1"),
    "unknown outcome": (GRID + LEVER + "outcomes: [revenue_ratio, relationship.revenue_totl]",
                        "unknown outcome 'relationship.revenue_totl'"),
    "empty outcomes": (GRID + LEVER + "outcomes: []", "outcomes = []"),
    "unknown top-level key": (GRID + LEVER + "replicate: 3", "replicate: unknown setting"),
    "no factors": (GRID, "at least one factor"),
    "unknown scenario": (GRID + LEVER, "unknown scenario 'nope'"),   # BASE's scenario replaced below
    "duplicate key": (GRID + LEVER + "scenario: nope", "duplicate key 'scenario'"),
    "sobol with values": ("design: {kind: sobol, samples: 8}\n" + LEVER
                          + "uncertainties: {network.kind: [small_world, none]}", "every factor needs a numeric range"),
    "sobol not power of 2": ("design: {kind: sobol, samples: 10}\n" + LEVER, "power of 2"),
    "lhs without samples": ("design: {kind: lhs}\n" + LEVER, "needs samples"),
    "unknown design": ("design: {kind: factorial}\n" + LEVER, "design.kind = 'factorial'"),
    "missing design": (LEVER, "design: required setting is missing"),
    "bad fixed value": (GRID + LEVER + "set: {weeks: 26, market.fit_mean: 3}", "set.market.fit_mean = 3"),
    "seed in set": (GRID + LEVER + "set: {weeks: 26, seed: 3}", "set.seed"),
    "not a mapping": ("- just\n- a list", "must be a mapping"),
    "bad yaml": ("levers: [1, 2\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_sweep_files_give_one_clear_line(tmp_path: Path, case: str) -> None:
    body, expected = BAD[case]
    base = BASE if "set: {" not in body else BASE.replace("set: {weeks: 26, market.customers: 200}\n", "")
    text = body if case in ("not a mapping", "bad yaml") else base + body
    if case == "unknown scenario":
        text = text.replace("scenario: baseline", "scenario: nope")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        sw.plan_sweep(*sw.load_sweep(path))
    message = str(err.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_bad_sweep_file_cli_exit_2_and_results_untouched(tmp_path: Path, tiny_reference,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    plan, _ = tiny_reference
    out = tmp_path / "out"
    sw.run_sweep(plan, out, progress=False)
    before = snapshot(out)
    for case in ("empty range", "unknown outcome", "replicates 0", "sobol with values"):
        body, expected = BAD[case]
        path = write(tmp_path, BASE + body, f"{case.replace(' ', '_')}.yaml")
        assert sweep_cli.main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], err
    assert snapshot(out) == before
    # the same through a real `python -m sim.experiments` process: exit code 2, one line, no traceback
    path = write(tmp_path, BASE + BAD["lower above upper"][0], "cli.yaml")
    proc = subprocess.run([PYTHON, "-m", "sim.experiments", "sweep", str(path), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cli.yaml: levers.relationship.pressure"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(out) == before


def test_cli_missing_file_and_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sweep_cli.main(["sweep", str(tmp_path / "nope.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    path = write(tmp_path, TINY)
    assert sweep_cli.main([str(path), "--dry-run", "--out", str(tmp_path / "o")]) == 0   # 'sweep' may be left out
    assert "6 points x 2 replicates = 12 runs" in capsys.readouterr().out
    assert not (tmp_path / "o").exists()
    assert sweep_cli.main([str(path), "--list-outcomes"]) == 0
    names = capsys.readouterr().out.split()
    assert "relationship.revenue_total" in names and sw.ADVANTAGE in names
    assert sweep_cli.main(["sweep", str(path), "--workers", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--workers = 0" in capsys.readouterr().err


def test_wiring_into_sim_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The COMMANDS entries of sim/cli.py make `python -m sim sweep/analyze` work."""
    from sim import cli

    assert cli.COMMANDS["sweep"].handler is sweep_cli.cmd_sweep
    assert cli.COMMANDS["sweep"].add_arguments is sweep_cli.add_sweep_arguments
    assert cli.COMMANDS["analyze"].add_arguments is sweep_cli.add_analyze_arguments
    path = write(tmp_path, TINY)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert len(sw.load_runs(out)) == 12
    assert cli.main(["analyze", str(out), "--no-plots", "--quiet"]) == 0
    assert (out / "analysis" / "points.csv").exists()
    assert cli.main(["sweep", str(write(tmp_path, BASE + BAD["replicates 0"][0], "bad.yaml")), "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("error: bad.yaml: replicates = 0")


def test_register_cli_sets_handlers() -> None:
    parser = argparse.ArgumentParser(prog="python -m sim")
    sweep_cli.register_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sweep", "x.yaml", "--out", "d", "--workers", "3", "--scheduler", "tcp://h:1",
                              "--keep-series"])
    assert args.handler is sweep_cli.cmd_sweep
    assert (args.sweep_file, str(args.out), args.workers, args.scheduler, args.keep_series) == \
        ("x.yaml", "d", 3, "tcp://h:1", True)
    args = parser.parse_args(["analyze", "d"])
    assert args.handler is sweep_cli.cmd_analyze and str(args.out) == "d"   # no figure writer: tables only
    parser = argparse.ArgumentParser(prog="python -m sim")
    sweep_cli.register_cli(parser.add_subparsers(dest="command", required=True), figures="m:f")
    args = parser.parse_args(["analyze", "d"])
    assert args.handler.func is sweep_cli.cmd_analyze and args.handler.keywords == {"figures": "m:f"}


def test_sweep_function_reproduces_a_run(tiny_reference) -> None:
    """The model-as-function adapter with the sweep's names gives the sweep's own numbers."""
    plan, reference = tiny_reference
    f = sw.sweep_function(plan)
    row = reference.iloc[5]
    params = {f_.name: row[f_.name] for f_ in plan.factors}
    out = f(seed=int(row["seed"]), **params)
    assert set(out) == set(plan.outcomes)
    for name, value in out.items():
        if isinstance(value, str) or value is None:
            assert value == row[name] or (value is None and pd.isna(row[name])), name
        else:
            assert value == pytest.approx(row[name]), name
    with pytest.raises(ConfigError, match="not a factor"):
        f(**{"relationship.presure": 0.3})
