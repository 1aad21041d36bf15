"""VALIDATION.md's calibration and attribution sections, and the regime "why" sentences, from the shipped files.

The sections are built from the shipped targets and ensemble and from a fake headlines file (made-up
numbers, current fingerprints: see tests/test_headlines.py), so no model run is needed and the text
must carry exactly the file's numbers; a stale file must be reported as stale, never shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_headlines import write_fake

import sim
from sim.calibration import headlines as hl
from sim.validation.evidence import attribution_section, calibration_section, check_attribution, check_calibration
from sim.validation.regimes import mechanism
from sim.validation.results import Stat
from sim.validation.sections import SECTIONS, render_section


def test_both_sections_are_registered_in_report_order() -> None:
    from sim.validation.checks import CHECKS

    assert list(CHECKS)[-3:] == ["calibration", "attribution", "market"]
    assert {"calibration", "attribution", "market"} <= set(SECTIONS)


def test_every_check_has_its_figures_or_none(tmp_path: Path) -> None:
    """The report draws each check's figures; a check without figures (calibration, attribution) draws none."""
    from sim.validation.checks import CHECKS
    from sim.validation.figures import FIGURE_DRAWERS, FIGURE_NAMES, draw_figures

    assert set(FIGURE_DRAWERS) == set(FIGURE_NAMES) <= set(CHECKS)
    assert draw_figures(check_calibration(), tmp_path) == [] and not list(tmp_path.iterdir())


def test_calibration_section_lists_every_target_with_its_fit() -> None:
    from sim.calibration.targets import load_targets

    res = check_calibration()
    text = render_section(res)
    assert text.startswith("<!-- section: calibration -->") and "## 7. Calibration" in text
    for name in load_targets().targets:
        assert f"`{name}`" in text
    assert f"accepted {res.data['accepted']:,}" in text and res.rows[0].passed is not None
    assert calibration_section(res) in text


def test_attribution_section_shows_the_measured_shares(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", ("baseline",)))
    res = check_attribution(scenarios=["baseline", "one_off"])
    text = attribution_section(res)
    base = text.split("### `baseline`")[1].split("### `one_off`")[0]
    assert "relationship wins in 83%" in base
    assert "| repeat business | +1.610 | [+1.510, +1.710] |" in base
    assert base.index("repeat business") < base.index("pitch fatigue") < base.index("honesty about fit")
    assert "> Why relationship selling leads in baseline" in base
    assert "run `make headlines`" in text.split("### `one_off`")[1]
    assert res.rows[0].passed is False and "1 of 2" in res.rows[0].measured


def test_attribution_section_with_a_stale_file_shows_no_numbers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", ("baseline",), source_sha256="4" * 64))
    text = attribution_section(check_attribution(scenarios=["baseline"]))
    assert "83%" not in text and "+1.610" not in text and "stale" in text and "make headlines" in text


def _regime_stats(repeat: float = 0.62) -> dict:
    def s(x: float) -> Stat:
        return Stat(x, x, x, 10)

    st = {"incumbent": "numbers_game", "challenger": "relationship", "pitches_per_customer": s(5.2)}
    for strat in ("numbers_game", "relationship"):
        for source in ("new", "repeat", "referral", "inbound", "handoff"):
            st[f"{strat}_{source}"] = s(0.1)
    st["relationship_repeat"] = s(repeat)
    return st


@pytest.mark.parametrize("name", ["two_cobblers", "baseline"])
def test_regime_why_comes_from_the_attribution(tmp_path: Path, monkeypatch, name: str) -> None:
    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", (name,)))
    ev = hl.evidence_for(sim.load_scenario(name))
    text = mechanism(name, _regime_stats(), ev)
    assert text.startswith(f"Why relationship selling leads in {name}")
    assert "repeat business +1.61 and pitch fatigue +0.27 carry most of it" in text
    assert "honesty about fit -0.12 works against it" in text
    assert "62% of relationship sales are repeat sales" in text and "5.2 numbers game pitches per customer" in text


def test_regime_why_without_a_fresh_attribution_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(hl, "HEADLINES_FILE", write_fake(tmp_path / "h.yaml", ("two_cobblers",),
                                                         ensemble_sha256="5" * 64))
    text = mechanism("two_cobblers", _regime_stats(), hl.evidence_for(sim.load_scenario("two_cobblers")))
    assert "stale" in text and "make headlines" in text and "fatigue" not in text
    assert "62% of relationship sales are repeat sales" in text
