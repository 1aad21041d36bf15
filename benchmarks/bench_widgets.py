"""Time what a slider move costs in the notebooks: re-run the model, then redraw numbers and figures.

Usage::

    python benchmarks/bench_widgets.py              # student playground and consultant dashboard
    python benchmarks/bench_widgets.py --moves 20   # more slider moves per case
    python benchmarks/bench_widgets.py --profile    # also: where a playground re-run spends its time

The widgets are driven exactly as a user's slider would drive them (setting a control's value fires
the same observer as a browser does); the model and the redraw are timed separately by the widgets
themselves (``Explorer.timings``, ``ConsultantDashboard.timings``). Figures printed are medians and
best over the moves, wall-clock and (for the playground) CPU seconds of this process, which other
load on these noisy machines disturbs less.

The redraw is the live figures' (:mod:`sim.plots.live`: the frame kept, only the data redrawn); the
figures drawn the way they were before issue 12 ("Speed where people wait": every figure built and
rendered from scratch) are timed on the same runs, so the ratio of the two is printed. The
dashboard is timed both ways it runs: in this process (as from plain Python), and as in a live
kernel (JupyterLab, Voila), with replicate 0 in this process and the others in worker processes:
``preview`` is the time from the move to the first figures (``preview_cpu``: this process's CPU
seconds for them, what a quiet machine would wait), ``total`` to the whole set of replicates with
their intervals.

Before issue 12 (this machine, quiet): a slider move took 0.39 s in the playground and 0.81 s in the
dashboard (one run; 0.62 s of it Matplotlib redrawing three large figures); with the dashboard's
default of 10 replicates, about 3.5 s of model and 1.3 s of figures. Targets: model re-run <= 0.05 s
at baseline size, redraw <= 0.15 s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from sim.ui import ConsultantDashboard, Explorer, ParameterPanel  # noqa: E402
from sim.ui.figures import figure_to_png, live_figure, revenue_figure, sources_figure, why_figure  # noqa: E402

MODEL_TARGET_S = 0.05
DRAW_TARGET_S = 0.15


def _moves(app, path: str, values: list[float], wait: bool = False) -> list[dict[str, float]]:
    """Set ``path`` to each value in turn (each is one slider move) and return the timings."""
    before = len(app.timings)
    cpu = []
    for v in values:
        app.panel.set(path, v)
        if wait:
            app.wait()
            cpu.append(app.jobs.preview_cpu_s)
    timings = app.timings[before:]
    for t, c in zip(timings, cpu, strict=False):
        if c is not None:
            t["preview_cpu_s"] = c
    if len(timings) != len(values):
        raise RuntimeError(f"{len(values)} slider moves gave {len(timings)} runs: {app.error}")
    return timings


def _stats(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f} s (best {min(xs):.3f})"


def _report(name: str, timings: list[dict[str, float]]) -> None:
    keys = [k for k in ("model_s", "draw_s", "preview_s", "preview_cpu_s", "total_s", "cpu_s")
            if all(k in t for t in timings)]
    print(f"{name:<46} " + ", ".join(f"{k[:-2]} {_stats([t[k] for t in timings])}" for k in keys))


def _static_draw(draw, repeats: int = 5) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        draw()
        out.append(time.perf_counter() - t)
    return out


def _profile_rerun(app: Explorer) -> None:
    """Where one playground re-run (config, model, redraw) spends its time."""
    pr = cProfile.Profile()
    pr.enable()
    app.panel.set("strategy.0.pressure", 0.55)
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("cumulative").print_stats(25)
    print("\nprofile of one playground re-run (cumulative seconds, top 25):")
    print("\n".join(line for line in buf.getvalue().splitlines() if line.strip())[:6000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=10, help="slider moves per case (default 10)")
    parser.add_argument("--profile", action="store_true", help="profile one playground re-run")
    args = parser.parse_args()
    values = [0.2 + 0.6 * i / max(args.moves - 1, 1) for i in range(args.moves)]
    path = "strategy.0.pressure"   # the first strategy group: the numbers game in every shipped scenario

    print(f"{args.moves} moves of the numbers-game 'pressure' slider; median (best) seconds per move\n")
    for scenario in ("two_cobblers", "baseline"):
        app = Explorer(ParameterPanel(scenario))           # first run (imports, JIT, fonts) not counted
        timings = _moves(app, path, values)
        _report(f"student playground, {scenario}", timings)
        old = _static_draw(lambda app=app: figure_to_png(live_figure(app.results, app.panels), app.dpi))
        draw = statistics.median(t["draw_s"] for t in timings)
        print(f"{'':<46} redraw as before issue 12: {_stats(old)} -> live redraw is "
              f"{draw / statistics.median(old):.2f} of it; frame rendered {app.figure.frames} times")
        if scenario == "baseline":
            model = statistics.median(t["model_s"] for t in timings)
            print(f"{'':<46} targets: model {model:.3f} s vs {MODEL_TARGET_S} s ({model / MODEL_TARGET_S:.1f}x), "
                  f"redraw {draw:.3f} s vs {DRAW_TARGET_S} s ({draw / DRAW_TARGET_S:.2f}x)")
        if args.profile and scenario == "baseline":
            _profile_rerun(app)

    print()
    dash = ConsultantDashboard("two_cobblers", background=False)
    timings = _moves(dash, path, values)
    _report("dashboard, 10 replicates in this process", timings)
    res = dash.results
    old = _static_draw(lambda: [figure_to_png(f, dash.dpi) for f in (revenue_figure(res), sources_figure(res),
                                                                     why_figure(res))])
    draw = statistics.median(t["draw_s"] for t in timings)
    print(f"{'':<46} redraw as before issue 12: {_stats(old)} -> live redraw is {draw / statistics.median(old):.2f} "
          "of it")
    one = ConsultantDashboard("two_cobblers", replicates=1, background=False)
    _report("dashboard, 1 replicate", _moves(one, path, values))

    bg = ConsultantDashboard("two_cobblers", background=True)   # as in JupyterLab / Voila
    time.sleep(10)   # the worker processes start and load the compiled kernels (once per session)
    _report("dashboard, 10 replicates in the background", _moves(bg, path, values, wait=True))
    print("  (preview = move -> first figures on the page; preview_cpu = this process's CPU for them: replicate 0 "
          "and three figures, what a quiet machine would wait; total = move -> all 10 replicates with intervals)")


if __name__ == "__main__":
    main()
