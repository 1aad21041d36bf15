"""The named state the compiled phases read and write, built in one place from the model's own names.

Owns: the record types of the market parameters (fields named after :class:`~sim.config.MarketConfig`
fields), the strategy knobs (named after :data:`sim.strategy.STRATEGY_KNOBS`) and the weekly
counters (named after :data:`sim.model.funnel.WEEKLY_COUNTERS`), the ``NamedTuple`` groups of
arrays handed to the kernels, :func:`build_state` that assembles them, and the explicit lists of
settings that stay in Python (each with the reason). Every value is looked up by its field name,
so a setting cannot be dropped or misrouted by position.

Must not: hold rules, draw random numbers or copy arrays the model keeps (the kernels mutate the
model's own arrays in place; nothing here is ever rebound).

Parameters and knobs are structured NumPy arrays (one record for the market, one record per
seller), the counters one record per seller (the :class:`WeeklyCounters` table itself), and the
arrays are grouped in ``NamedTuple`` s, with the week's preallocated queues and books
(:class:`Week`) and the recorder's arrays (:class:`Record`); all of it sits in one :class:`State`. The phase kernels
receive it wrapped in a :class:`KernelState` (a numba ``StructRef``, which also holds the model's
random generator), whose type numba reads in constant time, so crossing the compiled boundary
costs little, and ``cache=True`` keeps working. Inside compiled code each group is itself a
structure reference (:class:`StateRef`, :class:`TrustRef`, ...; same field names), so reading a
group costs one reference count, not one per array it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numba import njit, types
from numba.experimental import structref

from ...config import MarketConfig, NetworkConfig
from ...strategy import STRATEGY_KNOBS
from ..customers import NEVER, NO_CONTACT
from ..funnel import COUNTER_DTYPE, MARKET_COUNTERS, WEEKLY_COUNTERS, Source
from .after_sales import neutral_satisfaction
from .refs import (
    CustomersRef,
    RecordRef,
    ScratchRef,
    SellersRef,
    StateRef,
    TrustRef,
    WeekRef,
    _CustomersType,
    _RecordType,
    _ScratchType,
    _SellersType,
    _StateType,
    _TrustType,
    _WeekType,
)

__all__ = ["KernelState", "State", "Trust", "Customers", "Sellers", "Scratch", "Week", "Record", "build_state",
           "market_params", "strategy_knobs", "MARKET_FIELDS", "DERIVED", "KNOB_FIELDS", "COUNTER_DTYPE", "PYTHON_ONLY",
           "NEVER", "NO_CONTACT", "NEW", "REPEAT", "REFERRAL", "INBOUND", "HANDOFF", "QUEUES", "NEW_NEEDS",
           "PENDING", "WARM", "PRESENTATIONS", "NEEDS_OUTSIDE", "NEWCOMERS"]

QUEUES: tuple[str, ...] = ("new_needs", "pending", "warm", "presentations")
"""The queues of :class:`Week`, in the order of its ``sizes``."""
QUEUE_START = 1024
"""Entries each queue has room for at first (fewer for smaller markets); compiled code doubles them as needed."""
NEW_NEEDS, PENDING, WARM, PRESENTATIONS = range(len(QUEUES))
NEEDS_OUTSIDE, NEWCOMERS = (MARKET_COUNTERS.index("needs_outside"), MARKET_COUNTERS.index("newcomers"))

# sources of a sale, as the plain integers the compiled code compares with
NEW, REPEAT, REFERRAL, INBOUND, HANDOFF = (int(Source.NEW), int(Source.REPEAT), int(Source.REFERRAL),
                                           int(Source.INBOUND), int(Source.HANDOFF))

MARKET_FIELDS: tuple[str, ...] = (
    "failure_rate", "complaint_rate", "recovery_minutes", "pressure_regret", "recovery_bonus",
    "failure_cost", "experience_weight", "ignored_cost", "trust_gain_per_minute", "log_bonus",
    "pressure_trust_cost", "reviews", "review_weight", "review_base_rate", "review_extremity",
    "review_ask_lift", "review_crowding", "talk_rate", "talk_extremity", "wom_weight", "referral_rate",
    "referral_ask_lift",
    "trust_threshold", "threshold_width", "commitment", "pressure_close_lift", "honesty_gain",
    "attention", "attention_weeks", "contact_records", "fatigue_cost", "presentation_minutes", "fit_mean",
    "fit_concentration", "recurring_needs", "purchase_cycle_weeks", "repeat_probability",
    "turnover_per_year", "baseline_trust", "skepticism_mean", "skepticism_concentration", "trust_noise",
    "review_readers", "contact_saturation_minutes", "listening_share", "log_minutes", "ask_minutes",
    "ask_annoyance", "hours_per_week", "price", "recovery_refund", "trust_decay", "need_patience_weeks",
    "review_prior", "outbound_contact",
)
"""The :class:`~sim.config.MarketConfig` fields the kernels read (the fields of the parameter record)."""

KNOB_FIELDS: tuple[str, ...] = (
    "prospecting_share", "minutes_per_contact", "pressure", "genuine_interest", "fit_threshold", "keeps_log",
    "follow_up", "owns_failures", "asks_referrals", "invites_reviews",
)
"""The :class:`~sim.strategy.Strategy` knobs the kernels read (the fields of each seller's record)."""

PYTHON_ONLY: dict[str, dict[str, str]] = {
    "market": {
        "customers": "sizes the arrays (CustomerPopulation)",
        "outside_influence": "the Bass hazard of Market._diffusion",
        "imitation": "the Bass hazard of Market._diffusion",
        "discount_rate": "discounted revenue in Recorder.frame",
    },
    "network": {
        "kind": "the friendship graph is built by build_network (kernels read its CSR arrays)",
        "mean_degree": "the friendship graph is built by build_network (kernels read its CSR arrays)",
        "rewire": "the friendship graph is built by build_network (kernels read its CSR arrays)",
    },
    "strategy": {},
}
"""Config and strategy fields that never cross into compiled code, each with where it is used."""

DERIVED: dict[str, Callable[[MarketConfig], float]] = {
    "satisfaction_neutral": lambda m: neutral_satisfaction(m.fit_mean, m.fit_concentration, m.failure_rate,
                                                           m.failure_cost),
}
"""Values the kernels read that follow from the market settings (extra fields of the parameter record)."""

_ENCODE: dict[str, Callable[[Any], float]] = {
    "repeat_probability": lambda v: -1.0 if v is None else float(v),   # negative: not set
}
"""Fields whose Python value is not simply a number: how each becomes a float64."""

PARAMS_DTYPE = np.dtype([(name, np.float64) for name in MARKET_FIELDS + tuple(DERIVED)], align=True)
KNOBS_DTYPE = np.dtype([(name, np.float64) for name in KNOB_FIELDS], align=True)


def _check_names() -> None:
    market, knobs = set(MarketConfig.model_fields), set(STRATEGY_KNOBS)
    for what, used, known in (("market", MARKET_FIELDS, market), ("strategy", KNOB_FIELDS, knobs)):
        unknown = set(used) - known
        if unknown:
            raise ImportError(f"sim.model.kernels.state: {what} fields {sorted(unknown)} do not exist")
    extra = set(PYTHON_ONLY["network"]) ^ set(NetworkConfig.model_fields)
    if extra:
        raise ImportError(f"sim.model.kernels.state: network fields {sorted(extra)} are not accounted for")


_check_names()


class Trust(NamedTuple):
    """The storage of :class:`~sim.model.customers.TrustLedger` (trust = base + scale x deviation)."""

    base: np.ndarray          # float32 (customer,): each customer's baseline
    deviation: np.ndarray     # float32 (customer * n_sellers + seller,): deviation / shared scale
    column_sums: np.ndarray   # float64 (seller,): sums of deviation over customers
    base_sum: np.ndarray      # float64 (1,): sum of base over customers
    scale: np.ndarray         # float64 (1,): the shared scale (decays each week)


class Customers(NamedTuple):
    """Per-customer arrays of :class:`~sim.model.customers.CustomerPopulation` (plus the market's ``busy``)."""

    skepticism: np.ndarray       # float32 (customer,)
    in_market: np.ndarray        # bool (customer,): has an open need
    need_since: np.ndarray       # int32 (customer,): week the open need arose
    last_contact: np.ndarray     # int32 (customer, seller): week of the last contact
    fit: np.ndarray              # float32 (customer, seller): fit with the current need, NaN = not drawn
    purchases_with: np.ndarray   # int32 (customer, seller)
    last_seller: np.ndarray      # int16 (customer,): -1 = never bought
    purchases: np.ndarray        # int32 (customer,)
    next_need: np.ndarray        # int32 (customer,): week of the next need, NEVER = none
    reviews_written: np.ndarray  # int32 (customer,)
    reads_reviews: np.ndarray    # bool (customer,)
    busy: np.ndarray             # int32 (customer,): week the customer last had a presentation booked
    friend_indptr: np.ndarray    # int64 (customer + 1,): friendships, CSR
    friend_indices: np.ndarray   # int32: friendships, CSR


class Sellers(NamedTuple):
    """Per-seller arrays: strategy knobs, this week's minutes, books, counters and the review board."""

    knobs: np.ndarray              # KNOBS_DTYPE (seller,)
    left: np.ndarray               # float64 (seller,): minutes left this week
    left_rel: np.ndarray           # float64 (seller,): of which for existing customers
    book: np.ndarray               # int64 (seller,): customers whose last purchase was with the seller
    counters: np.ndarray           # COUNTER_DTYPE (seller,): this week's counters
    review_count: np.ndarray       # float64 (seller,)
    review_rating_sum: np.ndarray  # float64 (seller,)
    review_signal: np.ndarray      # float64 (seller,): public rating signal in [-1, 1]


class Week(NamedTuple):
    """The week's books and the queues between phases, preallocated (lengths in ``sizes``, see :data:`QUEUES`).

    Sales wait in ``pending`` for next week's after-sales; warm leads (hand-offs from last week,
    then referrals and inbound customers) in ``warm``; booked presentations in ``presentations``.
    The queues' arrays start small (:data:`QUEUE_START`) and are replaced by larger ones inside
    compiled code when a week needs more, so this Python tuple may hold outgrown ones: read the
    queues through compiled code.
    """

    budget: np.ndarray         # float64 (seller,): this week's minutes (hours less last week's debt)
    debt: np.ndarray           # float64 (seller,): minutes overspent, carried to next week
    market: np.ndarray         # int64 (MARKET_COUNTERS,): this week's market-wide counts
    sizes: np.ndarray          # int64 (4,): entries in new_needs, pending, warm, presentations
    new_needs: np.ndarray      # int64: customers whose need arose this week
    pending_c: np.ndarray      # int64: sales awaiting after-sales: customer,
    pending_s: np.ndarray      # int64: seller,
    pending_fit: np.ndarray    # float64: and fit
    warm_c: np.ndarray         # int64: warm leads: customer,
    warm_s: np.ndarray         # int64: seller,
    warm_src: np.ndarray       # int64: and source
    pres_c: np.ndarray         # int64: booked presentations: customer,
    pres_s: np.ndarray         # int64: seller,
    pres_src: np.ndarray       # int64: source,
    pres_pitch: np.ndarray     # bool: and whether it is a pitch


class Record(NamedTuple):
    """The :class:`~sim.model.metrics.Recorder`'s arrays, filled at the end of each week."""

    series: np.ndarray     # float64 (RECORDED, week, seller)
    market: np.ndarray     # float64 (MARKET_COUNTERS, week)
    running: np.ndarray    # float64 (RUNNING, seller): run totals so far
    weeks: np.ndarray      # int64 (1,): weeks recorded
    counters: np.ndarray   # float64 (seller, WEEKLY_COUNTERS): the counter table as a matrix (a view)


class Scratch(NamedTuple):
    """Work space for one-entry-per-customer picks (a mark per customer and a running stamp)."""

    mark: np.ndarray    # int64 (customer,)
    stamp: np.ndarray   # int64 (1,)
    index: np.ndarray   # int64 (customer,): candidates of a scan over all customers


class State(NamedTuple):
    """Everything the compiled phases read and write; built once per market by :func:`build_state`."""

    params: np.ndarray   # PARAMS_DTYPE (1,): the market's settings
    trust: Trust
    customers: Customers
    sellers: Sellers
    scratch: Scratch
    week: Week
    record: Record


def market_params(m: MarketConfig) -> np.ndarray:
    """The market settings the kernels read, as one record named after the config's fields."""
    p = np.zeros(1, dtype=PARAMS_DTYPE)
    for name in MARKET_FIELDS:
        value = getattr(m, name)
        p[name] = _ENCODE[name](value) if name in _ENCODE else float(value)
    for name, rule in DERIVED.items():
        p[name] = rule(m)
    return p


def strategy_knobs(table: Any) -> np.ndarray:
    """One record of knobs per seller, from a :class:`~sim.model.sellers.StrategyTable` (by knob name)."""
    first = getattr(table, KNOB_FIELDS[0])
    k = np.zeros(len(first), dtype=KNOBS_DTYPE)
    for name in KNOB_FIELDS:
        k[name] = getattr(table, name)
    return k


class _Group(types.StructRef):
    """numba's type of the kernels' state wrapper (fields are never literal types)."""

    def preprocess_fields(self, fields: Any) -> tuple:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


@structref.register
class _KernelStateType(_Group):
    """numba's type of :class:`KernelState` (fields ``state`` and ``rng``)."""


for _proxy, _type, _tuple in ((StateRef, _StateType, State), (TrustRef, _TrustType, Trust),
                              (CustomersRef, _CustomersType, Customers), (SellersRef, _SellersType, Sellers),
                              (ScratchRef, _ScratchType, Scratch), (WeekRef, _WeekType, Week),
                              (RecordRef, _RecordType, Record)):
    structref.define_proxy(_proxy, _type, list(_tuple._fields))


class KernelState(structref.StructRefProxy):
    """The :class:`State` as the phase kernels receive it (``kstate.state`` inside compiled code).

    It also holds the model's random generator (``kstate.rng`` inside compiled code, ``generator``
    from Python), so that a whole week crosses into compiled code with no generator to unbox. From
    Python, other attributes are those of the wrapped :class:`State` (``kstate.trust.base``...).
    """

    def __new__(cls, state: State, generator: np.random.Generator) -> KernelState:
        """Wrap ``state`` (its arrays are shared, not copied) and ``generator`` (the very same object)."""
        self = _wrap(state, generator)   # compiled and cached, unlike StructRefProxy's own constructor
        self.__dict__["state"] = state
        self.__dict__["generator"] = generator
        return self

    def with_generator(self, generator: np.random.Generator) -> KernelState:
        """The same compiled state (queues included) with another generator (after Mesa's ``reset_rng``)."""
        other = _rewrap(self, generator)
        other.__dict__.update(state=self.__dict__["state"], generator=generator)
        return other

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self.__dict__["state"], name)
        except KeyError:
            raise AttributeError(name) from None


structref.define_proxy(KernelState, _KernelStateType, ["state", "rng"])


@njit(cache=True)
def _rewrap(kstate, rng):
    return KernelState(kstate.state, rng)


@njit(cache=True)
def _wrap(state, rng):
    return KernelState(StateRef(state.params, TrustRef(*state.trust), CustomersRef(*state.customers),
                                SellersRef(*state.sellers), ScratchRef(*state.scratch), WeekRef(*state.week),
                                RecordRef(*state.record)), rng)


def build_state(market: MarketConfig, population: Any, strategies: Any, reviews: Any, counters: np.ndarray,
                left: np.ndarray, left_rel: np.ndarray, book: np.ndarray, busy: np.ndarray, *,
                debt: np.ndarray | None = None, recorder: Any = None,
                rng: np.random.Generator | None = None) -> KernelState:
    """Assemble the kernels' state from the model's objects, by name; every array is shared, not copied.

    Args:
        market: the market settings.
        population: the :class:`~sim.model.customers.CustomerPopulation`.
        strategies: the :class:`~sim.model.sellers.StrategyTable`.
        reviews: the :class:`~sim.model.reviews.ReviewBoard`.
        counters: the :class:`~sim.model.funnel.WeeklyCounters` table (``COUNTER_DTYPE``, one per seller).
        left: minutes left this week per seller (updated in place by the market).
        left_rel: of which for existing customers.
        book: customers per seller.
        busy: week each customer last had a presentation booked.
        debt: minutes overspent last week per seller (default: a new array of zeros).
        recorder: the :class:`~sim.model.metrics.Recorder` the end of the week fills (default: none,
            room for no week).
        rng: the model's random generator, which the whole-week kernels draw from (default: a new one).
    """
    if counters.dtype != COUNTER_DTYPE:
        raise ValueError(f"counters: dtype {counters.dtype} is not one record of WEEKLY_COUNTERS per seller")
    tr = population.trust
    n, ns = population.n, len(left)
    cust = {name: getattr(population, name) for name in Customers._fields
            if name not in ("busy", "friend_indptr", "friend_indices")}
    ints = lambda k: np.zeros(k, dtype=np.int64)   # noqa: E731
    room = min(n, QUEUE_START)   # the queues start small and grow in compiled code when a week needs more
    if recorder is None:
        record = Record(series=np.zeros((len(WEEKLY_COUNTERS), 0, ns)), market=np.zeros((len(MARKET_COUNTERS), 0)),
                        running=np.zeros((0, ns)), weeks=ints(1), counters=counters.view(np.float64).reshape(ns, -1))
    else:
        record = Record(series=recorder.table, market=recorder.market_table, running=recorder.totals,
                        weeks=recorder.recorded, counters=counters.view(np.float64).reshape(ns, -1))
    return KernelState(State(
        params=market_params(market),
        trust=Trust(base=tr.base, deviation=tr.deviation, column_sums=tr.column_sums, base_sum=tr.base_sum,
                    scale=tr.scale_box),
        customers=Customers(**cust, busy=busy, friend_indptr=population.friends.indptr,
                            friend_indices=population.friends.indices),
        sellers=Sellers(knobs=strategy_knobs(strategies), left=left, left_rel=left_rel, book=book,
                        counters=counters, review_count=reviews.count, review_rating_sum=reviews.rating_sum,
                        review_signal=reviews.signal),
        scratch=Scratch(mark=np.full(n, -1, dtype=np.int64), stamp=ints(1), index=ints(n)),
        week=Week(budget=np.zeros(ns), debt=np.zeros(ns) if debt is None else debt, market=ints(len(MARKET_COUNTERS)),
                  sizes=ints(len(QUEUES)), new_needs=ints(room), pending_c=ints(room), pending_s=ints(room),
                  pending_fit=np.zeros(room), warm_c=ints(room), warm_s=ints(room), warm_src=ints(room),
                  pres_c=ints(room), pres_s=ints(room), pres_src=ints(room), pres_pitch=np.zeros(room, dtype=np.bool_)),
        record=record,
    ), np.random.default_rng() if rng is None else rng)
