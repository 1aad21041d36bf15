"""Tests for sim.ui: schema-generated controls, the parameter panel, the live explorer, the headline cards.

No timing is asserted here: ``benchmarks/bench_widgets.py`` prints what a re-run costs.
"""

from __future__ import annotations

import math
import os
from typing import get_args

import pytest

import sim

if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no", "off"):
    pytest.importorskip("ipywidgets")   # locally without the notebooks extra; in CI a missing package fails

import ipywidgets as W  # noqa: E402

from sim.ui import (  # noqa: E402 - after the importorskip
    DEFAULT_CONFIG_FIELDS,
    DEFAULT_MARKET_FIELDS,
    DEFAULT_NETWORK_FIELDS,
    DEFAULT_STRATEGY_FIELDS,
    Explorer,
    ParameterPanel,
    clean_message,
    field_bounds,
    headline_html,
    headline_numbers,
    relabel_results,
    slider_for,
)


def schema_range(model_cls, field):
    """Bounds read straight from the pydantic metadata, independently of sim.ui.controls."""
    lo = hi = None
    for m in model_cls.model_fields[field].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
        hi = getattr(m, "lt", None) if getattr(m, "lt", None) is not None else hi
    return lo, hi


# ----------------------------------------------------------------------------------------- slider_for
@pytest.mark.parametrize(("model_cls", "field"), [
    (sim.Strategy, "minutes_per_contact"),
    (sim.Strategy, "pressure"),
    (sim.Strategy, "prospecting_share"),
    (sim.MarketConfig, "skepticism_mean"),
    (sim.MarketConfig, "trust_gain_per_minute"),
    (sim.MarketConfig, "recovery_bonus"),
    (sim.NetworkConfig, "rewire"),
])
def test_float_slider_takes_range_and_help_from_schema(model_cls, field):
    info = model_cls.model_fields[field]
    w = slider_for(model_cls, field)
    lo, hi = schema_range(model_cls, field)
    assert isinstance(w, W.FloatSlider)
    assert (w.min, w.max) == (pytest.approx(lo), pytest.approx(hi))
    assert w.value == pytest.approx(info.default)
    assert w.tooltip == info.description and w.tooltip
    assert w.description == field.replace("_", " ")
    assert 0 < w.step <= (hi - lo) / 50          # fine enough to explore the whole range
    assert not w.continuous_update                # re-run on release, not on every pixel


def test_open_lower_bound_moves_in_by_one_step():
    w = slider_for(sim.MarketConfig, "hours_per_week")   # gt=0, le=80
    lo, _hi, lo_open, _hi_open = field_bounds(sim.MarketConfig, "hours_per_week")
    assert lo == 0 and lo_open
    assert 0 < w.min <= w.step + 1e-12
    assert w.max == 80


def test_int_bool_and_literal_fields():
    weeks = slider_for(sim.MarketConfig, "attention_weeks")
    assert isinstance(weeks, W.IntSlider) and (weeks.min, weeks.max) == (1, 52)
    box = slider_for(sim.MarketConfig, "recurring_needs")
    assert isinstance(box, W.Checkbox) and box.value is True
    assert box.tooltip == sim.MarketConfig.model_fields["recurring_needs"].description
    kind = slider_for(sim.NetworkConfig, "kind", "scale_free")
    assert isinstance(kind, W.Dropdown) and kind.value == "scale_free"
    assert tuple(kind.options) == get_args(sim.NetworkConfig.model_fields["kind"].annotation)


def test_practical_range_stays_inside_schema_and_widens_to_the_value():
    lo, hi = schema_range(sim.MarketConfig, "customers")
    w = slider_for(sim.MarketConfig, "customers")
    assert lo <= w.min < w.max <= hi and w.max < hi          # 2,000,000 would make the slider useless
    big = slider_for(sim.MarketConfig, "customers", 200_000)  # large_anonymous
    assert big.value == 200_000 and big.max >= 200_000


def test_every_default_control_can_be_built():
    for model_cls, fields in ((sim.Strategy, DEFAULT_STRATEGY_FIELDS), (sim.MarketConfig, DEFAULT_MARKET_FIELDS),
                              (sim.NetworkConfig, DEFAULT_NETWORK_FIELDS), (sim.Config, DEFAULT_CONFIG_FIELDS)):
        for field in fields:
            w = slider_for(model_cls, field)
            assert w.tooltip, f"{model_cls.__name__}.{field} has no description"


def test_unknown_field_is_a_clear_error():
    with pytest.raises(KeyError, match="no setting 'nope'"):
        slider_for(sim.Strategy, "nope")


# ----------------------------------------------------------------------------------------- panel
def test_untouched_panel_reproduces_the_scenario():
    panel = ParameterPanel("two_cobblers")
    assert panel.config() == sim.load_scenario("two_cobblers")
    assert panel.display_names == {}
    # one control per strategy knob and group, plus the market, network and horizon settings
    assert len(panel.controls) == 2 * len(DEFAULT_STRATEGY_FIELDS) + len(DEFAULT_MARKET_FIELDS) + \
        len(DEFAULT_NETWORK_FIELDS) + len(DEFAULT_CONFIG_FIELDS)


def test_moving_a_knob_runs_a_tuned_copy_of_the_strategy():
    panel = ParameterPanel("two_cobblers")
    panel.set("strategy.1.pressure", 0.5)
    panel.set("market.skepticism_mean", 0.4)
    cfg = panel.config()
    assert cfg.market.skepticism_mean == pytest.approx(0.4)
    assert [g.strategy for g in cfg.sellers] == ["numbers_game", "relationship_tuned"]
    tuned = cfg.strategy("relationship_tuned")
    assert tuned.pressure == pytest.approx(0.5)
    other = {k: v for k, v in tuned.model_dump().items() if k != "pressure"}
    assert other == {k: v for k, v in sim.PRESETS["relationship"].model_dump().items() if k != "pressure"}
    assert panel.display_names == {"relationship_tuned": "relationship"}


def test_scenario_dropdown_loads_a_shipped_file_and_notifies_once():
    panel = ParameterPanel("two_cobblers")
    assert list(panel.scenario.options) == sim.scenario_names()
    calls = []
    panel.on_change(lambda: calls.append(1))
    panel.scenario.value = "one_off"
    assert panel.base.name == "one_off" and calls == [1]
    assert panel.get("market.recurring_needs") is False
    assert panel.get("market.customers") == sim.load_scenario("one_off").market.customers
    assert panel.config() == sim.load_scenario("one_off")


def test_seed_box_sets_the_seed():
    panel = ParameterPanel("two_cobblers", seed=7)
    assert panel.config().seed == 7
    panel.set("seed", 11)
    assert panel.config().seed == 11


# ----------------------------------------------------------------------------------------- explorer
@pytest.fixture
def quick_panel():
    """two_cobblers cut to 60 weeks, set before any callback is attached (fast runs)."""
    panel = ParameterPanel("two_cobblers")
    panel.set("weeks", 60)
    return panel


def test_invalid_combination_shows_a_message_not_an_exception(quick_panel):
    app = Explorer(quick_panel)
    assert app.error is None and app.runs == 1
    good = app.results
    quick_panel.set("market.customers", 10)       # valid on its own (8 friends < 10 customers): runs
    assert app.runs == 2 and app.error is None
    quick_panel.set("network.mean_degree", 20.0)  # 20 friends among 10 customers: rejected
    assert app.runs == 2
    assert "network.mean_degree" in app.error and "market.customers" in app.error
    assert "Value error" not in app.error
    assert "sim-error" in app.message.value and "cannot be run" in app.message.value
    assert "Traceback" not in app.message.value
    assert app.results is not good and app.results.config.market.customers == 10  # last valid run kept
    quick_panel.set("network.mean_degree", 4.0)
    assert app.error is None and app.message.value == "" and app.runs == 3


def test_slider_change_reruns_and_redraws(quick_panel):
    app = Explorer(quick_panel)
    png, head = app.image.value, app.headline.value
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    before = app.summary()["revenue_total"]["relationship"]
    quick_panel.set("strategy.1.minutes_per_contact", 5.0)
    assert app.runs == 2
    assert app.summary()["revenue_total"]["relationship"] != before
    assert app.image.value != png and app.headline.value != head
    assert "run 2" in app.status.value
    # every successful re-run records its timings (benchmarks/bench_widgets.py prints them; no budget here)
    assert len(app.timings) == 2 and app.last_timing is app.timings[-1]
    assert all(t["total_s"] >= t["model_s"] > 0 and t["draw_s"] > 0 and t["cpu_s"] > 0 for t in app.timings)


# ----------------------------------------------------------------------------------------- helpers
def test_headline_numbers_and_cards(small_config):
    res = sim.run(small_config, seed=3)
    h = headline_numbers(res.summary)
    assert h["leader_year1"] == res.summary["leader_year1"] and h["leader_final"] == res.summary["leader_final"]
    assert h["crossover_week"] == res.summary["crossover_week"]
    assert math.isclose(h["revenue_ratio"], res.summary["revenue_ratio"])
    html = headline_html(res.summary)
    for text in ("After 1 year", "One run: no verdict", "Crossover week", "Revenue ratio", "×"):   # the dashboard's
        assert text in html
    # replicate summaries ({mean, low, high}) work too
    reps = sim.run_replicates(small_config, replicates=2, seed=3)
    assert headline_numbers(reps.summary)["revenue_ratio"] == pytest.approx(reps.summary["revenue_ratio"]["mean"])


def test_relabel_results_renames_every_strategy_reference(small_config):
    cfg = small_config.with_updates({"strategies.rel_x": {"preset": "relationship", "pressure": 0.3},
                                     "sellers": [{"strategy": "numbers_game", "count": 1},
                                                 {"strategy": "rel_x", "count": 1}]})
    res = relabel_results(sim.run(cfg, seed=1), {"rel_x": "relationship"})
    assert list(res.timeseries["strategy"].cat.categories) == ["numbers_game", "relationship"]
    assert set(res.summary["strategies"]) == {"numbers_game", "relationship"}
    assert res.summary["challenger"] == "relationship"
    assert res.summary["leader_final"] in ("numbers_game", "relationship")


def test_clean_message():
    assert clean_message("config: Value error, network.mean_degree = 20.0: must be below") == \
        "network.mean_degree = 20.0: must be below"
