"""The verdict: two strategies compared over the same simulated markets, and said honestly.

Part of the narration (:mod:`sim.narrate` has the number formats, the single-run story and the
command line's summary; this module adds what replicates make possible). Owns the one definition
of every ratio and difference (:data:`RATIO_PAIR`: ``relationship`` over ``numbers_game``, by
name, whatever the order of the sellers; :func:`compared_pair`), :class:`Comparison` (per-run
differences, a ratio of the means whose bootstrap interval never goes below zero, counts of the
markets each strategy is ahead in, and a verdict that is "no clear winner" whenever an interval
includes no difference) and its wording: the dashboard's headline cards (:func:`meeting_cards`),
the report's table (:func:`headline_rows`), the story over many runs (:func:`meeting_story`) and
the page title (:func:`scenario_title`).

Must not: draw, build HTML, import matplotlib or ipywidgets (the command line may import it), run
the model or change a summary. It reads per-run summaries (:attr:`sim.Results.runs`) and configs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import WEEKS_PER_YEAR
from .summary import Card, headline_cards, money, num, pretty_name, scalar, times, why_bullets, years_text

__all__ = [
    "RATIO_PAIR", "compared_pair", "Estimate", "estimate", "ratio_of_means", "ratio_bound", "Comparison", "compare",
    "verdict_text", "versus_text", "markets_text", "difference_text", "ratio_text", "meeting_cards", "headline_rows",
    "meeting_story", "scenario_title", "crossover_shown", "FAIR_TEST", "INTERVAL_NOTE",
]


def _value(run: Mapping[str, Any], name: str, key: str) -> float | None:
    node = run.get("strategies", {}).get(name, {})
    return scalar(node.get(key)) if isinstance(node, Mapping) else None


RATIO_PAIR: tuple[str, str] = ("relationship", "numbers_game")
"""The one definition of every ratio and difference shown: ``relationship`` over ``numbers_game``."""


def compared_pair(names: Sequence[str], config: Any = None) -> tuple[str, str] | None:
    """``(numerator, denominator)`` of every ratio and difference: relationship over numbers game.

    A scenario without both preset names says which pair it compares (its config's ``compare``
    setting, when the config has one); failing that, the second strategy listed over the first.
    None with fewer than two strategies.
    """
    names = list(dict.fromkeys(str(n) for n in names))
    if all(n in names for n in RATIO_PAIR):
        return RATIO_PAIR
    declared = getattr(config, "compare", None)
    if declared and len(declared) == 2 and all(str(n) in names for n in declared):
        return str(declared[0]), str(declared[1])
    return (names[1], names[0]) if len(names) >= 2 else None


@dataclass(frozen=True)
class Estimate:
    """A number over ``n`` runs: the mean and its 95% interval (``low``, ``high``; None if not known)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int

    def text(self, fmt: Callable[[float | None], str] = num, bound: Callable[[float | None], str] | None = None,
             sep: str = "–") -> str:
        """``"45.2k [44.1k–46.3k]"``; the number alone for a single run."""
        if self.mean is None or self.n < 2 or self.low is None or self.high is None:
            return fmt(self.mean)
        bound = bound or fmt
        return f"{fmt(self.mean)} [{bound(self.low)}{sep}{bound(self.high)}]"


def estimate(values: Sequence[float | None]) -> Estimate:
    """Mean and 95% t-interval of the finite ``values``."""
    from ..model.runner import mean_interval  # lazily: `python -m sim scenarios` needs no model

    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    stats = mean_interval(vals)
    return Estimate(stats["mean"], stats["low"], stats["high"], len(vals))


def ratio_bound(x: float | None) -> str:
    """A ratio without the sign, as :func:`times` rounds it: ``2.08``, ``12.3``."""
    return times(x).rstrip("×")


@dataclass(frozen=True)
class Comparison:
    """One outcome of two strategies over the same simulated markets: who is ahead, by how much, how sure.

    ``ratio`` is the ratio of the means (mean of ``first`` over mean of ``second``, so it agrees
    with the two means shown beside it) with a 95% percentile-bootstrap interval over the runs,
    which never goes below zero; ``difference`` is the mean of ``first - second`` per run with its
    t-interval.
    """

    metric: str
    first: str
    second: str
    first_value: Estimate
    second_value: Estimate
    difference: Estimate
    ratio: Estimate
    ahead: int
    behind: int
    runs: int

    @property
    def verdict(self) -> str:
        """``"ahead"`` / ``"behind"``, ``"level"``, ``"unclear"`` or ``"one run"``.

        ``first`` is clearly ahead (behind) when the interval of the difference excludes zero and
        the interval of the ratio excludes one; ``"unclear"`` when either includes it (no clear winner).
        """
        d, r = self.difference, self.ratio
        if self.ahead == 0 and self.behind == 0:
            return "level"
        if self.runs < 2:
            return "one run"
        if d.low is not None and d.low > 0 and (r.low is None or r.low > 1):
            return "ahead"
        if d.high is not None and d.high < 0 and (r.high is None or r.high < 1):
            return "behind"
        return "unclear"

    @property
    def winner(self) -> str | None:
        """The clear winner's name, or None (no clear winner, level, one run)."""
        return {"ahead": self.first, "behind": self.second}.get(self.verdict)

    def as_dict(self) -> dict[str, Any]:
        """Plain values (for ``summary.json``)."""
        def est(e: Estimate) -> dict[str, Any]:
            return {"mean": e.mean, "low": e.low, "high": e.high}

        return {"metric": self.metric, "numerator": self.first, "denominator": self.second, "runs": self.runs,
                self.first: est(self.first_value), self.second: est(self.second_value),
                "difference": est(self.difference), "ratio": est(self.ratio), "ahead": self.ahead,
                "behind": self.behind, "verdict": self.verdict, "winner": self.winner}


def compare(runs: Sequence[Mapping[str, Any]], metric: str = "revenue_total",
            pair: tuple[str, str] | None = None, config: Any = None) -> Comparison | None:
    """Compare two strategies on a per-seller summary number (``revenue_total``, ``revenue_year1``, ...).

    Args:
        runs: per-run summaries (:attr:`sim.Results.runs`); each run is one simulated market.
        metric: a per-strategy summary key.
        pair: ``(numerator, denominator)``; default :func:`compared_pair`.
        config: the run's config (for a declared pair).
    """
    if not runs:
        return None
    pair = pair or compared_pair(list(runs[0].get("strategies", {})), config)
    if pair is None:
        return None
    first, second = pair
    a = [_value(r, first, metric) for r in runs]
    b = [_value(r, second, metric) for r in runs]
    both = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    ratio = ratio_of_means([x for x, _ in both], [y for _, y in both])
    return Comparison(metric, first, second, _nonnegative(a), _nonnegative(b), estimate([x - y for x, y in both]),
                      ratio, sum(x > y for x, y in both), sum(x < y for x, y in both), len(both))


BOOTSTRAP = 4000
"""Resamples of the runs behind a ratio's interval."""


def ratio_of_means(a: Sequence[float], b: Sequence[float]) -> Estimate:
    """``mean(a) / mean(b)`` with a 95% percentile-bootstrap interval (runs resampled in pairs).

    The resampling uses its own fixed seed, so the same runs always give the same interval; None
    when ``mean(b)`` is not positive.
    """
    import numpy as np

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) == 0 or y.mean() <= 0:
        return Estimate(None, None, None, len(x))
    mean = float(x.mean() / y.mean())
    if len(x) < 2:
        return Estimate(mean, None, None, 1)
    idx = np.random.default_rng(20_240_601).integers(0, len(x), size=(BOOTSTRAP, len(x)))
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = x[idx].mean(axis=1) / y[idx].mean(axis=1)
    low, high = np.percentile(draws[np.isfinite(draws)], [2.5, 97.5])
    return Estimate(mean, float(low), float(high), len(x))


def _nonnegative(values: list[float | None]) -> Estimate:
    """The interval of a quantity that cannot be negative (revenue, referrals) stops at zero."""
    e = estimate(values)
    if e.low is not None and e.low < 0 and all(v is None or v >= 0 for v in values):
        return Estimate(e.mean, 0.0, e.high, e.n)
    return e


def verdict_text(c: Comparison) -> str:
    """A card's big value: ``"Relationship ahead"``, ``"No clear winner"``, ``"Level"``, ``"One run: no verdict"``."""
    if c.winner is not None:
        return f"{pretty_name(c.winner)} ahead"
    return {"level": "Level", "one run": "One run: no verdict"}.get(c.verdict, "No clear winner")


def versus_text(c: Comparison, unit: str = "revenue per seller", fmt: Callable[[float | None], str] = money) -> str:
    """``"Relationship 1,800 vs Numbers game 1,600 revenue per seller"``: every number says whose it is."""
    return (f"{pretty_name(c.first)} {fmt(c.first_value.mean)} vs {pretty_name(c.second)} "
            f"{fmt(c.second_value.mean)}" + (f" {unit}" if unit else "")
            + (f" (means of {c.runs} runs)" if c.runs > 1 else ""))


def markets_text(c: Comparison) -> str:
    """``"Relationship ahead in 17 of 20 simulated markets, numbers game in 3"`` (each run is one market)."""
    if c.runs == 1:
        who = c.first if c.ahead else (c.second if c.behind else None)
        return (f"{pretty_name(who)} ahead" if who else "Level") + \
            " in the one simulated market; choose 2 or more replicates for an interval"
    (lead, k), (other, m) = sorted(((c.first, c.ahead), (c.second, c.behind)), key=lambda t: -t[1])
    text = f"{pretty_name(lead)} ahead in {k} of {c.runs} simulated markets"
    if m:
        text += f", {pretty_name(other).lower()} in {m}"
    level = c.runs - k - m
    return text + (f", level in {level}" if level else "")


def difference_text(c: Comparison) -> str:
    """The difference ``first - second`` per seller with its interval: ``"200 [-50 to 450]"``."""
    return c.difference.text(money, sep=" to ")


def ratio_text(c: Comparison) -> str:
    """``"6.61× [6.42–6.80]"``: the ratio of the means and its 95% interval."""
    return c.ratio.text(times, ratio_bound)


def _crossover(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]],
               winner: str | None) -> tuple[str, str, str, str | None]:
    """The crossover as a card: value, sub line, detail, strategy (coloured only if it is the clear winner)."""
    cha, inc, n = summary.get("challenger"), summary.get("incumbent"), len(runs)
    horizon = years_text(int(summary.get("weeks") or 0))
    hits = [float(w) for w in (scalar(r.get("crossover_week")) for r in runs) if w is not None]
    who = f"{pretty_name(cha)} overtakes {pretty_name(inc).lower()} for good"
    if not hits:
        return ("never", f"{pretty_name(cha)} does not overtake {pretty_name(inc).lower()} within {horizon}",
                f"in any of the {n} simulated markets" if n > 1 else "", None)
    e = estimate(hits)
    week = e.mean or 0.0
    when = f"about {week / WEEKS_PER_YEAR:.1f} years in" if week >= WEEKS_PER_YEAR else \
        f"in month {int(week * 12 // WEEKS_PER_YEAR) + 1}"
    color = cha if winner == cha else None
    if n == 1:
        return f"week {week:.0f}", f"{who}, {when}", "", color
    detail = f"in {len(hits)} of {n} simulated markets"
    if len(hits) > 1:
        detail += f" (95% interval of the mean week {e.low:.0f}–{e.high:.0f})"
    if len(hits) < n:
        detail += f"; never in {n - len(hits)}"
    if 2 * len(hits) < n:
        return "mostly never", f"{who} in only {len(hits)} of {n} markets (mean week {week:.0f})", detail, None
    return f"week {week:.0f}", f"{who}, {when} (mean of {len(hits)} runs)", detail, color


def crossover_shown(summary: Mapping[str, Any]) -> Any:
    """The crossover a figure marks: the summary's, or None when it happens in fewer than half the runs.

    The same rule as the crossover card ("mostly never"), so a figure never draws a line the card denies.
    """
    cross = summary.get("crossover_week")
    if isinstance(cross, Mapping) and (cross.get("never_share") or 0.0) > 0.5:
        return None
    return cross


def _spans(weeks: int, year1: str) -> list[tuple[str, str]]:
    spans = [("revenue_total", years_text(weeks))]
    return [("revenue_year1", year1), *spans] if weeks > WEEKS_PER_YEAR else spans


def meeting_cards(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None = None,
                  config: Any = None) -> list[Card]:
    """Headline cards with intervals: who is ahead after year 1 and at the horizon, the ratio, the crossover.

    Each card names whose number is whose; "No clear winner" when an interval includes zero.
    """
    runs = list(runs or [summary])
    pair = compared_pair(list(summary.get("strategies", {})), config)
    if pair is None:
        return headline_cards(summary)
    weeks = int(summary.get("weeks") or 0)
    cards = []
    for metric, when in _spans(weeks, "1 year"):
        c = compare(runs, metric, pair)
        cards.append(Card(f"After {when}", verdict_text(c), versus_text(c), c.winner, markets_text(c)))
    r = c.ratio
    detail = "one run: no interval" if c.runs < 2 else f"95% interval {ratio_bound(r.low)}–{ratio_bound(r.high)}"
    detail += ": no clear winner" if c.verdict == "unclear" else ""
    cards.append(Card(f"Revenue ratio, {years_text(weeks)}", times(r.mean),
                      f"{pretty_name(c.first)} ÷ {pretty_name(c.second)} revenue per seller", c.winner, detail))
    value, sub, detail, who = _crossover(summary, runs, c.winner)
    cards.append(Card("Crossover week", value, sub, who, detail))
    return cards


def headline_rows(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None = None,
                  config: Any = None) -> list[tuple[str, str]]:
    """The headline numbers as ``(label, value)`` rows with intervals (the report's table)."""
    runs = list(runs or [summary])
    pair = compared_pair(list(summary.get("strategies", {})), config)
    if pair is None:
        return [(f"Revenue per seller, {pretty_name(n)}", money(scalar(s.get("revenue_total"))))
                for n, s in summary.get("strategies", {}).items()]
    a, b = (pretty_name(n) for n in pair)
    rows: list[tuple[str, str]] = []
    for metric, when in _spans(int(summary.get("weeks") or 0), "year 1"):
        c = compare(runs, metric, pair)
        rows += [(f"Revenue per seller, {when}: {a}", c.first_value.text(money)),
                 (f"Revenue per seller, {when}: {b}", c.second_value.text(money)),
                 (f"Revenue ratio {a} ÷ {b}, {when}", ratio_text(c)),
                 (f"Who is ahead, {when}", f"{verdict_text(c)}. {markets_text(c)}")]
        if c.runs > 1:
            rows.append((f"Difference {a} − {b}, {when}", difference_text(c) + " revenue per seller"))
    value, sub, detail, _ = _crossover(summary, runs, c.winner)
    rows.append(("Crossover week", f"{value}: {sub}" + (f"; {detail}" if detail else "")))
    rows.append(("Referrals received per seller", versus_text(compare(runs, "referrals_total", pair), "", num)))
    return rows


def meeting_story(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None = None,
                  config: Any = None) -> str:
    """The plain-language story of one run or many, in markdown: who is ahead when, how sure, and why."""
    runs = list(runs or [summary])
    pair = compared_pair(list(summary.get("strategies", {})), config)
    if pair is None:
        return "Only one strategy in this run: nothing to compare."
    n, weeks = len(runs), int(summary.get("weeks") or 0)
    lines = [f"Over **{n} simulated markets** (the same settings, different random draws; numbers are means "
             "with 95% intervals):" if n > 1 else
             "**One simulated market** (a single run gives no interval; run replicates to judge a winner):"]
    for metric, when in _spans(weeks, "one year"):
        c = compare(runs, metric, pair)
        if c.winner is not None:
            text = f"the **{pretty_name(c.winner).lower()}** seller is ahead: {versus_text(c)}; {markets_text(c)}."
        elif c.verdict == "level":
            text = f"level: both earn {money(c.first_value.mean)} revenue per seller."
        elif c.verdict == "one run":
            text = f"{versus_text(c)} in this one run."
        else:
            text = (f"**no clear winner**: {versus_text(c)}; {markets_text(c)}; the difference, "
                    f"{difference_text(c)} revenue per seller, has a 95% interval that includes zero.")
        lines.append(f"**After {when}**, {text}")
    lines.append(f"{pretty_name(c.first)} ÷ {pretty_name(c.second)} revenue per seller over {years_text(weeks)}: "
                 f"**{ratio_text(c)}**.")
    _, sub, detail, _ = _crossover(summary, runs, c.winner)
    lines.append(f"Crossover: {sub}" + (f"; {detail}" if detail else "") + ".")
    threshold = getattr(getattr(config, "market", None), "trust_threshold", None)
    tail = f" Customers buy readily once their trust passes {threshold:g}." if threshold is not None else ""
    head = "**Why** (per seller, whole horizon" + (f", means of {n} runs" if n > 1 else "") + "):"
    return ("\n\n".join(lines) + f"\n\n{head}\n\n" + "\n".join(why_bullets(summary.get("strategies", {}), pair))
            + "\n\nRepeat business and referrals only come to a seller whom customers trust." + tail)


def scenario_title(config: Any, pair: tuple[str, str] | None = None) -> str:
    """The page and report title: ``"Two cobblers: relationship or numbers game?"`` (the scenario's own name)."""
    name = pretty_name(getattr(config, "name", "") or "custom scenario")
    names = [g.strategy for g in getattr(config, "sellers", [])]
    pair = pair or compared_pair(names, config)
    if pair is None:
        return name
    return f"{name}: {pretty_name(pair[0]).lower()} or {pretty_name(pair[1]).lower()}?"


INTERVAL_NOTE = ("Means with 95% intervals in [brackets]; each run is one simulated market. A ratio is the ratio "
                 "of the two means, its interval from resampling the runs (bootstrap).")
"""How to read the intervals (printed under a table of them)."""

FAIR_TEST = ("Every seller has the same hours, the same price and, on average, equally good products: any "
             "difference comes from how they sell.")
"""What makes the comparison fair (hours, price and product quality are market settings, not seller settings)."""
