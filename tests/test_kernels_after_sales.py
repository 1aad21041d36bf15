"""After the sale (sim.model.kernels.after_sales): experiences, care within time, reviews, word of mouth."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model import kernels


def market(**updates) -> sim.Market:
    model = sim.Market(sim.load_scenario("baseline", weeks=20, updates={"market.customers": 300, **updates}), rng=8)
    model.run(6)
    model.counters.reset()
    model._left[:] = model.market.hours_per_week * 60.0
    model._left_rel[:] = model._left * 0.5
    return model


def after(model: sim.Market, k: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    c = np.arange(k, dtype=np.int64)
    s = c % model.n_sellers
    friend, seller = kernels.after_sales(c, s, np.full(k, 0.9), model._state, model.rng, model.week + 1,
                                         model.customers.trust.scale)
    return c, s, friend, seller


def test_every_sale_is_one_experience_and_care_fits_customer_time() -> None:
    model = market(**{"market.failure_rate": 0.5})
    rel = model._left_rel.copy()
    c, s, _, _ = after(model)
    cnt = model.counters
    np.testing.assert_array_equal(cnt["experiences"], np.bincount(s, minlength=model.n_sellers))
    assert np.all(cnt["follow_ups"] <= cnt["experiences"])
    assert np.all(cnt["failures_fixed"] <= cnt["service_failures"])
    assert np.all(cnt["satisfaction_sum"] <= cnt["experiences"])
    care = cnt["follow_ups"] * model.strat.minutes_per_contact + cnt["failures_fixed"] * model.market.recovery_minutes
    assert np.all(care <= rel + 1e-9)
    assert np.all(model._left_rel <= model._left)


def test_reviews_only_in_a_market_with_reviews() -> None:
    on = market()
    count = on.reviews.count.copy()
    after(on)
    assert on.counters["reviews_new"].sum() == (on.reviews.count - count).sum() > 0
    off = market(**{"market.reviews": False})
    after(off)
    assert off.counters["reviews_new"].sum() == 0


def test_ratings_are_stars() -> None:
    model = market(**{"market.review_base_rate": 1.0})
    after(model)
    mean = model.reviews.mean_rating
    assert np.all((mean[~np.isnan(mean)] >= 1) & (mean[~np.isnan(mean)] <= 5))


def test_referrals_are_friends_in_the_market_and_counted() -> None:
    model = market(**{"market.talk_rate": 1.0, "market.referral_rate": 1.0})
    pop = model.customers
    pop.in_market[:] = True
    c, s, friend, seller = after(model)
    assert len(friend) > 0
    for f, sj in zip(friend, seller, strict=True):
        tellers = c[s == sj]
        assert any(f in pop.friends.friends_of(int(t)) for t in tellers)
    np.testing.assert_array_equal(model.counters["referrals_received"], np.bincount(seller, minlength=model.n_sellers))


def test_no_network_no_word_of_mouth() -> None:
    model = market(**{"network.kind": "none", "market.talk_rate": 1.0})
    before = model.customers.trust.full()
    c, _, friend, _ = after(model)
    assert len(friend) == 0
    changed = np.flatnonzero(np.any(model.customers.trust.full() != before, axis=1))
    assert set(changed.tolist()) <= set(c.tolist())


@pytest.mark.parametrize("fit", [0.0, 1.0])
def test_experience_moves_buyers_trust_toward_satisfaction(fit: float) -> None:
    model = market(**{"market.failure_rate": 0.0, "market.pressure_regret": 0.0})
    c = np.arange(30, dtype=np.int64)
    s = np.zeros(30, dtype=np.int64)
    before = model.customers.trust.full()[c, 0]
    kernels.after_sales(c, s, np.full(30, fit), model._state, model.rng, model.week + 1,
                        model.customers.trust.scale)
    moved = model.customers.trust.full()[c, 0] - before
    assert np.all(moved > 0) if fit == 1.0 else np.all(moved < 0.01)
