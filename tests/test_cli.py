"""Tests for the command line (sim.cli): outputs, summary text, replicates and one-line errors."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import build_parser, default_out_dir, format_summary, main

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--weeks", "60", "--customers", "300"]
PLOTS = ("cumulative_revenue.png", "cumulative_referrals.png", "funnel.png", "sales_by_source.png")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# ------------------------------------------------------------------------------------------- run
def test_run_writes_data_plots_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run_cli(capsys, "run", "baseline", *SMALL, "--out", str(out_dir))
    assert code == 0, err
    for name in ("timeseries.parquet", "summary.json", "config.json", *PLOTS):
        assert (out_dir / name).stat().st_size > 0, name
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["weeks"] == 60
    assert summary["strategies"]["numbers_game"]["revenue_total"] >= 0
    assert summary["strategies"]["relationship"]["revenue_total"] >= 0
    assert json.loads((out_dir / "config.json").read_text())["market"]["customers"] == 300
    assert out.startswith("Scenario: baseline")
    assert "300 customers" in out and "60 weeks" in out
    assert "After year 1:" in out
    assert "After 60 weeks" in out
    assert "Crossover:" in out
    assert "Referrals received per seller" in out
    assert "Funnel in year 1, per 100 leads" in out
    assert f"Results written to {out_dir}/" in out


def test_run_as_module_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", "baseline", "--weeks", "52", "--customers", "300", "--out", "tmp"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in ("timeseries.parquet", "summary.json", "config.json", *PLOTS):
        assert (tmp_path / "tmp" / name).stat().st_size > 0, name
    summary = json.loads((tmp_path / "tmp" / "summary.json").read_text())
    assert "revenue_total" in summary["strategies"]["numbers_game"]
    assert "year 1" in proc.stdout
    assert "Crossover" in proc.stdout
    assert "Results written to tmp/" in proc.stdout


def test_default_out_dir_is_results_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "run", "baseline", "--weeks", "20", "--customers", "200", "--no-plots")
    assert code == 0
    assert (tmp_path / "results" / "baseline" / "summary.json").exists()
    assert not list((tmp_path / "results" / "baseline").glob("*.png"))
    assert "Results written to results/baseline/" in out
    assert default_out_dir(sim.load_scenario("baseline").with_updates(name="my run/2")) == Path("results/my_run_2")


def test_extending_scenario_keeps_its_own_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    others = [n for n in sim.scenario_names() if n != "baseline"]
    if not others:
        pytest.skip("only the baseline scenario is shipped")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "run", others[0], "--weeks", "10", "--customers", "200", "--no-plots")
    assert code == 0, err
    assert out.startswith(f"Scenario: {others[0]} ")
    assert json.loads((tmp_path / "results" / others[0] / "config.json").read_text())["name"] == others[0]
    assert not (tmp_path / "results" / "baseline").exists()


def test_replicates_give_mean_and_interval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "baseline", *SMALL, "--replicates", "3", "--out", str(tmp_path))
    assert code == 0, err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["replicates"] == 3
    rev = summary["strategies"]["numbers_game"]["revenue_total"]
    assert set(rev) == {"mean", "low", "high"}
    assert rev["low"] <= rev["mean"] <= rev["high"]
    assert set(summary["revenue_ratio"]) == {"mean", "low", "high"}
    assert "never_share" in summary["crossover_week"]
    assert "leader_final_share" in summary
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert sorted(ts["replicate"].unique()) == [0, 1, 2]
    assert "3 replicates" in out
    assert "95% confidence intervals" in out
    assert "[" in out and "–" in out  # mean [low–high]
    assert "of 3 runs" in out
    assert summary["leader_basis"] == "replicates" and summary["compared"] == ["relationship", "numbers_game"]
    for line in out.splitlines()[3:5]:   # who is ahead after year 1 / at the horizon: a verdict or no clear winner
        verdict = line.split(": ", 1)[1]
        assert verdict.startswith(("relationship ahead (", "numbers_game ahead (", "no clear winner (")), line
        assert "in this one run" not in line


def test_workers_give_the_same_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 12: --workers N runs replicates in N processes; the numbers do not depend on N."""
    for n in ("1", "2"):
        code, _, err = run_cli(capsys, "run", "baseline", *SMALL, "--replicates", "3", "--workers", n, "--no-plots",
                               "--quiet", "--out", str(tmp_path / n))
        assert code == 0, err
    assert (tmp_path / "1" / "summary.json").read_text() == (tmp_path / "2" / "summary.json").read_text()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "1" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "2" / "timeseries.parquet"))
    code, _, err = run_cli(capsys, "run", "baseline", "--workers", "0")
    assert_one_line_error(code, err, "--workers = 0")


def test_run_imports_only_what_it_needs(tmp_path: Path) -> None:
    """``run --no-plots`` imports neither matplotlib nor the sweep, client or report code."""
    code = ("import sys; from sim.cli import main; "
            f"rc = main(['run', 'baseline', '--weeks', '5', '--customers', '100', '--no-plots', '--quiet', "
            f"'--out', {str(tmp_path / 'o')!r}]); "
            "print(rc, sorted({m.split('.')[0] if not m.startswith('sim.') else '.'.join(m.split('.')[:2]) "
            "for m in sys.modules if m.startswith(('matplotlib', 'sim.experiments', 'sim.client', 'sim.report', "
            "'sim.plots', 'sim.ui', 'sim.validation'))}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.strip().splitlines()
    assert out[-1] == "0 []", out


def test_commands_register_their_modules_help_lines() -> None:
    from sim import cli
    from sim.client import cli as client_cli
    from sim.experiments import cli as experiments_cli
    from sim.report import cli as report_cli

    assert cli.COMMANDS["sweep"].help == experiments_cli.SWEEP_HELP
    assert cli.COMMANDS["analyze"].help == experiments_cli.ANALYZE_HELP
    assert cli.COMMANDS["client"].help == client_cli.HELP
    assert cli.COMMANDS["report"].help == report_cli.REPORT_HELP
    assert cli.COMMANDS["report"].handler is report_cli.cmd_report   # "module:function", resolved on use


def test_overrides_are_applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", "baseline", "--weeks", "30", "--customers", "250", "--seed", "7",
                           "--set", "market.price=50", "--set", "network.kind=random", "--no-plots", "--quiet",
                           "--out", str(tmp_path))
    assert code == 0, err
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["weeks"] == 30 and cfg["seed"] == 7
    assert cfg["market"]["customers"] == 250 and cfg["market"]["price"] == 50
    assert cfg["network"]["kind"] == "random"


def test_sellers_total_split_between_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "baseline", "--weeks", "20", "--customers", "200", "--sellers", "6",
                             "--no-plots", "--out", str(tmp_path))
    assert code == 0, err
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert ts["seller"].nunique() == 6
    assert ts.groupby("strategy", observed=True)["seller"].nunique().to_dict() == {"numbers_game": 3,
                                                                                 "relationship": 3}
    assert "3 numbers_game + 3 relationship sellers" in out


def test_quiet_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "baseline", "--weeks", "10", "--customers", "100", "--no-plots",
                             "--quiet", "--out", str(tmp_path))
    assert code == 0
    assert out == "" and err == ""


def test_custom_strategy_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(
        "extends: baseline\n"
        "name: mine\n"
        "weeks: 60\n"
        "market: {customers: 300}\n"
        "strategies:\n"
        "  hustler: {preset: numbers_game, pressure: 0.9}\n"
        "  friend: {preset: relationship}\n"
        "sellers:\n"
        "  - {strategy: hustler, count: 1}\n"
        "  - {strategy: friend, count: 2}\n"
    )
    code, out, err = run_cli(capsys, "run", str(scenario), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "Scenario: mine" in out
    assert "1 hustler + 2 friend sellers" in out
    assert "friend" in out.split("Crossover:")[1].splitlines()[0]
    assert "numbers_game" not in out and "relationship" not in out
    assert "Compares friend over hustler (the second seller group over the first)" in out
    assert "ratio friend ÷ hustler" in out
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["compared"] == ["friend", "hustler"]
    assert (tmp_path / "out" / "funnel.png").exists()


def test_relationship_listed_first_is_still_relationship_over_numbers_game(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "flipped.yaml"
    scenario.write_text("extends: baseline\nname: flipped\nweeks: 60\nmarket: {customers: 300}\nsellers:\n"
                        "  - {strategy: relationship, count: 2}\n  - {strategy: numbers_game, count: 2}\n")
    code, out, err = run_cli(capsys, "run", str(scenario), "--no-plots", "--out", str(tmp_path / "out"))
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    rel, ng = (summary["strategies"][n]["revenue_total"] for n in ("relationship", "numbers_game"))
    assert summary["compared"] == ["relationship", "numbers_game"]
    assert summary["revenue_ratio"] == pytest.approx(rel / ng)          # not its inverse
    assert "Compares relationship over numbers_game: every ratio" in out
    assert out.count("ratio relationship ÷ numbers_game") == 2          # year 1 and the horizon, the same way round
    assert "relationship overtakes numbers_game" in out or "relationship never overtakes numbers_game" in out


# ------------------------------------------------------------------------------------------- summary text
@pytest.fixture(scope="module")
def small_results(small_config: sim.Config) -> sim.Results:
    return sim.run(small_config)


def test_summary_text_never_overtakes(small_results: sim.Results) -> None:
    summary = copy.deepcopy(small_results.summary)
    summary["crossover_week"] = None
    fake = sim.Results(small_results.config, small_results.timeseries, summary, [summary])
    text = format_summary(fake)
    assert "relationship never overtakes numbers_game within the horizon" in text
    assert "Results written" not in text


def test_summary_text_crossover_week_and_year(small_results: sim.Results) -> None:
    summary = copy.deepcopy(small_results.summary)
    summary["crossover_week"] = 54
    fake = sim.Results(small_results.config, small_results.timeseries, summary, [summary])
    assert "relationship overtakes numbers_game for good in week 54 (year 2)" in format_summary(fake, "x")


# ------------------------------------------------------------------------------------------- errors
def test_out_of_range_value_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "baseline", "--set", "market.skepticism_mean=1.5")
    assert_one_line_error(code, err, "market.skepticism_mean", "1.5")
    assert out == ""


def test_unknown_key_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", "baseline", "--set", "market.nonsense=1")
    assert_one_line_error(code, err, "market.nonsense")


def test_unknown_scenario_lists_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", "no_such_scenario")
    assert_one_line_error(code, err, "no_such_scenario", "baseline")


@pytest.mark.parametrize("args, fragment", [
    (["--set", "market.price"], "market.price"),            # no '='
    (["--set", "=3"], "empty key"),
    (["--sellers", "1"], "sellers"),                        # fewer than the two groups
    (["--replicates", "0"], "replicates"),
    (["--weeks", "0"], "weeks"),
    (["--customers", "5"], "market.customers"),
    (["--set", "sellers=abc"], "sellers"),
    (["--set", "network.kind=ring"], "network.kind"),
])
def test_bad_options_are_one_line_errors(capsys: pytest.CaptureFixture[str], args: list[str], fragment: str) -> None:
    code, _, err = run_cli(capsys, "run", "baseline", *args)
    assert_one_line_error(code, err, fragment)


def test_missing_yaml_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", str(tmp_path / "missing.yaml"))
    assert_one_line_error(code, err, "missing.yaml")


def test_error_in_subprocess_has_no_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "sim", "run", "baseline", "--set", "market.skepticism_mean=1.5"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "error: market.skepticism_mean = 1.5: Input should be less than or equal to 0.95"]


@pytest.mark.parametrize("argv, fragment", [
    (["run", "baseline", "--weeks", "many"], "--weeks = 'many'"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
    (["run", "baseline", "--replicates", "1e30"], "--replicates"),
    (["run", "baseline", "--out", ""], "--out"),
    (["run", "baseline", "--bogus"], "--bogus"),
])
def test_argparse_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                                             fragment: str) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, fragment)


# ------------------------------------------------------------------------------------------- scenarios
def test_scenarios_lists_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "scenarios")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == sim.scenario_names()
    baseline = next(line for line in lines if line.startswith("baseline "))
    assert "10,000 customers" in baseline
    assert all(len(line) <= 140 for line in lines)


def test_parser_has_subcommands() -> None:
    parser = build_parser()
    args = parser.parse_args(["run", "baseline", "--set", "a.b=1", "--set", "c=2"])
    assert args.command == "run" and args.assignments == ["a.b=1", "c=2"] and args.replicates == 1
    assert parser.parse_args(["scenarios"]).command == "scenarios"
