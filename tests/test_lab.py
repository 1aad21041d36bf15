"""Every notebook in real JupyterLab: opened in Chromium, run through the UI, no errors, saved without outputs.

A JupyterLab server (started as ``make lab`` starts it: loopback, ``--config`` with the pre-save
hook) serves a temporary copy of ``notebooks/`` on a free port with a token, so nothing in the
repository gets outputs. Headless Chromium (Debian's, driven by Playwright) opens each notebook,
runs *Run > Run All Cells* from the menu bar, waits until every code cell has its execution count
and the kernel is idle, and checks the page: no error output, no traceback on stderr. Then it
saves the notebook with Ctrl+S and reads the file on disk: no outputs, no execution counts (the
hook), while the page still shows them. Everything is read from the page or the saved file; the
notebooks carry no cells for the test. Screenshots go to ``test-artifacts/lab_<name>.png`` (and a
close-up of the first column of controls to ``lab_<name>_controls.png``).

JupyterLab's user settings live in a temporary folder, with two changes: windowing mode "none"
(every cell stays in the page, so the test can read every prompt; the default detaches or hides
cells that are scrolled away) and the news question answered "no" (its pop-up would cover the
screenshots). The page may only talk to loopback addresses.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support import free_port, stop_server

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
if not IN_CI:  # in CI the notebooks extra is installed: a missing package must fail, never skip
    pytest.importorskip("jupyterlab")
    pytest.importorskip("playwright")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOKS = ["consultant_demo", "dashboard", "student_playground", "researcher_sweeps"]
RUN_TIMEOUT_S = {"researcher_sweeps": 360}
"""Seconds a notebook may take to run (default 180): generous, the machine is shared."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
VIEWPORT = {"width": 1440, "height": 900}
"""A laptop screen, JupyterLab's file browser open on the left as it starts."""

CUT_OFF = r"""() => [...document.querySelectorAll(
        '.jp-OutputArea-output .widget-readout, .jp-OutputArea-output .widget-slider .widget-label')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => (e.innerText || e.textContent).trim())"""
"""Visible slider readouts and labels whose text is wider than their box (cut off or hidden by an ellipsis)."""

KERNEL_READY = r"""() => {
    const bar = document.querySelector('#jp-main-statusbar');
    return !!bar && /\|\s*Idle/.test(bar.textContent)
        && !!document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
}"""
ALL_RUN = r"""() => {
    const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'));
    const errors = document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
    const failed = Array.from(errors).some(e => /Traceback|Error/.test(e.textContent));
    const idle = !!document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
    return idle && prompts.length > 0 && (failed || prompts.every(p => /\[\d+\]/.test(p.textContent)));
}"""
PAGE_STATE = r"""() => ({
    prompts: Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))
        .map(p => p.textContent.trim()),
    stderr: Array.from(document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(e => e.textContent),
    outputs: document.querySelectorAll('.jp-Notebook .jp-OutputArea-output').length,
    images: document.querySelectorAll('.jp-Notebook .jp-OutputArea-output img').length,
    widgets: document.querySelectorAll('.jp-Notebook .jp-OutputArea-output .jupyter-widgets').length,
})"""


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    log: Path

    def api(self, method: str, path: str) -> object:
        req = urllib.request.Request(f"{self.url}api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None




@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on a free loopback port with a token, serving a copy of notebooks/; stopped afterwards."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    settings = tmp / "lab-settings"
    for plugin, values in (("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("apputils-extension/notification", {"fetchNews": "false", "checkForUpdates": False})):
        file = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "lab.log"
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
           "SIM_FIGURES_DIR": str(tmp / "figures"), "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-workspaces")}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
           f"--config={root / 'jupyter_server_config.py'}", f"--IdentityProvider.token={token}"]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}/", token, root, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                server.api("GET", "status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab did not answer within 120 s:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield server
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    from playwright import sync_api  # part of the notebooks extra; never skipped (conftest decides on Chromium)

    pw = sync_api.sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


def _stored_outputs(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return [f"cell {i}" for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]


def _sources(path: Path) -> list[tuple[str, str, list[str]]]:
    cells = json.loads(path.read_text())["cells"]
    return [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in cells]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab_and_saves_without_outputs(lab: Lab, browser, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    path = lab.root / f"{name}.ipynb"
    blocked: list[str] = []

    def only_loopback(route):
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOOPBACK:
            blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.route("**/*", only_loopback)
        page = context.new_page()
        # ?reset: a fresh workspace, only this notebook open
        page.goto(f"{lab.url}lab/tree/{name}.ipynb?reset&token={lab.token}", wait_until="domcontentloaded",
                  timeout=120_000)
        page.wait_for_function(KERNEL_READY, timeout=120_000)

        page.click(".lm-MenuBar-item:has-text('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        page.wait_for_function(ALL_RUN, timeout=RUN_TIMEOUT_S.get(name, 180) * 1000, polling=500)
        state = page.evaluate(PAGE_STATE)
        failures = [t for t in state["stderr"] if "Traceback" in t or "Error" in t]
        assert not failures, f"{name}: error output in JupyterLab:\n" + "\n---\n".join(t[-2000:] for t in failures)
        assert state["prompts"] and all(p.startswith("[") and p[1:-2].isdigit() for p in state["prompts"]), \
            f"{name}: not every cell ran: {state['prompts']}"
        assert state["images"] + state["widgets"] > 0, f"{name}: no figure or widget on the page"

        # screenshot where a reader looks: the controls if there are any, else the first figure
        sliders = page.locator(".jp-OutputArea-output .widget-slider")
        first = sliders.first if sliders.count() else page.locator(".jp-OutputArea-output img").first
        first.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / f"lab_{name}.png"))
        if sliders.count():  # close-up of the first column of controls (are the slider values readable?)
            sliders.first.locator("xpath=../..").screenshot(path=str(ARTIFACTS / f"lab_{name}_controls.png"))
        cut = page.evaluate(CUT_OFF)
        assert not cut, f"{name}: slider values or labels cut off in JupyterLab: {cut}"

        # save through the UI; the stored file has no outputs, the page keeps them
        before = path.stat().st_mtime_ns
        page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.keyboard.press("Control+s")
        page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')", timeout=60_000)
        deadline = time.monotonic() + 30
        while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert path.stat().st_mtime_ns != before, f"{name}: Ctrl+S did not write the file"
        after = page.evaluate(PAGE_STATE)
    finally:
        context.close()
        for session in lab.api("GET", "sessions") or []:   # one kernel at a time on a 2-core machine
            lab.api("DELETE", f"sessions/{session['id']}")

    assert _stored_outputs(path) == [], f"{name}: saved with outputs (pre-save hook not applied)"
    assert _sources(path) == _sources(ROOT / "notebooks" / path.name), f"{name}: cells changed on save"
    assert after["outputs"] == state["outputs"] > 0, "saving cleared the outputs on the page"
    assert "Pre-save hook" not in lab.log.read_text()
    assert (ARTIFACTS / f"lab_{name}.png").stat().st_size > 20_000
    assert all(urlparse(u).hostname not in LOOPBACK for u in blocked)
