"""The verdict in words: headline cards, the report's table and the story, over one run or many.

Part of the narration (:mod:`sim.narrate`). Every surface shows the same cards: the command line's
summary, the notebooks' headline cards (:func:`headline_cards`, also called :func:`meeting_cards`),
the dashboard and the report (:func:`headline_rows`), all from one :class:`~.comparison.Comparison`
per outcome (:func:`~.comparison.compare`; the rules are :mod:`sim.model.comparison`'s). Ratios
are ``relationship`` over ``numbers_game`` by name (:func:`~.comparison.compared_pair`); a
difference whose interval includes zero is "No clear winner", never a lead; a single run is "One
run: no verdict", with who is ahead in that one run. Also owns the story (:func:`meeting_story`,
:func:`why_bullets`), the page title (:func:`scenario_title`) and the notes under a table.

Must not: draw, build HTML, import matplotlib or ipywidgets (the command line may import it), run
the model, compute an interval or change a summary. It reads per-run summaries
(:attr:`sim.Results.runs`), replicate summaries and configs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..config import WEEKS_PER_YEAR
from .comparison import (
    RATIO_PAIR,
    Comparison,
    Estimate,
    compare,
    compared_pair,
    compares_text,
    comparison_of,
    difference_text,
    estimate,
    markets_text,
    ratio_text,
    verdict_text,
    versus_text,
)
from .formats import Card, count, money, num, pretty_name, ratio_bound, scalar, stars, times, years_text

__all__ = [
    "RATIO_PAIR", "compared_pair", "compares_text", "Estimate", "estimate", "ratio_bound", "Comparison", "compare",
    "comparison_of", "verdict_text", "versus_text", "markets_text", "difference_text", "ratio_text", "headline_cards",
    "meeting_cards", "headline_rows", "meeting_story", "why_bullets", "scenario_title", "crossover_shown",
    "FAIR_TEST", "INTERVAL_NOTE",
]


# ============================================================================ the crossover
def _crossover(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None,
               winner: str | None) -> tuple[str, str, str, str | None]:
    """The crossover as a card: value, sub line, detail, strategy (coloured only if it is the clear winner).

    Over ``runs`` when given, else from the summary (a replicate summary's ``crossover_week`` with
    ``never_share``, or one run's week).
    """
    cha, inc = summary.get("challenger"), summary.get("incumbent")
    horizon = years_text(int(summary.get("weeks") or 0))
    cross = summary.get("crossover_week")
    if runs and len(runs) > 1:
        weeks = [scalar(r.get("crossover_week")) for r in runs]
        n, e = len(runs), estimate([w for w in weeks if w is not None])
        hits = e.n
    elif isinstance(cross, Mapping) and int(summary.get("replicates") or 1) > 1:
        n = int(summary["replicates"])
        hits = round((1.0 - float(cross.get("never_share") or 0.0)) * n)
        e = Estimate.of(cross, hits)
    else:
        week = scalar(cross if not runs else runs[0].get("crossover_week"))
        n, hits, e = 1, int(week is not None), Estimate(week, None, None, 1)
    who = f"{pretty_name(cha)} overtakes {pretty_name(inc).lower()} for good"
    if not hits or e.mean is None:
        return ("never", f"{pretty_name(cha)} does not overtake {pretty_name(inc).lower()} within {horizon}",
                f"in any of the {n} simulated markets" if n > 1 else "", None)
    week = e.mean
    when = f"about {week / WEEKS_PER_YEAR:.1f} years in" if week >= WEEKS_PER_YEAR else \
        f"in month {int(week * 12 // WEEKS_PER_YEAR) + 1}"
    color = cha if winner == cha else None
    if n == 1:
        return f"week {week:.0f}", f"{who}, {when} (in this one run)", "", color
    detail = f"in {hits} of {n} simulated markets"
    if hits > 1 and e.low is not None and e.high is not None:
        detail += f" (95% interval of the mean week {e.low:.0f}–{e.high:.0f})"
    if hits < n:
        detail += f"; never in {n - hits}"
    if 2 * hits < n:
        return "mostly never", f"{who} in only {hits} of {n} markets (mean week {week:.0f})", detail, None
    return f"week {week:.0f}", f"{who}, {when} (mean of {hits} runs)", detail, color


def crossover_shown(summary: Mapping[str, Any]) -> Any:
    """The crossover a figure marks: the summary's, or None when it happens in fewer than half the runs.

    The same rule as the crossover card ("mostly never"), so a figure never draws a line the card denies.
    """
    cross = summary.get("crossover_week")
    if isinstance(cross, Mapping) and (cross.get("never_share") or 0.0) > 0.5:
        return None
    return cross


# ============================================================================ cards and rows
def _spans(weeks: int, year1: str) -> list[tuple[str, str]]:
    spans = [("revenue_total", years_text(weeks))]
    return [("revenue_year1", year1), *spans] if weeks > WEEKS_PER_YEAR else spans


def _runs(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]] | None:
    """The runs to judge over: ``runs`` when given; None for a replicate summary alone (it carries its comparison)."""
    if runs:
        return list(runs)
    return None if int(summary.get("replicates") or 1) > 1 and "comparison" in summary else [summary]


def _one_strategy_card(summary: Mapping[str, Any]) -> Card:
    name = next(iter(summary.get("strategies", {})), "?")
    value = scalar(summary.get("strategies", {}).get(name, {}).get("revenue_total"))
    return Card("Revenue per seller", money(value), pretty_name(name), name)


def headline_cards(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None = None,
                   config: Any = None) -> list[Card]:
    """The headline cards of one run or many: who is ahead after year 1 and at the horizon, the ratio, the crossover.

    Each card names whose number is whose and how sure it is: "No clear winner" when an interval
    includes no difference, "One run: no verdict" for a single run (its detail says who is ahead in
    that one run). A replicate summary without ``runs`` uses its own ``comparison``. One strategy
    gets one card.

    Args:
        summary: :attr:`sim.Results.summary` (one run or replicates).
        runs: the per-run summaries (:attr:`sim.Results.runs`), when at hand.
        config: unused (the pair depends on the names only); accepted for callers that pass it.
    """
    pair = compared_pair(list(summary.get("strategies", {})))
    if pair is None:
        return [_one_strategy_card(summary)]
    runs_ = _runs(summary, runs)
    weeks = int(summary.get("weeks") or 0)
    cards = []
    for metric, when in _spans(weeks, "1 year"):
        c = comparison_of(summary, runs_, metric, pair)
        cards.append(Card(f"After {when}", verdict_text(c), versus_text(c), c.winner, markets_text(c)))
    r = c.ratio
    detail = ("one run: no interval" if c.runs < 2 or r.low is None
              else f"95% interval {ratio_bound(r.low)}–{ratio_bound(r.high)}")
    detail += ": no clear winner" if c.verdict == "unclear" else ""
    cards.append(Card(f"Revenue ratio, {years_text(weeks)}", times(r.mean),
                      f"{pretty_name(c.first)} ÷ {pretty_name(c.second)} revenue per seller", c.winner, detail))
    value, sub, detail, who = _crossover(summary, runs_, c.winner)
    cards.append(Card("Crossover week", value, sub, who, detail))
    return cards


meeting_cards = headline_cards
"""The dashboard's name for :func:`headline_cards` (the same function)."""


def headline_rows(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None = None,
                  config: Any = None) -> list[tuple[str, str]]:
    """The headline numbers as ``(label, value)`` rows with intervals (the report's table)."""
    pair = compared_pair(list(summary.get("strategies", {})))
    if pair is None:
        return [(f"Revenue per seller, {pretty_name(n)}", money(scalar(s.get("revenue_total"))))
                for n, s in summary.get("strategies", {}).items()]
    runs_ = _runs(summary, runs)
    a, b = (pretty_name(n) for n in pair)
    rows: list[tuple[str, str]] = []
    for metric, when in _spans(int(summary.get("weeks") or 0), "year 1"):
        c = comparison_of(summary, runs_, metric, pair)
        rows += [(f"Revenue per seller, {when}: {a}", c.first_value.text(money)),
                 (f"Revenue per seller, {when}: {b}", c.second_value.text(money)),
                 (f"Revenue ratio {a} ÷ {b}, {when}", ratio_text(c)),
                 (f"Who is ahead, {when}", f"{verdict_text(c)}. {markets_text(c)}")]
        if c.runs > 1:
            rows.append((f"Difference {a} − {b}, {when}", difference_text(c) + " revenue per seller"))
    value, sub, detail, _ = _crossover(summary, runs_, c.winner)
    rows.append(("Crossover week", f"{value}: {sub}" + (f"; {detail}" if detail else "")))
    referrals = compare(runs_, "referrals_total", pair) if runs_ else None
    if referrals is not None:
        rows.append(("Referrals received per seller", versus_text(referrals, "", num)))
    return rows


# ============================================================================ the story
def _share_text(sources: Mapping[str, float], handoffs: bool = False) -> str:
    total = sum(float(v or 0.0) for v in sources.values())
    if total <= 0:
        return "no sales"
    names = {"new": "cold leads", "repeat": "repeat customers",
             "referral": "referrals and hand-offs" if handoffs else "referrals",
             "inbound": "customers who came by themselves"}
    parts = sorted(((float(v or 0.0) / total, k) for k, v in sources.items()), reverse=True)
    return ", ".join(f"{share:.0%} {names.get(k, k)}" for share, k in parts if share >= 0.005)


def why_bullets(strategies: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """One markdown bullet per strategy: where its sales came from, referrals, reviews, trust, leads per sale.

    Reads single-run numbers or replicate means (``{"mean", "low", "high"}``) alike.
    """
    def val(node: Mapping[str, Any], key: str) -> float:
        return scalar(node.get(key)) or 0.0

    out = []
    for name in names:
        s = strategies.get(name, {})
        f1 = s.get("funnel_year1", {})
        leads, sales = val(f1, "leads"), val(f1, "sales")
        per_sale = f"{leads / sales:,.0f} leads per sale in year 1" if sales else "no sales in year 1"
        handed, passed = val(s, "handoffs_received"), val(s, "handoffs_made")
        handoffs = (f" and {handed:,.0f} poor-fit customers the competitor passed on" if handed else "") + \
                   (f"; passed {passed:,.0f} poor-fit customers on to the competitor" if passed else "")
        sources = {k: scalar(v) for k, v in s.get("sales_by_source", {}).items()}
        out.append(
            f"- **{pretty_name(name)}**: sales came from {_share_text(sources, handed > 0)}; "
            f"{count(val(s, 'referrals_total'), 'referral')} received from customers' friends{handoffs}; "
            f"{count(val(s, 'reviews_count'), 'review')} ({stars(s.get('mean_rating'))}); "
            f"trust held in the market at the end {val(s, 'mean_trust_final'):.2f}; {per_sale}.")
    return out


def meeting_story(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None = None,
                  config: Any = None) -> str:
    """The plain-language story of one run or many, in markdown: who is ahead when, how sure, and why.

    One run is never a verdict: it says who is ahead "in this one run".
    """
    pair = compared_pair(list(summary.get("strategies", {})))
    if pair is None:
        return "Only one strategy in this run: nothing to compare."
    runs_ = _runs(summary, runs)
    n = len(runs_) if runs_ else int(summary.get("replicates") or 1)
    weeks = int(summary.get("weeks") or 0)
    lines = [f"Over **{n} simulated markets** (the same settings, different random draws; numbers are means "
             "with 95% intervals):" if n > 1 else
             "**One simulated market** (a single run gives no interval and no verdict; run replicates to judge a "
             "winner):"]
    for metric, when in _spans(weeks, "one year"):
        c = comparison_of(summary, runs_, metric, pair)
        if c.winner is not None:
            text = f"the **{pretty_name(c.winner).lower()}** seller is ahead: {versus_text(c)}; {markets_text(c)}."
        elif c.verdict == "level":
            text = f"level: both earn {money(c.first_value.mean)} revenue per seller."
        elif c.verdict == "one run":
            text = (f"the {pretty_name(c.one_run_leader or '').lower()} seller is ahead in this one run: "
                    f"{versus_text(c)}.")
        else:
            text = (f"**no clear winner**: {versus_text(c)}; {markets_text(c)}; the difference, "
                    f"{difference_text(c)} revenue per seller, has a 95% interval that includes zero.")
        lines.append(f"**After {when}**, {text}")
    lines.append(f"{pretty_name(c.first)} ÷ {pretty_name(c.second)} revenue per seller over {years_text(weeks)}: "
                 f"**{ratio_text(c)}**.")
    _, sub, detail, _ = _crossover(summary, runs_, c.winner)
    lines.append(f"Crossover: {sub}" + (f"; {detail}" if detail else "") + ".")
    threshold = getattr(getattr(config, "market", None), "trust_threshold", None)
    tail = f" Customers buy readily once their trust passes {threshold:g}." if threshold is not None else ""
    head = "**Why** (per seller, whole horizon" + (f", means of {n} runs" if n > 1 else "") + "):"
    return ("\n\n".join(lines) + f"\n\n{head}\n\n" + "\n".join(why_bullets(summary.get("strategies", {}), pair))
            + "\n\nRepeat business and referrals only come to a seller whom customers trust." + tail)


# ============================================================================ title and notes
def scenario_title(config: Any, pair: tuple[str, str] | None = None) -> str:
    """The page and report title: ``"Two cobblers: relationship or numbers game?"`` (the scenario's own name)."""
    name = pretty_name(getattr(config, "name", "") or "custom scenario")
    names = [g.strategy for g in getattr(config, "sellers", [])]
    pair = pair or compared_pair(names, config)
    if pair is None:
        return name
    return f"{name}: {pretty_name(pair[0]).lower()} or {pretty_name(pair[1]).lower()}?"


INTERVAL_NOTE = ("Means with 95% intervals in [brackets]; each run is one simulated market. Intervals of revenues "
                 "and counts come from resampling the runs (bootstrap), so they never go below zero; a ratio is the "
                 "ratio of the two means, its interval from resampling the runs in pairs; a difference has a "
                 "t-interval, and when it includes zero there is no clear winner.")
"""How to read the intervals (printed under a table of them)."""

FAIR_TEST = ("Every seller has the same hours, the same price and, on average, equally good products: any "
             "difference comes from how they sell.")
"""What makes the comparison fair (hours, price and product quality are market settings, not seller settings)."""
