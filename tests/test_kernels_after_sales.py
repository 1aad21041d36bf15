"""After the sale (sim.model.kernels.after_sales): experiences, care within time, reviews, word of mouth."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import sim
from sim.model import kernels

ka = importlib.import_module("sim.model.kernels.after_sales")   # the module (its name is also a kernel's)


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
    st = model._state
    contact = np.array([kernels.trust.contact_cost(st.params[0], st.sellers.knobs[j]) for j in range(model.n_sellers)])
    care = cnt["follow_ups"] * contact + cnt["failures_fixed"] * model.market.recovery_minutes
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


# ------------------------------------------------------------------ neutral quality
def test_neutral_satisfaction_is_the_mean_satisfaction_of_an_average_sale() -> None:
    """Monte Carlo of the satisfaction formula (no pressure, nobody fixes failures) agrees with the quadrature."""
    m = sim.MarketConfig()
    rng = np.random.default_rng(0)
    n = 400_000
    fit = rng.beta(m.fit_mean * m.fit_concentration, (1 - m.fit_mean) * m.fit_concentration, n)
    x = fit + rng.normal(0.0, ka.SATISFACTION_NOISE, n)
    x = np.where(rng.random(n) < m.failure_rate, x - m.failure_cost, x)
    neutral = ka.neutral_satisfaction(m.fit_mean, m.fit_concentration, m.failure_rate,
                                                        m.failure_cost)
    assert np.clip(x, 0, 1).mean() == pytest.approx(neutral, abs=0.002)
    assert model_neutral(m) == neutral


def model_neutral(m: sim.MarketConfig) -> float:
    return float(kernels.state.market_params(m)[0]["satisfaction_neutral"])


def plain_market(k: int, market_updates: dict[str, float] | None = None, **knobs: float) -> sim.Market:
    """K customers, one seller with an average, effect-free strategy (knobs override), no network.

    Complaints are off: ignoring a reported failure is the seller's choice (``owns_failures``), a
    strategy effect with its own cost (``ignored_cost``).
    """
    strategy = {"preset": "numbers_game", "pressure": 0.0, "follow_up": 0.0, "owns_failures": 0.0,
                "asks_referrals": 0.0, "invites_reviews": 0.0, "genuine_interest": 0.0, **knobs}
    cfg = sim.load_scenario("baseline", weeks=5, updates={"market.customers": k, "network.kind": "none",
                                                          "market.complaint_rate": 0.0, **(market_updates or {})})
    data = cfg.model_dump()
    data["strategies"] = {"plain": strategy}
    data["sellers"] = [{"strategy": "plain", "count": 1}]
    return sim.Market(sim.config.validate_config(data), rng=3)


def mean_trust_change(model: sim.Market, trust: float) -> tuple[float, float]:
    """Mean change (and its standard error) of buyers' trust after one sale each with market-drawn fits."""
    k = model.customers.n
    st, scale = model._state, model.customers.trust.scale
    for c in range(k):
        kernels.trust.set_trust(st.trust, scale, 1, c, 0, trust)
    c = np.arange(k, dtype=np.int64)
    s = np.zeros(k, dtype=np.int64)
    fit = kernels.fits(c, s, st, model.rng)
    model._left[:] = 1e9
    model._left_rel[:] = 1e9
    kernels.after_sales(c, s, fit, st, model.rng, 1, scale)
    moved = model.customers.trust.full()[:, 0] - trust
    return float(moved.mean()), float(moved.std() / np.sqrt(k))


@pytest.mark.parametrize("trust", [0.3, 0.5, 0.7])
def test_an_average_sale_leaves_the_average_customers_trust_unchanged(trust: float) -> None:
    """Average fit, the market's failures unfixed, no pressure: neutral in expectation, at any trust level."""
    mean, se = mean_trust_change(plain_market(40_000), trust)
    assert abs(mean) < max(4 * se, 1e-3), (mean, se)


def test_strategy_effects_move_the_average_sale_off_neutral() -> None:
    pushed, _ = mean_trust_change(plain_market(20_000, pressure=0.8), 0.4)
    cared, _ = mean_trust_change(plain_market(20_000, follow_up=1.0, owns_failures=1.0), 0.4)
    assert pushed < -0.005 and cared > 0.005


# ------------------------------------------------------------------ the cost of asking
def test_asking_for_referrals_costs_time_and_annoys_the_dissatisfied() -> None:
    asked, quiet = plain_market(2000, asks_referrals=1.0), plain_market(2000)
    for model in (asked, quiet):
        model._left[:] = 1e6
        model._left_rel[:] = 1e6
        c = np.arange(2000, dtype=np.int64)
        kernels.after_sales(c, np.zeros(2000, dtype=np.int64), np.full(2000, 0.4), model._state, model.rng, 1,
                            model.customers.trust.scale)   # a poor fit: (nearly) every buyer below neutral
    assert 1e6 - asked._left_rel[0] == pytest.approx(2000 * asked.market.ask_minutes)
    assert quiet._left_rel[0] == 1e6
    assert asked.counters["referral_asks"][0] == 2000 and quiet.counters["referral_asks"][0] == 0
    assert 0.9 * 2000 < asked.counters["asks_unanswered"][0] <= 2000   # a poor fit: nearly all below neutral
    assert quiet.counters["asks_unanswered"][0] == 0
    gap = quiet.customers.trust.full()[:, 0].mean() - asked.customers.trust.full()[:, 0].mean()
    assert gap == pytest.approx(asked.market.ask_annoyance, rel=0.2)


def test_a_pleased_buyer_asked_with_nobody_to_refer_is_annoyed_too() -> None:
    """No friends, so no referral: every asked buyer, pleased or not, loses ``ask_annoyance`` of trust."""
    asked, quiet = plain_market(2000, asks_referrals=1.0), plain_market(2000)
    for model in (asked, quiet):
        for c in range(2000):   # away from the bounds of trust
            kernels.trust.set_trust(model._state.trust, model.customers.trust.scale, 1, c, 0, 0.5)
        model._left[:] = 1e6
        model._left_rel[:] = 1e6
        kernels.after_sales(np.arange(2000, dtype=np.int64), np.zeros(2000, dtype=np.int64), np.full(2000, 0.95),
                            model._state, model.rng, 1, model.customers.trust.scale)   # a fine fit: all pleased
    assert asked.counters["asks_unanswered"][0] == asked.counters["referral_asks"][0] == 2000
    gap = quiet.customers.trust.full()[:, 0] - asked.customers.trust.full()[:, 0]
    np.testing.assert_allclose(gap, asked.market.ask_annoyance, atol=1e-6)   # trust is stored in float32


def test_a_buyer_who_refers_when_asked_is_not_annoyed() -> None:
    """Asked buyers who give a referral keep their trust; exactly the others lose ``ask_annoyance``."""
    model = market(**{"market.talk_rate": 1.0, "market.referral_rate": 1.0, "market.failure_rate": 0.0,
                      "market.pressure_regret": 0.0})
    model.customers.in_market[:] = True
    model._state.sellers.knobs["asks_referrals"][:] = 1.0
    model._left_rel[:] = 1e6
    _, _, _, seller = after(model, 200)
    cnt = model.counters
    assert cnt["referrals_received"].sum() > 0 and cnt["asks_unanswered"].sum() < cnt["referral_asks"].sum()
    referrers = cnt["referral_asks"] - cnt["asks_unanswered"]   # asked buyers who referred at least one friend
    assert np.all(referrers <= np.bincount(seller, minlength=model.n_sellers))


def test_invited_reviews_come_from_the_dissatisfied_too_and_take_time() -> None:
    invited, quiet = plain_market(4000, invites_reviews=1.0), plain_market(4000)
    for model in (invited, quiet):
        model._left[:] = 1e6
        model._left_rel[:] = 1e6
        c = np.arange(4000, dtype=np.int64)
        kernels.after_sales(c, np.zeros(4000, dtype=np.int64), np.full(4000, 0.1), model._state, model.rng, 1,
                            model.customers.trust.scale)
    assert invited.reviews.count[0] > quiet.reviews.count[0] * 1.2
    assert invited.reviews.mean_rating[0] < 2.0
    assert 1e6 - invited._left_rel[0] == pytest.approx(4000 * invited.market.ask_minutes)
    assert invited.counters["review_invitations"][0] == 4000 and quiet.counters["review_invitations"][0] == 0
    assert invited.counters["reviews_negative"][0] > quiet.counters["reviews_negative"][0] * 1.2
    assert invited.counters["reviews_negative"][0] <= invited.counters["reviews_new"][0]


def test_asks_and_invitations_are_counted_within_customer_time() -> None:
    """Every ask and invitation done is counted, fits the customer share, and counts at most once per buyer."""
    model = market()
    st = model._state
    st.sellers.knobs["asks_referrals"][:] = 1.0   # everyone asks and invites: counted only when time is left
    st.sellers.knobs["invites_reviews"][:] = 1.0
    rel = model._left_rel.copy()
    _, s, _, _ = after(model, 200)
    cnt = model.counters
    sold = np.bincount(s, minlength=model.n_sellers)
    assert np.all(cnt["referral_asks"] <= sold) and np.all(cnt["review_invitations"] <= sold)
    assert np.all(cnt["asks_unanswered"] <= cnt["referral_asks"])
    assert np.all(cnt["reviews_negative"] <= cnt["reviews_new"])
    contact = np.array([kernels.trust.contact_cost(st.params[0], st.sellers.knobs[j]) for j in range(model.n_sellers)])
    care = (cnt["follow_ups"] * contact + cnt["failures_fixed"] * model.market.recovery_minutes
            + (cnt["referral_asks"] + cnt["review_invitations"]) * model.market.ask_minutes)
    np.testing.assert_allclose(rel - model._left_rel, care)


def reviews_after_one_sale_each(k: int, fit: float, invites: float, crowding: float, lift: float) -> dict[str, float]:
    updates = {"market.review_crowding": crowding, "market.review_ask_lift": lift}
    model = plain_market(k, updates, invites_reviews=invites)
    model._left[:] = 1e6
    model._left_rel[:] = 1e6
    kernels.after_sales(np.arange(k, dtype=np.int64), np.zeros(k, dtype=np.int64), np.full(k, fit), model._state,
                        model.rng, 1, model.customers.trust.scale)
    return {name: float(model.counters[name][0]) for name in ("reviews_new", "reviews_solicited", "review_invitations")}


def test_an_invitation_crowds_out_the_buyers_own_motive_to_review() -> None:
    """An invited buyer reviews with chance own x (1 - review_crowding) + review_ask_lift.

    The lift's reviews are the solicited ones, the rest organic (the same uniform draw decides both).
    """
    k = 4000
    quiet = reviews_after_one_sale_each(k, 0.95, 0.0, 0.5, 0.0)
    assert quiet["review_invitations"] == 0 and quiet["reviews_solicited"] == 0 and quiet["reviews_new"] > 600
    own = quiet["reviews_new"] / k                                    # delighted buyers: a high unprompted chance
    halved = reviews_after_one_sale_each(k, 0.95, 1.0, 0.5, 0.0)      # invited, no lift: half the motive is gone
    assert halved["review_invitations"] == k and halved["reviews_solicited"] == 0
    assert halved["reviews_new"] / k == pytest.approx(own * 0.5, abs=4 * np.sqrt(own * 0.5 / k))
    replaced = reviews_after_one_sale_each(k, 0.95, 1.0, 1.0, 0.3)    # all motive crowded out: only solicited ones
    assert replaced["reviews_new"] == replaced["reviews_solicited"]
    assert replaced["reviews_new"] / k == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / k))
    added = reviews_after_one_sale_each(k, 0.95, 1.0, 0.0, 0.3)       # no crowding: the lift comes on top
    assert added["reviews_new"] / k == pytest.approx(own + 0.3, abs=4 * np.sqrt(0.25 / k))
    assert added["reviews_solicited"] / k == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / k))
