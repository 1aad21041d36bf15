"""Calibration: targets and priors files, history matching (resumable), the ensemble and its headline.

The slow test at the end re-runs a sample of the *shipped* ensemble's members and checks that each
still meets every accepted target: it fails when the model changes under the ensemble, which then
needs ``make calibrate``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.calibration.design import Settings
from sim.calibration.ensemble import (
    NO_WINNER,
    EnsembleFile,
    dump_ensemble,
    ensemble_headline,
    load_ensemble,
    run_ensemble,
)
from sim.calibration.markets import RunView, headline_task, measure_task, own_market_settings, run_view, with_market
from sim.calibration.matching import calibrate
from sim.calibration.priors import load_priors, uncovered_fields
from sim.calibration.targets import load_targets
from sim.config import MarketConfig
from sim.errors import ConfigError
from sim.narrate.evidence import ensemble_sentence

PAIR = ("numbers_game", "relationship")


# ------------------------------------------------------------------------------------ shipped files
def test_shipped_targets_load_with_sources_and_an_accepting_target() -> None:
    targets = load_targets()
    assert targets.scenario == "baseline" and targets.weeks == 52
    assert {"funnel_lead_to_prospect", "funnel_prospect_to_presentation", "funnel_presentation_to_sale",
            "review_readers"} <= set(targets.accepting)
    for t in targets.targets.values():
        assert t.sources and all(s.url or s.file for s in t.sources)
        assert t.low < t.high


def test_shipped_priors_cover_every_market_setting_and_contain_the_defaults() -> None:
    priors = load_priors()
    assert uncovered_fields(priors) == [], "new MarketConfig fields need a prior, or a reason not to calibrate them"
    defaults = MarketConfig()
    for name, p in priors.priors.items():
        assert p.low <= getattr(defaults, name) <= p.high, name
        assert p.reason.strip()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PRIOR_OK = "  trust_threshold: {low: 0.5, high: 0.7, reason: r}\n"


@pytest.mark.parametrize("body, words", [
    ("priors:\n  no_such_field: {low: 0, high: 1, reason: r}\n", ["no_such_field", "not a market setting"]),
    ("priors:\n  trust_threshold: {low: 0.5, high: 1.5, reason: r}\n", ["trust_threshold.high", "bounds"]),
    ("priors:\n  trust_threshold: {low: 0.7, high: 0.5, reason: r}\n", ["low", "below high"]),
    ("priors:\n  trust_threshold: {low: 0.5, high: 0.7}\n", ["reason"]),
    ("priors:\n  trust_decay: {low: 0.0, high: 0.1, scale: log, reason: r}\n", ["log", "low > 0"]),
    ("priors:\n  reviews: {low: 0, high: 1, reason: r}\n", ["reviews", "numeric"]),
    ("priors:\n  attention_weeks: {low: 2.5, high: 6, reason: r}\n", ["attention_weeks", "whole number"]),
    ("priors:\n" + PRIOR_OK + "scenario_settings: {trust_threshold: x}\n", ["both"]),
    ("priors:\n" + PRIOR_OK + "  nope_extra: 1\n", ["nope_extra"]),
])
def test_bad_priors_are_refused_in_one_line(tmp_path: Path, body: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        load_priors(_write(tmp_path, "p.yaml", body))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("p.yaml")
    for w in words:
        assert w in msg, msg


TARGET = ("    description: d\n    setting: s\n    sources: [{title: t, url: 'https://example.org', states: x}]\n")


@pytest.mark.parametrize("body, words", [
    ("targets:\n  a:\n    value: 0.2\n    relative: 0.25\n    measure: nope\n" + TARGET,
     ["measure", "nope", "allowed"]),
    ("targets:\n  a:\n    value: 0.2\n    measure: review_readers_share\n" + TARGET, ["relative or absolute"]),
    ("targets:\n  a:\n    band: [0.3, 0.2]\n    measure: review_readers_share\n" + TARGET, ["band", "below high"]),
    ("targets:\n  a:\n    value: 0.2\n    relative: 0.2\n    measure: funnel_ratio\n    args: {x: 1}\n" + TARGET,
     ["args", "strategy"]),
    ("targets:\n  a:\n    value: 0.2\n    relative: 0.2\n    measure: review_readers_share\n    use: report\n" + TARGET,
     ["use: accept"]),
    ("targets:\n  a:\n    value: 0.2\n    relative: 0.2\n    measure: review_readers_share\n"
     "    description: d\n    setting: s\n    sources: [{title: t, states: x}]\n", ["url or file"]),
    ("weeks: true\ntargets: {}\n", ["weeks"]),
])
def test_bad_targets_are_refused_in_one_line(tmp_path: Path, body: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        load_targets(_write(tmp_path, "t.yaml", body))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("t.yaml")
    for w in words:
        assert w in msg, msg


# ------------------------------------------------------------------------------------ measures
def test_run_view_numbers_are_the_summarys(tmp_path: Path) -> None:
    cfg = sim.load_scenario("baseline", weeks=60, updates={"market.customers": 400})
    res = sim.run(cfg, seed=3)
    view = run_view(cfg, 3)
    for name in ("numbers_game", "relationship"):
        node = res.summary["strategies"][name]
        assert view.total("revenue", name) == pytest.approx(node["revenue_total"], rel=1e-12)
        for stage, value in node["funnel_year1"].items():
            assert view.total(stage, name, 52) == pytest.approx(value, rel=1e-12)
    assert view.crossover_week("relationship", "numbers_game") == res.summary["crossover_week"]
    assert view.summary["strategies"].keys() == res.summary["strategies"].keys()
    record = headline_task(cfg, 3, PAIR, {})
    assert record["crossover_week"] == res.summary["crossover_week"]
    assert isinstance(view, RunView)


def test_measures_of_the_shipped_targets_on_the_default_market() -> None:
    targets = load_targets()
    cfg = sim.load_scenario(targets.scenario, weeks=targets.weeks)
    out = measure_task(cfg, 1, tuple(targets.targets.items()))
    assert set(out) == set(targets.targets)
    assert 0.1 < out["funnel_lead_to_prospect"] < 0.3
    assert abs(out["review_readers"] - cfg.market.review_readers) < 0.03
    assert 0 <= out["repeat_customer_rate_year1"] <= 1


def test_a_scenarios_own_settings_win_over_a_member() -> None:
    wary = sim.load_scenario("scam_wary")
    keep = own_market_settings(wary)
    assert keep == {"skepticism_mean"}
    cfg = with_market(wary, {"skepticism_mean": 0.2, "trust_threshold": 0.55}, keep)
    assert cfg.market.skepticism_mean == wary.market.skepticism_mean and cfg.market.trust_threshold == 0.55


# ------------------------------------------------------------------------------------ a tiny calibration
@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A smaller market (1,000 customers), 26 weeks, wide funnel targets, a 16 + 8 point design.

    Returns the files and one finished calibration.
    """
    folder = tmp_path_factory.mktemp("tiny")
    scenario = _write(folder, "small.yaml", "extends: baseline\nmarket: {customers: 1000}\n")
    src = "    setting: s\n    sources: [{title: t, file: f, states: x}]\n"
    targets = _write(folder, "targets.yaml", f"""scenario: {scenario}
weeks: 26
targets:
  prospects:
    description: d
    value: 0.15
    relative: 0.6
    measure: funnel_ratio
    args: {{strategy: numbers_game, numerator: prospects, denominator: leads}}
{src}  sales:
    description: d
    band: [0.1, 0.6]
    measure: funnel_ratio
    args: {{strategy: numbers_game, numerator: sales, denominator: presentations}}
{src}  repeat:
    description: d
    band: [0.0, 0.5]
    measure: repeat_customer_rate
    use: report
{src}""")
    priors = _write(folder, "priors.yaml", """priors:
  attention: {low: 0.5, high: 1.0, reason: r}
  pressure_close_lift: {low: 0.0, high: 0.3, reason: r}
  trust_threshold: {low: 0.45, high: 0.75, reason: r}
  attention_weeks: {low: 2, high: 8, reason: r}
""")
    settings = Settings(design=16, refine=8, replicates=2, seed=5, max_members=5)
    cal = calibrate(folder / "run", targets_file=targets, priors_file=priors, settings=settings, progress=False)
    return {"folder": folder, "targets": targets, "priors": priors, "settings": settings, "cal": cal}


def test_tiny_calibration_accepts_and_weights_members(tiny: dict) -> None:
    cal = tiny["cal"]
    assert len(cal.points) == 24
    assert cal.accepted, "the wide targets should accept some points"
    assert len(cal.members) == min(5, len(cal.accepted))
    assert np.mean([p["weight"] for p in cal.accepted]) == pytest.approx(1.0)
    diag = cal.diagnostics()
    assert diag["tried"] == 24 and diag["accepted"] == len(cal.accepted)
    assert diag["targets"]["prospects"]["ensemble_within"] == 1.0
    assert set(diag["parameters"]) == {"attention", "pressure_close_lift", "trust_threshold", "attention_weeks"}


def test_every_accepted_member_meets_every_accepted_target_when_rerun(tiny: dict) -> None:
    cal = tiny["cal"]
    targets = cal.targets
    base = sim.load_scenario(targets.scenario, weeks=targets.weeks)
    pairs = tuple(targets.accepting.items())
    for member in cal.accepted:
        cfg = with_market(base, member["values"])
        runs = [measure_task(cfg, seed, pairs) for seed in member["seeds"]]
        for name, t in pairs:
            assert t.met(float(np.mean([r[name] for r in runs]))), (member["point"], name)


def test_calibration_resumes_after_an_interruption_with_the_same_result(tiny: dict) -> None:
    run = tiny["folder"] / "run"
    parts = sorted(run.glob("runs/*/jobs/part-*.jsonl"))
    assert parts
    parts[-1].unlink()                      # the last batch never reached the disk
    again = calibrate(run, targets_file=tiny["targets"], priors_file=tiny["priors"], settings=tiny["settings"],
                      progress=False)
    assert [p["point"] for p in again.accepted] == [p["point"] for p in tiny["cal"].accepted]
    assert [p["measures"] for p in again.points] == [p["measures"] for p in tiny["cal"].points]


def test_a_model_change_starts_a_fresh_run_folder(tiny: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.calibration.jobs as jobs

    monkeypatch.setattr(jobs, "model_fingerprint", lambda: "f" * 64)
    again = calibrate(tiny["folder"] / "run", targets_file=tiny["targets"], priors_file=tiny["priors"],
                      settings=tiny["settings"], progress=False)
    folders = sorted(p.name for p in (tiny["folder"] / "run" / "runs").iterdir())
    assert "f" * 16 in folders and len(folders) == 2          # the old model's runs are not reused
    assert [p["measures"] for p in again.points] == [p["measures"] for p in tiny["cal"].points]


def test_a_folder_of_another_calibration_is_refused_in_one_line(tiny: dict) -> None:
    other = Settings(design=16, refine=8, replicates=1, seed=5)
    with pytest.raises(ConfigError) as err:
        calibrate(tiny["folder"] / "run", targets_file=tiny["targets"], priors_file=tiny["priors"], settings=other,
                  progress=False)
    assert "different calibration" in str(err.value) and "settings.replicates" in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_design_sizes_are_refused() -> None:
    with pytest.raises(ConfigError, match="power of 2"):
        Settings(design=100).check()


def test_ensemble_file_round_trips_and_validates(tiny: dict, tmp_path: Path) -> None:
    text = dump_ensemble(tiny["cal"])
    ens = EnsembleFile.model_validate(yaml.safe_load(text))
    assert len(ens.members) == len(tiny["cal"].members)
    path = _write(tmp_path, "e.yaml", text)
    assert load_ensemble(path) == ens
    bad = text.replace("attention: ", "attention: 7 #", 1)
    with pytest.raises(ConfigError) as err:
        load_ensemble(_write(tmp_path, "bad.yaml", bad))
    assert "attention" in str(err.value) and "\n" not in str(err.value)


def test_missing_ensemble_file_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make calibrate"):
        load_ensemble(tmp_path / "none.yaml")


# ------------------------------------------------------------------------------------ the headline
def _rec(adv: float, week: int | None) -> dict:
    return {"incumbent": 100.0, "challenger": 100.0 * math.exp(adv), "log_advantage": adv, "crossover_week": week}


def test_ensemble_headline_shares_ratio_and_crossover() -> None:
    runs = {1: [_rec(1.0, 30), _rec(1.05, 35), _rec(1.1, 40)],         # relationship clearly
            2: [_rec(-0.5, None), _rec(-0.55, None), _rec(-0.6, None)],  # numbers game clearly
            3: [_rec(0.5, 50), _rec(-0.5, None), _rec(0.0, None)],       # no clear winner
            4: [_rec(0.7, 20), _rec(0.75, 22), _rec(0.8, 25)]}
    weights = {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}
    out = ensemble_headline([_rec(1.0, 30), _rec(1.1, 33), _rec(1.2, 35)], runs, weights, PAIR)
    assert out["wins"] == {"relationship": 0.5, "numbers_game": 0.25, NO_WINNER: 0.25}
    assert out["crossover_week"]["never_share"] == 0.5     # member 3: two of three replicates never -> never
    ratios = sorted(m["ratio"] for m in out["per_member"])
    assert ratios == pytest.approx(sorted([math.exp(1.05), math.exp(-0.55), 1.0, math.exp(0.75)]))
    assert ratios[1] <= out["ratio"]["median"] <= ratios[2]
    assert out["single_market"]["winner"] == "relationship"
    assert 0 < out["single_market"]["ratio_low"] <= out["single_market"]["ratio"] <= out["single_market"]["ratio_high"]
    out.update({"scenario": "baseline"})
    text = ensemble_sentence(out)
    assert text.startswith("Relationship selling wins in 50% of 4 markets consistent with the evidence")
    assert "the numbers game in 25%" in text and "no clear winner in 25%" in text and "single market" in text


def test_weights_change_the_shares() -> None:
    runs = {1: [_rec(1.0, 30), _rec(1.05, 35), _rec(1.1, 40)],
            2: [_rec(-0.5, None), _rec(-0.55, None), _rec(-0.6, None)]}
    out = ensemble_headline([_rec(1.0, 30)], runs, {1: 3.0, 2: 1.0}, PAIR)
    assert out["wins"]["relationship"] == 0.75


def test_run_ensemble_writes_the_summary_and_resumes(tiny: dict, tmp_path: Path) -> None:
    ens = EnsembleFile.model_validate(yaml.safe_load(dump_ensemble(tiny["cal"])))
    cfg = sim.load_scenario("baseline", weeks=40, updates={"market.customers": 300})
    first = run_ensemble(cfg, ens, tmp_path / "e", replicates=2, progress=False)
    assert first["members"] == len(ens.members)
    assert abs(sum(first["wins"].values()) - 1.0) < 1e-12
    again = run_ensemble(cfg, ens, tmp_path / "e", replicates=2, progress=False)
    assert again == first
    saved = json.loads((tmp_path / "e" / "ensemble_summary.json").read_text())
    assert saved["sentence"] == first["sentence"]


def test_ensemble_command_line(tiny: dict, tmp_path: Path) -> None:
    path = _write(tmp_path, "e.yaml", dump_ensemble(tiny["cal"]))
    for argv in (["ensemble", "baseline", "--ensemble-file", str(path)], ["run", "baseline", "--ensemble", str(path)]):
        out = tmp_path / argv[0]
        proc = subprocess.run([sys.executable, "-m", "sim", *argv, "--weeks", "30", "--customers", "300",
                               "--replicates", "2", "--no-plots", "--out", str(out)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "markets consistent with the evidence" in proc.stdout
        assert (out / "ensemble_summary.json").exists()


def test_calibrate_command_line_refuses_a_bad_design_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "sim", "calibrate", "--design", "1000", "--out", str(tmp_path / "c")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "power of 2" in proc.stderr


# ------------------------------------------------------------------------------------ the shipped ensemble
@pytest.mark.slow
def test_a_sample_of_shipped_members_still_meets_every_target() -> None:
    """Re-run 12 members spread over the shipped ensemble with their own seeds; each meets every accepted target.

    Fails when the model has changed since the ensemble was made: run ``make calibrate``.
    """
    ens = load_ensemble()
    targets = load_targets()
    base = sim.load_scenario(ens.scenario, weeks=ens.weeks)
    pairs = tuple(targets.accepting.items())
    failures = []
    for member in ens.selected(12):
        cfg = with_market(base, member.market)
        runs = [measure_task(cfg, seed, pairs) for seed in member.seeds]
        for name, t in pairs:
            value = float(np.mean([r[name] for r in runs]))
            if not t.met(value):
                failures.append(f"member {member.id}: {name} = {value:.4g} outside {t.low:.4g}..{t.high:.4g}")
    assert not failures, "; ".join(failures) + " (the model changed: run make calibrate)"
