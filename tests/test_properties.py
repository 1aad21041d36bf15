"""Property-based tests: any valid parameter set runs and keeps the model's invariants.

Values are drawn within each field's declared bounds (read from the pydantic field metadata), so
the tests follow the config schema as it changes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import sim
from sim.config import MarketConfig, validate_config
from sim.strategy import Strategy, interpolate

FUNNEL = ("leads", "prospects", "presentations", "sales")
SOURCES = ("sales_new", "sales_repeat", "sales_referral", "sales_inbound", "sales_handoff")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def field_strategy(model: type[BaseModel], name: str) -> st.SearchStrategy[Any]:
    """A hypothesis strategy for one field, honouring ge/gt/le/lt."""
    info = model.model_fields[name]
    if info.annotation is bool:
        return st.booleans()
    lo = hi = None
    lo_open = hi_open = False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            lo = meta.ge
        if getattr(meta, "gt", None) is not None:
            lo, lo_open = meta.gt, True
        if getattr(meta, "le", None) is not None:
            hi = meta.le
        if getattr(meta, "lt", None) is not None:
            hi, hi_open = meta.lt, True
    assert lo is not None and hi is not None, f"{model.__name__}.{name} has no bounds"
    if info.annotation is int:
        return st.integers(int(math.ceil(lo)) + lo_open, int(math.floor(hi)) - hi_open)
    assert info.annotation is float, (name, info.annotation)
    return st.floats(lo, hi, exclude_min=lo_open, exclude_max=hi_open, allow_nan=False, allow_infinity=False)


def model_fields(model: type[BaseModel], skip: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    names = [n for n, f in model.model_fields.items() if f.annotation in (int, float, bool) and n not in skip]
    return st.fixed_dictionaries({n: field_strategy(model, n) for n in names})


@st.composite
def configs(draw: st.DrawFn) -> sim.Config:
    market = draw(model_fields(MarketConfig, skip=("customers",)))
    market["customers"] = draw(st.integers(50, 300))
    kind = draw(st.sampled_from(["none", "small_world", "scale_free", "random"]))
    degree = draw(st.floats(0.0, 12.0))
    counts = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    return validate_config({
        "weeks": draw(st.integers(10, 40)),
        "seed": draw(st.integers(0, 2**32)),
        "market": market,
        "network": {"kind": kind, "mean_degree": degree, "rewire": draw(st.floats(0.0, 1.0))},
        "strategies": {"a": draw(model_fields(Strategy)), "b": draw(model_fields(Strategy))},
        "sellers": [{"strategy": "a", "count": counts[0]}, {"strategy": "b", "count": counts[1]}],
    })


def check_invariants(model: sim.Market, df: pd.DataFrame, trust_slack: float) -> None:
    cfg = model.config
    assert len(df) == cfg.weeks * cfg.n_sellers
    for col in ("revenue", "sales", "mean_trust", "hours_used", "leads"):
        assert not df[col].isna().any(), col
    trust = model.customers.trust.full()
    assert np.isfinite(trust).all()
    assert trust.min() >= -trust_slack and trust.max() <= 1.0 + trust_slack, (trust.min(), trust.max())
    assert df["mean_trust"].between(-trust_slack, 1.0 + trust_slack).all(), (
        df["mean_trust"].min(), df["mean_trust"].max())
    m = cfg.market
    assert (df["revenue"].to_numpy()
            == (df["sales"].to_numpy() - m.recovery_refund * df["failures_fixed"].to_numpy()) * m.price).all()
    assert (df[list(SOURCES)].sum(axis=1) == df["sales"]).all()
    cum = df.groupby("seller", observed=True)[list(FUNNEL)].cumsum()
    for upper, lower in zip(FUNNEL, FUNNEL[1:], strict=False):
        assert (cum[upper] >= cum[lower]).all(), (upper, lower)
    assert (df[list(FUNNEL)] >= 0).all().all()
    assert model.customers.n == cfg.market.customers
    assert df.groupby("week")["customers_retained"].sum().max() <= cfg.market.customers
    if cfg.market.turnover_per_year == 0:   # a fixed population: every purchase is still there
        assert model.customers.purchases.sum() == df["sales"].sum()
    else:                                   # leavers take their purchases with them
        assert model.customers.purchases.sum() <= df["sales"].sum()
    assert df.groupby("week")["customers_retained"].sum().iloc[-1] == (model.customers.purchases > 0).sum()
    if not cfg.market.recurring_needs and cfg.market.turnover_per_year == 0:
        assert model.customers.purchases.max() <= 1
    if not cfg.market.reviews:
        assert (df["reviews_count"] == 0).all()
    if cfg.network.kind == "none":
        assert df["referrals_received"].sum() == 0
    assert df["handoffs_received"].sum() == df["handoffs_made"].sum()


@SETTINGS
@given(cfg=configs())
def test_any_valid_config_runs_and_keeps_invariants(cfg: sim.Config) -> None:
    """All invariants, including trust strictly within [0, 1]."""
    model = sim.Market(cfg)
    model.run()
    check_invariants(model, model.recorder.frame(model), trust_slack=0.0)


@SETTINGS
@given(a=model_fields(Strategy), b=model_fields(Strategy), w=st.floats(0.0, 1.0))
def test_interpolated_strategy_is_valid_and_between(a: dict, b: dict, w: float) -> None:
    sa, sb = Strategy(**a), Strategy(**b)
    mix = interpolate(sa, sb, w)
    for knob, va in a.items():
        lo, hi = min(va, b[knob]), max(va, b[knob])
        assert lo - 1e-9 <= getattr(mix, knob) <= hi + 1e-9


@SETTINGS
@given(market=model_fields(MarketConfig))
def test_market_config_round_trips(market: dict) -> None:
    cfg = validate_config({"market": market})
    assert validate_config(cfg.model_dump()) == cfg
    assert sim.Config.model_validate_json(cfg.model_dump_json()) == cfg
