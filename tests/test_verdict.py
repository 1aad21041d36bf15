"""Tests for sim.narrate.verdict: one ratio definition by name, honest verdicts over replicate runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sim
from sim.model import comparison
from sim.narrate import format_summary, money, verdict


def runs_of(rel: list[float], ng: list[float], metric: str = "revenue_total") -> list[dict]:
    return [{"strategies": {"numbers_game": {metric: b}, "relationship": {metric: a}}}
            for a, b in zip(rel, ng, strict=True)]


def test_the_ratio_is_relationship_over_numbers_game_whatever_the_order():
    assert verdict.compared_pair(["numbers_game", "relationship"]) == ("relationship", "numbers_game")
    assert verdict.compared_pair(["relationship", "numbers_game"]) == ("relationship", "numbers_game")
    assert verdict.compared_pair(["a", "b"]) == ("b", "a")   # custom names: second listed over first
    assert verdict.compared_pair(["relationship"]) is None
    assert verdict.compared_pair is not comparison.compared_pair   # a thin wrapper of the model's one rule ...
    assert verdict.compared_pair(["x", "relationship", "numbers_game"]) == comparison.compared_pair(
        ["x", "relationship", "numbers_game"]) == ("relationship", "numbers_game")
    assert verdict.compares_text(("b", "a")).startswith("Compares b over a (the second seller group over the first)")


def test_a_clear_winner_counts_the_markets_it_wins():
    c = verdict.compare(runs_of([120, 130, 125, 118, 140], [100, 101, 99, 102, 98]))
    assert (c.first, c.second, c.runs, c.ahead, c.behind) == ("relationship", "numbers_game", 5, 5, 0)
    assert c.verdict == "ahead" and c.winner == "relationship"
    assert verdict.verdict_text(c) == "Relationship ahead"
    assert verdict.markets_text(c) == "Relationship ahead in 5 of 5 simulated markets"
    assert verdict.versus_text(c) == "Relationship 127 vs Numbers game 100 revenue per seller (means of 5 runs)"
    assert c.ratio.mean == pytest.approx(126.6 / 100)
    assert 1 < c.ratio.low < c.ratio.mean < c.ratio.high


def test_an_interval_that_includes_zero_is_no_clear_winner():
    c = verdict.compare(runs_of([9, 12, 8, 11, 10, 9], [10, 9, 10, 10, 9, 10]))
    assert c.difference.low < 0 < c.difference.high
    assert c.verdict == "unclear" and c.winner is None
    assert verdict.verdict_text(c) == "No clear winner"
    assert verdict.markets_text(c) == "Relationship ahead in 3 of 6 simulated markets, numbers game in 3"
    cards = verdict.meeting_cards({"weeks": 52, "incumbent": "numbers_game", "challenger": "relationship",
                                   "strategies": {"numbers_game": {}, "relationship": {}}},
                                  runs_of([9, 12, 8, 11, 10, 9], [10, 9, 10, 10, 9, 10]))
    assert cards[0].value == "No clear winner" and cards[0].strategy is None
    assert "no clear winner" in cards[1].detail and "ahead" not in cards[1].value


def test_one_run_is_never_a_verdict_and_level_is_level():
    one = verdict.compare(runs_of([9], [8]))
    assert one.verdict == "one run" and one.winner is None
    assert verdict.verdict_text(one) == "One run: no verdict"
    assert "choose 2 or more replicates" in verdict.markets_text(one)
    level = verdict.compare(runs_of([5, 5, 5], [5, 5, 5]))
    assert level.verdict == "level" and verdict.verdict_text(level) == "Level"


def test_intervals_of_non_negative_numbers_stay_non_negative():
    c = verdict.compare(runs_of([0, 40, 0, 0, 1], [10, 11, 9, 10, 10]))
    assert c.first_value.low == 0.0                  # a t-interval would go below zero here (bootstrap: it stops at 0)
    assert 0 <= c.ratio.low < c.ratio.mean < c.ratio.high
    assert verdict.estimate([0, 40, 0, 0, 1]).low == 0.0   # the cards' other intervals follow the same rule
    assert verdict.compare(runs_of([1, 2], [0, 0])).ratio.mean is None   # nothing to divide by


def test_estimate_text_shows_an_interval_only_for_several_runs():
    assert verdict.Estimate(2490.0, None, None, 1).text(money) == "2,490"
    assert verdict.Estimate(45_200.0, 44_100.0, 46_300.0, 5).text(money) == "45.2k [44.1k–46.3k]"
    c = verdict.compare(runs_of([120, 130, 125], [100, 101, 99]))
    assert verdict.ratio_text(c).startswith(f"{c.ratio.mean:.2f}× [")


def test_crossover_is_drawn_only_where_the_card_says_it_happens():
    assert verdict.crossover_shown({"crossover_week": 40}) == 40
    assert verdict.crossover_shown({"crossover_week": {"mean": 90, "never_share": 0.9}}) is None
    assert verdict.crossover_shown({"crossover_week": {"mean": 90, "never_share": 0.2}})["mean"] == 90


def test_cards_and_rows_of_real_replicates_with_relationship_listed_first(small_config):
    flipped = small_config.with_updates(sellers=[{"strategy": "relationship", "count": 1},
                                                 {"strategy": "numbers_game", "count": 1}])
    res = sim.run_replicates(flipped, 3, seed=5)
    cards = verdict.meeting_cards(res.summary, res.runs, res.config)
    assert [c.key for c in cards] == ["After 1 year", "After 60 weeks", "Revenue ratio, 60 weeks", "Crossover week"]
    assert cards[2].sub == "Relationship ÷ Numbers game revenue per seller"   # by name, not by order
    rel = [r["strategies"]["relationship"]["revenue_total"] for r in res.runs]
    ng = [r["strategies"]["numbers_game"]["revenue_total"] for r in res.runs]
    assert verdict.compare(res.runs).ratio.mean == pytest.approx(sum(rel) / sum(ng))
    rows = dict(verdict.headline_rows(res.summary, res.runs, res.config))
    assert rows["Revenue per seller, 60 weeks: Relationship"].startswith(money(sum(rel) / 3))
    story = verdict.meeting_story(res.summary, res.runs, res.config)
    assert "Over **3 simulated markets**" in story and "**Why**" in story
    assert verdict.scenario_title(res.config) == "Baseline: relationship or numbers game?"


def test_verdict_needs_no_plotting_or_widgets():
    code = "import sys, sim.narrate.verdict; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ----------------------------------------------------------------------------------------- issue 9: honest reporting
def flip(config: sim.Config) -> sim.Config:
    return config.with_updates(sellers=[{"strategy": g.strategy, "count": g.count} for g in reversed(config.sellers)])


def test_listing_relationship_first_gives_the_same_ratio_not_its_inverse(small_config):
    assert [g.strategy for g in flip(small_config).sellers] == ["relationship", "numbers_game"]
    for cfg in (small_config, flip(small_config)):
        one = sim.run(cfg, seed=11).summary
        rel, ng = (one["strategies"][n] for n in ("relationship", "numbers_game"))
        assert one["compared"] == ["relationship", "numbers_game"]
        assert (one["challenger"], one["incumbent"]) == ("relationship", "numbers_game")
        assert one["revenue_ratio"] == pytest.approx(rel["revenue_total"] / ng["revenue_total"])
        assert one["revenue_ratio_year1"] == pytest.approx(rel["revenue_year1"] / ng["revenue_year1"])
        assert one["log_revenue_ratio"] == pytest.approx(comparison.log_revenue_ratio(
            rel["revenue_total"], ng["revenue_total"], one["price"]))
        assert one["crossover_week"] == sim.crossover_week(sim.run(cfg, seed=11).timeseries, "relationship",
                                                           "numbers_game")
    straight, flipped = (sim.run_replicates(c, 3, seed=5).summary["revenue_ratio"]
                         for c in (small_config, flip(small_config)))
    # the same quantity either way round (relationship earns far more here): the intervals overlap, both above 1
    assert straight["low"] > 1 and flipped["low"] > 1
    assert straight["low"] <= flipped["high"] and flipped["low"] <= straight["high"]


def identical(config: sim.Config) -> sim.Config:
    return config.with_updates({"strategies.a": {"preset": "relationship"}, "strategies.b": {"preset": "relationship"},
                                "sellers": [{"strategy": "a", "count": 1}, {"strategy": "b", "count": 1}]})


def test_two_identical_sellers_are_no_clear_winner(small_config):
    res = sim.run_replicates(identical(small_config), 6, seed=3)
    s = res.summary
    assert s["compared"] == ["b", "a"]                                  # custom names: second group over the first
    assert s["leader_year1"] == s["leader_final"] == comparison.NO_LEADER and s["leader_basis"] == "replicates"
    assert s["leader_final_share"] is None and sum(s["ahead_final"].values()) <= 1
    assert s["comparison"]["revenue_total"]["verdict"] == "unclear"
    cards = verdict.headline_cards(res.summary, res.runs, res.config)
    assert [c.value for c in cards[:2]] == ["No clear winner", "No clear winner"]
    assert all(c.strategy is None for c in cards[:3])                 # nobody's colour: nobody won
    assert verdict.headline_cards(res.summary) == cards                  # the summary alone says the same
    story = verdict.meeting_story(res.summary, res.runs, res.config)
    assert "**no clear winner**" in story and "seller is ahead" not in story
    text = format_summary(res)
    assert "After 60 weeks (1.2 years): no clear winner" in text and "includes zero" in text
    assert "Compares b over a (the second seller group over the first)" in text


def test_one_off_intervals_never_go_below_zero():
    res = sim.run_replicates(sim.load_scenario("one_off", weeks=104), 5, seed=42)
    s = res.summary
    for key in ("revenue_ratio", "revenue_ratio_year1", "referral_ratio"):   # once [-4.85, 7.85]
        if s[key]["mean"] is not None:
            assert 0 <= s[key]["low"] <= s[key]["mean"] <= s[key]["high"], key
    for name, st in s["strategies"].items():
        for key in ("revenue_total", "revenue_year1", "referrals_total", "handoffs_made", "reviews_count"):
            assert st[key]["low"] >= 0, (name, key)
    c = verdict.compare(res.runs, "referrals_total")
    assert c.first_value.low >= 0 and c.second_value.low >= 0 and (c.ratio.low is None or c.ratio.low >= 0)


def test_a_single_run_is_never_a_verdict(small_config):
    res = sim.run(small_config, seed=3)
    s = res.summary
    assert s["leader_basis"] == "one run" and s["leader_final"] in ("relationship", "numbers_game")
    cards = verdict.headline_cards(s, res.runs, res.config)
    assert [c.value for c in cards[:2]] == ["One run: no verdict"] * 2
    assert all(c.strategy is None for c in cards)
    assert "in the one simulated market" in cards[0].detail
    text = format_summary(res)
    for line in text.splitlines()[2:4]:                       # the year-1 and horizon lines
        assert "ahead in this one run; run --replicates 10 for an interval" in line, line
        assert "no clear winner" not in line
    assert "seller is ahead in this one run" in verdict.meeting_story(s, res.runs, res.config)
    one = sim.run_replicates(small_config, 1, seed=3).summary   # one replicate is one run too
    alone = sim.run(small_config, seed=sim.replicate_seed(3, 0)).summary
    assert one["leader_basis"] == "one run" and one["leader_final"] == alone["leader_final"]
