"""Time what a slider move costs in the notebooks: re-run the model, then redraw numbers and figures.

Usage::

    python benchmarks/bench_widgets.py              # student playground and consultant dashboard
    python benchmarks/bench_widgets.py --moves 20   # more slider moves per case

The widgets are driven exactly as a user's slider would drive them (setting a control's value fires
the same observer as a browser does); the model and the redraw are timed separately by the widgets
themselves (``Explorer.timings``, ``ConsultantDashboard.timings``). Figures printed are medians and
best over the moves, wall-clock and (for the playground) CPU seconds of this process, which other
load on these noisy machines disturbs less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from sim.ui.dashboard import ConsultantDashboard  # noqa: E402
from sim.ui.widgets import Explorer, ParameterPanel  # noqa: E402


def _moves(app, path: str, values: list[float]) -> list[dict[str, float]]:
    """Set ``path`` to each value in turn (each is one slider move) and return the timings."""
    before = len(app.timings)
    for v in values:
        app.panel.set(path, v)
    timings = app.timings[before:]
    if len(timings) != len(values):
        raise RuntimeError(f"{len(values)} slider moves gave {len(timings)} runs: {app.error}")
    return timings


def _report(name: str, timings: list[dict[str, float]]) -> None:
    keys = [k for k in ("model_s", "draw_s", "total_s", "cpu_s") if k in timings[0]]
    parts = []
    for k in keys:
        xs = [t[k] for t in timings]
        parts.append(f"{k[:-2]} {statistics.median(xs):.3f} s (best {min(xs):.3f})")
    print(f"{name:<44} " + ", ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=10, help="slider moves per case (default 10)")
    args = parser.parse_args()
    values = [0.2 + 0.6 * i / max(args.moves - 1, 1) for i in range(args.moves)]
    path = "strategy.0.pressure"   # the first strategy group: the numbers game in every shipped scenario

    print(f"{args.moves} moves of the numbers-game 'pressure' slider; median (best) seconds per move\n")
    for scenario in ("two_cobblers", "baseline"):
        app = Explorer(ParameterPanel(scenario))           # first run (imports, JIT, fonts) not counted
        _report(f"student playground, {scenario}", _moves(app, path, values))
    dash = ConsultantDashboard("two_cobblers")
    _report("consultant dashboard, two_cobblers", _moves(dash, path, values))


if __name__ == "__main__":
    main()
