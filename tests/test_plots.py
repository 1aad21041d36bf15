"""Tests for sim.plots: figure structure with and without replicates, and files on disk."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import sim
from sim.plots import (
    FIGURE_FILES,
    SOURCES,
    STRATEGY_COLORS,
    STYLE,
    plot_cumulative,
    plot_funnel,
    plot_sales_by_source,
    save_figures,
    strategy_colors,
)

STAGES = 4


@pytest.fixture(scope="module")
def single(small_config: sim.Config) -> sim.Results:
    return sim.run(small_config)


@pytest.fixture(scope="module")
def replicated(small_config: sim.Config) -> sim.Results:
    return sim.run_replicates(small_config, 3)


def strategy_lines(fig: Figure) -> list:
    return [line for line in fig.axes[0].lines if line.get_gid() != "crossover"]


def bands(fig: Figure) -> list:
    return [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


# ------------------------------------------------------------------------------------------- cumulative
def test_cumulative_single_run(single: sim.Results) -> None:
    fig = plot_cumulative(single.timeseries)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = strategy_lines(fig)
    assert [line.get_label() for line in lines] == ["numbers_game", "relationship"]
    assert [line.get_color() for line in lines] == [STRATEGY_COLORS["numbers_game"], STRATEGY_COLORS["relationship"]]
    assert not bands(fig)
    assert len(ax.lines) == 2  # no crossover line unless asked
    # x axis in years, y values are per-seller means
    x, y = lines[1].get_data()
    assert x[-1] == pytest.approx(60 / 52)
    assert y[-1] == pytest.approx(single.summary["strategies"]["relationship"]["revenue_total"])
    assert ax.get_title(loc="left") == "Cumulative revenue per seller, by strategy"


def test_cumulative_marks_crossover(single: sim.Results) -> None:
    fig = plot_cumulative(single.timeseries, crossover_week=26, crossover_label="crossover here")
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    marker = next(line for line in ax.lines if line.get_gid() == "crossover")
    assert marker.get_linestyle() == ":"
    assert marker.get_xdata()[0] == pytest.approx(0.5)
    assert any(t.get_text() == "crossover here" for t in ax.texts)
    # replicate summaries give a dict; None draws nothing
    assert len(plot_cumulative(single.timeseries, crossover_week={"mean": 30.0}).axes[0].lines) == 3
    assert len(plot_cumulative(single.timeseries, crossover_week=None).axes[0].lines) == 2


def test_cumulative_with_replicates_draws_band(replicated: sim.Results) -> None:
    df = replicated.timeseries
    fig = plot_cumulative(df, "referrals_cumulative")
    lines = strategy_lines(fig)
    assert len(lines) == 2 and len(bands(fig)) == 2
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("95% CI of the mean over 3 runs" in t for t in legend)
    # the line is the mean over replicates of the per-replicate strategy means
    last = df[df["week"] == df["week"].max()]
    expected = last[last["strategy"] == "numbers_game"].groupby("replicate")["referrals_cumulative"].mean().mean()
    assert lines[0].get_ydata()[-1] == pytest.approx(expected)
    fig_pct = plot_cumulative(df, band="percentile")
    assert any("percentiles" in t.get_text() for t in fig_pct.axes[0].get_legend().get_texts())
    with pytest.raises(ValueError):
        plot_cumulative(df, band="wide")


def test_cumulative_into_existing_axes(single: sim.Results) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_cumulative(single.timeseries, ax=ax, title="mine") is fig
    assert ax.get_title(loc="left") == "mine"


# ------------------------------------------------------------------------------------------- funnel
@pytest.mark.parametrize("which", ["single", "replicated"])
def test_funnel_bars(which: str, request: pytest.FixtureRequest) -> None:
    res: sim.Results = request.getfixturevalue(which)
    fig = plot_funnel(res.timeseries, weeks=52)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(ax.patches) == 2 * STAGES
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Leads", "Prospects", "Presentations", "Sales"]
    assert "year 1" in ax.get_title(loc="left")
    heights = np.array([p.get_height() for p in ax.patches[:STAGES]])
    year1 = res.runs[0]["strategies"]["numbers_game"]["funnel_year1"] if which == "single" else None
    if year1 is not None:
        assert np.nan_to_num(heights) == pytest.approx([year1[s] for s in ("leads", "prospects", "presentations",
                                                                           "sales")])
    assert len(ax.texts) == 2 * STAGES  # every bar is annotated
    whole = plot_funnel(res.timeseries).axes[0]
    assert "whole horizon" in whole.get_title(loc="left")


# ------------------------------------------------------------------------------------------- sources
@pytest.mark.parametrize("which", ["single", "replicated"])
def test_sales_by_source_bars(which: str, request: pytest.FixtureRequest) -> None:
    res: sim.Results = request.getfixturevalue(which)
    fig = plot_sales_by_source(res.timeseries)
    assert len(fig.axes) == 2  # one panel per strategy
    years = 2  # 60 weeks: year 1 and a partial year 2
    for ax, name in zip(fig.axes, ["numbers_game", "relationship"], strict=True):
        assert ax.get_title(loc="left") == name
        assert len(ax.patches) == years * len(SOURCES)
    # stacked total of year 1 = per-seller sales in year 1
    ax = fig.axes[1]
    total_year1 = sum(p.get_height() for p in ax.patches[::years])
    df = res.timeseries
    sub = df[(df["strategy"] == "relationship") & (df["week"] <= 52)]
    keys = ["replicate", "seller"] if "replicate" in df.columns else ["seller"]
    expected = sub.groupby(keys, observed=True)["sales"].sum().mean()
    assert total_year1 == pytest.approx(expected)
    assert "2*" in [t.get_text() for t in ax.get_xticklabels()]


# ------------------------------------------------------------------------------------------- files
def test_save_figures_png_and_svg(single: sim.Results, tmp_path: Path) -> None:
    paths = save_figures(single, tmp_path / "figs", formats=("png", "svg"))
    assert len(paths) == 2 * len(FIGURE_FILES)
    for name in FIGURE_FILES:
        png, svg = tmp_path / "figs" / f"{name}.png", tmp_path / "figs" / f"{name}.svg"
        assert png in paths and svg in paths
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 5000
        assert b"<svg" in svg.read_bytes()[:1000]
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == sorted(p.name for p in paths)   # no temp files


def test_save_figures_with_replicates(replicated: sim.Results, tmp_path: Path) -> None:
    paths = save_figures(replicated, tmp_path, formats="png")
    assert sorted(p.name for p in paths) == sorted(f"{n}.png" for n in FIGURE_FILES)
    assert all(p.stat().st_size > 5000 for p in paths)


def test_strategy_colors_are_stable() -> None:
    colors = strategy_colors(["relationship", "mine", "numbers_game", "other"])
    assert colors["numbers_game"] == STRATEGY_COLORS["numbers_game"]
    assert colors["relationship"] == STRATEGY_COLORS["relationship"]
    assert len(set(colors.values())) == 4
    assert strategy_colors(["mine", "other"]) == {"mine": colors["mine"], "other": colors["other"]}


# ------------------------------------------------------------------------------------------- one style
def test_every_figure_uses_the_one_style(single: sim.Results) -> None:
    figures = [plot_cumulative(single.timeseries), plot_funnel(single.timeseries),
               plot_sales_by_source(single.timeseries)]
    for fig in figures:
        ax = fig.axes[0]
        assert ax.yaxis.label.get_fontsize() == pytest.approx(float(STYLE["axes.labelsize"]))
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()


def test_one_definition_of_the_year_and_the_style() -> None:
    """One year length (sim.config) and, in the presentation layer, one style (sim.plots.style).

    The presentation layer is sim.plots, sim.ui, sim.narrate and the command line.
    """
    root = Path(sim.__file__).parent
    package = list(root.rglob("*.py"))
    presentation = [p for p in package if p.parent.name in ("plots", "ui", "narrate") or p.name == "cli.py"]
    checks = [("WEEKS_PER_YEAR = ", package, {"config.py"}), ('"axes.titlesize"', presentation, {"style.py"}),
              ('"#D55E00"', presentation, {"style.py"})]
    for text, files, allowed in checks:
        found = {p.name for p in files if text in p.read_text(encoding="utf-8")}
        assert found == allowed, f"{text!r} defined in {sorted(found)}"


# ------------------------------------------------------------------------------------------- live figures
def test_nice_ceiling_and_sticky_top() -> None:
    from sim.plots.live import nice_ceiling, sticky_top

    assert [nice_ceiling(x) for x in (0.9, 1.0, 1.1, 7.2, 130, 0.031)] == [1.0, 1.0, 1.2, 8.0, 150, pytest.approx(0.04)]
    assert sticky_top(100.0, 80.0) == 100.0            # fits and fills enough: the frame stays
    assert sticky_top(100.0, 120.0) == 150.0           # overflows: a new round top with some room
    assert sticky_top(100.0, 20.0) == 25.0             # fills too little: a new, lower top
    assert sticky_top(None, 80.0) == 100.0


def test_live_figure_redraws_only_the_layer(small_config: sim.Config) -> None:
    """A similar run is drawn over the kept frame, and looks exactly as if everything had been redrawn."""
    from PIL import Image

    from sim.plots.live import CurvePanel, FunnelPanel, LiveFigure, RunView

    run = sim.run(small_config, seed=1)
    similar = run.timeseries.copy()    # the same run, every count and amount 10% lower: its ranges still fit
    keep = {"week", "run", "replicate", "seed", "seller", "seller_id"}
    for column in similar.columns:
        if column not in keep and pd.api.types.is_numeric_dtype(similar[column]):
            similar[column] = similar[column] * 0.9
    live = LiveFigure((12, 4), [CurvePanel("revenue_cumulative", "Revenue", crossover=lambda v: (20, "here")),
                                FunnelPanel(52)], dpi=50)
    first = live.render(RunView.of(run))
    second = live.render(RunView(similar, run.summary, run.config))
    assert first[:8] == second[:8] == b"\x89PNG\r\n\x1a\n" and first != second
    assert live.frames == 1   # the frame was kept; the blitted image equals a full redraw at the same layout
    for artist in live._layer:
        if hasattr(artist, "set_animated"):
            artist.set_animated(False)
    live.canvas.draw()
    full = np.asarray(live.canvas.buffer_rgba())[..., :3]
    blitted = np.asarray(Image.open(io.BytesIO(second)))
    assert blitted.shape == full.shape
    half = full.shape[1] // 2   # the curve panel is identical; in the funnel the grid lies under the bars, not over
    assert (blitted[:, :half] == full[:, :half]).all() and (blitted != full).any(axis=-1).mean() < 0.01
    texts = [t.get_text() for t in live.axes[0].texts]
    assert "here" in texts and len(live.axes[0].lines) == 3   # two strategies and the crossover, no leftovers
    assert len(live.axes[1].patches) == 2 * STAGES and len(live.axes[1].containers) == 2


def test_live_source_bars_look_like_the_static_ones(replicated: sim.Results) -> None:
    """The live panel draws every stacked bar as one collection: pixel for pixel the static bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from sim.plots.live import RunView, SourcePanel
    from sim.plots.sources import draw_source_bars, source_table

    view = RunView.of(replicated)
    images = []
    for live in (False, True):
        fig = Figure(figsize=(4, 3), dpi=60)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        panel = SourcePanel(1, {})
        panel.attach(ax)
        years, tables = source_table(view.df, view.names)
        panel.shared.update(years=years, tables=tables)
        made = panel.layer(view) if live else draw_source_bars(ax, years, tables[view.names[1]])
        ax.set_xlim(0.4, len(years) + 0.6)
        ax.set_ylim(0, 1.1 * float(tables[view.names[1]].sum(axis=1).max()))
        canvas.draw()
        images.append(np.asarray(canvas.buffer_rgba()).copy())
        assert len(made) == (1 if live else len(years) * len(SOURCES))
    assert (images[0] == images[1]).all()


@pytest.mark.parametrize("which", ["single", "replicated"])
def test_weekly_table_gives_the_pandas_tables(which: str, request: pytest.FixtureRequest) -> None:
    """The live figures' NumPy curves and source table equal sim.plots.data's (to rounding)."""
    from sim.plots.data import curves, strategies
    from sim.plots.sources import SOURCE_COLUMNS, source_table
    from sim.plots.tables import WeeklyTable

    df = request.getfixturevalue(which).timeseries
    table = WeeklyTable(df)
    for column in ("revenue_cumulative", "referrals_cumulative", "reviews_count", "mean_trust"):
        for expected, got in zip(curves(df, column, "ci"), table.curves(column), strict=True):
            if expected is None:
                assert got is None and which == "single"
                continue
            assert [str(c) for c in expected.columns] == list(got.columns)
            assert list(expected.index) == list(got.index)
            np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=1e-12)
    names = strategies(df)
    years, tables = source_table(df, names)
    got_years, got = table.yearly_totals(list(SOURCE_COLUMNS), names + ["absent"])
    assert list(got_years) == list(years) and (got["absent"].to_numpy() == 0).all()
    for name in names:
        np.testing.assert_allclose(got[name].to_numpy(), tables[name].to_numpy(), rtol=1e-12)
