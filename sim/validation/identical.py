"""Check 5, no hidden thumb on the scale: two sellers with copies of one preset earn the same.

Owns :func:`check_identical` (paired replicates of ``configs/validation/identical_*.yaml``,
log revenue ratio, equivalence margin :data:`IDENTICAL_MARGIN`). The pass rule is equivalence
(the 95% interval lies within the margin), not "the interval includes 0": an unbiased model's
interval excludes 0 in one run of the check in twenty by construction, so that rule would fail
a fair model at random; the paired t-test's p-value is reported beside it.

Must not format report text or draw figures, nor start processes (runs go through a
:class:`~.runs.Pool`).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .results import CheckResult, Row, interval
from .runs import Pool, ensure_pool, load, replicate_seeds, summary_task

__all__ = ["check_identical", "IDENTICAL_MARGIN", "IDENTICAL_REPLICATES"]


IDENTICAL_MARGIN = 0.05
"""Largest position effect the check tolerates: about ±5% of revenue."""

IDENTICAL_REPLICATES = 100
"""Paired replicates: the interval's half-width is then about 0.01, well inside the margin."""


def check_identical(pool: Pool | None = None, replicates: int = IDENTICAL_REPLICATES) -> CheckResult:
    """No hidden thumb on the scale: two sellers with copies of the same preset earn the same."""
    pool = ensure_pool(pool)
    rows, data = [], {"replicates": replicates, "pairs": {}}
    for preset in ("relationship", "numbers_game"):
        cfg = load(f"identical_{preset}")
        summaries = pool.map(summary_task, [(cfg, s) for s in replicate_seeds("identical", replicates)])
        a = np.array([s["strategies"]["a"]["revenue_total"] for s in summaries])
        b = np.array([s["strategies"]["b"]["revenue_total"] for s in summaries])
        d = np.log(b / a)
        st = interval(d)
        p_value = float(stats.ttest_1samp(d, 0.0).pvalue)
        ok = -IDENTICAL_MARGIN <= st.low and st.high <= IDENTICAL_MARGIN
        rows.append(Row(f"Two identical {preset.replace('_', '-')} sellers: log(revenue b / revenue a)",
                        f"interval within ± {IDENTICAL_MARGIN:.2f} (equivalence)",
                        f"{st.fmt(3, signed=True)}, paired t-test p = {p_value:.2f}", ok))
        data["pairs"][preset] = {"a": a, "b": b, "log_ratio": st, "p_value": p_value,
                                 "revenue_a": interval(a), "revenue_b": interval(b)}
    return CheckResult("identical", "No hidden thumb on the scale", rows, data)
