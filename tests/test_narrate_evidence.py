"""The words for the evidence (sim.narrate.evidence): the lines follow the numbers they are given."""

from __future__ import annotations

import pytest

from sim.narrate.evidence import NO_WINNER, ensemble_line, ensemble_sentence, evidence_lines, why_line

PAIR = {"incumbent": "numbers_game", "challenger": "relationship"}


def headline(rel: float, ng: float, median: float = 1.7, never: float = 0.1) -> dict:
    return {"pair": PAIR, "members": 40, "wins": {"relationship": rel, "numbers_game": ng, NO_WINNER: 1 - rel - ng},
            "ratio": {"median": median, "low": 0.9, "high": 3.4},
            "crossover_week": {"median": 57.0, "low": 10.0, "high": 288.0, "never_share": never},
            "single_market": {"ratio": 7.02}}


def attribution(total: float, low: float, high: float, shares: dict[str, tuple[float, float, float]]) -> dict:
    groups = {k: {"label": k.replace("_", " "), "share": s, "low": lo, "high": hi} for k, (s, lo, hi) in shares.items()}
    groups["remainder"] = {"label": "everything else", "share": 0.0, "low": 0.0, "high": 0.0}
    return {"pair": PAIR, "scenario": "baseline", "total": total, "total_low": low, "total_high": high,
            "interval": "95% t-interval over replicates", "groups": groups}


@pytest.mark.parametrize("rel, ng", [(0.83, 0.05), (0.1, 0.7)])
def test_ensemble_line_carries_the_shares(rel: float, ng: float) -> None:
    text = ensemble_line(headline(rel, ng))
    assert text.startswith(f"Across the 40 markets consistent with the evidence: relationship wins in {rel:.0%}, "
                           f"numbers game in {ng:.0%}, no clear winner in {1 - rel - ng:.0%}")
    assert "1.7 (median; 90% range 0.9-3.4)" in text and "crossover week 57" in text and "never in 10%" in text


def test_ensemble_line_when_relationship_never_overtakes() -> None:
    text = ensemble_line(headline(0.0, 0.9, median=0.5, never=1.0))
    assert "never overtakes" in text and "crossover week" not in text


def test_ensemble_sentence_names_the_single_market() -> None:
    text = ensemble_sentence(headline(0.83, 0.05))
    assert text.startswith("Relationship selling wins in 83% of 40 markets") and "shipped constants: 7.02" in text


def test_why_line_ranks_the_groups_with_their_intervals_and_shares_of_the_total() -> None:
    text = why_line(attribution(2.0, 1.8, 2.2, {"reviews": (0.2, 0.1, 0.3), "repeat_business": (1.6, 1.5, 1.7),
                                                  "pitch_fatigue": (0.4, 0.3, 0.5), "pressure": (-0.2, -0.3, -0.1)}))
    assert text.startswith("Why relationship selling leads (log revenue advantage of relationship over numbers game "
                           "+2.00 [+1.80, +2.20]")
    body = text.split("Shapley shares): ")[1]
    assert body.index("repeat business +1.60 [+1.50, +1.70] (80% of it)") < body.index("pitch fatigue +0.40") \
        < body.index("reviews +0.20")
    assert "against it: pressure -0.20 [-0.30, -0.10]" in body


def test_why_line_for_the_numbers_game() -> None:
    text = why_line(attribution(-1.0, -1.2, -0.8, {"repeat_business": (-1.1, -1.3, -0.9), "reviews": (0.1, 0, 0.2)}))
    assert text.startswith("Why the numbers game leads") and "repeat business -1.10 [-1.30, -0.90] (110% of it)" in text
    assert "against it: reviews +0.10" in text


def test_why_line_names_what_remains_with_every_group_off() -> None:
    attr = attribution(-1.2, -1.6, -0.8, {"pressure": (-0.4, -0.5, -0.3)})
    attr["groups"]["remainder"].update(share=-0.8, low=-1.2, high=-0.4)
    text = why_line(attr)
    assert "pressure -0.40 [-0.50, -0.30] (33% of it)" in text
    assert "the rest, -0.80 [-1.20, -0.40] (67% of it), remains with every group switched off" in text
    assert "the rest" not in why_line(attribution(2.0, 1.8, 2.2, {"reviews": (2.0, 1.9, 2.1)}))   # nothing left over


def test_why_line_without_a_clear_winner_names_no_winner() -> None:
    text = why_line(attribution(0.1, -0.3, 0.5, {"repeat_business": (0.5, -0.2, 1.2), "pressure": (-0.4, -0.6, -0.2)}))
    assert text.startswith("Why no clear winner") and "leads" not in text and "of it)" not in text
    assert text.index("repeat business +0.50") < text.index("pressure -0.40")


def test_evidence_lines_measured_shows_both_lines() -> None:
    entry = {"ensemble": headline(0.83, 0.05), "attribution": attribution(2.0, 1.8, 2.2, {"reviews": (2.0, 1, 3)})}
    lines = evidence_lines("baseline", "measured", entry)
    assert len(lines) == 2 and lines[0].startswith("Across the 40") and lines[1].startswith("Why relationship")


@pytest.mark.parametrize("state, words", [("changed", "not measured for these settings"),
                                          ("stale", "regenerate with `make headlines`"),
                                          ("missing", "run `make headlines`")])
def test_evidence_lines_otherwise_name_the_commands(state: str, words: str) -> None:
    (line,) = evidence_lines("scam_wary", state, None, "")
    assert words in line
    assert "`python -m sim run scam_wary --ensemble`" in line and "`python -m sim explain scam_wary`" in line
