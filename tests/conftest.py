"""Shared fixtures and test-selection rules for the whole suite.

* ``small_config``: the baseline scenario cut down to 60 weeks and 300 customers, fast enough for
  unit tests that need a real model.
* ``tmp_results``: an empty per-test directory for result files.
* Tests marked ``browser`` need headless Chromium at ``/usr/bin/chromium``. Locally they are
  skipped when it is missing; when the ``CI`` environment variable is set they always run (and
  fail loudly if Chromium is absent), so CI can never pass by silently skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sim

CHROMIUM = Path("/usr/bin/chromium")


def running_in_ci() -> bool:
    """True when the ``CI`` environment variable is set to anything but an explicit false value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say in the header whether browser tests can run and whether this is CI."""
    chromium = str(CHROMIUM) if CHROMIUM.exists() else "missing"
    return [f"sim: CI={running_in_ci()}  chromium={chromium}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``browser`` tests when Chromium is missing, except in CI where they must run."""
    if CHROMIUM.exists() or running_in_ci():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found (install Debian package 'chromium'); runs in CI")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Path of the Chromium executable used by browser tests."""
    return CHROMIUM


@pytest.fixture(scope="session")
def small_config() -> sim.Config:
    """Baseline scenario with 60 weeks and 300 customers (configs are frozen, so sharing is safe)."""
    return sim.load_scenario("baseline", weeks=60, updates={"market.customers": 300})


@pytest.fixture
def tmp_results(tmp_path: Path) -> Path:
    """An empty directory for one test's result files."""
    out = tmp_path / "results"
    out.mkdir()
    return out
