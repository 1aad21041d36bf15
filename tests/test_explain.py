"""Mechanism attribution: Shapley values, common random numbers, the groups as data, attribution.json."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import sim
from sim.calibration.attribution import (
    MECHANISMS,
    Mechanism,
    check_mechanisms,
    explain,
    shapley,
    subset_config,
)
from sim.calibration.markets import headline_task
from sim.errors import ConfigError
from sim.narrate.evidence import attribution_sentence

PAIR = ("numbers_game", "relationship")


@pytest.fixture(scope="module")
def small() -> sim.Config:
    """A small, short market: 300 customers, 30 weeks."""
    return sim.load_scenario("baseline", weeks=30, updates={"market.customers": 300})


# ------------------------------------------------------------------------------------ shapley
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_shapley_values_add_up_to_the_full_minus_the_empty_coalition(k: int) -> None:
    v = np.random.default_rng(k).normal(size=2**k).tolist()
    assert math.isclose(sum(shapley(v, k)), v[-1] - v[0], abs_tol=1e-12)


def test_shapley_of_one_player_is_its_effect() -> None:
    assert shapley([0.3, 1.1], 1) == [pytest.approx(0.8)]


def test_shapley_additive_game_gives_each_player_its_own_effect() -> None:
    effects = [0.5, -0.2, 1.0]
    v = [sum(e for i, e in enumerate(effects) if mask >> i & 1) for mask in range(8)]
    assert shapley(v, 3) == pytest.approx(effects)


def test_shapley_dummy_player_gets_zero_and_symmetric_players_share_equally() -> None:
    # players 0 and 1 are needed together (worth 1); player 2 changes nothing
    v = [1.0 if (mask & 0b011) == 0b011 else 0.0 for mask in range(8)]
    phi = shapley(v, 3)
    assert phi[2] == pytest.approx(0.0)
    assert phi[0] == pytest.approx(phi[1]) == pytest.approx(0.5)


def test_shapley_refuses_the_wrong_number_of_values() -> None:
    with pytest.raises(ValueError, match="2\\*\\*3"):
        shapley([0.0] * 7, 3)


# ------------------------------------------------------------------------------------ groups as data
def test_shipped_groups_name_settings_and_knobs_that_exist() -> None:
    check_mechanisms()
    assert len(MECHANISMS) <= 10
    assert len({m.name for m in MECHANISMS}) == len(MECHANISMS)


def test_a_group_with_an_unknown_setting_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        check_mechanisms([Mechanism("x", "x", "off", {"no_such_setting": 0})])
    assert "no_such_setting" in str(err.value) and "\n" not in str(err.value)


def test_switching_a_group_off_sets_every_seller_and_keeps_group_names(small: sim.Config) -> None:
    mechs = [m for m in MECHANISMS if m.name == "service_recovery"]
    cfg, aliases = subset_config(small, 0, mechs)
    assert cfg.market.recovery_bonus == 0.0
    assert all(cfg.strategy(g.strategy).owns_failures == 0.0 for g in cfg.sellers)
    assert sorted(aliases.values()) == ["numbers_game", "relationship"]
    on, none = subset_config(small, 1, mechs)
    assert on == small and none == {}


# ------------------------------------------------------------------------------------ common random numbers
def test_same_seed_same_config_gives_identical_records(small: sim.Config) -> None:
    a = headline_task(small, 11, PAIR, {})
    b = headline_task(small, 11, PAIR, {})
    assert a == b
    assert headline_task(small, 12, PAIR, {}) != a


def test_a_switch_that_changes_nothing_has_exactly_zero_share(small: sim.Config, tmp_path) -> None:
    one_off = small.with_updates({"market.recurring_needs": False})   # repeat business is already off
    attr = explain(one_off, tmp_path / "x", replicates=2, groups=["repeat_business", "pressure"], progress=False)
    assert attr["groups"]["repeat_business"]["share"] == 0.0
    assert attr["groups"]["repeat_business"]["low"] == attr["groups"]["repeat_business"]["high"] == 0.0


# ------------------------------------------------------------------------------------ explain
def test_explain_shares_add_up_to_the_total_and_match_direct_runs(small: sim.Config, tmp_path) -> None:
    groups = ["repeat_business", "pressure", "pitch_fatigue"]
    attr = explain(small, tmp_path / "a", replicates=2, groups=groups, progress=False)
    shares = [g["share"] for g in attr["groups"].values()]
    assert math.isclose(sum(shares), attr["total"], abs_tol=1e-9)
    assert set(attr["groups"]) == {*groups, "remainder"}
    for g in attr["groups"].values():
        assert g["low"] <= g["share"] <= g["high"]
    seeds = [sim.replicate_seed(small.seed, r) for r in range(2)]
    direct = np.mean([headline_task(small, s, PAIR, {})["log_advantage"] for s in seeds])
    assert attr["total"] == pytest.approx(direct, abs=1e-12)
    written = json.loads((tmp_path / "a" / "attribution.json").read_text())
    assert written["total"] == pytest.approx(attr["total"]) and written["sentence"] == attr["sentence"]


def test_explain_with_one_group_equals_that_groups_effect(small: sim.Config, tmp_path) -> None:
    mech = next(m for m in MECHANISMS if m.name == "pressure")
    attr = explain(small, tmp_path / "b", replicates=2, groups=["pressure"], progress=False)
    off, aliases = subset_config(small, 0, [mech])
    effects = []
    for r in range(2):
        seed = sim.replicate_seed(small.seed, r)
        effects.append(headline_task(small, seed, PAIR, {})["log_advantage"]
                       - headline_task(off, seed, PAIR, aliases)["log_advantage"])
    assert attr["groups"]["pressure"]["share"] == pytest.approx(float(np.mean(effects)), abs=1e-12)


def test_explain_resumes_with_the_same_result(small: sim.Config, tmp_path) -> None:
    first = explain(small, tmp_path / "c", replicates=2, groups=["reviews", "customer_log"], progress=False)
    parts = sorted((tmp_path / "c").glob("runs/*/jobs/part-*.jsonl"))
    parts[0].unlink()                                   # as if killed before that part was written
    again = explain(small, tmp_path / "c", replicates=2, groups=["reviews", "customer_log"], progress=False)
    assert again["groups"] == first["groups"]


def test_explain_refuses_an_unknown_group_in_one_line(small: sim.Config, tmp_path) -> None:
    with pytest.raises(ConfigError) as err:
        explain(small, tmp_path / "d", groups=["nope"], progress=False)
    assert "nope" in str(err.value) and "allowed" in str(err.value) and "\n" not in str(err.value)


def test_explain_command_line_writes_attribution_and_prints_the_sentence(tmp_path) -> None:
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "sim", "explain", "baseline", "--weeks", "20", "--customers", "300",
                           "--groups", "reviews,pressure", "--replicates", "2", "--workers", "1", "--no-plots",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "attribution.json").exists()
    assert "remains with every group switched off" in proc.stdout


def test_explain_command_line_bad_group_is_one_line_exit_2(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "sim", "explain", "baseline", "--groups", "nope",
                           "--out", str(tmp_path / "x")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")


# ------------------------------------------------------------------------------------ sentence
def _attr(total: float, low: float, high: float, shares: dict[str, float], remainder: float) -> dict:
    groups = {k: {"label": k.replace("_", " "), "share": v, "low": v, "high": v} for k, v in shares.items()}
    groups["remainder"] = {"label": "everything else", "share": remainder, "low": remainder, "high": remainder}
    return {"pair": {"incumbent": "numbers_game", "challenger": "relationship"}, "scenario": "baseline",
            "total": total, "total_low": low, "total_high": high, "groups": groups}


def test_attribution_sentence_names_the_leader_and_the_largest_groups() -> None:
    text = attribution_sentence(_attr(1.9, 1.7, 2.1, {"repeat_business": 1.2, "reviews": 0.5, "pressure": -0.1}, 0.3))
    assert text.startswith("Why relationship selling leads in baseline")
    assert "repeat business +1.20" in text and "pressure -0.10" in text and "+0.30 remains" in text


def test_attribution_sentence_says_no_clear_winner_when_the_interval_spans_zero() -> None:
    text = attribution_sentence(_attr(0.1, -0.2, 0.4, {"reviews": 0.1}, 0.0))
    assert text.startswith("No clear winner in baseline")


def test_attribution_sentence_numbers_game_leads() -> None:
    text = attribution_sentence(_attr(-0.8, -1.0, -0.6, {"repeat_business": -0.9, "reviews": 0.2}, -0.1))
    assert text.startswith("Why the numbers game leads")
    assert "repeat business -0.90" in text.split(";")[0]


@pytest.mark.parametrize("k", [2, 3])
def test_permutation_definition_agrees_with_the_subset_formula(k: int) -> None:
    v = np.random.default_rng(7).normal(size=2**k).tolist()
    perm = [0.0] * k
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        mask = 0
        for i in order:
            perm[i] += (v[mask | 1 << i] - v[mask]) / len(orders)
            mask |= 1 << i
    assert shapley(v, k) == pytest.approx(perm)
