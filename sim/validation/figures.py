"""The PNG figures of ``docs/figures/validation_*.png``, one or two per check.

Owns every figure drawer, their file names (:data:`FIGURE_NAMES`) and :func:`draw_figures`. Figures
are drawn on :class:`matplotlib.figure.Figure` objects with the Agg backend (no pyplot state) and
saved without the software tag (``metadata={"Software": None}``), so the same results give the same
bytes.

Must not run the model or write Markdown. The colours are those of ``sim.plots.STRATEGY_COLORS``,
written out here so that the committed figures do not depend on the plot layer's style.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter  # noqa: E402

from sim.atomic import atomic_path

from .limits import bass_continuous, bass_discrete  # noqa: E402
from .results import CheckResult, Stat  # noqa: E402

__all__ = ["draw_figures", "FIGURE_NAMES", "FIGURE_DRAWERS"]

NG, REL = "#D55E00", "#0072B2"   # the colours of sim.plots.STRATEGY_COLORS
GREY = "#7F7F7F"

FIGURE_NAMES: dict[str, tuple[str, ...]] = {
    "essay": ("validation_reviews.png",),
    "bass": ("validation_bass.png",),
    "ltv": ("validation_ltv.png",),
    "regimes": ("validation_regimes.png",),
    "identical": ("validation_identical.png",),
    "sobol": ("validation_sobol.png", "validation_sobol_scatter.png"),
}
"""File names of each check's figures, in drawing order."""


def _new_figure(width: float = 9.0, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _save(fig: Figure, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    return path


def _errbar(ax: Any, x: Any, st: Stat, scale: float = 1.0, **kw: Any) -> None:
    kw.setdefault("marker", "o")
    ax.errorbar([x], [st.mean * scale], yerr=[[(st.mean - st.low) * scale], [(st.high - st.mean) * scale]],
                linestyle="none", capsize=4, **kw)


def _plain_log(axis: Any, ticks: list[float]) -> None:
    """Log scale with plain tick labels at ``ticks`` (no 2x10^0-style minor labels)."""
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,g}"))
    axis.set_minor_formatter(NullFormatter())


def _fig_reviews(res: CheckResult) -> Figure:
    fig = _new_figure(9.0, 3.6)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, measure, title in zip(axes, ("customers_retained_final", "loyalty"),
                                  ("customers kept at the horizon", "loyalty rate, returns / (returns + defections)"),
                                  strict=True):
        labels = []
        for i, (label, out) in enumerate(res.data["reviews"].items()):
            for j, (strat, color) in enumerate((("relationship", REL), ("numbers_game", NG))):
                x = i * 3 + j
                _errbar(ax, x, out[(strat, measure)]["rel"], 100.0, color=color,
                        label=strat.replace("_", " ") if i == 0 else None)
            labels.append((i * 3 + 0.5, label))
        ax.axhline(0, color="black", lw=0.8)
        ax.axhline(18, color=GREY, lw=1, ls="--", label="essay 002: +18% loyalty")
        ax.set_xticks([p for p, _ in labels], [lab.replace(" (", "\n(") for _, lab in labels])
        ax.set_xlim(-1, 5)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("reviews on vs off: change (%)")
    axes[1].legend(fontsize=8, loc="upper right")
    fig.suptitle("Reviews on vs off, paired seeds: mean and 95% interval", fontsize=11)
    return fig


def _fig_bass(res: CheckResult) -> Figure:
    d = res.data
    weeks = np.arange(1, len(d["first_mean"]) + 1)
    fig = _new_figure(9.0, 3.8)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.fill_between(weeks, d["first_low"], d["first_high"], color=REL, alpha=0.2, lw=0,
                     label=f"simulation, range of {d['replicates']} runs")
    ax1.plot(weeks, d["first_mean"], color=REL, lw=1, label="simulation, mean")
    ax1.plot(weeks, bass_discrete(d["p"], d["q"], d["m"], len(weeks)), color="black", lw=1.2, ls="--",
             label="discrete Bass, configured p, q")
    fm = d["fit_mean"]
    ax1.plot(weeks, bass_discrete(fm["p_discrete"], fm["q_discrete"], d["m"], len(weeks)), color=NG, lw=1, ls=":",
             label="discrete Bass, fitted p, q (mean)")
    ax1.set_xlabel("week")
    ax1.set_ylabel("first purchases per week")
    ax1.set_title("weekly adoption", fontsize=10)
    ax1.legend(fontsize=7)
    cum = np.cumsum(d["first_mean"]) / d["m"]
    ax2.plot(weeks / 52, cum, color=REL, lw=2, label="simulation, mean")
    ax2.plot(weeks / 52, bass_continuous(d["p"], d["q"], weeks.astype(float)), color="black", lw=1, ls="--",
             label="continuous Bass F(t), configured p, q")
    ax2.set_xlabel("year")
    ax2.set_ylabel("share of customers who have bought")
    ax2.set_title("cumulative adoption", fontsize=10)
    ax2.legend(fontsize=7, loc="lower right")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.suptitle(f"Bass limit: {d['m']:,} customers, p = 0.03/yr, q = 0.38/yr", fontsize=11)
    return fig


def _fig_ltv(res: CheckResult) -> Figure:
    d = res.data
    fig = _new_figure(9.0, 3.8)
    ax1, ax2 = fig.subplots(1, 2)
    grid = np.linspace(0, 0.93, 200)
    ax1.plot(grid, d["price"] / (1 - grid), color="black", lw=1, label="price / (1 − r)")
    for t in d["table"]:
        _errbar(ax1, t["r"], t["measured"], color=REL, label="simulation" if t is d["table"][0] else None)
    ax1.set_xlabel("repeat probability r")
    ax1.set_ylabel("revenue per customer")
    ax1.set_title("lifetime value (undiscounted)", fontsize=10)
    ax1.legend(fontsize=8)
    ax2.axhspan(98, 102, color=GREY, alpha=0.15, lw=0, label="±2%")
    for k, t in enumerate(d["table"]):
        _errbar(ax2, t["r"] - 0.012, t["ratio"], 100.0, color=REL, label="undiscounted" if k == 0 else None)
        _errbar(ax2, t["r"] + 0.012, t["ratio_discounted"], 100.0, color="#009E73",
                label="discounted" if k == 0 else None)
    for k, g in enumerate(d["gradual"]):
        _errbar(ax2, g["r"], g["ratio"], 100.0, color=NG, marker="s",
                label="gradual entry (see text)" if k == 0 else None)
    ax2.axhline(100, color="black", lw=0.8)
    ax2.set_xlabel("repeat probability r")
    ax2.set_ylabel("measured / formula (%)")
    ax2.set_title("ratio to the closed form, 95% intervals", fontsize=10)
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    return fig


def _fig_regimes(res: CheckResult) -> Figure:
    d = res.data
    sc = list(d["scenarios"].items())
    sizes = d["sizes"]
    fig = _new_figure(9.5, 4.2)
    axes = fig.subplots(1, 2, width_ratios=[1.6, 1]) if sizes else [fig.subplots(1, 1)]
    ax = axes[0]
    for i, (_, st) in enumerate(sc):
        y = len(sc) - 1 - i
        color = {"relationship": REL, "numbers_game": NG}.get(st["winner"], GREY)
        r = st["ratio"]
        ax.errorbar([r.mean], [y], xerr=[[r.mean - r.low], [r.high - r.mean]], fmt="o", color=color, capsize=3)
        ax.plot([st["ratio_year1"].mean], [y], marker="|", color="black", ms=10,
                label="year 1" if i == 0 else None)
    ax.axvline(1, color="black", lw=0.8)
    ax.set_xscale("log")
    lo = min(min(st["ratio"].low, st["ratio_year1"].mean) for _, st in sc)
    hi = max(max(st["ratio"].high, st["ratio_year1"].mean) for _, st in sc)
    _plain_log(ax.xaxis, [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200) if lo / 2 <= t <= hi * 2])
    ax.set_yticks(range(len(sc)), [n for n, _ in reversed(sc)])
    ax.set_xlabel("revenue ratio, relationship / numbers game (log)")
    ax.set_title("at the horizon, 95% interval (colour = winner)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    if sizes:
        ax2 = axes[1]
        n = [s["customers"] for s in sizes]
        for s in sizes:
            color = {"relationship": REL, "numbers_game": NG}.get(s["winner"], GREY)
            r = s["ratio"]
            ax2.errorbar([s["customers"]], [r.mean], yerr=[[r.mean - r.low], [r.high - r.mean]], fmt="o",
                         color=color, capsize=3)
            ax2.annotate(f"{s['pitches'].mean:.1f}", (s["customers"], r.mean), textcoords="offset points",
                         xytext=(6, 4), fontsize=7)
        ax2.plot(n, [s["ratio"].mean for s in sizes], color=GREY, lw=0.8)
        ax2.axhline(1, color="black", lw=0.8)
        ax2.set_xscale("log")
        _plain_log(ax2.xaxis, n)
        ax2.set_xlim(min(n) / 1.4, max(n) * 1.6)
        ax2.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax2.set_xlabel("customers (log)")
        ax2.set_ylabel("revenue ratio")
        ax2.set_title("large_anonymous by market size\n(labels: pitches per customer)", fontsize=10)
        ax2.grid(alpha=0.3)
    return fig


def _fig_identical(res: CheckResult) -> Figure:
    fig = _new_figure(9.0, 3.8)
    axes = fig.subplots(1, 2)
    for ax, (preset, x) in zip(axes, res.data["pairs"].items(), strict=True):
        color = REL if preset == "relationship" else NG
        ax.scatter(x["a"], x["b"], s=14, color=color)
        lo, hi = min(x["a"].min(), x["b"].min()), max(x["a"].max(), x["b"].max())
        pad = 0.03 * (hi - lo)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="black", lw=0.8)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_aspect("equal")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k"))
        ax.set_xlabel("revenue of seller a")
        ax.set_ylabel("revenue of seller b")
        ax.set_title(f"two {preset.replace('_', '-')} copies\nlog(b / a) = {x['log_ratio'].fmt(3, signed=True)}",
                     fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle("Identical strategies, one point per replicate (diagonal = equal revenue)", fontsize=11)
    return fig


def _fig_sobol(res: CheckResult) -> Figure:
    table = sorted(res.data["table"], key=lambda r: r["ST"])
    fig = _new_figure(8.0, 0.45 * len(table) + 1.4)
    ax = fig.subplots(1, 1)
    y = np.arange(len(table))
    ax.barh(y + 0.2, [r["ST"] for r in table], height=0.4, xerr=[r["ST_conf"] for r in table], color=REL,
            label="total order ST", capsize=2)
    ax.barh(y - 0.2, [r["S1"] for r in table], height=0.4, xerr=[r["S1_conf"] for r in table], color="#56B4E9",
            label="first order S1", capsize=2)
    ax.set_yticks(y, [r["factor"].label for r in table])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("Sobol index (95% bootstrap interval)")
    ax.set_title("What drives the relationship advantage, log revenue ratio", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


def _fig_sobol_scatter(res: CheckResult) -> Figure:
    d = res.data
    table = d["table"]
    k = len(table)
    cols = 4
    fig = _new_figure(10.0, 2.4 * math.ceil(k / cols))
    axes = np.atleast_1d(fig.subplots(math.ceil(k / cols), cols, sharey=True)).ravel()
    y = d["y"]
    for i, row in enumerate(table):
        ax = axes[i]
        x = d["x"][:, i]
        ax.scatter(x, y, s=3, color=REL, alpha=0.35, lw=0)
        edges = np.quantile(x, np.linspace(0, 1, 9))
        idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, 7)
        centers = [x[idx == b].mean() for b in range(8) if (idx == b).any()]
        means = [y[idx == b].mean() for b in range(8) if (idx == b).any()]
        ax.plot(centers, means, color="black", lw=1.5)
        ax.axhline(0, color=NG, lw=0.8)
        f = row["factor"]
        if f.log:
            ax.set_xscale("log")
            ticks = [t for t in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if f.low <= t <= f.high]
            _plain_log(ax.xaxis, ticks)
        ax.set_title(f.label.replace("relationship: ", "relationship:\n"), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[k:]:
        ax.set_visible(False)
    for ax in axes[::cols]:
        ax.set_ylabel("A = log ratio", fontsize=8)
    fig.suptitle("Relationship advantage A per run against each factor (line: mean by octile; A > 0: relationship "
                 "ahead)", fontsize=10)
    return fig


FIGURE_DRAWERS: dict[str, tuple[Callable[[CheckResult], Figure], ...]] = {
    "essay": (_fig_reviews,), "bass": (_fig_bass,), "ltv": (_fig_ltv,), "regimes": (_fig_regimes,),
    "identical": (_fig_identical,), "sobol": (_fig_sobol, _fig_sobol_scatter),
}


def draw_figures(res: CheckResult, outdir: Path) -> list[Path]:
    """Write the PNG figures of one check into ``outdir`` (none for a check without figures)."""
    outdir.mkdir(parents=True, exist_ok=True)
    return [_save(draw(res), outdir / name)
            for draw, name in zip(FIGURE_DRAWERS.get(res.key, ()), FIGURE_NAMES.get(res.key, ()), strict=True)]
