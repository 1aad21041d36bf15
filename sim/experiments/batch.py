"""The runs themselves: what a worker executes, and a sweep as a model-as-function.

Owns: :class:`RunContext` (what every task carries besides its runs), :class:`RunItem` (one run:
indices, seed, factor values and the config updates they mean), :func:`run_batch` (the function
executors ship to workers) and :func:`sweep_function` (``f(seed=None, **factors) -> outcomes``
under the sweep file's names, for EMA Workbench, SALib or a notebook).

Must not: touch the disk, know which executor runs it, or raise for one failing run (the error
text comes back instead, and the run is retried on resume). Everything here is picklable and
depends only on its arguments, so a run gives the same row in any process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config, ConfigError
from .outcomes import ADVANTAGE, outcome_row, series_table
from .plan import SweepPlan, plan_sweep
from .spec import load_sweep
from .summary import array_summary

__all__ = ["RunContext", "RunItem", "run_batch", "sweep_function"]


@dataclass(frozen=True)
class RunContext:
    """What a worker needs besides the run list (sent with every task; a few kB)."""

    base: Config
    outcomes: tuple[str, ...]
    aliases: dict[str, str]
    incumbent: str
    challenger: str
    keep_series: bool


@dataclass(frozen=True)
class RunItem:
    """One run: indices, seed, factor values (columns) and the config updates they mean."""

    run: int
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    updates: dict[str, Any]


def run_batch(ctx: RunContext, items: list[RunItem]) -> list[tuple[int, dict[str, Any] | None, Any, str | None]]:
    """Run a batch of runs (in whatever process); never raises for a failing run.

    Each run is :func:`sim.run`'s (the same model, seeded the same way); its outcomes come from the
    model's weekly arrays (:func:`~sim.experiments.summary.array_summary`, the same numbers as
    ``sim.run(...).summary`` without building the weekly table), which is built only for
    ``keep_series``.

    Returns:
        Per run ``(run, row, series, error)``: the results row (indices, seed, parameters,
        outcomes) and, with ``keep_series``, the weekly table; or ``error`` text if the run failed.
    """
    from ..model.market import Market

    out: list[tuple[int, dict[str, Any] | None, Any, str | None]] = []
    for item in items:
        try:
            cfg = ctx.base.with_updates(item.updates) if item.updates else ctx.base
            model = Market(cfg, rng=item.seed)
            model.run()
            summary = array_summary(model)
            summary["seed"] = model._seed
            row = {"run": item.run, "point": item.point, "replicate": item.replicate, "seed": item.seed,
                   **item.params,
                   **outcome_row(summary, ctx.outcomes, ctx.aliases, ctx.incumbent, ctx.challenger)}
            series = None
            if ctx.keep_series:
                series = series_table(model.recorder.frame(model), item.run, item.point, item.replicate,
                                      ctx.aliases)
            out.append((item.run, row, series, None))
        except Exception as err:  # one failing run must not take the others down; it is retried on resume
            out.append((item.run, None, None, f"{err.__class__.__name__}: {' '.join(str(err).split())}"))
    return out


def sweep_function(sweep: str | Path | SweepPlan,
                   outcomes: Sequence[str] | None = None) -> Callable[..., dict[str, Any]]:
    """Model-as-function with a sweep's names: ``f(seed=None, **factor_values) -> {outcome: value}``.

    Parameter names are the sweep file's factor names (``relationship.pressure``,
    ``market.skepticism_mean``); factors not given keep the base value of the sweep (its scenario
    with ``set:`` applied). Outcomes default to the sweep's outcomes, :data:`ADVANTAGE` included.
    EMA Workbench and SALib can call it directly.

    Args:
        sweep: a sweep file (path or shipped name) or a :class:`SweepPlan`.
        outcomes: outcome names to return (default: the sweep's).
    """
    plan = sweep if isinstance(sweep, SweepPlan) else plan_sweep(*load_sweep(sweep))
    paths = {f.name: f for f in plan.factors}
    keep = tuple(dict.fromkeys((ADVANTAGE, *(outcomes or plan.outcomes))))
    ctx = RunContext(plan.base, keep, plan.aliases, plan.incumbent, plan.challenger, False)

    def f(seed: int | None = None, **params: Any) -> dict[str, Any]:
        unknown = [k for k in params if k not in paths]
        if unknown:
            raise ConfigError(f"{unknown[0]}: not a factor of sweep {plan.spec.name!r}; factors: {', '.join(paths)}")
        clean = {k: paths[k].cast(v) for k, v in params.items()}
        item = RunItem(-1, -1, 0, plan.spec.seed if seed is None else int(seed), clean,
                       {paths[k].path: v for k, v in clean.items()})
        [(_, row, _, error)] = run_batch(ctx, [item])
        if error is not None or row is None:
            raise RuntimeError(error or "run failed")
        return {k: row[k] for k in keep}

    return f

