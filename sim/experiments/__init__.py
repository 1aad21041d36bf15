"""Experiments on the model: parameter sweeps (spec, design, runs to Parquet) and their analysis.

Layered on :mod:`sim.model` (and :mod:`sim.config`, :mod:`sim.strategy`); used by
:mod:`sim.validation`, :mod:`sim.plots.sweeps` and the command line. Nothing here imports the
presentation layer (plots, ui). Modules, in the order a sweep uses them:

* :mod:`~sim.experiments.spec` — the sweep file: schema and :func:`load_sweep`;
* :mod:`~sim.experiments.plan` — :func:`plan_sweep`: names checked against the base scenario;
* :mod:`~sim.experiments.design` — design points: grid, Latin hypercube, Sobol;
* :mod:`~sim.experiments.bounds` — sizes refused before any work: points, runs, memory;
* :mod:`~sim.experiments.outcomes` — :data:`ADVANTAGE` and the per-run outcome row;
* :mod:`~sim.experiments.summary` — a finished run's summary from the model's arrays (no pandas);
* :mod:`~sim.experiments.batch` — what a worker runs; :func:`sweep_function`;
* :mod:`~sim.experiments.executors` — in process, local processes, Dask;
* :mod:`~sim.experiments.parts` — part files: atomic writes, checks, quarantine, merging;
* :mod:`~sim.experiments.store` — the results folder (heals on resume); :func:`load_runs`, :func:`load_series`;
* :mod:`~sim.experiments.runner` — :func:`run_sweep`;
* :mod:`~sim.experiments.analysis` — :func:`analyze`: intervals, winners, importance, Sobol indices;
* :mod:`~sim.experiments.cli` — the ``sweep`` and ``analyze`` subcommands.

Typical use::

    from sim.experiments import analyze, load_runs, load_sweep, plan_sweep, run_sweep
    plan = plan_sweep(*load_sweep("smoke"))
    report = run_sweep(plan, "results/sweeps/smoke", workers=2)
    runs = load_runs("results/sweeps/smoke")
"""

from .analysis import AnalysisResult, analyze, format_report, importance_table, point_table, sobol_table
from .batch import RunContext, RunItem, run_batch, sweep_function
from .design import FactorInfo
from .executors import default_workers, make_executor
from .outcomes import ADVANTAGE, LABEL_OUTCOMES, known_outcomes, log_revenue_advantage
from .plan import SweepPlan, plan_sweep
from .runner import SweepReport, run_sweep
from .spec import SWEEP_DIR, Design, Factor, SweepSpec, load_sweep
from .store import RunStore, SweepLockedError, load_runs, load_series

__all__ = [
    "Factor", "Design", "SweepSpec", "SWEEP_DIR", "load_sweep",
    "FactorInfo", "SweepPlan", "plan_sweep",
    "ADVANTAGE", "LABEL_OUTCOMES", "known_outcomes", "log_revenue_advantage",
    "RunContext", "RunItem", "run_batch", "sweep_function",
    "default_workers", "make_executor",
    "RunStore", "SweepLockedError", "load_runs", "load_series",
    "SweepReport", "run_sweep",
    "AnalysisResult", "analyze", "format_report", "point_table", "importance_table", "sobol_table",
]
