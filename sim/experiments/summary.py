"""A finished run's summary read straight from the model's weekly arrays, without pandas.

A sweep keeps a row of summary numbers per run. Building the weekly table and summarising it in
pandas (:func:`sim.model.metrics.summarize`) cost about 55 ms of a baseline run's 230 ms of CPU,
most of it pandas' per-call overhead on tables of a few thousand rows; :func:`array_summary`
computes the same dictionary from :class:`~sim.model.metrics.Recorder`'s (weeks x sellers)
arrays in about 2 ms. It does the same arithmetic as pandas 3.1, so the numbers are identical to
the last bit: a grouped sum over one seller's rows is ``np.add.reduceat`` (pandas' path for
sorted group numbers), over several sellers' interleaved rows a Kahan-compensated sum in week
order (its Cython path), cumulative sums are Kahan-compensated, means over sellers add in the
order pandas does (sellers sorted by name for grouped results, config order otherwise), and every
ratio is formed as there. ``tests/test_sweep_rows.py`` compares the two on every shipped
scenario, several seeds, short horizons, several sellers per group in any order and renamed
(swept) groups: a change to ``summarize`` (or to pandas' summation) not mirrored here fails there.

Owns: :func:`array_summary`.

Must not: change the model, draw random numbers, or define a summary number of its own (every key
and its meaning are :func:`sim.model.metrics.summarize`'s).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import metrics
from ..model.funnel import WEEKLY_COUNTERS
from ..model.metrics import FUNNEL_STAGES, SALE_SOURCES

__all__ = ["array_summary"]

_COSTS = (*getattr(metrics, "ASK_COUNTERS", ()), *(("cold_calls",) if "cold_calls" in WEEKLY_COUNTERS else ()))
"""Run totals per seller that ``summarize`` lists after ``failures_fixed`` (the asking costs and
cold calls, on models that count them)."""
_TOTALS = ("revenue", "revenue_discounted", "referrals_received", "handoffs_made", "handoffs_received",
           *FUNNEL_STAGES, *(f"sales_{src}" for src in SALE_SOURCES), "declined_poor_fit", "turned_away",
           "service_failures", "failures_fixed", *_COSTS, "hours_used", "returns", "defections")
"""Series summed per seller over the horizon (and over year 1)."""


def _kahan(values: np.ndarray, stops: tuple[int, ...] = ()) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Column sums of ``values`` added row by row with Kahan compensation (pandas' Cython grouped sum).

    Returns:
        The sums over every row, and the running sums after each row count in ``stops``.
    """
    total = np.zeros(values.shape[1])
    comp = np.zeros(values.shape[1])
    early: dict[int, np.ndarray] = {}
    for i, row in enumerate(values):
        y = row - comp
        t = total + y
        comp = (t - total) - y
        comp[comp != comp] = 0.0   # an infinite value: pandas resets the compensation
        total = t
        if i + 1 in stops:
            early[i + 1] = total
    return total, early


def _grouped_sums(values: np.ndarray, codes: np.ndarray, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-column sums of a (weeks x columns) block as ``groupby(column).sum()`` of its rows gives them.

    Rows of the weekly table run week by week, columns (sellers) in config order; ``codes`` are the
    columns' group numbers. pandas adds with ``np.add.reduceat`` when the rows' group numbers never
    go down (one column) and with Kahan-compensated loops otherwise.

    Returns:
        Sums over all rows and over the first ``stop`` rows, one per column.
    """
    if len(codes) == 1 and not np.isnan(values).any():   # (with one row any order gives the same sums)
        col = np.ascontiguousarray(values[:, 0])
        return np.add.reduceat(col, [0]), np.add.reduceat(col[:stop], [0])
    total, early = _kahan(values, (stop,))
    return total, early.get(stop, total)


def _grouped_mean_by_week(values: np.ndarray, cols: np.ndarray, monotonic: bool) -> np.ndarray:
    """Mean over ``cols`` of each row (week), as ``pivot_table(aggfunc="mean")`` gives it.

    With monotonic group numbers pandas adds each week's segment with ``np.add.reduceat``; otherwise
    it adds the columns in order with Kahan compensation. Either way it divides by the count.
    """
    sub = values[:, cols]
    if monotonic and not np.isnan(sub).any():
        flat = np.ascontiguousarray(sub).reshape(-1)
        return np.add.reduceat(flat, np.arange(0, flat.size, len(cols))) / float(len(cols))
    total = np.zeros(sub.shape[0])
    comp = np.zeros(sub.shape[0])
    for j in range(sub.shape[1]):
        y = sub[:, j] - comp
        t = total + y
        comp = (t - total) - y
        comp[comp != comp] = 0.0
        total = t
    return total / sub.shape[1]


def _kahan_cumsum(values: np.ndarray) -> np.ndarray:
    """Column-wise running sums with Kahan compensation (pandas' grouped ``cumsum``)."""
    out = np.empty_like(values)
    total = np.zeros(values.shape[1])
    comp = np.zeros(values.shape[1])
    for i, row in enumerate(values):
        y = row - comp
        t = total + y
        comp = (t - total) - y
        total = t
        out[i] = total
    return out


def _nanmean(values: np.ndarray) -> float:
    """``Series.mean()``: NaN skipped (the sum with NaN as 0, over the count of the others)."""
    ok = values == values
    count = int(ok.sum())
    return float(np.where(ok, values, 0.0).sum() / count) if count else float("nan")


def array_summary(model: Any) -> dict[str, Any]:
    """The summary of a finished run, as ``summarize(model.recorder.frame(model), price, order)`` gives it.

    Args:
        model: a :class:`~sim.model.market.Market` that has run (at least one week recorded).

    Returns:
        The same dictionary (keys, order, values and their Python types) as
        :func:`sim.model.metrics.summarize`; the caller adds ``seed`` as :func:`sim.run` does.
    """
    rec = model.recorder
    w = int(rec.weeks_recorded)
    price = model.market.price
    order = [g.strategy for g in model.config.sellers]
    names = [s.name for s in model.sellers]
    kinds = np.array([s.strategy_name for s in model.sellers])
    data = {k: v[:w] for k, v in rec.data.items()}
    weekly_rate = (1.0 + model.market.discount_rate) ** (1.0 / 52.0) - 1.0
    data["revenue_discounted"] = data["revenue"] / (1.0 + weekly_rate) ** np.arange(1, w + 1)[:, None]
    code = {x: i for i, x in enumerate(sorted(set(names)))}   # the seller column's categories: sorted
    all_sales = float(data["sales"].reshape(-1).sum())
    outside = float(rec.market["needs_outside"][:w].sum())
    resolved = all_sales + outside
    strategies: dict[str, Any] = {}
    for name in order:
        cols = np.flatnonzero(kinds == name)                     # config (row) order
        codes = np.array([code[names[i]] for i in cols])
        by_name = np.argsort(codes, kind="stable")               # grouped results come in sorted names
        block = np.concatenate([data[k][:, cols] for k in _TOTALS], axis=1)
        k = len(cols)
        if k == 1:
            sums = {key: _grouped_sums(block[:, i:i + 1], codes, 52) for i, key in enumerate(_TOTALS)}
        else:
            total_all, year1_all = _grouped_sums(block, np.tile(codes, len(_TOTALS)), 52)
            sums = {key: (total_all[i * k:(i + 1) * k], year1_all[i * k:(i + 1) * k])
                    for i, key in enumerate(_TOTALS)}

        def per_seller(series: str, first_year: bool = False, sums: dict = sums, by_name: np.ndarray = by_name,
                       ) -> float:
            return float(sums[series][1 if first_year else 0][by_name].sum() / len(by_name))

        last = {k: data[k][w - 1, cols] for k in ("reviews_count", "mean_rating", "mean_trust", "customers_retained")}
        sales = per_seller("sales")
        by_source = {src: per_seller(f"sales_{src}") for src in SALE_SOURCES}
        first_time = sales - by_source["repeat"]
        revenue, hours = per_seller("revenue"), per_seller("hours_used")
        returns, defections = per_seller("returns"), per_seller("defections")
        counts = last["reviews_count"]
        rating_n = float(np.where(counts == counts, counts, 0.0).sum())
        weighted = last["mean_rating"] * counts
        own_sales = data["sales"][:, cols].reshape(-1).sum()
        strategies[name] = {
            "sellers": len(cols),
            "revenue_total": revenue,
            "revenue_year1": per_seller("revenue", True),
            "revenue_discounted": per_seller("revenue_discounted"),
            "referrals_total": per_seller("referrals_received"),
            "handoffs_made": per_seller("handoffs_made"),
            "handoffs_received": per_seller("handoffs_received"),
            "funnel": {stage: per_seller(stage) for stage in FUNNEL_STAGES},
            "funnel_year1": {stage: per_seller(stage, True) for stage in FUNNEL_STAGES},
            "sales_by_source": by_source,
            "declined_poor_fit": per_seller("declined_poor_fit"),
            "turned_away": per_seller("turned_away"),
            "service_failures": per_seller("service_failures"),
            "failures_fixed": per_seller("failures_fixed"),
            **{key: per_seller(key) for key in _COSTS},
            "reviews_count": _nanmean(counts),
            "mean_rating": (float(np.where(weighted == weighted, weighted, 0.0).sum() / rating_n)
                            if rating_n else None),
            "mean_trust_final": _nanmean(last["mean_trust"]),
            "customers_retained_final": _nanmean(last["customers_retained"]),
            "loyalty": returns / (returns + defections) if returns + defections else None,
            "market_share": float(own_sales / resolved) if resolved else 0.0,
            "share_of_modelled_sales": float(own_sales / max(all_sales, 1)),
            "hours_used": hours,
            "revenue_per_hour": revenue / hours if hours else 0.0,
            "customer_lifetime_value": revenue / first_time if first_time else None,
        }
    out: dict[str, Any] = {"weeks": w, "price": price, "strategies": strategies,
                           "needs_outside": outside, "outside_share": outside / resolved if resolved else None,
                           "newcomers": float(rec.market["newcomers"][:w].sum())}
    out.update(metrics.compared_fields(strategies, order, price,
                                       lambda cha, inc: _crossover_week(data["revenue"], kinds, cha, inc)))
    return out


def _crossover_week(revenue: np.ndarray, kinds: np.ndarray, challenger: str, incumbent: str) -> int | None:
    """:func:`sim.model.metrics.crossover_week` on the arrays: per-seller mean cumulative revenue by week."""
    cum = _kahan_cumsum(revenue)
    a, b = np.flatnonzero(kinds == challenger), np.flatnonzero(kinds == incumbent)
    if not len(a) or not len(b):
        return None
    strategy_code = {x: i for i, x in enumerate(sorted(set(kinds.tolist())))}
    codes = np.array([strategy_code[x] for x in kinds.tolist()])
    monotonic = bool(np.all(np.diff(codes) >= 0))   # (week, strategy) group numbers along the rows
    ahead = _grouped_mean_by_week(cum, a, monotonic) > _grouped_mean_by_week(cum, b, monotonic)
    if not ahead[-1]:
        return None
    behind = np.flatnonzero(~ahead)
    return int(behind[-1] + 2) if len(behind) else 1
