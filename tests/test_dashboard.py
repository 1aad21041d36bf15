"""The consultant dashboard: its Python side, `make dashboard`, and the real thing in headless Chromium.

The browser test starts Voila itself on a free loopback port, opens the page in Debian's Chromium
driven by Playwright, moves a slider with the keyboard and checks that the headline numbers and the
figures change; it leaves a screenshot in ``test-artifacts/dashboard.png``. The page may only talk to
loopback addresses: any other request (Voila's template asks a CDN for icon fonts) is aborted.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

import sim

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
if not IN_CI:  # in CI the notebooks extra is installed: a missing package must fail, never skip
    pytest.importorskip("ipywidgets")
    pytest.importorskip("voila")

from sim.ui import ConsultantDashboard, export_figures, story_markdown  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "dashboard.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


# ----------------------------------------------------------------------------------------- python side
@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> ConsultantDashboard:
    return ConsultantDashboard("two_cobblers", export_dir=tmp_path_factory.mktemp("figures"))


def test_dashboard_tells_the_scenarios_story(dashboard):
    direct = sim.run(sim.load_scenario("two_cobblers"))
    assert dashboard.runs == 1 and dashboard.error is None
    assert dashboard.results.summary["leader_final"] == direct.summary["leader_final"]
    assert dashboard.results.summary["revenue_ratio"] == pytest.approx(direct.summary["revenue_ratio"])
    head = dashboard.headline.value
    for text in ("Leader after 1 year", "Leader after 10 years", "Crossover week", "Revenue ratio"):
        assert text in head
    for image in (dashboard.revenue_image, dashboard.sources_image, dashboard.why_image):
        assert image.value[:4] == b"\x89PNG"
    story = story_markdown(direct.summary, direct.config)
    assert "After one year" in story and "After 10 years" in story and "repeat customers" in story
    assert "After one year" in dashboard.story.value and "<b>Why</b>" in dashboard.story.value


def test_dashboard_knob_reruns_and_reset_restores(dashboard):
    before = dashboard.summary()
    dashboard.panel.set("strategy.1.minutes_per_contact", 8.0)
    assert dashboard.runs == 2
    assert dashboard.summary()["revenue_total"] != before["revenue_total"]
    assert set(dashboard.summary()["revenue_total"]) == {"numbers_game", "relationship"}  # tuned name shown as usual
    dashboard.panel.reset()
    assert dashboard.summary() == before


def test_export_writes_png_and_svg(dashboard, tmp_path):
    paths = dashboard.export(tmp_path / "slides")
    names = {p.name for p in paths}
    for base in ("cumulative_revenue", "cumulative_referrals", "funnel", "sales_by_source", "revenue_story", "why"):
        assert {f"{base}.png", f"{base}.svg"} <= names
    assert all(p.stat().st_size > 1000 for p in paths)
    assert (tmp_path / "slides" / "why.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert "Wrote 12 files" in dashboard.export_status.value
    assert export_figures(dashboard.results, tmp_path / "again", formats=("png",))[0].suffix == ".png"


def test_make_dashboard_serves_the_notebook_with_voila():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # Under `make test` this runs inside a recursive make: drop the inherited flags (which add
    # "Entering/Leaving directory" lines) and pick the voila line itself.
    clean = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    lines = subprocess.run(["make", "--no-print-directory", "-n", "dashboard", "PORT=9123", "HOST=127.0.0.2"],
                           cwd=ROOT, capture_output=True, text=True, check=True, env=clean).stdout.splitlines()
    out = next((line for line in lines if "voila " in line), "\n".join(lines))
    assert "voila notebooks/dashboard.ipynb" in out and "--no-browser" in out
    assert "--port=9123" in out and "--Voila.ip=127.0.0.2" in out
    default = subprocess.run(["make", "--no-print-directory", "-n", "dashboard"], cwd=ROOT, capture_output=True,
                             text=True, check=True, env={**clean, "HOST": "somehost", "PORT": "1"}).stdout
    assert "--port=8866" in default and "--Voila.ip=127.0.0.1" in default


# ----------------------------------------------------------------------------------------- browser
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"voila did not listen on port {port} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    """Voila serving notebooks/dashboard.ipynb on a free loopback port; stopped after the test."""
    port = _free_port()
    log = tmp_path / "voila.log"
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
           "SIM_FIGURES_DIR": str(tmp_path / "figures")}
    cmd = [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--Voila.port_retries=0"]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_listening(port, proc, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)     # Voila shuts its kernels down on Ctrl-C
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.mark.browser
def test_dashboard_in_a_real_browser(voila_url: str, chromium_path: Path):
    from playwright import sync_api  # part of the notebooks extra; never skipped (conftest decides on Chromium)

    ARTIFACTS.mkdir(exist_ok=True)
    blocked: list[str] = []

    def only_loopback(route):
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOOPBACK:
            blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 2000})
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.goto(voila_url, wait_until="domcontentloaded", timeout=120_000)

            def status_says(text: str, timeout: float) -> None:
                page.wait_for_function(
                    "t => { const s = document.querySelector('.sim-status'); return s && s.innerText.includes(t); }",
                    arg=text, timeout=timeout)

            status_says("run 1:", 240_000)   # kernel started, model run, figures drawn
            cards = page.locator(".sim-headline .sim-card")
            assert cards.count() == 4
            head_before = page.inner_text(".sim-headline")
            for text in ("LEADER AFTER 1 YEAR", "LEADER AFTER 10 YEARS", "CROSSOVER WEEK", "REVENUE RATIO"):
                assert text in head_before.upper()
            images = page.locator("img.sim-plot")
            assert images.count() == 3
            srcs_before = images.evaluate_all("els => els.map(e => e.src)")
            pixels_before = page.locator("img.sim-plot-revenue").screenshot()
            slider = page.locator(".sim-strategy-1-minutes_per_contact")
            readout_before = slider.locator(".widget-readout").inner_text()

            # no code on the page: Voila strips the sources
            assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0
            assert "ConsultantDashboard" not in page.inner_text("body")

            handle = slider.locator(".noUi-handle")
            handle.focus()
            page.keyboard.press("ArrowLeft")   # one step: 20 -> 19 minutes per contact
            status_says("run 2:", 120_000)

            readout_after = slider.locator(".widget-readout").inner_text()
            head_after = page.inner_text(".sim-headline")
            srcs_after = images.evaluate_all("els => els.map(e => e.src)")
            pixels_after = page.locator("img.sim-plot-revenue").screenshot()
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()

    assert float(readout_after) == float(readout_before) - 1
    assert head_after != head_before, "headline numbers did not change"
    assert all(a != b for a, b in zip(srcs_before, srcs_after, strict=True)), "figures were not redrawn"
    assert pixels_after != pixels_before, "the revenue figure looks the same"
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 50_000
    assert all(urlparse(u).hostname not in LOOPBACK for u in blocked)
