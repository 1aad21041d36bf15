"""A sweep's per-run rows come from the model's arrays: the very same numbers as the pandas summary.

:func:`sim.experiments.summary.array_summary` must give ``sim.run(...).summary`` bit for bit
(keys, their order, values, Python types): every shipped scenario, short horizons (year-1 totals
over fewer than 52 weeks, one week), several sellers per group, groups in an order that is not
alphabetical, and renamed (swept) preset groups. Markets are small so the file runs in seconds.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import sim
from sim import experiments as sw
from sim.config import validate_config
from sim.experiments.outcomes import outcome_row
from sim.experiments.summary import array_summary
from sim.model.market import Market
from sim.model.metrics import summarize
from sim.model.runner import flatten_summary


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def assert_same_summary(cfg: sim.Config, seed: int) -> None:
    model = Market(cfg, rng=seed)
    model.run()
    expected = flatten_summary(summarize(model.recorder.frame(model), cfg.market.price,
                                         [g.strategy for g in cfg.sellers]))
    got = flatten_summary(array_summary(model))
    assert list(got) == list(expected)
    differ = {k: (expected[k], got[k]) for k in expected if not _same(expected[k], got[k])}
    assert not differ, f"{cfg.name} seed {seed}: {differ}"


def _small(cfg: sim.Config, weeks: int) -> sim.Config:
    return cfg.with_updates({"weeks": weeks, "market.customers": min(cfg.market.customers, 600)})


@pytest.mark.parametrize("name", sim.scenario_names())
def test_every_shipped_scenario(name: str) -> None:
    base = sim.load_scenario(name)
    for weeks, seed in ((min(base.weeks, 156), 1), (30, 2), (1, 3)):
        assert_same_summary(_small(base, weeks), seed)


def test_several_sellers_per_group_in_any_order() -> None:
    data = _small(sim.load_scenario("baseline"), 120).model_dump(mode="python")
    data["sellers"] = [{"strategy": "relationship", "count": 3}, {"strategy": "numbers_game", "count": 11}]
    for seed in (4, 5):
        assert_same_summary(validate_config(data), seed)
    data["sellers"] = [{"strategy": "numbers_game", "count": 1}, {"strategy": "relationship", "count": 12}]
    assert_same_summary(validate_config(data), 6)


def test_run_batch_row_is_the_plain_runs(tmp_path: Path) -> None:
    """Swept preset groups (private names) give the rows of a plain run of the same settings."""
    (tmp_path / "s.yaml").write_text("""\
name: rows
scenario: baseline
set: {weeks: 60, market.customers: 400}
levers:
  relationship.pressure: [0.3]
  numbers_game.prospecting_share: [0.6]
design: {kind: grid}
replicates: 1
seed: 3
""", encoding="utf-8")
    plan = sw.plan_sweep(*sw.load_sweep(tmp_path / "s.yaml"))
    assert plan.aliases
    outcomes = tuple(sw.known_outcomes(plan.base))
    ctx = sw.RunContext(plan.base, outcomes, plan.aliases, plan.incumbent, plan.challenger, True)
    point, rep, seed = plan.locate(0)
    params = plan.point_params(point)
    item = sw.RunItem(0, point, rep, seed, params, {f.path: params[f.name] for f in plan.factors})
    [(_, row, series, err)] = sw.run_batch(ctx, [item])
    assert err is None
    cfg = plan.base.with_updates(item.updates)
    res = sim.run(cfg, seed=seed)
    expected = outcome_row(res.summary, ctx.outcomes, plan.aliases, plan.incumbent, plan.challenger)
    assert {k: row[k] for k in expected} == expected
    assert series is not None and len(series) == len(res.timeseries)
    assert set(series["strategy"].unique()) == {"numbers_game", "relationship"}
