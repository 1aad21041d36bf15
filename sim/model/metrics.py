"""What the model reports: weekly per-seller series and end-of-run summaries, kept apart.

Series names (the columns of the weekly table) are stable: notebooks, sweeps and files use them.
Summary numbers are small named functions of the weekly table.

Must not: change the model's state or draw random numbers; it only reads what the market counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .comparison import compared_pair, log_revenue_ratio, one_run_leader
from .funnel import MARKET_COUNTERS, WEEKLY_COUNTERS

if TYPE_CHECKING:
    from .market import Market

__all__ = ["Recorder", "SERIES", "summarize", "crossover_week", "strategy_curves", "FUNNEL_STAGES", "SALE_SOURCES",
           "ASK_COUNTERS", "compared_fields"]

STATE_SERIES: tuple[str, ...] = (
    "revenue", "mean_trust", "reviews_count", "mean_rating", "customers_retained",
    "hours_used", "market_share", "satisfaction",
)
MARKET_SERIES: tuple[str, ...] = tuple(f"market_{name}" for name in MARKET_COUNTERS)
"""Market-wide weekly counts (the same value on every seller's row of a week)."""
SERIES: tuple[str, ...] = STATE_SERIES + tuple(
    c for c in WEEKLY_COUNTERS if c not in ("experiences", "satisfaction_sum")) + MARKET_SERIES
FUNNEL_STAGES: tuple[str, ...] = ("leads", "prospects", "presentations", "sales")
SALE_SOURCES: tuple[str, ...] = ("new", "repeat", "referral", "inbound", "handoff")
"""Where sales come from (``sales_<source>`` series); they add up to ``sales``."""
ASK_COUNTERS: tuple[str, ...] = ("referral_asks", "asks_unanswered", "review_invitations", "reviews_negative",
                                 "reviews_solicited")
"""What asking for referrals and inviting reviews cost and bring (time per ask, annoyed buyers, bad reviews, the
reviews invitations brought: organic ones are ``reviews_new`` less those): run totals
per seller in the summary."""


RECORDED: tuple[str, ...] = WEEKLY_COUNTERS + STATE_SERIES
"""Every series the recorder keeps, in the order of the rows of its table (the counters first)."""
RUNNING: tuple[str, ...] = ("revenue", "sales", "referrals_received")
"""Series whose run totals are kept up to date every week (:meth:`Recorder.cumulative` in O(1))."""


class Recorder:
    """Preallocated (weeks x sellers) arrays, one per series; filled once a week.

    The arrays are views of one table, ``table[RECORDED.index(name)]``, which the compiled end of the
    week (:func:`sim.model.kernels.bookkeeping.end_week`) fills in place; ``data[name]`` is the view
    of one series, ``market[name]`` of one market-wide count, ``running[name]`` a run total.
    """

    def __init__(self, weeks: int, n_sellers: int) -> None:
        self.table = np.zeros((len(RECORDED), weeks, n_sellers))
        self.data = {name: self.table[i] for i, name in enumerate(RECORDED)}
        self.market_table = np.zeros((len(MARKET_COUNTERS), weeks))
        self.market = {name: self.market_table[i] for i, name in enumerate(MARKET_COUNTERS)}
        self.totals = np.zeros((len(RUNNING), n_sellers))
        self.running = {name: self.totals[i] for i, name in enumerate(RUNNING)}
        self.recorded = np.zeros(1, dtype=np.int64)   # weeks recorded (advanced by the compiled end of the week)
        self._cum: dict[str, np.ndarray] = {}
        self._cum_weeks = 0

    @property
    def weeks_recorded(self) -> int:
        """Weeks recorded so far."""
        return int(self.recorded[0])

    def cumulative(self, name: str) -> np.ndarray:
        """Total of a series so far, per seller."""
        if name in self.running:
            return self.running[name]
        if self._cum_weeks != self.weeks_recorded:
            self._cum.clear()
            self._cum_weeks = self.weeks_recorded
        if name not in self._cum:
            self._cum[name] = self.data[name][: self.weeks_recorded].sum(axis=0)
        return self._cum[name]

    def frame(self, model: Market) -> pd.DataFrame:
        """The tidy weekly table: one row per week x seller."""
        w, s = self.weeks_recorded, model.n_sellers
        cols: dict[str, Any] = {
            "week": np.repeat(np.arange(1, w + 1), s),
            "seller": np.tile([x.name for x in model.sellers], w),
            "strategy": np.tile([x.strategy_name for x in model.sellers], w),
        }
        for name in SERIES:
            if name in MARKET_SERIES:
                cols[name] = np.repeat(self.market[name.removeprefix("market_")][:w], s)
            else:
                cols[name] = self.data[name][:w].reshape(-1)
        df = pd.DataFrame(cols)
        df["seller"] = df["seller"].astype("category")
        df["strategy"] = df["strategy"].astype("category")
        g = df.groupby("seller", observed=True, sort=False)
        df["revenue_cumulative"] = g["revenue"].cumsum()
        weekly_rate = (1.0 + model.market.discount_rate) ** (1.0 / 52.0) - 1.0
        df["revenue_discounted"] = df["revenue"] / (1.0 + weekly_rate) ** df["week"]
        by_seller = df.groupby("seller", observed=True, sort=False)
        df["revenue_discounted_cumulative"] = by_seller["revenue_discounted"].cumsum()
        df["referrals_cumulative"] = g["referrals_received"].cumsum()
        return df


def strategy_curves(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per-seller mean of ``column`` by week and strategy (a week x strategy table)."""
    return df.pivot_table(index="week", columns="strategy", values=column, aggfunc="mean", observed=True)


def crossover_week(df: pd.DataFrame, challenger: str, incumbent: str) -> int | None:
    """Week from which the challenger's cumulative revenue (per seller) stays above the incumbent's.

    Returns ``None`` when the challenger is not ahead at the horizon ("never").
    """
    cum = strategy_curves(df, "revenue_cumulative")
    if challenger not in cum or incumbent not in cum:
        return None
    ahead = (cum[challenger] > cum[incumbent]).to_numpy()
    if not ahead[-1]:
        return None
    behind = np.flatnonzero(~ahead)
    return int(cum.index[behind[-1] + 1]) if len(behind) else int(cum.index[0])


class _SellerTotals:
    """Per-seller totals of one strategy's rows (up to week ``weeks``), the rows and the grouping found once.

    ``get(column)`` is ``float(sub.groupby("seller", observed=True)[column].sum().mean())``, the same
    computation column by column (so the same bits), without filtering the table and grouping it again for
    each of the summary's three dozen numbers.
    """

    def __init__(self, sub: pd.DataFrame, weeks: int | None = None) -> None:
        self._groups = (sub if weeks is None else sub[sub["week"] <= weeks]).groupby("seller", observed=True)

    def get(self, column: str) -> float:
        return float(self._groups[column].sum().mean())


def summarize(df: pd.DataFrame, market_price: float, order: list[str]) -> dict[str, Any]:
    """Headline numbers of one run, per strategy (per-seller means) and overall.

    Args:
        df: the weekly table.
        market_price: price of one sale.
        order: strategy names in config order. Ratios, the crossover and the leaders compare the pair of
            :func:`~sim.model.comparison.compared_pair` (``compared``: numerator, then denominator; the
            numerator is also called ``challenger``, the denominator ``incumbent``), whatever the order.
    """
    weeks = int(df["week"].max())
    last = df[df["week"] == weeks]
    all_sales = float(df["sales"].sum())
    weekly = df.groupby("week", sort=True)
    outside = float(weekly["market_needs_outside"].first().sum()) if "market_needs_outside" in df else 0.0
    resolved = all_sales + outside   # every need resolved: by a modelled seller or by the outside option
    strategies: dict[str, Any] = {}
    for name in order:
        sub_last = last[last["strategy"] == name]
        sub = df[df["strategy"] == name]
        total, year1 = _SellerTotals(sub).get, _SellerTotals(sub, 52).get
        sales = total("sales")
        repeat_or_referred = {src: total(f"sales_{src}")
                              for src in SALE_SOURCES}
        first_time = sales - repeat_or_referred["repeat"]
        revenue = total("revenue")
        hours = total("hours_used")
        returns, defections = total("returns"), total("defections")
        rating_n = float(sub_last["reviews_count"].sum())
        strategies[name] = {
            "sellers": int(sub_last["seller"].nunique()),
            "revenue_total": revenue,
            "revenue_year1": year1("revenue"),
            "revenue_discounted": total("revenue_discounted"),
            "referrals_total": total("referrals_received"),
            "handoffs_made": total("handoffs_made"),
            "handoffs_received": total("handoffs_received"),
            "funnel": {stage: total(stage) for stage in FUNNEL_STAGES},
            "funnel_year1": {stage: year1(stage) for stage in FUNNEL_STAGES},
            "sales_by_source": repeat_or_referred,
            "declined_poor_fit": total("declined_poor_fit"),
            "turned_away": total("turned_away"),
            "service_failures": total("service_failures"),
            "failures_fixed": total("failures_fixed"),
            **{key: total(key) for key in ASK_COUNTERS},
            "cold_calls": total("cold_calls"),
            "reviews_count": float(sub_last["reviews_count"].mean()),
            "mean_rating": (float((sub_last["mean_rating"] * sub_last["reviews_count"]).sum() / rating_n)
                            if rating_n else None),
            "mean_trust_final": float(sub_last["mean_trust"].mean()),
            "customers_retained_final": float(sub_last["customers_retained"].mean()),
            "loyalty": returns / (returns + defections) if returns + defections else None,
            "market_share": float(df[df["strategy"] == name]["sales"].sum() / resolved) if resolved else 0.0,
            "share_of_modelled_sales": float(df[df["strategy"] == name]["sales"].sum() / max(all_sales, 1)),
            "hours_used": hours,
            "revenue_per_hour": revenue / hours if hours else 0.0,
            "customer_lifetime_value": revenue / first_time if first_time else None,
        }
    out: dict[str, Any] = {"weeks": weeks, "price": market_price, "strategies": strategies,
                           "needs_outside": outside, "outside_share": outside / resolved if resolved else None,
                           "newcomers": (float(weekly["market_newcomers"].first().sum())
                                         if "market_newcomers" in df else 0.0)}
    out.update(compared_fields(strategies, order, market_price, lambda cha, inc: crossover_week(df, cha, inc)))
    return out


def compared_fields(strategies: dict[str, dict[str, Any]], order: list[str], price: float,
                    crossover: Any) -> dict[str, Any]:
    """The summary's comparison of one run, by name (relationship over numbers_game; {} without that pair).

    ``strategies`` are the per-strategy summaries, ``order`` their names, ``crossover(challenger,
    incumbent)`` gives the crossover week. Shared by :func:`summarize` and the sweep's array summary
    (:mod:`sim.experiments.summary`), so both word the comparison the same way.
    """
    pair = compared_pair(order)
    if pair is None:
        return {}
    cha, inc = pair
    a, b = strategies[inc], strategies[cha]
    out: dict[str, Any] = {"compared": [cha, inc], "incumbent": inc, "challenger": cha,
                           "crossover_week": crossover(cha, inc)}
    for key, metric in (("revenue_ratio", "revenue_total"), ("revenue_ratio_year1", "revenue_year1"),
                        ("referral_ratio", "referrals_total")):
        out[key] = b[metric] / a[metric] if a[metric] else None
    out["log_revenue_ratio"] = log_revenue_ratio(b["revenue_total"], a["revenue_total"], price)
    out["leader_year1"] = one_run_leader(cha, inc, b["revenue_year1"], a["revenue_year1"])
    out["leader_final"] = one_run_leader(cha, inc, b["revenue_total"], a["revenue_total"])
    out["leader_basis"] = "one run"
    return out
