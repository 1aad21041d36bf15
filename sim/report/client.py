"""The report of a client's market: the calibration fit, then current versus proposed, as one :class:`Report`.

Owns :func:`build_client_report`: from a :class:`sim.client.Comparison` (which carries its
calibration), the headline numbers (each way's revenue in year 1 and in the last year, the
difference and the cumulative difference with their 95% intervals, the crossover, the short-run
cost), the story (the crossover and short-run sentences of :mod:`sim.narrate.client`), the
comparison figure, the calibration-fit table, the comparison table by year, the settings that
differ from the baseline, the limitations, and ``summary.json`` (``calibration.json`` and
``compare.json`` together). The HTML and PDF are the same as a scenario's (:mod:`sim.report.html`,
:mod:`sim.report.pdf`).

Must not: fit or run the model (the comparison has done it), or word a verdict of its own beyond
"no clear winner" when an interval includes zero.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import WEEKS_PER_YEAR
from ..narrate import years_text
from ..narrate.client import crossover_sentence, interval_text, short_run_sentence
from .content import Report, _plain, limitations
from .sections import calibration_table, clear_sign, comparison_table
from .settings import settings_changes

if TYPE_CHECKING:
    from ..client import Comparison

__all__ = ["build_client_report", "total_sentence"]


def total_sentence(data: dict[str, Any]) -> str:
    """Who is ahead over the whole horizon, or "no clear winner" when the interval includes zero."""
    cur, prop = data["current"]["label"], data["proposed"]["label"]
    total, years = data["total_difference"], data["years"]
    sign = clear_sign(total)
    if sign == 0:
        return (f"Over {years} years: no clear winner; {prop} minus {cur} is {interval_text(total)} in total "
                "(the interval includes zero).")
    lead, trail = (prop, cur) if sign > 0 else (cur, prop)
    gap = total if sign > 0 else {"mean": -total["mean"], "low": -total["high"], "high": -total["low"]}
    return f"Over {years} years: {lead} earns {interval_text(gap)} more in total than {trail}."


def build_client_report(comparison: Comparison, created: _dt.datetime | None = None) -> Report:
    """A client's report: calibration fit and current versus proposed (see the module docstring)."""
    from ..client import COUNTERFACTUAL
    from ..client.figure import plot_comparison

    cal, data = comparison.calibration, comparison.to_dict()
    client, cal_data = cal.client, cal.to_dict()
    cur, prop = comparison.current_label, comparison.proposed_label
    years, n = comparison.years, comparison.replicates
    cfg = cal.config(years * WEEKS_PER_YEAR)
    rows = data["by_year"]
    first, last = rows[0], rows[-1]
    headline = [
        (f"Revenue, year 1: {cur}", interval_text(first["current"])),
        (f"Revenue, year 1: {prop}", interval_text(first["proposed"])),
        (f"Revenue, year {years}: {cur}", interval_text(last["current"])),
        (f"Revenue, year {years}: {prop}", interval_text(last["proposed"])),
        (f"Difference in year {years} ({prop} − {cur})", interval_text(last["difference"])),
        (f"Cumulative difference over {years} years", interval_text(last["cumulative_difference"])),
        ("Crossover", f"year {data['crossover_year']}" if data["crossover_year"] else "not within the horizon"),
        ("Short-run cost (revenue given up in year 1)", interval_text(data["short_run_cost"])),
    ]
    story = "\n\n".join([total_sentence(data), crossover_sentence(data), short_run_sentence(data),
                         f"How it was measured: {COUNTERFACTUAL}."])
    created = created or _dt.datetime.now().astimezone()
    about = [
        ("Client", client.name),
        ("Market", f"{client.customers:,} customers; {client.sellers} seller{'s' if client.sellers != 1 else ''} of "
                   f"the client; {years_text(years * WEEKS_PER_YEAR)}"),
        ("Calibration", "every fitted figure within tolerance" if cal.accepted else "NOT within tolerance"),
        ("Runs", f"{n} simulated markets, each run in both ways with the same seed"),
        ("Seed", str(client.seed)),
        ("Model version", f"sim {__version__}"),
        ("Created", created.strftime("%Y-%m-%d %H:%M %Z").strip()),
    ]
    caveat = (" The market's free constants were fitted so that the current way of selling reproduces the "
              "client's observed figures; the proposed way's figures are the model's extrapolation, not "
              "observations.")
    return Report(
        title=f"{client.name}: {cur} or {prop}?",
        intro=" ".join(t for t in ((client.description or "").strip(),
                                   f"Current: {cur}. Proposed: {prop}.") if t),
        headline=headline, story=story,
        figures=[(f"{client.name}: revenue by year in each way of selling (left) and {prop} minus {cur} (right), "
                  f"means of {n} simulated markets with 95% intervals.", plot_comparison(data))],
        changes=settings_changes(cfg), limitations=limitations(cfg, n) + caveat, about=about,
        summary=_plain({"client": client.name, "replicates": n, "model_version": __version__,
                        "calibration": cal_data, "comparison": data}),
        config=cfg, calibration=calibration_table(cal_data), comparison=comparison_table(data), scenario=client.name,
    )
