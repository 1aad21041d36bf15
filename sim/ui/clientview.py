"""HTML of the dashboard's client view: the calibration table and current versus proposed.

Owns :func:`table_html` (a report :class:`~sim.report.content.Table` as a page table, a row that
misses its tolerance in red), :func:`calibration_html` (the fit: each observed figure, the fitted
value, within tolerance or not, and the fitted constants), :func:`comparison_cards` /
:func:`comparison_html` (the difference in the last year and in total, the crossover and the
short-run cost as cards, a card whose interval includes zero grey and saying "no clear winner";
then the table by year) and :data:`CLIENT_CSS`, sized for a projector at 1280x720.

Must not: choose words or numbers (the tables come from :mod:`sim.report.sections`, the sentences from
:mod:`sim.narrate.client`), run or fit anything.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from ..narrate import Card
from ..narrate.client import interval_text
from ..report.content import Table
from ..report.sections import calibration_table, clear_sign, comparison_table
from .meeting import verdict_cards_html

__all__ = ["CLIENT_CSS", "table_html", "calibration_html", "comparison_cards", "comparison_html", "ARMS"]

ARMS = ("numbers_game", "relationship")
"""The plot-style colours of the current and the proposed arm (as :func:`sim.client.plot_comparison` uses them)."""

CLIENT_CSS = """
<style>
.sim-table {border-collapse: collapse; font-family: sans-serif; font-size: 15px; margin: 4px 0 6px 0;}
.sim-table th {background: #f3f4f6; text-align: left; padding: 4px 10px; font-weight: 600;}
.sim-table td {padding: 4px 10px; border-bottom: 1px solid #e6e6e6; white-space: nowrap;}
.sim-table tr.miss td {color: #a00; font-weight: 600;}
.sim-note {font-family: sans-serif; font-size: 14px; color: #444; line-height: 1.35; max-width: 760px;}
.sim-accepted {font-family: sans-serif; font-size: 16px; font-weight: 700; margin: 4px 0;}
</style>
"""


def table_html(table: Table, miss_column: int | None = None, title: bool = True) -> str:
    """A table for the page; rows whose ``miss_column`` cell is ``NO`` are marked."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = []
    for row in table.rows:
        miss = miss_column is not None and row[miss_column] == "NO"
        cells = "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
        rows.append(f"<tr class='{'miss' if miss else ''}'>{cells}</tr>")
    caption = f"<div class='sim-colhead'>{html.escape(table.title)}</div>" if title else ""
    return f"{CLIENT_CSS}{caption}<table class='sim-table'><tr>{head}</tr>{''.join(rows)}</table>"


def calibration_html(calibration: Mapping[str, Any]) -> str:
    """The calibration table of ``calibration.json`` with its verdict line and the fitted constants."""
    table = calibration_table(calibration)
    ok = calibration["accepted"]
    verdict = ("Every fitted figure is within its tolerance: the simulated market reproduces the client's."
               if ok else "Not every figure is within its tolerance (in red): the comparison is not run.")
    colour = "#1b6e2d" if ok else "#a00"
    return (table_html(table, miss_column=4) + f"<div class='sim-accepted' style='color:{colour}'>"
            f"{html.escape(verdict)}</div><div class='sim-note'>{html.escape(table.note)}</div>")


def comparison_cards(data: Mapping[str, Any]) -> list[Card]:
    """Four cards: difference in the last year, cumulative difference, crossover, short-run cost."""
    cur, prop = data["current"]["label"], data["proposed"]["label"]
    n, years = data["replicates"], data["years"]
    last = data["by_year"][-1]

    def arm(x: Mapping[str, float]) -> str | None:
        return {1: ARMS[1], -1: ARMS[0], 0: None}[clear_sign(x)]

    def sure(x: Mapping[str, float]) -> str:
        sign = clear_sign(x)
        who = {1: f"{prop} ahead", -1: f"{cur} ahead", 0: "no clear winner: the interval includes zero"}[sign]
        return f"{who} (mean of {n} simulated markets, 95% interval)"

    crossover = data["crossover_year"]
    ahead = round(data["crossover_share"] * n)
    cost = data["short_run_cost"]
    return [
        Card(f"Difference in year {years}", interval_text(last["difference"]), f"{prop} − {cur}, revenue in the year",
             arm(last["difference"]), sure(last["difference"])),
        Card(f"Cumulative, {years} years", interval_text(last["cumulative_difference"]), f"{prop} − {cur}, in total",
             arm(last["cumulative_difference"]), sure(last["cumulative_difference"])),
        Card("Crossover", f"year {crossover}" if crossover else "not within the horizon",
             f"from when {prop} stays ahead in cumulative revenue", ARMS[1] if crossover else None,
             f"ahead for good in {ahead} of {n} simulated markets"),
        short_run(cost, cur, prop),
    ]


def short_run(cost: Mapping[str, float], cur: str, prop: str) -> Card:
    """The short-run card: revenue given up in year 1, or gained when the proposed way earns more at once."""
    sign = clear_sign(cost)
    if sign < 0:
        gain = {"mean": -cost["mean"], "low": -cost["high"], "high": -cost["low"]}
        return Card("Short-run gain, year 1", interval_text(gain), f"more revenue in year 1 selling as {prop}",
                    ARMS[1], "no short-run cost: the whole interval is a gain")
    return Card("Short-run cost, year 1", interval_text(cost), f"revenue given up in year 1 by selling as {prop}",
                ARMS[0] if sign > 0 else None,
                f"what switching from {cur} costs at first" if sign > 0
                else "no clear cost or gain: the interval includes zero")


def comparison_html(data: Mapping[str, Any]) -> tuple[str, str]:
    """The comparison's cards and its table by year (with the crossover and short-run sentences), as HTML."""
    table = comparison_table(data)
    cards = verdict_cards_html(comparison_cards(data), ARMS)
    return cards, table_html(table) + f"<div class='sim-note'>{html.escape(table.note)}</div>"
