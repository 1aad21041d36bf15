"""Trust rules of the compiled phases (sim.model.kernels.trust): storage, bounds and the shared rules."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.kernels import trust as kt


def market(**updates) -> sim.Market:
    return sim.Market(sim.load_scenario("baseline", updates={"market.customers": 60, **updates}), rng=3)


@pytest.mark.parametrize("value", [-5.0, -1e-9, 0.0, 0.3, 0.999999999, 1.0, 7.0])
def test_set_trust_keeps_trust_inside_the_unit_interval(value: float) -> None:
    model = market()
    st, ns = model._state, model.n_sellers
    kt.set_trust(st.trust, model.customers.trust.scale, ns, 5, 1, value)
    t = kt.trust_of(st.trust, model.customers.trust.scale, ns, 5, 1)
    assert 0.0 <= t <= 1.0
    assert t == pytest.approx(min(max(value, 1e-6), 1 - 1e-6), abs=1e-6)
    assert model.customers.trust.full()[5, 1] == pytest.approx(t, abs=1e-6)


def test_set_trust_keeps_column_sums_and_respects_scale() -> None:
    model = market()
    ledger = model.customers.trust
    for _ in range(30):
        ledger.decay_one_week()
    rng = np.random.default_rng(0)
    for _ in range(200):
        c, s = int(rng.integers(0, ledger.n)), int(rng.integers(0, ledger.n_sellers))
        kt.set_trust(model._state.trust, ledger.scale, ledger.n_sellers, c, s, float(rng.random()))
    np.testing.assert_allclose(ledger.column_sums, ledger.deviation.reshape(ledger.n, -1).sum(axis=0,
                                                                                         dtype=np.float64))
    np.testing.assert_allclose(ledger.mean_by_seller(), ledger.full().mean(axis=0), rtol=1e-5, atol=1e-6)


def test_willingness_is_one_rule_compiled_and_on_arrays() -> None:
    t = np.linspace(0.0, 1.0, 101)
    arrays = kt.willingness.py_func(t, 0.6, 0.08)
    compiled = np.array([kt.willingness(x, 0.6, 0.08) for x in t])
    np.testing.assert_allclose(arrays, compiled, rtol=1e-14)
    assert kt.willingness(0.6, 0.6, 0.08) == pytest.approx(0.5)
    assert np.all(np.diff(arrays) > 0) and arrays[0] < 0.001 and arrays[-1] > 0.99


def test_effective_trust_shifts_readers_only_and_clips() -> None:
    assert kt.effective_trust(0.5, True, 1.0, 0.2, 1.0) == pytest.approx(0.7)
    assert kt.effective_trust(0.5, False, 1.0, 0.2, 1.0) == 0.5
    assert kt.effective_trust(0.95, True, 1.0, 0.2, 1.0) == 1.0
    assert kt.effective_trust(0.05, True, 1.0, 0.2, -1.0) == 0.0
    assert kt.effective_trust(0.5, True, 0.0, 0.2, 1.0) == 0.5        # no reviews in this market
    assert kt.effective_trust(0.5, True, 1.0, 0.0, 1.0) == 0.5        # reviews weigh nothing
    rows = np.array([[0.5, 0.95], [0.5, 0.95]])
    seen = kt.effective_trust.py_func(rows, np.array([[True], [False]]), True, 0.2, np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(seen, [[0.7, 1.0], [0.5, 0.95]])


def test_pressure_lifts_probability_within_headroom() -> None:
    assert kt.with_pressure(0.4, 0.0, 0.3) == 0.4
    assert kt.with_pressure(0.4, 1.0, 0.3) == pytest.approx(0.4 + 0.3 * 0.6)
    assert kt.with_pressure(1.0, 1.0, 0.5) == 1.0


def test_contact_builds_trust_with_interest_and_pitch_pressure_costs_it() -> None:
    model = market(**{"market.pressure_trust_cost": 0.1})
    st, scale, ns = model._state, model.customers.trust.scale, model.n_sellers
    pushy = next(s.index for s in model.sellers if s.strategy.pressure >= 0.5)   # the numbers-game preset's 0.5
    caring = next(s.index for s in model.sellers if s.strategy.genuine_interest > 0.5)
    before = kt.trust_of(st.trust, scale, ns, 7, caring)
    p, knobs, last = st.params[0], st.sellers.knobs, model.customers.last_contact
    kt.contact(st.trust, last, p, knobs[caring], ns, 7, caring, False, True, 9, scale)
    assert kt.trust_of(st.trust, scale, ns, 7, caring) > before
    assert model.customers.last_contact[7, caring] == 9
    before = kt.trust_of(st.trust, scale, ns, 8, pushy)
    kt.contact(st.trust, last, p, knobs[pushy], ns, 8, pushy, True, False, 9, scale)
    assert kt.trust_of(st.trust, scale, ns, 8, pushy) < before


def test_contact_gain_grows_with_a_log() -> None:
    model = market()
    p = model._state.params[0]
    # a seller who keeps a log and listens (a contact without genuine interest builds no trust)
    k = model._state.sellers.knobs[next(s.index for s in model.sellers
                                         if s.strategy.keeps_log > 0 and s.strategy.genuine_interest > 0)]
    assert kt.contact_gain(0.3, True, p, k) > kt.contact_gain(0.3, False, p, k) > 0.0


@pytest.mark.parametrize("updates", [
    {"market.trust_gain_per_minute": 0.05, "market.wom_weight": 1.0, "market.experience_weight": 1.0,
     "market.honesty_gain": 0.5},
    {"market.pressure_trust_cost": 0.3, "market.fatigue_cost": 0.3, "market.ignored_cost": 0.5,
     "market.failure_rate": 1.0, "market.baseline_trust": 0.0},
])
def test_trust_stays_in_unit_interval_under_extreme_settings(updates: dict) -> None:
    model = sim.Market(sim.load_scenario("baseline", weeks=40, updates={"market.customers": 200, **updates}), rng=1)
    for _ in range(40):
        model.step()
        trust = model.customers.trust.full()
        assert trust.min() >= 0.0 and trust.max() <= 1.0


# ------------------------------------------------------------------ knob costs
def knob_record(**knobs: float) -> np.ndarray:
    from sim.model.kernels import state
    rec = np.zeros(1, dtype=state.KNOBS_DTYPE)
    base = sim.Strategy(**knobs)
    for name in state.KNOB_FIELDS:
        rec[name] = getattr(base, name)
    return rec[0]


def params(**updates) -> np.ndarray:
    from sim.model.kernels import state
    return state.market_params(sim.MarketConfig(**updates))[0]


def test_genuine_interest_takes_listening_time_and_a_log_takes_admin_time() -> None:
    p = params(listening_share=0.6, log_minutes=2.0)
    plain = knob_record(minutes_per_contact=10.0, genuine_interest=0.0, keeps_log=0.0)
    listening = knob_record(minutes_per_contact=10.0, genuine_interest=1.0, keeps_log=0.0)
    logging = knob_record(minutes_per_contact=10.0, genuine_interest=0.0, keeps_log=1.0)
    assert kt.contact_minutes(p, plain) == 10.0 == kt.contact_cost(p, plain)
    assert kt.contact_minutes(p, listening) == pytest.approx(16.0) == kt.contact_cost(p, listening)
    assert kt.contact_cost(p, logging) == pytest.approx(12.0) and kt.contact_minutes(p, logging) == 10.0


def test_trust_gain_is_concave_in_contact_minutes() -> None:
    p = params(trust_gain_per_minute=0.001, contact_saturation_minutes=15.0, listening_share=0.0)
    minutes = np.array([1.0, 5.0, 10.0, 20.0, 40.0, 120.0])
    gains = np.array([kt.contact_gain(0.0, False, p, knob_record(minutes_per_contact=m, genuine_interest=1.0))
                      for m in minutes])
    assert np.all(np.diff(gains) > 0)                      # longer contacts still gain more ...
    assert np.all(np.diff(gains / minutes) < 0)            # ... but less per minute
    assert gains[0] == pytest.approx(0.001, rel=0.05)      # the first minute gains trust_gain_per_minute
    assert gains[-1] < 0.001 * 15.0                        # never more than trust_gain_per_minute x tau
