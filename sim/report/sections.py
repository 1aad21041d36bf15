"""The report's optional sections, read from the files other commands write: attribution, calibration, comparison.

Owns :func:`attribution_table` (``attribution.json`` of ``python -m sim explain``: each mechanism
group's share of the log revenue advantage with its interval), :func:`find_attribution` (where a
scenario's ``attribution.json`` is looked for, and the check that it is that scenario's),
:func:`calibration_table` (``calibration.json`` of a client: each observed figure, the fitted
value, within tolerance or not) and :func:`comparison_table` (``compare.json``: current versus
proposed by year, the difference with its interval). Each gives a :class:`~sim.report.content.Table`
for the report's hooks.

Must not: run the model, fit, or lay anything out; sentences come from :mod:`sim.narrate.client` and
:func:`sim.calibration.attribution.attribution_sentence`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..narrate.client import crossover_sentence, figure_value, interval_text, short_run_sentence
from ..narrate.formats import money
from .content import Table

__all__ = ["attribution_table", "find_attribution", "attribution_folders", "calibration_table", "comparison_table",
           "clear_sign"]


def attribution_folders(name: str, out: str | Path | None = None, root: str | Path | None = None) -> list[Path]:
    """Where a scenario's ``attribution.json`` may be: the report's own folder, then ``results/explain/<name>/``.

    ``results/explain/<name>/`` is ``python -m sim explain``'s default output folder, looked for in the
    working folder and, when given, under ``root`` (the project's folder, for the dashboard).
    """
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "custom"
    folders = [Path(out)] if out is not None else []
    folders.append(Path("results") / "explain" / safe)
    if root is not None:
        folders.append(Path(root) / "results" / "explain" / safe)
    return folders


def find_attribution(name: str, folders: Iterable[str | Path]) -> dict[str, Any] | None:
    """The first readable ``attribution.json`` in ``folders`` (or a file itself) of scenario ``name``, else None."""
    for folder in folders:
        path = Path(folder) if Path(folder).is_file() else Path(folder) / "attribution.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("scenario") == name and isinstance(data.get("groups"), dict):
            return data
    return None


def _signed(x: float | None) -> str:
    return "–" if x is None else f"{x:+.2f}"


def attribution_table(attr: Mapping[str, Any]) -> Table:
    """Each mechanism group's share of the log revenue advantage (``attribution.json``), largest first."""
    from ..calibration.attribution import attribution_sentence

    groups = dict(attr["groups"])
    remainder = groups.pop("remainder", None)
    ranked = sorted(groups.values(), key=lambda g: -abs(g["share"]))
    rows = [(g["label"], _signed(g["share"]), f"[{_signed(g.get('low'))}, {_signed(g.get('high'))}]", g["off"])
            for g in ranked + ([remainder] if remainder else [])]
    rows.append(("total (every group on)", _signed(attr["total"]),
                 f"[{_signed(attr.get('total_low'))}, {_signed(attr.get('total_high'))}]", ""))
    weeks = attr.get("weeks")
    note = (f"{attribution_sentence(attr)} Measured by python -m sim explain over {weeks} weeks: "
            f"{attr.get('method', '')}; intervals: {attr.get('interval', '')}.")
    return Table("Mechanism attribution", ("mechanism", "share of the log revenue advantage", "interval",
                                           "switched off means"), tuple(rows), note)


def calibration_table(calibration: Mapping[str, Any]) -> Table:
    """The calibration fit of a client's market (``calibration.json``): observed, fitted, tolerance, within."""
    rows = []
    for f in calibration["figures"]:
        ok = "yes" if f["within"] else ("NO" if f["fitted_by_calibration"] else "no (a check)")
        rows.append((f["label"], figure_value(f, f["observed"]), figure_value(f, f["fitted"]),
                     f"±{figure_value(f, f['tolerance'])}", ok))
    constants = ", ".join(f"{k} {v:.3g}" for k, v in calibration["constants"].items())
    note = (f"Simulated year {calibration['observed_year']}, {len(calibration['seeds'])} simulated markets, best of "
            f"{calibration['search']['candidates_tried']} settings. Fitted market constants: {constants}.")
    return Table("Calibration fit", ("figure", "observed", "fitted", "tolerance", "within tolerance"),
                 tuple(rows), note)


def clear_sign(x: Mapping[str, float]) -> int:
    """+1 / -1 when the whole interval is above / below zero; 0 when it includes zero (no clear winner)."""
    return 1 if x["low"] > 0 else -1 if x["high"] < 0 else 0


def comparison_table(comparison: Mapping[str, Any]) -> Table:
    """Current versus proposed by year (``compare.json``): each arm, the difference with its interval, who leads."""
    cur, prop = comparison["current"]["label"], comparison["proposed"]["label"]
    n = comparison["replicates"]
    verdicts = {1: f"{prop} ahead", -1: f"{cur} ahead", 0: "no clear winner"}
    rows = []
    for r in comparison["by_year"]:
        rows.append((str(r["year"]), money(r["current"]["mean"]), money(r["proposed"]["mean"]),
                     interval_text(r["difference"]), interval_text(r["cumulative_difference"]),
                     verdicts[clear_sign(r["difference"])]))
    note = " ".join([crossover_sentence(comparison), short_run_sentence(comparison),
                     f"Revenue of all the client's sellers; means of {n} simulated markets with 95% intervals, each "
                     "market run in both ways with the same random numbers."])
    return Table(f"Current versus proposed: {cur} and {prop}",
                 ("year", cur, prop, "difference", "cumulative difference", "in the year"), tuple(rows), note)
