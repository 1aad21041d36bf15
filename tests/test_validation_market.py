"""VALIDATION.md section 9, a credible default market: its figures, counted again from the weekly table.

Runs a tiny market (300 households, 40 or 60 weeks): each figure of
:func:`sim.validation.market.market_figures` is checked against a direct count from the run's
timeseries (and the outside share against the run's own summary), and the section must render with
the config's size, never a hard-coded one. Reported, not checked: its rows are info rows that the
results-at-a-glance count leaves out. The full-size section is compared with the committed report in
``tests/test_validation.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.validation import checks, report
from sim.validation.market import market_figures, market_section

pytestmark = pytest.mark.validation

TINY = {"market.customers": 300}


@pytest.fixture(scope="module")
def short_run() -> sim.Results:
    return sim.run(sim.load_scenario("baseline", weeks=40, updates=TINY), seed=sim.replicate_seed(42, 0))


@pytest.fixture(scope="module")
def long_run() -> sim.Results:
    return sim.run(sim.load_scenario("baseline", weeks=60, updates=TINY), seed=sim.replicate_seed(42, 1))


@pytest.fixture(scope="module")
def tiny() -> checks.CheckResult:
    return checks.check_market(None, replicates=3, updates={**TINY, "weeks": 40})


def _count(ts, strategy: str, column: str, weeks: range) -> float:
    """Total of ``column`` over the sellers of ``strategy`` in ``weeks``, row by row."""
    return sum(float(r[column]) for _, r in ts.iterrows() if r["strategy"] == strategy and r["week"] in weeks)


def test_figures_match_a_direct_count(short_run) -> None:
    ts, n, w = short_run.timeseries, 300, 40
    f = market_figures(ts, n, w)
    every = 0.0
    for strat in ("numbers_game", "relationship"):
        k = len({r["seller"] for _, r in ts.iterrows() if r["strategy"] == strat})
        assert k == 2 and f[(strat, "sellers")] == k
        contacts = sum(_count(ts, strat, c, range(1, w + 1)) for c in ("cold_calls", "keep_in_touch", "follow_ups"))
        every += contacts
        cold = _count(ts, strat, "cold_calls", range(1, w + 1))
        assert f[(strat, "contacts_per_household_year")] == pytest.approx(contacts / k / n / (w / 52))
        assert f[(strat, "cold_per_household_year")] == pytest.approx(cold / k / n / (w / 52))
        assert f[(strat, "cold_per_week")] == pytest.approx(cold / k / w)
        assert f[(strat, "sales_per_week")] == pytest.approx(_count(ts, strat, "sales", range(1, w + 1)) / k / w)
        assert f[(strat, "turned_away")] == pytest.approx(_count(ts, strat, "turned_away", range(1, w + 1)) / k)
        # a horizon shorter than a year: year one and the last year are the whole horizon
        assert f[(strat, "contacts_per_household_year1")] == pytest.approx(f[(strat, "contacts_per_household_year")])
        assert f[(strat, "sales_per_week_year1")] == pytest.approx(f[(strat, "sales_per_week")])
        assert f[(strat, "sales_per_week_last_year")] == pytest.approx(f[(strat, "sales_per_week")])
    assert f[("numbers_game", "cold_per_week")] > 0
    assert f[("market", "contacts_per_household_year_all")] == pytest.approx(every / n / (w / 52))
    assert f[("market", "outside_share")] == pytest.approx(short_run.summary["outside_share"])
    shares = f[("numbers_game", "share_all")] + f[("relationship", "share_all")] + f[("market", "outside_share")]
    assert shares == pytest.approx(1.0)


def test_year_one_and_last_year_are_52_weeks(long_run) -> None:
    ts, n, w = long_run.timeseries, 300, 60
    f = market_figures(ts, n, w)
    for strat in ("numbers_game", "relationship"):
        assert f[(strat, "sales_per_week_year1")] == pytest.approx(_count(ts, strat, "sales", range(1, 53)) / 2 / 52)
        assert f[(strat, "sales_per_week_last_year")] == pytest.approx(
            _count(ts, strat, "sales", range(w - 51, w + 1)) / 2 / 52)
        cold1 = _count(ts, strat, "cold_calls", range(1, 53))
        assert f[(strat, "cold_per_week_year1")] == pytest.approx(cold1 / 2 / 52)
    weekly = ts.groupby("week", observed=True)["market_needs_outside"].first()
    outside1 = float(weekly.loc[1:52].sum())
    sales1 = float(ts.loc[ts.week <= 52, "sales"].sum())
    assert f[("market", "outside_share_year1")] == pytest.approx(outside1 / (outside1 + sales1))
    needs = float(weekly.sum()) + float(ts.sales.sum())
    assert f[("market", "needs_per_household_year")] == pytest.approx(needs / n / (w / 52))


def test_section_renders_with_the_configs_size(tiny) -> None:
    text = report.render_section(tiny)
    assert text.startswith("<!-- section: market -->\n## 9. A credible default market")
    assert "| households (`market.customers`) | 300 | 300 |" in text
    assert "| horizon, weeks | 40 | 40 |" in text
    assert "in 300 households" in text and "3 replicates per scenario" in text
    assert "10,000" not in text and "520" not in text
    assert "536,800 insurance sales agents" in text and "129,870,928 households" in text
    assert "one agent per about 242 households" in text   # 129,870,928 / 536,800, computed
    assert "`two_cobblers`" in text and "essay's small town" in text
    assert market_section(tiny) in text


def test_reported_not_checked(tiny, monkeypatch) -> None:
    """Info rows only: the results-at-a-glance count does not include them; intervals never below zero."""
    assert tiny.rows and all(r.passed is None for r in tiny.rows)
    doc = report.render_report({"market": tiny})
    assert "## Results at a glance: 0 of 0 checks pass" in doc
    assert doc.count("| info |") == len(tiny.rows)
    for sc in tiny.data["scenarios"].values():
        for key, st in sc["stats"].items():
            assert st.n == 3, key
            assert math.isnan(st.mean) or st.low >= 0, (key, st)
    assert list(checks.CHECKS)[-1] == "market"
    monkeypatch.setitem(report.CHECKS, "market", lambda pool: tiny)
    logged: list[str] = []
    report.run_checks(None, ["market"], log=logged.append)
    assert logged and logged[0].split()[:2] == ["market", "info"]


def test_same_numbers_whatever_the_workers(tiny) -> None:
    with checks.Pool(2) as pool:
        parallel = checks.check_market(pool, replicates=3, updates={**TINY, "weeks": 40})
    assert report.render_section(parallel) == report.render_section(tiny)
    a = tiny.data["scenarios"]["baseline"]["stats"]
    b = parallel.data["scenarios"]["baseline"]["stats"]
    assert np.allclose([a[k].mean for k in a], [b[k].mean for k in a], equal_nan=True)
