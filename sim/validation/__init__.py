"""Validation of the model against the essays' figures and closed-form limiting cases.

``validation.checks`` runs the checks and returns plain results (one :class:`~validation.checks.CheckResult`
per check); ``validation.report`` turns them into ``docs/VALIDATION.md`` and
``docs/figures/validation_*.png`` (``make validate``). ``tests/test_validation.py`` runs the cheaper
checks in the test suite and compares their text with the committed report.
"""

from .checks import CHECKS, CheckResult, Pool

__all__ = ["CHECKS", "CheckResult", "Pool"]
