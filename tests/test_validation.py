"""Validation checks in the test suite (docs/VALIDATION.md; MODEL.md, "Validity checks").

The essay-figure, Bass, lifetime-value and identical-strategy checks and the default-market
section run here at the sizes ``make validate`` uses, so their report sections can be regenerated
and compared with the committed ``docs/VALIDATION.md``; the regime check runs on ``baseline`` and
``one_off`` only (the full-size ``large_anonymous`` and the Sobol analysis run only in
``make validate``). The funnel itself is asserted in ``tests/test_calibration.py``; here it only
feeds the report. About a minute and a half
on two cores.
"""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

from sim.experiments.executors import InProcessExecutor, default_workers  # noqa: E402
from sim.validation import checks, report  # noqa: E402

pytestmark = pytest.mark.validation

REGENERATE = "docs/VALIDATION.md is out of date with the code: run `make validate` and commit the result"


@pytest.fixture(scope="module")
def pool():
    with checks.Pool(min(2, default_workers())) as p:
        yield p


@pytest.fixture(scope="module")
def essay(pool) -> checks.CheckResult:
    return checks.check_essay(pool)


@pytest.fixture(scope="module")
def bass(pool) -> checks.CheckResult:
    return checks.check_bass(pool)


@pytest.fixture(scope="module")
def ltv(pool) -> checks.CheckResult:
    return checks.check_lifetime_value(pool)


@pytest.fixture(scope="module")
def identical(pool) -> checks.CheckResult:
    return checks.check_identical(pool)


@pytest.fixture(scope="module")
def market(pool) -> checks.CheckResult:
    return checks.check_market(pool)


@pytest.fixture(scope="module")
def regimes(pool) -> checks.CheckResult:
    return checks.check_regimes(pool, scenarios=["baseline", "one_off"], size_replicates=0)


def _failed(res: checks.CheckResult, prefix: str = "") -> list[str]:
    return [f"{r.item}: {r.measured} (target {r.target})" for r in res.rows
            if r.item.startswith(prefix) and r.passed is False]


# ---------------------------------------------------------------- closed forms (no simulation)
def test_discrete_bass_approaches_continuous_solution() -> None:
    p, q, m = 0.03 / 520, 0.38 / 520, 1.0   # ten steps per week: the recursion tends to the ODE
    weeks = 5200
    cum = np.cumsum(checks.bass_discrete(p, q, m, weeks))
    cont = checks.bass_continuous(p, q, np.arange(1, weeks + 1, dtype=float))
    assert np.max(np.abs(cum - cont)) < 5e-3


def test_fit_bass_recovers_exact_recursion() -> None:
    p, q, m = 0.0006, 0.007, 10_000.0
    fit = checks.fit_bass(checks.bass_discrete(p, q, m, 800), m)
    assert fit["p_discrete"] == pytest.approx(p, rel=1e-6)
    assert fit["q_discrete"] == pytest.approx(q, rel=1e-6)


def test_lifetime_value_formulas() -> None:
    exp = checks.expected_lifetime_value(100.0, 0.8, 8.0, 5000)
    assert exp["untruncated"] == pytest.approx(500.0)
    assert exp["truncated"] == pytest.approx(500.0, rel=1e-9)
    short = checks.expected_lifetime_value(100.0, 0.8, 8.0, 1)   # only the first purchase fits
    assert short["truncated"] == pytest.approx(100.0)
    assert checks.discounted_lifetime_value(100.0, 0.8, 8.0, 0.0) == pytest.approx(500.0)
    assert checks.discounted_lifetime_value(100.0, 0.8, 8.0, 0.05) < 500.0


# ---------------------------------------------------------------- 1. essay figures
def test_review_readers_share(essay) -> None:
    assert not _failed(essay, "Customers who read reviews")


def test_reviews_keep_more_customers(essay) -> None:
    """A seller with reviews keeps more customers than without [002]; direction asserted, size reported."""
    kept = essay.data["reviews"]["baseline (2 + 2 sellers)"][("relationship", "customers_retained_final")]["rel"]
    assert kept.n >= 20
    assert kept.low > 0, kept


def test_first_year_funnel_feeds_report(essay) -> None:
    """The report's funnel (asserted in test_calibration) is within the essay's tolerance too."""
    assert not _failed(essay, "Funnel")


# ---------------------------------------------------------------- 2. Bass limit
def test_bass_limit_recovers_p_and_q(bass) -> None:
    assert not _failed(bass), _failed(bass)
    assert bass.data["estimates"]["p_discrete"].n >= 10


def test_bass_limit_has_no_other_channel(bass) -> None:
    assert bass.data["other_channels"] < 1e-3


# ---------------------------------------------------------------- 3. lifetime value
def test_lifetime_value_limit_cohort(ltv) -> None:
    assert not _failed(ltv, "Lifetime value, r ="), _failed(ltv, "Lifetime value, r =")
    assert all(t["ratio"].n >= 20 for t in ltv.data["table"])


def test_lifetime_value_limit_gradual_entry(ltv) -> None:
    assert ltv.data["gradual"]
    assert not _failed(ltv, "Lifetime value, gradual"), _failed(ltv, "Lifetime value, gradual")


# ---------------------------------------------------------------- 4. both regimes
def test_both_regimes(regimes) -> None:
    """one_off: the numbers game wins; baseline: relationship wins; each interval excludes a tie."""
    sc = regimes.data["scenarios"]
    assert sc["one_off"]["winner"] == "numbers_game", sc["one_off"]["ratio"]
    assert sc["baseline"]["winner"] == "relationship", sc["baseline"]["ratio"]
    for st in sc.values():
        assert st["replicates"] >= 20
        assert st["ratio"].excludes(1.0)
        assert st["mechanism"]
    assert regimes.passed


# ---------------------------------------------------------------- 5. identical strategies
def test_identical_strategies_earn_the_same(identical) -> None:
    assert not _failed(identical), _failed(identical)
    assert all(x["log_ratio"].n >= 20 for x in identical.data["pairs"].values())


# ---------------------------------------------------------------- the sensitivity analysis (tiny design)
def test_sobol_pipeline_smoke(pool) -> None:
    res = checks.check_sobol(pool, base_samples=2, noise_points=2, noise_replicates=2, weeks=26)
    assert len(res.data["table"]) == len(checks.SOBOL_FACTORS)
    assert res.data["runs"] == 2 * (len(checks.SOBOL_FACTORS) + 2) + 4
    assert all(math.isfinite(r["ST"]) for r in res.data["table"])
    text = report.render_section(res)
    assert text.startswith("<!-- section: sobol -->") and "## 6." in text


# ---------------------------------------------------------------- determinism and the committed report
def test_same_numbers_whatever_the_workers(pool) -> None:
    """Same seeds, same results in one process or two."""
    serial = checks.check_bass(None, replicates=2, customers=2000)
    parallel = checks.check_bass(pool, replicates=2, customers=2000)
    assert report.render_section(serial) == report.render_section(parallel)
    assert np.array_equal(serial.data["first_mean"], parallel.data["first_mean"])


@pytest.mark.parametrize("key", ["essay", "bass", "ltv", "identical", "market"])
def test_committed_report_matches_code(key, request) -> None:
    """The cheap sections of docs/VALIDATION.md regenerate byte for byte from the code."""
    res = request.getfixturevalue(key)
    committed = report.section_text(report.DOCS.read_text(encoding="utf-8"), key)
    assert committed is not None, f"section {key!r} missing; {REGENERATE}"
    assert report.render_section(res) == committed, REGENERATE


def test_report_and_figures_are_deterministic(bass, ltv, tmp_path: Path) -> None:
    results = {"bass": bass, "ltv": ltv}
    assert report.render_report(results) == report.render_report(results)
    for res in results.values():
        first = [p.read_bytes() for p in report.draw_figures(res, tmp_path / "a")]
        second = [p.read_bytes() for p in report.draw_figures(res, tmp_path / "b")]
        assert first == second
        assert all(b"Software" not in data for data in first)   # no version tag in the PNG metadata


# ---------------------------------------------------------------- the package itself
VALIDATION_DIR = ROOT / "sim" / "validation"


@pytest.mark.parametrize("path", sorted(VALIDATION_DIR.glob("*.py")), ids=lambda p: p.name)
def test_modules_say_what_they_own_and_start_no_pool(path: Path) -> None:
    """Each module has a docstring; none starts processes itself (the experiment layer's executors do)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name}: no module docstring"
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                 for a in n.names}
    assert not {m for m in imported if m.startswith(("multiprocessing", "concurrent.futures"))}, path.name


def test_pool_runs_on_a_given_executor() -> None:
    """A pool on an executor of the experiment layer: same results, in task order; the caller closes it."""
    with InProcessExecutor() as ex:
        pool = checks.Pool(executor=ex)
        assert pool.map(abs, [-3, 2, -1]) == [3, 2, 1]
        pool.close()   # does not close an executor it did not make
        assert pool.map(abs, [-5, 4]) == [5, 4]


def test_python_m_sim_validation_help() -> None:
    """``python -m sim.validation`` is the report's command line."""
    out = subprocess.run([sys.executable, "-m", "sim.validation", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--workers" in out and "--strict" in out
