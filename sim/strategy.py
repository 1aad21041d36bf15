"""Selling strategies as data: a validated set of numbers with two named presets.

A strategy is not a class per behaviour. Every seller runs the same code; what differs is the
numbers below, so a sweep can move smoothly from the numbers-game pole to the relationship pole
and users can define mixes of their own. The table in ``MODEL.md`` maps each knob to the essays.

Hours per week, price and product quality are *not* here: they are market-wide
(:class:`sim.config.MarketConfig`), so every seller has the same, by construction.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .schema import Settings

__all__ = ["Strategy", "PRESETS", "STRATEGY_KNOBS", "resolve_strategy"]


class Strategy(Settings):
    """How a seller spends its (equal) hours and treats customers.

    Every knob is a number so that strategies can be interpolated and swept.
    """

    prospecting_share: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Share of weekly hours reserved for new (cold) leads; the rest goes to "
        "existing customers (follow-ups, keeping in touch, fixing problems). Unused "
        "customer time flows back to prospecting. [fraction, 0..1]",
    )
    minutes_per_contact: float = Field(
        10.0, ge=1.0, le=120.0,
        description="Minutes the seller spends talking in one contact (cold call, follow-up or "
        "keep-in-touch conversation); the essay's '5 to 20 minutes out of 24 hours'. Genuine "
        "interest adds listening time on top; trust gained per contact saturates with its length "
        "(market.contact_saturation_minutes), so longer contacts buy less per minute. [minutes, 1..120]",
    )
    pressure: float = Field(
        0.3, ge=0.0, le=1.0,
        description="Sales pressure: lifts the chance a prospect accepts a presentation and "
        "closes now, but costs trust on every pitch and satisfaction after the sale. [0..1]",
    )
    genuine_interest: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Genuine interest in the customer: scales the trust each contact builds. "
        "Costs listening time: a contact lasts minutes_per_contact x (1 + market.listening_share "
        "x genuine_interest), so fewer contacts fit into an hour. [0..1]",
    )
    fit_threshold: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Declines the sale (and points the customer to a better-fitting "
        "competitor) when the offering's fit with the need is below this. 0 = never "
        "declines. [fit, 0..1]",
    )
    keeps_log: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Keeps a log of what it learns about each customer: follow-up and "
        "keep-in-touch contacts build up to (1 + market.log_bonus) times more trust. Costs "
        "market.log_minutes of admin per contact (times keeps_log). Contact records (who was "
        "called when) are kept by every seller anyway. [0..1]",
    )
    follow_up: float = Field(
        0.2, ge=0.0, le=1.0,
        description="Probability of following up after a sale (costs one contact of "
        "customer time; builds trust and catches service failures). [probability, 0..1]",
    )
    owns_failures: float = Field(
        0.3, ge=0.0, le=1.0,
        description="Probability of owning a known service failure: apologise and fix it "
        "(costs market.recovery_minutes of customer time). [probability, 0..1]",
    )
    asks_referrals: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Chance the seller asks a buyer for referrals after a sale: an asked, "
        "satisfied buyer refers more (market.referral_ask_lift); an asked buyer below neutral "
        "satisfaction loses trust (market.ask_annoyance); each ask takes market.ask_minutes of "
        "customer time. [probability, 0..1]",
    )
    invites_reviews: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Chance the seller invites a buyer to post a review: more reviews "
        "(market.review_ask_lift) from satisfied and dissatisfied buyers alike; each invitation "
        "takes market.ask_minutes of customer time. [probability, 0..1]",
    )


STRATEGY_KNOBS: tuple[str, ...] = tuple(Strategy.model_fields)

PRESETS: dict[str, Strategy] = {
    "numbers_game": Strategy(
        prospecting_share=0.9,
        minutes_per_contact=5.0,
        pressure=0.8,
        genuine_interest=0.1,
        fit_threshold=0.0,
        keeps_log=0.0,
        follow_up=0.1,
        owns_failures=0.2,
        asks_referrals=0.0,
        invites_reviews=0.0,
    ),
    "relationship": Strategy(
        prospecting_share=0.4,
        minutes_per_contact=20.0,
        pressure=0.1,
        genuine_interest=0.9,
        fit_threshold=0.4,
        keeps_log=1.0,
        follow_up=0.9,
        owns_failures=0.95,
        asks_referrals=0.8,
        invites_reviews=0.8,
    ),
}


def resolve_strategy(spec: str | dict[str, Any] | Strategy,
                     custom: dict[str, Strategy] | None = None) -> Strategy:
    """Turn a preset name, a custom name or a knob mapping into a :class:`Strategy`.

    Args:
        spec: ``"numbers_game"``, ``"relationship"``, a name defined in the config's
            ``strategies:`` section, a ``Strategy``, or a mapping of knobs (optionally with
            ``preset:`` naming the base to start from).
        custom: custom strategies by name.

    Returns:
        The validated strategy.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(spec, Strategy):
        return spec
    custom = custom or {}
    if isinstance(spec, str):
        if spec in custom:
            return custom[spec]
        if spec in PRESETS:
            return PRESETS[spec]
        allowed = sorted(set(PRESETS) | set(custom))
        raise ValueError(f"unknown strategy {spec!r}; allowed: {', '.join(allowed)}")
    knobs = dict(spec)
    base = knobs.pop("preset", None)
    start = resolve_strategy(base, custom).model_dump() if base else {}
    return Strategy(**{**start, **knobs})


def interpolate(a: Strategy, b: Strategy, weight: float) -> Strategy:
    """Blend two strategies knob by knob: ``weight=0`` gives ``a``, ``1`` gives ``b``."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight = {weight!r}: must be between 0 and 1")
    da, db = a.model_dump(), b.model_dump()
    return Strategy(**{k: (1 - weight) * da[k] + weight * db[k] for k in da})
