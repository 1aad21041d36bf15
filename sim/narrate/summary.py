"""Narration of a run's summary: the headline numbers, the single-run story and the command line's summary.

Every surface calls the narration: the command line prints :func:`format_summary`; the notebooks
and the dashboard show :func:`headline_cards` (as HTML cards) and :func:`story_markdown`; figures
label the crossover with :func:`crossover_caption`. The cards, the story and every "who is ahead"
on the command line come from one comparison per outcome (:mod:`sim.narrate.verdict`, by the
rules of :mod:`sim.model.comparison`): ratios are relationship over numbers game by name, a
difference whose interval includes zero is "no clear winner", and a single run says who is ahead
"in this one run", never a verdict. Number formats are :mod:`sim.narrate.formats`'.

Must not: draw, build HTML or import matplotlib or ipywidgets (the command line imports it); run
the model, compute an interval or change a summary. It reads plain summary dicts
(:attr:`sim.Results.summary`, ``Results.runs``) and, for the command line, the config's names and sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config import WEEKS_PER_YEAR
from .comparison import Comparison, compare, compared_pair, compares_text, estimate, ratio_text
from .formats import (
    Card,
    count,
    horizon_label,
    money,
    num,
    pct,
    pretty_name,
    ratio_bound,
    scalar,
    stars,
    times,
    year_of,
    years_text,
)
from .verdict import headline_cards, meeting_story, why_bullets

SALE_SOURCES = ("new", "repeat", "referral", "inbound", "handoff")
"""Where sales come from, in the order the tables show them (as :data:`sim.model.metrics.SALE_SOURCES`)."""

__all__ = [
    "scalar", "num", "pct", "money", "times", "ratio_bound", "stars", "count", "years_text", "horizon_label",
    "year_of", "pretty_name", "headline_numbers", "Card", "headline_cards", "crossover_caption", "why_bullets",
    "story_markdown", "format_summary", "compares_line", "leader_line", "crossover_line", "referral_lines",
    "why_lines", "funnel_lines", "REPLICATES_HINT",
]

REPLICATES_HINT = "run --replicates 10 for an interval"
"""What the command line says after a one-run result (a single run is never a verdict)."""


# ============================================================================ headline
def headline_numbers(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The headline numbers of a run as plain values (means for replicates; what notebooks print as JSON).

    ``leader_year1`` / ``leader_final`` are the summary's: over replicates the clear winner or
    ``"none"``; for one run who is ahead in it (``leader_basis`` ``"one run"``).
    """
    strat = summary.get("strategies", {})
    out = {
        "weeks": int(summary.get("weeks", 0)),
        "incumbent": summary.get("incumbent"),
        "challenger": summary.get("challenger"),
        "compared": summary.get("compared"),
        "leader_year1": summary.get("leader_year1"),
        "leader_final": summary.get("leader_final"),
        "leader_basis": summary.get("leader_basis"),
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


def story_markdown(summary: Mapping[str, Any], config: Any = None) -> str:
    """The plain-language story of a run (or of a replicate summary): :func:`sim.narrate.verdict.meeting_story`.

    Who is ahead after one year and at the horizon (one run: "in this one run"), and why.
    """
    return meeting_story(summary, None, config)


# ============================================================================ the command line's summary
def _show(values: list[float | None], fmt: Callable[[float | None], str] = num) -> str:
    """One run: the number. Several runs: ``mean [low–high]`` (95% interval; never below zero for non-negatives)."""
    e = estimate(values)
    return e.text(fmt) if len(values) > 1 else fmt(e.mean)


def _mean(values: list[float | None]) -> float | None:
    return estimate(values).mean


def _strat(run: Mapping[str, Any], name: str, *path: str) -> Any:
    node: Any = run.get("strategies", {}).get(name, {})
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def compares_line(pair: tuple[str, str] | None) -> list[str]:
    """Which pair every ratio and difference compares (nothing with one strategy)."""
    return [compares_text(pair)] if pair is not None else []


def _verdict(c: Comparison) -> str:
    """Who is ahead, by the one rule: the clear winner, no clear winner, or ahead in this one run."""
    if c.winner is not None:
        return f"{c.winner} ahead"
    if c.verdict == "one run":
        return f"{c.one_run_leader} ahead in this one run; {REPLICATES_HINT}"
    return "no clear winner"


def leader_line(label: str, key: str, runs: list[dict[str, Any]], names: list[str]) -> str:
    """Who is ahead on per-seller summary ``key`` (e.g. ``revenue_total``) over ``runs``: verdict, numbers, ratio."""
    pair = compared_pair(names)
    if pair is None:
        return f"{label}: revenue per seller {_show([_strat(r, names[0], key) for r in runs])} ({names[0]})."
    c = compare(runs, key, pair)
    a, b = c.first, c.second
    if not c.first_value.mean and not c.second_value.mean:
        return f"{label}: no strategy has made a sale yet."
    if c.verdict == "level":
        return f"{label}: {a} and {b} are level (revenue per seller {c.first_value.text(num)})."
    text = (f"{label}: {_verdict(c)} (revenue per seller {a} {c.first_value.text(num)} vs {b} "
            f"{c.second_value.text(num)}")
    if c.ratio.mean is not None:
        text += f"; ratio {a} ÷ {b} {ratio_text(c)}"
    if c.runs > 1:
        text += f"; {a} ahead in {c.ahead} of {c.runs} runs, {b} in {c.behind}"
        level = c.runs - c.ahead - c.behind
        text += f", level in {level}" if level else ""
    if c.verdict == "unclear":
        text += (f"; the 95% interval of the difference, {c.difference.text(num, sep=' to ')}, "
                 "includes zero")
    return text + ")."


def crossover_line(summary: Mapping[str, Any], runs: list[dict[str, Any]], weeks: int) -> str:
    """When (and in how many runs) the challenger (numerator) overtakes the incumbent (denominator) for good."""
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
    """Referrals received per seller (numerator vs denominator, with their ratio) and the poor-fit hand-offs."""
    c = compare(runs, "referrals_total", (summary["challenger"], summary["incumbent"]))
    text = (f"Referrals received per seller: {c.first} {c.first_value.text(num)} vs {c.second} "
            f"{c.second_value.text(num)}")
    if c.ratio.mean is not None:
        text += f" (ratio {ratio_text(c)})"
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
    cols = ("sales", *SALE_SOURCES, "loyalty", "rating (reviews)", "trust at end")
    width = max(len(s) for s in names) + 2
    rows, main_sources = [], []
    for s in names:
        sales = _mean([_strat(r, s, "funnel", "sales") for r in runs]) or 0.0
        src = {k: _mean([_strat(r, s, "sales_by_source", k) for r in runs]) or 0.0
               for k in SALE_SOURCES}
        total = sum(src.values()) or sales
        shares = {k: (v / total if total else None) for k, v in src.items()}
        rating = _mean([_strat(r, s, "mean_rating") for r in runs])
        reviews = _mean([_strat(r, s, "reviews_count") for r in runs])
        trust = _mean([_strat(r, s, "mean_trust_final") for r in runs])
        rows.append((
            num(sales), *(pct(shares[k]) for k in SALE_SOURCES),
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


def format_summary(results: Any, out_dir: str | Path | None = None, evidence: Sequence[str] = ()) -> str:
    """The plain-language summary printed by ``python -m sim run``.

    Works for one run (who is ahead "in this one run", never a verdict) and for replicates (every
    headline number is ``mean [95% interval]`` and who is ahead is the verdict), and for any strategy
    names: the pair compared is :func:`~sim.narrate.comparison.compared_pair`'s. ``evidence``: the
    lines about the shipped measurements (:func:`sim.narrate.evidence.evidence_lines`), shown before
    where the results were written.
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
    lines = [header + (f", {n} replicates" if n > 1 else ""), *compares_line(compared_pair(names))]
    if n > 1:
        lines.append(f"(Numbers are means over {n} runs with 95% confidence intervals in [brackets]; a lead whose "
                     "interval includes no difference is reported as no clear winner.)")
    if weeks > WEEKS_PER_YEAR:
        lines.append(leader_line("After year 1", "revenue_year1", runs, names))
    lines.append(leader_line(horizon_label(weeks), "revenue_total", runs, names))
    if summary.get("incumbent") and summary.get("challenger"):
        lines.append(crossover_line(summary, runs, weeks))
        lines.extend(referral_lines(summary, runs, names))
    lines.extend(why_lines(runs, names))
    lines.extend(funnel_lines(runs, names, weeks))
    lines.extend(evidence)
    if out_dir is not None:
        shown = str(out_dir)
        lines.append(f"Results written to {shown if shown.endswith('/') else shown + '/'}")
    return "\n".join(lines)
