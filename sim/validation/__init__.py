"""Validation of the model against the essays' figures and closed-form limiting cases.

A client of the experiment layer: runs go through :mod:`sim.experiments.executors` (via
:class:`Pool`), and the Sobol check's outcome is the sweeps' own log revenue advantage. Layout:

* :mod:`~sim.validation.results`: what a check returns (:class:`CheckResult`, rows, intervals);
* :mod:`~sim.validation.runs`: validation configs, seeds, :class:`Pool` and the worker tasks;
* the checks, one module per family: :mod:`~sim.validation.essay`, :mod:`~sim.validation.limits`,
  :mod:`~sim.validation.regimes`, :mod:`~sim.validation.identical`, :mod:`~sim.validation.sobol`,
  :mod:`~sim.validation.evidence` (calibration and attribution, read from the shipped files of
  :mod:`sim.calibration`), gathered in :data:`CHECKS` by :mod:`~sim.validation.checks`;
* the report: :mod:`~sim.validation.markdown`, :mod:`~sim.validation.sections`,
  :mod:`~sim.validation.sections_drivers` (text), :mod:`~sim.validation.figures` (PNG) and
  :mod:`~sim.validation.report`, which writes ``docs/VALIDATION.md`` and
  ``docs/figures/validation_*.png`` (``python -m sim.validation``, ``make validate``).

``tests/test_validation.py`` runs the cheaper checks in the test suite and compares their text with
the committed report. Importing this package does not import matplotlib (only the report does).

Must not be imported by the model or the experiment layer (validation sits on top of both).
"""

from .checks import CHECKS
from .results import CheckResult, Row, Stat, interval
from .runs import SEEDS, Pool, load

__all__ = ["CHECKS", "CheckResult", "Row", "Stat", "Pool", "SEEDS", "interval", "load"]
