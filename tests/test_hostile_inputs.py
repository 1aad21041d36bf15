"""Hostile input, table-driven: every user error is one line on stderr, naming what is wrong, exit 2.

Each case is a command line (with ``{tmp}`` replaced by a scratch folder) and, optionally, files to
write there first. The expected message fragment names the field or argument, the value or what is
allowed. A case fails if the command succeeds, exits with another code, prints more than one line
or a traceback, or leaves the fragment out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import check_one_line_error, write_file

from sim import limits
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b"

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))

# (id, argv, files {name: text | bytes | callable(path)}, fragments expected in the message)
SCENARIO_FILES: list[tuple[str, dict[str, object], list[str]]] = [
    ("not-a-mapping", {"s.yaml": "- 1\n- 2\n"}, ["mapping"]),
    ("bad-syntax", {"s.yaml": "market: {customers: 3\n"}, ["not valid YAML"]),
    ("binary", {"s.yaml": b"\x00\x01\x02binary"}, ["binary"]),
    ("not-utf8", {"s.yaml": "name: caf\xe9\n".encode("latin-1")}, ["not UTF-8", "0xe9"]),
    ("50MB", {"s.yaml": lambda p: os.truncate(p, 50_000_000)}, ["50.0 MB", "at most 1 MB"]),
    ("alias-bomb", {"s.yaml": BOMB}, ["aliases"]),
    ("deep-nesting", {"s.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n"}, ["nested deeper than 32"]),
    ("duplicate-key", {"s.yaml": "weeks: 10\nweeks: 20\n"}, ["duplicate key 'weeks'", "line 2"]),
    ("duplicate-nested-key", {"s.yaml": "market:\n  customers: 100\n  customers: 200\n"}, ["duplicate key 'customers'"]),
    ("python-tag", {"s.yaml": "name: !!python/object/apply:os.system [echo hi]\n"}, ["not valid YAML"]),
    ("extends-directory", {"s.yaml": "extends: sub\n", "sub.yaml/keep": ""}, ["directory"]),
    ("extends-loop", {"s.yaml": "extends: t\n", "t.yaml": "extends: s\n"}, ["loop"]),
    ("extends-chain-1500", {**{f"e{i}.yaml": f"extends: e{i + 1}\n" for i in range(1500)}, "s.yaml": "extends: e0\n"},
     ["chain longer than 16"]),
    ("extends-number", {"s.yaml": "extends: 3\n"}, ["extends = 3"]),
    ("extends-unknown", {"s.yaml": "extends: nowhere\n"}, ["unknown scenario 'nowhere'"]),
    ("unknown-top-key", {"s.yaml": "wekks: 10\n"}, ["wekks", "unknown setting"]),
    ("unknown-market-key", {"s.yaml": "market: {custmers: 10}\n"}, ["market.custmers"]),
    ("unknown-network-key", {"s.yaml": "network: {degree: 3}\n"}, ["network.degree"]),
    ("unknown-strategy-knob", {"s.yaml": "strategies: {mine: {preset: relationship, charm: 1}}\n"}, ["charm"]),
    ("unknown-seller-key", {"s.yaml": "sellers: [{strategy: relationship, cnt: 2}]\n"}, ["cnt"]),
    ("weeks-true", {"s.yaml": "weeks: true\n"}, ["weeks = True", "boolean"]),
    ("customers-false", {"s.yaml": "market: {customers: false}\n"}, ["market.customers", "boolean"]),
    ("pressure-true", {"s.yaml": "strategies: {mine: {preset: relationship, pressure: true}}\n"}, ["pressure", "boolean"]),
    ("weeks-negative", {"s.yaml": "weeks: -5\n"}, ["weeks = -5"]),
    ("weeks-huge", {"s.yaml": "weeks: 1000000000\n"}, ["weeks = 1000000000"]),
    ("weeks-text", {"s.yaml": "weeks: many\n"}, ["weeks = 'many'"]),
    ("weeks-fraction", {"s.yaml": "weeks: 52.5\n"}, ["weeks = 52.5"]),
    ("customers-nan", {"s.yaml": "market: {customers: .nan}\n"}, ["market.customers = nan"]),
    ("price-inf", {"s.yaml": "market: {price: .inf}\n"}, ["market.price = inf", "finite"]),
    ("price-negative", {"s.yaml": "market: {price: -1}\n"}, ["market.price = -1"]),
    ("fit-mean-2", {"s.yaml": "market: {fit_mean: 2}\n"}, ["market.fit_mean = 2"]),
    ("network-kind", {"s.yaml": "network: {kind: ring}\n"}, ["network.kind = 'ring'"]),
    ("degree-over-customers", {"s.yaml": "market: {customers: 20}\nnetwork: {mean_degree: 50}\n"}, ["mean_degree"]),
    ("no-sellers", {"s.yaml": "sellers: []\n"}, ["at least one seller"]),
    ("seller-unknown", {"s.yaml": "sellers: [{strategy: charm}]\n"}, ["'charm'", "allowed"]),
    ("seller-duplicate", {"s.yaml": "sellers: [{strategy: relationship}, {strategy: relationship}]\n"}, ["only one group"]),
    ("seller-count-0", {"s.yaml": "sellers: [{strategy: relationship, count: 0}]\n"}, ["count = 0"]),
    ("sellers-over-200", {"s.yaml": "sellers: [{strategy: relationship, count: 150}, {strategy: numbers_game, count: 150}]\n"},
     ["at most 200"]),
    ("preset-unknown", {"s.yaml": "strategies: {mine: {preset: charm}}\nsellers: [{strategy: mine}]\n"}, ["charm"]),
    ("shadows-preset", {"s.yaml": "strategies: {relationship: {pressure: 0.1}}\n"}, ["clashes with a preset"]),
    ("knob-out-of-range", {"s.yaml": "strategies: {mine: {preset: relationship, pressure: 7}}\n"}, ["pressure = 7"]),
    ("seed-negative", {"s.yaml": "seed: -1\n"}, ["seed = -1"]),
    ("seed-huge", {"s.yaml": f"seed: {2 ** 70}\n"}, ["seed"]),
    ("name-control-chars", {"s.yaml": 'name: "bad\\e[31mred"\n'}, ["name", "control characters"]),
    ("sellers-a-string", {"s.yaml": "sellers: relationship\n"}, ["sellers"]),
    ("market-a-list", {"s.yaml": "market: [1, 2]\n"}, ["market"]),
]

COMMAND_LINES: list[tuple[str, list[str], list[str]]] = [
    ("unknown-scenario", ["run", "no_such_thing"], ["'no_such_thing'", "baseline"]),
    ("scenario-directory", ["run", "{tmp}"], ["is a directory"]),
    ("scenario-missing-file", ["run", "{tmp}/missing.yaml"], ["does not exist"]),
    ("scenario-dev-zero", ["run", "/dev/zero"], ["not a regular file"]),
    ("scenario-path-trick", ["run", "{tmp}/../../../../../../etc"], ["is a directory"]),
    ("scenario-control-chars", ["run", f"evil{ESC}[2J"], ["\\x1b"]),
    ("replicates-1e30", ["run", "baseline", "--replicates", "1e30"], ["--replicates = '1e30'", "whole number"]),
    ("replicates-0", ["run", "baseline", "--replicates", "0"], ["--replicates = 0"]),
    ("replicates-negative", ["run", "baseline", "--replicates", "-3"], ["--replicates"]),
    ("replicates-over-limit", ["run", "baseline", "--replicates", "5000"], ["at most 1000", "--allow-large"]),
    ("weeks-text", ["run", "baseline", "--weeks", "many"], ["--weeks = 'many'"]),
    ("weeks-zero", ["run", "baseline", "--weeks", "0"], ["--weeks = 0"]),
    ("weeks-huge", ["run", "baseline", "--weeks", "99999"], ["weeks = 99999"]),
    ("weeks-float", ["run", "baseline", "--weeks", "5.5"], ["--weeks = '5.5'"]),
    ("customers-few", ["run", "baseline", "--customers", "5"], ["market.customers = 5"]),
    ("customers-billion", ["run", "baseline", "--customers", "1000000000"], ["market.customers = 1000000000"]),
    ("sellers-1", ["run", "baseline", "--sellers", "1"], ["sellers"]),
    ("sellers-1000", ["run", "baseline", "--sellers", "1000"], ["sellers"]),
    ("seed-negative", ["run", "baseline", "--seed", "-1"], ["--seed = -1"]),
    ("set-no-equals", ["run", "baseline", "--set", "market.price"], ["market.price"]),
    ("set-empty-key", ["run", "baseline", "--set", "=3"], ["empty key"]),
    ("set-unknown", ["run", "baseline", "--set", "market.nope=1"], ["unknown setting 'nope'"]),
    ("set-typo-strategy", ["run", "baseline", "--set", "strategies.relationshp.pressure=0.5"], ["unknown strategy"]),
    ("set-preset-knob", ["run", "baseline", "--set", "strategies.relationship.pressure=0.5"], ["is a preset"]),
    ("set-nan", ["run", "baseline", "--set", "market.price=.nan"], ["market.price = nan"]),
    ("set-inf", ["run", "baseline", "--set", "market.price=.inf"], ["market.price = inf"]),
    ("set-bool-as-int", ["run", "baseline", "--set", "weeks=true"], ["boolean"]),
    ("set-double-dot", ["run", "baseline", "--set", "market..price=1"], ["empty part"]),
    ("set-network-kind", ["run", "baseline", "--set", "network.kind=ring"], ["network.kind = 'ring'"]),
    ("set-huge-number", ["run", "baseline", "--set", "market.customers=1e308"], ["market.customers"]),
    ("out-empty", ["run", "baseline", "--out", ""], ["--out = ''"]),
    ("out-control-chars", ["run", "baseline", "--out", f"x{ESC}y"], ["control characters"]),
    ("out-is-a-file", ["run", "baseline", "--weeks", "2", "--out", "{tmp}/file.txt"], ["not a folder"]),
    ("unknown-flag", ["run", "baseline", "--bogus"], ["--bogus"]),
    ("no-command", [], ["required"]),
    ("unknown-command", ["frobnicate"], ["invalid choice: 'frobnicate'"]),
    ("scenarios-extra-arg", ["scenarios", "extra"], ["unrecognized arguments: extra"]),
]


def _write(tmp: Path, files: dict[str, object]) -> None:
    for name, content in files.items():
        write_file(tmp / name, content)


def _check(capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]) -> None:
    check_one_line_error(main, capsys, argv, fragments)


@pytest.mark.parametrize("files, fragments", [c[1:] for c in SCENARIO_FILES], ids=[c[0] for c in SCENARIO_FILES])
def test_hostile_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, object],
                               fragments: list[str]) -> None:
    _write(tmp_path, files)
    _check(capsys, ["run", str(tmp_path / "s.yaml"), "--weeks", "2", "--no-plots", "--out", str(tmp_path / "o")],
           fragments)


@pytest.mark.parametrize("argv, fragments", [c[1:] for c in COMMAND_LINES], ids=[c[0] for c in COMMAND_LINES])
def test_hostile_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                              fragments: list[str]) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    _check(capsys, [a.replace("{tmp}", str(tmp_path)) for a in argv], fragments)


def test_memory_refused_up_front(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """2,000,000 customers x 200 sellers needs about 9.7 GB: refused on a machine with 4 GB available."""
    monkeypatch.setattr(limits, "available_memory", lambda: 4e9)
    _check(capsys, ["run", "baseline", "--customers", "2000000", "--sellers", "200"],
           ["2000000 x 200 sellers", "9.", "GB", "--allow-large"])


def test_memory_estimate_matches_the_measured_peak() -> None:
    """The estimate reproduces the 9.7 GB measured for 2,000,000 x 200 (benchmarks/bench_memory.py)."""
    assert 9.0e9 < limits.estimate_memory(2_000_000, 200, weeks=520) < 10.5e9
    assert limits.estimate_memory(2000, 4) < limits.estimate_memory(20_000, 4) < limits.estimate_memory(20_000, 40)


def test_python_api_errors_are_config_errors() -> None:
    import sim

    for bad in ({"weeks": True}, {"market.price": float("nan")}, {"strategies.nope.pressure": 1}, {"": 1}):
        with pytest.raises(sim.ConfigError):
            sim.load_scenario("baseline", bad)


def test_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe garbage")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(bad)], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
