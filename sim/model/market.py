"""The market: a Mesa model in which sellers with different strategies compete for customers.

One step is one week. Sellers act in an explicit random order each week: every phase that
touches several sellers processes their tasks in a freshly shuffled order, and a customer can be
served by only one seller per phase (the first in that order), which is the equivalent of
``shuffle_do`` over sellers.

:meth:`Market.step` runs the whole week in one compiled call (:func:`sim.model.kernels.run_week`,
numba), which walks the week's phases in order (listed in :mod:`sim.model.kernels.week`) with the
model's own random generator, on the named state built once here
(:func:`sim.model.kernels.build_state`); the rules live in the kernels' docstrings and in
docs/ODD.md. With the Bass diffusion switched on, the week is two compiled calls with the
vectorised diffusion phase (Python) between them. The ``_start_week`` ... ``_end_week`` methods run
the same phases one call each, for a look at the state between phases.

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
from .collector import WeeklyCollector
from .customers import CustomerPopulation, CustomerView
from .funnel import MARKET_COUNTERS, Source, WeeklyCounters
from .metrics import Recorder
from .network import build_network
from .reviews import ReviewBoard
from .sellers import Seller, StrategyTable

__all__ = ["Market"]


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
        self.recorder = Recorder(config.weeks, self.n_sellers)
        self.book = np.zeros(self.n_sellers, dtype=np.int64)
        self._debt = np.zeros(self.n_sellers)       # minutes overspent, carried to next week (updated in place)
        self._left = np.zeros(self.n_sellers)       # minutes left this week (updated in place)
        self._left_rel = np.zeros(self.n_sellers)   # of which for existing customers (updated in place)
        self._busy = np.zeros(m.customers, dtype=np.int32)   # week a customer last sat through a presentation
        # the named state the compiled phases work on (the arrays above, shared, never rebound), with the
        # week's queues between phases and its books
        self._state = kernels.build_state(m, self.customers, self.strat, self.reviews, self.counters.table,
                                          self._left, self._left_rel, self.book, self._busy, debt=self._debt,
                                          recorder=self.recorder, rng=self.rng)
        self._diffusing = m.outside_influence != 0.0 or m.imitation != 0.0
        self.datacollector = WeeklyCollector(self)

    # ---------------------------------------------------------------- the week
    def step(self) -> None:
        """One week: one compiled call for its phases (two around the Bass diffusion phase, when it is on)."""
        self.week += 1
        if self._state.generator is not self.rng:   # a new generator (Mesa's reset_rng): the kernels draw from it
            self._state = self._state.with_generator(self.rng)
        if self._diffusing:
            kernels.open_week(self._state, self.week)
            self._diffusion()
            kernels.close_week(self._state, self.week)
        else:
            kernels.run_week(self._state, self.week)
        self._collect()

    def run(self, weeks: int | None = None) -> Market:
        """Run to the horizon (or ``weeks`` more weeks)."""
        for _ in range(self.config.weeks - self.week if weeks is None else weeks):
            if not self.running:
                break
            self.step()
        return self

    @property
    def market_counts(self) -> dict[str, int]:
        """This week's market-wide counts (:data:`~sim.model.funnel.MARKET_COUNTERS`)."""
        return {name: int(v) for name, v in zip(MARKET_COUNTERS, self._state.week.market, strict=True)}

    # ---------------------------------------------------------------- phases, one at a time
    # Market.step runs them all in one compiled call; these run one phase each, in the same order,
    # for a look at the state between phases.
    def _start_week(self) -> None:
        self.week += 1
        kernels.start_week(self._state)

    def _needs_arise(self) -> None:
        kernels.needs_arise(self._state, self.week)

    def _expire_needs(self) -> None:
        """Needs nobody served within the customer's patience go to the outside option (counted)."""
        kernels.expire_needs(self._state, self.rng, self.week)

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
        kernels.after_sales_phase(self._state, self.rng, self.week)

    def _customers_seek(self) -> None:
        """Turnover first, then customers with a new need go by themselves to a seller they trust [000]."""
        kernels.customers_seek_phase(self._state, self.rng, self.week)

    def _serve_warm_leads(self) -> None:
        """Referrals, returning and inbound customers: straight to a presentation, if there is time."""
        kernels.serve_warm_leads_phase(self._state, self.rng, self.week)

    def _keep_in_touch(self) -> None:
        """Sellers spend their remaining customer time contacting their own customers [003][004]."""
        kernels.keep_in_touch_phase(self._state, self.rng, self.week)

    def _prospect(self) -> None:
        """Remaining hours go to cold leads: lead -> prospect -> presentation -> sale [003]."""
        kernels.prospect_phase(self._state, self.rng, self.week)

    def _hold_presentations(self) -> None:
        """All of the week's presentations, each customer with one seller at most."""
        kernels.hold_presentations_phase(self._state, self.rng, self.week)

    def _end_week(self) -> None:
        kernels.end_week(self._state)
        self._collect()

    def _collect(self) -> None:
        self.datacollector.collect(self)
        if self.week >= self.config.weeks:
            self.running = False

    # ---------------------------------------------------------------- mechanisms
    def _sell(self, c: np.ndarray, s: np.ndarray, src: np.ndarray, fit: np.ndarray) -> None:
        if len(c) == 0:
            return
        kernels.sell(c, s, src.astype(np.int64), self._state, self.rng, self.week)
        kernels.queue_sales(self._state, c, s, fit)

    def _fit(self, c: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Fit of seller s's offering with customer c's current need, drawn once per need."""
        return kernels.fits(c, s, self._state, self.rng)

    # ---------------------------------------------------------------- inspection
    def customer(self, i: int) -> CustomerView:
        """Snapshot of customer ``i``: trust toward each seller, purchases, reviews, friends."""
        return self.customers.view(i, [s.name for s in self.sellers])
