"""Live figures: drawn once, then updated in place, for the notebooks' explorer and the dashboard.

Owns :class:`LiveFigure` (a figure of panels that turns a run into PNG bytes again and again),
:class:`RunView` (what the panels read from a run, each curve computed once) and the panels
:class:`CurvePanel`, :class:`FunnelPanel` and :class:`SourcePanel`, plus :func:`sticky_top`.

Why it is quick: a figure is a *frame* (axes, ticks, grid, titles, axis labels, legends whose
entries never change) and a *layer* (lines, bands, bars, value labels, the crossover marker,
legends whose words may change, e.g. with the number of runs). Matplotlib spends most of a redraw
on the frame's ticks and text, so the frame is rendered only when it changes and kept as a pixel
copy; its axis limits stay put while the data fit under them and fill at least :data:`SHRINK` of
them (:func:`sticky_top`), so a slider move rarely changes it. An update removes the old layer,
builds the new one with the same pieces as the static figures (:mod:`sim.plots.cumulative`,
:mod:`~sim.plots.funnel`, :mod:`~sim.plots.sources`), draws only the layer over the copy
(Matplotlib's blitting) and encodes the canvas as a lightly compressed PNG. When the frame does
change, the figure is laid out once more (constrained layout) and the copy is renewed.

Must not: run the model, import :mod:`sim.ui` or ipywidgets, or pick colours, fonts or sizes of
its own (:mod:`sim.plots.style`).
"""

from __future__ import annotations

import math
import struct
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.container import Container
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..config import WEEKS_PER_YEAR
from .cumulative import curve_legend, decorate_curve_axes, draw_crossover, draw_curves, draw_end_labels
from .data import curves, n_runs, strategies
from .funnel import decorate_funnel_axes, draw_funnel_bars, funnel_title, funnel_values
from .sources import SOURCE_COLUMNS, decorate_source_axes
from .style import SOURCE_COLORS, SOURCES, strategy_colors, styled
from .tables import WeeklyTable

__all__ = ["LiveFigure", "RunView", "Panel", "CurvePanel", "FunnelPanel", "SourcePanel", "sticky_top",
           "nice_ceiling", "png_bytes", "SHRINK"]

SHRINK = 0.5
"""A panel's y range is renewed when its data fill less than this share of it (or overflow it)."""
_NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(x: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) at least ``x``."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(x))
    return next(n * scale for n in _NICE if n * scale >= x * (1 - 1e-12))


def sticky_top(current: float | None, needed: float, shrink: float = SHRINK) -> float:
    """Upper y limit: ``current`` while ``needed`` fits under it and fills ``shrink`` of it, else a new round one."""
    if current is not None and shrink * current <= needed <= current:
        return current
    return nice_ceiling(needed * 1.08)


def png_bytes(canvas: FigureCanvasAgg, compress_level: int = 1) -> bytes:
    """The canvas as PNG bytes: opaque RGB, no row filter, light zlib compression.

    About half the time of Pillow's encoder for a screen-sized figure (which filters every row
    first), for files of about the same size: these figures are mostly flat areas of one colour,
    which zlib packs well unfiltered.
    """
    w, h = canvas.get_width_height(physical=True)
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3].reshape(h, 3 * w)
    rows = np.empty((h, 3 * w + 1), dtype=np.uint8)
    rows[:, 0] = 0                      # filter type 0 (none) at the start of every row
    rows[:, 1:] = rgb
    return b"".join((_PNG_SIGNATURE, _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
                     _png_chunk(b"IDAT", zlib.compress(rows.data, compress_level)), _png_chunk(b"IEND", b"")))


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class RunView:
    """What live panels read from one run (or replicate set): strategies, colours, horizon, curves.

    Args:
        timeseries: the weekly table (``Results.timeseries``).
        summary: the summary (``Results.summary``).
        config: the run's :class:`~sim.config.Config` (for settings a panel shows, e.g. the trust threshold).
    """

    def __init__(self, timeseries: pd.DataFrame, summary: dict[str, Any], config: Any = None) -> None:
        self.df, self.summary, self.config = timeseries, summary, config
        self.names = strategies(timeseries)
        self.colors = strategy_colors(self.names)
        self.runs = n_runs(timeseries)
        self.weeks = int(timeseries["week"].max())
        self._curves: dict[tuple[str, str], tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]] = {}
        self._table: WeeklyTable | None = None
        self._sources: tuple[np.ndarray, dict[str, pd.DataFrame]] | None = None

    @classmethod
    def of(cls, results: Any) -> RunView:
        """The view of a :class:`sim.Results`."""
        return cls(results.timeseries, results.summary, results.config)

    @property
    def table(self) -> WeeklyTable:
        """The weekly table with its group keys as codes (made on first use)."""
        if self._table is None:
            self._table = WeeklyTable(self.df)
        return self._table

    def curve(self, column: str, band: str = "ci") -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
        """Per-seller mean of ``column`` by week and strategy (with a 95% band over replicates), computed once."""
        key = (column, band)
        if key not in self._curves:
            self._curves[key] = self.table.curves(column) if band == "ci" else curves(self.df, column, band)
        return self._curves[key]

    def sources(self) -> tuple[np.ndarray, dict[str, pd.DataFrame]]:
        """Years and per-strategy sales per seller per year by source (:func:`~sim.plots.sources.source_table`)."""
        if self._sources is None:
            self._sources = self.table.yearly_totals(list(SOURCE_COLUMNS), self.names)
        return self._sources


class Panel(ABC):
    """One axes of a :class:`LiveFigure`: a frame (:meth:`frame`) and a layer (:meth:`layer`)."""

    ax: Axes

    def attach(self, ax: Axes) -> None:
        """Draw into ``ax`` from now on (called when the figure is (re)built)."""
        self.ax = ax

    @abstractmethod
    def frame(self, view: RunView) -> Hashable:
        """Set up what does not change between similar runs; return a key that changes when it does."""

    @abstractmethod
    def layer(self, view: RunView) -> list[Artist | Container]:
        """Draw this run's data; return every artist (and bar container) made, to be removed next time."""


def _text(spec: str | Callable[[RunView], str] | None, view: RunView, default: str = "") -> str:
    return default if spec is None else spec(view) if callable(spec) else spec


class CurvePanel(Panel):
    """A curve over time per strategy (:func:`sim.plots.plot_cumulative`'s look), with a sticky y range.

    Args:
        column: the weekly column drawn (``"revenue_cumulative"``, ``"mean_trust"``, ...).
        title: the panel title, or a function of the :class:`RunView`.
        crossover: a function of the view giving ``(week, label)`` for the dotted crossover marker (or None).
        ylabel: the y label (default from :data:`~sim.plots.style.AXIS_LABELS`).
        legend: draw the strategies' legend in the panel.
        min_top: the y range reaches at least this high (e.g. 1.0 for trust), or a function of the view.
    """

    def __init__(self, column: str, title: str | Callable[[RunView], str] | None = None, *,
                 crossover: Callable[[RunView], tuple[Any, str | None]] | None = None, ylabel: str | None = None,
                 legend: bool = True, min_top: float | Callable[[RunView], float] = 0.0) -> None:
        self.column, self.title, self.crossover = column, title, crossover
        self.ylabel, self.legend, self.min_top = ylabel, legend, min_top
        self._top: float | None = None

    def frame(self, view: RunView) -> Hashable:
        """Limits (the y range sticky), labels, title and the legend of strategies and bands."""
        mean, _low, high = view.curve(self.column)
        peak = float(np.nanmax((high if high is not None else mean).to_numpy())) if mean.size else 0.0
        floor = self.min_top(view) if callable(self.min_top) else self.min_top
        self._top = top = max(sticky_top(self._top, peak), floor)
        years = view.weeks / WEEKS_PER_YEAR
        title = _text(self.title, view)
        ax = self.ax
        ax.set_autoscale_on(False)
        ax.set_xlim(0, years)
        ax.set_ylim(0, top)
        decorate_curve_axes(ax, self.column)
        if self.ylabel:
            ax.set_ylabel(self.ylabel)
        ax.set_title(title, loc="left")
        return (years, top, title)

    def layer(self, view: RunView) -> list[Artist | Container]:
        """Lines, bands, the value at each line's end, the crossover marker."""
        mean, low, high = view.curve(self.column)
        years = mean.index.to_numpy(dtype=float) / WEEKS_PER_YEAR
        out = draw_curves(self.ax, years, mean, low, high, view.names, view.colors)
        out += draw_end_labels(self.ax, years, mean, view.names, view.colors)
        if self.crossover is not None:
            out += draw_crossover(self.ax, *self.crossover(view))
        if self.legend:   # in the layer: its last entry says over how many runs the bands are
            names = [n for n in view.names if n in mean.columns]
            out.append(self.ax.legend(*curve_legend(names, view.colors, view.runs), loc="upper left"))
        return out


class FunnelPanel(Panel):
    """The funnel of the first ``weeks`` weeks (:func:`sim.plots.plot_funnel`'s look), log axis in whole decades."""

    def __init__(self, weeks: int | None = WEEKS_PER_YEAR, title: str | Callable[[RunView], str] | None = None,
                 legend_size: float = 10) -> None:
        self.weeks, self.title, self.legend_size = weeks, title, legend_size
        self._values: dict[str, np.ndarray] = {}

    def frame(self, view: RunView) -> Hashable:
        """Decades that hold every bar with room for its number and the legend; stage names; title."""
        span = view.weeks if self.weeks is None else min(self.weeks, view.weeks)
        self._values = values = funnel_values(view.df, view.names, span)
        positive = [v for vals in values.values() for v in vals if v > 0] or [1.0]
        low = 10.0 ** math.floor(math.log10(min(positive) / 2.5))
        high = 10.0 ** math.ceil(math.log10(max(positive) * 4))
        title = _text(self.title, view, funnel_title(view.weeks, span, view.runs))
        ax = self.ax
        ax.set_autoscale_on(False)
        decorate_funnel_axes(ax)
        ax.set_xlim(-0.5, len(next(iter(values.values()), [0] * 4)) - 0.5)
        ax.set_ylim(low, high)
        ax.set_title(title, loc="left")
        return (low, high, title)

    def layer(self, view: RunView) -> list[Artist | Container]:
        """Bars with their numbers, and the legend (it says how many leads one sale took)."""
        before = len(self.ax.containers)
        out: list[Artist | Container] = draw_funnel_bars(self.ax, self._values, view.colors)
        made = self.ax.containers[before:]
        handles = [Patch(color=view.colors[n]) for n in self._values]
        out.append(self.ax.legend(handles, [c.get_label() for c in made], loc="upper right", fontsize=self.legend_size))
        return out + made


class SourcePanel(Panel):
    """One strategy's sales per year by source (:func:`sim.plots.plot_sales_by_source`'s look); y shared and sticky."""

    def __init__(self, index: int, shared: dict[str, Any]) -> None:
        self.index, self.shared = index, shared

    def frame(self, view: RunView) -> Hashable:
        """Year ticks, the strategy's name in its colour, the y range shared by every panel."""
        if self.index == 0:   # the first panel computes the table and the range every panel uses
            years, tables = view.sources()
            peak = max((float(t.sum(axis=1).max()) for t in tables.values() if len(t)), default=0.0)
            self.shared.update(years=years, tables=tables, top=sticky_top(self.shared.get("top"), peak))
        name = view.names[self.index]
        years, top = self.shared["years"], self.shared["top"]
        partial = view.weeks % WEEKS_PER_YEAR
        ax = self.ax
        ax.set_autoscale_on(False)
        decorate_source_axes(ax, name, view.colors[name], years, partial)
        ax.set_xlim(0.4, len(years) + 0.6)
        ax.set_ylim(0, top)
        return (name, len(years), partial, top)

    def layer(self, view: RunView) -> list[Artist | Container]:
        """The stacked bars as one collection: the look of :func:`~sim.plots.sources.draw_source_bars`, quicker.

        (One Rectangle per bar costs Matplotlib about 0.7 ms each to make and draw, and a panel has a bar
        per source and year.)
        """
        years = np.asarray(self.shared["years"], dtype=float)
        table = self.shared["tables"][view.names[self.index]]
        bottom = np.zeros(len(years))
        left, right = years - 0.4, years + 0.4
        verts, colors = [], []
        for src, col in zip(SOURCES, SOURCE_COLUMNS, strict=True):
            top = bottom + table[col].to_numpy(dtype=float)
            verts.append(np.stack([np.column_stack([left, bottom]), np.column_stack([left, top]),
                                   np.column_stack([right, top]), np.column_stack([right, bottom])], axis=1))
            colors += [SOURCE_COLORS[src]] * len(years)
            bottom = top
        bars = PolyCollection(np.concatenate(verts) if verts else [], facecolors=colors, edgecolors="white",
                              linewidths=0.5, closed=True)
        return [self.ax.add_collection(bars, autolim=False)]


class LiveFigure:
    """A figure of live panels, turned into PNG bytes again and again (see the module docstring).

    Args:
        size: figure size in inches.
        panels: the panels, or a function of the :class:`RunView` returning them (a new list when the
            number of panels must change, e.g. one per strategy; the figure is then rebuilt).
        dpi: resolution of the PNG.
        decorate: ``f(figure, axes, view) -> (key, artists)`` for frame parts that belong to no
            single panel (suptitle, a figure legend, a threshold line): the artists it makes are
            removed before it is called again, and its key joins the panels'.
        decoration_key: ``f(view) -> key`` of what ``decorate`` draws from: when given, ``decorate`` is
            called again only when this key changes (a figure legend costs more to build than to keep).
        extra: ``f(axes, view) -> artists`` for layer parts that belong to no single panel (a text box).
        sharey: the panels share their y axis.

    Attributes:
        figure, canvas: the Matplotlib figure and its Agg canvas.
        frames: how many times the frame was rendered (the slow path), for benchmarks.
    """

    def __init__(self, size: tuple[float, float], panels: Sequence[Panel] | Callable[[RunView], Sequence[Panel]], *,
                 dpi: float = 72,
                 decorate: Callable[[Figure, list[Axes], RunView], tuple[Hashable, list[Artist]]] | None = None,
                 decoration_key: Callable[[RunView], Hashable] | None = None,
                 extra: Callable[[list[Axes], RunView], list[Artist]] | None = None, sharey: bool = False) -> None:
        self._panels_spec = panels
        self._decorate, self._decoration_key, self._extra, self._sharey = decorate, decoration_key, extra, sharey
        self._decorated: tuple[Hashable, Hashable] | None = None   # (decoration_key, decorate's key) last drawn
        self.figure = Figure(figsize=size, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.panels: list[Panel] = []
        self.axes: list[Axes] = []
        self.frames = 0
        self._layer: list[Artist | Container] = []
        self._decorations: list[Artist] = []
        self._key: Hashable = None
        self._background: Any = None

    def _build(self, panels: Sequence[Panel]) -> None:
        fig = self.figure
        fig.clear()
        with styled():
            fig.set_layout_engine("constrained")
            self.axes = list(fig.subplots(1, len(panels), squeeze=False, sharey=self._sharey)[0])
        self.panels = list(panels)
        for panel, ax in zip(self.panels, self.axes, strict=True):
            panel.attach(ax)
        self._layer, self._decorations, self._key, self._background, self._decorated = [], [], None, None, None

    def _discard(self, items: list[Artist | Container]) -> None:
        for item in items:
            if isinstance(item, Container):   # its bars are in the list too
                for ax in self.axes:
                    if item in ax.containers:
                        ax.containers.remove(item)
            else:
                try:
                    item.remove()
                except (ValueError, NotImplementedError):   # already gone with its axes
                    pass

    def render(self, view: RunView) -> bytes:
        """Draw ``view`` and return the PNG bytes (only the layer unless the frame changed)."""
        panels = list(self._panels_spec(view) if callable(self._panels_spec) else self._panels_spec)
        if len(panels) != len(self.panels) or any(a is not b for a, b in zip(panels, self.panels, strict=True)):
            self._build(panels)
        self._discard(self._layer)
        self._layer = []
        with styled():
            key = tuple(p.frame(view) for p in self.panels)
            if self._decorate is not None:
                key += (self._decorations_for(view),)
            layer: list[Artist | Container] = []
            for p in self.panels:
                layer += p.layer(view)
            if self._extra is not None:
                layer += self._extra(self.axes, view)
        self._layer = layer
        artists = sorted((a for a in layer if isinstance(a, Artist)), key=lambda a: a.get_zorder())
        for a in artists:
            a.set_animated(True)
        with styled():
            if key != self._key or self._background is None:
                self._draw_frame()
                self._key = key
            else:
                self.canvas.restore_region(self._background)
            for a in artists:
                self.figure.draw_artist(a)
        return png_bytes(self.canvas)

    def _decorations_for(self, view: RunView) -> Hashable:
        """Make the decorations for ``view`` (or keep the ones made for the same decoration key); their key."""
        wanted = self._decoration_key(view) if self._decoration_key is not None else None
        if self._decoration_key is None or self._decorated is None or self._decorated[0] != wanted:
            self._discard(self._decorations)
            made, self._decorations = self._decorate(self.figure, self.axes, view)
            self._decorated = (wanted, made)
        return self._decorated[1]

    def _draw_frame(self) -> None:
        """Lay the figure out for this frame, render it without the layer and keep the pixels."""
        fig = self.figure
        fig.set_layout_engine("constrained")
        self.canvas.draw()          # the layout engine runs, then everything not animated is drawn
        fig.set_layout_engine("none")   # positions stay as laid out: the copy stays valid
        self._background = self.canvas.copy_from_bbox(fig.bbox)
        self.frames += 1

