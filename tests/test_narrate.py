"""Tests for sim.narrate: the one module that turns a summary into numbers and words."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sim
from sim import narrate
from sim.config import WEEKS_PER_YEAR


@pytest.fixture(scope="module")
def single(small_config: sim.Config) -> sim.Results:
    return sim.run(small_config, seed=3)


@pytest.fixture(scope="module")
def replicated(small_config: sim.Config) -> sim.Results:
    return sim.run_replicates(small_config, 2, seed=3)


# ----------------------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(("x", "text"), [(None, "n/a"), (0, "0"), (1234.5, "1,230"), (0.04567, "0.0457"),
                                         (12.34, "12.3"), (float("nan"), "n/a")])
def test_num(x, text):
    assert narrate.num(x) == text


def test_money_times_pct_stars_count():
    assert [narrate.money(x) for x in (None, 2490, 10_700, 1_250_000)] == ["n/a", "2,490", "10.7k", "1.25M"]
    assert [narrate.times(x) for x in (None, 2.083, 12.34)] == ["n/a", "2.08×", "12.3×"]
    assert narrate.pct(0.434) == "43%" and narrate.pct(None) == "n/a"
    assert narrate.stars(3.84) == "★3.8" and narrate.stars(None) == "no reviews"
    assert narrate.stars({"mean": 4.0}) == "★4.0"
    assert narrate.count(1, "referral") == "1 referral" and narrate.count(26, "review") == "26 reviews"


def test_scalar_reads_replicate_summaries():
    assert narrate.scalar({"mean": 2.5, "low": 1, "high": 4}) == 2.5
    assert narrate.scalar(float("inf")) is None and narrate.scalar("x") is None and narrate.scalar(None) is None


def test_horizons_and_years():
    assert narrate.years_text(WEEKS_PER_YEAR) == "1 year" and narrate.years_text(520) == "10 years"
    assert narrate.years_text(120) == "120 weeks"
    assert narrate.horizon_label(52) == "After year 1" and narrate.horizon_label(104) == "After 2 years"
    assert narrate.horizon_label(120) == "After 120 weeks (2.3 years)"
    assert [narrate.year_of(w) for w in (1, 52, 53, 104.5)] == [1, 1, 2, 3]
    assert narrate.pretty_name("numbers_game") == "Numbers game"


# ----------------------------------------------------------------------------------------- a run
def test_headline_numbers_and_cards(single, replicated):
    h = narrate.headline_numbers(single.summary)
    assert h["leader_final"] == single.summary["leader_final"]
    cards = narrate.headline_cards(single.summary)
    assert [c.key for c in cards][2:] == ["Crossover week", "Revenue ratio"]
    assert cards[0].key == "Leader after 1 year" and cards[1].strategy == single.summary["leader_final"]
    assert cards[3].value == narrate.times(single.summary["revenue_ratio"])
    rep = narrate.headline_cards(replicated.summary)   # {mean, low, high} values work too
    assert rep[3].value == narrate.times(replicated.summary["revenue_ratio"]["mean"])


def test_one_strategy_gets_one_card():
    summary = {"weeks": 10, "incumbent": None, "challenger": None,
               "strategies": {"relationship": {"revenue_total": 12_345.0}}}
    (card,) = narrate.headline_cards(summary)
    assert (card.key, card.value, card.sub, card.strategy) == ("Revenue per seller", "12.3k", "Relationship",
                                                               "relationship")
    assert narrate.story_markdown(summary) == "Only one strategy in this run: nothing to compare."


def test_crossover_caption():
    summary = {"crossover_week": 54, "challenger": "relationship", "incumbent": "numbers_game"}
    assert narrate.crossover_caption(summary) == "relationship overtakes numbers_game\nin week 54"
    assert narrate.crossover_caption(summary, pretty=True) == "Relationship overtakes numbers game\nin week 54"
    reps = {**summary, "crossover_week": {"mean": 60.2, "never_share": 0.25}}
    assert narrate.crossover_caption(reps) == ("relationship overtakes numbers_game\nin week 60 (mean)\n"
                                              "never in 25% of runs")
    assert narrate.crossover_caption({**summary, "crossover_week": None}) is None


def test_story_uses_the_same_numbers_as_the_cards(single):
    story = narrate.story_markdown(single.summary, single.config)
    h = narrate.headline_numbers(single.summary)
    assert "**After one year**" in story and "**Why**" in story
    assert narrate.money(h["revenue_total"][h["leader_final"]]) in story
    assert f"{single.config.market.trust_threshold:g}" in story


def test_format_summary_single_and_replicates(single, replicated):
    text = narrate.format_summary(single, "out")
    assert text.startswith(f"Scenario: {single.config.name} — ") and text.endswith("Results written to out/")
    for part in ("After year 1:", "Crossover:", "Referrals received per seller:", "Why — per seller", "Funnel in"):
        assert part in text
    assert "95% confidence intervals" in narrate.format_summary(replicated)
    from sim.cli import format_summary

    assert format_summary is narrate.format_summary   # the command line prints exactly this


def test_narrate_imports_no_plotting_or_widgets():
    code = ("import sys, sim.narrate, sim.cli; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
