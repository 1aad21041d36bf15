"""The whole week in one compiled call (sim.model.kernels.week): the same run as its phases one by one.

Also the market's lazily filled DataCollector (sim.model.collector), which must give what Mesa's own
collecting every week gives, a new generator (Mesa's ``reset_rng``) reaching the kernels, and the
fast draws (sim.model.kernels.draws) being numba's own, draw for draw.
"""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from numba import njit

import sim
from sim.model.kernels import draws, state

PHASES = ("_start_week", "_needs_arise", "_expire_needs", "_diffusion", "_after_sales", "_customers_seek",
          "_serve_warm_leads", "_keep_in_touch", "_prospect", "_hold_presentations", "_end_week")


def config(**updates) -> sim.Config:
    return sim.load_scenario("baseline", weeks=40, updates={"market.customers": 400, **updates})


def state_of(model: sim.Market) -> list[np.ndarray]:
    pop = model.customers
    return [model.recorder.table, model.recorder.market_table, pop.trust.deviation, pop.trust.column_sums,
            pop.fit, pop.last_contact, pop.next_need, pop.in_market, model.reviews.signal, model._debt,
            np.array([pop.trust.scale])]


@pytest.mark.parametrize("updates", [{}, {"market.trust_decay": 0.4}, {"market.outside_influence": 0.02},
                                     {"market.outbound_contact": False, "market.imitation": 0.1},
                                     {"market.repeat_probability": 0.5, "market.turnover_per_year": 0.3},
                                     {"market.need_patience_weeks": 1, "market.purchase_cycle_weeks": 1.5},
                                     {"market.customers": 10, "market.need_patience_weeks": 1,
                                      "market.purchase_cycle_weeks": 1.0}])
def test_one_call_a_week_is_the_phases_one_by_one(updates: dict) -> None:
    cfg = config(**updates)
    fused = sim.Market(cfg, rng=3).run()
    by_phase = sim.Market(cfg, rng=3)
    for _ in range(cfg.weeks):
        for name in PHASES:
            if name in ("_keep_in_touch", "_prospect") and not cfg.market.outbound_contact:
                continue
            getattr(by_phase, name)()
    assert fused.week == by_phase.week == cfg.weeks
    for a, b in zip(state_of(fused), state_of(by_phase), strict=True):
        np.testing.assert_array_equal(a, b)


class _Eager(sim.Market):
    """The market with Mesa's own DataCollector, collecting by calling the reporters every week."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.datacollector = mesa.DataCollector(model_reporters=dict(self.datacollector.model_reporters))


def test_lazy_collector_gives_what_collecting_every_week_gives() -> None:
    cfg = config(sellers=[{"strategy": "numbers_game", "count": 3}, {"strategy": "relationship", "count": 9}])
    lazy, eager = sim.Market(cfg, rng=4), _Eager(cfg, rng=4)
    for model in (lazy, eager):
        model.run(7)
        model.datacollector.collect(model)   # an extra collect in mid-run counts too
        model.run()
    a, b = lazy.datacollector.get_model_vars_dataframe(), eager.datacollector.get_model_vars_dataframe()
    assert list(a.columns) == list(b.columns) and a.dtypes.equals(b.dtypes)
    for column in a:
        assert a[column].tolist() == b[column].tolist(), column   # exactly, value for value
    assert lazy.datacollector._collection_steps == eager.datacollector._collection_steps


def test_a_new_generator_reaches_the_kernels() -> None:
    cfg = config()
    reset, same = sim.Market(cfg, rng=5), sim.Market(cfg, rng=5)
    reset.run(10)
    same.run(10)
    reset.reset_rng(99)                                                  # a new generator object
    same.rng.bit_generator.state = np.random.default_rng(99).bit_generator.state   # the same object, reseeded
    assert reset._state.generator is not reset.rng
    reset.run()
    same.run()
    assert reset._state.generator is reset.rng
    np.testing.assert_array_equal(reset.recorder.table, same.recorder.table)
    untouched = sim.Market(cfg, rng=5).run()
    assert not np.array_equal(reset.recorder.table, untouched.recorder.table)


def test_a_run_past_its_horizon_is_refused() -> None:
    model = sim.Market(config(weeks=3), rng=1).run()
    with pytest.raises(IndexError, match="horizon"):
        model.step()


@njit
def _draws(rng, highs, sizes, ours):
    ints = np.empty(len(highs), dtype=np.int64)
    for i in range(len(highs)):
        ints[i] = draws.integer_below(rng, highs[i]) if ours else rng.integers(0, highs[i])
    perms = np.empty(sizes.sum(), dtype=np.int64)
    e = 0
    for k in sizes:
        p = draws.permutation(rng, k) if ours else rng.permutation(k)
        perms[e:e + k] = p
        e += k
    return ints, perms


def test_fast_draws_are_numbas_own_draw_for_draw() -> None:
    g = np.random.default_rng(1)
    highs = np.concatenate([g.integers(1, 50, 2000), g.integers(1, 10**7, 2000), g.integers(2**32 - 3, 2**32 + 3, 50),
                            g.integers(1, 2**62, 50), [1, 2, 2**32, 2**32 + 1]]).astype(np.int64)
    sizes = np.array([0, 1, 2, 3, 10, 57, 1000, 5], dtype=np.int64)
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    for mine, theirs in zip(_draws(a, highs, sizes, True), _draws(b, highs, sizes, False), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert a.bit_generator.state == b.bit_generator.state


@njit
def _bit_draws(rng, ps, ours):
    bitgen = rng.bit_generator
    out = np.empty(2 * len(ps))
    for i in range(len(ps)):
        out[2 * i] = draws.geometric(bitgen, ps[i]) if ours else rng.geometric(ps[i])
        out[2 * i + 1] = draws.uniform(bitgen) if ours else rng.random()
    return out


def test_bit_generator_draws_are_the_generators_own() -> None:
    ps = np.concatenate([np.random.default_rng(2).uniform(1e-4, 1.0, 3000), [1.0 / 18.0, 1.0 / 3.0, 0.5, 1.0]])
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(_bit_draws(a, ps, True), _bit_draws(b, ps, False))
    assert a.bit_generator.state == b.bit_generator.state


def test_queues_grow_when_a_week_needs_more_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same run whether the week's queues start with room for 1,024 entries or for one.

    Half-way, each gets a new generator (Mesa's ``reset_rng``): the compiled state, grown queues
    included, carries on.
    """
    cfg = config(**{"network.mean_degree": 12.0})
    roomy = sim.Market(cfg, rng=6)
    monkeypatch.setattr(state, "QUEUE_START", 1)
    tight = sim.Market(cfg, rng=6)
    assert len(tight._state.week.pending_c) == 1 < len(roomy._state.week.pending_c)
    for model in (roomy, tight):
        model.run(cfg.weeks // 2)
        model.reset_rng(3)
        model.run()
    np.testing.assert_array_equal(roomy.recorder.table, tight.recorder.table)
