"""Schema-to-widget controls: one ipywidgets control per config field, its range and help from the schema.

One source of truth: every control takes its type, range and help text from the pydantic models
(:class:`~sim.strategy.Strategy`, :class:`~sim.config.MarketConfig`,
:class:`~sim.config.NetworkConfig`, :class:`~sim.config.Config`). Owns :func:`slider_for`, the
schema readers (:func:`field_bounds`, :func:`field_help`, :func:`field_label`), the practical
slider ranges :data:`UI_RANGES` and the default field lists of a panel.

Must not: lay controls out (that is :mod:`sim.ui.panel`), run the model or draw figures.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args, get_origin

import ipywidgets as W
from pydantic import BaseModel

from ..strategy import STRATEGY_KNOBS

__all__ = [
    "field_bounds", "field_help", "field_label", "slider_for", "widen", "same", "UI_RANGES",
    "DEFAULT_STRATEGY_FIELDS", "DEFAULT_MARKET_FIELDS", "DEFAULT_NETWORK_FIELDS", "DEFAULT_CONFIG_FIELDS",
]

# Practical slider ranges for settings whose schema range is far wider than anyone explores by hand
# (the schema still validates; a scenario value outside the range widens the slider to include it).
UI_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("MarketConfig", "customers"): (10, 20_000),
    ("MarketConfig", "price"): (1, 1_000),
    ("MarketConfig", "purchase_cycle_weeks"): (1, 156),
    ("MarketConfig", "review_prior"): (0, 100),
    ("MarketConfig", "need_patience_weeks"): (1, 52),
    ("Config", "weeks"): (1, 1040),
}

DEFAULT_STRATEGY_FIELDS: tuple[str, ...] = STRATEGY_KNOBS
DEFAULT_MARKET_FIELDS: tuple[str, ...] = (
    "customers", "hours_per_week", "skepticism_mean", "trust_threshold", "recurring_needs", "purchase_cycle_weeks",
    "reviews", "review_readers", "talk_rate", "referral_rate", "failure_rate", "pressure_trust_cost",
)
DEFAULT_NETWORK_FIELDS: tuple[str, ...] = ("kind", "mean_degree")
DEFAULT_CONFIG_FIELDS: tuple[str, ...] = ("weeks",)


def _field(model_cls: type[BaseModel], field: str):
    try:
        return model_cls.model_fields[field]
    except KeyError:
        raise KeyError(f"{model_cls.__name__} has no setting {field!r}; "
                       f"settings: {', '.join(model_cls.model_fields)}") from None


def field_bounds(model_cls: type[BaseModel], field: str) -> tuple[float | None, float | None, bool, bool]:
    """Schema bounds of a numeric field: ``(low, high, low_is_open, high_is_open)``.

    Read from the field's ``ge``/``gt``/``le``/``lt`` constraints (``None`` when unbounded).
    """
    lo = hi = None
    lo_open = hi_open = False
    for m in _field(model_cls, field).metadata:
        if getattr(m, "ge", None) is not None:
            lo, lo_open = m.ge, False
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi, hi_open = m.le, False
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    return lo, hi, lo_open, hi_open


def field_help(model_cls: type[BaseModel], field: str) -> str:
    """The field's description from the schema (its docstring), as shown under each control."""
    return _field(model_cls, field).description or ""


def field_label(field: str) -> str:
    """Short human label of a setting: ``"minutes_per_contact"`` -> ``"minutes per contact"``."""
    return field.replace("_", " ")


def _nice_step(span: float, integer: bool) -> float:
    if span <= 0 or not math.isfinite(span):
        return 1 if integer else 0.01
    step = 10 ** math.floor(math.log10(span / 100))
    if integer:
        return max(1, int(step))
    return step


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def slider_for(model_cls: type[BaseModel], field: str, value: Any = None, *, label: str | None = None,
               ui_range: tuple[float, float] | None = None, continuous_update: bool = False,
               label_width: str = "190px", width: str = "440px") -> W.Widget:
    """An ipywidgets control for one schema field: range, type and help text come from the schema.

    * ``float`` fields become a :class:`~ipywidgets.FloatSlider` over the field's ``ge``/``gt`` ..
      ``le``/``lt`` range (an open bound moves in by one step), with a step of about 1/100 of it;
    * ``int`` fields become an :class:`~ipywidgets.IntSlider`;
    * ``bool`` fields a :class:`~ipywidgets.Checkbox`; ``Literal`` fields a
      :class:`~ipywidgets.Dropdown` of the allowed values.

    The description of the field is the control's tooltip. Settings listed in :data:`UI_RANGES`
    (customers, price, ...) get a narrower practical range, always inside the schema's, widened to
    include ``value``.

    Args:
        model_cls: ``Strategy``, ``MarketConfig``, ``NetworkConfig`` or ``Config``.
        field: the setting's name.
        value: initial value (default: the schema default).
        label: text left of the control (default: the field name with spaces).
        ui_range: a practical ``(low, high)`` that overrides :data:`UI_RANGES`; clipped to the schema.
        continuous_update: re-run while dragging (default: only on release).
        label_width: width of the label column.
        width: total width of the control.
    """
    info = _field(model_cls, field)
    annotation = info.annotation
    value = info.default if value is None else value
    text = label if label is not None else field_label(field)
    help_text = field_help(model_cls, field)
    style = {"description_width": label_width}
    layout = W.Layout(width=width)

    if annotation is bool:
        w: W.Widget = W.Checkbox(value=bool(value), description=text, indent=False, layout=W.Layout(width=width))
    elif get_origin(annotation) is Literal:
        w = W.Dropdown(options=list(get_args(annotation)), value=value, description=text, style=style, layout=layout)
    elif annotation in (int, float):
        integer = annotation is int
        lo, hi, lo_open, hi_open = field_bounds(model_cls, field)
        if lo is None or hi is None:
            raise ValueError(f"{model_cls.__name__}.{field} has no upper/lower bound; give ui_range")
        hint = ui_range or UI_RANGES.get((model_cls.__name__, field))
        a, b = (max(lo, hint[0]), min(hi, hint[1])) if hint else (lo, hi)
        step = _nice_step(b - a, integer)
        if lo_open and a <= lo:
            a = lo + step
        if hi_open and b >= hi:
            b = hi - step
        if value is not None:
            a, b = min(a, value), max(b, value)
        if integer:
            w = W.IntSlider(value=int(value), min=int(a), max=int(b), step=int(step), description=text,
                            continuous_update=continuous_update, style=style, layout=layout)
        else:
            w = W.FloatSlider(value=float(value), min=float(a), max=float(b), step=step, description=text,
                              readout_format=f".{_decimals(step)}f", continuous_update=continuous_update,
                              style=style, layout=layout)
    else:
        raise TypeError(f"{model_cls.__name__}.{field}: no control for type {annotation!r}")
    w.tooltip = help_text
    w.add_class(f"sim-field-{field}")
    return w


def widen(w: W.Widget, value: Any) -> None:
    """Make sure a slider's range includes ``value`` before setting it."""
    if isinstance(w, (W.FloatSlider, W.IntSlider)):
        if value < w.min:
            w.min = value
        if value > w.max:
            w.max = value


def same(a: Any, b: Any) -> bool:
    """Whether two control values are equal (floats within rounding)."""
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b

