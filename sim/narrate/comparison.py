"""The comparison of two strategies over runs, as objects with their short words.

Part of the narration (:mod:`sim.narrate`). The rules (which pair, which interval, which verdict)
are the model's, :mod:`sim.model.comparison`, so the summary's leaders and every surface agree;
this module holds them as :class:`Estimate` and :class:`Comparison` (from :func:`compare` over
per-run summaries, or :func:`comparison_of` a replicate summary) and words them:
:func:`verdict_text` ("Relationship ahead", "No clear winner", "One run: no verdict"),
:func:`versus_text`, :func:`markets_text`, :func:`difference_text`, :func:`ratio_text`.

Must not: compute an interval or a verdict of its own, draw, build HTML, import matplotlib or
ipywidgets, or run the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import comparison as _model
from .formats import money, num, pretty_name, ratio_bound, times

__all__ = ["RATIO_PAIR", "compared_pair", "compares_text", "Estimate", "estimate", "Comparison", "compare",
           "comparison_of", "verdict_text", "versus_text", "markets_text", "difference_text", "ratio_text"]

RATIO_PAIR: tuple[str, str] = _model.RATIO_PAIR
"""The one definition of every ratio and difference shown: ``relationship`` over ``numbers_game``."""


def compared_pair(names: Sequence[str], config: Any = None) -> tuple[str, str] | None:
    """``(numerator, denominator)`` of every ratio and difference (:func:`sim.model.comparison.compared_pair`).

    Relationship over numbers game when both take part, whatever the order of the sellers; else
    the second strategy listed over the first; None with fewer than two. ``config`` is accepted for
    callers that have one; the pair depends on the names only (a summary states it as ``compared``).
    """
    return _model.compared_pair(names)


def compares_text(pair: tuple[str, str], name: Callable[[str], str] = str) -> str:
    """Which pair is compared, in one sentence: ``"Compares relationship over numbers_game: every ratio ..."``."""
    a, b = name(pair[0]), name(pair[1])
    why = "" if tuple(pair) == RATIO_PAIR else " (the second seller group over the first)"
    return f"Compares {a} over {b}{why}: every ratio is {a} ÷ {b} and every difference {a} − {b}."


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

    @classmethod
    def of(cls, d: Mapping[str, Any] | None, n: int) -> Estimate:
        """From a ``{"mean", "low", "high"}`` dict."""
        d = d or {}
        return cls(d.get("mean"), d.get("low"), d.get("high"), n)

    def as_dict(self) -> dict[str, Any]:
        """``{"mean", "low", "high"}``."""
        return {"mean": self.mean, "low": self.low, "high": self.high}


def estimate(values: Sequence[float | None], key: str = "") -> Estimate:
    """Mean and 95% interval of the finite ``values`` by the summary's rule (bootstrap if none is negative, else t)."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return Estimate.of(_model.summary_interval(key, vals), len(vals))


@dataclass(frozen=True)
class Comparison:
    """One outcome of two strategies over the same simulated markets: who is ahead, by how much, how sure.

    ``ratio`` is the ratio of the means (mean of ``first`` over mean of ``second``, so it agrees with
    the two means shown beside it) with its log-scale bootstrap interval, which never goes below
    zero; ``difference`` is the mean of ``first - second`` per run with its t-interval. ``verdict``
    is ``"ahead"`` / ``"behind"`` (``first`` clearly ahead / behind), ``"unclear"`` (no clear
    winner), ``"level"`` or ``"one run"``; see :mod:`sim.model.comparison`.
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
    verdict: str

    @property
    def winner(self) -> str | None:
        """The clear winner's name, or None (no clear winner, level, one run)."""
        return {"ahead": self.first, "behind": self.second}.get(self.verdict)

    @property
    def one_run_leader(self) -> str | None:
        """Who is ahead in a single run (None when level); only ever said as "in this one run"."""
        return self.first if self.ahead > self.behind else (self.second if self.behind > self.ahead else None)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Comparison:
        """From :func:`sim.model.comparison.compare_runs`' plain values (or :meth:`as_dict`)."""
        first, second, n = d["numerator"], d["denominator"], int(d["runs"])
        return cls(d["metric"], first, second, Estimate.of(d.get(first), n), Estimate.of(d.get(second), n),
                   Estimate.of(d.get("difference"), n), Estimate.of(d.get("ratio"), n), int(d["ahead"]),
                   int(d["behind"]), n, d["verdict"])

    def as_dict(self) -> dict[str, Any]:
        """Plain values (for ``summary.json``): the layout of :func:`sim.model.comparison.compare_runs`."""
        return {"metric": self.metric, "numerator": self.first, "denominator": self.second, "runs": self.runs,
                self.first: self.first_value.as_dict(), self.second: self.second_value.as_dict(),
                "difference": self.difference.as_dict(), "ratio": self.ratio.as_dict(), "ahead": self.ahead,
                "behind": self.behind, "verdict": self.verdict, "winner": self.winner}


def compare(runs: Sequence[Mapping[str, Any]], metric: str = "revenue_total",
            pair: tuple[str, str] | None = None, config: Any = None) -> Comparison | None:
    """Compare two strategies on a per-seller summary number (``revenue_total``, ``revenue_year1``, ...).

    Args:
        runs: per-run summaries (:attr:`sim.Results.runs`); each run is one simulated market.
        metric: a per-strategy summary key.
        pair: ``(numerator, denominator)``; default :func:`compared_pair`.
        config: unused (the pair depends on the names only); accepted for callers that pass it.
    """
    if not runs:
        return None
    pair = pair or compared_pair(list(runs[0].get("strategies", {})))
    if pair is None:
        return None
    return Comparison.from_dict(_model.compare_runs(runs, metric, pair))


def comparison_of(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]] | None, metric: str,
                  pair: tuple[str, str]) -> Comparison:
    """The comparison behind a summary: over ``runs`` when given, else the replicate summary's own ``comparison``.

    A replicate summary without its runs carries the comparison its leaders come from; anything else
    is one run.
    """
    stored = summary.get("comparison", {}).get(metric) if isinstance(summary.get("comparison"), Mapping) else None
    if not runs and stored and (stored["numerator"], stored["denominator"]) == tuple(pair):
        return Comparison.from_dict(stored)
    return compare(list(runs or [summary]), metric, pair)


def verdict_text(c: Comparison, name: Callable[[str], str] = pretty_name) -> str:
    """A card's big value: ``"Relationship ahead"``, ``"No clear winner"``, ``"Level"``, ``"One run: no verdict"``."""
    if c.winner is not None:
        return f"{name(c.winner)} ahead"
    return {"level": "Level", "one run": "One run: no verdict"}.get(c.verdict, "No clear winner")


def versus_text(c: Comparison, unit: str = "revenue per seller", fmt: Callable[[float | None], str] = money) -> str:
    """``"Relationship 1,800 vs Numbers game 1,600 revenue per seller"``: every number says whose it is."""
    return (f"{pretty_name(c.first)} {fmt(c.first_value.mean)} vs {pretty_name(c.second)} "
            f"{fmt(c.second_value.mean)}" + (f" {unit}" if unit else "")
            + (f" (means of {c.runs} runs)" if c.runs > 1 else ""))


def markets_text(c: Comparison) -> str:
    """``"Relationship ahead in 17 of 20 simulated markets, numbers game in 3"`` (each run is one market)."""
    if c.runs == 1:
        who = c.one_run_leader
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
