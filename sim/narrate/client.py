"""Words and numbers for a client's calibration and comparison (command line, notebook, dashboard).

Owns: the calibration table, the comparison table by year and the sentences about the crossover and
the short-run cost, as plain text. Number formats come from :mod:`sim.narrate` so a number reads the
same everywhere. These functions are small on purpose: they belong in :mod:`sim.narrate` once that
module takes client results (they read plain dicts: ``Calibration.figures`` and
``Comparison.to_dict()``).

Must not: run the model, fit or draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .formats import money, num

__all__ = ["calibration_lines", "comparison_lines", "crossover_sentence", "short_run_sentence", "leads_warning",
           "interval_text", "figure_value"]


def figure_value(figure: Mapping[str, Any], value: float) -> str:
    """A figure's value as it reads best: ratios and shares with 3 decimals, counts whole."""
    return f"{value:,.0f}" if figure.get("figure") == "leads_per_seller" else f"{value:.3f}"


def _table(header: Sequence[str], rows: list[Sequence[str]], right: Sequence[bool]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right, strict=True)]
        return "  ".join(out).rstrip()

    return [line(header), *(line(r) for r in rows)]


def calibration_lines(calibration: Mapping[str, Any]) -> list[str]:
    """The calibration table (observed, fitted, tolerance, ok) and the fitted constants, from ``calibration.json``."""
    rows = []
    for f in calibration["figures"]:
        tol = f"±{figure_value(f, f['tolerance'])}"
        ok = "yes" if f["within"] else ("NO" if f["fitted_by_calibration"] else "check")
        rows.append([f["label"], figure_value(f, f["observed"]), figure_value(f, f["fitted"]), tol, ok])
    head = (f"Calibration of {calibration['client']} (simulated year {calibration['observed_year']}, "
            f"{len(calibration['seeds'])} simulated markets, best of {calibration['search']['candidates_tried']} "
            "settings):")
    constants = ", ".join(f"{k} {num(v)}" for k, v in calibration["constants"].items())
    return [head, *_table(["figure", "observed", "fitted", "tolerance", "ok"], rows, [False, True, True, True, False]),
            f"Fitted market constants: {constants}."]


def interval_text(x: Mapping[str, float], fmt: Any = money) -> str:
    """``12.3k [9.8k, 14.7k]`` (or the single value when the interval has no width)."""
    if x["low"] == x["high"]:
        return fmt(x["mean"])
    return f"{fmt(x['mean'])} [{fmt(x['low'])}, {fmt(x['high'])}]"


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + money(x) if x else "0"


def crossover_sentence(comparison: Mapping[str, Any]) -> str:
    """When the proposed way pulls ahead for good, in one sentence."""
    proposed, n = comparison["proposed"]["label"], comparison["replicates"]
    ahead = round(comparison["crossover_share"] * n)
    year = comparison["crossover_year"]
    horizon = comparison["years"]
    if year is None:
        return (f"Crossover: never within {horizon} years on average; {proposed} ends ahead for good in "
                f"{ahead} of {n} simulated markets.")
    return (f"Crossover: {proposed} is ahead in cumulative revenue for good from year {year} on average "
            f"(in {ahead} of {n} simulated markets by year {horizon}).")


def short_run_sentence(comparison: Mapping[str, Any]) -> str:
    """What switching costs (or gains) in year 1, with its interval."""
    cost = comparison["short_run_cost"]
    proposed = comparison["proposed"]["label"]
    if cost["low"] > 0:
        return f"Short-run cost: {interval_text(cost)} of revenue given up in year 1 by selling as {proposed}."
    if cost["high"] < 0:
        gain = {k: -v for k, v in cost.items()}
        gain["low"], gain["high"] = gain["high"], gain["low"]
        return f"Short-run cost: none; {proposed} earns {interval_text(gain)} more in year 1."
    return (f"Short-run cost: no clear cost or gain in year 1 ({interval_text(cost)} given up; the interval "
            "includes zero).")


def comparison_lines(comparison: Mapping[str, Any]) -> list[str]:
    """The comparison table by year (from ``compare.json``), then the crossover and short-run sentences."""
    cur, prop = comparison["current"]["label"], comparison["proposed"]["label"]
    head = (f"Current versus proposed for {comparison['client']} (current: {cur}; proposed: {prop}): revenue of all "
            f"the client's sellers by year, {comparison['replicates']} simulated markets, the same random numbers "
            "in both:")
    rows = []
    for r in comparison["by_year"]:
        d = r["difference"]
        rows.append([str(r["year"]), money(r["current"]["mean"]), money(r["proposed"]["mean"]), _signed(d["mean"]),
                     f"[{_signed(d['low'])}, {_signed(d['high'])}]",
                     _signed(r["cumulative_difference"]["mean"]),
                     f"{round(r['proposed_ahead_share'] * comparison['replicates'])}/{comparison['replicates']}"])
    table = _table(["year", cur, prop, "difference", "95% interval", "cumulative", "ahead"], rows,
                   [True, True, True, True, True, True, True])
    return [head, *table, crossover_sentence(comparison), short_run_sentence(comparison)]


def leads_warning(figure: Mapping[str, Any], hours_per_week: float, minutes_per_contact: float) -> str:
    """A note when the simulated leads per seller miss the client's (a check, not a refusal)."""
    obs, fit = figure["observed"], figure["fitted"]
    more = "more" if fit > obs else "fewer"
    return (f"Note: leads per seller: observed {obs:,.0f}, simulated {fit:,.0f} ({(fit - obs) / obs:+.0%}, "
            f"tolerance ±{figure['tolerance'] / obs:.0%}): with {num(hours_per_week)} selling hours a week and "
            f"{num(minutes_per_contact)} minutes per contact the current way of selling reaches {more} people "
            "than the client's sellers do; revenues in the comparison scale with it (change minutes_per_contact "
            "or hours_per_week in the client file to match).")
