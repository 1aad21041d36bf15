"""History matching: find every set of market constants whose first year meets all accepted targets.

The method, in waves (the model is cheap enough to run directly, so no emulator stands in for it):

1. **Wave 1** samples the priors evenly: a scrambled Sobol design of ``design`` points in the unit
   cube, mapped onto each prior's range (linear or log). Every point runs ``replicates`` times on the
   calibration scenario (the baseline's first 52 weeks), each run with its own seed.
2. Each point's **implausibility** is the largest, over the accepted targets, of the distance of its
   mean measure from the target's centre in half-widths of the tolerance band: within tolerance
   means ``<= 1``; the point is **accepted** when every accepted target is met.
3. **Refinement waves** sample ``refine`` new Sobol points inside the box spanned by every point so
   far with implausibility ``<= cutoff`` (plus a margin), i.e. the non-implausible region.
4. The union of all waves is uneven (denser inside the boxes), so each accepted point carries the
   **weight** ``1 / density`` of the design at that point; weighted shares over the ensemble are then
   shares of the accepted region as if it had been sampled evenly from the priors.

A point's seeds and every later wave follow from the settings alone, so a restarted calibration
repeats the same points and the same runs (done runs are read back from the folder, see
:mod:`~sim.calibration.jobs`).

Owns: :class:`Settings` (design sizes), :func:`calibrate` and :class:`Calibration` (every point, the
accepted ensemble, diagnostics). Must not: draw figures or print (the CLI does).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import load_scenario
from ..errors import ConfigError
from ..model.runner import replicate_seed
from .design import DEFAULT, Settings, box_of, density_weights, sobol_points
from .jobs import JobStore, default_chunk, run_jobs
from .markets import measure_task, with_market
from .priors import PRIORS_FILE, PriorFile, load_priors
from .stats import weighted_quantile
from .targets import TARGETS_FILE, TargetFile, file_sha256, load_targets

__all__ = ["Settings", "Calibration", "calibrate", "DEFAULT"]




@dataclass
class Calibration:
    """What :func:`calibrate` found.

    Attributes:
        points: every design point: ``point``, ``wave``, ``unit``, ``values``, ``seeds``, ``measures``
            (means over replicates), ``distance`` (per accepted target), ``implausibility``,
            ``accepted`` and (accepted points) ``weight``.
        members: the accepted points kept for the shipped ensemble (at most ``max_members``).
        boxes: per wave, the unit-cube box it sampled (``low``, ``high``).
        targets, priors, settings: what was run.
        sources: the target and prior files (their SHA-256 pins the ensemble).
    """

    points: list[dict[str, Any]]
    members: list[dict[str, Any]]
    boxes: list[dict[str, list[float]]]
    targets: TargetFile
    priors: PriorFile
    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """Every accepted point (before thinning)."""
        return [p for p in self.points if p["accepted"]]

    def diagnostics(self) -> dict[str, Any]:
        """Tried, accepted, each target's fit over the tried points and the ensemble, parameter spread."""
        acc, mem = self.accepted, self.members
        weights = [m["weight"] for m in mem]
        per_target = {}
        for name, t in self.targets.targets.items():
            tried = [p["measures"].get(name) for p in self.points]
            ens = [m["measures"].get(name) for m in mem]
            fin = [x for x in ens if x is not None]
            per_target[name] = {
                "use": t.use, "target": t.centre, "low": t.low, "high": t.high,
                "tried_within": _share([t.met(x) for x in tried]),
                "ensemble_within": _share([t.met(x) for x in ens], weights),
                "ensemble": {"min": min(fin) if fin else None, "q05": weighted_quantile(ens, weights, 0.05),
                             "median": weighted_quantile(ens, weights, 0.5),
                             "q95": weighted_quantile(ens, weights, 0.95), "max": max(fin) if fin else None},
            }
        params = {}
        for j, (name, prior) in enumerate(self.priors.priors.items()):
            vals = [m["values"][name] for m in mem]
            units = [m["unit"][j] for m in mem]
            q05, q95 = weighted_quantile(units, weights, 0.05), weighted_quantile(units, weights, 0.95)
            params[name] = {"prior": [prior.low, prior.high], "scale": prior.scale,
                            "median": weighted_quantile(vals, weights, 0.5),
                            "q05": weighted_quantile(vals, weights, 0.05),
                            "q95": weighted_quantile(vals, weights, 0.95),
                            "narrowing": None if q05 is None or q95 is None else round((q95 - q05) / 0.9, 4)}
        waves = []
        for w, box in enumerate(self.boxes, start=1):
            pts = [p for p in self.points if p["wave"] == w]
            waves.append({"wave": w, "points": len(pts), "accepted": sum(p["accepted"] for p in pts),
                          "non_implausible": sum(p["implausibility"] <= self.settings.cutoff for p in pts),
                          "box_volume": float(np.prod(np.subtract(box["high"], box["low"])))})
        return {"tried": len(self.points), "runs": len(self.points) * self.settings.replicates,
                "accepted": len(acc), "shipped": len(mem), "acceptance_rate": len(acc) / max(len(self.points), 1),
                "waves": waves, "targets": per_target, "parameters": params, "settings": asdict(self.settings),
                "sources": self.sources}


def _share(flags: list[bool], weights: list[float] | None = None) -> float | None:
    if not flags:
        return None
    w = np.ones(len(flags)) if weights is None else np.asarray(weights, dtype=float)
    return float(np.dot(np.asarray(flags, dtype=float), w) / w.sum())


def calibrate(out: str | Path, *, targets_file: str | Path | None = None, priors_file: str | Path | None = None,
              settings: Settings = DEFAULT, workers: int = 1, scheduler: str | None = None,
              progress: bool = True) -> Calibration:
    """Run (or resume) a calibration into ``out`` and return what it found.

    Args:
        out: folder for the runs (resumable: the same command again finishes what is missing).
        targets_file: target file (default: the shipped ``configs/calibration/targets.yaml``).
        priors_file: prior file (default: the shipped ``configs/calibration/priors.yaml``).
        settings: design sizes, replicates, seed.
        workers: local worker processes (1 = in this process).
        scheduler: a Dask scheduler address, or ``"local"``.
        progress: progress bar on stderr.

    Raises:
        ConfigError: bad files or settings, or ``out`` holds a different calibration.
    """
    from .. import __version__

    settings.check()
    tpath, ppath = Path(targets_file or TARGETS_FILE), Path(priors_file or PRIORS_FILE)
    targets, priors = load_targets(tpath), load_priors(ppath)
    fixed = [n for n in priors.priors if n in priors.fixed_by_targets]
    if fixed:
        raise ConfigError(f"priors.{fixed[0]}: fixed by a target, so it cannot also be calibrated")
    base = load_scenario(targets.scenario, weeks=targets.weeks)
    for name, t in targets.targets.items():
        strategy = t.args.get("strategy")
        if strategy is not None and strategy not in [g.strategy for g in base.sellers]:
            raise ConfigError(f"targets.{name}.args.strategy = {strategy!r}: no such seller group in scenario "
                              f"{targets.scenario!r}")
    sources = {"targets_sha256": file_sha256(tpath), "priors_sha256": file_sha256(ppath)}
    identity = {"kind": "calibration", "format": 1, "sim_version": __version__, "settings": asdict(settings),
                "targets": {k: t.model_dump(mode="json", exclude={"description", "setting", "sources"})
                            for k, t in targets.targets.items()},
                "priors": {k: p.model_dump(mode="json", exclude={"reason"}) for k, p in priors.priors.items()},
                "scenario": base.model_dump(mode="json", exclude={"description"})}
    store = JobStore(out, identity, "calibration")
    pairs = tuple(targets.targets.items())
    accepting = targets.accepting
    d = len(priors.priors)
    points: list[dict[str, Any]] = []
    boxes: list[dict[str, list[float]]] = []
    sizes: list[int] = []
    for wave in range(1, settings.waves + 1):
        n = settings.design if wave == 1 else settings.refine
        whole = {"low": [0.0] * d, "high": [1.0] * d}
        box = whole if wave == 1 else box_of(points, d, settings.cutoff, settings.margin)
        lo, hi = np.asarray(box["low"]), np.asarray(box["high"])
        units = lo + sobol_points(d, n, settings.seed + wave) * (hi - lo)
        values = priors.values(units)
        offset = len(points)
        new = [{"point": offset + i, "wave": wave, "unit": [float(f"{x:.6g}") for x in units[i]], "values": values[i],
                "seeds": [replicate_seed(settings.seed, (offset + i) * settings.replicates + r)
                          for r in range(settings.replicates)]} for i in range(n)]
        jobs = []
        for p in new:
            cfg = with_market(base, p["values"])
            for r, seed in enumerate(p["seeds"]):
                jobs.append((f"p{p['point']:06d}r{r}", (cfg, seed, pairs)))
        results = run_jobs(measure_task, jobs, store, workers=workers, scheduler=scheduler,
                           chunk=default_chunk(targets.weeks), desc=f"calibrate wave {wave}/{settings.waves}",
                           progress=progress)
        for p in new:
            reps = [results[f"p{p['point']:06d}r{r}"] for r in range(settings.replicates)]
            p["measures"] = {name: _mean([rep.get(name) for rep in reps]) for name in targets.targets}
            p["distance"] = {name: _finite(t.distance(p["measures"][name])) for name, t in accepting.items()}
            dist = [abs(x) if x is not None else math.inf for x in p["distance"].values()]
            p["implausibility"] = max(dist)
            p["accepted"] = p["implausibility"] <= 1.0
        points.extend(new)
        boxes.append(box)
        sizes.append(n)
    acc = [p for p in points if p["accepted"]]
    if acc:
        w = density_weights(np.array([p["unit"] for p in acc]), boxes, sizes)
        w = w / w.mean()
        for p, wi in zip(acc, w, strict=True):
            p["weight"] = float(f"{wi:.6g}")
    members = acc
    if len(acc) > settings.max_members:
        rng = np.random.default_rng(settings.seed)
        keep = sorted(rng.choice(len(acc), size=settings.max_members, replace=False).tolist())
        members = [acc[i] for i in keep]
    return Calibration(points, members, boxes, targets, priors, settings, sources)


def _mean(values: list[Any]) -> float | None:
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return float(f"{np.mean(vals):.8g}") if len(vals) == len(values) and vals else None


def _finite(x: float) -> float | None:
    return float(f"{x:.6g}") if math.isfinite(x) else None
