"""The fairness mechanisms of issue 9, each seen in a running market (and each able to fail).

Contact records, one-seller inbound, hand-offs as their own source, the outside option and the
whole market, customer turnover. Knob costs and neutral quality are tested at the rule level in
tests/test_kernels_trust.py and tests/test_kernels_after_sales.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config import validate_config
from sim.model import kernels


def scenario(name: str = "baseline", **updates) -> sim.Config:
    return sim.load_scenario(name, updates=updates)


def yearly(df, column: str, strategy: str | None = None) -> np.ndarray:
    sub = df if strategy is None else df[df["strategy"] == strategy]
    return sub.groupby((sub["week"] - 1) // 52)[column].sum().to_numpy()


# ------------------------------------------------------------------ turnover
def test_one_off_market_keeps_selling_with_turnover_and_empties_without() -> None:
    """Newcomers bring first needs: a one-off market still sells in year 10 (and only because of them)."""
    moving = sim.run(scenario("one_off", **{"market.customers": 1000}), seed=3).timeseries
    fixed = sim.run(scenario("one_off", **{"market.customers": 1000, "market.turnover_per_year": 0.0}),
                    seed=3).timeseries
    assert yearly(moving, "sales")[9] > 0
    assert yearly(fixed, "sales")[9] == 0
    assert moving["market_newcomers"].sum() > 0 == fixed["market_newcomers"].sum()


def test_turnover_rate_matches_the_setting() -> None:
    """A customer present at the start of a year has left by its end with probability turnover_per_year."""
    model = sim.Market(scenario(**{"market.customers": 20_000, "market.turnover_per_year": 0.2}), rng=1)
    skep = model.customers.skepticism.copy()
    model.run(52)
    stayed = float(np.mean(model.customers.skepticism == skep))
    assert stayed == pytest.approx(0.8, abs=0.01)


def test_newcomers_arrive_as_first_customers_do() -> None:
    """A newcomer: fresh skepticism and trust at its baseline, no history, no open need, same friends."""
    model = sim.Market(scenario(**{"market.customers": 3000, "market.turnover_per_year": 0.5}), rng=2)
    friends_before = [model.customers.friends.friends_of(i).tolist() for i in range(50)]
    skep = model.customers.skepticism.copy()
    model.run(30)
    pop = model.customers
    new = np.flatnonzero(pop.skepticism != skep)
    assert len(new) > 0
    fresh = new[pop.purchases[new] == 0]
    assert len(fresh) > 0
    assert np.all(pop.last_seller[fresh] == -1)
    base = model.market.baseline_trust * (1 - pop.skepticism[new])
    np.testing.assert_allclose(pop.trust.base[new], base, rtol=1e-5)
    assert [model.customers.friends.friends_of(i).tolist() for i in range(50)] == friends_before
    ledger = pop.trust
    np.testing.assert_allclose(ledger.mean_by_seller(), ledger.full().mean(axis=0), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ inbound
def inbound_only(sellers: int, seed: int) -> float:
    """Total inbound sales in a market where customers only come by themselves, split over ``sellers``."""
    cfg = sim.load_scenario("baseline", weeks=156, updates={
        "market.customers": 2000, "market.outbound_contact": False, "network.kind": "none",
        "market.reviews": False, "market.baseline_trust": 0.7, "market.skepticism_mean": 0.1,
        "market.hours_per_week": 40, "market.presentation_minutes": 5, "market.recovery_minutes": 10})
    cfg = cfg.with_updates(sellers=sellers)
    df = sim.run(cfg, seed=seed).timeseries
    assert df["turned_away"].sum() <= 0.02 * df["sales"].sum()   # capacity is not what limits inbound here
    return float(df["sales_inbound"].sum() + df["sales_repeat"].sum())


def test_total_inbound_does_not_grow_with_the_number_of_sellers() -> None:
    two = np.mean([inbound_only(2, seed) for seed in (1, 2)])
    eight = np.mean([inbound_only(8, seed) for seed in (1, 2)])
    assert eight == pytest.approx(two, rel=0.1), (two, eight)


def test_inbound_chance_is_the_willingness_of_the_one_seller_who_comes_to_mind() -> None:
    for sellers in (2, 8):
        cfg = sim.load_scenario("baseline", updates={"market.customers": 20_000, "market.trust_noise": 0.0,
                                                     "market.skepticism_mean": 0.0, "market.reviews": False})
        model = sim.Market(cfg.with_updates(sellers=sellers), rng=1)
        new = np.arange(20_000, dtype=np.int64)
        model.customers.in_market[:] = True
        wc, _, _, _, _, _ = kernels.customers_seek(new, model._state, model.rng, 1, model.customers.trust.scale)
        w = kernels.willingness(model.market.baseline_trust, model.market.trust_threshold,
                                model.market.threshold_width)
        assert len(wc) / 20_000 == pytest.approx(w, abs=4 * np.sqrt(w / 20_000)), sellers


# ------------------------------------------------------------------ hand-offs
def test_hand_offs_are_their_own_source_never_referrals() -> None:
    data = scenario(**{"market.customers": 1000}).with_updates(weeks=156).model_dump()
    data["strategies"] = {"picky": {"preset": "relationship", "fit_threshold": 0.7}}
    data["sellers"] = [{"strategy": "numbers_game", "count": 2}, {"strategy": "picky", "count": 2}]
    df = sim.run(validate_config(data), seed=4).timeseries
    ng = df[df["strategy"] == "numbers_game"]
    assert ng["sales_handoff"].sum() > 0
    assert ng["sales_referral"].sum() <= ng["referrals_received"].sum()
    assert df["sales_handoff"].sum() <= df["handoffs_received"].sum()
    summary = sim.run(validate_config(data), seed=4).summary
    assert summary["strategies"]["numbers_game"]["sales_by_source"]["handoff"] == pytest.approx(
        ng["sales_handoff"].sum() / 2)


# ------------------------------------------------------------------ contact records
def test_no_cold_call_reaches_someone_the_seller_contacted_within_the_attention_window() -> None:
    model = sim.Market(scenario("two_cobblers", **{"market.hours_per_week": 40}), rng=5)
    window = model.market.attention_weeks
    calls = 0
    for _ in range(80):   # Market.step, phase by phase, with a look at the contact records before prospecting
        model._start_week()
        model._needs_arise()
        model._expire_needs()
        model._diffusion()
        model._after_sales()
        model._customers_seek()
        model._serve_warm_leads()
        model._keep_in_touch()
        before = model.customers.last_contact.copy()
        leads = model.counters["leads"].copy()
        model._prospect()
        called = model.customers.last_contact != before
        calls += int((model.counters["leads"] - leads).sum())
        assert np.all(model.week - before[called] >= window)
        model._hold_presentations()
        model._end_week()
    assert calls > 0


def test_a_small_town_runs_out_of_fresh_names_only_with_contact_records() -> None:
    updates = {"market.hours_per_week": 40}
    careful = sim.run(scenario("two_cobblers", **updates), seed=5).summary["strategies"]["numbers_game"]
    careless = sim.run(scenario("two_cobblers", **updates, **{"market.contact_records": False}),
                       seed=5).summary["strategies"]["numbers_game"]
    assert careful["hours_used"] < 0.9 * careless["hours_used"]          # prospecting time left unused
    assert careless["funnel"]["leads"] > careful["funnel"]["leads"]      # the careless dialer calls people again


# ------------------------------------------------------------------ the whole market
def test_outside_share_and_whole_market_shares_add_up() -> None:
    s = sim.run(scenario(**{"market.customers": 1000}), seed=2).summary
    total = sum(v["market_share"] for v in s["strategies"].values()) + s["outside_share"]
    assert total == pytest.approx(1.0)
    assert 0.0 < s["outside_share"] < 1.0
