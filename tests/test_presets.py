"""Tests for the families (sim.strategy) and the preset search (sim.experiments.presets).

Fast tests check the families as data and run the search on a tiny market (300 customers,
40 weeks: enough to exercise every stage; the numbers mean nothing there). The slow test runs a
quick search in the real default market and checks that it cannot beat the shipped presets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from sim import cli
from sim.config import ConfigError
from sim.experiments.presets import (
    POLES,
    SearchBudget,
    evaluate,
    paired_gain,
    search_presets,
    with_strategies,
    write_presets_json,
)
from sim.model.runner import replicate_seed
from sim.strategy import FAMILIES, KNOB_COSTS, PRESETS, STRATEGY_KNOBS, Family, Strategy, knob_range, rounded

# MODEL.md's table: the knobs on which the numbers game is the higher pole; on the rest it is lower
HIGHER_FOR_NUMBERS_GAME = ("prospecting_share", "pressure")

TINY_BUDGET = SearchBudget(points=3, replicates=2, refine_points=2, refine_around=1, top=2, final_replicates=2,
                           rounds=2)


@pytest.fixture(scope="module")
def tiny() -> sim.Config:
    return sim.load_scenario("baseline", weeks=40, updates={"market.customers": 300})


# ------------------------------------------------------------------------------- families as data
@pytest.mark.parametrize("pole", POLES)
def test_every_knob_has_an_explicit_range_and_reason(pole: str) -> None:
    family = FAMILIES[pole]
    assert set(family.bounds) == set(STRATEGY_KNOBS), "a new knob needs a range (wide if the table is silent)"
    assert set(family.why) == set(STRATEGY_KNOBS)
    for knob, why in family.why.items():
        assert why.strip() and ("[00" in why or "MODEL.md" in why), f"{pole}.{knob}: cite an essay or MODEL.md"


def test_boxes_are_ranges_except_where_the_table_fixes_a_value() -> None:
    """Honest ranges, not points: only 'never declines' fixes a knob (fit_threshold = 0)."""
    assert set(STRATEGY_KNOBS) - set(FAMILIES["numbers_game"].free_knobs) == {"fit_threshold"}
    assert FAMILIES["numbers_game"].box("fit_threshold") == (0.0, 0.0)
    assert FAMILIES["relationship"].free_knobs == STRATEGY_KNOBS
    assert FAMILIES["relationship"].box("fit_threshold")[0] > 0.0   # declines below a threshold


@pytest.mark.parametrize("knob", STRATEGY_KNOBS)
def test_boxes_follow_the_model_table(knob: str) -> None:
    """Each pole's range lies on its side of the MODEL.md table, and the two boxes do not overlap."""
    ng, rel = FAMILIES["numbers_game"].box(knob), FAMILIES["relationship"].box(knob)
    if knob in HIGHER_FOR_NUMBERS_GAME:
        assert ng[0] > rel[1]
    else:
        assert ng[1] < rel[0]


def test_minutes_boxes_bracket_the_essay_figures() -> None:
    """'5 to 20 minutes' [003]: ~5 for the numbers game, ~20 for relationship selling."""
    low, high = FAMILIES["numbers_game"].box("minutes_per_contact")
    assert low < 5 < high
    low, high = FAMILIES["relationship"].box("minutes_per_contact")
    assert low < 20 < high


@pytest.mark.parametrize("pole", POLES)
def test_shipped_preset_lies_inside_its_family(pole: str) -> None:
    assert FAMILIES[pole].contains(PRESETS[pole]), FAMILIES[pole].violations(PRESETS[pole])
    other = POLES[1 - POLES.index(pole)]
    assert not FAMILIES[pole].contains(PRESETS[other])


@pytest.mark.parametrize("pole", POLES)
def test_shipped_preset_is_rounded(pole: str) -> None:
    assert rounded(PRESETS[pole]) == PRESETS[pole]


def test_sample_maps_the_unit_cube_onto_the_box() -> None:
    family = FAMILIES["numbers_game"]
    d = family.dimension
    low, high = family.sample([[0.0] * d, [1.0] * d])
    for knob in STRATEGY_KNOBS:
        assert getattr(low, knob) == family.box(knob)[0]
        assert getattr(high, knob) == pytest.approx(family.box(knob)[1])
    assert family.contains(low) and family.contains(high)
    with pytest.raises(ValueError, match="columns"):
        family.sample([[0.5] * (d + 1)])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        family.sample([[1.5] * d])


def test_contains_and_violations_name_the_knob() -> None:
    family = FAMILIES["relationship"]
    bad = PRESETS["relationship"].model_copy(update={"pressure": 0.9})
    assert not family.contains(bad)
    assert family.violations(bad) == ["pressure = 0.9: outside relationship's [0, 0.3]"]


def test_around_is_a_smaller_box_inside_the_family() -> None:
    family = FAMILIES["relationship"]
    corner = family.sample([[1.0] * family.dimension])[0]
    small = family.around(corner, 0.1)
    for knob in STRATEGY_KNOBS:
        low, high = small.box(knob)
        flow, fhigh = family.box(knob)
        assert flow <= low <= high <= fhigh
        assert high - low <= 0.1 * (fhigh - flow) + 1e-12
    assert all(family.contains(s) for s in small.sample([[0.3] * small.dimension, [0.9] * small.dimension]))


def test_family_rejects_bounds_outside_the_knob_range() -> None:
    with pytest.raises(ValueError, match="minutes_per_contact"):
        Family("x", "x", {"minutes_per_contact": (0.0, 5.0)})
    with pytest.raises(ValueError, match="pressure"):
        Family("x", "x", {"pressure": (0.6, 0.4)})
    assert Family("x", "silent table", {}).box("pressure") == knob_range("pressure") == (0.0, 1.0)


def test_rounded_steps() -> None:
    s = rounded(Strategy(minutes_per_contact=7.26, pressure=0.333333, follow_up=0.999))
    assert (s.minutes_per_contact, s.pressure, s.follow_up) == (7.5, 0.33, 1.0)


def test_knob_costs_cover_every_knob() -> None:
    assert set(KNOB_COSTS) == set(STRATEGY_KNOBS)
    for knob, cost in KNOB_COSTS.items():
        assert cost.cost.strip(), knob
        assert cost.direction in ("rises", "falls")
        assert cost.measure is None or cost.measure.split(":")[0] in ("summary", "total", "mean"), knob


# ------------------------------------------------------------------------------- the search
def test_budget_validation_and_scaling() -> None:
    with pytest.raises(ConfigError, match="points"):
        SearchBudget(points=0)
    with pytest.raises(ConfigError, match="final_replicates"):
        SearchBudget(final_replicates=1)
    b = SearchBudget.scaled(40)
    assert b == SearchBudget()
    assert SearchBudget.scaled(8).top >= 2
    assert b.total_runs() > 2 * b.runs_per_search()


def test_with_strategies_swaps_one_group(tiny: sim.Config) -> None:
    mine = PRESETS["numbers_game"].model_copy(update={"pressure": 0.55})
    cfg = with_strategies(tiny, {"numbers_game": mine})
    assert [(g.strategy, g.count) for g in cfg.sellers] == [("numbers_game_candidate", 2), ("relationship", 2)]
    assert cfg.strategy("numbers_game_candidate") == mine
    one = sim.load_scenario("baseline", sellers=2)   # needs both poles
    single = one.with_updates({"sellers": [{"strategy": "relationship", "count": 1}]})
    with pytest.raises(ConfigError, match="numbers_game"):
        with_strategies(single, {"numbers_game": mine})


def test_evaluate_returns_each_poles_revenue(tiny: sim.Config) -> None:
    same = evaluate(tiny, {pole: PRESETS[pole].model_dump() for pole in POLES}, seed=3)
    res = sim.run(tiny, seed=3)
    assert same == {pole: res.summary["strategies"][pole]["revenue_total"] for pole in POLES}


def test_paired_gain() -> None:
    g = paired_gain([3.0, 5.0, 4.0], [1.0, 2.0, 3.0])
    assert g["mean"] == pytest.approx(2.0)
    assert g["low"] < 2.0 < g["high"]


def _without_run_info(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "run_info"}


def test_search_is_deterministic_and_the_same_for_one_or_two_workers(tiny: sim.Config, tmp_path: Path) -> None:
    one = search_presets(tiny, TINY_BUDGET, seed=5, workers=1)
    two = search_presets(tiny, TINY_BUDGET, seed=5, workers=2)
    assert json.dumps(_without_run_info(one), sort_keys=True) == json.dumps(_without_run_info(two), sort_keys=True)
    again = search_presets(tiny, TINY_BUDGET, seed=5, workers=1)
    assert _without_run_info(again) == _without_run_info(one)
    other = search_presets(tiny, TINY_BUDGET, seed=6, workers=1)
    assert other["rounds"][0]["searches"] != one["rounds"][0]["searches"]
    # the structure: every evaluated point, the chosen ones and their intervals
    assert [r["round"] for r in one["rounds"]] == [1, 2]
    for r in one["rounds"]:
        for pole in POLES:
            s = r["searches"][pole]
            stages = [p["stage"] for p in s["points"]]
            assert stages.count("explore") == TINY_BUDGET.points + 1   # the incumbent too
            assert stages.count("refine") == TINY_BUDGET.refine_points
            assert 1 <= stages.count("edges") <= 2 * FAMILIES[pole].dimension + 1
            assert FAMILIES[pole].contains(Strategy(**s["chosen"]["knobs"]))
            assert s["chosen"]["low"] <= s["chosen"]["mean"] <= s["chosen"]["high"]
            assert 1 <= stages.count("polish") <= 2 * FAMILIES[pole].dimension + 1
            finals = [p for p in s["points"] if p["stage"] in ("final", "polish")]
            assert all(len(p["revenue"]) == TINY_BUDGET.final_replicates for p in finals)
            assert s["chosen"]["mean"] == max(p["mean"] for p in finals)
            # the polish stage starts from the best final point and moves one knob at a time to a face
            best_final = max((p for p in s["points"] if p["stage"] == "final"), key=lambda p: p["mean"])
            for p in (p for p in s["points"] if p["stage"] == "polish"):
                moved = [k for k in STRATEGY_KNOBS if p["knobs"][k] != best_final["knobs"][k]]
                assert moved and all(p["knobs"][k] in FAMILIES[pole].box(k) for k in moved)
    assert one["rounds"][1]["searches"]["numbers_game"]["opponent"] == \
        one["rounds"][0]["searches"]["relationship"]["chosen"]["knobs"]
    assert one["presets"] == {pole: one["rounds"][-1]["searches"][pole]["chosen"]["knobs"] for pole in POLES}
    assert set(one["changed"]) >= {"numbers_game", "relationship", "leader_changed"}
    assert one["runs"] <= TINY_BUDGET.total_runs()
    path = write_presets_json(one, tmp_path / "out")
    assert json.loads(path.read_text()) == json.loads(json.dumps(one))
    assert sorted(p.name for p in path.parent.iterdir()) == ["presets.json"]   # no temporary left behind


def test_cli_prints_presets_and_families(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    for knob in STRATEGY_KNOBS:
        assert knob in out
    assert out.count("the preset lies inside its family") == 2
    assert "[003]" in out


def test_cli_search_writes_presets_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text("extends: baseline\nweeks: 20\nmarket: {customers: 200}\n")
    out = tmp_path / "presets"
    code = cli.main(["presets", "--search", "--scenario", str(scenario), "--budget", "2", "--workers", "1",
                         "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "Round 2" in text and "head to head" in text
    data = json.loads((out / "presets.json").read_text())
    assert set(data["presets"]) == set(POLES)
    assert cli.main(["presets", "--search", "--budget", "0"]) == 2
    assert "--budget = 0" in capsys.readouterr().err


# ------------------------------------------------------------------------------- the shipped presets
@pytest.mark.slow
def test_a_quick_search_does_not_beat_the_shipped_presets() -> None:
    """A small search in the default market (other seeds) finds no point beating a preset beyond noise.

    The quick search's best and the shipped preset are re-run on 12 fresh common seeds; the paired
    gain's 95% interval must reach zero.
    """
    budget = SearchBudget(points=12, replicates=2, refine_points=4, refine_around=2, top=2, final_replicates=4,
                          rounds=1)
    result = search_presets("baseline", budget, seed=7, workers=1)
    base = sim.load_scenario("baseline")
    seeds = [replicate_seed(99, i) for i in range(12)]
    for pole in POLES:
        other = POLES[1 - POLES.index(pole)]
        best = result["rounds"][0]["searches"][pole]["chosen"]["knobs"]
        if best == PRESETS[pole].model_dump():
            continue
        opp = PRESETS[other].model_dump()
        found = [evaluate(base, {pole: best, other: opp}, s)[pole] for s in seeds]
        shipped = [evaluate(base, {pole: PRESETS[pole].model_dump(), other: opp}, s)[pole] for s in seeds]
        gain = paired_gain(found, shipped)
        assert gain["low"] <= 0.0, f"{pole}: {best} beats the preset by {gain}"
