"""Calibration: the evidence the model must meet, the markets consistent with it, and why a strategy wins there.

Layered on :mod:`sim.model` and :mod:`sim.experiments` (its executors and the log revenue
advantage); a client of both, like :mod:`sim.validation`. Nothing below imports it. It computes numbers
only: every sentence about them is :mod:`sim.narrate.evidence`'s. Modules:

* :mod:`~sim.calibration.targets` — published figures and their measures (``targets.yaml``);
* :mod:`~sim.calibration.priors` — plausible ranges of the free constants (``priors.yaml``);
* :mod:`~sim.calibration.jobs` — resumable batches of seeded runs on the sweep executors;
* :mod:`~sim.calibration.markets` — parameter sets into scenarios, switches, worker tasks;
* :mod:`~sim.calibration.matching` — history matching: :func:`calibrate`;
* :mod:`~sim.calibration.ensemble` — the accepted ensemble and the headline over it;
* :mod:`~sim.calibration.attribution` — Shapley attribution to mechanism groups: :func:`explain`;
* :mod:`~sim.calibration.headlines` — the shipped measurements of every shipped scenario
  (``make headlines``) and :func:`evidence_for`, what the surfaces show of them;
* :mod:`~sim.calibration.figures` — the figures (in :mod:`sim.plots.style`);
* :mod:`~sim.calibration.cli` — ``python -m sim calibrate | ensemble | explain``.

Typical use::

    from sim.calibration import calibrate, load_ensemble, run_ensemble, explain
    cal = calibrate("results/calibration", workers=2)
    summary = run_ensemble(sim.load_scenario("baseline"), load_ensemble(), "results/ensemble/baseline")
    attr = explain(sim.load_scenario("baseline"), "results/explain/baseline", replicates=3, workers=2)
"""

from typing import Any

_PUBLIC = {
    "MEASURES": "targets", "Target": "targets", "TargetFile": "targets", "load_targets": "targets",
    "PriorFile": "priors", "load_priors": "priors", "uncovered_fields": "priors",
    "Settings": "matching", "Calibration": "matching", "calibrate": "matching",
    "EnsembleFile": "ensemble", "load_ensemble": "ensemble", "run_ensemble": "ensemble",
    "ensemble_headline": "ensemble",
    "Mechanism": "attribution", "MECHANISMS": "attribution", "shapley": "attribution", "explain": "attribution",
    "HEADLINES_FILE": "headlines", "load_headlines": "headlines", "generate_headlines": "headlines",
    "evidence_for": "headlines",
}
"""Public name -> module; imported on first use, so ``python -m sim calibrate --help`` loads nothing heavy."""

__all__ = list(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'sim.calibration' has no attribute {name!r}")
