"""Number formats and the headline card: how one number reads, wherever it appears.

Part of the narration (:mod:`sim.narrate`). Owns :func:`num`, :func:`money`, :func:`times`,
:func:`pct`, ... (so a revenue or a ratio reads the same on the command line, in a notebook, on the
dashboard and in the report), display names (:func:`pretty_name`), horizons in words and
:class:`Card`, one headline number as the cards show it.

Must not: judge a comparison (:mod:`sim.narrate.comparison`), word a result, draw or build HTML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import WEEKS_PER_YEAR

__all__ = ["scalar", "num", "pct", "money", "times", "ratio_bound", "stars", "count", "years_text", "horizon_label",
           "year_of", "pretty_name", "Card"]


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


def ratio_bound(x: float | None) -> str:
    """A ratio without the sign, as :func:`times` rounds it: ``2.08``, ``12.3``."""
    return times(x).rstrip("×")


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
