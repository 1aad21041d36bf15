"""Who meets whom (sim.model.kernels.contacts): warm leads, keeping in touch, the cold list, prospecting."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model import kernels
from sim.model.funnel import Source


def market(customers: int = 200, **updates) -> sim.Market:
    model = sim.Market(sim.load_scenario("baseline", weeks=20, updates={"market.customers": customers, **updates}),
                       rng=6)
    model.run(8)
    model.week += 1
    model.counters.reset()
    model._left[:] = model.market.hours_per_week * 60.0
    model._left_rel[:] = model._left * 0.5
    return model


def call_minutes(model: sim.Market) -> np.ndarray:
    """Minutes one contact takes from each seller's week (conversation, listening, log entry)."""
    st = model._state
    return np.array([kernels.trust.contact_cost(st.params[0], st.sellers.knobs[s]) for s in range(model.n_sellers)])


def test_warm_leads_one_seller_per_customer_and_only_those_in_the_market() -> None:
    model = market()
    pop = model.customers
    pop.in_market[:] = False
    pop.in_market[[1, 2, 3]] = True
    c = np.array([1, 1, 2, 3, 3, 3, 4], dtype=np.int64)
    s = np.array([0, 1, 2, 0, 1, 2, 3], dtype=np.int64)
    src = np.full(len(c), int(Source.REFERRAL), dtype=np.int64)
    bc, bs, _ = kernels.serve_warm_leads(c, s, src, model._state, model.rng, model.week, pop.trust.scale)
    assert sorted(bc.tolist()) == [1, 2, 3]
    for ci, si in zip(bc, bs, strict=True):
        assert (ci, si) in set(zip(c.tolist(), s.tolist(), strict=True))
    assert np.all(model._busy[bc] == model.week)
    assert model.counters["leads"].sum() == 3 == model.counters["prospects"].sum()


def test_warm_leads_nobody_has_time_for_lose_trust() -> None:
    model = market(**{"market.ignored_cost": 0.2})
    pop = model.customers
    pop.in_market[:40] = True
    model._left[:] = model.market.presentation_minutes * 2      # two presentations per seller
    c = np.arange(40, dtype=np.int64)
    s = np.zeros(40, dtype=np.int64)
    before = pop.trust.full()[:40, 0]
    bc, _, _ = kernels.serve_warm_leads(c, s, np.zeros(40, dtype=np.int64), model._state, model.rng,
                                        model.week, pop.trust.scale)
    assert len(bc) == 2 and model.counters["turned_away"][0] == 38
    after = pop.trust.full()[:40, 0]
    away = np.setdiff1d(c, bc)
    np.testing.assert_allclose(after[away], np.maximum(before[away] - 0.2, 1e-6), atol=1e-5)
    assert model._left[0] == pytest.approx(0.0)


def test_keep_in_touch_contacts_own_customers_within_customer_time() -> None:
    model = market()
    pop = model.customers
    model._left_rel[:] = 50.0
    last = pop.last_contact.copy()
    bc, bs = kernels.keep_in_touch(model._state, model.rng, model.week, pop.trust.scale)
    touched = np.argwhere(pop.last_contact != last)
    for c, s in touched:
        assert pop.last_seller[c] == s and last[c, s] <= model.week - model.market.attention_weeks
    assert np.all(model.counters["keep_in_touch"] <= np.floor(50.0 / call_minutes(model)))
    assert np.all(pop.last_seller[bc] == bs) and np.all(pop.in_market[bc])


@pytest.mark.parametrize("customers", [30, 2000])
def test_cold_list_distinct_and_never_own_customers(customers: int) -> None:
    model = market(customers=customers)
    n = np.array([5, 40, 0, 12], dtype=np.int64)
    c, s = kernels.contacts.cold_list(n, model._state.state, model.rng, model.week)
    for seller in range(4):
        mine = c[s == seller]
        assert len(mine) == len(set(mine.tolist())) <= n[seller]
        assert not np.any(model.customers.last_seller[mine] == seller)


def test_prospecting_books_each_customer_once_and_spends_call_time() -> None:
    model = market()
    pop = model.customers
    pop.in_market[:] = True
    pop.last_contact[:] = -1000                     # nobody pitched recently
    for c in range(pop.n):                          # and everybody trusts everybody: many accept
        for s in range(model.n_sellers):
            kernels.trust.set_trust(model._state.trust, pop.trust.scale, model.n_sellers, c, s, 0.95)
    left = model._left.copy()
    bc, bs = kernels.prospect(model._state, model.rng, model.week, pop.trust.scale)
    assert len(bc) > 20
    assert len(bc) == len(set(bc.tolist()))
    calls = model.counters["leads"]
    booked = np.bincount(bs, minlength=model.n_sellers) * model.market.presentation_minutes
    np.testing.assert_allclose(left - model._left, calls * call_minutes(model) + booked)
    assert np.all(calls * call_minutes(model) <= left + 1e-9)
    assert np.all(model.counters["prospects"] <= calls)


def test_customers_seek_a_trusted_seller_and_loyal_buyers_buy_directly() -> None:
    model = market(**{"market.repeat_probability": 0.5})
    pop = model.customers
    new = np.arange(100, dtype=np.int64)
    pop.in_market[new] = True
    pop.fit[new] = np.nan
    loyal = new[pop.last_seller[new] >= 0]
    wc, _, sc, sv, _, _ = kernels.customers_seek(new, model._state, model.rng, model.week, pop.trust.scale)
    assert set(sc.tolist()) == set(loyal.tolist())
    assert not set(wc.tolist()) & set(loyal.tolist())
    assert np.all(pop.last_seller[sc] == sv) and not pop.in_market[sc].any()


@pytest.mark.parametrize("customers", [30, 2000])
def test_cold_list_skips_everyone_contacted_within_the_attention_window(customers: int) -> None:
    model = market(customers=customers)
    pop, week, window = model.customers, model.week, model.market.attention_weeks
    rng = np.random.default_rng(1)
    pop.last_contact[:] = week - rng.integers(0, 2 * window, size=pop.last_contact.shape)
    n = np.array([5, 40, 0, 12], dtype=np.int64)
    c, s = kernels.contacts.cold_list(n, model._state.state, model.rng, week)
    assert len(c) > 0
    assert np.all(week - pop.last_contact[c, s] >= window)
    assert len(set(zip(c.tolist(), s.tolist(), strict=True))) == len(c)


def test_cold_list_without_contact_records_may_repitch() -> None:
    model = market(customers=2000, **{"market.contact_records": False})
    model.customers.last_contact[:] = model.week - 1     # everybody contacted last week
    c, _ = kernels.contacts.cold_list(np.array([50, 0, 0, 0], dtype=np.int64), model._state.state, model.rng,
                                      model.week)
    assert len(c) == 50


def test_a_seller_out_of_fresh_names_leaves_its_prospecting_time_unused() -> None:
    model = market(customers=200)
    pop = model.customers
    model.customers.last_contact[:] = model.week - 1     # all contacted last week, except ten for seller 0
    fresh = np.arange(10)
    pop.last_contact[fresh, 0] = -1000
    pop.last_seller[fresh] = -1
    left = model._left.copy()
    kernels.prospect(model._state, model.rng, model.week, pop.trust.scale)
    calls = model.counters["leads"]
    assert calls[0] == 10 and np.all(calls[1:] == 0)
    booked = (model._busy == model.week).sum() * model.market.presentation_minutes
    assert left[0] - model._left[0] <= 10 * call_minutes(model)[0] + booked + 1e-9
    np.testing.assert_allclose(model._left[1:], left[1:])
