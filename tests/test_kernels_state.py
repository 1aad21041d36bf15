"""Named state at the compiled boundary (sim.model.kernels.state): every field arrives, by name.

Each config and strategy field either reaches the kernels (a field of the parameter or knob record)
or is declared Python-only with a reason; values are routed by name, and the kernels work on the
model's own arrays (shared, never copied).
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config import MarketConfig, NetworkConfig
from sim.model import kernels
from sim.model.funnel import WEEKLY_COUNTERS, WeeklyCounters
from sim.model.kernels import state
from sim.strategy import STRATEGY_KNOBS, Strategy


@pytest.mark.parametrize(("section", "fields", "reaching"), [
    ("market", set(MarketConfig.model_fields), set(state.MARKET_FIELDS)),
    ("network", set(NetworkConfig.model_fields), set()),
    ("strategy", set(Strategy.model_fields), set(state.KNOB_FIELDS)),
])
def test_every_field_reaches_the_kernels_or_is_declared_python_only(section: str, fields: set[str],
                                                                     reaching: set[str]) -> None:
    python_only = set(state.PYTHON_ONLY[section])
    assert not reaching & python_only, f"{section}: both compiled and Python-only: {sorted(reaching & python_only)}"
    missing = fields - reaching - python_only
    assert not missing, f"{section} fields neither reach the kernels nor are declared Python-only: {sorted(missing)}"
    stale = (reaching | python_only) - fields
    assert not stale, f"{section}: listed but not a field: {sorted(stale)}"
    for name, reason in state.PYTHON_ONLY[section].items():
        assert reason.strip() and "\n" not in reason, f"{section}.{name}: give a one-line reason"


def test_strategy_knobs_are_the_strategy_fields() -> None:
    assert set(STRATEGY_KNOBS) == set(Strategy.model_fields)


def test_counter_record_is_named_after_weekly_counters() -> None:
    assert state.COUNTER_DTYPE.names == WEEKLY_COUNTERS
    counters = WeeklyCounters(3)
    assert counters.table.dtype == state.COUNTER_DTYPE
    for name in WEEKLY_COUNTERS:
        assert np.shares_memory(counters.values[name], counters.table)


def _distinct_market() -> MarketConfig:
    """A market whose kernel-read numeric fields all differ, so any misrouting shows."""
    base = MarketConfig()
    updates = {}
    for i, name in enumerate(state.MARKET_FIELDS):
        info = MarketConfig.model_fields[name]
        value = getattr(base, name)
        if isinstance(value, bool) or value is None:
            continue
        lo = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
        lo = next((m.gt for m in info.metadata if hasattr(m, "gt")), lo)
        hi = next((m.le for m in info.metadata if hasattr(m, "le")), None)
        hi = next((m.lt for m in info.metadata if hasattr(m, "lt")), hi)
        frac = (i + 1) / (len(state.MARKET_FIELDS) + 2)
        new = lo + frac * (hi - lo)
        updates[name] = int(round(new)) if isinstance(value, int) else new
    return MarketConfig(**{**base.model_dump(), **updates, "reviews": False, "recurring_needs": True,
                           "repeat_probability": 0.37})


def test_market_params_route_every_field_by_name() -> None:
    m = _distinct_market()
    p = state.market_params(m)
    assert p.dtype.names == state.MARKET_FIELDS + tuple(state.DERIVED)
    for name in state.MARKET_FIELDS:
        assert p[0][name] == float(getattr(m, name)), name
    assert p[0]["reviews"] == 0.0 and p[0]["recurring_needs"] == 1.0


def test_unset_repeat_probability_is_encoded_as_negative() -> None:
    assert state.market_params(MarketConfig())[0]["repeat_probability"] < 0.0


def test_strategy_knobs_route_every_knob_by_name() -> None:
    cfg = sim.load_scenario("baseline", updates={"market.customers": 50})
    model = sim.Market(cfg, rng=0)
    knobs = model._state.sellers.knobs
    assert knobs.dtype.names == state.KNOB_FIELDS
    for seller in model.sellers:
        for name in state.KNOB_FIELDS:
            assert knobs[seller.index][name] == getattr(seller.strategy, name), (seller.name, name)


def test_state_shares_the_models_arrays() -> None:
    model = sim.Market(sim.load_scenario("baseline", updates={"market.customers": 50}), rng=0)
    assert isinstance(model._state, state.KernelState)
    st, pop = model._state.state, model.customers
    pairs = [(st.trust.base, pop.trust.base), (st.trust.deviation, pop.trust.deviation),
             (st.trust.column_sums, pop.trust.column_sums), (st.sellers.counters, model.counters.table),
             (st.sellers.review_signal, model.reviews.signal), (st.sellers.review_count, model.reviews.count),
             (st.sellers.book, model.book)]
    for name in state.Customers._fields:
        if name not in ("busy", "friend_indptr", "friend_indices"):
            pairs.append((getattr(st.customers, name), getattr(pop, name)))
    for mine, theirs in pairs:
        assert mine is theirs
    assert st.customers.busy is model._busy
    assert st.customers.friend_indptr is pop.friends.indptr and st.customers.friend_indices is pop.friends.indices


def test_build_state_rejects_an_unnamed_counter_table() -> None:
    model = sim.Market(sim.load_scenario("baseline", updates={"market.customers": 50}), rng=0)
    with pytest.raises(ValueError, match="counters"):
        state.build_state(model.market, model.customers, model.strat, model.reviews,
                          np.zeros((len(WEEKLY_COUNTERS), model.n_sellers)), model._left, model._left_rel,
                          model.book, model._busy)


def test_kernels_count_by_name() -> None:
    model = sim.Market(sim.load_scenario("baseline", updates={"market.customers": 50}), rng=0)
    kernels.sell(np.array([3]), np.array([2]), np.array([int(sim.Source.INBOUND)]), model._state, model.rng, 1)
    table = model.counters.table
    assert table["sales"][2] == 1 and table["sales_inbound"][2] == 1
    assert table["sales"].sum() == 1 and table["sales_new"].sum() == 0
