"""Hostile input to ``sweep`` and ``analyze``, table-driven: one line on stderr, naming what is wrong, exit 2.

Each sweep-file case writes ``s.yaml`` (text, bytes, or a function that makes the file) into a
scratch folder and runs ``python -m sim sweep s.yaml --dry-run`` in process (:func:`sim.cli.main`);
each command-line case runs its argv with ``{tmp}`` replaced by the scratch folder and ``{done}``
by a finished tiny sweep. A case fails if the command succeeds, exits with another code, prints
more than one line or a traceback, lets a control character through, or leaves out a fragment
of the expected message. ``test_counts`` states how many inputs the tables hold.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import check_one_line_error, write_file

from sim import experiments as sw
from sim import limits
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b"

BASE = "scenario: baseline\nset: {weeks: 10, market.customers: 200}\n"
LEVER = "levers: {relationship.pressure: {low: 0.1, high: 0.5}}\n"
GRID = "design: {kind: grid}\n"
OK = BASE + LEVER + GRID
BOMB = "set:\n  a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9))
ELEVEN = "".join(f"  relationship.{k}: {{low: 0.0, high: 1.0, levels: 10}}\n" for k in
                 ("pressure", "follow_up", "asks_referrals", "invites_reviews", "prospecting_share"))
ELEVEN = "levers:\n" + ELEVEN + "uncertainties:\n" + "".join(
    f"  market.{k}: {{low: {lo}, high: {hi}, levels: 10}}\n" for k, lo, hi in
    (("skepticism_mean", 0.0, 0.9), ("trust_threshold", 0.1, 0.9), ("wom_weight", 0.0, 1.0),
     ("review_readers", 0.0, 1.0), ("referral_rate", 0.0, 0.5), ("fit_mean", 0.1, 0.9)))

# (id, content of s.yaml, fragments expected in the one-line message)
SWEEP_FILES: list[tuple[str, object, list[str]]] = [
    # --- the file itself
    ("empty-file", "", ["must be a mapping"]),
    ("not-a-mapping", "- 1\n- 2\n", ["must be a mapping"]),
    ("bad-syntax", "levers: [1, 2\n", ["not valid YAML"]),
    ("binary", b"\x00\x01\x02binary", ["binary"]),
    ("not-utf8", "name: caf\xe9\n".encode("latin-1"), ["not UTF-8", "0xe9"]),
    ("50MB", lambda p: os.truncate(p, 50_000_000), ["50.0 MB", "at most 1 MB"]),
    ("alias-bomb-in-set", BASE.replace("set: {weeks: 10, market.customers: 200}\n", "") + BOMB + LEVER + GRID,
     ["more than 64 YAML aliases"]),
    ("deep-nesting", OK + "set: " + "[" * 5000 + "]" * 5000 + "\n", ["nested deeper than 32"]),
    ("duplicate-top-key", OK + "replicates: 2\nreplicates: 3\n", ["duplicate key 'replicates'", "line"]),
    ("duplicate-factor", BASE + GRID + "levers:\n  relationship.pressure: [0.1]\n  relationship.pressure: [0.2]\n",
     ["duplicate key 'relationship.pressure'"]),
    ("python-tag", OK + "name: !!python/object/apply:os.system [echo hi]\n", ["not valid YAML"]),
    # --- unknown keys at every level
    ("unknown-top-key", OK + "replicate: 3\n", ["replicate: unknown setting", "replicates"]),
    ("unknown-design-key", BASE + LEVER + "design: {kind: grid, step: 2}\n", ["design.step: unknown setting"]),
    ("unknown-factor-key", BASE + GRID + "levers: {relationship.pressure: {low: 0, high: 1, step: 2}}\n",
     ["levers.relationship.pressure.step: unknown setting"]),
    ("unknown-set-key", OK.replace("market.customers: 200", "market.custmers: 200"),
     ["set.market.custmers", "unknown parameter 'custmers'"]),
    ("unknown-knob", BASE + GRID + "levers: {relationship.charm: [0.1, 0.2]}\n", ["unknown strategy knob 'charm'"]),
    ("unknown-group", BASE + GRID + "levers: {charmer.pressure: [0.1, 0.2]}\n", ["levers.charmer.pressure",
                                                                                "unknown parameter"]),
    ("unknown-uncertainty", BASE + GRID + "uncertainties: {market.luck: [0.1, 0.2]}\n", ["unknown parameter 'luck'"]),
    ("unknown-section", BASE + GRID + "uncertainties: {weather.rain: [0.1, 0.2]}\n", ["unknown parameter"]),
    ("unknown-outcome", OK + "outcomes: [revenue_ratio, relationship.revenue_totl]\n",
     ["unknown outcome 'relationship.revenue_totl'", "did you mean"]),
    ("non-string-key", OK + "1: 2\n", ["1 = 1", "Keys should be strings"]),
    # --- booleans given as numbers
    ("replicates-true", OK + "replicates: true\n", ["replicates = True", "boolean"]),
    ("levels-true", BASE + LEVER + "design: {kind: grid, levels: true}\n", ["design.levels = True", "boolean"]),
    ("low-true", BASE + GRID + "levers: {relationship.pressure: {low: true, high: 0.5}}\n",
     ["levers.relationship.pressure.low = True", "boolean"]),
    ("samples-true", BASE + LEVER + "design: {kind: lhs, samples: true}\n", ["design.samples = True", "boolean"]),
    ("seed-false", OK + "seed: false\n", ["seed = False", "boolean"]),
    ("set-weeks-true", OK.replace("weeks: 10", "weeks: true"), ["weeks", "boolean"]),
    # --- NaN, infinity, huge and negative numbers, wrong types
    ("low-nan", BASE + GRID + "levers: {relationship.pressure: {low: .nan, high: 0.5}}\n",
     ["levers.relationship.pressure.low = nan", "finite"]),
    ("high-inf", BASE + GRID + "levers: {relationship.pressure: {low: 0.1, high: .inf}}\n",
     ["levers.relationship.pressure.high = inf", "finite"]),
    ("values-nan", BASE + GRID + "levers: {relationship.pressure: [0.1, .nan]}\n",
     ["levers.relationship.pressure.values.1 = nan", "NaN"]),
    ("duplicate-section", OK + "set: {market.price: 10}\n", ["duplicate key 'set'"]),
    ("set-price-nan", OK.replace("market.customers: 200", "market.customers: 200, market.price: .nan"),
     ["market.price = nan"]),
    ("set-customers-huge", OK.replace("market.customers: 200", "market.customers: 1000000000"),
     ["market.customers = 1000000000"]),
    ("replicates-negative", OK + "replicates: -3\n", ["replicates = -3", "greater than or equal to 1"]),
    ("replicates-1e30", OK + "replicates: 1e30\n", ["replicates = '1e30'", "valid integer"]),
    ("replicates-float-1e30", OK + "replicates: 1.0e+30\n", ["replicates = 1e+30"]),
    ("replicates-text", OK + "replicates: many\n", ["replicates = 'many'"]),
    ("replicates-fraction", OK + "replicates: 2.5\n", ["replicates = 2.5"]),
    ("seed-negative", OK + "seed: -1\n", ["seed = -1"]),
    ("seed-huge", OK + f"seed: {2 ** 70}\n", ["seed = 1180591620717411303424"]),
    ("scenario-number", OK.replace("scenario: baseline", "scenario: 3"), ["scenario = 3", "valid string"]),
    ("levers-a-list", BASE + GRID + "levers: [relationship.pressure]\n", ["levers", "valid dictionary"]),
    ("design-a-string", BASE + LEVER + "design: grid\n", ["design", "valid dictionary"]),
    ("name-control-chars", OK + 'name: "bad\\e[31mred"\n', ["name", "control characters"]),
    # --- ranges and values
    ("bounds-reversed", BASE + GRID + "levers: {relationship.pressure: {low: 0.7, high: 0.1}}\n", ["is above high"]),
    ("empty-range", BASE + GRID + "levers: {relationship.pressure: {low: 0.5, high: 0.5}}\n", ["empty range"]),
    ("half-a-range", BASE + GRID + "levers: {relationship.pressure: {low: 0.1}}\n", ["needs both low and high"]),
    ("out-of-bounds", BASE + GRID + "levers: {relationship.pressure: {low: 0.1, high: 1.7}}\n",
     ["levers.relationship.pressure.high = 1.7", "allowed: 0..1"]),
    ("empty-values", BASE + GRID + "levers: {relationship.pressure: []}\n", ["empty list"]),
    ("repeated-values", BASE + GRID + "levers: {relationship.pressure: [0.1, 0.1]}\n", ["listed twice"]),
    ("range-on-a-choice", BASE + GRID + "uncertainties: {network.kind: {low: 0, high: 1}}\n", ["not numeric"]),
    ("bad-choice", BASE + GRID + "uncertainties: {network.kind: [small_world, ring]}\n", ["'ring'"]),
    ("market-as-lever", BASE + GRID + "levers: {market.price: {low: 10, high: 50}}\n", ["levers are strategy knobs"]),
    ("knob-as-uncertainty", BASE + GRID + "uncertainties: {relationship.pressure: {low: 0.1, high: 0.5}}\n",
     ["uncertainties are market or network settings"]),
    ("no-factors", BASE + GRID, ["at least one factor"]),
    ("seed-in-set", OK.replace("weeks: 10", "weeks: 10, seed: 3"), ["set.seed"]),
    # --- designs and sizes
    ("unknown-design", BASE + LEVER + "design: {kind: factorial}\n", ["design.kind = 'factorial'"]),
    ("missing-design", BASE + LEVER, ["design: required setting is missing"]),
    ("sobol-not-power-of-2", BASE + LEVER + "design: {kind: sobol, samples: 10}\n", ["power of 2"]),
    ("sobol-with-values", BASE + "design: {kind: sobol, samples: 8}\n" + LEVER
     + "uncertainties: {network.kind: [small_world, none]}\n", ["every factor needs a numeric range"]),
    ("lhs-without-samples", BASE + LEVER + "design: {kind: lhs}\n", ["needs samples"]),
    ("levels-huge", BASE + LEVER + "design: {kind: grid, levels: 1000000}\n", ["design.levels = 1000000",
                                                                              "less than or equal to 1000"]),
    ("grid-1e11-points", BASE + GRID + "replicates: 2\n" + ELEVEN,
     ["100,000,000,000 points x 2 replicates = 200,000,000,000 runs", "at most 1,000,000 runs", "--allow-large"]),
    ("lhs-samples-huge", BASE + LEVER + "design: {kind: lhs, samples: 10000000}\n", ["design.samples = 10000000"]),
    ("lhs-runs-over-limit", BASE + LEVER + "design: {kind: lhs, samples: 600000}\nreplicates: 2\n",
     ["Latin hypercube of samples = 600,000 points x 2 replicates = 1,200,000 runs", "--allow-large"]),
    ("sobol-points-over-limit", BASE + "design: {kind: sobol, samples: 524288}\n" + LEVER
     + "uncertainties: {market.skepticism_mean: {low: 0.1, high: 0.5}}\n",
     ["Sobol samples = 524288 x (k + 2 = 4, for k = 2 factors) = 2,097,152 points x 1 replicate = 2,097,152 runs"]),
    ("replicates-over-limit", OK + "replicates: 5000\n", ["replicates = 5000", "at most 1000", "--allow-large"]),
    # --- where the base scenario comes from
    ("scenario-unknown", OK.replace("scenario: baseline", "scenario: nope"), ["unknown scenario 'nope'"]),
    ("scenario-dev-zero", OK.replace("scenario: baseline", "scenario: /dev/zero"), ["not a regular file"]),
    ("scenario-path-trick", OK.replace("scenario: baseline", "scenario: ../../../../../../../../etc"),
     ["is a directory"]),
    ("scenario-one-seller-group", OK.replace("scenario: baseline", "scenario: one.yaml"),
     ["at least two seller groups"]),
]

COMMAND_LINES: list[tuple[str, list[str], list[str]]] = [
    ("sweep-file-missing", ["sweep", "{tmp}/missing.yaml"], ["does not exist", "smoke"]),
    ("sweep-name-unknown", ["sweep", "no_such_sweep"], ["'no_such_sweep' does not exist"]),
    ("sweep-file-directory", ["sweep", "{tmp}"], ["is a directory"]),
    ("sweep-file-dev-zero", ["sweep", "/dev/zero"], ["not a regular file"]),
    ("sweep-file-path-trick", ["sweep", "{tmp}/../../../../../../../etc"], ["is a directory"]),
    ("sweep-file-empty-name", ["sweep", ""], ["SWEEP_YAML = ''"]),
    ("sweep-file-control-chars", ["sweep", f"evil{ESC}[2J.yaml"], ["control characters"]),
    ("scheduler-empty", ["sweep", "{ok}", "--scheduler", ""], ["--scheduler = ''", "tcp://HOST:PORT"]),
    ("scheduler-blank", ["sweep", "{ok}", "--scheduler", "   "], ["--scheduler = '   '"]),
    ("scheduler-port-huge", ["sweep", "{ok}", "--scheduler", "tcp://127.0.0.1:99999"], ["port 99999"]),
    ("scheduler-garbage", ["sweep", "{ok}", "--scheduler", "not an address!"], ["not an address"]),
    ("scheduler-control-chars", ["sweep", "{ok}", "--scheduler", f"tcp://h{ESC}:1"], ["--scheduler"]),
    ("out-empty", ["sweep", "{ok}", "--out", ""], ["--out = ''"]),
    ("out-control-chars", ["sweep", "{ok}", "--out", f"x{ESC}y"], ["control characters"]),
    ("out-is-a-file", ["sweep", "{ok}", "--dry-run", "--out", "{tmp}/file.txt"], ["not a folder"]),
    ("out-under-a-file", ["sweep", "{ok}", "--workers", "1", "--quiet", "--out", "{tmp}/file.txt/sub"],
     ["--out", "cannot create the folder"]),
    ("out-foreign-folder", ["sweep", "{ok}", "--dry-run", "--out", "{foreign}"], ["not empty", "no sweep.json"]),
    ("out-other-sweep", ["sweep", "{other}", "--dry-run", "--out", "{done}"], ["different sweep", "changed"]),
    ("workers-0", ["sweep", "{ok}", "--workers", "0"], ["--workers = 0", "at least 1"]),
    ("workers-negative", ["sweep", "{ok}", "--workers", "-1"], ["--workers = -1"]),
    ("workers-text", ["sweep", "{ok}", "--workers", "abc"], ["--workers = 'abc'", "whole number"]),
    ("workers-float", ["sweep", "{ok}", "--workers", "1e3"], ["--workers = '1e3'"]),
    ("workers-huge", ["sweep", "{ok}", "--workers", "100000"], ["--workers = 100000", "at most 512"]),
    ("chunk-0", ["sweep", "{ok}", "--chunk", "0"], ["--chunk = 0"]),
    ("chunk-text", ["sweep", "{ok}", "--chunk", "lots"], ["--chunk = 'lots'"]),
    ("chunk-huge", ["sweep", "{ok}", "--chunk", "99999999"], ["--chunk = 99999999", "at most 10000"]),
    ("worker-timeout-nan", ["sweep", "{ok}", "--worker-timeout", "nan"], ["--worker-timeout = nan"]),
    ("worker-timeout-negative", ["sweep", "{ok}", "--worker-timeout", "-5"], ["--worker-timeout = -5"]),
    ("unknown-flag", ["sweep", "{ok}", "--bogus"], ["--bogus"]),
    ("analyze-missing-folder", ["analyze", "{tmp}/nowhere"], ["no such folder"]),
    ("analyze-not-a-sweep", ["analyze", "{tmp}"], ["not a sweep folder", "no sweep.json"]),
    ("analyze-a-file", ["analyze", "{tmp}/file.txt"], ["is a file"]),
    ("analyze-empty-name", ["analyze", ""], ["DIR = ''"]),
    ("analyze-unknown-outcome", ["analyze", "{done}", "--outcome", "nope", "--no-plots"],
     ["--outcome 'nope'", "not a numeric outcome"]),
    ("analyze-label-outcome", ["analyze", "{done}", "--outcome", "leader_final", "--no-plots"],
     ["--outcome 'leader_final'"]),
    ("analyze-garbled-sweep-json", ["analyze", "{garbled}", "--no-plots"], ["sweep.json: unreadable"]),
    ("analyze-sweep-json-a-list", ["analyze", "{listjson}", "--no-plots"], ["sweep.json: unreadable"]),
    ("analyze-damaged-design", ["analyze", "{nodesign}", "--no-plots"], ["design.parquet: unreadable",
                                                                        "run the same sweep command again"]),
    ("analyze-no-runs", ["analyze", "{noruns}", "--no-plots"], ["no finished runs yet"]),
    ("analyze-extra-arg", ["analyze", "{done}", "extra"], ["unrecognized arguments: extra"]),
]




def _check(capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]) -> str:
    return check_one_line_error(main, capsys, argv, fragments)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A finished 2-run sweep, copies of it with a damaged sweep.json / design, and a foreign folder."""
    tmp = tmp_path_factory.mktemp("hostile_sweeps")
    ok = tmp / "ok.yaml"
    ok.write_text("name: ok\n" + OK.replace("{low: 0.1, high: 0.5}", "[0.1, 0.5]"), encoding="utf-8")
    other = tmp / "other.yaml"
    other.write_text("name: ok\n" + OK.replace("{low: 0.1, high: 0.5}", "[0.1, 0.6]"), encoding="utf-8")
    done = tmp / "done"
    assert sw.run_sweep(sw.plan_sweep(*sw.load_sweep(ok)), done, progress=False).complete
    folders = {"ok": str(ok), "other": str(other), "done": str(done)}
    for name, damage in (("garbled", lambda d: (d / "sweep.json").write_text("{not json")),
                         ("listjson", lambda d: (d / "sweep.json").write_text("[1, 2]")),
                         ("nodesign", lambda d: (d / "design.parquet").write_bytes(b"PAR1 garbage")),
                         ("noruns", lambda d: shutil.rmtree(d / "runs"))):
        copy = tmp / name
        shutil.copytree(done, copy)
        damage(copy)
        folders[name] = str(copy)
    foreign = tmp / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    folders["foreign"] = str(foreign)
    return folders


@pytest.mark.parametrize("content, fragments", [c[1:] for c in SWEEP_FILES], ids=[c[0] for c in SWEEP_FILES])
def test_hostile_sweep_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object,
                            fragments: list[str]) -> None:
    (tmp_path / "one.yaml").write_text("extends: baseline\nsellers: [{strategy: relationship, count: 2}]\n")
    write_file(tmp_path / "s.yaml", content)
    _check(capsys, ["sweep", str(tmp_path / "s.yaml"), "--dry-run", "--out", str(tmp_path / "o")], fragments)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv, fragments", [c[1:] for c in COMMAND_LINES], ids=[c[0] for c in COMMAND_LINES])
def test_hostile_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], folders: dict[str, str],
                              argv: list[str], fragments: list[str]) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    names = {"tmp": str(tmp_path), **folders}
    before = {p: p.stat().st_mtime_ns for p in Path(folders["done"]).rglob("*") if p.is_file()}
    _check(capsys, [a.format(**names) if "{" in a else a for a in argv], fragments)
    after = {p: p.stat().st_mtime_ns for p in Path(folders["done"]).rglob("*") if p.is_file()}
    assert after == before    # a refused command never touches existing results


def test_memory_refused_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """2,000,000 customers x 200 sellers needs about 9.7 GB a run: refused before any run, even the probe."""
    monkeypatch.setattr(limits, "available_memory", lambda: 4e9)
    path = tmp_path / "s.yaml"
    path.write_text(OK.replace("market.customers: 200", "market.customers: 2000000, sellers: 200"))
    line = _check(capsys, ["sweep", str(path), "--dry-run", "--workers", "1"], ["GB", "4.0 GB available",
                                                                                "--allow-large"])
    assert "2000000 x 200 sellers" in line


def test_memory_of_the_workers_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """One run fits, eight at once do not: the message names the worker processes."""
    monkeypatch.setattr(limits, "available_memory", lambda: 4e9)
    path = tmp_path / "s.yaml"
    path.write_text(OK.replace("market.customers: 200", "market.customers: 1000000"))
    _check(capsys, ["sweep", str(path), "--dry-run", "--workers", "8"], ["8 worker processes", "--allow-large"])
    assert main(["sweep", str(path), "--dry-run", "--workers", "1"]) == 0


def test_grid_of_1e11_points_uses_little_memory(tmp_path: Path) -> None:
    """Refused at once, even with --allow-large (the table could never fit): in a fresh process, under 1 GB."""
    path = tmp_path / "big.yaml"
    path.write_text(BASE + GRID + ELEVEN, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for extra in ([], ["--allow-large"]):
        # peak resident memory of this process's own address space (VmHWM): getrusage's ru_maxrss would also
        # count the pytest process it was forked from (Linux keeps the high-water mark across exec)
        code = ("import re, sys; from sim.cli import main; rc = main(sys.argv[1:]); "
                "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); sys.exit(rc)")
        proc = subprocess.run([sys.executable, "-c", code, "sweep", str(path), "--dry-run", *extra],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "100,000,000,000 points" in proc.stderr
        # kB: the import is about 220 MB (more if numba compiles the kernels); the grid would need 76,800 GB
        assert int(proc.stdout.split()[-1]) < 1_000_000, proc.stdout


def test_standalone_entry_point_is_one_line_too(tmp_path: Path) -> None:
    """``python -m sim.experiments`` (its own parser) prints usage errors and bad files in one line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe garbage")
    for argv in (["sweep", str(bad)], ["sweep", "smoke", "--workers", "zero"], ["analyze", str(tmp_path)],
                 ["sweep", "smoke", "--scheduler", ""]):
        proc = subprocess.run([sys.executable, "-m", "sim.experiments", *argv], capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 2, (argv, proc.stderr)
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_counts() -> None:
    """The tables hold at least 30 hostile inputs (the issue asks for 60 over all commands)."""
    n = len(SWEEP_FILES) + len(COMMAND_LINES)
    print(f"hostile sweep/analyze inputs: {len(SWEEP_FILES)} sweep files + {len(COMMAND_LINES)} command lines = {n}")
    assert n >= 60
    assert len({c[0] for c in SWEEP_FILES}) == len(SWEEP_FILES)
    assert len({c[0] for c in COMMAND_LINES}) == len(COMMAND_LINES)


def test_analysis_summary_is_json(folders: dict[str, str]) -> None:
    """The finished fixture sweep analyses cleanly (the hostile cases above start from a good folder)."""
    assert main(["analyze", folders["done"], "--no-plots", "--quiet"]) == 0
    summary = json.loads((Path(folders["done"]) / "analysis" / "summary.json").read_text())
    assert summary["runs_on_disk"] == 2
