"""Rules of the compiled phases seen week by week in a running market: counters agree with each other.

Every week, for every seller: sales split exactly into their sources; the funnel narrows (leads >=
prospects >= presentations >= sales, except the loyal direct sales of the lifetime-value limit);
last week's sales are this week's experiences (Bass diffusion's sales, made before the
after-sales phase, the same week); hand-offs made equal hand-offs received; returns are
repeat sales; asks, invitations and cold calls stay within what they count from; each customer buys at
most once; the books hold exactly the customers who bought
(leavers leave the books, newcomers arrive with none).
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config import validate_config

SOURCES = ("sales_new", "sales_repeat", "sales_referral", "sales_inbound", "sales_handoff")

CASES = {
    "baseline": {},
    "handoffs": {"strategies": {"picky": {"preset": "relationship", "fit_threshold": 0.6}}},
    "bass": {"market.outside_influence": 0.01, "market.imitation": 0.1, "market.outbound_contact": False},
    "lifetime_value": {"market.repeat_probability": 0.6},
    "no_reviews_no_network": {"market.reviews": False, "network.kind": "none"},
}


def build(case: str) -> sim.Market:
    updates = dict(CASES[case])
    strategies = updates.pop("strategies", None)
    cfg = sim.load_scenario("baseline", weeks=80, updates={"market.customers": 400, **updates})
    if strategies:
        data = cfg.model_dump()
        data["strategies"] = strategies
        data["sellers"] = [{"strategy": "numbers_game", "count": 2}, {"strategy": "picky", "count": 3}]
        cfg = validate_config(data)
    return sim.Market(cfg, rng=12)


@pytest.fixture(scope="module", params=list(CASES))
def weeks(request: pytest.FixtureRequest) -> tuple[str, sim.Market, list[dict[str, np.ndarray]]]:
    """Run one case week by week, keeping each week's counters and customer purchases."""
    model = build(request.param)
    out = []
    for _ in range(model.config.weeks):
        bought_before = model.customers.purchases.copy()
        skepticism_before = model.customers.skepticism.copy()
        model.step()
        week = {name: model.counters[name].copy() for name in model.counters.values}
        moved = model.customers.skepticism != skepticism_before   # newcomers in a leaver's place (fresh draw)
        week["moved"] = int(np.count_nonzero(moved))
        week["newcomers"] = model.market_counts["newcomers"]
        week["bought"] = model.customers.purchases - np.where(moved, 0, bought_before)
        week["book"] = model.book.copy()
        week["customers_with_a_seller"] = int(np.count_nonzero(model.customers.last_seller >= 0))
        out.append(week)
    return request.param, model, out


def test_sales_split_exactly_into_sources(weeks) -> None:
    _, _, ws = weeks
    for w in ws:
        np.testing.assert_array_equal(w["sales"], sum(w[src] for src in SOURCES))
    assert sum(w["sales"].sum() for w in ws) > 0


def test_funnel_narrows_every_week(weeks) -> None:
    case, _, ws = weeks
    for w in ws:
        assert np.all(w["leads"] >= w["prospects"]) and np.all(w["prospects"] >= w["presentations"])
        assert np.all(w["cold_calls"] <= w["leads"])
        if case != "lifetime_value":      # loyal repeat buyers buy without a presentation there
            assert np.all(w["presentations"] >= w["sales"])


def test_last_weeks_sales_are_this_weeks_experiences(weeks) -> None:
    case, _, ws = weeks
    for prev, w in zip(ws, ws[1:], strict=False):
        if case != "bass":   # diffusion sales come before the after-sales phase: served the same week
            np.testing.assert_array_equal(w["experiences"], prev["sales"])
        assert np.all(w["follow_ups"] <= w["experiences"]) and np.all(w["reviews_new"] <= w["experiences"])
        assert np.all(w["failures_fixed"] <= w["service_failures"])
        assert np.all(w["referral_asks"] <= w["experiences"]) and np.all(w["review_invitations"] <= w["experiences"])
        assert np.all(w["asks_unanswered"] <= w["referral_asks"])
        assert np.all(w["reviews_negative"] <= w["reviews_new"])
        assert np.all(w["service_failures"] <= w["experiences"])
    assert sum(w["experiences"].sum() for w in ws) <= sum(w["sales"].sum() for w in ws)


def test_hand_offs_balance_and_follow_declines(weeks) -> None:
    case, _, ws = weeks
    for w in ws:
        assert w["handoffs_made"].sum() == w["handoffs_received"].sum()
        assert np.all(w["handoffs_made"] <= w["declined_poor_fit"])
    if case == "handoffs":
        assert sum(w["handoffs_made"].sum() for w in ws) > 0


def test_returns_are_repeat_sales_and_switches_are_counted_once(weeks) -> None:
    _, _, ws = weeks
    for w in ws:
        assert np.all(w["returns"] <= w["sales_repeat"])
        assert w["returns"].sum() + w["defections"].sum() <= w["sales"].sum()


def test_one_sale_per_customer_per_week_and_books_balance(weeks) -> None:
    case, _, ws = weeks
    for w in ws:
        assert w["moved"] == w["newcomers"]
        assert w["bought"].max() <= 1
        if case == "bass":   # diffusion sales come before the turnover: a buyer may leave the same week
            assert w["bought"].sum() <= w["sales"].sum() <= w["bought"].sum() + w["moved"]
        else:
            assert w["bought"].sum() == w["sales"].sum()
        assert w["book"].sum() == w["customers_with_a_seller"]
    assert sum(w["newcomers"] for w in ws) > 0   # the default yearly turnover
