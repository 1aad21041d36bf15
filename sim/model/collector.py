"""The market's Mesa ``DataCollector``: the per-week model variables, read from the recorder when asked for.

Owns: :class:`WeeklyCollector` and its reporters (``week``, and per strategy the per-seller mean of
cumulative revenue and of referrals received). :meth:`WeeklyCollector.collect` only notes the week
(Mesa's ``_collection_steps``) and how many weeks the recorder holds; ``model_vars`` (and so
``get_model_vars_dataframe()`` and ``mesa.batch_run``) are worked out from the recorder the first
time they are read, by the reporters' own arithmetic, so they are what collecting every week by
calling the reporters would have given, value for value, at no cost per week.

Must not: change the model's state or draw random numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

if TYPE_CHECKING:
    from .market import Market

__all__ = ["WeeklyCollector", "CUMULATIVE"]

CUMULATIVE: dict[str, str] = {"revenue": "revenue", "referrals": "referrals_received"}
"""Reporter prefix -> the recorder's run total it averages over a strategy's sellers."""


class WeeklyCollector(mesa.DataCollector):
    """Mesa's ``DataCollector`` for a :class:`~sim.model.market.Market`, filled lazily from its recorder.

    ``model_reporters`` are the usual callables (each gives the current value); ``model_vars`` holds
    one value per :meth:`collect` call, computed on first read.
    """

    def __init__(self, model: Market) -> None:
        super().__init__()
        self._model = model
        self._groups: dict[str, list[int]] = {}
        for group in model.config.sellers:
            self._groups[group.strategy] = [s.index for s in model.sellers if s.strategy_name == group.strategy]
        self.model_reporters = _reporters(self._groups)
        self._rows: list[int] = []    # weeks the recorder held at each collect
        self._weeks: list[int] = []   # the model's week at each collect
        self._vars: dict[str, list[Any]] = {}
        self._vars_for = -1

    def collect(self, model: Market) -> None:
        """Note this week (its values are read from the recorder when ``model_vars`` is read)."""
        self._collection_steps.append(model.time)
        self._rows.append(model.recorder.weeks_recorded)
        self._weeks.append(model.week)

    @property
    def model_vars(self) -> dict[str, list[Any]]:   # type: ignore[override]
        """One list per reporter, one value per collect (as ``DataCollector.collect`` would have made them)."""
        if self._vars_for != len(self._rows):
            self._vars = self._fill()
            self._vars_for = len(self._rows)
        return self._vars

    @model_vars.setter
    def model_vars(self, value: dict[str, list[Any]]) -> None:
        self._vars = value   # DataCollector.__init__ sets it; the values are always worked out from the recorder

    def _fill(self) -> dict[str, list[Any]]:
        rec = self._model.recorder
        out: dict[str, list[Any]] = {"week": list(self._weeks)}
        for strategy in self._groups:
            for prefix in CUMULATIVE:
                out[f"{prefix}_{strategy}"] = []
        last = max(self._rows, default=0)
        totals = {series: np.zeros(rec.table.shape[2]) for series in CUMULATIVE.values()}
        at: dict[int, list[int]] = {}
        for i, rows in enumerate(self._rows):
            at.setdefault(rows, []).append(i)
        values: dict[int, dict[str, float]] = {}
        for w in range(last + 1):   # the run totals after w weeks, summed week by week as the recorder does
            if w:
                for series, total in totals.items():
                    total += rec.data[series][w - 1]
            if w in at:
                values[w] = {f"{prefix}_{strategy}": float(totals[series][idx].mean())
                             for strategy, idx in self._groups.items() for prefix, series in CUMULATIVE.items()}
        for rows in self._rows:
            for name, value in values[rows].items():
                out[name].append(value)
        return out


def _reporters(groups: dict[str, list[int]]) -> dict[str, Any]:
    reporters: dict[str, Any] = {"week": lambda mdl: mdl.week}
    for strategy, idx in groups.items():
        for prefix, series in CUMULATIVE.items():
            reporters[f"{prefix}_{strategy}"] = (
                lambda mdl, idx=idx, series=series: float(mdl.recorder.cumulative(series)[idx].mean()))
    return reporters
