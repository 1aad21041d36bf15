"""Figures of a sweep analysis: where the challenger wins, effects of each factor, Sobol indices.

Every ``*_figure`` function takes an :class:`~sim.experiments.analysis.AnalysisResult` (from
:func:`sim.experiments.analyze`) and returns a matplotlib :class:`~matplotlib.figure.Figure`;
:func:`write_figures` saves them as ``winner_map.png``, ``effects.png`` and (Sobol designs)
``sobol.png`` next to the tables. It is the figure writer that ``python -m sim analyze`` hands to
the analysis::

    from sim.experiments import analyze
    from sim.plots.sweeps import write_figures
    result = analyze("results/sweeps/smoke", figures=write_figures)

Owns: drawing a finished analysis. Must not: compute anything the tables do not hold (means,
intervals, winners and rankings come from :mod:`sim.experiments.analysis`), or read the sweep
folder itself.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..atomic import atomic_path
from ..experiments.analysis import WINNER_UNCLEAR
from ..experiments.outcomes import ADVANTAGE
from . import strategy_colors

if TYPE_CHECKING:
    from ..experiments.analysis import AnalysisResult

__all__ = ["winner_map_figure", "effects_figure", "sobol_figure", "write_figures", "SWEEP_FIGURE_FILES"]

SWEEP_FIGURE_FILES = ("winner_map.png", "effects.png", "sobol.png")
"""File names :func:`write_figures` may write (``sobol.png`` for Sobol designs only)."""


def _winner_colors(meta: dict[str, Any]) -> dict[str, str]:
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
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png", dpi=110)
    return path


def _ranked_factors(meta: dict[str, Any], summary: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {f["name"]: f for f in meta["factors"]}
    return [by_name[r["factor"]] for r in summary["factor_ranking"] if r["factor"] in by_name]


def _drawn_points(result: AnalysisResult) -> pd.DataFrame:
    """Design points with at least one finished run (the others have no numbers to draw)."""
    return result.points[result.points["replicates"] > 0]


def winner_map_figure(result: AnalysisResult) -> Figure | None:
    """Where the challenger earns more; None when no design point has a finished run.

    One factor gives a line (mean advantage and interval per point); more give a panel per pair of
    the (up to) four most important factors: heatmaps of the mean advantage for grids, points
    coloured by winner for LHS and Sobol designs.
    """
    meta, pts = result.meta, _drawn_points(result)
    if pts.empty:
        return None
    factors = _ranked_factors(meta, result.summary)
    inc, cha = meta["incumbent"], meta["challenger"]
    cbar_label = f"{ADVANTAGE}\n(> 0: {cha} earns more per seller)"
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
    fig.suptitle(f"Where {cha} beats {inc}", fontsize=10)
    return fig


def effects_figure(result: AnalysisResult) -> Figure | None:
    """Mean advantage against each factor (dots: design points, line: mean per level or quintile)."""
    meta, pts = result.meta, _drawn_points(result)
    if pts.empty:
        return None
    factors = _ranked_factors(meta, result.summary)
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
    return fig


def sobol_figure(result: AnalysisResult) -> Figure | None:
    """First-order and total Sobol indices of the advantage per factor; None without Sobol indices."""
    sobol_ = result.sobol
    sub = sobol_[sobol_["outcome"] == ADVANTAGE] if not sobol_.empty else sobol_
    if sub.empty or _drawn_points(result).empty:
        return None
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
    return fig


def write_figures(result: AnalysisResult, folder: str | Path | None = None) -> list[Path]:
    """Save the figures that apply as PNG files (default folder: ``result.out / "analysis"``).

    Returns:
        The files written (none when no design point has a finished run).
    """
    folder = Path(folder) if folder is not None else result.out / "analysis"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for name, draw in zip(SWEEP_FIGURE_FILES, (winner_map_figure, effects_figure, sobol_figure), strict=True):
        fig = draw(result)
        if fig is not None:
            files.append(_save(fig, folder / name))
    return files
