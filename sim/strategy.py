"""Selling strategies as data: the knobs, each pole's family of knob ranges, and two named presets.

A strategy is not a class per behaviour. Every seller runs the same code; what differs is the
numbers below, so a sweep can move smoothly from the numbers-game pole to the relationship pole
and users can define mixes of their own. The table in ``MODEL.md`` maps each knob to the essays.

Owns: :class:`Strategy` (the knobs), :data:`KNOB_COSTS` (what each knob costs and where that shows
in the results), :class:`Family` / :data:`FAMILIES` (the box of knob ranges each pole's table row
implies) and :data:`PRESETS` (each family's best point, found by ``python -m sim presets
--search``, see :mod:`sim.experiments.presets`). Must not: run the model or import anything but
the settings base class.

Hours per week, price and product quality are *not* here: they are market-wide
(:class:`sim.config.MarketConfig`), so every seller has the same, by construction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from .schema import Settings

__all__ = ["Strategy", "PRESETS", "STRATEGY_KNOBS", "KNOB_COSTS", "KnobCost", "Family", "FAMILIES",
           "knob_range", "rounded", "resolve_strategy", "interpolate"]


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
        "satisfied buyer refers more (market.referral_ask_lift); an asked buyer who gives no "
        "referral loses trust (market.ask_annoyance); each ask takes market.ask_minutes of "
        "customer time. [probability, 0..1]",
    )
    invites_reviews: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Chance the seller invites a buyer to post a review: more reviews "
        "(market.review_ask_lift) from satisfied and dissatisfied buyers alike, while the invited "
        "buyer's own motive to review shrinks (market.review_crowding); each invitation "
        "takes market.ask_minutes of customer time. [probability, 0..1]",
    )


STRATEGY_KNOBS: tuple[str, ...] = tuple(Strategy.model_fields)


def knob_range(knob: str) -> tuple[float, float]:
    """The allowed ``(low, high)`` of a knob, read from :class:`Strategy`'s own field bounds."""
    if knob not in Strategy.model_fields:
        raise ValueError(f"unknown strategy knob {knob!r}; allowed: {', '.join(STRATEGY_KNOBS)}")
    low, high = -math.inf, math.inf
    for rule in Strategy.model_fields[knob].metadata:
        low = float(getattr(rule, "ge", low))
        high = float(getattr(rule, "le", high))
    return low, high


KNOB_PRECISION: dict[str, float] = {"minutes_per_contact": 0.5}
"""Step to which a searched knob value is rounded (presets are shipped rounded); 0.01 otherwise."""


def rounded(strategy: Strategy) -> Strategy:
    """``strategy`` with every knob rounded to its :data:`KNOB_PRECISION` (0.01 unless listed)."""
    out = {}
    for knob, value in strategy.model_dump().items():
        step = KNOB_PRECISION.get(knob, 0.01)
        low, high = knob_range(knob)
        out[knob] = min(high, max(low, round(round(value / step) * step, 6)))
    return Strategy(**out)


# ------------------------------------------------------------------------------- what knobs cost
@dataclass(frozen=True)
class KnobCost:
    """What raising a knob costs the seller, and how that cost shows in a run's results.

    Attributes:
        cost: the cost in words (time, trust or money given up) and the mechanism behind it.
        measure: where it shows, per seller of the strategy: ``"summary:KEY"`` (a number of the
            strategy's summary, dotted for nested ones, e.g. ``"funnel.leads"``),
            ``"total:COLUMN"`` (the weekly column summed over the run) or ``"mean:COLUMN"`` (its
            mean over weeks). ``None``: no output shows the cost yet.
        direction: ``"rises"`` if the measure grows with the knob, ``"falls"`` if it shrinks
            (e.g. contacts given up).
    """

    cost: str
    measure: str | None
    direction: Literal["rises", "falls"] = "rises"


KNOB_COSTS: dict[str, KnobCost] = {
    "prospecting_share": KnobCost(
        "time for existing customers: minutes reserved for cold leads are not spent keeping in touch",
        "total:keep_in_touch", "falls"),
    "minutes_per_contact": KnobCost(
        "contacts: longer conversations leave fewer of them in the same hours", "summary:funnel.leads", "falls"),
    "pressure": KnobCost(
        "satisfaction and trust: a pressured buyer regrets (pressure_regret) and every pitch costs trust",
        "mean:satisfaction", "falls"),
    "genuine_interest": KnobCost(
        "contacts: listening time, a contact lasts x (1 + market.listening_share x genuine_interest)",
        "summary:funnel.leads", "falls"),
    "fit_threshold": KnobCost(
        "sales: every declined presentation is a sale given up now (and its presentation time)",
        "summary:declined_poor_fit"),
    "keeps_log": KnobCost(
        "contacts: market.log_minutes of admin per contact (x keeps_log)", "summary:funnel.leads", "falls"),
    "follow_up": KnobCost(
        "customer time: one contact (minutes_per_contact) per follow-up, no longer free for other contacts",
        "total:follow_ups"),
    "owns_failures": KnobCost(
        "customer time: recovery_minutes per failure owned and fixed; money: market.recovery_refund x price "
        "of revenue per fix (a redo at cost or a refund)", "summary:failures_fixed"),
    "asks_referrals": KnobCost(
        "customer time: market.ask_minutes per ask (referral_asks); trust: market.ask_annoyance per asked "
        "buyer who gives no referral (asks_unanswered)", "total:referral_asks"),
    "invites_reviews": KnobCost(
        "customer time: market.ask_minutes per invitation (review_invitations); invited disappointed buyers "
        "post bad reviews too (reviews_negative); the invitation crowds out part of the buyer's own motive "
        "(market.review_crowding), so the delighted buyers' unprompted raves thin out", "total:review_invitations"),
}
"""Each knob's cost and where it shows (the fairness tests read this table; docs/ODD.md gives the forms)."""


# ------------------------------------------------------------------------------- families
@dataclass(frozen=True)
class Family:
    """A pole of the MODEL.md table as a box of knob ranges: every strategy that fits the description.

    Attributes:
        name: the pole (``"numbers_game"``, ``"relationship"``).
        description: one line: the pole in the essays' words.
        bounds: knob -> ``(low, high)``, inclusive. ``low == high`` fixes a knob (the table says
            e.g. "never"). A knob left out ranges over its whole allowed range (the table says
            nothing about it).
        why: knob -> one line: the table row and essay ([000]..[004]) the range comes from.
    """

    name: str
    description: str
    bounds: Mapping[str, tuple[float, float]]
    why: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for knob, (low, high) in self.bounds.items():
            lo, hi = knob_range(knob)
            if not lo <= low <= high <= hi:
                raise ValueError(f"family {self.name}: {knob} = ({low}, {high}): need {lo} <= low <= high <= {hi}")

    def box(self, knob: str) -> tuple[float, float]:
        """The ``(low, high)`` of ``knob`` in this family (its whole range if the table is silent)."""
        return tuple(self.bounds[knob]) if knob in self.bounds else knob_range(knob)

    @property
    def free_knobs(self) -> tuple[str, ...]:
        """Knobs the family leaves open (``low < high``), in :data:`STRATEGY_KNOBS` order."""
        return tuple(k for k in STRATEGY_KNOBS if self.box(k)[0] < self.box(k)[1])

    @property
    def dimension(self) -> int:
        """Number of free knobs: the width of the unit points :meth:`sample` takes."""
        return len(self.free_knobs)

    def violations(self, strategy: Strategy, tol: float = 1e-9) -> list[str]:
        """One line per knob of ``strategy`` outside this family's box (empty: it belongs)."""
        out = []
        for knob in STRATEGY_KNOBS:
            low, high = self.box(knob)
            value = getattr(strategy, knob)
            if not low - tol <= value <= high + tol:
                out.append(f"{knob} = {value:g}: outside {self.name}'s [{low:g}, {high:g}]")
        return out

    def contains(self, strategy: Strategy) -> bool:
        """True when every knob of ``strategy`` lies in this family's box."""
        return not self.violations(strategy)

    def sample(self, unit_points: Sequence[Sequence[float]]) -> list[Strategy]:
        """Map points of the unit cube (one column per :attr:`free_knobs`) onto the box, linearly.

        Fixed knobs take their one value. Values are not rounded (see :func:`rounded`).
        """
        free = self.free_knobs
        out = []
        for row in unit_points:
            row = [float(x) for x in row]
            if len(row) != len(free):
                raise ValueError(f"family {self.name}: unit points need {len(free)} columns ({', '.join(free)}), "
                                 f"got {len(row)}")
            if not all(0.0 <= x <= 1.0 for x in row):
                raise ValueError(f"family {self.name}: unit points must lie in [0, 1], got {row}")
            knobs = {k: self.box(k)[0] for k in STRATEGY_KNOBS}
            for knob, x in zip(free, row, strict=True):
                low, high = self.box(knob)
                knobs[knob] = low + x * (high - low)
            out.append(Strategy(**knobs))
        return out

    def around(self, center: Strategy, fraction: float) -> Family:
        """A smaller box: each knob within ``fraction`` of its family width of ``center``, clipped to the family."""
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"fraction = {fraction!r}: must be in (0, 1]")
        bounds = {}
        for knob in STRATEGY_KNOBS:
            low, high = self.box(knob)
            c, half = getattr(center, knob), fraction * (high - low)
            bounds[knob] = (max(low, min(high, c - half)), min(high, max(low, c + half)))
        return Family(f"{self.name} (around a point)", self.description, bounds, self.why)


FAMILIES: dict[str, Family] = {
    "numbers_game": Family(
        "numbers_game", "fill the funnel, pitch everyone, close hard [001][003]",
        bounds={
            "prospecting_share": (0.7, 1.0), "minutes_per_contact": (3.0, 8.0), "pressure": (0.5, 1.0),
            "genuine_interest": (0.0, 0.3), "fit_threshold": (0.0, 0.0), "keeps_log": (0.0, 0.2),
            "follow_up": (0.0, 0.3), "owns_failures": (0.0, 0.3), "asks_referrals": (0.0, 0.2),
            "invites_reviews": (0.0, 0.2),
        },
        why={
            "prospecting_share": "high: 'keep adding fresh meat to our sales funnel' [001], '100 leads' [003]",
            "minutes_per_contact": "~5: the low end of '5 to 20 minutes' [003], an elevator pitch",
            "pressure": "high: 'switch into sales mode at every possible opportunity' [001]; closing first [004]",
            "genuine_interest": "low: 'feign interest in us for a couple of moments' [001]",
            "fit_threshold": "never declines: 'seal the deal, make your sales target' [002] (MODEL.md: never)",
            "keeps_log": "no: the customer log is the other pole's habit [003]; at most occasional notes",
            "follow_up": "rarely: monitoring satisfaction is the other pole's habit [004]",
            "owns_failures": "rarely: owning the problem is the other pole's habit [002][004]",
            "asks_referrals": "no: referrals follow trust [001]; at most now and then",
            "invites_reviews": "no: inviting feedback is the other pole's habit [002]; at most now and then",
        }),
    "relationship": Family(
        "relationship", "fewer contacts, genuine interest, honesty about fit, follow-up, owning problems "
        "[001][002][003][004]",
        bounds={
            "prospecting_share": (0.1, 0.5), "minutes_per_contact": (12.0, 30.0), "pressure": (0.0, 0.3),
            "genuine_interest": (0.7, 1.0), "fit_threshold": (0.2, 0.6), "keeps_log": (0.7, 1.0),
            "follow_up": (0.6, 1.0), "owns_failures": (0.7, 1.0), "asks_referrals": (0.5, 1.0),
            "invites_reviews": (0.5, 1.0),
        },
        why={
            "prospecting_share": "low: existing customers first [001][003], within its bandwidth [000]",
            "minutes_per_contact": "~20: the high end of '5 to 20 minutes' [003]",
            "pressure": "low: 'open a relationship' rather than close [004]; no 'sales mode' [001]",
            "genuine_interest": "high: 'become genuinely interested in people' [003]; 'genuine interest' [002]",
            "fit_threshold": "declines a poor fit [002]: from clear misfits (0.2) to below-average ones "
                             "(0.6; the mean fit is 0.65)",
            "keeps_log": "yes: 'keep a log of what you learn about people' [003]",
            "follow_up": "yes: 'monitor satisfaction' [004]",
            "owns_failures": "yes: 'own the problem, offer a straightforward apology' [002]; "
                             "'take responsibility' [004]",
            "asks_referrals": "yes: 'qualified business referrals and introductions' [001]",
            "invites_reviews": "yes: 'invite them to post their feedback' [002]",
        }),
}
"""Each pole's family (MODEL.md table). The presets below are the best point of each box."""

# Each preset is the best point of its family's box by its own long-run revenue per seller in the
# baseline market (10,000 households): the output of `python -m sim presets --search --out results/presets`
# (default budget, seed 42, 2 workers; 1,860 runs, 147 s), 2026-12-02, on the model with issue 9's
# mechanisms (contact records, knob costs including a fix's money cost, the trust an unanswered referral ask
# costs and the organic reviews an invitation crowds out, outside option, turnover, neutral quality).
# Re-run the search after any change to the model and paste its printed PRESETS here;
# tests/test_presets.py checks the presets lie in their boxes and that a quick search cannot beat them.
PRESETS: dict[str, Strategy] = {
    "numbers_game": Strategy(
        prospecting_share=0.7,
        minutes_per_contact=3.0,
        pressure=0.5,
        genuine_interest=0.0,
        fit_threshold=0.0,
        keeps_log=0.0,
        follow_up=0.0,
        owns_failures=0.3,
        asks_referrals=0.0,
        invites_reviews=0.2,
    ),
    "relationship": Strategy(
        prospecting_share=0.1,
        minutes_per_contact=12.0,
        pressure=0.0,
        genuine_interest=1.0,
        fit_threshold=0.6,
        keeps_log=1.0,
        follow_up=1.0,
        owns_failures=1.0,
        asks_referrals=0.5,
        invites_reviews=0.5,
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
