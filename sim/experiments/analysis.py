"""Analysis of a finished (or partly finished) sweep folder: ``python -m sim analyze DIR``.

Reads ``DIR/sweep.json``, ``DIR/design.parquet`` and the runs dataset, and writes into
``DIR/analysis/``:

* ``points.csv`` — one row per design point: factor values, number of replicates, and for every
  numeric outcome its mean and 95% t-interval over replicates (``<outcome>.mean/.low/.high``);
  ``winner`` says which strategy earns more there: the challenger when the interval of the
  advantage (:data:`sim.experiments.ADVANTAGE`) lies above 0, the incumbent when it lies below 0,
  ``unclear`` when it straddles 0.
* ``importance.csv`` — per factor: Spearman rank correlation with the advantage and the effect
  range (largest minus smallest mean advantage across the factor's levels, or quintiles of a
  continuous factor); with a Sobol design also first-order and total Sobol indices.
* ``sobol.csv`` (Sobol designs) — S1, ST and their 95% confidence half-widths per factor and outcome
  (SALib ``sobol.analyze`` on the per-point means).
* ``summary.json`` — the headline answer: where the challenger wins, by how much, what matters most.

Owns: those tables, the summary and :func:`format_report` (the words ``analyze`` prints).

Must not: draw. Figures (``winner_map.png``, ``effects.png``, ``sobol.png``) are made by
:func:`sim.plots.sweeps.write_figures`, which the caller passes to :func:`analyze` as ``figures``;
this module never imports the presentation layer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import write_text
from ..config import ConfigError
from .outcomes import ADVANTAGE, LABEL_OUTCOMES
from .store import load_runs

__all__ = [
    "AnalysisResult", "FigureWriter", "analyze", "point_table", "importance_table", "sobol_table", "format_report",
    "WINNER_UNCLEAR",
]

WINNER_UNCLEAR = "unclear"
"""``winner`` of a design point whose interval of the advantage includes 0."""


@dataclass
class AnalysisResult:
    """Tables and headline numbers of one sweep analysis.

    Attributes:
        out: the sweep folder.
        meta: its ``sweep.json``.
        points: per design point (see module docstring).
        importance: per factor.
        sobol: Sobol indices (empty unless the design is ``sobol``).
        summary: the content of ``summary.json``.
        files: files written.
    """

    out: Path
    meta: dict[str, Any]
    points: pd.DataFrame
    importance: pd.DataFrame
    sobol: pd.DataFrame
    summary: dict[str, Any]
    files: list[Path] = field(default_factory=list)


_META_KEYS = ("design", "points", "runs", "replicates", "seed", "incumbent", "challenger", "factors", "outcomes")


def _read_meta(out: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    meta_path = out / "sweep.json"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"DIR = {str(out)!r}: is a file, not a folder (give the --out folder of a sweep)")
    if not out.is_dir():
        raise ConfigError(f"DIR = {str(out)!r}: no such folder (give the --out folder of a sweep)")
    if not meta_path.is_file():
        raise ConfigError(f"DIR = {str(out)!r}: not a sweep folder (no sweep.json); "
                          f"run 'python -m sim sweep FILE --out {out}' first")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or any(k not in meta for k in _META_KEYS):
            raise ValueError("not the sweep.json of a sweep")
    except (OSError, ValueError) as err:
        raise ConfigError(f"{meta_path}: unreadable ({err}); it was written by 'python -m sim sweep': restore it, "
                          "or run the sweep again into a new folder") from None
    try:
        design = pd.read_parquet(out / "design.parquet")
    except Exception as err:  # damaged or missing: the sweep command writes it again
        raise ConfigError(f"{out / 'design.parquet'}: unreadable ({err.__class__.__name__}); run the same sweep "
                          "command again (it rewrites the file and resumes), then analyze") from None
    return meta, design


def _interval(grouped: Any) -> pd.DataFrame:
    """Mean and 95% t-interval of the mean per group (NaNs ignored)."""
    from scipy import stats

    mean, std, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    tq = pd.Series(stats.t.ppf(0.975, np.maximum(n - 1, 1)), index=n.index)
    half = (tq * std / np.sqrt(n)).where(n > 1, 0.0)
    return pd.DataFrame({"mean": mean, "low": mean - half, "high": mean + half, "n": n})


def point_table(runs: pd.DataFrame, design: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    """Per design point: factor values, replicates on disk, mean and 95% interval of each outcome, winner."""
    inc, cha = meta["incumbent"], meta["challenger"]
    numeric = [o for o in meta["outcomes"] if o not in LABEL_OUTCOMES and o in runs.columns]
    table = design.set_index("point").copy()
    g = runs.groupby("point")
    table["replicates"] = g.size().reindex(table.index).fillna(0).astype(int)
    for o in numeric:
        stats_ = _interval(g[o])
        for col in ("mean", "low", "high"):
            table[f"{o}.{col}"] = stats_[col].reindex(table.index)
    if "leader_final" in runs.columns:
        wins = (runs["leader_final"] == cha).groupby(runs["point"]).mean()
        table[f"{cha}_wins_share"] = wins.reindex(table.index)
    low, high = table[f"{ADVANTAGE}.low"], table[f"{ADVANTAGE}.high"]
    winner = np.where(low > 0, cha, np.where(high < 0, inc, WINNER_UNCLEAR))
    table["winner"] = pd.Series(winner, index=table.index).where(table["replicates"] > 0, None)
    return table.reset_index()


def _effect_range(values: pd.Series, target: pd.Series, discrete: bool) -> float:
    ok = target.notna()
    values, target = values[ok], target[ok]
    if len(target) < 2:
        return float("nan")
    if discrete or values.nunique() <= 10:
        means = target.groupby(values).mean()
    else:
        bins = pd.qcut(values.rank(method="first"), q=min(5, len(values)), labels=False)
        means = target.groupby(bins).mean()
    return float(means.max() - means.min())


def importance_table(points: pd.DataFrame, meta: dict[str, Any], target: str = ADVANTAGE) -> pd.DataFrame:
    """Per factor: Spearman correlation with the target's point means, and its effect range."""
    from scipy import stats

    col = f"{target}.mean"
    rows = []
    for f in meta["factors"]:
        name, kind = f["name"], f["kind"]
        x, y = points[name], points[col]
        ok = y.notna()
        rho = float("nan")
        if kind in ("float", "int") and ok.sum() >= 3 and x[ok].nunique() > 1 and y[ok].nunique() > 1:
            rho = float(stats.spearmanr(x[ok].astype(float), y[ok]).statistic)
        discrete = kind in ("bool", "choice") or f.get("values") is not None or meta["design"] == "grid"
        rows.append({"factor": name, "section": f["section"], "spearman_rho": rho,
                     "effect_range": _effect_range(x, y, discrete)})
    return pd.DataFrame(rows, columns=["factor", "section", "spearman_rho", "effect_range"])


def sobol_table(points: pd.DataFrame, meta: dict[str, Any], outcomes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """First-order and total Sobol indices (SALib) of each outcome's per-point mean.

    Returns:
        The table (outcome, factor, S1, S1_conf, ST, ST_conf) and notes on outcomes that were skipped.
    """
    from SALib.analyze import sobol

    cols = ["outcome", "factor", "S1", "S1_conf", "ST", "ST_conf"]
    if meta["design"] != "sobol":
        return pd.DataFrame(columns=cols), []
    factors = meta["factors"]
    problem = {"num_vars": len(factors), "names": [f["name"] for f in factors],
               "bounds": [[float(f["low"]), float(f["high"])] for f in factors]}
    rows, notes = [], []
    for o in outcomes:
        y = points.sort_values("point")[f"{o}.mean"].to_numpy(dtype=float)
        if len(y) != meta["points"] or not np.all(np.isfinite(y)):
            missing = int((~np.isfinite(y)).sum()) + meta["points"] - len(y)
            notes.append(f"Sobol indices of {o} need every design point ({missing} of {meta['points']} missing "
                         "or undefined)")
            continue
        if np.ptp(y) == 0:
            notes.append(f"Sobol indices of {o}: the outcome does not vary")
            continue
        res = sobol.analyze(problem, y, calc_second_order=bool(meta.get("second_order")), print_to_console=False,
                            seed=int(meta["seed"]) % 2**32)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": o, "factor": name, "S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                         "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])})
    return pd.DataFrame(rows, columns=cols), notes


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _summary(points: pd.DataFrame, importance: pd.DataFrame, sobol_: pd.DataFrame, runs: pd.DataFrame,
             meta: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    inc, cha = meta["incumbent"], meta["challenger"]
    adv = points[f"{ADVANTAGE}.mean"]
    counts = points["winner"].value_counts().to_dict()
    done_points = int((points["replicates"] > 0).sum())
    where_cha = points[points["winner"] == cha]
    win_median = _num(where_cha[f"{ADVANTAGE}.mean"].median()) if len(where_cha) else None
    ranking = importance.copy()
    if not sobol_.empty:
        st = sobol_[sobol_["outcome"] == ADVANTAGE].set_index("factor")
        ranking["ST"] = ranking["factor"].map(st["ST"])
        ranking["S1"] = ranking["factor"].map(st["S1"])
        ranking = ranking.sort_values("ST", ascending=False, na_position="last")
    else:
        ranking = ranking.sort_values("effect_range", ascending=False, na_position="last")
    return {
        "sweep": meta.get("name"),
        "design": meta["design"],
        "incumbent": inc,
        "challenger": cha,
        "advantage": f"{ADVANTAGE} = log((revenue {cha} + price) / (revenue {inc} + price)), "
                     "per seller over the horizon",
        "runs_on_disk": int(len(runs)),
        "runs_expected": int(meta["runs"]),
        "complete": bool(len(runs) >= meta["runs"]),
        "points_with_runs": done_points,
        "points": int(meta["points"]),
        "replicates": int(meta["replicates"]),
        "winner_counts": {str(k): int(v) for k, v in counts.items()},
        "challenger_wins_share_of_points": (counts.get(cha, 0) / done_points) if done_points else None,
        "advantage_over_points": {
            "mean": _num(adv.mean()), "median": _num(adv.median()), "min": _num(adv.min()), "max": _num(adv.max()),
        },
        "advantage_where_challenger_wins": {
            "median": _num(win_median),
            "revenue_multiple_median": _num(math.exp(win_median)) if win_median is not None else None,
        },
        "factor_ranking": [{k: (_num(v) if k not in ("factor", "section") else v) for k, v in r.items()}
                           for r in ranking.to_dict("records")],
        "notes": notes,
    }


FigureWriter = Callable[[AnalysisResult], list[Path]]
"""Draws an analysis' figures into ``result.out / "analysis"`` and returns the files written."""


def analyze(out: str | Path, outcomes: list[str] | None = None,
            figures: FigureWriter | None = None) -> AnalysisResult:
    """Analyse a sweep folder and write tables (and, with ``figures``, figures) into ``out/analysis/``.

    Args:
        out: the sweep's ``--out`` folder.
        outcomes: outcomes for Sobol indices (default: the advantage only).
        figures: draws the figures once the tables are written, e.g.
            :func:`sim.plots.sweeps.write_figures`; None = tables only.

    Raises:
        ConfigError: not a sweep folder, no runs yet, or an unknown outcome.
    """
    out = Path(out)
    meta, design = _read_meta(out)
    skipped: list[tuple[Path, str]] = []
    runs = load_runs(out, skipped)
    if runs.empty:
        why = f" ({len(skipped)} unreadable part files skipped)" if skipped else ""
        raise ConfigError(f"{out}: no finished runs yet{why}; run the sweep first")
    numeric = [o for o in meta["outcomes"] if o not in LABEL_OUTCOMES]
    targets = list(dict.fromkeys([ADVANTAGE, *(outcomes or [])]))
    for o in targets:
        if o not in numeric:
            raise ConfigError(f"--outcome {o!r}: not a numeric outcome of this sweep; kept: {', '.join(numeric)}")
    points = point_table(runs, design, meta)
    importance = importance_table(points, meta)
    sobol_, notes = sobol_table(points, meta, targets)
    if not sobol_.empty:
        st = sobol_[sobol_["outcome"] == ADVANTAGE].set_index("factor")
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            importance[key] = importance["factor"].map(st[key])
    if len(runs) < meta["runs"]:
        notes.insert(0, f"sweep incomplete: {len(runs)} of {meta['runs']} runs on disk")
    for path, reason in skipped:
        notes.insert(0, f"skipped unreadable {path.name} ({reason}); run the sweep command again to redo its runs")
    summary = _summary(points, importance, sobol_, runs, meta, notes)

    folder = out / "analysis"
    tables = {"points.csv": points, "importance.csv": importance}
    if meta["design"] == "sobol":
        tables["sobol.csv"] = sobol_
    try:
        folder.mkdir(exist_ok=True)
        files = [write_text(folder / name, table.to_csv(index=False)) for name, table in tables.items()]
        files.append(write_text(folder / "summary.json", json.dumps(summary, indent=2) + "\n"))
    except OSError as err:
        raise ConfigError(f"DIR = {str(out)!r}: cannot write {folder} ({err.strerror or err})") from None
    result = AnalysisResult(out, meta, points, importance, sobol_, summary, files)
    if figures is not None:
        result.files += figures(result)
    return result


def format_report(result: AnalysisResult) -> str:
    """Plain-language account of an analysis (what ``python -m sim analyze`` prints)."""
    s = result.summary
    inc, cha = s["incumbent"], s["challenger"]
    lines = [f"Sweep {s['sweep']} ({s['design']}): {s['runs_on_disk']} of {s['runs_expected']} runs, "
             f"{s['points_with_runs']} of {s['points']} design points, {s['replicates']} replicates each"]
    wc = s["winner_counts"]
    n = s["points_with_runs"]
    how = (f"95% interval of {ADVANTAGE} clear of 0" if s["replicates"] > 1
           else f"sign of {ADVANTAGE}; one replicate per point, so no interval")
    lines.append(f"{cha} earns more at {wc.get(cha, 0)} of {n} points and {inc} at {wc.get(inc, 0)} "
                 f"({how}); unclear at {wc.get(WINNER_UNCLEAR, 0)}.")
    adv = s["advantage_over_points"]
    if adv["median"] is not None:
        lines.append(f"{ADVANTAGE} over points: median {adv['median']:+.2f} (revenue x{math.exp(adv['median']):.2f}), "
                     f"range {adv['min']:+.2f} .. {adv['max']:+.2f}.")
    w = s["advantage_where_challenger_wins"]
    if w["median"] is not None:
        lines.append(f"Where {cha} wins, it earns x{w['revenue_multiple_median']:.2f} per seller (median).")
    ranking = s["factor_ranking"]
    if ranking:
        lines.append("Parameters that matter most:")
        for r in ranking:
            bits = []
            if r.get("ST") is not None:
                bits.append(f"Sobol ST {r['ST']:.2f}, S1 {r['S1']:.2f}")
            if r.get("effect_range") is not None:
                bits.append(f"effect range {r['effect_range']:.2f}")
            if r.get("spearman_rho") is not None:
                bits.append(f"rank correlation {r['spearman_rho']:+.2f}")
            lines.append(f"  {r['factor']:<34} " + ", ".join(bits))
    for note in s["notes"]:
        lines.append(f"Note: {note}")
    names = ", ".join(p.name for p in result.files)
    lines.append(f"Written to {result.out / 'analysis'}/: {names}")
    return "\n".join(lines)
