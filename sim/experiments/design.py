"""Design points: a swept parameter's values, and the grid, Latin hypercube and Sobol tables.

Owns: :class:`FactorInfo` (a factor after checking against the base scenario: its config path,
type, grid levels and the map from uniform numbers onto its range or values),
:func:`design_size` (the number of points, computed without building them, so that a design too
large is refused before it takes any memory) and :func:`design_table`, one row per design point.

Must not: resolve names or check values against the model (:mod:`sim.experiments.plan` does
that and hands over finished :class:`FactorInfo` objects), or run anything. The table depends on
the factors, the design and the seed only, so the same sweep file always gives the same points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .spec import Design, Factor

__all__ = ["FactorInfo", "design_size", "design_table"]

_DTYPES = {"float": "float64", "int": "int64", "bool": "bool"}


@dataclass(frozen=True)
class FactorInfo:
    """A swept parameter after checking it against the base scenario.

    Attributes:
        name: the name in the sweep file and the column name in the results.
        section: ``"levers"`` or ``"uncertainties"``.
        path: the dotted config path set for each run (knobs of preset groups point at the
            group's private copy, see :func:`plan_sweep`).
        kind: ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``.
        spec: the factor as given.
        choices: allowed values of a ``choice`` setting.
    """

    name: str
    section: str
    path: str
    kind: str
    spec: Factor
    choices: tuple[Any, ...] = ()

    @property
    def numeric_range(self) -> bool:
        """A numeric ``{low, high}`` range (what Sobol designs need)."""
        return self.spec.is_range and self.kind in ("float", "int")

    def cast(self, value: Any) -> Any:
        """Python value of the column's type."""
        if self.kind == "float":
            return float(value)
        if self.kind == "int":
            return int(round(float(value)))
        if self.kind == "bool":
            return bool(value)
        return value

    def levels(self, default: int) -> list[Any]:
        """Grid values: the list given, or ``levels`` points spread evenly over the range."""
        if not self.spec.is_range:
            return [self.cast(v) for v in self.spec.values or ()]
        n = self.spec.levels or default
        raw = np.linspace(self.spec.low, self.spec.high, n)
        return list(dict.fromkeys(self.cast(v) for v in raw))

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map uniform [0, 1) numbers onto the factor (ranges; values by equal-width bins)."""
        if self.spec.is_range:
            low, high = float(self.spec.low), float(self.spec.high)
            if self.kind == "int":
                lo, hi = math.ceil(low), math.floor(high)
                return [int(min(hi, lo + math.floor(x * (hi - lo + 1)))) for x in u]
            return [float(low + x * (high - low)) for x in u]
        values = self.spec.values or ()
        return [self.cast(values[min(len(values) - 1, int(x * len(values)))]) for x in u]


def design_size(factors: list[FactorInfo], d: Design) -> int:
    """Number of design points, computed from the sizes alone (a grid is never built to count it)."""
    if d.kind == "grid":
        return math.prod(len(f.levels(d.levels or 3)) for f in factors)
    n = d.samples or 1
    if d.kind == "lhs":
        return n
    k = len(factors)
    return n * (2 * k + 2 if d.second_order else k + 2)


def _grid_columns(factors: list[FactorInfo], default_levels: int) -> dict[str, np.ndarray]:
    """Every combination of the factors' levels, the last factor varying fastest (as itertools.product)."""
    levels = [f.levels(default_levels) for f in factors]
    n = math.prod(len(v) for v in levels)
    index = np.arange(n, dtype=np.int64)
    columns, stride = {}, n
    for f, values in zip(factors, levels, strict=True):
        stride //= len(values)
        column = np.empty(len(values), dtype=_DTYPES.get(f.kind, "object"))
        column[:] = values
        columns[f.name] = column[(index // stride) % len(values)]
    return columns


def design_table(factors: list[FactorInfo], d: Design, sweep_seed: int) -> Any:
    """One row per design point: ``point`` (0, 1, ...) and one column per factor, of the factor's type.

    Args:
        factors: swept parameters, in column order.
        d: the design of the sweep file.
        sweep_seed: the sweep's seed; the sampler uses ``d.seed`` if given, else this one (mod 2**32).
    """
    import pandas as pd

    seed = d.seed if d.seed is not None else sweep_seed % 2**32
    names = [f.name for f in factors]
    if d.kind == "grid":
        table = pd.DataFrame(_grid_columns(factors, d.levels or 3), columns=names)
    elif d.kind == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(factors), rng=np.random.default_rng(seed)).random(d.samples or 1)
        cols = [f.from_unit(u[:, i]) for i, f in enumerate(factors)]
        table = pd.DataFrame(list(zip(*cols, strict=True)), columns=names)
    else:
        from SALib.sample import sobol as sobol_sample

        problem = {"num_vars": len(factors), "names": names,
                   "bounds": [[float(f.spec.low), float(f.spec.high)] for f in factors]}
        x = sobol_sample.sample(problem, d.samples, calc_second_order=d.second_order, seed=seed)
        rows = [tuple(f.cast(v) for f, v in zip(factors, r, strict=True)) for r in x]
        table = pd.DataFrame(rows, columns=names)
    for f in factors:
        table[f.name] = table[f.name].astype(_DTYPES.get(f.kind, "object"))
    table.insert(0, "point", np.arange(len(table), dtype=np.int64))
    return table
