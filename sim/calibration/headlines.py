"""The shipped measurements: every shipped scenario's ensemble headline and attribution, in one small file.

``make headlines`` (``python -m sim.calibration.headlines``) runs, for every shipped scenario,
:func:`~sim.calibration.ensemble.run_ensemble` and :func:`~sim.calibration.attribution.explain` with
the design :data:`DESIGN` (:data:`SCENARIO_DESIGNS` for the expensive ones) and writes
``configs/calibration/headlines.yaml``: per scenario the headline numbers over the accepted members,
the attribution's shares with intervals, the design used and a fingerprint of the scenario's
settings; for the whole file fingerprints of the model's source (:func:`source_fingerprint`) and of
the ensemble file. The surfaces (``sim run``'s summary, the consultant notebook, the dashboard's why
panel, ``docs/VALIDATION.md``) read it through :func:`evidence_for`, which says when it does not apply
(other settings: ``changed``) or no longer holds (the model, the ensemble or the scenario changed:
``stale``), so a surface names the command that measures it instead of showing wrong numbers.

Owns: the file's schema (:class:`HeadlinesFile`), :func:`load_headlines`, :func:`generate_headlines`,
:func:`evidence_for` and the command line (:func:`main`). Must not: word a result (that is
:mod:`sim.narrate.evidence`) or draw.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from ..config import Config, format_validation_error, load_scenario, scenario_names
from ..errors import ConfigError
from ..narrate.evidence import evidence_lines
from ..safeyaml import read_yaml
from ..schema import Settings
from .jobs import model_fingerprint
from .targets import CALIBRATION_DIR

__all__ = ["HEADLINES_FILE", "Design", "DESIGN", "SCENARIO_DESIGNS", "HeadlinesFile", "Evidence", "load_headlines",
           "dump_headlines", "generate_headlines", "measure_scenario", "evidence_for", "source_fingerprint",
           "ensemble_fingerprint", "config_fingerprint", "main"]

HEADLINES_FILE = CALIBRATION_DIR / "headlines.yaml"
"""The shipped measurements."""
SOURCES = ("calibration/ensemble.py", "calibration/attribution.py", "calibration/stats.py", "experiments/outcomes.py")
"""Sources (under ``sim/``) of the measurement itself, fingerprinted with the model's (:data:`.jobs.FINGERPRINTED`)."""


class Design(Settings):
    """How much one scenario's measurement runs."""

    ensemble_members: int | None = Field(None, ge=1, description="Members used (spread over the file; None = all).")
    ensemble_replicates: int = Field(3, ge=1, le=100, description="Replicates per member (the same seeds).")
    attribution_replicates: int = Field(3, ge=2, le=100, description="Replicates per subset of the attribution.")


DESIGN = Design(ensemble_members=50, ensemble_replicates=3, attribution_replicates=3)
"""The design of every shipped scenario but those in :data:`SCENARIO_DESIGNS`: 50 members spread over the
shipped ensemble x 3 replicates (+ the single market) and the attribution's 2^9 subsets x 3 replicates,
1,689 runs. Measured CPU per ten-year run: 0.20 s (2,000 customers), 0.10 s (``two_cobblers``), 0.02 s
(``short_horizon``, one year), 1.3 s (``large_anonymous``); all scenarios together about 3,300 CPU
seconds, 27 minutes on 2 idle cores (``make headlines``)."""
SCENARIO_DESIGNS: dict[str, Design] = {
    "large_anonymous": Design(ensemble_members=20, ensemble_replicates=2, attribution_replicates=2),
}
"""Smaller designs for scenarios whose runs are expensive (200,000 customers: about 6 times a baseline run;
its 1,066 runs are still about 40% of the total)."""


# ============================================================================ the file
class Spread(Settings):
    """Median and 5-95% range over the members."""

    median: float | None
    low: float | None
    high: float | None


class Crossover(Spread):
    """The crossover week over the members, and the share where it never happens."""

    never_share: float = Field(ge=0.0, le=1.0)


class SingleMarket(Settings):
    """The scenario with its own constants, over its replicates."""

    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    winner: str
    crossover_week: float | None


class EnsembleHeadline(Settings):
    """The headline over the accepted members (:func:`~sim.calibration.ensemble.ensemble_headline`)."""

    members: int = Field(ge=1)
    replicates: int = Field(ge=1)
    pair: dict[str, str]
    wins: dict[str, float]
    ratio: Spread
    crossover_week: Crossover
    single_market: SingleMarket


class Share(Settings):
    """One mechanism group's share of the log revenue advantage, with its interval."""

    label: str
    share: float
    low: float | None
    high: float | None


class Attribution(Settings):
    """The attribution (``attribution.json`` without the per-run detail)."""

    scenario: str
    replicates: int = Field(ge=1)
    runs: int = Field(ge=1)
    pair: dict[str, str]
    total: float
    total_low: float | None
    total_high: float | None
    interval: str
    groups: dict[str, Share]


class Entry(Settings):
    """One scenario's measurement."""

    config_sha256: str = Field(description="SHA-256 of the scenario's settings it was measured on.")
    design: Design
    ensemble: EnsembleHeadline
    attribution: Attribution


class HeadlinesFile(Settings):
    """The whole shipped file."""

    format: Literal[1] = 1
    sim_version: str
    source_sha256: str = Field(description="source_fingerprint() when it was measured.")
    ensemble_sha256: str = Field(description="SHA-256 of the ensemble file it was measured on.")
    scenarios: dict[str, Entry]


def source_fingerprint() -> str:
    """SHA-256 of the model's source (:func:`~sim.calibration.jobs.model_fingerprint`) and of :data:`SOURCES`."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(model_fingerprint().encode())
    for entry in SOURCES:
        digest.update(entry.encode())
        digest.update((root / entry).read_bytes())
    return digest.hexdigest()


def ensemble_fingerprint(path: str | Path | None = None) -> str:
    """SHA-256 of an ensemble file's bytes (default: the shipped one)."""
    from .ensemble import ENSEMBLE_FILE

    return hashlib.sha256(Path(path or ENSEMBLE_FILE).read_bytes()).hexdigest()


def config_fingerprint(cfg: Config) -> str:
    """SHA-256 of a config's settings (canonical JSON); its description is words, not a setting."""
    settings = cfg.model_dump(mode="json", exclude={"description"})
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def load_headlines(path: str | Path | None = None) -> HeadlinesFile | None:
    """Read and validate a headlines file (default: the shipped one); None when it does not exist.

    Raises:
        ConfigError: bad YAML or an invalid entry (one line).
    """
    p = Path(path) if path is not None else HEADLINES_FILE
    if not p.exists():
        return None
    data = read_yaml(p, "headlines file")
    try:
        return HeadlinesFile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{p.name}: {format_validation_error(err)}; regenerate it with 'make headlines'") from None


def dump_headlines(data: HeadlinesFile) -> str:
    """The file's text (stable: no dates or times, so an unchanged model regenerates the same bytes)."""
    import yaml

    head = ("# The shipped measurements: every shipped scenario's headline over the calibrated ensemble and its\n"
            "# mechanism attribution. Written by `make headlines` (python -m sim.calibration.headlines); do not edit.\n"
            "# A surface shows them only while source_sha256, ensemble_sha256 and the scenario's config_sha256\n"
            "# still match; otherwise it says 'stale: regenerate with make headlines'.\n")
    return head + yaml.safe_dump(data.model_dump(mode="json"), sort_keys=False, width=120, allow_unicode=True)


def _rounded(x: Any) -> Any:
    if isinstance(x, float):
        return float(f"{x:.6g}")
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


def _entry(cfg: Config, design: Design, summary: Mapping[str, Any], attr: Mapping[str, Any]) -> Entry:
    ens = {k: summary[k] for k in ("pair", "wins", "ratio", "crossover_week", "members", "replicates")}
    ens["single_market"] = {k: summary["single_market"][k]
                            for k in ("ratio", "ratio_low", "ratio_high", "winner", "crossover_week")}
    groups = {k: {f: g[f] for f in ("label", "share", "low", "high")} for k, g in attr["groups"].items()}
    att = {k: attr[k] for k in ("scenario", "replicates", "runs", "pair", "total", "total_low", "total_high",
                                "interval")}
    return Entry.model_validate(_rounded({"config_sha256": config_fingerprint(cfg), "design": design.model_dump(),
                                          "ensemble": ens, "attribution": {**att, "groups": groups}}))


def measure_scenario(cfg: Config, design: Design, out: str | Path, ensemble: Any, *, workers: int = 1,
                     progress: bool = False) -> Entry:
    """Run one scenario's ensemble headline and attribution (resumable in ``out``) and return its entry."""
    from .attribution import explain
    from .ensemble import run_ensemble

    out = Path(out)
    summary = run_ensemble(cfg, ensemble, out / "ensemble", replicates=design.ensemble_replicates,
                           members=design.ensemble_members, workers=workers, progress=progress)
    attr = explain(cfg, out / "explain", replicates=design.attribution_replicates, workers=workers,
                   progress=progress)
    return _entry(cfg, design, summary, attr)


def generate_headlines(scenarios: Sequence[str] | None = None, out: str | Path = "results/headlines", *,
                       file: str | Path | None = None, design: Design | None = None, workers: int = 1,
                       progress: bool = True, log: Callable[[str], None] = print) -> HeadlinesFile:
    """Measure the scenarios (default: every shipped one) and write the headlines file.

    Entries of other scenarios already in the file are kept when they were measured on the same
    source and ensemble; otherwise the file starts over.

    Args:
        scenarios: shipped scenario names.
        out: folder of the runs (resumable: the same command again finishes only the missing runs).
        file: the headlines file (default: the shipped one).
        design: one design for every scenario (default: :data:`DESIGN` / :data:`SCENARIO_DESIGNS`).
        workers: local worker processes.
        progress: progress bars on stderr.
        log: where the per-scenario timing lines go.
    """
    from .. import __version__
    from ..atomic import write_text
    from .ensemble import ENSEMBLE_FILE, load_ensemble

    names = list(scenarios) if scenarios else scenario_names()
    known = scenario_names()
    for n in names:
        if n not in known:
            raise ConfigError(f"--scenarios: {n!r} is not a shipped scenario; allowed: {', '.join(known)}")
    ens = load_ensemble()
    source, ens_sha = source_fingerprint(), ensemble_fingerprint(ENSEMBLE_FILE)
    target = Path(file) if file is not None else HEADLINES_FILE
    try:
        old = load_headlines(target)
    except ConfigError:
        old = None
    entries = dict(old.scenarios) if old and (old.source_sha256, old.ensemble_sha256) == (source, ens_sha) else {}
    for name in names:
        cfg = load_scenario(name)
        d = design or SCENARIO_DESIGNS.get(name, DESIGN)
        t0 = time.perf_counter()
        entries[name] = measure_scenario(cfg, d, Path(out) / name, ens, workers=workers, progress=progress)
        log(f"headlines: {name}: {entries[name].attribution.runs + _ensemble_runs(entries[name])} runs in "
            f"{time.perf_counter() - t0:.0f} s with {workers} worker(s)")
    ordered = {n: entries[n] for n in known if n in entries}
    data = HeadlinesFile(sim_version=__version__, source_sha256=source, ensemble_sha256=ens_sha, scenarios=ordered)
    write_text(target, dump_headlines(data))
    return data


def _ensemble_runs(entry: Entry) -> int:
    return (entry.ensemble.members + 1) * entry.ensemble.replicates


# ============================================================================ for the surfaces
@dataclass(frozen=True)
class Evidence:
    """Whether the shipped measurements apply to a config.

    ``state`` is one of :data:`sim.narrate.evidence.EVIDENCE_STATES`; ``entry`` (a plain dict) is set
    when it is ``measured``, ``reason`` says what changed or is missing.
    """

    scenario: str
    state: str
    entry: dict[str, Any] | None = None
    reason: str = ""

    def lines(self) -> list[str]:
        """The words for it (:func:`sim.narrate.evidence.evidence_lines`)."""
        return evidence_lines(self.scenario, self.state, self.entry, self.reason)


def evidence_for(cfg: Config, path: str | Path | None = None) -> Evidence:
    """The shipped measurement of ``cfg`` if it is a shipped scenario with its shipped settings and still fresh.

    Never raises for a bad or missing file: that is a state too (``missing``), so a summary never fails
    because of it.
    """
    name = cfg.name
    sha = config_fingerprint(cfg)
    shipped = None
    if name in scenario_names():
        try:
            shipped = config_fingerprint(load_scenario(name))
        except ConfigError:
            shipped = None
    if shipped is None:
        return Evidence(name, "changed", reason=f"{name} is not a shipped scenario")
    try:
        data = load_headlines(path)
    except ConfigError as err:
        return Evidence(name, "missing", reason=f"the headlines file cannot be read: {err}")
    if data is None:
        return Evidence(name, "missing", reason="no headlines file")
    entry = data.scenarios.get(name)
    if entry is None:
        return Evidence(name, "missing" if sha == shipped else "changed", reason=f"{name} is not in the headlines file"
                        if sha == shipped else "")
    if sha != entry.config_sha256:
        if sha == shipped:
            return Evidence(name, "stale", reason=f"the shipped scenario {name} changed since it was measured")
        return Evidence(name, "changed")
    if data.source_sha256 != source_fingerprint():
        return Evidence(name, "stale", reason="the model changed since it was measured")
    try:
        current = ensemble_fingerprint()
    except OSError:
        current = None
    if data.ensemble_sha256 != current:
        return Evidence(name, "stale", reason="the calibrated ensemble changed since it was measured")
    return Evidence(name, "measured", entry.model_dump(mode="json"))


# ============================================================================ command line
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.calibration.headlines [--scenarios a,b] [--workers N] [--check]`` (``make headlines``)."""
    from ..experiments.executors import default_workers

    p = argparse.ArgumentParser(prog="python -m sim.calibration.headlines", description=__doc__.splitlines()[0])
    p.add_argument("--scenarios", metavar="A,B", help="shipped scenarios to measure (default: all)")
    p.add_argument("--workers", type=int, default=min(2, default_workers()), help="worker processes (default 2)")
    p.add_argument("--out", type=Path, default=Path("results/headlines"), help="runs folder (resumable)")
    p.add_argument("--file", type=Path, default=None, help="headlines file (default: the shipped one)")
    p.add_argument("--members", type=int, help="one design for all: ensemble members (default: per scenario)")
    p.add_argument("--ensemble-replicates", type=int, help="one design for all: replicates per member")
    p.add_argument("--attribution-replicates", type=int, help="one design for all: replicates of the attribution")
    p.add_argument("--check", action="store_true", help="only say, per shipped scenario, whether it is measured "
                   "and fresh; exit 1 if any is not")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    try:
        if args.check:
            states = {n: evidence_for(load_scenario(n), args.file) for n in scenario_names()}
            for n, ev in states.items():
                print(f"{n:18s} {ev.state}" + (f" ({ev.reason})" if ev.reason else ""))
            return 0 if all(ev.state == "measured" for ev in states.values()) else 1
        design = None
        if any(x is not None for x in (args.members, args.ensemble_replicates, args.attribution_replicates)):
            design = Design(ensemble_members=args.members or DESIGN.ensemble_members,
                            ensemble_replicates=args.ensemble_replicates or DESIGN.ensemble_replicates,
                            attribution_replicates=args.attribution_replicates or DESIGN.attribution_replicates)
        names = [s.strip() for s in args.scenarios.split(",") if s.strip()] if args.scenarios else None
        t0 = time.perf_counter()
        data = generate_headlines(names, args.out, file=args.file, design=design, workers=max(1, args.workers),
                                  progress=not args.quiet)
        print(f"headlines: wrote {args.file or HEADLINES_FILE} ({len(data.scenarios)} scenarios, "
              f"{time.perf_counter() - t0:.0f} s)")
    except (ConfigError, ValidationError) as err:
        print(f"error: {err}".splitlines()[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
