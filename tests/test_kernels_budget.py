"""Time budget rules (sim.model.kernels.budget) and the weekly budget of a running market."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.kernels import budget


def test_within_budget_takes_everything_that_fits_without_drawing() -> None:
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    wanted = np.array([True, False, True, True])
    done = budget.within_budget(wanted, np.array([0, 0, 1, 1]), np.array([10.0, 99.0, 5.0, 5.0]),
                                np.array([10.0, 10.0]), rng)
    assert done.tolist() == [True, False, True, True]
    assert rng.bit_generator.state == state


@pytest.mark.parametrize("seed", range(20))
def test_within_budget_never_exceeds_minutes_available(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k, ns = 40, 3
    wanted = rng.random(k) < 0.7
    sel = rng.integers(0, ns, k)
    cost = rng.uniform(1.0, 30.0, k)
    avail = rng.uniform(0.0, 150.0, ns)
    done = budget.within_budget(wanted, sel, cost, avail, rng)
    assert not (done & ~wanted).any()
    used = np.bincount(sel[done], weights=cost[done], minlength=ns)
    assert np.all(used <= avail + 1e-9)


def test_spend_keeps_customer_time_within_total() -> None:
    left, left_rel = np.array([100.0, 50.0]), np.array([80.0, 50.0])
    budget.spend(np.array([30.0, 20.0]), left, left_rel)
    assert left.tolist() == [70.0, 30.0]
    assert left_rel.tolist() == [50.0, 30.0]


def test_book_reserves_presentation_time_and_marks_customers_busy() -> None:
    model = sim.Market(sim.load_scenario("baseline", updates={"market.customers": 50}), rng=0)
    model._left[:] = 100.0
    model._left_rel[:] = 60.0
    budget.book(model._state.state, np.array([4, 9, 11]), np.array([1, 1, 2]), 2, 5)
    minutes = model.market.presentation_minutes
    assert model._left.tolist() == [100.0, 100.0 - 2 * minutes, 100.0, 100.0]
    assert model._busy[[4, 9]].tolist() == [5, 5] and model._busy[11] != 5


@pytest.mark.parametrize("updates", [{}, {"market.hours_per_week": 2.0},
                                     {"market.presentation_minutes": 240.0, "market.hours_per_week": 5.0}])
def test_weekly_time_never_overspent_beyond_the_carried_debt(updates: dict) -> None:
    """Minutes used never exceed this week's budget plus the debt carried to next week.

    This week's budget is the hours less last week's debt; only presentations booked this week add
    debt (beyond debt still unpaid from last week).
    """
    cfg = sim.load_scenario("baseline", weeks=60, updates={"market.customers": 300, **updates})
    model = sim.Market(cfg, rng=2)
    hours = cfg.market.hours_per_week * 60.0
    for _ in range(cfg.weeks):
        debt_before = model._debt.copy()
        model.step()
        used = model.counters["minutes_used"]
        assert np.all(used <= hours - debt_before + model._debt + 1e-6)
        booked = model.counters["presentations"] * cfg.market.presentation_minutes
        assert np.all(model._debt <= np.maximum(debt_before - hours, 0.0) + booked + 1e-6)
