"""What a sweep keeps of each run: the headline metric, outcome names and the per-run rows.

Owns: :data:`ADVANTAGE` and :func:`log_revenue_advantage` (the one definition, also used by
:mod:`sim.validation`), the default and the known outcome names, and turning one run's summary
and weekly table into a results row and a series table under the seller groups' own names (a
swept preset group runs as a private copy, e.g. ``relationship_swept``; rows say
``relationship``).

Must not: choose design points, run the model for a sweep (only :func:`known_outcomes` probes one
week to list names) or write anything to disk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import Config
from ..model.comparison import log_revenue_ratio

__all__ = [
    "ADVANTAGE", "LABEL_OUTCOMES", "RESERVED_COLUMNS", "log_revenue_advantage", "default_outcomes",
    "known_outcomes", "outcome_row", "series_table", "unalias",
]

ADVANTAGE = "log_revenue_ratio"
"""Derived outcome kept by every sweep: ``log((challenger revenue + price) / (incumbent revenue + price))``
per seller over the horizon (one sale added on both sides so it is finite when a side sells nothing).
Positive = the challenger (second seller group, usually ``relationship``) earns more."""
LABEL_OUTCOMES = ("incumbent", "challenger", "leader_year1", "leader_final")
"""Outcomes that are strategy names (text columns), not numbers."""
RESERVED_COLUMNS = ("run", "point", "replicate", "seed")
"""The index columns of every results row; no factor may use these names."""


def log_revenue_advantage(incumbent_revenue: float, challenger_revenue: float, price: float) -> float:
    """The sweep outcome ``ADVANTAGE``: log((challenger + price) / (incumbent + price)), per seller.

    The same number as the summary's ``log_revenue_ratio`` (:func:`sim.model.comparison.log_revenue_ratio`).
    """
    return log_revenue_ratio(challenger_revenue, incumbent_revenue, price)


def default_outcomes(inc: str, cha: str) -> tuple[str, ...]:
    """The outcomes kept when a sweep file lists none (``inc``/``cha``: incumbent and challenger group)."""
    return (ADVANTAGE, "revenue_ratio", "revenue_ratio_year1", "crossover_week", "referral_ratio",
            "leader_year1", "leader_final", f"{inc}.revenue_total", f"{cha}.revenue_total",
            f"{inc}.mean_trust_final", f"{cha}.mean_trust_final", f"{inc}.loyalty", f"{cha}.loyalty")


def known_outcomes(base: Config) -> list[str]:
    """Every outcome a run of ``base`` reports (flattened summary names, plus :data:`ADVANTAGE`).

    Probes one week of a small market (the names depend on the seller groups, not on the size).
    """
    from ..config import ConfigError
    from ..model.runner import flatten_summary, run

    try:
        small = base.with_updates({"weeks": 1, "market.customers": min(base.market.customers, 500)})
    except ConfigError:
        small = base.with_updates({"weeks": 1})
    probe = run(small, seed=0)
    return [k for k in flatten_summary(probe.summary) if k != "seed"] + [ADVANTAGE]


def unalias(flat: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """Flattened summary with private strategy names (keys' first part, and values) put back to the groups'."""
    if not aliases:
        return flat
    out = {}
    for key, value in flat.items():
        head, dot, rest = key.partition(".")
        if dot and head in aliases:
            key = f"{aliases[head]}.{rest}"
        if isinstance(value, str) and value in aliases:
            value = aliases[value]
        out[key] = value
    return out


def _advantage(flat: dict[str, Any], inc: str, cha: str) -> float | None:
    a, b, price = flat.get(f"{inc}.revenue_total"), flat.get(f"{cha}.revenue_total"), flat.get("price")
    if a is None or b is None or not price:
        return None
    return log_revenue_advantage(a, b, price)


def _clean(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def outcome_row(summary: dict[str, Any], outcomes: Sequence[str], aliases: dict[str, str], incumbent: str,
                challenger: str) -> dict[str, Any]:
    """The kept outcomes of one run (``Results.summary``), as plain Python values (NaN and inf -> None).

    Args:
        summary: the run's summary.
        outcomes: names to keep, in column order (a name the run does not report gives None).
        aliases: private strategy name -> group name (see :func:`unalias`).
        incumbent: first seller group (denominator of :data:`ADVANTAGE`).
        challenger: second seller group.
    """
    from ..model.runner import flatten_summary

    flat = unalias(flatten_summary(summary), aliases)
    flat[ADVANTAGE] = _advantage(flat, incumbent, challenger)
    return {o: _clean(flat.get(o)) for o in outcomes}


def series_table(timeseries: Any, run: int, point: int, replicate: int, aliases: dict[str, str]) -> Any:
    """One run's weekly table with ``run``, ``point``, ``replicate`` in front and group names restored."""
    df = timeseries.copy()
    strategy = df["strategy"].astype(str)
    seller = df["seller"].astype(str)
    for alias, group in aliases.items():
        seller = seller.str.replace(f"^{re.escape(alias)}_", f"{group}_", regex=True)
        strategy = strategy.replace(alias, group)
    df["strategy"], df["seller"] = strategy, seller
    df.insert(0, "replicate", replicate)
    df.insert(0, "point", point)
    df.insert(0, "run", run)
    for col in df.columns:
        if col in ("run", "point", "replicate", "week"):
            df[col] = df[col].astype("int64")
        elif col not in ("seller", "strategy"):
            df[col] = df[col].astype("float64")
    return df
