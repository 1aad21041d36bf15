"""Sales and presentations (sim.model.kernels.sales, .presentations): fit, the sale, hand-offs, next need."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config import validate_config
from sim.model import kernels
from sim.model.funnel import Source

NEVER = kernels.NEVER


def market(weeks: int = 10, sellers: tuple[tuple[str, int], ...] = (("numbers_game", 2), ("relationship", 2)),
           strategies: dict | None = None, **updates) -> sim.Market:
    cfg = sim.load_scenario("baseline", weeks=weeks, updates={"market.customers": 80, **updates})
    data = cfg.model_dump()
    data["strategies"] = strategies or {}
    data["sellers"] = [{"strategy": n, "count": k} for n, k in sellers]
    return sim.Market(validate_config(data), rng=4)


def one(x: int) -> np.ndarray:
    return np.array([x], dtype=np.int64)


def test_fit_is_drawn_once_per_need() -> None:
    model = market()
    c, s = np.array([1, 1, 2]), np.array([0, 0, 3])
    first = kernels.fits(c, s, model._state, model.rng)
    assert first[0] == first[1]
    np.testing.assert_array_equal(kernels.fits(c, s, model._state, model.rng), first)
    assert np.all((first > 0) & (first < 1))
    assert not np.isnan(model.customers.fit[1, 0]) and np.isnan(model.customers.fit[1, 1])


def test_a_sale_meets_the_need_moves_the_book_and_counts_its_source() -> None:
    model = market()
    pop, cnt = model.customers, model.counters
    pop.in_market[5] = True
    kernels.sell(one(5), one(1), one(int(Source.NEW)), model._state, model.rng, 3)
    assert not pop.in_market[5] and pop.last_seller[5] == 1 and pop.purchases_with[5, 1] == 1
    assert model.book.tolist() == [0, 1, 0, 0] and cnt["sales_new"][1] == 1
    kernels.sell(one(5), one(2), one(int(Source.HANDOFF)), model._state, model.rng, 9)     # a hand-off: its own source
    assert model.book.tolist() == [0, 0, 1, 0] and cnt["defections"][1] == 1 and cnt["sales_handoff"][2] == 1
    assert cnt["sales_referral"].sum() == 0
    kernels.sell(one(5), one(2), one(int(Source.NEW)), model._state, model.rng, 20)        # bought here before: repeat
    assert cnt["returns"][2] == 1 and cnt["sales_repeat"][2] == 1 and pop.purchases[5] == 3
    sources = (cnt["sales_new"] + cnt["sales_repeat"] + cnt["sales_referral"] + cnt["sales_inbound"]
               + cnt["sales_handoff"])
    np.testing.assert_array_equal(cnt["sales"], sources)
    assert pop.next_need[5] > 20


def test_next_need_week() -> None:
    model = market()
    weeks = kernels.next_needs(500, model._state, model.rng, 30)
    assert weeks.dtype == np.int32 and np.all(weeks > 30) and np.all(weeks < NEVER)
    assert abs(float(np.mean(weeks - 30)) - model.market.purchase_cycle_weeks) < 3.0
    once = market(**{"market.recurring_needs": False})
    assert np.all(kernels.next_needs(20, once._state, once.rng, 30) == NEVER)


def test_lifetime_value_limit_ends_repeat_business_after_a_sale() -> None:
    model = market(**{"market.repeat_probability": 0.0})
    c = np.arange(20, dtype=np.int64)
    kernels.sell(c, np.zeros(20, dtype=np.int64), np.zeros(20, dtype=np.int64), model._state, model.rng, 4)
    assert np.all(model.customers.next_need[c] == NEVER)


def _present(model: sim.Market, c: int, s: int) -> tuple[np.ndarray, ...]:
    return kernels.hold_presentations(one(c), one(s), one(int(Source.NEW)), np.array([False]), model._state,
                                      model.rng, model.week, model.customers.trust.scale)


PICKY = {"picky": {"preset": "relationship", "fit_threshold": 1.0}}


@pytest.mark.parametrize(("fits", "expected"), [
    ([0.2, 0.5, 0.9, 0.4], 2),
    ([0.2, 0.95, 0.9, 0.4], 1),
    ([0.6, 0.5, 0.3, 0.2], None),          # nobody fits better: no hand-off
])
def test_hand_off_goes_to_the_best_fitting_competitor(fits: list[float], expected: int | None) -> None:
    model = market(sellers=(("picky", 1), ("numbers_game", 3)), strategies=PICKY)
    model.customers.fit[7] = np.array(fits, dtype=np.float32)
    before = model.customers.trust.full()[7, 0]
    sold_c, _, _, hand_c, hand_s = _present(model, 7, 0)
    assert len(sold_c) == 0 and model.counters["declined_poor_fit"][0] == 1
    assert model.customers.trust.full()[7, 0] > before - 1e-3      # honesty gain (less any contact cost)
    if expected is None:
        assert len(hand_c) == 0 and model.counters["handoffs_made"].sum() == 0
    else:
        assert hand_c.tolist() == [7] and hand_s.tolist() == [expected]
        assert model.counters["handoffs_made"][0] == 1 and model.counters["handoffs_received"][expected] == 1


def test_hand_off_draws_missing_fits_and_picks_the_best() -> None:
    model = market(sellers=(("picky", 1), ("numbers_game", 5)), strategies=PICKY)
    _, _, _, _, hand_s = _present(model, 3, 0)
    fit = model.customers.fit[3]
    assert not np.isnan(fit).any()
    if len(hand_s):
        assert hand_s[0] == 1 + int(np.argmax(fit[1:]))


def test_a_lone_seller_declines_without_hand_off() -> None:
    model = market(sellers=(("picky", 1),), strategies=PICKY)
    _, _, _, hand_c, _ = _present(model, 3, 0)
    assert len(hand_c) == 0 and model.counters["declined_poor_fit"][0] == 1


@pytest.mark.parametrize(("trust", "low", "high"), [(0.99, 0.9, 1.0), (0.01, 0.0, 0.1)])
def test_accept_rises_steeply_with_trust(trust: float, low: float, high: float) -> None:
    model = market(**{"market.reviews": False})
    ledger, st = model.customers.trust, model._state
    c = np.arange(80, dtype=np.int64)
    for ci in c:
        kernels.trust.set_trust(st.trust, ledger.scale, model.n_sellers, ci, 2, trust)
    p, k, signal = st.params[0], st.sellers.knobs[2], st.sellers.review_signal[2]
    share = np.mean([kernels.sales.accept(st.trust, model.customers.reads_reviews[ci], signal, p, k, model.n_sellers,
                                          ci, 2, model.rng, ledger.scale) for ci in c for _ in range(5)])
    assert low <= share <= high
