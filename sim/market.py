"""The market: a Mesa model in which sellers with different strategies compete for customers.

One step is one week. :meth:`Market.step` reads as the week's phases, in order. Sellers act in
an explicit random order each week: every phase that touches several sellers processes their
tasks in a freshly shuffled order, and a customer can be served by only one seller per phase
(the first in that order), which is the vectorised equivalent of ``shuffle_do``.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from .arrays import clip, first_per_key
from .config import Config, load_scenario
from .customers import NEVER, CustomerPopulation, CustomerView
from .funnel import Source, WeeklyCounters
from .metrics import Recorder
from .network import build_network
from .sellers import Seller, StrategyTable
from .social import ReviewBoard, spread_word, willingness, write_reviews

__all__ = ["Market"]

_SOURCE_COUNTER = {Source.NEW: "sales_new", Source.REPEAT: "sales_repeat",
                   Source.REFERRAL: "sales_referral", Source.INBOUND: "sales_inbound"}
_EMPTY = np.zeros(0, dtype=np.int64)


def _within_budget(sellers: np.ndarray, cost: np.ndarray, available: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Which tasks each seller can do, taking its tasks in random order until minutes run out."""
    k = len(sellers)
    if k == 0:
        return np.zeros(0, dtype=bool)
    demand = np.bincount(sellers, weights=cost, minlength=len(available))
    if np.all(demand <= available + 1e-9):   # everything fits: no need to order the tasks
        return np.ones(k, dtype=bool)
    perm = rng.permutation(k)
    order = perm[np.argsort(sellers[perm], kind="stable")]
    s_sorted = sellers[order]
    cum = np.cumsum(cost[order])
    starts = np.searchsorted(s_sorted, s_sorted, side="left")
    within = cum - cum[starts] + cost[order][starts]
    ok = np.zeros(k, dtype=bool)
    ok[order] = within <= available[s_sorted] + 1e-9
    return ok


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
        self._debt = np.zeros(self.n_sellers)
        self._left = np.zeros(self.n_sellers)
        self._left_rel = np.zeros(self.n_sellers)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []   # this week's sales
        self._warm: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._new_needs = _EMPTY
        self._presentations: list[tuple[np.ndarray, ...]] = []
        self._busy = np.zeros(m.customers, dtype=np.int32)   # week a customer last sat through a presentation
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
        budget = self.market.hours_per_week * 60.0 - self._debt
        self._budget = budget
        self._left = budget.copy()
        self._left_rel = budget * (1.0 - self.strat.prospecting_share)

    def _needs_arise(self) -> None:
        pop = self.customers
        new = np.flatnonzero(pop.next_need == self.week)
        pop.in_market[new] = True
        pop.need_since[new] = self.week
        pop.next_need[new] = NEVER
        pop.fit[new] = np.nan
        self._new_needs = new

    def _expire_needs(self) -> None:
        """Needs nobody served within the customer's patience are met outside this market."""
        pop = self.customers
        stale = np.flatnonzero(pop.in_market & (pop.need_since <= self.week - self.market.need_patience_weeks))
        pop.in_market[stale] = False
        pop.next_need[stale] = self._next_need_week(len(stale))

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
        self._sell(c, s, np.full(len(c), Source.INBOUND), self._fit(c, s))

    def _choose_seller(self, c: np.ndarray) -> np.ndarray:
        """For each customer, a seller drawn in proportion to willingness (trust as seen)."""
        will = willingness(self.reviews.effective_trust(self.customers.trust.rows(c), self.customers.reads_reviews[c]),
                           self.market)
        cum = np.cumsum(will, axis=1)
        return (self.rng.random(len(c))[:, None] * cum[:, -1:] < cum).argmax(axis=1)

    def _after_sales(self) -> None:
        """Last week's sales: service failures, follow-ups, recovery, satisfaction, reviews, word of mouth."""
        if not self._pending:
            return
        c, s, fit = (np.concatenate(x) for x in zip(*self._pending, strict=True))
        self._pending = []
        m, st, rng, pop = self.market, self.strat, self.rng, self.customers
        k = len(c)
        failure = rng.random(k) < m.failure_rate
        complained = failure & (rng.random(k) < m.complaint_rate)
        followed = self._spend_customer_time(s, rng.random(k) < st.follow_up[s], st.minutes_per_contact[s])
        known = complained | (failure & followed)
        fixed = self._spend_customer_time(s, known & (rng.random(k) < st.owns_failures[s]),
                                          np.full(k, m.recovery_minutes))
        sat = fit - m.pressure_regret * st.pressure[s] + rng.normal(0.0, 0.05, k)
        sat = np.where(failure & fixed, sat + m.recovery_bonus, sat)
        sat = clip(np.where(failure & ~fixed, sat - m.failure_cost, sat), 0.0, 1.0)
        trust = pop.trust.pairs(c, s)
        valence = 2.0 * sat - 1.0
        trust = trust + m.experience_weight * valence * np.where(valence > 0, 1.0 - trust, trust)
        trust = np.where(followed, trust + self._contact_gain(s, trust, logged=True), trust)
        trust = np.where(complained & ~fixed, trust - m.ignored_cost, trust)
        pop.trust.set_pairs(c, s, trust)
        pop.last_contact[c[followed], s[followed]] = self.week
        wrote = write_reviews(self.reviews, pop, c, s, sat, st.invites_reviews[s], m, rng)
        friend, seller, _ = spread_word(pop, c, s, sat, st.asks_referrals[s], m, rng)
        self._queue_warm(friend, seller, Source.REFERRAL)
        cnt = self.counters
        cnt.add("follow_ups", s[followed])
        cnt.add("service_failures", s[failure])
        cnt.add("failures_fixed", s[failure & fixed])
        cnt.add("reviews_new", s[wrote])
        cnt.add("referrals_received", seller)
        cnt.add("experiences", s)
        cnt.add("satisfaction_sum", s, sat)

    def _customers_seek(self) -> None:
        """Customers with a new need go by themselves to a seller they already trust [000]."""
        c = self._new_needs
        if len(c) == 0:
            return
        pop, rng = self.customers, self.rng
        if self.market.repeat_probability is not None:   # lifetime-value limit: loyal repeat buyers
            c = c[pop.in_market[c]]                      # not those who already bought this week
            back = pop.last_seller[c] >= 0
            cb, sb = c[back], pop.last_seller[c[back]].astype(np.int64)
            self._sell(cb, sb, np.full(len(cb), Source.REPEAT), self._fit(cb, sb))
            c = c[~back]
            if len(c) == 0:
                return
        eff = self.reviews.effective_trust(pop.trust.rows(c), pop.reads_reviews[c])
        will = willingness(eff, self.market)
        go = rng.random(len(c)) < will.max(axis=1)
        if not go.any():
            return
        w = will[go]
        cum = np.cumsum(w, axis=1)
        pick = (rng.random(len(w))[:, None] * cum[:, -1:] < cum).argmax(axis=1)
        self._queue_warm(c[go], pick, Source.INBOUND)

    def _serve_warm_leads(self) -> None:
        """Referrals, returning and inbound customers: straight to a presentation, if there is time."""
        if not self._warm:
            return
        c, s, src = (np.concatenate(x) for x in zip(*self._warm, strict=True))
        self._warm = []
        pop, m = self.customers, self.market
        live = pop.in_market[c]
        c, s, src = c[live], s[live], src[live]
        keep = first_per_key(c, self.rng)
        c, s, src = c[keep], s[keep], src[keep]
        ok = _within_budget(s, np.full(len(c), m.presentation_minutes), self._left, self.rng)
        if not ok.all():  # came to buy and nobody had time: "don't invite people if you don't have the bandwidth"
            ci, si = c[~ok], s[~ok]
            pop.trust.set_pairs(ci, si, pop.trust.pairs(ci, si) - m.ignored_cost)
            self.counters.add("turned_away", si)
            c, s, src = c[ok], s[ok], src[ok]
        self.counters.add("leads", s)
        self.counters.add("prospects", s)
        self._book_presentations(c, s, src, pitch=True)

    def _keep_in_touch(self) -> None:
        """Sellers spend their remaining customer time contacting their own customers [003][004]."""
        pop, m, st, rng = self.customers, self.market, self.strat, self.rng
        cap = np.floor(np.maximum(self._left_rel, 0.0) / st.minutes_per_contact).astype(np.int64)
        if cap.sum() == 0:
            return
        book = np.flatnonzero(pop.last_seller >= 0)
        s = pop.last_seller[book].astype(np.int64)
        due = self.week - pop.last_contact[book, s] >= m.attention_weeks
        c, s = book[due], s[due]
        if len(c) == 0:
            return
        perm = rng.permutation(len(c))
        order = perm[np.argsort(s[perm], kind="stable")]
        c, s = c[order], s[order]
        starts = np.searchsorted(s, np.arange(self.n_sellers))
        take = np.arange(len(c)) - starts[s] < cap[s]
        c, s = c[take], s[take]
        self._spend(s, st.minutes_per_contact[s])
        self.counters.add("keep_in_touch", s)
        self._contact(c, s, pitch=True, logged=True)
        ready = pop.in_market[c] & (self._busy[c] != self.week)
        c, s = c[ready], s[ready]
        self.counters.add("leads", s)
        self.counters.add("prospects", s)
        c, s = self._accept_presentation(c, s)
        self._book_presentations(c, s, np.full(len(c), Source.REPEAT), pitch=False)

    def _prospect(self) -> None:
        """Remaining hours go to cold leads: lead -> prospect -> presentation -> sale [003]."""
        pop, m, st, rng = self.customers, self.market, self.strat, self.rng
        n = np.floor(np.maximum(self._left, 0.0) / st.minutes_per_contact).astype(np.int64)
        if n.sum() == 0:
            return
        c, s = self._cold_list(n)
        self._spend(s, st.minutes_per_contact[s])
        self.counters.add("leads", s)
        pitched_recently = self.week - pop.last_contact[c, s] < m.attention_weeks
        if pitched_recently.any():
            ci, si = c[pitched_recently], s[pitched_recently]
            pop.trust.set_pairs(ci, si, pop.trust.pairs(ci, si) - m.fatigue_cost)
        self._contact(c, s, pitch=True)
        prospect = pop.in_market[c] & ~pitched_recently & (self._busy[c] != self.week) \
            & (rng.random(len(c)) < m.attention)
        c, s = c[prospect], s[prospect]
        self.counters.add("prospects", s)
        c, s = self._accept_presentation(c, s)
        keep = first_per_key(c, rng)   # a customer sits through one presentation per week
        c, s = c[keep], s[keep]
        self._book_presentations(c, s, np.full(len(c), Source.NEW), pitch=False)

    def _cold_list(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``n[s]`` distinct random customers for each seller s, none of them its own customers.

        Spare names replace dropped ones (own customers, repeats), so no contact time is lost; in a
        market too small for the list, the seller calls everyone it can and the rest of its time
        stays unused.
        """
        pop, rng = self.customers, self.rng
        small = n * 4 > pop.n
        s = np.repeat(np.arange(self.n_sellers), np.where(small, 0, n + n // 4 + 8))
        c = rng.integers(0, pop.n, len(s))
        keep = first_per_key(c * self.n_sellers + s, rng)
        keep = keep[pop.last_seller[c[keep]] != s[keep]]
        c, s = c[keep], s[keep]
        parts_c, parts_s = [c], [s]
        for j in np.flatnonzero(small):   # small market: sample without replacement
            others = np.flatnonzero(pop.last_seller != j)
            pick = rng.choice(others, size=min(int(n[j]), len(others)), replace=False)
            parts_c.append(pick)
            parts_s.append(np.full(len(pick), j))
        if len(parts_c) > 1:
            c, s = np.concatenate(parts_c), np.concatenate(parts_s)
            order = np.argsort(s, kind="stable")
            c, s = c[order], s[order]
        starts = np.searchsorted(s, np.arange(self.n_sellers))
        take = np.arange(len(c)) - starts[s] < n[s]
        return c[take], s[take]

    def _hold_presentations(self) -> None:
        """All of the week's presentations, each customer with one seller at most."""
        if not self._presentations:
            return
        c, s, src, pitch = (np.concatenate(x) for x in zip(*self._presentations, strict=True))
        self._presentations = []
        self._contact(c, s, pitch=pitch)
        self._present(c, s, src)

    def _end_week(self) -> None:
        used = self._budget - self._left
        self.counters.values["minutes_used"][:] = used
        self._debt = np.maximum(0.0, -self._left)
        self.recorder.record(self)
        self.datacollector.collect(self)
        if self.week >= self.config.weeks:
            self.running = False

    # ---------------------------------------------------------------- mechanisms
    def _accept_presentation(self, c: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prospects agree to a presentation: steeply more likely above the trust threshold."""
        eff = self.reviews.effective_trust(self.customers.trust.pairs(c, s), self.customers.reads_reviews[c], s)
        accept = self.rng.random(len(c)) < self._with_pressure(willingness(eff, self.market), s)
        return c[accept], s[accept]

    def _book_presentations(self, c: np.ndarray, s: np.ndarray, src: np.ndarray, *, pitch: bool) -> None:
        """Reserve the presentation time now; presentations are held together at the end of the week."""
        if len(c) == 0:
            return
        self._spend(s, self.market.presentation_minutes)
        self._busy[c] = self.week
        self._presentations.append((c, s, src, np.full(len(c), pitch)))

    def _contact(self, c: np.ndarray, s: np.ndarray, *, pitch: bool | np.ndarray, logged: bool = False) -> None:
        """One conversation: genuine interest builds trust; pressure on a pitch costs it.

        ``pitch=False`` marks the second half of a conversation already charged as a pitch
        (a presentation right after a cold call).
        """
        if len(c) == 0:
            return
        pop = self.customers
        trust = pop.trust.pairs(c, s)
        new = trust + self._contact_gain(s, trust, logged=logged)
        new = new - self.market.pressure_trust_cost * self.strat.pressure[s] * pitch
        pop.trust.set_pairs(c, s, new)
        pop.last_contact[c, s] = self.week

    def _contact_gain(self, s: np.ndarray, trust: np.ndarray, *, logged: bool) -> np.ndarray:
        st, m = self.strat, self.market
        gain = m.trust_gain_per_minute * st.genuine_interest[s] * st.minutes_per_contact[s] * (1.0 - trust)
        if logged:
            gain = gain * (1.0 + m.log_bonus * st.keeps_log[s])
        return gain

    def _with_pressure(self, will: np.ndarray, s: np.ndarray) -> np.ndarray:
        return will + self.market.pressure_close_lift * self.strat.pressure[s] * (1.0 - will)

    def _present(self, c: np.ndarray, s: np.ndarray, src: np.ndarray) -> None:
        """A presentation: an honest seller declines a poor fit; otherwise the customer may buy."""
        if len(c) == 0:
            return
        pop, m, rng = self.customers, self.market, self.rng
        self.counters.add("presentations", s)
        fit = self._fit(c, s)
        decline = fit < self.strat.fit_threshold[s]
        eff = self.reviews.effective_trust(pop.trust.pairs(c, s), pop.reads_reviews[c], s) + m.commitment
        buy = ~decline & (rng.random(len(c)) < self._with_pressure(willingness(eff, m), s))
        if decline.any():
            self._decline_honestly(c[decline], s[decline])
        self._sell(c[buy], s[buy], src[buy], fit[buy])

    def _decline_honestly(self, c: np.ndarray, s: np.ndarray) -> None:
        """'Selling a product that will not benefit the customer is a huge mistake' [002]."""
        pop = self.customers
        trust = pop.trust.pairs(c, s)
        pop.trust.set_pairs(c, s, trust + self.market.honesty_gain * (1.0 - trust))
        self.counters.add("declined_poor_fit", s)
        if self.n_sellers < 2:
            return
        k, n_s = len(c), self.n_sellers
        fits = self._fit(np.repeat(c, n_s), np.tile(np.arange(n_s), k)).reshape(k, n_s)
        own = fits[np.arange(k), s].copy()
        fits[np.arange(k), s] = -np.inf
        best = fits.argmax(axis=1)
        better = fits[np.arange(k), best] > own
        self.counters.add("handoffs_made", s[better])
        self.counters.add("handoffs_received", best[better])
        self._queue_warm(c[better], best[better], Source.HANDOFF)

    def _sell(self, c: np.ndarray, s: np.ndarray, src: np.ndarray, fit: np.ndarray) -> None:
        if len(c) == 0:
            return
        pop, cnt = self.customers, self.counters
        pop.in_market[c] = False
        pop.next_need[c] = self._next_need_week(len(c), after_sale=True)
        prev = pop.last_seller[c].astype(np.int64)
        cnt.add("returns", s[prev == s])
        lost = (prev >= 0) & (prev != s)
        cnt.add("defections", prev[lost])
        np.subtract.at(self.book, prev[prev >= 0], 1)
        np.add.at(self.book, s, 1)
        src = np.where(src == Source.HANDOFF, Source.REFERRAL, src)
        src = np.where(pop.purchases_with[c, s] > 0, Source.REPEAT, src)
        pop.purchases_with[c, s] += 1
        pop.purchases[c] += 1
        pop.last_seller[c] = s
        cnt.add("sales", s)
        by_source = np.bincount(src * self.n_sellers + s, minlength=4 * self.n_sellers).reshape(4, -1)
        for source, name in _SOURCE_COUNTER.items():
            cnt.values[name] += by_source[source]
        self._pending.append((c, s, fit))

    def _fit(self, c: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Fit of seller s's offering with customer c's current need, drawn once per need."""
        pop, m = self.customers, self.market
        fit = pop.fit[c, s]
        missing = np.isnan(fit)
        if missing.any():
            a = m.fit_mean * m.fit_concentration
            b = (1.0 - m.fit_mean) * m.fit_concentration
            fit[missing] = self.rng.beta(a, b, int(missing.sum()))
            pop.fit[c[missing], s[missing]] = fit[missing]
        return fit.astype(np.float64)

    def _next_need_week(self, k: int, *, after_sale: bool = False) -> np.ndarray:
        m = self.market
        if not m.recurring_needs:
            return np.full(k, NEVER, dtype=np.int32)
        gap = self.rng.geometric(1.0 / m.purchase_cycle_weeks, k)
        week = np.minimum(self.week + gap, NEVER).astype(np.int32)
        if after_sale and m.repeat_probability is not None:
            week[self.rng.random(k) >= m.repeat_probability] = NEVER
        return week

    def _queue_warm(self, c: np.ndarray, s: np.ndarray, source: Source) -> None:
        if len(c):
            self._warm.append((c.astype(np.int64), s.astype(np.int64), np.full(len(c), int(source))))

    def _spend(self, s: np.ndarray, minutes: np.ndarray | float) -> None:
        if np.isscalar(minutes):
            spent = np.bincount(s, minlength=self.n_sellers) * minutes
        else:
            spent = np.bincount(s, weights=minutes, minlength=self.n_sellers)
        self._left -= spent
        self._left_rel = np.minimum(self._left_rel - spent, self._left)

    def _spend_customer_time(self, s: np.ndarray, wanted: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """Customer-care tasks fit into the customer share of the week or are not done (bandwidth)."""
        done = np.zeros(len(s), dtype=bool)
        idx = np.flatnonzero(wanted)
        ok = _within_budget(s[idx], minutes[idx], np.maximum(self._left_rel, 0.0), self.rng)
        done[idx[ok]] = True
        self._spend(s[done], minutes[done])
        return done

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
