"""The market: a Mesa model in which sellers with different strategies compete for customers.

One step is one week. :meth:`Market.step` reads as the week's phases, in order. Sellers act in
an explicit random order each week: every phase that touches several sellers processes their
tasks in a freshly shuffled order, and a customer can be served by only one seller per phase
(the first in that order), which is the equivalent of ``shuffle_do`` over sellers.

The heavy phases each call one compiled kernel of :mod:`sim.model.kernels` (numba), which walks
the week's entries in loops with the model's own random generator, on the named state built once
here (:func:`sim.model.kernels.build_state`); the rules live in the kernels' docstrings and in
docs/ODD.md.

Must not: hold a rule of its own that a kernel also applies (the vectorised diffusion phase runs
the kernels' own willingness and trust-as-seen functions on arrays), nor import experiments,
plots or the user interface.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from ..config import Config, load_scenario
from . import kernels
from .customers import NEVER, CustomerPopulation, CustomerView
from .funnel import MARKET_COUNTERS, Source, WeeklyCounters
from .metrics import Recorder
from .network import build_network
from .reviews import ReviewBoard
from .sellers import Seller, StrategyTable

__all__ = ["Market"]

_EMPTY = np.zeros(0, dtype=np.int64)


class Market(mesa.Model):
    """Sellers (Mesa agents) and customers (arrays) in one market.

    Args:
        config: a validated :class:`~sim.config.Config`; default: the shipped baseline.
        rng: seed for this run (defaults to ``config.seed``). Named ``rng`` as in Mesa 3.5, so
            ``mesa.batch_run`` seeds replicates through it.
        **overrides: dotted-path settings (``"market.customers"`` or ``market__customers``),
            ``weeks=``, ``sellers=``; lets ``mesa.batch_run`` sweep parameters directly.
    """

    def __init__(self, config: Config | None = None, *, rng: int | None = None, **overrides: Any) -> None:
        config = config if config is not None else load_scenario("baseline")
        if overrides:
            config = config.with_updates(**overrides)
        seed = config.seed if rng is None else rng
        super().__init__(rng=seed)
        self.config = config
        self.market = m = config.market
        self.week = 0
        # sellers: Mesa agents, one group per strategy
        sellers: list[Seller] = []
        for group in config.sellers:
            for _ in range(group.count):
                sellers.append(Seller(self, len(sellers), group.strategy, config.strategy(group.strategy)))
        self.sellers = sellers
        self.n_sellers = len(sellers)
        self.strat = StrategyTable(sellers)
        net = config.network
        friends = build_network(net.kind, m.customers, net.mean_degree, net.rewire, self.rng)
        self.customers = CustomerPopulation(m, self.n_sellers, friends, self.rng)
        self.reviews = ReviewBoard(self.n_sellers, m)
        self.counters = WeeklyCounters(self.n_sellers)
        self.market_counts: dict[str, int] = dict.fromkeys(MARKET_COUNTERS, 0)   # this week's, market-wide
        self.recorder = Recorder(config.weeks, self.n_sellers)
        self.book = np.zeros(self.n_sellers, dtype=np.int64)
        self._debt = np.zeros(self.n_sellers)
        self._left = np.zeros(self.n_sellers)       # minutes left this week (updated in place)
        self._left_rel = np.zeros(self.n_sellers)   # of which for existing customers (updated in place)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []   # this week's sales
        self._warm: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._new_needs = _EMPTY
        self._presentations: list[tuple[np.ndarray, ...]] = []
        self._busy = np.zeros(m.customers, dtype=np.int32)   # week a customer last sat through a presentation
        # the named state the compiled phase kernels work on (the arrays above, shared, never rebound)
        self._state = kernels.build_state(m, self.customers, self.strat, self.reviews, self.counters.table,
                                          self._left, self._left_rel, self.book, self._busy)
        self.datacollector = mesa.DataCollector(model_reporters=self._model_reporters())

    # ---------------------------------------------------------------- the week
    def step(self) -> None:
        """One week, phase by phase."""
        self._start_week()
        self._needs_arise()
        self._expire_needs()
        self._diffusion()
        self._after_sales()
        self._customers_seek()
        self._serve_warm_leads()
        if self.market.outbound_contact:
            self._keep_in_touch()
            self._prospect()
        self._hold_presentations()
        self._end_week()

    def run(self, weeks: int | None = None) -> Market:
        """Run to the horizon (or ``weeks`` more weeks)."""
        for _ in range(self.config.weeks - self.week if weeks is None else weeks):
            if not self.running:
                break
            self.step()
        return self

    # ---------------------------------------------------------------- phases
    def _start_week(self) -> None:
        self.week += 1
        self.customers.trust.decay_one_week()
        self.counters.reset()
        self.market_counts = dict.fromkeys(MARKET_COUNTERS, 0)
        budget = self.market.hours_per_week * 60.0 - self._debt
        self._budget = budget
        self._left[:] = budget
        self._left_rel[:] = budget * (1.0 - self.strat.prospecting_share)

    def _needs_arise(self) -> None:
        pop = self.customers
        new = np.flatnonzero(pop.next_need == self.week)
        pop.in_market[new] = True
        pop.need_since[new] = self.week
        pop.next_need[new] = NEVER
        pop.fit[new] = np.nan
        self._new_needs = new

    def _expire_needs(self) -> None:
        """Needs nobody served within the customer's patience go to the outside option (counted)."""
        pop = self.customers
        stale = np.flatnonzero(pop.in_market & (pop.need_since <= self.week - self.market.need_patience_weeks))
        self.market_counts["needs_outside"] = len(stale)
        pop.in_market[stale] = False
        pop.next_need[stale] = kernels.next_needs(len(stale), self._state, self.rng, self.week)

    def _diffusion(self) -> None:
        """Outside influence and fully mixed word of mouth (Bass p and q), when switched on.

        A customer who has never bought decides to buy with weekly probability
        ``outside_influence + imitation x (share of customers who have bought)`` and buys from a
        seller chosen in proportion to willingness. Off by default; used for the Bass limit.
        """
        m = self.market
        if m.outside_influence == 0.0 and m.imitation == 0.0:
            return
        pop, rng = self.customers, self.rng
        never = np.flatnonzero(pop.purchases == 0)
        hazard = m.outside_influence + m.imitation * (1.0 - len(never) / pop.n)
        c = never[rng.random(len(never)) < hazard]
        c = c[self._busy[c] != self.week]
        if len(c) == 0:
            return
        s = self._choose_seller(c)
        self.counters.add("leads", s)
        self.counters.add("prospects", s)
        self.counters.add("presentations", s)
        self._sell(c, s, np.full(len(c), int(Source.INBOUND)), self._fit(c, s))

    def _choose_seller(self, c: np.ndarray) -> np.ndarray:
        """For each customer, a seller drawn in proportion to willingness (trust as seen).

        Runs the kernels' own rules on arrays (their Python bodies, ``py_func``): one copy of each
        rule, and the same rounding as ever on these float32 trust rows.
        """
        m = self.market
        seen = self.reviews.effective_trust(self.customers.trust.rows(c), self.customers.reads_reviews[c])
        will = kernels.willingness.py_func(seen, m.trust_threshold, m.threshold_width)
        cum = np.cumsum(will, axis=1)
        return (self.rng.random(len(c))[:, None] * cum[:, -1:] < cum).argmax(axis=1)

    def _after_sales(self) -> None:
        """Last week's sales: service failures, follow-ups, recovery, satisfaction, reviews, word of mouth."""
        if not self._pending:
            return
        c, s, fit = (np.concatenate(x) for x in zip(*self._pending, strict=True))
        self._pending = []
        friend, seller = kernels.after_sales(c, s, fit, self._state, self.rng, self.week, self._scale())
        if self.counters.values["reviews_new"].any():   # the kernel posted reviews: update the public signal
            self.reviews.refresh()
        self._queue_warm(friend, seller, Source.REFERRAL)

    def _customers_seek(self) -> None:
        """Turnover first, then customers with a new need go by themselves to a seller they trust [000].

        Leavers are replaced in place by newcomers after last week's sales played out. One compiled
        call does both (:func:`sim.model.kernels.customers_seek` runs the turnover rule
        :func:`sim.model.kernels.population.move` first).
        """
        c, s, sold_c, sold_s, sold_fit, moved = kernels.customers_seek(self._new_needs, self._state, self.rng,
                                                                       self.week, self._scale())
        self.market_counts["newcomers"] = moved
        if len(sold_c):   # lifetime-value limit: loyal repeat buyers bought directly
            self._pending.append((sold_c, sold_s, sold_fit))
        self._queue_warm(c, s, Source.INBOUND)

    def _serve_warm_leads(self) -> None:
        """Referrals, returning and inbound customers: straight to a presentation, if there is time."""
        if not self._warm:
            return
        c, s, src = (np.concatenate(x) for x in zip(*self._warm, strict=True))
        self._warm = []
        c, s, src = kernels.serve_warm_leads(c, s, src, self._state, self.rng, self.week, self._scale())
        self._queue_presentations(c, s, src, pitch=True)

    def _keep_in_touch(self) -> None:
        """Sellers spend their remaining customer time contacting their own customers [003][004]."""
        c, s = kernels.keep_in_touch(self._state, self.rng, self.week, self._scale())
        self._queue_presentations(c, s, np.full(len(c), int(Source.REPEAT)), pitch=False)

    def _prospect(self) -> None:
        """Remaining hours go to cold leads: lead -> prospect -> presentation -> sale [003]."""
        c, s = kernels.prospect(self._state, self.rng, self.week, self._scale())
        self._queue_presentations(c, s, np.full(len(c), int(Source.NEW)), pitch=False)

    def _hold_presentations(self) -> None:
        """All of the week's presentations, each customer with one seller at most."""
        if not self._presentations:
            return
        c, s, src, pitch = (np.concatenate(x) for x in zip(*self._presentations, strict=True))
        self._presentations = []
        sold_c, sold_s, sold_fit, hand_c, hand_s = kernels.hold_presentations(
            c, s, src, pitch, self._state, self.rng, self.week, self._scale())
        if len(sold_c):
            self._pending.append((sold_c, sold_s, sold_fit))
        self._queue_warm(hand_c, hand_s, Source.HANDOFF)

    def _end_week(self) -> None:
        used = self._budget - self._left
        self.counters.values["minutes_used"][:] = used
        self._debt = np.maximum(0.0, -self._left)
        self.recorder.record(self)
        self.datacollector.collect(self)
        if self.week >= self.config.weeks:
            self.running = False

    # ---------------------------------------------------------------- mechanisms
    def _scale(self) -> float:
        return self.customers.trust.scale

    def _queue_presentations(self, c: np.ndarray, s: np.ndarray, src: np.ndarray, *, pitch: bool) -> None:
        """Presentations already booked (time reserved); they are held together at the end of the week."""
        if len(c):
            self._presentations.append((c, s, src, np.full(len(c), pitch)))

    def _sell(self, c: np.ndarray, s: np.ndarray, src: np.ndarray, fit: np.ndarray) -> None:
        if len(c) == 0:
            return
        kernels.sell(c, s, src.astype(np.int64), self._state, self.rng, self.week)
        self._pending.append((c, s, fit))

    def _fit(self, c: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Fit of seller s's offering with customer c's current need, drawn once per need."""
        return kernels.fits(c, s, self._state, self.rng)

    def _queue_warm(self, c: np.ndarray, s: np.ndarray, source: Source) -> None:
        if len(c):
            self._warm.append((c.astype(np.int64), s.astype(np.int64), np.full(len(c), int(source))))

    # ---------------------------------------------------------------- inspection
    def customer(self, i: int) -> CustomerView:
        """Snapshot of customer ``i``: trust toward each seller, purchases, reviews, friends."""
        return self.customers.view(i, [s.name for s in self.sellers])

    def _model_reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {"week": lambda mdl: mdl.week}
        for group in self.config.sellers:
            idx = [s.index for s in self.sellers if s.strategy_name == group.strategy]
            reporters[f"revenue_{group.strategy}"] = (
                lambda mdl, idx=idx: float(mdl.recorder.cumulative("revenue")[idx].mean()))
            reporters[f"referrals_{group.strategy}"] = (
                lambda mdl, idx=idx: float(mdl.recorder.cumulative("referrals_received")[idx].mean()))
        return reporters
