"""Mechanism attribution: how much of the log revenue advantage each mechanism group carries.

Each group in :data:`MECHANISMS` is a switch: market settings and strategy knobs (set for *every*
seller, so the comparison stays fair) that turn one mechanism off. The value of a set ``S`` of groups
switched **on** (the others off) is the long-run log revenue advantage of relationship over numbers
game (:func:`sim.experiments.outcomes.log_revenue_advantage`, per seller). Exact Shapley values over
the ``2^k`` subsets split ``v(all on) - v(all off)`` among the groups; the **remainder** ``v(all off)``
is what the strategies' other differences (time split, contact length, genuine interest, follow-ups)
give with every group off, so the groups' shares plus the remainder add up to the total ``v(all on)``.

Every subset runs with the same replicate seeds (common random numbers), so differences between
subsets are the mechanisms', not luck's. Shapley values are computed per replicate, then averaged
(shares add up exactly) with a 95% t-interval over replicates; over an ensemble, per member (each
with the same seeds), averaged with the members' weights and with the 5-95% range over members.

Owns: :data:`MECHANISMS` (the groups, as data), :func:`shapley`, :func:`explain` (numbers only:
``attribution.json``'s ``sentence`` is :func:`sim.narrate.evidence.attribution_sentence`'s). Must not:
draw, print or word a result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config, MarketConfig
from ..errors import ConfigError
from ..narrate.evidence import attribution_sentence
from ..strategy import STRATEGY_KNOBS
from .jobs import JobStore, default_chunk, run_jobs
from .markets import compared_names, headline_task, own_market_settings, switched_off, with_market
from .stats import mean_interval, weighted_quantile

__all__ = ["Mechanism", "MECHANISMS", "MAX_GROUPS", "check_mechanisms", "subset_config", "shapley", "explain",
           "mechanism_names"]

MAX_GROUPS = 10
"""Most groups attributed at once (exact Shapley needs 2^k runs per replicate: 1,024 at k = 10)."""


@dataclass(frozen=True)
class Mechanism:
    """A mechanism group and the switch that turns it off."""

    name: str
    label: str
    off: str
    market: Mapping[str, Any] = field(default_factory=dict)
    knobs: Mapping[str, Any] = field(default_factory=dict)


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism("repeat_business", "repeat business", "needs do not come back (one purchase per customer)",
              {"recurring_needs": False}),
    Mechanism("referrals", "referrals", "no friend becomes a referral, asked or not",
              {"referral_rate": 0.0, "referral_ask_lift": 0.0}),
    Mechanism("word_of_mouth", "word of mouth", "friends' stories do not move trust", {"wom_weight": 0.0}),
    Mechanism("reviews", "reviews", "no public reviews", {"reviews": False}),
    Mechanism("pressure", "pressure effects", "pressure neither lifts closes nor costs trust or satisfaction",
              {"pressure_close_lift": 0.0, "pressure_trust_cost": 0.0, "pressure_regret": 0.0}),
    Mechanism("honesty_fit", "honesty about fit", "no seller declines a poor fit; declining earns no trust",
              {"honesty_gain": 0.0}, {"fit_threshold": 0.0}),
    Mechanism("service_recovery", "service recovery", "no seller owns a failure; a fix adds nothing",
              {"recovery_bonus": 0.0}, {"owns_failures": 0.0}),
    Mechanism("customer_log", "customer log", "a log makes follow-ups count no more", {"log_bonus": 0.0}),
    Mechanism("pitch_fatigue", "pitch fatigue", "being pitched again too soon costs no trust", {"fatigue_cost": 0.0}),
)
"""The mechanism groups, in display order. Inbound customers ('mind share') have no switch of their own
in the model: they are part of the remainder."""


def check_mechanisms(mechanisms: Sequence[Mechanism] = MECHANISMS) -> None:
    """Raise ConfigError if a group names a setting or knob that does not exist, or two groups share one."""
    seen: dict[str, str] = {}
    for m in mechanisms:
        for key in m.market:
            if key not in MarketConfig.model_fields:
                raise ConfigError(f"mechanism {m.name}: market setting {key!r} does not exist")
        for key in m.knobs:
            if key not in STRATEGY_KNOBS:
                raise ConfigError(f"mechanism {m.name}: strategy knob {key!r} does not exist")
        for key in [f"market.{k}" for k in m.market] + [f"knob.{k}" for k in m.knobs]:
            if key in seen:
                raise ConfigError(f"mechanisms {seen[key]} and {m.name} both switch {key}")
            seen[key] = m.name


def mechanism_names() -> list[str]:
    """Names of the shipped groups."""
    return [m.name for m in MECHANISMS]


def select(names: Sequence[str] | None) -> tuple[Mechanism, ...]:
    """The groups named (all when None), in :data:`MECHANISMS` order."""
    if not names:
        return MECHANISMS
    known = {m.name: m for m in MECHANISMS}
    bad = [n for n in names if n not in known]
    if bad:
        raise ConfigError(f"--groups: unknown group {bad[0]!r}; allowed: {', '.join(known)}")
    return tuple(m for m in MECHANISMS if m.name in set(names))


def subset_config(cfg: Config, on: int, mechanisms: Sequence[Mechanism]) -> tuple[Config, dict[str, str]]:
    """``cfg`` with every group whose bit is not set in ``on`` switched off (bit i = ``mechanisms[i]`` on)."""
    market: dict[str, Any] = {}
    knobs: dict[str, Any] = {}
    for i, m in enumerate(mechanisms):
        if not on >> i & 1:
            market.update(m.market)
            knobs.update(m.knobs)
    if not market and not knobs:
        return cfg, {}
    return switched_off(cfg, market, knobs)


def shapley(values: Sequence[float], k: int) -> list[float]:
    """Exact Shapley values of ``k`` players from ``values[mask]`` (bit i of ``mask`` = player i in the coalition).

    The values add up to ``values[2**k - 1] - values[0]``; with one player it is that difference.
    """
    if len(values) != 2**k:
        raise ValueError(f"need 2**{k} = {2**k} coalition values, got {len(values)}")
    fact = [math.factorial(i) for i in range(k + 1)]
    phi = [0.0] * k
    for mask in range(2**k):
        size = bin(mask).count("1")
        for i in range(k):
            if not mask >> i & 1:
                weight = fact[size] * fact[k - size - 1] / fact[k]
                phi[i] += weight * (values[mask | 1 << i] - values[mask])
    return phi


def _seed(cfg: Config, r: int) -> int:
    from ..model.runner import replicate_seed

    return replicate_seed(cfg.seed, r)


def explain(cfg: Config, out: str | Path, *, replicates: int = 3, groups: Sequence[str] | None = None,
            ensemble: Any = None, members: int | None = None, workers: int = 1, scheduler: str | None = None,
            progress: bool = True) -> dict[str, Any]:
    """Attribute the scenario's log revenue advantage to the mechanism groups; write ``attribution.json``.

    Args:
        cfg: the scenario.
        out: folder (resumable); ``attribution.json`` goes here.
        replicates: replicate seeds per market (the same for every subset).
        groups: group names to attribute (default: all of :data:`MECHANISMS`); the others stay on.
        ensemble: an :class:`~sim.calibration.ensemble.EnsembleFile`: attribute over its members instead
            of the scenario's own constants.
        members: with ``ensemble``, this many members spread over the file (default 8).
        workers: local worker processes (1 = in this process).
        scheduler: a Dask scheduler address, or ``"local"``.
        progress: progress bar on stderr.

    Returns:
        The content of ``attribution.json``.
    """
    import json

    from .. import __version__
    from ..atomic import write_text

    mechs = select(groups)
    check_mechanisms(mechs)
    k = len(mechs)
    if k > MAX_GROUPS:
        raise ConfigError(f"--groups: {k} groups need 2^{k} runs per replicate; at most {MAX_GROUPS}")
    if not 1 <= replicates <= 100:
        raise ConfigError(f"--replicates = {replicates}: must be 1..100")
    pair = compared_names(cfg)
    if ensemble is None:
        markets = [("single", cfg, 1.0)]
    else:
        keep = own_market_settings(cfg)
        markets = [(f"m{m.id}", with_market(cfg, m.market, keep), m.weight) for m in ensemble.selected(members or 8)]
    identity = {"kind": "attribution", "sim_version": __version__, "scenario": cfg.model_dump(mode="json"),
                "replicates": replicates, "groups": [m.name for m in mechs],
                "markets": [[label, mcfg.market.model_dump(mode="json")] for label, mcfg, _ in markets]}
    jobs = []
    for label, mcfg, _ in markets:
        for mask in range(2**k):
            scfg, aliases = subset_config(mcfg, mask, mechs)
            jobs += [(f"{label}-s{mask:04d}-r{r}", (scfg, _seed(cfg, r), pair, aliases)) for r in range(replicates)]
    results = run_jobs(headline_task, jobs, JobStore(out, identity, "attribution"), workers=workers,
                       scheduler=scheduler, chunk=default_chunk(cfg.weeks), desc=f"explain {cfg.name}",
                       progress=progress)
    rows = []   # one per (market, replicate): total, remainder, phi
    for label, _, weight in markets:
        for r in range(replicates):
            v = [results[f"{label}-s{mask:04d}-r{r}"]["log_advantage"] for mask in range(2**k)]
            if any(x is None for x in v):
                raise ConfigError(f"{label}: a run's log revenue advantage is undefined; cannot attribute")
            rows.append({"market": label, "weight": weight, "replicate": r, "total": v[-1], "remainder": v[0],
                         "phi": shapley(v, k)})
    attr = _summarise(rows, mechs, ensemble is not None)
    attr.update({"scenario": cfg.name, "weeks": cfg.weeks, "pair": {"incumbent": pair[0], "challenger": pair[1]},
                 "replicates": replicates, "members": len(markets) if ensemble is not None else None,
                 "runs": len(jobs), "method": (f"exact Shapley values over the 2^{k} = {2**k} subsets of {k} groups, "
                                               "common random numbers (the same seeds for every subset)")})
    attr["sentence"] = attribution_sentence(attr)
    Path(out).mkdir(parents=True, exist_ok=True)
    write_text(Path(out) / "attribution.json", json.dumps(attr, indent=2) + "\n")
    return attr


def _summarise(rows: list[dict[str, Any]], mechs: Sequence[Mechanism], over_members: bool) -> dict[str, Any]:
    """Shares (means: they add up exactly) and intervals (replicates) or ranges (members)."""
    def entry(values: list[float], weights: list[float]) -> dict[str, float | None]:
        if not over_members:
            st = mean_interval(values)
            return {"share": st["mean"], "low": st["low"], "high": st["high"]}
        w = np.asarray(weights, dtype=float)
        per_member: dict[str, list[float]] = {}
        for row, x in zip(rows, values, strict=True):
            per_member.setdefault(row["market"], []).append(x)
        means = [float(np.mean(xs)) for xs in per_member.values()]
        mw = [next(r["weight"] for r in rows if r["market"] == m) for m in per_member]
        return {"share": float(np.dot(values, w) / w.sum()), "low": weighted_quantile(means, mw, 0.05),
                "high": weighted_quantile(means, mw, 0.95)}

    weights = [r["weight"] for r in rows]
    groups: dict[str, Any] = {}
    for i, m in enumerate(mechs):
        groups[m.name] = {"label": m.label, "off": m.off, **entry([r["phi"][i] for r in rows], weights)}
    groups["remainder"] = {"label": "everything else (all groups off)",
                           "off": "the strategies' other differences: time split, contact length, genuine interest, "
                                  "follow-ups; inbound customers",
                           **entry([r["remainder"] for r in rows], weights)}
    total = entry([r["total"] for r in rows], weights)
    return {"total": total["share"], "total_low": total["low"], "total_high": total["high"],
            "interval": "5-95% range over members" if over_members else "95% t-interval over replicates",
            "groups": groups}
