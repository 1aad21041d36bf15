"""Analysis of a finished (or partly finished) sweep folder: ``python -m sim analyze DIR``.

Reads ``DIR/sweep.json``, ``DIR/design.parquet`` and the runs dataset, and writes into
``DIR/analysis/``:

* ``points.csv`` — one row per design point: factor values, number of replicates, and for every
  numeric outcome its mean and 95% t-interval over replicates (``<outcome>.mean/.low/.high``);
  ``winner`` says which strategy earns more there: the challenger when the interval of the
  advantage (:data:`sim.sweep.ADVANTAGE`) lies above 0, the incumbent when it lies below 0,
  ``unclear`` when it straddles 0.
* ``importance.csv`` — per factor: Spearman rank correlation with the advantage and the effect
  range (largest minus smallest mean advantage across the factor's levels, or quintiles of a
  continuous factor); with a Sobol design also first-order and total Sobol indices.
* ``sobol.csv`` (Sobol designs) — S1, ST and their 95% confidence half-widths per factor and outcome
  (SALib ``sobol.analyze`` on the per-point means).
* ``summary.json`` — the headline answer: where the challenger wins, by how much, what matters most.
* ``winner_map.png`` (heatmaps for grids, scatter coloured by winner for LHS/Sobol), ``effects.png``
  (mean advantage against each factor) and ``sobol.png``.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import ConfigError
from .sweep import ADVANTAGE, LABEL_OUTCOMES, load_runs

__all__ = ["AnalysisResult", "analyze", "point_table", "importance_table", "sobol_table", "format_report"]

WINNER_UNCLEAR = "unclear"


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


def _read_meta(out: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    meta_path = out / "sweep.json"
    if not out.is_dir():
        raise ConfigError(f"{out}: no such folder (give the --out folder of a sweep)")
    if not meta_path.exists():
        raise ConfigError(f"{out}: not a sweep folder (no sweep.json); "
                          f"run 'python -m sim sweep FILE --out {out}' first")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        design = pd.read_parquet(out / "design.parquet")
    except (OSError, ValueError) as err:
        raise ConfigError(f"{out}: cannot read the sweep description ({err})") from None
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


# ---------------------------------------------------------------------------------------- plots
def _winner_colors(meta: dict[str, Any]) -> dict[str, str]:
    from ..plots import strategy_colors

    colors = strategy_colors([meta["incumbent"], meta["challenger"]])
    colors[WINNER_UNCLEAR] = "#bbbbbb"
    return colors


def _axis_values(points: pd.DataFrame, f: dict[str, Any]) -> tuple[np.ndarray, list[str] | None]:
    """Numeric positions for a factor (categories become 0, 1, ...) and tick labels for categories."""
    x = points[f["name"]]
    if f["kind"] in ("float", "int"):
        return x.to_numpy(dtype=float), None
    cats = [str(v) for v in (f.get("values") or sorted(x.astype(str).unique()))]
    return x.astype(str).map({c: i for i, c in enumerate(cats)}).to_numpy(dtype=float), cats


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def _heatmap(ax: Any, points: pd.DataFrame, fa: dict[str, Any], fb: dict[str, Any], meta: dict[str, Any],
             n_factors: int) -> Any:
    from matplotlib.colors import TwoSlopeNorm

    col = f"{ADVANTAGE}.mean"
    grid = points.pivot_table(index=fb["name"], columns=fa["name"], values=col, aggfunc="mean", observed=True)
    vals = grid.to_numpy(dtype=float)
    unclear = None
    if n_factors == 2:   # each cell is one design point: mark those whose interval straddles 0
        flag = points.assign(_u=(points["winner"] == WINNER_UNCLEAR).astype(float))
        unclear = flag.pivot_table(index=fb["name"], columns=fa["name"], values="_u", aggfunc="max",
                                   observed=True).reindex(index=grid.index, columns=grid.columns).to_numpy()
    lim = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
    lim = lim or 1.0
    im = ax.imshow(vals, origin="lower", aspect="auto", cmap="RdBu", norm=TwoSlopeNorm(0.0, -lim, lim))
    ax.set_xticks(range(len(grid.columns)), [_fmt(v) for v in grid.columns], rotation=45, ha="right")
    ax.set_yticks(range(len(grid.index)), [_fmt(v) for v in grid.index])
    if vals.size <= 144:
        for (i, j), v in np.ndenumerate(vals):
            if np.isfinite(v):
                mark = "?" if unclear is not None and unclear[i, j] == 1 else ""
                ax.text(j, i, f"{v:+.2f}{mark}", ha="center", va="center", fontsize=7,
                        color="white" if abs(v) > 0.6 * lim else "black")
        if unclear is not None and np.nansum(unclear) > 0:
            ax.set_title("? = 95% interval includes 0 (no clear winner)", fontsize=8)
    ax.set_xlabel(fa["name"])
    ax.set_ylabel(fb["name"])
    if n_factors > 2:
        ax.set_title("mean over the other factors", fontsize=8)
    return im


def _scatter(ax: Any, points: pd.DataFrame, fa: dict[str, Any], fb: dict[str, Any], meta: dict[str, Any]) -> None:
    colors = _winner_colors(meta)
    rng = np.random.default_rng(0)
    xa, cats_a = _axis_values(points, fa)
    xb, cats_b = _axis_values(points, fb)
    if cats_a:
        xa = xa + rng.uniform(-0.15, 0.15, len(xa))
    if cats_b:
        xb = xb + rng.uniform(-0.15, 0.15, len(xb))
    for label in (meta["challenger"], meta["incumbent"], WINNER_UNCLEAR):
        m = (points["winner"] == label).to_numpy()
        if m.any():
            ax.scatter(xa[m], xb[m], s=14, color=colors[label], label=f"{label} wins" if label != WINNER_UNCLEAR
                       else "unclear", alpha=0.8, edgecolors="none")
    if cats_a:
        ax.set_xticks(range(len(cats_a)), cats_a)
    if cats_b:
        ax.set_yticks(range(len(cats_b)), cats_b)
    ax.set_xlabel(fa["name"])
    ax.set_ylabel(fb["name"])


def _line(ax: Any, points: pd.DataFrame, f: dict[str, Any], meta: dict[str, Any]) -> None:
    colors = _winner_colors(meta)
    x, cats = _axis_values(points, f)
    col = ADVANTAGE
    order = np.argsort(x, kind="stable")
    ax.axhline(0.0, color="#888888", lw=0.8)
    mean = points[f"{col}.mean"].to_numpy(dtype=float)
    low = points[f"{col}.low"].to_numpy(dtype=float)
    high = points[f"{col}.high"].to_numpy(dtype=float)
    ax.errorbar(x[order], mean[order], yerr=[mean[order] - low[order], high[order] - mean[order]], fmt="none",
                ecolor="#999999", elinewidth=0.8, capsize=2)
    winners = points["winner"].to_numpy()
    for label, color in colors.items():
        m = winners == label
        if m.any():
            ax.scatter(x[m], mean[m], color=color, s=18, zorder=3,
                       label=f"{label} wins" if label != WINNER_UNCLEAR else "unclear")
    if cats:
        ax.set_xticks(range(len(cats)), cats)
    ax.set_xlabel(f["name"])
    ax.set_ylabel(f"{ADVANTAGE} (mean, 95% CI)")


def _effect(ax: Any, points: pd.DataFrame, f: dict[str, Any], meta: dict[str, Any]) -> None:
    """Point means (dots, coloured by winner) and the mean per level or quintile (line) of one factor."""
    colors = _winner_colors(meta)
    x, cats = _axis_values(points, f)
    y = points[f"{ADVANTAGE}.mean"].to_numpy(dtype=float)
    winners = points["winner"].to_numpy()
    ax.axhline(0.0, color="#888888", lw=0.8)
    jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(x)) if cats else 0.0
    for label, color in colors.items():
        m = winners == label
        if m.any():
            ax.scatter((x + jitter)[m], y[m], color=color, s=10, alpha=0.6, edgecolors="none",
                       label=f"{label} wins" if label != WINNER_UNCLEAR else "unclear")
    ok = np.isfinite(y)
    xs = pd.Series(x[ok])
    if xs.nunique() <= 12:
        means = pd.Series(y[ok]).groupby(xs.to_numpy()).mean()
        ax.plot(means.index, means.to_numpy(), color="black", lw=1.5, marker="o", ms=3, label="mean")
    elif ok.sum() >= 5:
        bins = pd.qcut(xs.rank(method="first"), q=5, labels=False).to_numpy()
        centers = xs.groupby(bins).mean()
        means = pd.Series(y[ok]).groupby(bins).mean()
        ax.plot(centers.to_numpy(), means.to_numpy(), color="black", lw=1.5, marker="o", ms=3,
                label="mean by quintile")
    if cats:
        ax.set_xticks(range(len(cats)), cats)
    ax.set_xlabel(f["name"])
    ax.set_ylabel(ADVANTAGE)


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    return path


def _ranked_factors(meta: dict[str, Any], summary: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {f["name"]: f for f in meta["factors"]}
    return [by_name[r["factor"]] for r in summary["factor_ranking"] if r["factor"] in by_name]


def write_plots(points: pd.DataFrame, sobol_: pd.DataFrame, meta: dict[str, Any], summary: dict[str, Any],
                folder: Path) -> list[Path]:
    """``winner_map.png``, ``effects.png`` and (Sobol) ``sobol.png``; returns the files written."""
    from matplotlib.figure import Figure

    from .. import plots  # noqa: F401 - selects a headless backend where needed

    files: list[Path] = []
    pts = points[points["replicates"] > 0]
    if pts.empty:
        return files
    factors = _ranked_factors(meta, summary)
    inc, cha = meta["incumbent"], meta["challenger"]
    title = f"Where {cha} beats {inc}"
    cbar_label = f"{ADVANTAGE}\n(> 0: {cha} earns more per seller)"

    # winner map: one factor -> line; two or more -> pairs of the (up to) four most important factors
    top = factors[:4]
    pairs = list(itertools.combinations(top, 2))
    if not pairs:
        fig = Figure(figsize=(7.0, 4.5), layout="constrained")
        ax = fig.subplots()
        _line(ax, pts, top[0], meta)
        ax.legend(fontsize=8)
    else:
        ncols = min(3, len(pairs))
        nrows = math.ceil(len(pairs) / ncols)
        fig = Figure(figsize=(4.8 * ncols + 2.0, 4.2 * nrows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        im = None
        for ax, (fa, fb) in zip(axes, pairs, strict=False):
            if meta["design"] == "grid":
                im = _heatmap(ax, pts, fa, fb, meta, len(factors))
            else:
                _scatter(ax, pts, fa, fb, meta)
        for ax in axes[len(pairs):]:
            ax.set_visible(False)
        if im is not None:
            fig.colorbar(im, ax=list(axes[: len(pairs)]), label=cbar_label, shrink=0.8)
        else:
            axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(title, fontsize=10)
    files.append(_save(fig, folder / "winner_map.png"))

    # effects: mean advantage against each factor
    n = len(factors)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(4.4 * ncols, 3.4 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, f in zip(axes, factors, strict=False):
        _effect(ax, pts, f, meta)
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{ADVANTAGE} against each factor (dots: design points)", fontsize=10)
    files.append(_save(fig, folder / "effects.png"))

    sub = sobol_[sobol_["outcome"] == ADVANTAGE] if not sobol_.empty else sobol_
    if not sub.empty:
        sub = sub.sort_values("ST", ascending=True)
        fig = Figure(figsize=(7.0, 0.45 * len(sub) + 1.6), layout="constrained")
        ax = fig.subplots()
        y = np.arange(len(sub))
        ax.barh(y - 0.2, sub["S1"], 0.4, xerr=sub["S1_conf"], label="first-order S1", color="#6baed6")
        ax.barh(y + 0.2, sub["ST"], 0.4, xerr=sub["ST_conf"], label="total ST", color="#08519c")
        ax.set_yticks(y, sub["factor"])
        ax.axvline(0, color="#888888", lw=0.8)
        ax.set_xlabel(f"Sobol index of {ADVANTAGE} (95% confidence)")
        ax.legend(fontsize=8)
        files.append(_save(fig, folder / "sobol.png"))
    return files


# ---------------------------------------------------------------------------------------- entry
def analyze(out: str | Path, outcomes: list[str] | None = None, plots: bool = True) -> AnalysisResult:
    """Analyse a sweep folder and write tables and figures into ``out/analysis/``.

    Args:
        out: the sweep's ``--out`` folder.
        outcomes: outcomes for Sobol indices (default: the advantage only).
        plots: also write PNG figures.

    Raises:
        ConfigError: not a sweep folder, no runs yet, or an unknown outcome.
    """
    out = Path(out)
    meta, design = _read_meta(out)
    runs = load_runs(out)
    if runs.empty:
        raise ConfigError(f"{out}: no finished runs yet; run the sweep first")
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
    summary = _summary(points, importance, sobol_, runs, meta, notes)

    folder = out / "analysis"
    folder.mkdir(exist_ok=True)
    files = []
    points.to_csv(folder / "points.csv", index=False)
    importance.to_csv(folder / "importance.csv", index=False)
    files += [folder / "points.csv", folder / "importance.csv"]
    if meta["design"] == "sobol":
        sobol_.to_csv(folder / "sobol.csv", index=False)
        files.append(folder / "sobol.csv")
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    files.append(folder / "summary.json")
    if plots:
        files += write_plots(points, sobol_, meta, summary, folder)
    return AnalysisResult(out, meta, points, importance, sobol_, summary, files)


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
