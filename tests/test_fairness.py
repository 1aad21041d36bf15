"""A fair fight (issue 9): more hours never hurt, every knob costs something, no knob is best at its top.

Every comparison is paired over common seeds and judged against the replicates' own spread: a
difference counts only when its one-sided t-bound, Bonferroni-corrected for the number of
comparisons the test makes, excludes zero (family-wise error 2.5% per test). No fudge factors.

* :func:`test_more_hours_never_lower_revenue` - every shipped scenario, both presets, full horizon,
  the scenario's own hours halved and doubled (hours are market-wide, so competitors get them too).
* :func:`test_every_knob_has_a_cost` - each knob alone from each preset over its whole range, in the
  baseline and ``two_cobblers``, judged on :data:`sim.strategy.KNOB_COSTS` (beyond noise in at least
  one market per preset, never the wrong way); three years (156 weeks) instead of ten, since a
  cost in time or trust shows from the first weeks.
* :func:`test_no_knob_is_best_at_its_maximum_everywhere` - for each knob, markets are tried in turn
  until one (market, preset) earns significantly less with the knob at its maximum than lower.
  ``large_anonymous`` runs three years there (200,000 customers; its regime shows from year one).
* :func:`test_asking_also_costs_trust_and_reputation` - the asking knobs' second costs
  (:data:`SIDE_COSTS`: asked buyers who give no referral, negative reviews), by the cost test's rule.
* :func:`test_inviting_crowds_out_organic_reviews` - an invitation's third cost: it crowds out part of
  the invited buyer's own motive to review, so organic reviews per sale fall (``market.review_crowding``).

Knobs whose cost no output shows yet (``measure`` ``None`` in :data:`KNOB_COSTS`; none now) are
``xfail(strict=True)`` in the cost test: the mark comes from that table, so it goes when an output
shows the cost and the table names it. Findings of the current model are strict expected failures
listed below with their reasons (:data:`HOURS_XFAIL`, :data:`MAXIMUM_FINDINGS`, :data:`SIDE_FINDINGS`);
strictness makes a fix show up.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.experiments.presets import POLES, with_strategies
from sim.model.runner import replicate_seed, run
from sim.strategy import KNOB_COSTS, PRESETS, STRATEGY_KNOBS, Strategy, knob_range

pytestmark = pytest.mark.slow

SCENARIOS = tuple(sim.scenario_names())
HOURS = (0.5, 1.0, 2.0)      # multiples of the scenario's own hours per week
COST_MARKETS = ("baseline", "two_cobblers")
MAXIMUM_MARKETS = ("two_cobblers", "one_off", "no_social_ties", "scam_wary", "baseline", "large_anonymous")
SHORTER = {"large_anonymous": 156}   # weeks, for the knob-at-maximum search only
COST_WEEKS = 156
REPLICATES = 6
MAXIMUM_REPLICATES = 12   # the knob-at-maximum search compares many (market, preset) pairs: more power

# (scenario, preset) pairs where more hours lower revenue beyond noise. Before issue 9's contact records
# the numbers game re-pitched people inside their attention window and failed in baseline,
# dense_referrals, no_social_ties and two_cobblers (more hours burned more of the town); none now.
HOURS_XFAIL: set[tuple[str, str]] = set()
MAXIMUM_FINDINGS: dict[str, str] = {
    "invites_reviews": "a real finding, measured 2026-12-02 with an invitation's crowding-out of organic reviews "
                       "and the presets searched with it (12 replicates): at 1 a seller never earns significantly "
                       "less than at its preset. The relationship seller earns less by mean in 4 of the 5 markets "
                       "with reviews (two_cobblers 46,575 vs 49,367 at 0.5; scam_wary 52,346 vs 54,296; baseline "
                       "321,777 vs 327,985; large_anonymous 145,665 vs 147,152; more in one_off, 13,515 vs 12,946), "
                       "none beyond the noise bound; the numbers game earns more in baseline (191,258 vs 184,540 at "
                       "0.2): its invited buyers make a rating that its upset buyers' unprompted reviews drag down "
                       "more representative. Costs: ask_minutes per invitation, bad reviews from invited "
                       "dissatisfied buyers, and the unprompted raves the invitation crowds out; issue 9",
}
"""Knobs whose maximum is never significantly worse anywhere (findings of the current model, issue 9).

``asks_referrals`` was one while only a disappointed buyer minded being asked (its maximum lower by mean in
10 of 12 pairs, never beyond noise); since an asked buyer who gives no referral loses ``market.ask_annoyance``
(the evidence on clients asked for referrals, docs/ODD.md) it is not. ``owns_failures`` was one until a fix
cost money (``market.recovery_refund``)."""
SIDE_FINDINGS: dict[tuple[str, str], str] = {
    ("invites_reviews", "relationship"):
        "a real finding, still so on 2026-12-02 with the crowding-out and its presets; figures measured 2026-12-01 "
        "(156 weeks, 24 replicates): the relationship seller's invited "
        "buyers post almost no bad reviews at any setting (baseline 0.0 -> 0.1 per seller from 0 to 1, "
        "two_cobblers 0.0 -> 0.0): it declines poor fits and fixes its failures, so hardly any buyer is "
        "dissatisfied. The cost exists (numbers game: 36 -> 77 in baseline) but needs dissatisfied buyers; its "
        "other cost, the organic reviews crowded out, does show (test_inviting_crowds_out_organic_reviews)",
}
"""(knob, preset) pairs whose second cost does not show beyond noise (strict expected failures)."""


def seeds(n: int = REPLICATES) -> list[int]:
    return [replicate_seed(2024, i) for i in range(n)]


def bound(diffs: list[float], comparisons: int) -> float:
    """Half-width of the one-sided, Bonferroni-corrected t-bound of the mean paired difference."""
    d = np.asarray(diffs, dtype=float)
    if d.std(ddof=1) == 0:
        return 0.0
    t = stats.t.ppf(1 - 0.025 / comparisons, len(d) - 1)
    return float(t * d.std(ddof=1) / math.sqrt(len(d)))


# ------------------------------------------------------------------------------- runs, cached
@functools.cache
def _scenario(name: str, weeks: int | None = None) -> sim.Config:
    cfg = sim.load_scenario(name)
    return cfg.with_updates(weeks=weeks) if weeks else cfg


@functools.cache
def hours_revenue(scenario: str, multiple: float) -> dict[str, list[float]]:
    cfg = _scenario(scenario)
    cfg = cfg.with_updates({"market.hours_per_week": cfg.market.hours_per_week * multiple})
    runs = [run(cfg, seed=s).summary["strategies"] for s in seeds()]
    return {pole: [r[pole]["revenue_total"] for r in runs] for pole in POLES}


def measure(res: sim.Results, name: str, what: str) -> float:
    """A :class:`KnobCost` measure of strategy ``name`` in one run (per seller)."""
    kind, key = what.split(":", 1)
    if kind == "summary":
        value = res.summary["strategies"][name]
        for part in key.split("."):
            value = value[part]
        return float(value)
    ts = res.timeseries[res.timeseries["strategy"] == name]
    if kind == "total":
        return float(ts.groupby("seller", observed=True)[key].sum().mean())
    return float(ts[key].mean())   # "mean": over weeks and sellers, weeks without a value left out


@functools.cache
def knob_runs(market: str, weeks: int | None, pole: str, knobs: tuple[tuple[str, float], ...],
              what: str | None, replicates: int = REPLICATES) -> tuple[list[float], list[float]]:
    """Revenue per seller of ``pole`` playing ``knobs`` (others at their presets), and ``what``, per seed."""
    cfg = with_strategies(_scenario(market, weeks), {pole: Strategy(**dict(knobs))})
    revenue, cost = [], []
    for s in seeds(replicates):
        res = run(cfg, seed=s)
        revenue.append(res.summary["strategies"][f"{pole}_candidate"]["revenue_total"])
        cost.append(measure(res, f"{pole}_candidate", what) if what else math.nan)
    return revenue, cost


def with_knob(pole: str, knob: str, value: float) -> tuple[tuple[str, float], ...]:
    return tuple({**PRESETS[pole].model_dump(), knob: value}.items())


def _not_measured(knob: str) -> list[pytest.MarkDecorator]:
    cost = KNOB_COSTS[knob]
    return [pytest.mark.xfail(strict=True, reason=cost.cost)] if cost.measure is None else []


def _finding(knob: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=MAXIMUM_FINDINGS[knob])] if knob in MAXIMUM_FINDINGS else []


# ------------------------------------------------------------------------------- more hours
@pytest.mark.parametrize("scenario,pole", [
    pytest.param(s, p, marks=[pytest.mark.xfail(strict=True, reason="fixed by contact records (issue 9)")]
                 if (s, p) in HOURS_XFAIL else [])
    for s in SCENARIOS for p in POLES])
def test_more_hours_never_lower_revenue(scenario: str, pole: str) -> None:
    """Halving and doubling the scenario's hours: revenue per seller never falls beyond noise."""
    comparisons = len(SCENARIOS) * len(POLES) * (len(HOURS) - 1)
    rev = [hours_revenue(scenario, m)[pole] for m in HOURS]
    problems = []
    for i in range(len(HOURS) - 1):
        (lo, hi), (a, b) = HOURS[i:i + 2], rev[i:i + 2]
        diffs = [y - x for x, y in zip(a, b, strict=True)]
        if np.mean(diffs) < -bound(diffs, comparisons):
            problems.append(f"hours x{hi} earns {np.mean(b):,.0f} < x{lo} {np.mean(a):,.0f} "
                            f"(paired difference {np.mean(diffs):,.0f}, noise bound {bound(diffs, comparisons):,.0f})")
    assert not problems, f"{scenario} / {pole}: " + "; ".join(problems)


# ------------------------------------------------------------------------------- every knob costs
@pytest.mark.parametrize("knob", [pytest.param(k, marks=_not_measured(k)) for k in STRATEGY_KNOBS])
def test_every_knob_has_a_cost(knob: str) -> None:
    """From each preset: raising the knob over its range raises its cost (KNOB_COSTS).

    For each preset the cost must show beyond noise in at least one of the two markets, and in
    neither may it move the other way beyond noise (a rare event, such as a service failure of a
    seller with four hours a week, need not reach significance in three years).
    """
    cost = KNOB_COSTS[knob]
    assert cost.measure is not None, f"{knob}: {cost.cost}"
    problems = cost_problems(knob, cost.measure, cost.direction)
    assert not problems, f"{knob} ({cost.cost}): " + "; ".join(problems)


SIDE_COSTS: dict[str, str] = {
    "asks_referrals": "total:asks_unanswered",     # trust: ask_annoyance per asked buyer who gives no referral
    "invites_reviews": "total:reviews_negative",     # reputation: invited disappointed buyers post bad reviews
}
"""Second costs of a knob besides its :data:`KNOB_COSTS` one (both rise with the knob)."""


@pytest.mark.parametrize("knob,pole", [
    pytest.param(k, p, marks=[pytest.mark.xfail(strict=True, reason=SIDE_FINDINGS[k, p])] if (k, p) in SIDE_FINDINGS
                 else []) for k in SIDE_COSTS for p in POLES])
def test_asking_also_costs_trust_and_reputation(knob: str, pole: str) -> None:
    """Asking for referrals annoys buyers who give none; inviting reviews brings bad reviews too (same rule)."""
    problems = cost_problems(knob, SIDE_COSTS[knob], "rises", poles=(pole,))
    assert not problems, f"{knob} ({SIDE_COSTS[knob]}): " + "; ".join(problems)


@pytest.mark.parametrize("pole", POLES)
def test_inviting_crowds_out_organic_reviews(pole: str) -> None:
    """Inviting every buyer instead of none thins the unprompted reviews (``market.review_crowding``).

    Organic reviews (``reviews_new`` less ``reviews_solicited``) per sale, baseline, 156 weeks: lower beyond
    noise with the knob at its maximum, for each preset (the third cost of inviting, besides time and bad reviews).
    A seller gets 150 to 200 organic reviews in three years, so one replicate's count varies by about 8%, as much as
    the effect (15%): 24 replicates (three-year runs are cheap) put the noise bound at about a third of it.
    """
    low, high = knob_range("invites_reviews")
    per_sale = {}
    for value in (low, high):
        knobs = dict(with_knob(pole, "invites_reviews", value))
        cfg = with_strategies(_scenario("baseline", COST_WEEKS), {pole: Strategy(**knobs)})
        per_sale[value] = []
        for s in seeds(24):
            ts = run(cfg, seed=s).timeseries
            ts = ts[ts["strategy"] == f"{pole}_candidate"]
            per_sale[value].append(float((ts["reviews_new"].sum() - ts["reviews_solicited"].sum()) / ts["sales"].sum()))
    diffs = [a - b for a, b in zip(per_sale[low], per_sale[high], strict=True)]
    assert np.mean(diffs) > bound(diffs, len(POLES)), (
        f"{pole}: organic reviews per sale {np.mean(per_sale[low]):.4f} at {low:g} -> "
        f"{np.mean(per_sale[high]):.4f} at {high:g}")


def cost_problems(knob: str, what: str, direction: str, poles: tuple[str, ...] = POLES) -> list[str]:
    """Raising ``knob`` from its minimum to its maximum from each preset: ``what`` must move ``direction``.

    Beyond noise in at least one of :data:`COST_MARKETS` per preset, and never the other way beyond noise.
    The noise bound counts every (market, preset) comparison of both presets, whichever ``poles`` are judged.
    """
    low, high = knob_range(knob)
    high = min(high, 60.0) if knob == "minutes_per_contact" else high   # an hour per contact is range enough
    comparisons = len(COST_MARKETS) * len(POLES)
    sign = 1.0 if direction == "rises" else -1.0
    problems = []
    for pole in poles:
        shown = []
        for market in COST_MARKETS:
            _, at_low = knob_runs(market, COST_WEEKS, pole, with_knob(pole, knob, low), what)
            _, at_high = knob_runs(market, COST_WEEKS, pole, with_knob(pole, knob, high), what)
            diffs = [sign * (b - a) for a, b in zip(at_low, at_high, strict=True)]
            seen = f"{market}: {what} {np.mean(at_low):.4g} at {low:g} -> {np.mean(at_high):.4g} at {high:g}"
            if np.mean(diffs) < -bound(diffs, comparisons):
                problems.append(f"{pole} {seen} (expected it to {direction})")
            shown.append(np.mean(diffs) > bound(diffs, comparisons))
        if not any(shown):
            problems.append(f"{pole}: the cost shows in no market beyond noise")
    return problems


# ------------------------------------------------------------------------------- no free maximum
@pytest.mark.parametrize("knob", [pytest.param(k, marks=_finding(k)) for k in STRATEGY_KNOBS])
def test_no_knob_is_best_at_its_maximum_everywhere(knob: str) -> None:
    """Some (market, preset) earns significantly less with the knob at its maximum than lower down.

    The lower value is the preset's own (or the knob's minimum when the preset sits at the top).
    """
    low, top = knob_range(knob)
    comparisons = len(MAXIMUM_MARKETS) * len(POLES)
    tried = []
    for market in MAXIMUM_MARKETS:
        weeks = SHORTER.get(market)
        for pole in POLES:
            own = getattr(PRESETS[pole], knob)
            lower = own if own < top else low
            at_lower, _ = knob_runs(market, weeks, pole, with_knob(pole, knob, lower), None, MAXIMUM_REPLICATES)
            at_top, _ = knob_runs(market, weeks, pole, with_knob(pole, knob, top), None, MAXIMUM_REPLICATES)
            diffs = [a - b for a, b in zip(at_lower, at_top, strict=True)]
            if np.mean(diffs) > bound(diffs, comparisons):
                return   # found: the maximum is not a free lunch here
            tried.append(f"{market}/{pole}: {np.mean(at_top):,.0f} at {top:g} vs {np.mean(at_lower):,.0f} at {lower:g}")
    pytest.fail(f"{knob} at its maximum ({top:g}) is never significantly worse: " + "; ".join(tried))
