"""The preset search: each pole's best point of its own family, by its own long-run revenue.

A preset must be a competent version of its pole, not a corner picked by hand. For each family of
:data:`sim.strategy.FAMILIES` the search finds the point of its box that maximises the family's
own revenue per seller over the horizon (``revenue_total``) in one market (the baseline by
default), with the other pole playing a fixed strategy:

1. *explore*: the incumbent (the shipped preset) plus a Latin hypercube of ``points`` points of
   the box, each run with the same ``replicates`` seeds (common random numbers);
2. *refine*: Latin hypercubes in smaller boxes (``refine_fraction`` of the family width either
   side) around the ``refine_around`` best points, same seeds;
3. *edges*: from the best point so far, each free knob alone at either end of the box, then one
   point combining every such move that raised the mean (optima of monotone knobs, such as
   pressure for relationship selling, sit on the box's faces, where random designs rarely land);
4. *final*: the ``top`` best points so far and the incumbent, re-run with ``final_replicates``
   fresh common seeds (so the winner's interval is not flattered by its selection);
5. *polish* (with the edges stage): from the best final point, each free knob alone at either end
   of the box, on the final seeds, then one point combining every move that raised the mean. The
   edges stage judges the faces on the few explore seeds, from a centre that may not be the one
   chosen; an optimum on a face missed there by a grid step is found here. The best by mean of
   the final and polish points is chosen, with its 95% interval and its paired gain over the
   incumbent.

Round 1 plays each family against the other pole's shipped preset; round 2 (a best-response
round) against the other family's round-1 choice, starting from its own round-1 choice. After
each round the two choices meet head to head. Points are rounded to :data:`KNOB_PRECISION` before
they are run, so the chosen point is exactly what ships in ``PRESETS``.

Seeds depend on the search seed, the round, the family and the stage only, and results are
collected by task index, so the outcome is the same for any number of workers.

Owns: :func:`with_strategies`, :func:`evaluate`, :func:`search_presets`
and :func:`write_presets_json` (the budget, :class:`SearchBudget`, is in
:mod:`.presets_budget`). Must not: print, or change ``PRESETS`` itself (a person copies
the result into ``sim/strategy.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_text
from ..config import Config, ConfigError, load_scenario, validate_config
from ..model.runner import mean_interval, replicate_seed
from ..strategy import FAMILIES, PRESETS, Family, Strategy, rounded
from .executors import Executor, make_executor
from .presets_budget import SearchBudget

__all__ = ["SearchBudget", "POLES", "with_strategies", "evaluate", "search_presets", "paired_gain",
           "write_presets_json", "FINAL_SEED_OFFSET"]

POLES: tuple[str, str] = ("numbers_game", "relationship")
FINAL_SEED_OFFSET = 1000
"""Final-stage replicate ``i`` uses ``replicate_seed(seed, FINAL_SEED_OFFSET + i)``: fresh seeds."""


# ------------------------------------------------------------------------------- one evaluation
def with_strategies(base: Config, strategies: Mapping[str, Strategy]) -> Config:
    """``base`` with the seller group of each pole in ``strategies`` playing the given strategy.

    The group keeps its size; its strategy becomes a custom one named ``<pole>_candidate``.

    Raises:
        ConfigError: when ``base`` has no seller group of that pole.
    """
    data = base.model_dump(mode="python")
    groups = {g["strategy"] for g in data["sellers"]}
    for pole, strategy in strategies.items():
        if pole not in groups:
            raise ConfigError(f"scenario {base.name!r} has no seller group with strategy {pole!r}; "
                              f"groups: {', '.join(sorted(groups))}")
        data["strategies"][f"{pole}_candidate"] = strategy.model_dump()
    data["sellers"] = [{**g, "strategy": f"{g['strategy']}_candidate" if g["strategy"] in strategies
                        else g["strategy"]} for g in data["sellers"]]
    return validate_config(data)


def evaluate(base: Config, strategies: Mapping[str, Mapping[str, float]], seed: int) -> dict[str, float]:
    """Run ``base`` once with the poles' strategies replaced; revenue per seller of each pole.

    Top level and picklable: this is what the workers run.
    """
    from ..model.runner import run

    swapped = {pole: Strategy(**knobs) for pole, knobs in strategies.items()}
    res = run(with_strategies(base, swapped), seed=seed)
    by_name = res.summary["strategies"]
    return {pole: float(by_name[f"{pole}_candidate" if pole in swapped else pole]["revenue_total"])
            for pole in POLES if (f"{pole}_candidate" if pole in swapped else pole) in by_name}


def _run_tasks(executor: Executor, tasks: list[tuple[Any, ...]]) -> list[dict[str, float]]:
    """Run ``evaluate(*task)`` for every task, at most ``executor.slots`` in flight; results in task order."""
    results: list[dict[str, float]] = []
    window: list[Any] = []
    for task in tasks:
        window.append(executor.submit(evaluate, *task))
        if len(window) >= max(1, executor.slots):
            results.append(window.pop(0).result())
    results.extend(f.result() for f in window)
    return results


def paired_gain(a: Sequence[float], b: Sequence[float]) -> dict[str, float | None]:
    """Mean and 95% interval of ``a - b`` over common seeds (a paired comparison)."""
    return mean_interval([x - y for x, y in zip(a, b, strict=True)])


# ------------------------------------------------------------------------------- the search
def _key(strategy: Strategy) -> tuple[float, ...]:
    return tuple(strategy.model_dump().values())


def _lhs(family: Family, n: int, seed: Sequence[int]) -> list[Strategy]:
    from scipy.stats import qmc

    if n <= 0:
        return []
    if family.dimension == 0:
        return family.sample([[]])
    unit = qmc.LatinHypercube(d=family.dimension, rng=np.random.default_rng(np.random.SeedSequence(seed))).random(n)
    return family.sample(unit)


def _point(strategy: Strategy, stage: str, revenue: list[float], opponent: list[float]) -> dict[str, Any]:
    stats = mean_interval(revenue)
    return {"stage": stage, "knobs": strategy.model_dump(), **stats, "revenue": revenue,
            "opponent_revenue": opponent}


class _Round:
    """One round's bookkeeping for one family: evaluated points, by stage."""

    def __init__(self, pole: str, family: Family, opponent: Strategy, incumbent: Strategy) -> None:
        self.pole, self.family, self.opponent, self.incumbent = pole, family, opponent, rounded(incumbent)
        self.other = POLES[1 - POLES.index(pole)]
        self.points: list[dict[str, Any]] = []

    def fresh(self, candidates: list[Strategy]) -> list[Strategy]:
        """The candidates not yet evaluated on the explore seeds (rounded, duplicates dropped)."""
        return self.fresh_on(("explore", "refine", "edges"), candidates)

    def fresh_on(self, stages: tuple[str, ...], candidates: list[Strategy]) -> list[Strategy]:
        """The candidates not yet evaluated in ``stages`` (rounded, duplicates dropped)."""
        done = {_key(Strategy(**p["knobs"])) for p in self.points if p["stage"] in stages}
        out = []
        for s in (rounded(c) for c in candidates):
            if _key(s) not in done:
                done.add(_key(s))
                out.append(s)
        return out

    def tasks(self, base: Config, strategies: list[Strategy], seeds: list[int]) -> list[tuple[Any, ...]]:
        opp = self.opponent.model_dump()
        return [(base, {self.pole: s.model_dump(), self.other: opp}, seed) for s in strategies for seed in seeds]

    def record(self, stage: str, strategies: list[Strategy], results: list[dict[str, float]], n: int) -> None:
        for i, s in enumerate(strategies):
            chunk = results[i * n:(i + 1) * n]
            self.points.append(_point(s, stage, [r[self.pole] for r in chunk], [r[self.other] for r in chunk]))

    def best(self, stages: tuple[str, ...], k: int) -> list[Strategy]:
        pool = [p for p in self.points if p["stage"] in stages and self.family.contains(Strategy(**p["knobs"]))]
        pool.sort(key=lambda p: -p["mean"])   # stable: ties keep evaluation order
        return [Strategy(**p["knobs"]) for p in pool[:k]]


def _edge_moves(family: Family, center: Strategy) -> list[Strategy]:
    """``center`` with one free knob at its box's low or high end (knobs in order, low first)."""
    return [center.model_copy(update={knob: end}) for knob in family.free_knobs for end in family.box(knob)
            if getattr(center, knob) != end]


def _combined(r: _Round, center: Strategy, stages: tuple[str, ...] = ("explore", "refine", "edges")) -> Strategy:
    """``center`` with every one-knob edge move whose mean beat the centre's (the best end per knob).

    Means are those of the points evaluated in ``stages`` (on one set of seeds).
    """
    means = {_key(Strategy(**p["knobs"])): p["mean"] for p in r.points if p["stage"] in stages}
    update = {}
    for knob in r.family.free_knobs:
        best, value = means[_key(center)], getattr(center, knob)
        for end in r.family.box(knob):
            m = means.get(_key(center.model_copy(update={knob: end})))
            if m is not None and m > best:
                best, value = m, end
        update[knob] = value
    return center.model_copy(update=update)


def _stage_seed(seed: int, round_: int, pole: str, stage: int) -> list[int]:
    return [int(seed) % 2**63, round_, POLES.index(pole), stage]


def _run_stage(executor: Executor, base: Config, rounds: list[_Round], stage: str,
               pick: dict[str, list[Strategy]], seeds: list[int]) -> None:
    tasks: list[tuple[Any, ...]] = []
    for r in rounds:
        tasks += r.tasks(base, pick[r.pole], seeds)
    results = _run_tasks(executor, tasks)
    start = 0
    for r in rounds:
        n = len(pick[r.pole]) * len(seeds)
        r.record(stage, pick[r.pole], results[start:start + n], len(seeds))
        start += n


def _match(executor: Executor, base: Config, strategies: Mapping[str, Strategy], seeds: list[int]) -> dict[str, Any]:
    """Both poles' strategies head to head on ``seeds``: revenue per seller, paired difference, leader."""
    knobs = {pole: s.model_dump() for pole, s in strategies.items()}
    results = _run_tasks(executor, [(base, knobs, seed) for seed in seeds])
    rev = {pole: [r[pole] for r in results] for pole in POLES}
    diff = paired_gain(rev["relationship"], rev["numbers_game"])
    if diff["low"] is not None and diff["low"] > 0:
        leader = "relationship"
    elif diff["high"] is not None and diff["high"] < 0:
        leader = "numbers_game"
    else:
        leader = "no clear winner"
    return {"strategies": knobs, **{pole: {**mean_interval(v), "revenue": v} for pole, v in rev.items()},
            "relationship_minus_numbers_game": diff, "leader": leader}


def _search_round(executor: Executor, base: Config, round_: int, opponents: Mapping[str, Strategy],
                  incumbents: Mapping[str, Strategy], budget: SearchBudget, seed: int) -> dict[str, Any]:
    rounds = [_Round(pole, FAMILIES[pole], opponents[pole], incumbents[pole]) for pole in POLES]
    crn = [replicate_seed(seed, i) for i in range(budget.replicates)]
    final_seeds = [replicate_seed(seed, FINAL_SEED_OFFSET + i) for i in range(budget.final_replicates)]
    # 1. explore: the incumbent and a Latin hypercube of the box
    pick = {r.pole: r.fresh([r.incumbent] + _lhs(r.family, budget.points, _stage_seed(seed, round_, r.pole, 1)))
            for r in rounds}
    _run_stage(executor, base, rounds, "explore", pick, crn)
    # 2. refine: smaller boxes around the best explored points
    pick = {}
    for r in rounds:
        centers = r.best(("explore",), budget.refine_around)
        news: list[Strategy] = []
        for j, c in enumerate(centers):   # refine_points shared out among the centres, the best first
            each = budget.refine_points // len(centers) + (j < budget.refine_points % len(centers))
            news += _lhs(r.family.around(c, budget.refine_fraction), each, _stage_seed(seed, round_, r.pole, 10 + j))
        pick[r.pole] = r.fresh(news)
    _run_stage(executor, base, rounds, "refine", pick, crn)
    searched: tuple[str, ...] = ("explore", "refine")
    if budget.edges:   # 3. edges: each knob alone at the ends of the box, then the helpful moves together
        centers = {r.pole: r.best(searched, 1)[0] for r in rounds}
        pick = {r.pole: r.fresh(_edge_moves(r.family, centers[r.pole])) for r in rounds}
        _run_stage(executor, base, rounds, "edges", pick, crn)
        pick = {r.pole: r.fresh([_combined(r, centers[r.pole])]) for r in rounds}
        _run_stage(executor, base, rounds, "edges", pick, crn)
        searched += ("edges",)
    # 4. final: the best so far and the incumbent, on fresh common seeds
    pick = {}
    for r in rounds:
        finalists = r.best(searched, budget.top)
        if _key(r.incumbent) not in {_key(s) for s in finalists}:
            finalists.append(r.incumbent)
        pick[r.pole] = finalists
    _run_stage(executor, base, rounds, "final", pick, final_seeds)
    finals: tuple[str, ...] = ("final",)
    if budget.edges:   # 5. polish: the best final point's faces, on the final seeds
        centers = {r.pole: r.best(finals, 1)[0] for r in rounds}
        pick = {r.pole: r.fresh_on(finals, _edge_moves(r.family, centers[r.pole])) for r in rounds}
        _run_stage(executor, base, rounds, "polish", pick, final_seeds)
        finals += ("polish",)
        pick = {r.pole: r.fresh_on(finals, [_combined(r, centers[r.pole], finals)]) for r in rounds}
        _run_stage(executor, base, rounds, "polish", pick, final_seeds)
    out: dict[str, Any] = {"round": round_, "searches": {}}
    for r in rounds:
        final = [p for p in r.points if p["stage"] in finals]
        eligible = [p for p in final if r.family.contains(Strategy(**p["knobs"]))]
        ranked = sorted(eligible, key=lambda p: -p["mean"])   # stable: ties keep evaluation order
        chosen = ranked[0]
        inc = next(p for p in final if p["knobs"] == r.incumbent.model_dump())
        out["searches"][r.pole] = {
            "opponent": r.opponent.model_dump(), "incumbent": r.incumbent.model_dump(),
            "chosen": {k: chosen[k] for k in ("knobs", "mean", "low", "high")},
            "gain_over_incumbent": paired_gain(chosen["revenue"], inc["revenue"]),
            "incumbent_final": {k: inc[k] for k in ("mean", "low", "high")},
            "gain_over_runner_up": (paired_gain(chosen["revenue"], ranked[1]["revenue"]) if len(ranked) > 1 else None),
            "points": r.points,
        }
    chosen_now = {pole: Strategy(**out["searches"][pole]["chosen"]["knobs"]) for pole in POLES}
    out["match"] = _match(executor, base, chosen_now, final_seeds)
    return out


def search_presets(scenario: str | Config = "baseline", budget: SearchBudget | None = None, seed: int | None = None,
                   workers: int = 1, executor: Executor | None = None) -> dict[str, Any]:
    """Search each family's best point; the result as plain data (what :func:`write_presets_json` writes).

    Args:
        scenario: the market (a shipped name, a YAML path or a :class:`Config`); it needs a
            ``numbers_game`` and a ``relationship`` seller group.
        budget: points and replicates (default :class:`SearchBudget`).
        seed: search seed (default: the scenario's).
        workers: local worker processes (ignored when ``executor`` is given).
        executor: run on this executor instead of starting one.

    Returns:
        ``{"scenario", "seed", "budget", "initial_match", "rounds", "presets", "changed", "runs",
        "run_info"}``; ``presets`` maps each pole to its chosen knobs of the last round. Everything
        but ``run_info`` (wall time, workers) is the same for any number of workers.
    """
    base = scenario if isinstance(scenario, Config) else load_scenario(scenario)
    with_strategies(base, {pole: PRESETS[pole] for pole in POLES})   # both poles must be there
    budget = budget or SearchBudget()
    seed = base.seed if seed is None else int(seed)
    own = executor is None
    ex = make_executor(workers) if own else executor
    started = time.perf_counter()
    try:
        final_seeds = [replicate_seed(seed, FINAL_SEED_OFFSET + i) for i in range(budget.final_replicates)]
        current = {pole: rounded(PRESETS[pole]) for pole in POLES}
        initial = _match(ex, base, current, final_seeds)
        rounds = []
        for round_ in range(1, budget.rounds + 1):
            opponents = {pole: current[POLES[1 - i]] for i, pole in enumerate(POLES)}
            rounds.append(_search_round(ex, base, round_, opponents, current, budget, seed))
            current = {pole: Strategy(**rounds[-1]["searches"][pole]["chosen"]["knobs"]) for pole in POLES}
    finally:
        if own:
            ex.close()
    runs = len(initial["numbers_game"]["revenue"]) + sum(
        len(r["match"]["numbers_game"]["revenue"])
        + sum(len(p["revenue"]) for s in r["searches"].values() for p in s["points"]) for r in rounds)
    return {
        "scenario": base.name, "weeks": base.weeks, "seed": seed, "budget": asdict(budget),
        "objective": "the family's own revenue per seller over the horizon (revenue_total), mean over replicates",
        "families": {pole: {"description": FAMILIES[pole].description,
                            "bounds": {k: list(FAMILIES[pole].box(k)) for k in Strategy.model_fields},
                            "why": dict(FAMILIES[pole].why)} for pole in POLES},
        "initial_match": initial, "rounds": rounds,
        "presets": {pole: current[pole].model_dump() for pole in POLES},
        "changed": _changed(rounds), "runs": runs,
        "run_info": {"seconds": round(time.perf_counter() - started, 1), "executor": ex.describe()},
    }


def _changed(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Did the best-response round move a family's choice (beyond noise), or the head-to-head leader?"""
    if len(rounds) < 2:
        return {}
    first, last = rounds[0], rounds[-1]
    out: dict[str, Any] = {}
    for pole in POLES:
        s = last["searches"][pole]
        gain = s["gain_over_incumbent"]
        out[pole] = {"point_changed": s["chosen"]["knobs"] != first["searches"][pole]["chosen"]["knobs"],
                     "gain_over_previous_round": gain,
                     "beyond_noise": gain["low"] is not None and gain["low"] > 0}
    out["leader_round_1"], out["leader_final"] = first["match"]["leader"], last["match"]["leader"]
    out["leader_changed"] = out["leader_round_1"] != out["leader_final"]
    return out


def write_presets_json(result: dict[str, Any], out: str | Path) -> Path:
    """Write ``result`` to ``out/presets.json`` (atomically); return the path."""
    import json

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    return write_text(folder / "presets.json", json.dumps(result, indent=1, allow_nan=False) + "\n")
