"""Figures of the calibration layer, in the one plot style (:mod:`sim.plots.style`).

* :func:`fit_figure`: each target's measure over every tried point and over the accepted ensemble,
  with the target's band;
* :func:`parameters_figure`: where the accepted members lie within each prior's range (a narrow
  histogram means the targets pin that constant down; a flat one means they do not);
* :func:`ensemble_figure`: the long-run revenue ratio and the crossover week over the members, with
  the single market's figure;
* :func:`attribution_figure`: each mechanism group's share of the log revenue advantage, with its
  interval;
* :func:`save` writes a figure atomically.

Must not: compute results (everything comes in as the dictionaries the other modules return).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path
from ..plots.style import PALETTE, STRATEGY_COLORS, styled

__all__ = ["fit_figure", "parameters_figure", "ensemble_figure", "attribution_figure", "save"]

TRIED = "#B0B0B0"
ACCEPTED = STRATEGY_COLORS["relationship"]
BAND = "#009E73"


def _figure(n: int, cols: int, width: float, height: float) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    rows = max(1, math.ceil(n / cols))
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel()))
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def fit_figure(points: Sequence[Mapping[str, Any]], members: Sequence[Mapping[str, Any]], targets: Any) -> Any:
    """One panel per target: the measure over tried points (grey) and accepted members (blue), the band (green)."""
    items = list(targets.targets.items())
    with styled():
        fig, axes = _figure(len(items), 3, 5.6, 3.8)
        for ax, (name, t) in zip(axes, items, strict=True):
            tried = np.array([p["measures"].get(name) for p in points], dtype=float)
            tried = tried[np.isfinite(tried)]
            ens = np.array([m["measures"].get(name) for m in members], dtype=float)
            w = np.array([m["weight"] for m in members], dtype=float)
            keep = np.isfinite(ens)
            lo = min([t.low, *tried.tolist(), *ens[keep].tolist()]) if len(tried) else t.low
            hi = max([t.high, *tried.tolist(), *ens[keep].tolist()]) if len(tried) else t.high
            bins = np.linspace(lo, hi, 31) if hi > lo else 10
            if len(tried):
                ax.hist(tried, bins=bins, color=TRIED, density=True, label=f"tried ({len(tried):,})")
            if keep.any():
                ax.hist(ens[keep], bins=bins, weights=w[keep], color=ACCEPTED, alpha=0.75, density=True,
                        label=f"ensemble ({int(keep.sum()):,})")
            ax.axvspan(t.low, t.high, color=BAND, alpha=0.15, label="target band")
            ax.axvline(t.centre, color=BAND, lw=2)
            ax.set_title(name.replace("_", " "), fontsize=12)
            ax.set_yticks([])
            ax.set_xlabel(("accepts" if t.use == "accept" else "reported only"), fontsize=11)
        if axes:
            axes[0].legend(loc="upper right", fontsize=9)
        fig.suptitle("Calibration: each target's measure over the tried points and the accepted ensemble")
    return fig


def parameters_figure(points: Sequence[Mapping[str, Any]], members: Sequence[Mapping[str, Any]], priors: Any) -> Any:
    """One panel per prior: accepted members (blue) within the prior's range, against all tried points (grey)."""
    names = list(priors.priors)
    with styled():
        fig, axes = _figure(len(names), 6, 3.2, 2.5)
        bins = np.linspace(0.0, 1.0, 21)
        for j, (ax, name) in enumerate(zip(axes, names, strict=True)):
            prior = priors.priors[name]
            ax.hist([p["unit"][j] for p in points], bins=bins, color=TRIED, density=True)
            if members:
                ax.hist([m["unit"][j] for m in members], bins=bins, weights=[m["weight"] for m in members],
                        color=ACCEPTED, alpha=0.75, density=True)
            ax.set_title(name, fontsize=10)
            ax.set_yticks([])
            ax.set_xticks([0, 1])
            ax.set_xticklabels([f"{prior.low:g}", f"{prior.high:g}"], fontsize=9)
            ax.grid(False)
        fig.suptitle("Accepted members (blue) within each prior's range (grey: every tried point)")
    return fig


def ensemble_figure(summary: Mapping[str, Any]) -> Any:
    """Revenue ratio and crossover week over the members, with the single market and the 90% ranges."""
    per = summary["per_member"]
    pair = summary["pair"]
    single = summary["single_market"]
    with styled():
        fig, (left, right) = _figure(2, 2, 7.0, 4.8)
        ratios = np.array([m["ratio"] for m in per if m["ratio"] is not None], dtype=float)
        w = np.array([m["weight"] for m in per if m["ratio"] is not None], dtype=float)
        if len(ratios):
            edges = np.geomspace(max(ratios.min(), 1e-3) / 1.1, ratios.max() * 1.1, 30)
            left.hist(ratios, bins=edges, weights=w, color=ACCEPTED, alpha=0.8)
            left.set_xscale("log")
        r = summary["ratio"]
        if r["low"] is not None:
            left.axvspan(r["low"], r["high"], color=ACCEPTED, alpha=0.12, label="90% of markets")
        if single["ratio"] is not None:
            left.axvline(single["ratio"], color="#3B3B3B", lw=2, ls="--", label="single market")
        left.axvline(1.0, color=STRATEGY_COLORS["numbers_game"], lw=1.5, label="equal revenue")
        left.set_xlabel(f"long-run revenue ratio, {pair['challenger']} / {pair['incumbent']}")
        left.set_yticks([])
        left.legend(fontsize=10)
        weeks = np.array([m["crossover_week"] for m in per if m["crossover_week"] is not None], dtype=float)
        ww = np.array([m["weight"] for m in per if m["crossover_week"] is not None], dtype=float)
        if len(weeks):
            right.hist(weeks, bins=30, weights=ww, color=PALETTE[0], alpha=0.8)
        if single["crossover_week"] is not None:
            right.axvline(single["crossover_week"], color="#3B3B3B", lw=2, ls="--", label="single market")
            right.legend(fontsize=10)
        never = summary["crossover_week"]["never_share"]
        right.set_xlabel(f"crossover week (never in {never:.0%} of markets)")
        right.set_yticks([])
        fig.suptitle(f"{summary['scenario']}: the headline over {summary['members']} markets "
                     "consistent with the evidence")
    return fig


def attribution_figure(attr: Mapping[str, Any]) -> Any:
    """Horizontal bars: each group's share of the log revenue advantage with its interval; the total."""
    groups = attr["groups"]
    names = list(groups)
    with styled():
        fig, (ax,) = _figure(1, 1, 11.0, 0.55 * len(names) + 2.0)
        y = np.arange(len(names))[::-1]
        shares = np.array([groups[n]["share"] for n in names], dtype=float)
        low = np.array([groups[n]["low"] if groups[n]["low"] is not None else groups[n]["share"] for n in names])
        high = np.array([groups[n]["high"] if groups[n]["high"] is not None else groups[n]["share"] for n in names])
        colors = [TRIED if n == "remainder" else (ACCEPTED if s >= 0 else STRATEGY_COLORS["numbers_game"])
                  for n, s in zip(names, shares, strict=True)]
        ax.barh(y, shares, color=colors, alpha=0.85)
        ax.errorbar(shares, y, xerr=[np.maximum(shares - low, 0), np.maximum(high - shares, 0)], fmt="none",
                    ecolor="#3B3B3B", capsize=3, lw=1)
        ax.set_yticks(y)
        ax.set_yticklabels([groups[n]["label"] for n in names])
        ax.axvline(0.0, color="#3B3B3B", lw=1)
        pair = attr["pair"]
        ax.set_xlabel(f"share of the log revenue advantage, {pair['challenger']} over {pair['incumbent']} "
                      f"(total {attr['total']:+.2f}; {attr['interval']})")
        ax.set_title(f"{attr['scenario']}: which mechanisms carry the result (Shapley values)")
    return fig


def save(fig: Any, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` as PNG, atomically (no date in the metadata, so reruns give the same bytes)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    return path
