"""The one-click report: ``python -m sim report``, its HTML and PDF, and the numbers they share with summary.json.

The PDF is rendered to PNG with ``pdftoppm`` and read back with ``pdftotext`` (Debian
``poppler-utils``); its text must contain the headline numbers of the ``summary.json`` written
beside it, formatted as the report formats them. The HTML must carry the same numbers and embed
its figures (no external reference).
"""

from __future__ import annotations

import ast
import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim
import sim.cli
from sim.narrate import money, times, verdict
from sim.report import Table, build_report, new_run_folder, render_html, settings_changes, write_report

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER and not IN_CI, reason="poppler-utils (pdftotext, pdftoppm) missing")
REPLICATES = 3
WEEKS = 156


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m sim report two_cobblers`` in a subprocess, as a user runs it."""
    out = tmp_path_factory.mktemp("report") / "two_cobblers"
    proc = subprocess.run([sys.executable, "-m", "sim", "report", "two_cobblers", "--out", str(out),
                           "--replicates", str(REPLICATES), "--weeks", str(WEEKS)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "Report written to" in proc.stdout and "Revenue ratio Relationship ÷ Numbers game" in proc.stdout
    return out


@pytest.fixture(scope="module")
def summary(written: Path) -> dict:
    return json.loads((written / "summary.json").read_text())


def headline_strings(summary: dict) -> list[str]:
    """The headline numbers of summary.json, formatted exactly as the report formats them."""
    out = []
    for metric in ("revenue_year1", "revenue_total"):
        c = summary["comparison"][metric]
        for name in (c["numerator"], c["denominator"]):
            e = c[name]
            out.append(f"{money(e['mean'])} [{money(e['low'])}–{money(e['high'])}]")
        r = c["ratio"]
        out.append(f"{times(r['mean'])} [{verdict.ratio_bound(r['low'])}–{verdict.ratio_bound(r['high'])}]")
        d = c["difference"]
        out.append(f"{money(d['mean'])} [{money(d['low'])} to {money(d['high'])}]")
        out.append(f"in {max(c['ahead'], c['behind'])} of {c['runs']} simulated markets")
    return out


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_report_writes_its_files_and_nothing_else(written):
    assert sorted(p.name for p in written.iterdir()) == sorted(["report.html", "report.pdf", "summary.json",
                                                                 "config.json"])   # no temporary file left


def test_summary_json_is_the_run_plus_the_comparison(summary):
    direct = sim.run_replicates(sim.load_scenario("two_cobblers", weeks=WEEKS), REPLICATES)
    assert summary["replicates"] == REPLICATES and summary["weeks"] == WEEKS
    assert summary["seed"] == direct.summary["seed"] and summary["model_version"] == sim.__version__
    c = summary["comparison"]["revenue_total"]
    assert (c["numerator"], c["denominator"]) == ("relationship", "numbers_game")
    for name in ("relationship", "numbers_game"):
        mean = direct.summary["strategies"][name]["revenue_total"]["mean"]
        assert summary["strategies"][name]["revenue_total"]["mean"] == pytest.approx(mean)
        assert c[name]["mean"] == pytest.approx(mean)
    assert c["ratio"]["mean"] == pytest.approx(c["relationship"]["mean"] / c["numbers_game"]["mean"])
    assert 0 <= c["ratio"]["low"] <= c["ratio"]["mean"] <= c["ratio"]["high"]
    assert c["verdict"] in ("ahead", "behind", "unclear", "level")


@needs_poppler
def test_pdf_renders_and_its_text_has_the_headline_numbers(written, summary, tmp_path):
    pdf = written / "report.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3 and all(p.read_bytes()[:4] == b"\x89PNG" for p in pages)
    text = squeeze(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    for number in headline_strings(summary):
        assert number in text, number
    for words in ("Two cobblers: relationship or numbers game?", "Headline numbers", "What happened, and why",
                  "Settings that differ from the baseline", "market.customers", "Limitations",
                  f"sim {sim.__version__}", f"Seed {summary['seed']}", f"{REPLICATES} replicate runs",
                  "Figure 1.", "Figure 4."):
        assert words in text, words
    assert "Mechanism attribution" not in text and "Calibration fit" not in text   # hooks only when given


def test_html_is_self_contained_and_has_the_same_numbers(written, summary):
    page = (written / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(?:src|href)\s*=\s*['\"](?!data:)", page), "the page refers to something outside itself"
    assert "http://" not in page and "https://" not in page and "<link" not in page and "<script" not in page
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 4 and all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    text = squeeze(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for number in headline_strings(summary):
        assert number in text, number
    assert "Limitations" in text and "not a forecast" in text and f"sim {sim.__version__}" in text


def test_hooks_render_only_when_given(small_config, tmp_path):
    res = sim.run_replicates(small_config, 2, seed=1)
    plain = render_html(build_report(res))
    assert "Mechanism attribution" not in plain and "Calibration fit" not in plain
    attribution = Table("Mechanism attribution", ("mechanism switched off", "revenue ratio"),
                        (("referrals", "6.1× [5.8–6.4]"), ("reviews", "6.9× [6.6–7.2]")), note="later work")
    calibration = Table("Calibration fit", ("figure", "observed", "fitted", "within tolerance"),
                        (("leads per seller", "100", "97", "yes"),))
    report = build_report(res, attribution=attribution, calibration=calibration)
    page = render_html(report)
    assert "Mechanism attribution" in page and "6.1× [5.8–6.4]" in page and "Calibration fit" in page
    paths = write_report(report, tmp_path / "with_hooks")
    if POPPLER:
        text = squeeze(subprocess.run(["pdftotext", str(paths["report.pdf"]), "-"], capture_output=True, text=True,
                                      check=True).stdout)
        assert "Mechanism attribution" in text and "leads per seller" in text and "Calibration fit" in text
    with pytest.raises(ValueError, match="row"):
        Table("bad", ("a", "b"), (("only one",),))


def test_settings_that_differ_from_the_baseline():
    assert settings_changes(sim.load_scenario("baseline")) == []
    rows = settings_changes(sim.load_scenario("two_cobblers"))
    assert ("market.customers", "10000", "400") in rows
    assert ("sellers", "2 numbers_game + 2 relationship", "1 numbers_game + 1 relationship") in rows
    assert settings_changes(sim.load_scenario("short_horizon")) == [("weeks", "520", "52")]
    tuned = sim.load_scenario("baseline").with_updates({
        "strategies.relationship_tuned": {**sim.PRESETS["relationship"].model_dump(), "minutes_per_contact": 8.0},
        "sellers": [{"strategy": "numbers_game", "count": 2}, {"strategy": "relationship_tuned", "count": 2}]})
    assert settings_changes(tuned, display_names={"relationship_tuned": "relationship"}) == [
        ("strategy relationship: minutes_per_contact", f"{sim.PRESETS['relationship'].minutes_per_contact:g}", "8")]
    assert ("seed", "42", "7") in settings_changes(sim.load_scenario("baseline").with_updates(seed=7))


def test_a_failed_write_leaves_the_old_report_whole(written, small_config, tmp_path, monkeypatch):
    out = tmp_path / "again"
    shutil.copytree(written, out)
    before = (out / "report.pdf").read_bytes()
    report = build_report(sim.run(small_config))

    def broken(_report, path):
        Path(path).write_bytes(b"%PDF-1.4 truncated")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sim.report.files.render_pdf", broken)
    with pytest.raises(OSError):
        write_report(report, out)
    assert (out / "report.pdf").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "a temporary file was left behind"


def test_new_run_folders_never_reuse_a_name(tmp_path):
    import datetime as dt

    now = dt.datetime(2030, 1, 2, 3, 4, 5)
    first, second = new_run_folder(tmp_path, now), new_run_folder(tmp_path, now)
    assert (first.name, second.name) == ("20300102-030405", "20300102-030405-2")


@pytest.mark.parametrize(("args", "message"), [
    (["report", "no_such_scenario"], "no_such_scenario"),
    (["report", "baseline", "--out", ""], "--out = ''"),
    (["report", "baseline", "--replicates", "0"], "--replicates = 0"),
])
def test_bad_input_is_one_line(args, message, capsys):
    assert sim.cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_report_package_is_below_the_ui_and_light_to_register():
    for path in (ROOT / "sim" / "report").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not [n for n in names if n.startswith(("ui", "sim.ui", "ipywidgets"))], path.name
        assert "must not" in (ast.get_docstring(tree) or "").lower(), path.name
        assert path.read_text().count("\n") <= 400, path.name
    code = "import sys, sim.cli; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT).stdout.strip() == "False"
