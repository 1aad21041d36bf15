"""The report's optional sections: the mechanism attribution (from ``attribution.json``) and a client's report.

``python -m sim explain`` writes ``attribution.json`` for a short two-cobbler town (two mechanism
groups, two replicates); ``python -m sim report`` on the same scenario and folder finds it, and
``pdftotext`` reads each group's share in the PDF. A file of another scenario, or a different
horizon, is not mistaken for it. The client's report is tested through the dashboard
(``tests/test_dashboard_client.py``); here its sections' tables are checked on their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import sim
import sim.cli
from sim.calibration.attribution import explain
from sim.report.sections import attribution_folders, attribution_table, comparison_table, find_attribution

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
WEEKS = 104


@pytest.fixture(scope="module")
def attribution_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("explain")
    cfg = sim.load_scenario("two_cobblers", weeks=WEEKS)
    explain(cfg, out, replicates=2, groups=["repeat_business", "reviews"], progress=False)
    return out


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None and not IN_CI:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_report_includes_the_attribution_written_by_explain(attribution_dir):
    attr = json.loads((attribution_dir / "attribution.json").read_text())
    code = sim.cli.main(["report", "two_cobblers", "--weeks", str(WEEKS), "--replicates", "2", "--out",
                         str(attribution_dir), "--quiet"])
    assert code == 0
    text = pdf_text(attribution_dir / "report.pdf")
    page = (attribution_dir / "report.html").read_text()
    assert "Mechanism attribution" in text and "Mechanism attribution" in page
    for group in attr["groups"].values():
        assert f"{group['share']:+.2f}" in text, group
        assert group["label"] in text
    assert f"{attr['total']:+.2f}" in text


def test_attribution_is_found_in_explains_default_folder(attribution_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_attribution("two_cobblers", attribution_folders("two_cobblers")) is None
    default = tmp_path / "results" / "explain" / "two_cobblers"
    default.mkdir(parents=True)
    shutil.copy(attribution_dir / "attribution.json", default)
    assert find_attribution("two_cobblers", attribution_folders("two_cobblers", tmp_path / "elsewhere")) is not None
    assert find_attribution("one_off", attribution_folders("one_off")) is None   # another scenario's file


def test_attribution_table_lists_every_group_and_the_remainder(attribution_dir):
    attr = json.loads((attribution_dir / "attribution.json").read_text())
    table = attribution_table(attr)
    labels = [row[0] for row in table.rows]
    assert set(labels) >= {g["label"] for g in attr["groups"].values()} and labels[-1].startswith("total")
    assert attr["sentence"] in table.note and str(WEEKS) in table.note


def test_a_wrong_attribution_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "attribution.json"
    bad.write_text(json.dumps({"scenario": "one_off", "groups": {}}))
    code = sim.cli.main(["report", "two_cobblers", "--weeks", "52", "--replicates", "2", "--out",
                         str(tmp_path / "r"), "--attribution", str(bad), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--attribution" in err and "two_cobblers" in err and "\n" not in err


def test_comparison_table_says_no_clear_winner_when_the_interval_includes_zero():
    zero = {"mean": 0.0, "low": 0.0, "high": 0.0}
    ahead = {"mean": 5.0, "low": 1.0, "high": 9.0}
    wide = {"mean": 5.0, "low": -1.0, "high": 11.0}
    data = {"current": {"label": "Today"}, "proposed": {"label": "Tomorrow"}, "replicates": 4, "years": 3,
            "crossover_year": 2, "crossover_share": 0.75, "short_run_cost": zero,
            "by_year": [{"year": y, "current": ahead, "proposed": ahead, "difference": d,
                         "cumulative_difference": d, "proposed_ahead_share": 0.5}
                        for y, d in ((1, zero), (2, ahead), (3, wide))]}
    table = comparison_table(data)
    assert [row[-1] for row in table.rows] == ["no clear winner", "Tomorrow ahead", "no clear winner"]
    assert table.columns[1:3] == ("Today", "Tomorrow") and "Crossover" in table.note
