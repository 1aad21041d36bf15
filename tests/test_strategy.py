"""Tests for sim.strategy: presets follow the MODEL.md table, strategies are data, custom mixes."""

from __future__ import annotations

import pytest

import sim
from sim.config import ConfigError, validate_config
from sim.strategy import PRESETS, STRATEGY_KNOBS, Strategy, interpolate, resolve_strategy

NG, REL = PRESETS["numbers_game"], PRESETS["relationship"]

# knob -> which pole is higher, from the MODEL.md table
HIGHER_FOR_NUMBERS_GAME = ("prospecting_share", "pressure")
HIGHER_FOR_RELATIONSHIP = ("minutes_per_contact", "genuine_interest", "follow_up", "owns_failures",
                           "asks_referrals", "invites_reviews", "keeps_log", "fit_threshold")


def small(**updates) -> sim.Config:
    return sim.load_scenario("baseline", updates={"market.customers": 400, "weeks": 52, **updates})


def test_presets_exist() -> None:
    assert set(PRESETS) >= {"numbers_game", "relationship"}
    assert all(isinstance(p, Strategy) for p in PRESETS.values())
    assert sim.PRESETS is PRESETS


@pytest.mark.parametrize("knob", HIGHER_FOR_NUMBERS_GAME)
def test_numbers_game_higher(knob: str) -> None:
    assert getattr(NG, knob) > getattr(REL, knob)


@pytest.mark.parametrize("knob", HIGHER_FOR_RELATIONSHIP)
def test_relationship_higher(knob: str) -> None:
    assert getattr(REL, knob) > getattr(NG, knob)


def test_table_covers_every_knob() -> None:
    assert set(HIGHER_FOR_NUMBERS_GAME) | set(HIGHER_FOR_RELATIONSHIP) == set(STRATEGY_KNOBS)


def test_table_specifics() -> None:
    # declines a poor fit: never vs below a threshold
    assert NG.fit_threshold == 0.0
    assert REL.fit_threshold > 0.0
    # keeps a log: no vs yes; asks referrals / invites reviews: no vs yes ("no" allows a little:
    # the presets are the best points of their families, see tests/test_presets.py)
    assert NG.keeps_log <= 0.2 and REL.keeps_log > 0.5
    assert NG.asks_referrals <= 0.2 and REL.asks_referrals >= 0.5
    assert NG.invites_reviews <= 0.2 and REL.invites_reviews >= 0.5
    # "5 to 20 minutes"
    assert NG.minutes_per_contact == pytest.approx(5, abs=3)
    assert REL.minutes_per_contact == pytest.approx(20, abs=8)
    # rarely vs yes
    assert NG.follow_up < 0.5 < REL.follow_up
    assert NG.owns_failures < 0.5 < REL.owns_failures
    # high vs low
    assert NG.pressure >= 0.5 > REL.pressure   # the family boxes: high is 0.5 - 1, low 0 - 0.3
    assert NG.prospecting_share > 0.5 > REL.prospecting_share


def test_strategy_is_data_same_knobs() -> None:
    assert tuple(NG.model_dump()) == tuple(REL.model_dump()) == STRATEGY_KNOBS
    assert type(NG) is type(REL) is Strategy
    assert all(isinstance(v, float) for v in NG.model_dump().values())
    # hours, price, quality are market-wide, not strategy knobs
    for market_only in ("hours_per_week", "price", "fit_mean"):
        assert market_only not in STRATEGY_KNOBS


def test_interpolate_ends_and_midpoint() -> None:
    assert interpolate(NG, REL, 0.0) == NG
    assert interpolate(NG, REL, 1.0) == REL
    mid = interpolate(NG, REL, 0.5)
    for knob in STRATEGY_KNOBS:
        assert getattr(mid, knob) == pytest.approx((getattr(NG, knob) + getattr(REL, knob)) / 2)
    q = interpolate(NG, REL, 0.25)
    assert q.pressure == pytest.approx(0.75 * NG.pressure + 0.25 * REL.pressure)


@pytest.mark.parametrize("w", [-0.1, 1.1])
def test_interpolate_rejects_weight_outside_unit(w: float) -> None:
    with pytest.raises(ValueError):
        interpolate(NG, REL, w)


def test_resolve_strategy() -> None:
    assert resolve_strategy("numbers_game") == NG
    assert resolve_strategy(REL) is REL
    mix = resolve_strategy({"preset": "relationship", "pressure": 0.5})
    assert mix.pressure == 0.5
    assert mix.model_dump() | {"pressure": REL.pressure} == REL.model_dump()
    custom = {"mine": Strategy(pressure=0.7)}
    assert resolve_strategy("mine", custom).pressure == 0.7
    assert resolve_strategy({"preset": "mine", "follow_up": 1.0}, custom).pressure == 0.7
    with pytest.raises(ValueError, match="relationship"):  # lists allowed names
        resolve_strategy("nope")


def test_unknown_knob_rejected() -> None:
    with pytest.raises(ValueError):
        Strategy(nonsense=1.0)


def test_custom_strategy_in_config_runs_and_is_reported() -> None:
    cfg = validate_config({
        "weeks": 52,
        "market": {"customers": 400},
        "strategies": {"mix": {"preset": "relationship", "pressure": 0.5}},
        "sellers": [{"strategy": "numbers_game", "count": 1}, {"strategy": "mix", "count": 2}],
    })
    assert cfg.strategy("mix").pressure == 0.5
    assert cfg.strategy("mix").follow_up == REL.follow_up
    res = sim.run(cfg, seed=3)
    assert "mix" in res.summary["strategies"]
    mix = res.summary["strategies"]["mix"]
    assert mix["sellers"] == 2
    assert mix["funnel"]["leads"] > 0
    assert set(res.timeseries["strategy"].astype(str)) == {"numbers_game", "mix"}
    assert [s.strategy_name for s in res.model.sellers] == ["numbers_game", "mix", "mix"]
    assert res.model.sellers[1].strategy.pressure == 0.5


def test_custom_strategy_via_with_updates() -> None:
    cfg = small().with_updates({"strategies.mix": {"preset": "numbers_game", "follow_up": 0.9}})
    assert cfg.strategy("mix").follow_up == 0.9
    assert cfg.strategy("mix").pressure == NG.pressure


def test_unknown_strategy_name_rejected() -> None:
    with pytest.raises(ConfigError, match="nope"):
        validate_config({"sellers": [{"strategy": "nope"}]})
    with pytest.raises(ConfigError):
        validate_config({"strategies": {"mix": {"preset": "nope"}}, "sellers": [{"strategy": "mix"}]})


def test_custom_name_may_not_shadow_preset() -> None:
    with pytest.raises(ConfigError, match="numbers_game"):
        validate_config({"strategies": {"numbers_game": {"pressure": 0.1}}})


def test_strategy_knobs_change_behaviour() -> None:
    """A knob is not decoration: the same market with a different pressure gives a different run."""
    def cfg(pressure: float) -> sim.Config:
        return validate_config({
            **small().model_dump(),
            "strategies": {"x": {"preset": "relationship", "pressure": pressure}},
            "sellers": [{"strategy": "numbers_game", "count": 2}, {"strategy": "x", "count": 2}],
        })

    same = sim.run(cfg(REL.pressure), seed=1).timeseries
    ref = sim.run(small(), seed=1).timeseries
    # a custom copy of a preset behaves exactly like the preset
    assert same["sales"].tolist() == ref["sales"].tolist()
    changed = sim.run(cfg(1.0), seed=1).timeseries
    assert same["sales"].tolist() != changed["sales"].tolist()
