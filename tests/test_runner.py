"""Tests for sim.runner and the headline metrics: replicates, seeds, saving, model-as-function."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import sim
from sim.model import comparison
from sim.model.metrics import crossover_week


def small(**updates) -> sim.Config:
    return sim.load_scenario("baseline", updates={"market.customers": 300, "weeks": 60, **updates})


@pytest.fixture(scope="module")
def replicates() -> sim.Results:
    return sim.run_replicates(small(), replicates=3, seed=7)


def _interval_leaves(d: dict[str, Any], prefix: str = "") -> list[tuple[str, dict]]:
    out = []
    for key, value in d.items():
        if isinstance(value, dict) and {"mean", "low", "high"} <= set(value):
            out.append((prefix + key, value))
        elif isinstance(value, dict):
            out.extend(_interval_leaves(value, f"{prefix}{key}."))
    return out


# ------------------------------------------------------------------ replicates
def test_replicate_summary_is_mean_low_high(replicates: sim.Results) -> None:
    s = replicates.summary
    assert s["replicates"] == 3
    rel = s["strategies"]["relationship"]
    for key in ("revenue_total", "referrals_total", "mean_trust_final", "hours_used"):
        assert set(rel[key]) >= {"mean", "low", "high"}, key
    leaves = _interval_leaves(s)
    assert len(leaves) > 20
    for name, v in leaves:
        if v["mean"] is None:
            continue
        assert v["low"] <= v["mean"] <= v["high"], (name, v)
    for key in ("revenue_ratio", "referral_ratio"):
        assert set(s[key]) >= {"mean", "low", "high"}
    assert 0.0 <= s["crossover_week"]["never_share"] <= 1.0
    # non-negative numbers never get an interval below zero; only signed ones (log ratios) may
    for name, v in leaves:
        if v["low"] is not None and name.rsplit(".", 1)[-1] not in comparison.SIGNED:
            assert v["low"] >= 0, (name, v)


def test_replicate_ratios_are_ratios_of_means_by_name(replicates: sim.Results) -> None:
    s, runs = replicates.summary, replicates.runs
    assert s["compared"] == ["relationship", "numbers_game"]
    rel = [r["strategies"]["relationship"]["revenue_total"] for r in runs]
    ng = [r["strategies"]["numbers_game"]["revenue_total"] for r in runs]
    assert s["revenue_ratio"] == comparison.ratio_interval(rel, ng)
    assert s["revenue_ratio"]["mean"] == pytest.approx(sum(rel) / sum(ng))
    assert 0 <= s["revenue_ratio"]["low"] <= s["revenue_ratio"]["mean"] <= s["revenue_ratio"]["high"]
    c = s["comparison"]["revenue_total"]
    assert c == comparison.compare_runs(runs, "revenue_total", ("relationship", "numbers_game"))
    assert s["leader_final"] == (c["winner"] or "none") and s["leader_basis"] == "replicates"
    assert s["ahead_final"] == {"relationship": c["ahead"] / 3, "numbers_game": c["behind"] / 3}


def test_mean_interval_is_still_the_t_interval() -> None:
    """sim.validation's intervals: the same numbers as before issue 9 (mean ± t(0.975, n-1) s / sqrt(n))."""
    from sim.model.runner import mean_interval

    assert mean_interval is comparison.mean_interval
    s = mean_interval([1.0, 2.0, 3.0, None, float("nan")])
    assert s["mean"] == 2.0 and s["high"] - 2.0 == pytest.approx(4.302652729911275 / math.sqrt(3))
    assert mean_interval([5.0]) == {"mean": 5.0, "low": 5.0, "high": 5.0}
    assert mean_interval([]) == {"mean": None, "low": None, "high": None}
    assert mean_interval([0.0, 0.0, 0.0, 10.0])["low"] < 0   # signed rule: may go below zero


def test_nonnegative_interval_is_a_deterministic_bootstrap_inside_the_range() -> None:
    values = [0.0, 40.0, 0.0, 0.0, 1.0]
    s = comparison.nonnegative_interval(values)
    assert s == comparison.nonnegative_interval(values)             # fixed seed: the same runs, the same interval
    assert s["mean"] == pytest.approx(8.2) and 0.0 == s["low"] < s["mean"] < s["high"] <= 40.0
    assert comparison.nonnegative_interval([3.0]) == {"mean": 3.0, "low": 3.0, "high": 3.0}
    assert comparison.nonnegative_interval([2.0, 2.0]) == {"mean": 2.0, "low": 2.0, "high": 2.0}
    assert comparison.summary_interval("revenue_total", values) == s
    assert comparison.summary_interval("log_revenue_ratio", values) == comparison.mean_interval(values)
    assert comparison.summary_interval("x", [-1.0, 2.0]) == comparison.mean_interval([-1.0, 2.0])


def test_ratio_interval_is_from_the_log_ratio_and_never_below_zero() -> None:
    a, b = [1.0, 0.0, 6.0, 0.0, 2.0], [1.0, 2.0, 1.0, 3.0, 0.0]
    r = comparison.ratio_interval(a, b)
    assert r["mean"] == pytest.approx(9 / 7) and 0 <= r["low"] <= r["mean"] <= r["high"]   # t: below zero
    a, b = [1.0, 3.0, 6.0, 2.0, 2.0], [1.0, 2.0, 1.0, 3.0, 4.0]
    r, inv = comparison.ratio_interval(a, b), comparison.ratio_interval(b, a)
    assert inv["mean"] == pytest.approx(1 / r["mean"])                  # either way round: the same ratio, inverted
    assert inv["low"] == pytest.approx(1 / r["high"]) and inv["high"] == pytest.approx(1 / r["low"])
    assert comparison.ratio_interval([1.0, 2.0], [0.0, 0.0]) == {"mean": None, "low": None, "high": None}
    assert comparison.ratio_interval([4.0], [2.0]) == {"mean": 2.0, "low": 2.0, "high": 2.0}


def test_verdict_rule() -> None:
    pair = ("relationship", "numbers_game")

    def runs(rel: list[float], ng: list[float]) -> list[dict]:
        return [{"strategies": {"relationship": {"m": x}, "numbers_game": {"m": y}}} for x, y in zip(rel, ng,
                                                                                                      strict=True)]

    assert comparison.compare_runs(runs([5, 6, 7], [1, 1, 2]), "m", pair)["verdict"] == "ahead"
    assert comparison.compare_runs(runs([1, 1, 2], [5, 6, 7]), "m", pair)["winner"] == "numbers_game"
    assert comparison.compare_runs(runs([5, 1, 7], [1, 6, 2]), "m", pair)["verdict"] == "unclear"
    assert comparison.compare_runs(runs([3, 3], [3, 3]), "m", pair)["verdict"] == "level"
    one = comparison.compare_runs(runs([9], [1]), "m", pair)
    assert one["verdict"] == "one run" and one["winner"] is None and one["ahead"] == 1


def test_replicate_mean_is_mean_of_runs(replicates: sim.Results) -> None:
    runs = replicates.runs
    assert len(runs) == 3
    vals = [r["strategies"]["numbers_game"]["revenue_total"] for r in runs]
    agg = replicates.summary["strategies"]["numbers_game"]["revenue_total"]
    assert agg["mean"] == pytest.approx(np.mean(vals))
    if len(set(vals)) > 1:
        assert agg["low"] < agg["mean"] < agg["high"]


def test_replicate_timeseries_stacked(replicates: sim.Results) -> None:
    df = replicates.timeseries
    assert sorted(df["replicate"].unique()) == [0, 1, 2]
    cfg = replicates.config
    assert len(df) == 3 * cfg.weeks * cfg.n_sellers


def test_replicate_seeds_deterministic_and_distinct() -> None:
    assert sim.replicate_seed(7, 0) == sim.replicate_seed(7, 0)
    seeds = [sim.replicate_seed(7, i) for i in range(20)]
    assert len(set(seeds)) == 20
    assert sim.replicate_seed(7, 0) != sim.replicate_seed(8, 0)
    assert sim.replicate_seed(7, 1) != sim.replicate_seed(1, 7)
    assert all(isinstance(x, int) and 0 <= x < 2**63 for x in seeds)
    # valid as a config seed
    small(seed=max(seeds))


def test_replicates_use_replicate_seeds(replicates: sim.Results) -> None:
    assert [r["seed"] for r in replicates.runs] == [sim.replicate_seed(7, i) for i in range(3)]
    # each replicate is the plain run with its seed: independent of which process/order ran it
    one = sim.run(small(), seed=sim.replicate_seed(7, 1)).timeseries
    rep = replicates.timeseries
    part = rep[rep["replicate"] == 1].drop(columns="replicate").reset_index(drop=True)
    pdt.assert_frame_equal(part, one.reset_index(drop=True))
    # replicates differ from each other
    r0 = rep[rep["replicate"] == 0]["sales"].to_numpy()
    r2 = rep[rep["replicate"] == 2]["sales"].to_numpy()
    assert not np.array_equal(r0, r2)


def test_run_replicates_reproducible() -> None:
    a = sim.run_replicates(small(weeks=20), replicates=2, seed=3)
    b = sim.run_replicates(small(weeks=20), replicates=2, seed=3)
    pdt.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.summary == b.summary


def test_run_replicates_rejects_zero() -> None:
    with pytest.raises(ValueError):
        sim.run_replicates(small(weeks=5), replicates=0)
    with pytest.raises(ValueError, match="workers = 0"):
        sim.run_replicates(small(weeks=5), replicates=2, workers=0)


def test_replicates_in_worker_processes_are_identical() -> None:
    """Issue 12: replicates run in worker processes give exactly what one process gives (seeds by index)."""
    cfg = small(weeks=40)
    one = sim.run_replicates(cfg, replicates=5, seed=11, workers=1)
    two = sim.run_replicates(cfg, replicates=5, seed=11, workers=2)
    pdt.assert_frame_equal(one.timeseries, two.timeseries)
    assert one.summary == two.summary and one.runs == two.runs
    assert list(two.timeseries["replicate"].unique()) == [0, 1, 2, 3, 4]
    # the last replicate always runs in this process: its model is kept, as one after another
    assert two.model is not None and two.model._seed == sim.replicate_seed(11, 4) == one.model._seed
    auto = sim.run_replicates(cfg, replicates=5, seed=11)   # small work: stays in this process
    pdt.assert_frame_equal(one.timeseries, auto.timeseries)


def test_worker_processes_do_share_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """With this process slowed down, worker processes run some replicates, and nothing changes."""
    import time

    from sim.model import runner

    cfg = small(weeks=20)
    expected = sim.run_replicates(cfg, replicates=6, seed=2, workers=1)
    here: list[int] = []
    plain = runner.run

    def slow(config, seed=None, **kw):   # only this process is slowed; workers import the module afresh
        here.append(seed)
        time.sleep(1.0)
        return plain(config, seed=seed, **kw)

    monkeypatch.setattr(runner, "run", slow)
    res = runner.run_replicates(cfg, replicates=6, seed=2, workers=2)
    assert 1 <= len(here) < 6, "the worker process ran nothing"
    pdt.assert_frame_equal(res.timeseries, expected.timeseries)
    assert res.summary == expected.summary


def test_run_replicate_and_combine_give_run_replicates() -> None:
    from sim.model.runner import combine_replicates, run_replicate

    cfg = small(weeks=20)
    parts = [run_replicate(cfg, 5, i) for i in range(3)]
    res = combine_replicates(cfg, parts, 5)
    direct = sim.run_replicates(cfg, replicates=3, seed=5, workers=1)
    pdt.assert_frame_equal(res.timeseries, direct.timeseries)
    assert res.summary == direct.summary


# ------------------------------------------------------------------ saving
def _strict_json(text: str) -> Any:
    def bad(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=bad)


def test_results_save_single_run(tmp_path: Path) -> None:
    res = sim.run(small(weeks=30), seed=2)
    out = res.save(tmp_path / "run")
    assert out == tmp_path / "run"
    for name in ("timeseries.parquet", "summary.json", "config.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    summary = _strict_json((out / "summary.json").read_text())
    assert summary["strategies"]["relationship"]["revenue_total"] == pytest.approx(
        res.summary["strategies"]["relationship"]["revenue_total"])
    assert summary["seed"] == 2
    cfg = sim.Config.model_validate_json((out / "config.json").read_text())
    assert cfg == res.config
    back = pd.read_parquet(out / "timeseries.parquet")
    assert list(back.columns) == list(res.timeseries.columns)
    np.testing.assert_array_equal(back["revenue"].to_numpy(), res.timeseries["revenue"].to_numpy())


def test_results_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: a write that fails half-way leaves the previous file and no temporary one."""
    res = sim.run(small(weeks=10), seed=2)
    out = res.save(tmp_path / "run")
    before = {name: (out / name).read_bytes() for name in ("timeseries.parquet", "summary.json", "config.json")}

    def full_disk(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    with pytest.raises(OSError):
        sim.run(small(weeks=12), seed=3).save(out)
    assert {n: (out / n).read_bytes() for n in before} == before
    assert sorted(p.name for p in out.iterdir()) == sorted(before)   # no temporary file left behind


def test_results_save_replicates_strict_json(tmp_path: Path, replicates: sim.Results) -> None:
    out = replicates.save(tmp_path / "reps")
    summary = _strict_json((out / "summary.json").read_text())
    assert set(summary["strategies"]["numbers_game"]["revenue_total"]) >= {"mean", "low", "high"}
    assert len(pd.read_parquet(out / "timeseries.parquet")) == len(replicates.timeseries)


def test_results_save_handles_nan(tmp_path: Path) -> None:
    """A run with no reviews has NaN ratings: summary.json must still be standard JSON."""
    res = sim.run(small(weeks=10, **{"market.reviews": False}), seed=1)
    out = res.save(tmp_path / "nan")
    _strict_json((out / "summary.json").read_text())


# ------------------------------------------------------------------ run / summary
def test_run_accepts_name_and_overrides() -> None:
    res = sim.run("baseline", seed=1, market__customers=200, weeks=15)
    assert res.config.market.customers == 200 and res.config.weeks == 15
    assert res.timeseries["week"].max() == 15
    assert res.model is not None and res.model.customers.n == 200
    assert res.summary["weeks"] == 15


def test_summary_consistent_with_timeseries() -> None:
    res = sim.run(small(), seed=4)
    df, s = res.timeseries, res.summary
    assert s["incumbent"] == "numbers_game" and s["challenger"] == "relationship"
    for name in ("numbers_game", "relationship"):
        sub = df[df["strategy"] == name]
        n = sub["seller"].nunique()
        st_ = s["strategies"][name]
        assert st_["sellers"] == n
        assert st_["revenue_total"] == pytest.approx(sub["revenue"].sum() / n)
        assert st_["revenue_year1"] == pytest.approx(sub[sub["week"] <= 52]["revenue"].sum() / n)
        assert st_["funnel"]["sales"] == pytest.approx(sub["sales"].sum() / n)
        assert st_["referrals_total"] == pytest.approx(sub["referrals_received"].sum() / n)
        assert st_["revenue_discounted"] <= st_["revenue_total"] + 1e-9
    total_share = sum(s["strategies"][n]["market_share"] for n in ("numbers_game", "relationship"))
    assert total_share + s["outside_share"] == pytest.approx(1.0)      # the whole market
    assert sum(s["strategies"][n]["share_of_modelled_sales"] for n in ("numbers_game", "relationship")) == \
        pytest.approx(1.0)
    assert s["needs_outside"] == df.groupby("week")["market_needs_outside"].first().sum()
    a, b = s["strategies"]["numbers_game"], s["strategies"]["relationship"]
    if a["revenue_total"]:
        assert s["revenue_ratio"] == pytest.approx(b["revenue_total"] / a["revenue_total"])
    assert s["leader_final"] == ("relationship" if b["revenue_total"] > a["revenue_total"] else
                                 "numbers_game" if a["revenue_total"] > b["revenue_total"] else "none")
    assert s["leader_basis"] == "one run" and s["compared"] == ["relationship", "numbers_game"]
    assert s["crossover_week"] == crossover_week(df, "relationship", "numbers_game")


# ------------------------------------------------------------------ model_function
def test_model_function_returns_flat_dict() -> None:
    f = sim.model_function(small(weeks=30))
    out = f(seed=1)
    assert isinstance(out, dict)
    assert "relationship.revenue_total" in out and "numbers_game.revenue_total" in out
    assert isinstance(out["relationship.revenue_total"], float)
    ref = sim.run(small(weeks=30), seed=1).summary
    assert out["relationship.revenue_total"] == ref["strategies"]["relationship"]["revenue_total"]
    assert out == f(seed=1)


def test_model_function_params_and_outcomes() -> None:
    f = sim.model_function(small(weeks=30), outcomes=["relationship.revenue_total", "crossover_week"])
    out = f(seed=2, market__price=10.0)
    assert set(out) == {"relationship.revenue_total", "crossover_week"}
    ref = sim.run(small(weeks=30, **{"market.price": 10.0}), seed=2).summary
    assert out["relationship.revenue_total"] == pytest.approx(ref["strategies"]["relationship"]["revenue_total"])
    dotted = f(seed=2, **{"market.price": 10.0})
    assert dotted == out
    with pytest.raises(sim.ConfigError):
        f(seed=2, market__nonsense=1)


def test_flatten_summary() -> None:
    flat = sim.flatten_summary({"strategies": {"relationship": {"revenue_total": 1, "funnel": {"leads": 3}}},
                                "crossover_week": 5, "revenue_ratio": {"mean": 2}})
    assert flat == {"relationship.revenue_total": 1, "relationship.funnel.leads": 3,
                    "crossover_week": 5, "revenue_ratio.mean": 2}


# ------------------------------------------------------------------ crossover_week
def synthetic(inc: list[float], cha: list[float], first_week: int = 1, sellers_per: int = 1) -> pd.DataFrame:
    """Weekly table with cumulative revenue per seller; each strategy's sellers share the curve ± spread."""
    rows = []
    for k, (a, b) in enumerate(zip(inc, cha, strict=True)):
        for j in range(sellers_per):
            spread = (j - (sellers_per - 1) / 2) * 2.0   # sums to zero: the mean is the curve
            rows.append({"week": first_week + k, "seller": f"ng_{j}", "strategy": "numbers_game",
                         "revenue_cumulative": a + spread})
            rows.append({"week": first_week + k, "seller": f"rel_{j}", "strategy": "relationship",
                         "revenue_cumulative": b + spread})
    return pd.DataFrame(rows)


INC = [10.0 * w for w in range(1, 11)]   # weeks 1..10


@pytest.mark.parametrize("sellers_per", [1, 2, 3])
def test_crossover_at_week_5(sellers_per: int) -> None:
    cha = [0, 5, 15, 30, 60, 90, 120, 150, 180, 210]   # behind in weeks 1-4, ahead from week 5
    assert [c > i for c, i in zip(cha, INC, strict=True)].index(True) == 4
    df = synthetic(INC, cha, sellers_per=sellers_per)
    assert crossover_week(df, "relationship", "numbers_game") == 5


def test_crossover_never() -> None:
    cha = [5.0 * w for w in range(1, 11)]
    assert crossover_week(synthetic(INC, cha), "relationship", "numbers_game") is None


def test_crossover_ahead_from_start() -> None:
    cha = [20.0 * w for w in range(1, 11)]
    assert crossover_week(synthetic(INC, cha), "relationship", "numbers_game") == 1
    assert crossover_week(synthetic(INC, cha, first_week=3), "relationship", "numbers_game") == 3


def test_crossover_last_overtake_counts() -> None:
    # ahead early, behind in weeks 4-6, ahead again from week 7 on
    cha = [20, 30, 40, 35, 45, 55, 75, 90, 100, 120]
    assert crossover_week(synthetic(INC, cha), "relationship", "numbers_game") == 7


def test_crossover_lost_lead_is_never() -> None:
    cha = [20, 30, 40, 50, 60, 61, 62, 63, 64, 65]   # ahead first, behind at the horizon
    assert crossover_week(synthetic(INC, cha), "relationship", "numbers_game") is None


def test_crossover_tie_is_not_ahead() -> None:
    assert crossover_week(synthetic(INC, list(INC)), "relationship", "numbers_game") is None
    cha = list(INC[:-1]) + [INC[-1] + 1]
    assert crossover_week(synthetic(INC, cha), "relationship", "numbers_game") == 10


def test_crossover_missing_strategy() -> None:
    df = synthetic(INC, INC)
    assert crossover_week(df, "mix", "numbers_game") is None


def test_crossover_on_real_run_is_consistent() -> None:
    res = sim.run(small(), seed=5)
    week = res.summary["crossover_week"]
    curves = sim.strategy_curves(res.timeseries, "revenue_cumulative")
    ahead = curves["relationship"] > curves["numbers_game"]
    if week is None:
        assert not ahead.iloc[-1]
    else:
        assert ahead.loc[week:].all()
        assert week == curves.index[0] or not ahead.loc[week - 1]
    assert math.isfinite(res.summary["strategies"]["relationship"]["revenue_total"])
