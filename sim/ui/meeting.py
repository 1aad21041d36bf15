"""HTML of the dashboard's meeting view: the title block, verdict cards with intervals, the story over runs.

Owns :func:`title_html` (the chosen scenario's own name, its description and what makes the test
fair), :func:`verdict_cards_html` / :func:`results_cards_html` (the cards of
:func:`sim.narrate.verdict.meeting_cards`: each big value with a labelled sub line and a detail line saying
how sure it is; a card with no clear winner is grey) and :func:`meeting_story_html`, plus
:data:`MEETING_CSS`, sized to be read on a projector at 1280x720.

Must not: choose words or numbers (:mod:`sim.narrate.verdict`, :mod:`sim.narrate`) or colours
(:mod:`sim.plots.style`); run the model.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from ..narrate import Card
from ..narrate.verdict import meeting_cards
from ..plots.style import strategy_colors
from ..report.html import markdown_html
from .render import CSS

__all__ = ["MEETING_CSS", "title_html", "verdict_cards_html", "meeting_story_html", "results_cards_html",
           "evidence_markdown"]

MEETING_CSS = CSS + """
<style>
.sim-meeting .sim-card {flex: 1 1 230px; min-width: 230px; line-height: 1.3;}
.sim-meeting .sim-card .v {font-size: 29px; line-height: 1.15;}
.sim-meeting .sim-card .s {font-size: 15px; line-height: 1.3;}
.sim-meeting .sim-card .d {font-size: 14px; line-height: 1.3; color: #555; margin-top: 4px;}
.sim-title {font-family: sans-serif; font-size: 28px; font-weight: 700; line-height: 1.2;}
.sim-subtitle {font-family: sans-serif; font-size: 15px; line-height: 1.35; color: #444; max-width: 1200px;
               margin-top: 3px;}
.sim-story {font-family: sans-serif; max-width: 1100px;}
.sim-story p, .sim-story li {font-size: 16px; line-height: 1.4; margin: 4px 0;}
.sim-downloads {line-height: 1.4;}
.sim-downloads a {display: inline-block; margin: 4px 12px 4px 0; font-size: 15px; font-family: sans-serif;}
</style>
"""
"""The stylesheet of the meeting view (on top of :data:`sim.ui.render.CSS`)."""

GREY = "#666"


def title_html(title: str, subtitle: str) -> str:
    """The page title (the scenario's own name) and the line under it."""
    return (f"{MEETING_CSS}<div class='sim-title'>{html.escape(title)}</div>"
            f"<div class='sim-subtitle'>{html.escape(subtitle)}</div>")


def verdict_cards_html(cards: Sequence[Card], strategies: Iterable[str]) -> str:
    """The headline cards: key, big value, labelled sub line and detail; coloured by the clear winner only."""
    colors = strategy_colors(strategies)
    out = []
    for card in cards:
        color = colors.get(card.strategy, GREY) if card.strategy is not None else GREY
        detail = f"<div class='d'>{html.escape(card.detail)}</div>" if card.detail else ""
        out.append(f"<div class='sim-card' style='border-color:{color}'><div class='k'>{html.escape(card.key)}</div>"
                   f"<div class='v' style='color:{color}'>{html.escape(card.value)}</div>"
                   f"<div class='s'>{html.escape(card.sub)}</div>{detail}</div>")
    return MEETING_CSS + "<div class='sim-meeting'><div class='sim-cards'>" + "".join(out) + "</div></div>"


def meeting_story_html(markdown: str, config: Any = None) -> str:
    """The story of :func:`sim.narrate.verdict.meeting_story` as HTML.

    With ``config``, followed by the shipped ensemble headline and its measured why (or why they are not
    shown), in :func:`sim.narrate.evidence.evidence_lines`' words (:func:`evidence_markdown`).
    """
    extra = f"\n\n{evidence_markdown(config)}" if config is not None else ""
    return f"<div class='sim-story'>{markdown_html(markdown + extra)}</div>"


def evidence_markdown(config: Any) -> str:
    """The why panel's evidence block for a config: across plausible markets, and why (from ``make headlines``)."""
    from ..calibration.headlines import evidence_for
    from ..narrate.evidence import evidence_markdown as words

    return words(evidence_for(config).lines())


def results_cards_html(results: Any) -> str:
    """The verdict cards of a run or of replicates (:class:`sim.Results`), for a notebook's ``HTML(...)``."""
    summary = results.summary
    return verdict_cards_html(meeting_cards(summary, results.runs or [summary], results.config),
                              list(summary.get("strategies", {})))
