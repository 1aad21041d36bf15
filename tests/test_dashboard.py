"""The consultant dashboard: its Python side, `make dashboard`, and the real thing in headless Chromium.

The Python side: every shipped scenario in the picker and the title following it, horizon and
replicates with intervals and labelled numbers, and the safe exports (no folder box, no server path
on the page, a new time-stamped folder per export, downloads carrying the files).

The browser test starts Voila itself on a free loopback port, opens the page in Debian's Chromium
driven by Playwright at a projector's 1280x720, picks a second scenario, moves a slider with the
keyboard, checks that the title, the headline numbers and the figures change, and downloads the
report; it leaves screenshots in ``test-artifacts/dashboard*.png``. The page may only talk to
loopback addresses: any other request (Voila's template asks a CDN for icon fonts) is aborted.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

import sim

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
if not IN_CI:  # in CI the notebooks extra is installed: a missing package must fail, never skip
    pytest.importorskip("ipywidgets")
    pytest.importorskip("voila")

import ipywidgets as W  # noqa: E402

from sim.ui import ConsultantDashboard, export_figures  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "dashboard.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


# ----------------------------------------------------------------------------------------- python side
REPLICATES = 3   # enough for intervals, quick enough for a unit test


@pytest.fixture(scope="module")
def export_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard-exports")


@pytest.fixture(scope="module")
def dashboard(export_root: Path) -> ConsultantDashboard:
    return ConsultantDashboard("two_cobblers", replicates=REPLICATES, export_dir=export_root)


def widgets_in(widget: W.Widget) -> Iterator[W.Widget]:
    """Every widget in a widget tree (boxes' children, depth first)."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from widgets_in(child)


def page_text(dash: ConsultantDashboard) -> str:
    """Everything the page shows as text: every HTML widget, every control's label and value."""
    parts = []
    for w in widgets_in(dash.widget):
        for attr in ("value", "description", "tooltip", "placeholder"):
            value = getattr(w, attr, None)
            if isinstance(value, str):
                parts.append(value)
        parts.extend(str(o) for o in getattr(w, "options", ()) or ())
    return "\n".join(parts)


SERVER_PATH = re.compile(r"(?<![\w.:/-])/(?:tmp|home|root|work|usr|var|srv|opt|mnt|Users)/")


def test_dashboard_tells_the_scenarios_story_with_intervals(dashboard):
    direct = sim.run_replicates(sim.load_scenario("two_cobblers"), REPLICATES)
    assert dashboard.runs == 1 and dashboard.error is None
    assert len(dashboard.results.runs) == REPLICATES
    for name in ("numbers_game", "relationship"):
        assert dashboard.summary()["revenue_total"][name] == pytest.approx(
            direct.summary["strategies"][name]["revenue_total"]["mean"])
    head = dashboard.headline.value
    for text in ("After 1 year", "After 10 years", "Revenue ratio, 10 years", "Crossover week",
                 f"of {REPLICATES} simulated markets", "95% interval"):
        assert text in head, text
    # every card's numbers say whose they are; the ratio says which way round it is
    assert re.search(r"Relationship [\d.,]+k? vs Numbers game [\d.,]+k? revenue per seller", head)
    assert "Relationship ÷ Numbers game" in head
    assert "Two cobblers" in dashboard.title.value
    for image in (dashboard.revenue_image, dashboard.sources_image, dashboard.why_image):
        assert image.value[:4] == b"\x89PNG"
    assert f"Over <b>{REPLICATES} simulated markets</b>" in dashboard.story.value
    assert "<b>Why</b>" in dashboard.story.value


def test_scenario_picker_offers_every_scenario_and_the_title_follows(export_root):
    dash = ConsultantDashboard("two_cobblers", replicates=2, export_dir=export_root)
    assert list(dash.panel.scenario.options) == sim.scenario_names()
    assert {"one_off", "large_anonymous"} <= set(dash.panel.scenario.options)   # where the numbers game wins
    head_before = dash.headline.value
    dash.panel.scenario.value = "one_off"
    assert dash.runs == 2 and dash.results.config.name == "one_off"
    assert "One off" in dash.title.value and "Two cobblers" not in dash.title.value
    assert dash.headline.value != head_before
    direct = sim.run_replicates(sim.load_scenario("one_off"), 2)
    assert dash.summary()["revenue_total"]["numbers_game"] == pytest.approx(
        direct.summary["strategies"]["numbers_game"]["revenue_total"]["mean"])
    dash.panel.scenario.value = "short_horizon"   # its own horizon comes with it
    assert dash.years.value == 1 and dash.results.config.weeks == 52 and dash.runs == 3
    assert "After 1 year" in dash.headline.value and "After 10 years" not in dash.headline.value


def test_horizon_and_replicates_rerun(export_root):
    dash = ConsultantDashboard("two_cobblers", replicates=2, export_dir=export_root)
    dash.years.value = 3
    assert dash.results.config.weeks == 3 * 52 and "After 3 years" in dash.headline.value
    dash.replicates.value = 1
    assert len(dash.results.runs) == 1
    assert "One run: no verdict" in dash.headline.value and "choose 2 or more replicates" in dash.headline.value
    assert "ahead in" not in dash.headline.value.split("One run")[0]   # one run is never shown as a win


def test_dashboard_knob_reruns_and_reset_restores(dashboard):
    before = dashboard.summary()
    runs = dashboard.runs
    dashboard.panel.set("strategy.1.minutes_per_contact", 8.0)
    assert dashboard.runs == runs + 1
    assert dashboard.summary()["revenue_total"] != before["revenue_total"]
    assert set(dashboard.summary()["revenue_total"]) == {"numbers_game", "relationship"}  # tuned name shown as usual
    dashboard.panel.reset()
    assert dashboard.summary() == before


def test_dashboard_in_the_background_gives_the_same_numbers(export_root):
    """In a live kernel a change returns at once; worker processes fill in the same numbers as sim.run_replicates."""
    dash = ConsultantDashboard("two_cobblers", replicates=REPLICATES, export_dir=export_root, background=True)
    assert dash.background and dash.runs == 1   # the first run: in this process, before the page shows
    dash.panel.set("strategy.1.minutes_per_contact", 8.0)
    dash.panel.set("strategy.1.minutes_per_contact", 9.0)   # the 8-minute set goes stale: never shown
    summary = dash.summary()   # waits for the whole set
    assert dash.runs == 2 and dash.error is None and "run 2:" in dash.status.value
    assert "sim-pending" not in dash.headline._dom_classes
    direct = sim.run_replicates(dash.config(), REPLICATES, workers=1)
    for name, key in (("numbers_game", "numbers_game"), ("relationship", "relationship_tuned")):
        expected = direct.summary["strategies"][key]["revenue_total"]["mean"]
        assert summary["revenue_total"][name] == pytest.approx(expected)
    assert len(dash.results.runs) == REPLICATES
    assert all(image.value[:4] == b"\x89PNG" for image in (dash.revenue_image, dash.sources_image, dash.why_image))
    assert set(dash.timings[-1]) >= {"model_s", "draw_s", "total_s"}


def test_background_preview_is_replicate_0_from_this_process() -> None:
    """The preview is replicate 0, run in this process; the other replicates run on workers at a lower priority."""
    import threading

    from sim.model.runner import run_replicate
    from sim.ui.background import WORKER_NICE, ReplicateJobs, shared_pool

    cfg = sim.load_scenario("two_cobblers").with_updates(weeks=30)
    got: dict[str, object] = {}
    done = threading.Event()
    jobs = ReplicateJobs(1)
    jobs.start(cfg, 3, 5, on_preview=lambda g, r: got.update(preview=(r, threading.current_thread())),
               on_final=lambda g, r: (got.update(final=r), done.set()), on_error=lambda g, e: done.set())
    assert done.wait(120) and "final" in got
    preview, thread = got["preview"]
    assert thread.name.startswith("replicates-") and jobs.preview_cpu_s is not None
    assert preview.summary == run_replicate(cfg, 5, 0)[1] and len(got["final"].runs) == 3
    assert shared_pool().submit(os.nice, 0).result() >= os.nice(0) + min(WORKER_NICE, 19 - os.nice(0))


def test_dashboard_has_no_folder_box(dashboard):
    """A visitor cannot choose where the server writes: no free-text box but the client's name (never a path)."""
    texts = [w for w in widgets_in(dashboard.widget) if isinstance(w, (W.Text, W.Textarea, W.Combobox))]
    assert texts == [dashboard.client.form.name]


def test_two_exports_make_two_folders_and_overwrite_nothing(dashboard, export_root):
    first = dashboard.export()
    second = dashboard.export()
    folders = {p.parent for p in first} | {p.parent for p in second}
    assert len(folders) == 2 and all(f.parent == export_root for f in folders)
    assert dashboard.exports[-2:] == [first[0].parent, second[0].parent]
    names = {p.name for p in first}
    for base in ("cumulative_revenue", "cumulative_referrals", "funnel", "sales_by_source", "revenue_story", "why"):
        assert {f"{base}.png", f"{base}.svg"} <= names
    assert all(p.stat().st_size > 1000 for p in first + second)
    assert (second[0].parent / "why.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    # the figures come back as one ZIP download of the same files
    link = re.search(r"download='([^']+\.zip)' href='data:application/zip;base64,([^']+)'", dashboard.downloads.value)
    assert link, dashboard.downloads.value
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(link.group(2)))) as zf:
        assert set(zf.namelist()) == names
    stamp = first[0].stat().st_mtime_ns
    report = dashboard.report()
    assert report["report.pdf"].parent not in folders and first[0].stat().st_mtime_ns == stamp


def test_report_is_offered_as_downloads_without_server_paths(dashboard, export_root):
    paths = dashboard.report()
    folder = paths["report.pdf"].parent
    assert folder.parent == export_root and sorted(p.name for p in folder.iterdir()) == sorted(paths)
    links = dict(re.findall(r"download='([^']+)' href='data:([^;]+);base64,", dashboard.downloads.value))
    assert sorted(links.values()) == ["application/json", "application/pdf", "application/zip", "text/html"]
    pdf = re.search(r"href='data:application/pdf;base64,([^']+)'", dashboard.downloads.value).group(1)
    assert base64.b64decode(pdf) == paths["report.pdf"].read_bytes()
    text = page_text(dashboard)
    assert str(export_root) not in text and str(ROOT) not in text
    assert not SERVER_PATH.search(re.sub(r"data:[^']+", "", text)), "the page shows a server path"
    assert folder.name in text   # the visitor may learn the export's name, never where it is


def test_export_figures_from_python(dashboard, tmp_path):
    paths = export_figures(dashboard.results, tmp_path / "slides", formats=("png",))
    assert {p.suffix for p in paths} == {".png"} and len(paths) == 6


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
           "SIM_FIGURES_DIR": str(tmp_path / "figures"), "SIM_DASHBOARD_DIR": str(tmp_path / "dashboard")}
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
def test_dashboard_in_a_real_browser(voila_url: str, chromium_path: Path, tmp_path: Path):
    """At a projector's 1280x720: pick a second scenario, move a knob, download the report."""
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
            context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.goto(voila_url, wait_until="domcontentloaded", timeout=120_000)

            def status_says(text: str, timeout: float) -> None:
                page.wait_for_function(
                    "t => { const s = document.querySelector('.sim-status'); return s && s.innerText.includes(t); }",
                    arg=text, timeout=timeout)

            status_says("run 1:", 240_000)   # kernel started, replicates run, figures drawn
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"))   # what the projector shows first
            cards = page.locator(".sim-headline .sim-card")
            assert cards.count() == 4
            title_before = page.inner_text(".sim-title-block")
            head_before = page.inner_text(".sim-headline")
            for text in ("AFTER 1 YEAR", "AFTER 10 YEARS", "REVENUE RATIO, 10 YEARS", "CROSSOVER WEEK",
                         "SIMULATED MARKETS", "RELATIONSHIP ÷ NUMBERS GAME"):
                assert text in head_before.upper(), text
            # the headline is readable at 1280x720: all four cards side by side, inside the viewport
            boxes = [cards.nth(i).bounding_box() for i in range(4)]
            assert all(b["x"] >= 0 and b["x"] + b["width"] <= 1280 and b["y"] + b["height"] <= 720 for b in boxes)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280   # no sideways scrolling
            images = page.locator("img.sim-plot")
            assert images.count() == 3
            srcs_before = images.evaluate_all("els => els.map(e => e.src)")
            assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0   # no code on the page
            assert "ConsultantDashboard" not in page.inner_text("body")
            assert page.locator("input[type=text]:not(.sim-client-name input), textarea").count() == 0   # no folder box

            # a second scenario: the title and the headline follow it
            options = page.locator(".sim-scenario select option").all_inner_texts()
            assert options == sim.scenario_names()
            page.select_option(".sim-scenario select", "one_off")
            status_says("run 2:", 180_000)
            title_after = page.inner_text(".sim-title-block")
            head_after = page.inner_text(".sim-headline")
            assert "One off" in title_after and "Two cobblers" not in title_after and title_after != title_before
            assert head_after != head_before, "the headline did not change with the scenario"
            srcs_after = images.evaluate_all("els => els.map(e => e.src)")
            assert all(a != b for a, b in zip(srcs_before, srcs_after, strict=True)), "figures were not redrawn"

            # a knob still re-runs everything
            slider = page.locator(".sim-strategy-1-minutes_per_contact")
            readout_before = slider.locator(".widget-readout").inner_text()
            pixels_before = page.locator("img.sim-plot-revenue").screenshot()
            handle = slider.locator(".noUi-handle")
            handle.focus()
            page.keyboard.press("ArrowLeft")   # one step: 20 -> 19 minutes per contact
            status_says("run 3:", 180_000)
            readout_after = slider.locator(".widget-readout").inner_text()
            head_knob = page.inner_text(".sim-headline")
            pixels_after = page.locator("img.sim-plot-revenue").screenshot()

            # the one-click report arrives as a browser download
            page.click(".sim-report")
            link = page.locator("a.sim-download", has_text="PDF")
            link.wait_for(timeout=180_000)
            with page.expect_download(timeout=60_000) as info:
                link.click()
            download = info.value
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            body = page.inner_text("body")
            page.screenshot(path=str(ARTIFACTS / "dashboard_report.png"))
            page.set_viewport_size({"width": 1280, "height": 2300})
            page.screenshot(path=str(ARTIFACTS / "dashboard_full.png"))
        finally:
            browser.close()

    assert float(readout_after) == float(readout_before) - 1
    assert head_knob != head_after, "headline numbers did not change with the knob"
    assert pixels_after != pixels_before, "the revenue figure looks the same"
    assert saved.read_bytes()[:5] == b"%PDF-" and saved.name.startswith("one_off-report-")
    exports = list((tmp_path / "dashboard").iterdir())
    assert len(exports) == 1 and (exports[0] / "report.pdf").read_bytes() == saved.read_bytes()
    assert str(tmp_path) not in body and str(ROOT) not in body and not SERVER_PATH.search(body)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 50_000
    assert all(urlparse(u).hostname not in LOOPBACK for u in blocked)
