"""The model works with Mesa's own batch runner (parameters as dotted config paths, seeds via rng)."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

import sim

PARAMS = {"market.customers": [200], "weeks": [20]}


def reporter_names() -> list[str]:
    model = sim.Market(sim.load_scenario("baseline", updates={"market.customers": 200, "weeks": 20}), rng=1)
    return list(model.datacollector.model_reporters)


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return mesa.batch_run(sim.Market, parameters=PARAMS, rng=[1, 2], max_steps=20,
                          number_processes=1, display_progress=False)


def test_reporters_cover_each_strategy() -> None:
    names = reporter_names()
    assert "week" in names
    for strat in ("numbers_game", "relationship"):
        assert f"revenue_{strat}" in names
        assert f"referrals_{strat}" in names


def test_batch_run_rows_have_reporters_and_params(rows: list[dict]) -> None:
    assert len(rows) == 2
    for row in rows:
        for name in reporter_names():
            assert name in row, name
        assert row["market.customers"] == 200
        assert row["weeks"] == 20
        assert row["Step"] == 20
        assert row["week"] == 20
    assert sorted(r["rng"] for r in rows) == [1, 2]


def test_batch_run_seeds_differ(rows: list[dict]) -> None:
    keys = [k for k in reporter_names() if k != "week"]
    a, b = (tuple(r[k] for k in keys) for r in sorted(rows, key=lambda r: r["rng"]))
    assert a != b
    assert all(np.isfinite(v) and v >= 0 for v in a + b)
    assert any(v > 0 for v in a + b)


def test_batch_run_matches_direct_run(rows: list[dict]) -> None:
    """Same seed, same result, whether run by batch_run or directly."""
    for row in rows:
        model = sim.Market(rng=row["rng"], **{"market.customers": 200, "weeks": 20})
        model.run()
        last = model.datacollector.get_model_vars_dataframe().iloc[-1]
        for name in reporter_names():
            assert row[name] == pytest.approx(last[name]), name


def test_batch_run_weekly_collection() -> None:
    rows = mesa.batch_run(sim.Market, parameters={"market.customers": [150], "weeks": [8],
                                                  "network.kind": ["none", "small_world"]},
                          rng=[3], max_steps=8, number_processes=1, data_collection_period=1,
                          display_progress=False)
    for kind in ("none", "small_world"):
        sub = [r for r in rows if r["network.kind"] == kind]
        assert [r["week"] for r in sub] == list(range(1, 9)), kind
        rev = [r["revenue_relationship"] for r in sub]
        assert rev == sorted(rev)   # cumulative revenue never falls


def test_batch_run_is_reproducible(rows: list[dict]) -> None:
    again = mesa.batch_run(sim.Market, parameters=PARAMS, rng=[1, 2], max_steps=20,
                           number_processes=1, display_progress=False)
    key = sorted(reporter_names())
    assert sorted(tuple(r[k] for k in key) for r in again) == sorted(tuple(r[k] for k in key) for r in rows)


def test_batch_run_same_result_with_two_processes(rows: list[dict]) -> None:
    """MODEL.md: same seed, same result, whatever the number of worker processes."""
    par = mesa.batch_run(sim.Market, parameters=PARAMS, rng=[1, 2], max_steps=20,
                         number_processes=2, display_progress=False)
    key = sorted(reporter_names())
    assert sorted(tuple(r[k] for k in key) for r in par) == sorted(tuple(r[k] for k in key) for r in rows)
