"""The shipped measurements (``headlines.yaml``): schema, freshness, the surfaces that read it, the generator.

A fake file with made-up numbers and the *current* fingerprints stands in for a generated one, so
the tests check that each surface shows exactly the file's numbers, and says "stale" / "not measured
for these settings" (naming the command) as soon as a fingerprint or a setting differs.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

import sim
from sim.calibration import headlines as hl
from sim.calibration.headlines import (
    Design,
    HeadlinesFile,
    config_fingerprint,
    dump_headlines,
    ensemble_fingerprint,
    evidence_for,
    generate_headlines,
    load_headlines,
    source_fingerprint,
)
from sim.errors import ConfigError
from sim.narrate.evidence import NO_WINNER, evidence_lines

PAIR = {"incumbent": "numbers_game", "challenger": "relationship"}


def fake_entry(cfg: sim.Config, rel: float = 0.83, ng: float = 0.05, repeat: float = 1.61) -> dict:
    """An entry with made-up numbers whose shares add up to the total."""
    groups = {"repeat_business": {"label": "repeat business", "share": repeat, "low": repeat - 0.1,
                                  "high": repeat + 0.1},
              "pitch_fatigue": {"label": "pitch fatigue", "share": 0.27, "low": 0.2, "high": 0.34},
              "honesty_fit": {"label": "honesty about fit", "share": -0.12, "low": -0.2, "high": -0.04},
              "remainder": {"label": "everything else", "share": 0.04, "low": -0.3, "high": 0.38}}
    total = sum(g["share"] for g in groups.values())
    return {"config_sha256": config_fingerprint(cfg), "design": Design().model_dump(),
            "ensemble": {"members": 120, "replicates": 3, "pair": PAIR,
                         "wins": {"relationship": rel, "numbers_game": ng, NO_WINNER: round(1 - rel - ng, 6)},
                         "ratio": {"median": 1.7, "low": 0.9, "high": 3.4},
                         "crossover_week": {"median": 57.0, "low": 10.0, "high": 288.0, "never_share": 0.06},
                         "single_market": {"ratio": 7.02, "ratio_low": 6.25, "ratio_high": 7.89,
                                           "winner": "relationship", "crossover_week": 43.0}},
            "attribution": {"scenario": cfg.name, "replicates": 3, "runs": 1536, "pair": PAIR, "total": total,
                            "total_low": total - 0.1, "total_high": total + 0.1,
                            "interval": "95% t-interval over replicates", "groups": groups}}


def write_fake(path: Path, names: tuple[str, ...] = ("baseline",), **changes: str) -> Path:
    data = {"format": 1, "sim_version": sim.__version__, "source_sha256": source_fingerprint(),
            "ensemble_sha256": ensemble_fingerprint(),
            "scenarios": {n: fake_entry(sim.load_scenario(n)) for n in names}}
    data.update(changes)
    path.write_text(dump_headlines(HeadlinesFile.model_validate(data)), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ schema
def test_the_fake_file_round_trips(tmp_path: Path) -> None:
    path = write_fake(tmp_path / "h.yaml", ("baseline", "one_off"))
    data = load_headlines(path)
    assert list(data.scenarios) == ["baseline", "one_off"]
    assert data.scenarios["baseline"].ensemble.wins["relationship"] == 0.83


@pytest.mark.parametrize("damage, fragment", [
    (lambda d: d.update(format=2), "format"),
    (lambda d: d["scenarios"]["baseline"]["ensemble"].pop("wins"), "wins"),
    (lambda d: d["scenarios"]["baseline"]["ensemble"]["crossover_week"].update(never_share=1.5), "never_share"),
    (lambda d: d["scenarios"]["baseline"].update(extra=1), "extra"),
    (lambda d: d["scenarios"]["baseline"]["design"].update(attribution_replicates=1), "attribution_replicates"),
])
def test_a_damaged_file_is_one_line_naming_the_field(tmp_path: Path, damage, fragment: str) -> None:
    data = yaml.safe_load(write_fake(tmp_path / "h.yaml").read_text())
    damage(data)
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_headlines(tmp_path / "bad.yaml")
    assert fragment in str(err.value) and "\n" not in str(err.value) and "make headlines" in str(err.value)


def test_the_shipped_file_if_any_validates_and_names_shipped_scenarios_only() -> None:
    data = load_headlines()
    if data is None:
        pytest.skip("no shipped headlines file yet (make headlines)")
    assert set(data.scenarios) <= set(sim.scenario_names())
    for name, entry in data.scenarios.items():
        a = entry.attribution
        assert a.scenario == name
        assert math.isclose(sum(g.share for g in a.groups.values()), a.total, rel_tol=1e-4, abs_tol=1e-4)
        assert math.isclose(sum(entry.ensemble.wins.values()), 1.0, abs_tol=1e-4)


# ------------------------------------------------------------------------------------ freshness
def test_fresh_measurement_of_the_shipped_settings_is_measured(tmp_path: Path) -> None:
    ev = evidence_for(sim.load_scenario("baseline"), write_fake(tmp_path / "h.yaml"))
    assert ev.state == "measured" and ev.entry["ensemble"]["members"] == 120


def test_other_settings_are_not_measured_and_the_command_is_named(tmp_path: Path) -> None:
    path = write_fake(tmp_path / "h.yaml")
    ev = evidence_for(sim.load_scenario("baseline", updates={"market.customers": 500}), path)
    assert ev.state == "changed"
    (line,) = ev.lines()
    assert "not measured for these settings" in line
    assert "python -m sim run baseline --ensemble" in line and "python -m sim explain baseline" in line
    assert evidence_for(sim.load_scenario("baseline").with_updates(seed=7), path).state == "changed"


def test_a_reworded_description_is_still_measured(tmp_path: Path) -> None:
    """The fingerprint covers settings, not the scenario's words (a setting still counts)."""
    path = write_fake(tmp_path / "h.yaml")
    base = sim.load_scenario("baseline")
    assert evidence_for(base.model_copy(update={"description": "other words"}), path).state == "measured"
    assert config_fingerprint(base.model_copy(update={"description": "x"})) == config_fingerprint(base)
    assert config_fingerprint(base.with_updates(weeks=base.weeks + 1)) != config_fingerprint(base)


def test_a_changed_model_makes_it_stale(tmp_path: Path) -> None:
    path = write_fake(tmp_path / "h.yaml", source_sha256="0" * 64)
    ev = evidence_for(sim.load_scenario("baseline"), path)
    assert ev.state == "stale" and "model changed" in ev.reason
    (line,) = ev.lines()
    assert "stale" in line and "regenerate with `make headlines`" in line and "83%" not in line


def test_a_changed_ensemble_makes_it_stale(tmp_path: Path) -> None:
    ev = evidence_for(sim.load_scenario("baseline"), write_fake(tmp_path / "h.yaml", ensemble_sha256="1" * 64))
    assert ev.state == "stale" and "ensemble" in ev.reason


def test_a_changed_shipped_scenario_makes_it_stale(tmp_path: Path) -> None:
    path = tmp_path / "h.yaml"
    write_fake(path)
    data = yaml.safe_load(path.read_text())
    data["scenarios"]["baseline"]["config_sha256"] = "2" * 64     # measured on other shipped settings
    path.write_text(yaml.safe_dump(data))
    ev = evidence_for(sim.load_scenario("baseline"), path)
    assert ev.state == "stale" and "baseline changed" in ev.reason


def test_no_file_an_unmeasured_scenario_or_a_broken_file_is_missing(tmp_path: Path) -> None:
    cfg = sim.load_scenario("one_off")
    assert evidence_for(cfg, tmp_path / "none.yaml").state == "missing"
    ev = evidence_for(cfg, write_fake(tmp_path / "h.yaml"))             # only baseline in it
    assert ev.state == "missing" and "make headlines" in ev.lines()[0]
    (tmp_path / "broken.yaml").write_text("format: [1\n")
    ev = evidence_for(cfg, tmp_path / "broken.yaml")
    assert ev.state == "missing" and "cannot be read" in ev.reason


def test_a_scenario_that_is_not_shipped_is_never_measured(tmp_path: Path) -> None:
    cfg = sim.load_scenario("baseline").with_updates(name="my_market")
    ev = evidence_for(cfg, write_fake(tmp_path / "h.yaml"))
    assert ev.state == "changed" and "not a shipped scenario" in ev.lines()[0]


def test_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed"):
        evidence_lines("baseline", "fresh")


# ------------------------------------------------------------------------------------ the surfaces
def test_sim_run_summary_shows_the_files_numbers(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", ("short_horizon",)))
    from sim.cli import main

    assert main(["run", "short_horizon", "--no-plots", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert ("Across the 120 markets consistent with the evidence: relationship wins in 83%, numbers game in 5%, "
            "no clear winner in 12%") in out
    assert "Why relationship selling leads" in out and "repeat business +1.61 [+1.51, +1.71]" in out
    assert out.index("Across the 120") < out.index("Results written to")


def test_sim_run_summary_with_other_settings_says_so(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", ("short_horizon",)))
    from sim.cli import main

    assert main(["run", "short_horizon", "--customers", "300", "--no-plots", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "Across the 120" not in out and "not measured for these settings" in out
    assert "python -m sim run short_horizon --ensemble" in out


def test_sim_run_summary_with_a_stale_file_says_regenerate(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", ("short_horizon",),
                                                         source_sha256="3" * 64))
    from sim.cli import main

    assert main(["run", "short_horizon", "--no-plots", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "Across the 120" not in out and "stale" in out and "make headlines" in out


def test_check_command_reports_each_shipped_scenario(tmp_path: Path, capsys) -> None:
    path = write_fake(tmp_path / "h.yaml", tuple(sim.scenario_names()))
    assert hl.main(["--check", "--file", str(path)]) == 0
    assert capsys.readouterr().out.count("measured") == len(sim.scenario_names())
    write_fake(path, ("baseline",))
    assert hl.main(["--check", "--file", str(path)]) == 1
    assert "one_off" in capsys.readouterr().out


def test_generator_refuses_an_unknown_scenario_in_one_line(tmp_path: Path, capsys) -> None:
    assert hl.main(["--scenarios", "nope", "--file", str(tmp_path / "h.yaml"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err and "allowed" in err


# ------------------------------------------------------------------------------------ the generator
@pytest.mark.slow
def test_generator_measures_a_scenario_small_and_is_reproducible(tmp_path: Path) -> None:
    design = Design(ensemble_members=3, ensemble_replicates=2, attribution_replicates=2)
    path = tmp_path / "h.yaml"
    data = generate_headlines(["short_horizon"], tmp_path / "runs", file=path, design=design, workers=1,
                              progress=False, log=lambda _s: None)
    entry = data.scenarios["short_horizon"]
    assert entry.ensemble.members == 3 and entry.attribution.runs == 2 * 2**9
    # the same seeds: the attribution's total is the single market's log advantage
    assert math.exp(entry.attribution.total) == pytest.approx(entry.ensemble.single_market.ratio, rel=1e-4)
    assert evidence_for(sim.load_scenario("short_horizon"), path).state == "measured"
    first = path.read_bytes()
    generate_headlines(["short_horizon"], tmp_path / "runs", file=path, design=design, workers=1, progress=False,
                       log=lambda _s: None)
    assert path.read_bytes() == first


@pytest.mark.slow
def test_the_shipped_file_is_fresh_for_every_shipped_scenario() -> None:
    """Fails after a model or ensemble change until ``make headlines`` has been run."""
    states = {n: evidence_for(sim.load_scenario(n)) for n in sim.scenario_names()}
    assert all(ev.state == "measured" for ev in states.values()), {n: ev.reason for n, ev in states.items()}


def test_dashboard_why_panel_shows_the_files_numbers_or_why_not(tmp_path: Path, monkeypatch) -> None:
    from sim.ui.meeting import meeting_story_html

    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", ("two_cobblers",)))
    html = meeting_story_html("The story.", sim.load_scenario("two_cobblers"))
    assert "The story." in html and "Across plausible markets, and why" in html
    assert "relationship wins in 83%" in html and "repeat business +1.61 [+1.51, +1.71]" in html
    other = meeting_story_html("The story.", sim.load_scenario("two_cobblers", updates={"weeks": 104}))
    assert "83%" not in other and "not measured for these settings" in other
    assert "Across plausible" not in meeting_story_html("The story.")
