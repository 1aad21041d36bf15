"""Narration: the one place where a run's summary (single run or replicates) becomes numbers and words.

Every surface calls it: the command line prints :func:`format_summary`; the notebooks and the
dashboard show :func:`headline_cards` (as HTML cards) and :func:`story_markdown`; figures label the
crossover with :func:`crossover_caption`. Number formats (:func:`num`, :func:`money`, :func:`times`,
...) live here too, so one number reads the same wherever it appears. Its companion
:mod:`sim.narrate.verdict` words what replicates add (intervals, "ahead in 17 of 20 simulated markets",
"no clear winner"), with these formats.

Must not: draw, build HTML or import matplotlib or ipywidgets (the command line imports it); run
the model or change a summary. It reads plain summary dicts (:attr:`sim.Results.summary`,
``Results.runs``) and, for the command line, the config's names and sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import WEEKS_PER_YEAR

__all__ = [
    "scalar", "num", "pct", "money", "times", "stars", "count", "years_text", "horizon_label", "year_of",
    "pretty_name", "headline_numbers", "Card", "headline_cards", "crossover_caption", "why_bullets", "story_markdown",
    "format_summary", "leader_line", "crossover_line", "referral_lines", "why_lines", "funnel_lines",
]


# ============================================================================ numbers -> text
def scalar(x: Any) -> float | None:
    """A summary value as a finite float: a replicate summary gives its ``"mean"``; None if missing/not finite."""
    if isinstance(x, Mapping):
        x = x.get("mean")
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def num(x: float | None, digits: int = 3) -> str:
    """Readable number: thousands separators, about three significant digits (``"n/a"`` if missing)."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = int(math.floor(math.log10(abs(x))))
    if magnitude >= digits - 1:
        return f"{round(x, -(magnitude - digits + 1)):,.0f}"
    return f"{x:,.{min(digits - 1 - magnitude, 4)}f}"


def pct(x: float | None) -> str:
    """A share as a whole percentage: ``0.43`` -> ``"43%"``."""
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"


def money(x: float | None) -> str:
    """Revenue in short form: ``2,490``, ``10.7k``, ``1.25M``."""
    if x is None:
        return "n/a"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.1f}k"
    return f"{x:,.0f}"


def times(x: float | None) -> str:
    """A ratio: ``2.08×``, ``12.3×``."""
    return "n/a" if x is None else (f"{x:.1f}×" if x >= 10 else f"{x:.2f}×")


def stars(x: Any) -> str:
    """A mean rating: ``★3.8``, or ``"no reviews"``."""
    x = scalar(x)
    return "no reviews" if x is None else f"★{x:.1f}"


def count(x: Any, noun: str) -> str:
    """``"1 referral"``, ``"26 reviews"``."""
    n = float(x or 0.0)
    return f"{n:,.0f} {noun}" + ("" if round(n) == 1 else "s")


def years_text(weeks: int) -> str:
    """A horizon in words: ``"1 year"``, ``"10 years"``, ``"120 weeks"``."""
    if weeks % WEEKS_PER_YEAR == 0:
        n = weeks // WEEKS_PER_YEAR
        return f"{n} year" + ("s" if n != 1 else "")
    return f"{weeks} weeks"


def horizon_label(weeks: int) -> str:
    """``"After year 1"``, ``"After 10 years"``, ``"After 120 weeks (2.3 years)"``."""
    if weeks == WEEKS_PER_YEAR:
        return "After year 1"
    if weeks % WEEKS_PER_YEAR == 0:
        return f"After {weeks // WEEKS_PER_YEAR} years"
    return f"After {weeks} weeks ({weeks / WEEKS_PER_YEAR:.1f} years)"


def year_of(week: float) -> int:
    """The year (1, 2, ...) a week falls in."""
    return int((math.ceil(week) - 1) // WEEKS_PER_YEAR + 1)


def pretty_name(name: str) -> str:
    """Display name of a strategy: ``"numbers_game"`` -> ``"Numbers game"``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# ============================================================================ headline
def headline_numbers(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The headline numbers of a run as plain values (means for replicates; what notebooks print as JSON)."""
    strat = summary.get("strategies", {})
    out = {
        "weeks": int(summary.get("weeks", 0)),
        "incumbent": summary.get("incumbent"),
        "challenger": summary.get("challenger"),
        "leader_year1": summary.get("leader_year1"),
        "leader_final": summary.get("leader_final"),
        "crossover_week": scalar(summary.get("crossover_week")),
        "revenue_ratio": scalar(summary.get("revenue_ratio")),
        "revenue_ratio_year1": scalar(summary.get("revenue_ratio_year1")),
        "referral_ratio": scalar(summary.get("referral_ratio")),
        "revenue_total": {k: scalar(v.get("revenue_total")) for k, v in strat.items()},
        "revenue_year1": {k: scalar(v.get("revenue_year1")) for k, v in strat.items()},
        "referrals_total": {k: scalar(v.get("referrals_total")) for k, v in strat.items()},
    }
    if out["crossover_week"] is not None:
        out["crossover_week"] = int(round(out["crossover_week"]))
    return out


@dataclass(frozen=True)
class Card:
    """One headline number: ``key`` (what it is), ``value``, a ``sub`` line, the strategy it is about, a ``detail``.

    ``detail`` says how sure the number is (counts of runs, intervals); empty when there is nothing to add.
    """

    key: str
    value: str
    sub: str
    strategy: str | None = None
    detail: str = ""


def headline_cards(summary: Mapping[str, Any]) -> list[Card]:
    """Leader after year 1 and at the horizon, crossover week, revenue ratio (one card for one strategy)."""
    h = headline_numbers(summary)
    inc, cha = h["incumbent"], h["challenger"]
    if inc is None or cha is None:  # a single strategy: nothing to compare
        name = next(iter(h["revenue_total"]), "?")
        return [Card("Revenue per seller", money(h["revenue_total"].get(name)), pretty_name(name), name)]
    weeks = h["weeks"]
    horizon = years_text(weeks)

    def versus(metric: str) -> str:   # every number says whose it is
        return " vs ".join(f"{pretty_name(n)} {money(h[metric].get(n))}" for n in (cha, inc)) + " revenue per seller"

    y1, fin, cw = h["leader_year1"], h["leader_final"], h["crossover_week"]
    cards = [
        Card("Leader after " + ("1 year" if weeks >= WEEKS_PER_YEAR else horizon), pretty_name(y1),
             versus("revenue_year1"), y1),
        Card(f"Leader after {horizon}", pretty_name(fin), versus("revenue_total"), fin),
    ]
    if cw is None:
        cards.append(Card("Crossover week", "never", f"{pretty_name(cha)} does not overtake within {horizon}"))
    else:
        when = (f"about {cw / WEEKS_PER_YEAR:.1f} years in" if cw >= WEEKS_PER_YEAR
                else f"in month {cw * 12 // WEEKS_PER_YEAR + 1}")
        cards.append(Card("Crossover week", f"week {cw}", f"{pretty_name(cha)} ahead for good, {when}", cha))
    cards.append(Card("Revenue ratio", times(h["revenue_ratio"]),
                      f"{pretty_name(cha)} ÷ {pretty_name(inc)}, {horizon}", fin))
    return cards


def crossover_caption(summary: Mapping[str, Any], pretty: bool = False) -> str | None:
    """Label of the crossover line in a figure (None when the challenger never overtakes).

    ``pretty`` uses display names (``"Relationship overtakes numbers game"``) instead of the raw ones.
    """
    cross, cha, inc = summary.get("crossover_week"), summary.get("challenger"), summary.get("incumbent")
    week = scalar(cross)
    if week is None or cha is None:
        return None
    who = f"{pretty_name(cha)} overtakes {pretty_name(inc).lower()}" if pretty else f"{cha} overtakes {inc}"
    text = f"{who}\nin week {week:.0f}"
    if isinstance(cross, Mapping):
        text += " (mean)"
        never = cross.get("never_share") or 0.0
        if never > 0:
            text += f"\nnever in {never:.0%} of runs"
    return text


# ============================================================================ story (notebooks, dashboard)
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


def story_markdown(summary: Mapping[str, Any], config: Any = None) -> str:
    """A short plain-language story of a run: who leads after one year and at the horizon, and why.

    Every number comes from ``summary`` (a :attr:`sim.Results.summary` of a single run).
    """
    h = headline_numbers(summary)
    inc, cha = h["incumbent"], h["challenger"]
    strat = summary.get("strategies", {})
    if inc is None or cha is None:
        return "Only one strategy in this run: nothing to compare."
    weeks, cw = h["weeks"], h["crossover_week"]
    p_inc, p_cha = pretty_name(inc).lower(), pretty_name(cha).lower()
    lead1, leadf = h["leader_year1"], h["leader_final"]
    other1, otherf = (inc if lead1 == cha else cha), (inc if leadf == cha else cha)
    lines = [
        f"**After one year** the **{pretty_name(lead1).lower()}** seller leads: "
        f"{money(h['revenue_year1'][lead1])} revenue against {money(h['revenue_year1'][other1])}.",
        f"**After {years_text(weeks)}** the **{pretty_name(leadf).lower()}** seller leads: "
        f"{money(h['revenue_total'][leadf])} against {money(h['revenue_total'][otherf])}"
        + (f" ({p_cha} ÷ {p_inc} = {times(h['revenue_ratio'])})." if h["revenue_ratio"] else "."),
    ]
    if cw is None:
        lines.append(f"The {p_cha} seller never overtakes the {p_inc} seller within {years_text(weeks)}.")
    elif lead1 == inc:
        lines.append(f"The {p_cha} seller pulls ahead for good in **week {cw}** ({cw / WEEKS_PER_YEAR:.1f} years): "
                     "the short run and the long run have different winners.")
    else:
        lines.append(f"The {p_cha} seller is ahead for good from **week {cw}** on.")
    why = why_bullets(strat, (cha, inc))
    threshold = getattr(getattr(config, "market", None), "trust_threshold", None)
    tail = (f" Customers buy readily once their trust passes {threshold:g}." if threshold is not None else "")
    return ("\n\n".join(lines) + "\n\n**Why** (per seller, whole horizon):\n\n" + "\n".join(why) + "\n\n"
            + "Repeat business and referrals only come to a seller whom customers trust." + tail)


# ============================================================================ the command line's summary
def _mean_ci(values: list[float | None]) -> tuple[float | None, float | None, float | None, int]:
    from ..model.runner import mean_interval  # lazily: `python -m sim scenarios` needs no model

    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    stats = mean_interval(vals)
    return stats["mean"], stats["low"], stats["high"], len(vals)


def _show(values: list[float | None], fmt: Callable[[float | None], str] = num) -> str:
    """One run: the number. Several runs: ``mean [low–high]`` (95% interval of the mean)."""
    mean, low, high, n = _mean_ci(values)
    if len(values) <= 1 or n <= 1:
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(low)}–{fmt(high)}]"


def _mean(values: list[float | None]) -> float | None:
    return _mean_ci(values)[0]


def _ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _strat(run: Mapping[str, Any], name: str, *path: str) -> Any:
    node: Any = run.get("strategies", {}).get(name, {})
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def leader_line(label: str, key: str, runs: list[dict[str, Any]], names: list[str]) -> str:
    """Who leads on summary ``key`` (e.g. ``revenue_total``) over ``runs``, with per-seller numbers and ratio."""
    n = len(runs)
    per = {name: [_strat(r, name, key) for r in runs] for name in names}
    means = {name: _mean(v) or 0.0 for name, v in per.items()}
    if len(names) == 1:
        return f"{label}: revenue per seller {_show(per[names[0]])} ({names[0]})."
    ranked = sorted(names, key=lambda s: means[s], reverse=True)
    lead, second = ranked[0], ranked[1]
    if means[lead] == 0:
        return f"{label}: no strategy has made a sale yet."
    if math.isclose(means[lead], means[second], rel_tol=1e-9):
        return f"{label}: {lead} and {second} are level (revenue per seller {_show(per[lead])})."
    wins = sum(1 for r in runs if max(names, key=lambda s: _strat(r, s, key) or 0.0) == lead)
    text = f"{label}: {lead} leads" + (f" in {wins} of {n} runs" if n > 1 else "")
    others = ", ".join(f"{_show(per[s])} for {s}" for s in ranked[1:])
    text += f" (revenue per seller {_show(per[lead])} vs {others}"
    if len(names) == 2:
        ratios = [(_strat(r, lead, key) or 0.0) / _strat(r, second, key) for r in runs if _strat(r, second, key)]
        if ratios:
            text += f"; ratio {_show(ratios, _ratio)}"
    return text + ")."


def crossover_line(summary: Mapping[str, Any], runs: list[dict[str, Any]], weeks: int) -> str:
    """When (and in how many runs) the challenger overtakes the incumbent for good."""
    inc, cha, n = summary["incumbent"], summary["challenger"], len(runs)
    cross = [r.get("crossover_week") for r in runs]
    hits = [c for c in cross if c is not None]
    never = len(cross) - len(hits)
    if not hits:
        tail = f" (in all {n} runs)" if n > 1 else ""
        return f"Crossover: {cha} never overtakes {inc} within the horizon ({weeks} weeks){tail}."
    when = _show(hits, lambda x: "n/a" if x is None else f"{x:.0f}")
    text = f"Crossover: {cha} overtakes {inc} for good in week {when} (year {year_of(_mean(hits) or 0.0)})"
    if n > 1:
        text += f" in {len(hits)} of {n} runs" + (f"; in the other {never} it never does within the horizon"
                                                   if never else "")
    return text + "."


def referral_lines(summary: Mapping[str, Any], runs: list[dict[str, Any]], names: list[str]) -> list[str]:
    """Referrals received per seller (challenger vs incumbent) and the poor-fit hand-offs passed on."""
    inc, cha = summary["incumbent"], summary["challenger"]
    a = [_strat(r, cha, "referrals_total") for r in runs]
    b = [_strat(r, inc, "referrals_total") for r in runs]
    text = f"Referrals received per seller: {cha} {_show(a)} vs {inc} {_show(b)}"
    ratios = [r.get("referral_ratio") for r in runs if r.get("referral_ratio") is not None]
    if ratios:
        text += f" (ratio {_show(ratios, _ratio)})"
    lines = [text + "."]
    passing = [(s, _mean([_strat(r, s, "handoffs_made") for r in runs]) or 0.0) for s in names]
    passing = [(s, v) for s, v in passing if v > 0]
    if passing:
        who = ", ".join(f"each {s} seller passed on {num(v)}" for s, v in passing)
        lines.append("  (from friends' word of mouth; separately, poor fits sent to a better-fitting "
                     f"competitor: {who})")
    return lines


def why_lines(runs: list[dict[str, Any]], names: list[str]) -> list[str]:
    """A table per strategy: sales, their sources, loyalty, rating and trust at the end."""
    n = len(runs)
    head = "Why — per seller over the whole horizon" + (f", means of {n} runs" if n > 1 else "") + ":"
    cols = ("sales", "new", "repeat", "referral", "inbound", "loyalty", "rating (reviews)", "trust at end")
    width = max(len(s) for s in names) + 2
    rows, main_sources = [], []
    for s in names:
        sales = _mean([_strat(r, s, "funnel", "sales") for r in runs]) or 0.0
        src = {k: _mean([_strat(r, s, "sales_by_source", k) for r in runs]) or 0.0
               for k in ("new", "repeat", "referral", "inbound")}
        total = sum(src.values()) or sales
        shares = {k: (v / total if total else None) for k, v in src.items()}
        rating = _mean([_strat(r, s, "mean_rating") for r in runs])
        reviews = _mean([_strat(r, s, "reviews_count") for r in runs])
        trust = _mean([_strat(r, s, "mean_trust_final") for r in runs])
        rows.append((
            num(sales), *(pct(shares[k]) for k in ("new", "repeat", "referral", "inbound")),
            pct(_mean([_strat(r, s, "loyalty") for r in runs])),
            "none" if rating is None else f"{rating:.1f}/5 ({reviews or 0:,.0f})",
            "n/a" if trust is None else f"{trust:.2f}",
        ))
        if total:
            top = max(shares, key=lambda k: shares[k] or 0.0)
            main_sources.append(f"{s} {top} ({pct(shares[top])})")
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    lines = [head, "  " + " " * width + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    for s, cells in zip(names, rows, strict=True):
        lines.append("  " + s.ljust(width) + "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    if main_sources:
        lines.append("  Main source of sales: " + "; ".join(main_sources) + ".")
    lines.append("  Loyalty = of a seller's past customers who bought again, the share who bought from that seller"
                 " rather than a competitor.")
    return lines


def funnel_lines(runs: list[dict[str, Any]], names: list[str], weeks: int) -> list[str]:
    """The year-1 funnel per 100 leads, one line per strategy."""
    period = "year 1" if weeks >= WEEKS_PER_YEAR else f"the first {weeks} weeks"
    stages = ("leads", "prospects", "presentations", "sales")
    lines = [f"Funnel in {period}, per 100 leads ({' -> '.join(stages)}):"]
    width = max(len(s) for s in names) + 2
    for s in names:
        leads = [_strat(r, s, "funnel_year1", "leads") for r in runs]
        if not any(leads):
            lines.append(f"  {s.ljust(width)}no leads")
            continue
        cells = ["100"]
        for stage in stages[1:]:
            per100 = [100 * _strat(r, s, "funnel_year1", stage) / _strat(r, s, "funnel_year1", "leads")
                      for r in runs if _strat(r, s, "funnel_year1", "leads")]
            cells.append(_show(per100))
        lines.append(f"  {s.ljust(width)}{' -> '.join(cells)}")
    return lines


def format_summary(results: Any, out_dir: str | Path | None = None) -> str:
    """The plain-language summary printed by ``python -m sim run``.

    Works for one run and for replicates (then every headline number is ``mean [95% interval]``),
    and for any strategy names: incumbent and challenger come from the summary.
    """
    cfg = results.config
    summary = results.summary
    runs = list(getattr(results, "runs", None) or []) or [summary]
    n = len(runs) if summary.get("replicates") else 1
    runs = runs if n > 1 else runs[:1]
    names = [g.strategy for g in cfg.sellers]
    weeks = int(summary.get("weeks") or cfg.weeks)
    sellers = " + ".join(f"{g.count} {g.strategy}" for g in cfg.sellers)
    header = (f"Scenario: {cfg.name} — {cfg.market.customers:,} customers, {sellers} sellers, {weeks} weeks, "
              f"seed {summary.get('seed', cfg.seed)}")
    lines = [header + (f", {n} replicates" if n > 1 else "")]
    if n > 1:
        lines.append(f"(Numbers are means over {n} runs with 95% confidence intervals in [brackets].)")
    if weeks > WEEKS_PER_YEAR:
        lines.append(leader_line("After year 1", "revenue_year1", runs, names))
    lines.append(leader_line(horizon_label(weeks), "revenue_total", runs, names))
    if summary.get("incumbent") and summary.get("challenger"):
        lines.append(crossover_line(summary, runs, weeks))
        lines.extend(referral_lines(summary, runs, names))
    lines.extend(why_lines(runs, names))
    lines.extend(funnel_lines(runs, names, weeks))
    if out_dir is not None:
        shown = str(out_dir)
        lines.append(f"Results written to {shown if shown.endswith('/') else shown + '/'}")
    return "\n".join(lines)
