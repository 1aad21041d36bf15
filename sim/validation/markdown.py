"""Markdown building blocks of ``docs/VALIDATION.md``: numbers, tables, figure links, verdicts.

Owns how a number is written in the report (:func:`num`, :func:`whole`, :func:`pct`), the pass/fail
word (:func:`verdict`), the Markdown table (:func:`md_table`) and the figure link (:func:`md_figure`,
relative to ``docs/``).

Must not know about any particular check: the section modules use these helpers. Changing one
changes the committed report, so regenerate it (``make validate``) in the same commit.
"""

from __future__ import annotations

__all__ = ["num", "whole", "pct", "verdict", "md_table", "md_figure", "FIG_LINK"]

FIG_LINK = "figures"   # figure links are relative to docs/


def num(x: float, digits: int = 2) -> str:
    """Fixed-point number without a negative zero."""
    return f"{round(x, digits) + 0.0:.{digits}f}"


def whole(x: float) -> str:
    """Integer with thousands separators: ``12,345``."""
    return f"{int(round(x)):,}"


def pct(x: float, digits: int = 0, signed: bool = False) -> str:
    """A share as a percentage (``0.123`` -> ``12%``), optionally with its sign."""
    return f"{round(100 * x, digits) + 0.0:{'+' if signed else ''}.{digits}f}%"


def verdict(passed: bool | None) -> str:
    """The result column: pass, **FAIL**, or info for a row that is not a pass/fail criterion."""
    return {True: "pass", False: "**FAIL**", None: "info"}[passed]


def md_table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A Markdown table; ``align`` has one letter per column, ``l`` or ``r`` (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def md_figure(name: str, alt: str) -> str:
    """Markdown image link to ``docs/figures/<name>``, relative to ``docs/``."""
    return f"![{alt}]({FIG_LINK}/{name})"
