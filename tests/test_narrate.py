"""Tests for sim.narrate: the one module that turns a summary into numbers and words."""

from __future__ import annotations

import re
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
    assert h["leader_final"] == single.summary["leader_final"] and h["leader_basis"] == "one run"
    assert h["compared"] == ["relationship", "numbers_game"]
    cards = narrate.headline_cards(single.summary)
    assert [c.key for c in cards] == ["After 1 year", "After 60 weeks", "Revenue ratio, 60 weeks", "Crossover week"]
    assert cards[1].value == "One run: no verdict" and cards[1].strategy is None   # one run is never a verdict
    assert cards[2].value == narrate.times(single.summary["revenue_ratio"])
    rep = narrate.headline_cards(replicated.summary)   # {mean, low, high} values work too
    assert rep[2].value == narrate.times(replicated.summary["revenue_ratio"]["mean"])
    assert rep == narrate.headline_cards(replicated.summary, replicated.runs)   # summary alone or with its runs
    assert "2 simulated markets" in rep[1].detail


def test_the_notebook_cards_are_the_dashboard_cards():
    from sim.narrate import verdict

    assert narrate.headline_cards is verdict.headline_cards is verdict.meeting_cards


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
    assert "in this one run" in story and "**One simulated market**" in story


def test_format_summary_single_and_replicates(single, replicated):
    text = narrate.format_summary(single, "out")
    assert text.startswith(f"Scenario: {single.config.name} — ") and text.endswith("Results written to out/")
    for part in ("After year 1:", "Crossover:", "Referrals received per seller:", "Why — per seller", "Funnel in",
                 "Compares relationship over numbers_game: every ratio is relationship ÷ numbers_game"):
        assert part in text
    assert "ahead in this one run; run --replicates 10 for an interval" in text
    reps = narrate.format_summary(replicated)
    assert "95% confidence intervals" in reps and "in this one run" not in reps
    assert "ratio relationship ÷ numbers_game" in reps
    assert not re.search(r"(relationship|numbers_game) leads", reps)   # no leader-over-laggard ratio any more
    from sim.cli import format_summary

    assert format_summary is narrate.format_summary   # the command line prints exactly this


def test_format_summary_says_who_is_ahead_by_the_verdict(replicated):
    from sim.narrate import verdict

    for line, metric in zip(narrate.format_summary(replicated).splitlines()[3:5], ("revenue_year1", "revenue_total"),
                            strict=True):
        c = verdict.compare(replicated.runs, metric)
        assert line.split(": ", 1)[1].startswith(f"{c.winner} ahead" if c.winner else "no clear winner"), line


def test_narrate_imports_no_plotting_or_widgets():
    code = ("import sys, sim.narrate, sim.cli; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
