"""Packaging and setup: one place for pins, and the two setup commands (`make run`, `make test`).

pyproject.toml holds every dependency pinned exactly; environment.yml must mirror the same
(name, version) pairs. The Makefile, .ci/run and README must keep advertising the commands that
set the project up from scratch.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

import sim

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
NAME = canonicalize_name(PROJECT["name"])

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _is_self(req: Requirement) -> bool:
    return canonicalize_name(req.name) == NAME


def _all_requirements() -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in PROJECT.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra]
    return [r for r in reqs if not _is_self(r)]


def _exact_pin(req: Requirement) -> str:
    specs = list(req.specifier)
    assert len(specs) == 1 and specs[0].operator == "==", f"{req}: pin exactly with '=='"
    assert "*" not in specs[0].version, f"{req}: no wildcards in pins"
    return specs[0].version


def pyproject_pins() -> set[tuple[str, str]]:
    """(canonical name, version) for every dependency and optional dependency in pyproject.toml."""
    return {(canonicalize_name(r.name), _exact_pin(r)) for r in _all_requirements()}


def _conda_spec(spec: str) -> tuple[str, str | None]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(?:(==?)\s*([^\s=<>!,]+))?\s*", spec)
    assert m, f"environment.yml: cannot parse conda spec {spec!r}"
    return canonicalize_name(m.group(1)), m.group(3)


def environment() -> tuple[str | None, set[tuple[str, str]]]:
    """(python version, pinned packages) from environment.yml; conda and pip entries together."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "conda-forge" in env.get("channels", []), "environment.yml: use the conda-forge channel"
    python, pins = None, set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            assert set(dep) == {"pip"}, f"environment.yml: unexpected entry {dep}"
            for line in dep["pip"]:
                if line.strip().startswith("-"):  # -e . / --editable . installs the project itself
                    continue
                req = Requirement(line)
                if not _is_self(req):
                    pins.add((canonicalize_name(req.name), _exact_pin(req)))
            continue
        name, version = _conda_spec(str(dep))
        if name == "python":
            python = version
        elif name == "pip":
            continue
        else:
            assert version, f"environment.yml: {dep!r} must be pinned to the pyproject.toml version"
            pins.add((name, version))
    return python, pins


# ------------------------------------------------------------------------------------------ pins
def test_every_dependency_is_pinned_exactly() -> None:
    for req in _all_requirements():
        _exact_pin(req)
        assert not req.marker, f"{req}: keep pins unconditional so both files list the same set"


def test_environment_yml_matches_pyproject() -> None:
    _, env_pins = environment()
    ours = pyproject_pins()
    assert env_pins == ours, (
        f"only in pyproject.toml: {sorted(ours - env_pins)}; only in environment.yml: {sorted(env_pins - ours)}. "
        "Edit the pins in pyproject.toml, then run `make environment.yml`."
    )


def test_one_version_per_package() -> None:
    pins = pyproject_pins()
    names = [n for n, _ in pins]
    assert len(names) == len(set(names)), f"a package is pinned to two versions: {sorted(pins)}"


def test_python_version() -> None:
    spec = SpecifierSet(PROJECT["requires-python"])
    assert "3.12" in spec and "3.11.99" not in spec, f"requires-python {spec}: must be >= 3.12"
    python, _ = environment()
    assert python is not None, "environment.yml must pin python"
    assert Version(python) >= Version("3.12") and python in spec


def test_mesa_is_3_5() -> None:
    versions = dict(pyproject_pins())
    assert "mesa" in versions and versions["mesa"].startswith("3.5"), "Mesa must be pinned to 3.5.x"


def test_dev_extra_covers_the_whole_suite() -> None:
    extras = PROJECT["optional-dependencies"]

    def expand(extra: str) -> set[str]:
        out: set[str] = set()
        for line in extras[extra]:
            req = Requirement(line)
            if _is_self(req):
                for sub in req.extras:
                    out |= expand(sub)
            else:
                out.add(canonicalize_name(req.name))
        return out

    every_extra = set().union(*(expand(e) for e in extras))
    assert expand("dev") == every_extra
    assert {"pytest", "hypothesis", "ruff"} <= expand("dev")


def test_installed_versions_match_pins() -> None:
    """The environment the suite runs in is the pinned one (catches a stale .venv)."""
    wrong = []
    for name, version in sorted(pyproject_pins()):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # a narrower extra (e.g. EXTRAS=test) was installed
        if Version(installed) != Version(version):
            wrong.append(f"{name} {installed} (pinned {version})")
    assert not wrong, f"installed versions differ from pyproject.toml: {wrong}; run `make test` to reinstall"


# ------------------------------------------------------------------------------------- metadata
def test_project_metadata() -> None:
    assert PROJECT["name"] == "relationship-selling-sim"
    assert PROJECT["version"] == sim.__version__
    assert PROJECT["scripts"]["sim"] == "sim.cli:main"
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["sim*"]


def test_pytest_markers_are_declared() -> None:
    markers = {m.split(":")[0].strip() for m in PYPROJECT["tool"]["pytest"]["ini_options"]["markers"]}
    assert {"slow", "browser", "distributed", "validation"} <= markers


# ------------------------------------------------------------------------------------- commands
def _make_env() -> dict[str, str]:
    """Environment for a nested make that ignores settings of an enclosing `make test`."""
    env = dict(os.environ)
    for key in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "VENV", "EXTRAS", "PYTHON", "SCENARIO", "OUT",
                "PY_CANDIDATES", "PYTEST_ARGS"):
        env.pop(key, None)
    return env


def _dry_run(target: str) -> str:
    # -B: show every recipe, including the venv creation and install an up-to-date stamp would skip.
    proc = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, env=_make_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@needs_make
@pytest.mark.parametrize("target", ["run", "test"])
def test_make_sets_up_the_venv(target: str) -> None:
    out = _dry_run(target)
    assert "-m venv" in out
    assert "pip install" in out and "-e '.[dev]'" in out


@needs_make
def test_make_run_runs_the_baseline() -> None:
    assert re.search(r"\.venv/bin/python -m sim run baseline --out results/baseline\b", _dry_run("run"))


@needs_make
def test_make_test_runs_pytest() -> None:
    assert re.search(r"\.venv/bin/python -m pytest\b", _dry_run("test"))


def _fake_checkout(tmp_path: Path) -> Path:
    """A directory with the real Makefile and pyproject.toml and a stand-in .venv/bin/python."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return tmp_path


@needs_make
def test_venv_is_reinstalled_when_pyproject_changes(tmp_path: Path) -> None:
    root = _fake_checkout(tmp_path)
    stamp = root / ".venv" / ".install-stamp"
    stamp.touch()
    os.utime(root / "pyproject.toml", (1_000_000, 1_000_000))
    os.utime(stamp, (2_000_000, 2_000_000))

    def dry(target: str) -> str:
        proc = subprocess.run(["make", "-n", target], cwd=root, env=_make_env(), capture_output=True, text=True,
                              timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert "pip install" not in dry("test"), "stamp is newer than pyproject.toml: nothing to reinstall"
    os.utime(root / "pyproject.toml", (3_000_000, 3_000_000))
    assert "pip install" in dry("test"), "pyproject.toml changed: the install step must run again"


@needs_make
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["PYTHON=/nonexistent/python3.12"], "not a working Python >= 3.12"),
        (["PY_CANDIDATES=/nonexistent/python3.12"], "no Python >= 3.12 found"),
    ],
)
def test_venv_creation_fails_clearly_without_python(tmp_path: Path, args: list[str], message: str) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    proc = subprocess.run(["make", "venv", *args], cwd=tmp_path, env=_make_env(), capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert not (tmp_path / ".venv").exists()


def test_ci_script_runs_make_test() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    commands = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands[-1] == "make test", "CI must end by running exactly `make test`"
    assert "chromium" in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_ci_script_is_valid_bash() -> None:
    proc = subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_readme_gives_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "python -m sim run" in readme and "python -m sim scenarios" in readme


def test_code_passes_the_linter() -> None:
    """`make lint` stays clean: ruff (installed with the test extra) over the package and its tools."""
    try:
        import ruff  # noqa: F401
    except ImportError:
        pytest.skip("ruff is not installed")
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "sim", "tests", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ------------------------------------------------------------------------------------------- wheel
@pytest.mark.slow
def test_wheel_installs_and_runs_from_anywhere(tmp_path: Path) -> None:
    """Build the wheel, install it (with its runtime dependencies) into a fresh venv, run it elsewhere.

    The shipped scenarios are package data, so `sim scenarios` must list every one of them and a short
    `sim run baseline` must work from a directory that is not the checkout.
    """
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "-w", str(dist), str(ROOT)], check=True, cwd=tmp_path)
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    import zipfile

    names = zipfile.ZipFile(wheels[0]).namelist()
    for scenario in sim.scenario_names():
        assert f"sim/configs/{scenario}.yaml" in names, f"{scenario}.yaml is not in the wheel"
    assert any(n.startswith("sim/configs/sweeps/") for n in names)
    assert any(n.startswith("sim/configs/validation/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheels[0])],
                   check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(py), "-c", "import sim; print(sim.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert str(venv) in where and str(ROOT) not in where, where
    listed = subprocess.run([str(py), "-m", "sim", "scenarios"], cwd=elsewhere, env=env,
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    shown = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert shown == set(sim.scenario_names())
    ran = subprocess.run([str(py), "-m", "sim", "run", "baseline", "--weeks", "10", "--customers", "300",
                          "--out", "out", "--quiet"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert (elsewhere / "out" / "summary.json").is_file()
    assert (elsewhere / "out" / "timeseries.parquet").is_file()


def test_scenarios_with_nothing_found_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from sim import cli, config

    monkeypatch.setattr(config, "CONFIG_DIR", tmp_path)
    monkeypatch.setattr(cli, "CONFIG_DIR", tmp_path)
    code = cli.main(["scenarios"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: no shipped scenarios found") and len(err.strip().splitlines()) == 1
