"""Calibration against the essays' figures (MODEL.md, 'Validity checks').

Slow-ish (default market size); marked ``validation`` so they can be selected or skipped with
``-m validation`` / ``-m "not validation"``.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim

pytestmark = pytest.mark.validation

SEEDS = (1, 2, 3, 4, 5)
TOLERANCE = 0.25
FUNNEL = ("leads", "prospects", "presentations", "sales")


@pytest.fixture(scope="module")
def first_year_funnels() -> list[dict[str, float]]:
    """Numbers-game funnel (summed over its sellers), weeks 1..52, default baseline, one per seed."""
    cfg = sim.load_scenario("baseline")
    assert cfg.market.customers == 10_000   # the default market the target refers to
    out = []
    for seed in SEEDS:
        model = sim.Market(cfg, rng=seed)
        model.run(52)
        df = model.recorder.frame(model)
        df = df[(df["week"] <= 52) & (df["strategy"] == "numbers_game")]
        assert df["seller"].nunique() == sum(g.count for g in cfg.sellers if g.strategy == "numbers_game")
        out.append({stage: float(df[stage].sum()) for stage in FUNNEL})
    return out


def _mean_ratio(funnels: list[dict[str, float]], num: str, den: str) -> float:
    return float(np.mean([f[num] / f[den] for f in funnels]))


@pytest.mark.parametrize(
    "num, den, target",
    [("prospects", "leads", 20 / 100), ("presentations", "prospects", 3 / 20), ("sales", "presentations", 1 / 3)],
    ids=["lead_to_prospect", "prospect_to_presentation", "presentation_to_sale"],
)
def test_numbers_game_first_year_funnel(first_year_funnels, num: str, den: str, target: float) -> None:
    """100 leads -> 20 prospects -> 3 presentations -> 1 sale [003], each ratio within +-25%."""
    ratio = _mean_ratio(first_year_funnels, num, den)
    assert target * (1 - TOLERANCE) <= ratio <= target * (1 + TOLERANCE), (num, den, ratio, target)


def test_numbers_game_first_year_overall_conversion(first_year_funnels) -> None:
    """Consequence of the three ratios: about 1 sale per 100 leads (the product of the tolerances)."""
    ratio = _mean_ratio(first_year_funnels, "sales", "leads")
    assert 0.01 * 0.75**3 <= ratio <= 0.01 * 1.25**3, ratio


def test_summary_year1_funnel_agrees() -> None:
    """The summary's funnel_year1 is the same first-year funnel (per-seller mean)."""
    cfg = sim.load_scenario("baseline", weeks=60)
    res = sim.run(cfg, seed=SEEDS[0])
    df = res.timeseries
    ng = df[(df["week"] <= 52) & (df["strategy"] == "numbers_game")]
    n_sellers = ng["seller"].nunique()
    for stage in FUNNEL:
        assert res.summary["strategies"]["numbers_game"]["funnel_year1"][stage] == pytest.approx(
            ng[stage].sum() / n_sellers)


def test_review_readers_share() -> None:
    """76% of customers look at reviews before choosing [002]."""
    cfg = sim.load_scenario("baseline", updates={"market.customers": 20_000})
    model = sim.Market(cfg, rng=123)
    share = float(model.customers.reads_reviews.mean())
    assert abs(share - 0.76) <= 0.02, share
    assert model.customers.reads_reviews.dtype == bool


def test_review_readers_follow_setting() -> None:
    cfg = sim.load_scenario("baseline", updates={"market.customers": 20_000, "market.review_readers": 0.3})
    share = float(sim.Market(cfg, rng=5).customers.reads_reviews.mean())
    assert abs(share - 0.3) <= 0.02, share
