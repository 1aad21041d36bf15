"""The dashboard's client view: the form's validation, calibrate, current versus proposed, the client's report.

The Python side drives :class:`sim.ui.clientpanel.ClientPanel` (and the dashboard's view toggle) as a
visitor would, with the quick fit on a small client market whose tolerances are loose enough for it.
The browser test serves ``notebooks/dashboard.ipynb`` with Voila (a client file in ``$SIM_CLIENTS_DIR``),
opens it in headless Chromium at 1280x720, switches to the client view, picks the file, changes a
figure in the form, calibrates, and finds the calibration table and the comparison on the page.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
if not IN_CI:
    pytest.importorskip("ipywidgets")
    pytest.importorskip("voila")

from support import free_port, stop_server  # noqa: E402

from sim import client  # noqa: E402
from sim.ui import ConsultantDashboard  # noqa: E402
from sim.ui.clientform import FORM, ClientForm  # noqa: E402
from sim.ui.clientpanel import ClientPanel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "dashboard.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
LOOSE = {
    "name": "Small loose client", "customers": 300, "hours_per_week": 6, "price": 200, "sellers": 1,
    "funnel": {"leads": 1000, "prospects": 200, "presentations": 30, "sales": 10}, "repeat_share": 0.1,
    "current": "numbers_game", "proposed": "relationship",
    "labels": {"current": "Cold calls", "proposed": "Key accounts"},
    "tolerance": {"funnel": 0.6, "repeat_share": 0.3, "leads": 1.0}, "seed": 7,
}
"""A small market (quick to simulate) with tolerances the quick fit reaches."""


@pytest.fixture(scope="module")
def clients_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clients")
    (folder / "loose.yaml").write_text(yaml.safe_dump(LOOSE), encoding="utf-8")
    (folder / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def panel(clients_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ClientPanel:
    p = ClientPanel(tmp_path_factory.mktemp("client-exports"), folder=clients_dir, effort="quick")
    p.form.set("source", "loose.yaml")
    p.years.value, p.replicates.value = 3, 3
    assert p.calibrate() and p.error is None, p.error
    return p


# ----------------------------------------------------------------------------------------- the form
def test_form_offers_the_shipped_template_and_the_consultants_files(clients_dir):
    form = ClientForm(clients_dir)
    assert list(form.source.options) == ["example.yaml", "broken.yaml", "loose.yaml", FORM]
    example = client.load_client(client.EXAMPLE)
    assert form.fields["customers"].value == example.customers
    assert form.fields["funnel.sales"].value == example.funnel.sales
    assert form.current.value == "file"   # tuned knobs: kept, under the file's label
    assert "Cold calling (today)" in form.current.label
    assert form.client() == example   # the form gives back exactly the file's client


@pytest.mark.parametrize(("path", "value", "named"), [
    ("funnel.sales", 500.0, "sales = 500 is more than presentations = 130"),
    ("customers", 5, "customers = 5"),
    ("repeat_share", 1.5, "repeat_share = 1.5"),
    ("hours_per_week", 0.0, "hours_per_week = 0.0"),
    ("name", "", "name"),
])
def test_bad_input_is_one_clear_message_naming_the_field(clients_dir, tmp_path, path, value, named):
    p = ClientPanel(tmp_path, folder=clients_dir, effort="quick")
    p.form.set(path, value)
    assert p.calibrate() is False and p.calibration is None
    assert named in p.error, p.error
    assert "\n" not in p.error and "Traceback" not in p.message.value and "client form" in p.error
    assert "sim-error" in p.message.value


def test_a_broken_file_is_named_and_leaves_the_blank_form(clients_dir):
    form = ClientForm(clients_dir)
    form.set("source", "broken.yaml")
    assert form.error and "broken.yaml" in form.error and "\n" not in form.error
    form.set("source", FORM)
    assert form.error is None and form.client().name == "My client"


# ----------------------------------------------------------------------------------------- the flow
def test_calibrate_shows_every_figure_observed_fitted_and_within(panel):
    cal = panel.calibration
    assert cal is not None and cal.accepted
    page = panel.calibration_view.value
    for f in cal.figures:
        assert f["label"] in page
    assert "observed" in page and "fitted" in page and "within tolerance" in page
    assert "Every fitted figure is within its tolerance" in page
    assert panel.progress.value == panel.progress.max and "calibrated" in panel.state.value


def test_comparison_is_current_vs_proposed_on_common_random_numbers(panel):
    cmp = panel.comparison
    assert (cmp.current_label, cmp.proposed_label) == ("Cold calls", "Key accounts")
    direct = client.compare(panel.calibration, "relationship", years=3, replicates=3)
    assert cmp.proposed_runs == direct.proposed_runs and cmp.current_runs == direct.current_runs
    text = panel.cards.value + panel.table.value
    for word in ("Difference in year 3", "Cumulative, 3 years", "Crossover", "year 1", "Short-run"):
        assert word in text, word
    assert "Cold calls (today)" in panel.current.label and "Key accounts (proposed)" in panel.proposed.label
    assert panel.figure.value[:4] == b"\x89PNG"


def test_the_same_way_in_both_arms_is_no_clear_winner(panel):
    panel.proposed.value = "current"
    try:
        assert panel.comparison.proposed_runs == panel.comparison.current_runs
        assert "no clear winner" in panel.cards.value and "no clear winner" in panel.table.value
    finally:
        panel.proposed.value = "proposed"
    assert panel.comparison.proposed_label == "Key accounts"


def test_refitting_the_same_client_costs_nothing(panel):
    first = panel.calibration
    assert panel.calibrate() and panel.calibration is first


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None and not IN_CI:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_client_report_has_the_calibration_fit_and_the_comparison(panel):
    from sim.narrate.client import figure_value, interval_text

    paths = panel.report()
    text = _pdf_text(paths["report.pdf"])
    assert "Calibration fit" in text and "Current versus proposed" in text
    for f in panel.calibration.figures:
        assert figure_value(f, f["fitted"]) in text and figure_value(f, f["observed"]) in text
    last = panel.comparison.by_year()[-1]
    assert interval_text(last["cumulative_difference"]).split(" [")[0] in text
    assert "Download report (PDF)" in panel.downloads.value and str(panel.export_dir) not in panel.downloads.value


def test_dashboard_toggles_to_the_client_view_and_its_report(tmp_path, clients_dir, monkeypatch):
    monkeypatch.setenv("SIM_CLIENTS_DIR", str(clients_dir))
    dash = ConsultantDashboard("two_cobblers", replicates=2, export_dir=tmp_path)
    assert dash.client.widget.layout.display == "none"
    dash.view.value = "client"
    assert dash.scenario_view.layout.display == "none" and dash.client.widget.layout.display is None
    assert "loose.yaml" in dash.client.form.source.options
    assert dash.report() == {}   # nothing compared yet: says so, writes nothing
    assert "calibrate and compare first" in dash.client.downloads.value and not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------------------- browser
@pytest.fixture
def voila_client_url(tmp_path: Path, clients_dir: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "voila.log").open("w")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "SIM_DASHBOARD_DIR": str(tmp_path / "dashboard"), "SIM_CLIENTS_DIR": str(clients_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
                             "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        from test_dashboard import _wait_listening

        _wait_listening(port, proc, tmp_path / "voila.log")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_server(proc)
        log.close()


@pytest.mark.browser
def test_client_view_in_a_real_browser(voila_client_url: str, chromium_path: Path):
    """Pick the client file, change a figure, calibrate, and see the table and the comparison at 1280x720."""
    from playwright import sync_api

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(voila_client_url, wait_until="domcontentloaded", timeout=120_000)
            page.wait_for_function("() => { const s = document.querySelector('.sim-status'); "
                                   "return s && s.innerText.includes('run 1:'); }", timeout=240_000)
            page.locator(".sim-view button", has_text="Your client's market").click()
            page.locator(".sim-client-source select").wait_for(timeout=30_000)
            page.select_option(".sim-client-source select", "loose.yaml")
            page.wait_for_function("() => document.querySelector('.sim-client-name input').value"
                                   " === 'Small loose client'", timeout=30_000)
            sales = page.locator(".sim-client-funnel-sales input")
            sales.fill("11")
            sales.press("Enter")
            page.locator(".sim-client-effort button", has_text="quick fit").click()
            page.locator(".sim-calibrate").click()
            page.wait_for_function("() => document.querySelector('.sim-client-state').innerText.includes('stage')",
                                   timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "dashboard_client_progress.png"))
            page.wait_for_function("() => document.querySelector('.sim-client-state').innerText.includes("
                                   "'compared:')", timeout=300_000)
            table = page.inner_text(".sim-calibration")
            cards = page.inner_text(".sim-client-cards")
            by_year = page.inner_text(".sim-client-table")
            page.screenshot(path=str(ARTIFACTS / "dashboard_client.png"))
            page.locator(".sim-client-table").evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(300)
            page.screenshot(path=str(ARTIFACTS / "dashboard_client_compare.png"))
            width = page.evaluate("() => document.documentElement.scrollWidth")
        finally:
            browser.close()
    for text in ("prospects per lead", "sales per presentation", "repeat-customer share", "observed", "fitted"):
        assert text in table, text
    assert "0.367" in table   # the changed figure: 11 sales of 30 presentations
    assert re.search(r"DIFFERENCE IN YEAR 10", cards.upper()) and "CROSSOVER" in cards.upper()
    assert "Key accounts" in by_year and "Cold calls" in by_year
    assert width <= 1280
