"""`make lab` and `make dashboard`: loopback by default, remote only on request, notebooks saved without outputs.

* The make targets are run for real against a fake ``voila`` and ``jupyter`` (a script that writes
  down its arguments) in a throw-away ``VENV=``, so no server starts and no port opens; ``make -n``
  checks that a refused address stops make before any set-up.
* The pre-save hook of ``notebooks/jupyter_server_config.py`` is tested on its own and through a
  real JupyterLab server on 127.0.0.1 (a notebook with outputs is saved over the REST API, as the
  JupyterLab page does, and read back from disk). The same save through the JupyterLab page in
  Chromium is in ``tests/test_lab.py``.
"""

from __future__ import annotations

import json
import os
import runpy
import secrets
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support import free_port, stop_server

ROOT = Path(__file__).resolve().parent.parent
SERVER_CONFIG = ROOT / "notebooks" / "jupyter_server_config.py"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


# ----------------------------------------------------------------------------------------- make targets
def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without inherited make flags (under `make test` this runs inside make)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return {**env, **extra}


@pytest.fixture
def fake_venv(tmp_path: Path) -> Path:
    """A VENV= folder whose install stamp is current and whose voila/jupyter only record their arguments."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name in ("python", "voila", "jupyter"):
        script = venv / "bin" / name
        script.write_text('#!/bin/sh\nprintf "%s\\n" "$(basename "$0")" "$@" > "$FAKE_ARGS"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    stamp = venv / ".install-stamp"
    stamp.touch()
    newer = (ROOT / "pyproject.toml").stat().st_mtime + 60
    os.utime(stamp, (newer, newer))
    return venv


def run_make(target: str, *args: str, venv: Path, env: dict[str, str] | None = None):
    """Run ``make TARGET ARGS`` with the fake venv; return (completed process, the server's argv or None)."""
    record = venv / "args.txt"
    record.unlink(missing_ok=True)
    proc = subprocess.run(["make", "--no-print-directory", target, f"VENV={venv}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env=_clean_env(FAKE_ARGS=str(record), **(env or {})))
    return proc, (record.read_text().splitlines() if record.exists() else None)


def test_make_lab_opens_jupyterlab_on_loopback_in_notebooks(fake_venv):
    proc, argv = run_make("lab", venv=fake_venv, env={"HOST": "0.0.0.0", "PORT": "1"})  # exported: ignored
    assert proc.returncode == 0, proc.stderr
    assert argv[:2] == ["jupyter", "lab"]
    for flag in ("--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=8888", "--ServerApp.port_retries=0",
                 "--ServerApp.root_dir=notebooks", "--config=notebooks/jupyter_server_config.py"):
        assert flag in argv, flag
    assert ("--allow-root" in argv) == (os.getuid() == 0)   # JupyterLab refuses root without it
    assert "WARNING" not in proc.stderr
    assert (ROOT / "notebooks" / "jupyter_server_config.py").is_file()


def test_make_lab_and_dashboard_take_port_from_the_command_line(fake_venv):
    _, argv = run_make("lab", "PORT=9001", venv=fake_venv)
    assert "--ServerApp.port=9001" in argv and "--ServerApp.ip=127.0.0.1" in argv
    _, argv = run_make("dashboard", "PORT=9002", "HOST=127.0.0.2", venv=fake_venv)
    assert argv[:2] == ["voila", "notebooks/dashboard.ipynb"]
    assert "--port=9002" in argv and "--Voila.ip=127.0.0.2" in argv and "--no-browser" in argv
    assert "--token" not in argv
    _, argv = run_make("dashboard", venv=fake_venv, env={"HOST": "somehost", "PORT": "1"})
    assert "--port=8866" in argv and "--Voila.ip=127.0.0.1" in argv


@pytest.mark.parametrize("target", ["lab", "dashboard"])
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "", "::", "127.evil.example", "my-laptop.local"])
def test_non_loopback_host_is_refused_without_allow_remote(fake_venv, target, host):
    proc, argv = run_make(target, f"HOST={host}", venv=fake_venv)
    assert proc.returncode != 0 and argv is None, "the server was started"
    message = proc.stderr.strip().splitlines()
    assert len(message) == 1, proc.stderr
    assert f"HOST={host} is not a loopback address" in message[0] and "ALLOW_REMOTE=1" in message[0]
    assert "run code in the kernel" in message[0]
    proc, argv = run_make(target, f"HOST={host}", "ALLOW_REMOTE=0", venv=fake_venv)
    assert proc.returncode != 0 and argv is None


@pytest.mark.parametrize("target", ["lab", "dashboard"])
def test_refusal_comes_before_any_setup(target):
    """`make -n` shows nothing at all (no venv creation, no pip) for a refused address or port."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for arg in ("HOST=0.0.0.0", "PORT=http", "PORT=0", "PORT=70000", "PORT=1 2"):
        proc = subprocess.run(["make", "--no-print-directory", "-n", target, arg, "VENV=/nonexistent/venv"],
                              cwd=ROOT, capture_output=True, text=True, env=_clean_env())
        assert proc.returncode != 0 and proc.stdout == "", (arg, proc.stdout)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        name, _, value = arg.partition("=")
        assert f"{name}={value} is not a" in proc.stderr


@pytest.mark.parametrize("target", ["lab", "dashboard"])
def test_allow_remote_serves_with_a_warning(fake_venv, target):
    proc, argv = run_make(target, "HOST=0.0.0.0", "ALLOW_REMOTE=1", venv=fake_venv)
    assert proc.returncode == 0, proc.stderr
    assert ("--ServerApp.ip=0.0.0.0" if target == "lab" else "--Voila.ip=0.0.0.0") in argv
    warning = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warning) == 1, proc.stderr
    assert "0.0.0.0" in warning[0] and "anyone who can reach this address" in warning[0]
    assert "run any code in the kernel" in warning[0]
    if target == "dashboard":
        assert "--token" in argv    # Voila has no token by default: a remote dashboard asks for one


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "::1"])
def test_loopback_hosts_need_no_flag(fake_venv, host):
    proc, argv = run_make("lab", f"HOST={host}", venv=fake_venv)
    assert proc.returncode == 0, proc.stderr
    assert f"--ServerApp.ip={host}" in argv and "WARNING" not in proc.stderr


def test_help_lists_lab_and_dashboard():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                         env=_clean_env(), check=True).stdout
    assert "make lab" in out and "make dashboard" in out and "ALLOW_REMOTE=1" in out


# ----------------------------------------------------------------------------------------- the save hook
def _hook():
    from traitlets.config import Config

    config = Config()
    namespace = runpy.run_path(str(SERVER_CONFIG), init_globals={"get_config": lambda: config})
    return namespace["strip_outputs"], config


def _notebook_with_outputs() -> dict:
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
        "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# title"},
            {"cell_type": "code", "id": "c1", "execution_count": 7, "source": "print(1)",
             "metadata": {"tags": ["keep-me"], "execution": {"iopub.status.idle": "2026-01-01T00:00:00Z"}},
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"},
                         {"output_type": "error", "ename": "E", "evalue": "x", "traceback": []}]},
        ],
    }


def test_strip_outputs_hook():
    strip, config = _hook()
    assert config.ContentsManager.pre_save_hook is strip
    assert "jupyter_server_config.py" in config.ContentsManager.hide_globs
    assert "__pycache__" in config.ContentsManager.hide_globs          # the defaults stay
    model = {"type": "notebook", "format": "json", "content": _notebook_with_outputs()}
    strip(model=model, path="x.ipynb", contents_manager=None)
    nb = model["content"]
    code = nb["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert code["metadata"] == {"tags": ["keep-me"]} and code["source"] == "print(1)"
    assert nb["cells"][0] == _notebook_with_outputs()["cells"][0]
    assert "widgets" not in nb["metadata"] and nb["metadata"]["kernelspec"]["name"] == "python3"
    # other files and odd shapes pass untouched, and never raise
    for other in ({"type": "file", "content": "text"}, {"type": "notebook", "content": None},
                  {"type": "notebook", "content": {"cells": None}}, {"type": "notebook", "content": {"cells": [1]}},
                  {"type": "directory"}, {}):
        before = json.dumps(other)
        strip(model=other, path="y", contents_manager=None)
        assert json.dumps(other) == before




def test_saving_through_jupyterlab_server_strips_outputs(tmp_path):
    if not IN_CI:
        pytest.importorskip("jupyterlab")
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    port, token = free_port(), secrets.token_hex(16)
    log = tmp_path / "lab.log"
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
           f"--config={root / 'jupyter_server_config.py'}", f"--IdentityProvider.token={token}"]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    env = _clean_env(JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    base = f"http://127.0.0.1:{port}/api/contents/"
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}

    def api(method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")

    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                listing = api("GET", "")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within 120 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        names = {item["name"] for item in listing["content"]}
        assert {"consultant_demo.ipynb", "dashboard.ipynb"} <= names
        assert "jupyter_server_config.py" not in names     # hidden from the file browser

        saved = api("PUT", "dashboard.ipynb", {"type": "notebook", "format": "json",
                                               "content": _notebook_with_outputs()})
        assert saved["type"] == "notebook"
        on_disk = json.loads((root / "dashboard.ipynb").read_text())
        code = on_disk["cells"][1]
        assert code["outputs"] == [] and code["execution_count"] is None and "".join(code["source"]) == "print(1)"
        assert "widgets" not in on_disk["metadata"]
        assert "Pre-save hook" not in log.read_text()       # the hook ran without failing
    finally:
        stop_server(proc)
    assert "Overriding existing pre_save_hook" not in log.read_text()
