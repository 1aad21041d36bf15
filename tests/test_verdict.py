"""Tests for sim.narrate.verdict: one ratio definition by name, honest verdicts over replicate runs."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

import sim
from sim.narrate import money, verdict


def runs_of(rel: list[float], ng: list[float], metric: str = "revenue_total") -> list[dict]:
    return [{"strategies": {"numbers_game": {metric: b}, "relationship": {metric: a}}}
            for a, b in zip(rel, ng, strict=True)]


def test_the_ratio_is_relationship_over_numbers_game_whatever_the_order():
    assert verdict.compared_pair(["numbers_game", "relationship"]) == ("relationship", "numbers_game")
    assert verdict.compared_pair(["relationship", "numbers_game"]) == ("relationship", "numbers_game")
    assert verdict.compared_pair(["a", "b"]) == ("b", "a")   # custom names: second listed over first ...
    assert verdict.compared_pair(["a", "b"], SimpleNamespace(compare=("a", "b"))) == ("a", "b")  # ... unless declared
    assert verdict.compared_pair(["relationship"]) is None


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
    assert c.first_value.low == 0.0                  # a t-interval would go below zero here
    assert c.ratio.low >= 0 and c.ratio.high > c.ratio.low
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
