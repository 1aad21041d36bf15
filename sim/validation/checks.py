"""The validation checks (MODEL.md, "Validity checks"), by key in report order: :data:`CHECKS`.

Every check is a function ``check_<key>(pool=None, **size)`` returning a
:class:`~sim.validation.results.CheckResult`: rows for the results table (item, target, measured
with its 95% interval, pass/fail) and ``data`` with everything the report and its figures need.
Defaults are the sizes ``make validate`` uses; the test suite calls the cheap checks with the same
defaults and the expensive ones with smaller sizes. One module per family:

* :mod:`~sim.validation.essay`: the essays' figures (funnel, review readers, reviews and loyalty);
* :mod:`~sim.validation.limits`: closed-form limits (Bass diffusion, lifetime value);
* :mod:`~sim.validation.regimes`: both regimes (who wins each shipped scenario, and why);
* :mod:`~sim.validation.identical`: identical sellers earn the same;
* :mod:`~sim.validation.sobol`: what drives the result (Sobol indices);
* :mod:`~sim.validation.evidence`: the calibration and each scenario's attribution (read from the
  shipped files, no runs);
* :mod:`~sim.validation.market`: a credible default market (reported, info rows only).

Seeds (:data:`SEEDS`), configs and the worker pool live in :mod:`~sim.validation.runs`; results
and intervals in :mod:`~sim.validation.results`. This module only gathers them, so
``from sim.validation.checks import ...`` finds every public name of the checks.

Must not define checks, format text or draw figures.
"""

from __future__ import annotations

from collections.abc import Callable

from .essay import FUNNEL_TARGETS, FUNNEL_TOLERANCE, check_essay
from .evidence import check_attribution, check_calibration
from .identical import IDENTICAL_MARGIN, check_identical
from .limits import (
    BASS_TOLERANCE,
    LTV_REPEATS,
    LTV_TOLERANCE,
    bass_continuous,
    bass_discrete,
    check_bass,
    check_lifetime_value,
    discounted_lifetime_value,
    expected_lifetime_value,
    fit_bass,
)
from .market import MARKET_REPLICATES, MARKET_SCENARIOS, check_market, market_figures
from .regimes import LARGE_SIZES, check_regimes, mechanism
from .results import CheckResult, Row, Stat, interval
from .runs import CONFIG_DIR, SEEDS, Pool, load
from .sobol import SOBOL_FACTORS, Factor, check_sobol

__all__ = [
    "CHECKS", "CONFIG_DIR", "SEEDS", "CheckResult", "Row", "Stat", "Pool", "load", "interval",
    "check_essay", "check_bass", "check_lifetime_value", "check_regimes", "check_identical", "check_sobol",
    "check_calibration", "check_attribution", "check_market", "market_figures", "MARKET_SCENARIOS",
    "MARKET_REPLICATES",
    "bass_discrete", "bass_continuous", "fit_bass", "expected_lifetime_value", "discounted_lifetime_value",
    "mechanism", "Factor", "SOBOL_FACTORS", "FUNNEL_TARGETS", "FUNNEL_TOLERANCE", "BASS_TOLERANCE",
    "LTV_TOLERANCE", "LTV_REPEATS", "LARGE_SIZES", "IDENTICAL_MARGIN",
]

CHECKS: dict[str, Callable[..., CheckResult]] = {
    "essay": check_essay, "bass": check_bass, "ltv": check_lifetime_value, "regimes": check_regimes,
    "identical": check_identical, "sobol": check_sobol, "calibration": check_calibration,
    "attribution": check_attribution, "market": check_market,
}
"""Every check by key, in report order."""
