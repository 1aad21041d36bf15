"""HTML of the narration: headline cards, the story, the error box and the stylesheet they share.

Owns how words look in a notebook or on the dashboard page: :data:`CSS`, :func:`headline_html`
(the cards of :func:`sim.narrate.headline_cards`, coloured per strategy), :func:`story_html` (the
story of :func:`sim.narrate.story_markdown`), :func:`error_html` / :func:`clean_message` for a
rejected configuration.

Must not: choose the words or numbers (that is :mod:`sim.narrate`), or pick colours of its own
(strategy colours come from :mod:`sim.plots.style`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as W

from ..narrate import headline_cards, story_markdown
from ..plots.style import strategy_colors

__all__ = ["CSS", "css_widget", "headline_html", "story_html", "error_html", "clean_message"]

CSS = """
<style>
.sim-cards {display:flex; flex-wrap:wrap; gap:14px; margin:6px 0 10px 0; font-family:sans-serif;}
.sim-card {flex:1 1 210px; background:#f6f7f9; border-left:8px solid #999; border-radius:6px; padding:10px 16px;}
.sim-card .k {font-size:14px; color:#555; text-transform:uppercase; letter-spacing:.04em;}
.sim-card .v {font-size:34px; font-weight:700; line-height:1.15; margin:4px 0;}
.sim-card .s {font-size:15px; color:#333;}
.sim-error {background:#fdecea; color:#7a1c12; border:1px solid #f5c2bc; border-radius:6px; padding:10px 14px;
            font-size:15px; font-family:sans-serif;}
.sim-help {font-size:12px; color:#666; margin:-4px 0 6px 4px; line-height:1.25; max-width:520px;}
.sim-colhead {font-size:17px; font-weight:700; margin:4px 0 6px 0; font-family:sans-serif;}
.sim-status {font-size:13px; color:#666; font-family:sans-serif;}
.sim-pending {opacity:0.45; transition:opacity 0.15s;}
</style>
"""
"""The stylesheet of every HTML piece of :mod:`sim.ui` (``sim-card``, ``sim-error``, ``sim-help``, ...)."""


def css_widget() -> W.HTML:
    """An invisible widget that carries :data:`CSS` into the page."""
    return W.HTML(CSS, layout=W.Layout(height="0px", overflow="hidden", margin="0"))


def headline_html(summary: Mapping[str, Any]) -> str:
    """Big headline cards (:func:`sim.narrate.headline_cards`, the dashboard's): who is ahead when, ratio, crossover."""
    colors = strategy_colors(summary.get("strategies", {}))
    out = []
    for card in headline_cards(summary):
        color = colors.get(card.strategy, "#333") if card.strategy is not None else "#555"
        detail = f"<div class='s'>{html.escape(card.detail)}</div>" if card.detail else ""
        out.append(f"<div class='sim-card' style='border-color:{color}'><div class='k'>{html.escape(card.key)}</div>"
                   f"<div class='v' style='color:{color}'>{html.escape(card.value)}</div>"
                   f"<div class='s'>{html.escape(card.sub)}</div>{detail}</div>")
    return CSS + "<div class='sim-cards'>" + "".join(out) + "</div>"


def story_html(summary: Mapping[str, Any], config: Any = None) -> str:
    """:func:`sim.narrate.story_markdown` as HTML (for widgets and Voila)."""
    out = []
    for block in story_markdown(summary, config).split("\n\n"):
        text = html.escape(block)
        while "**" in text:
            text = text.replace("**", "<b>", 1).replace("**", "</b>", 1)
        if text.startswith("- "):
            items = "".join(f"<li>{line[2:]}</li>" for line in text.split("\n"))
            out.append(f"<ul style='margin:4px 0'>{items}</ul>")
        else:
            out.append(f"<p style='margin:4px 0'>{text}</p>")
    style = "font-size:16px;line-height:1.5;max-width:1100px;font-family:sans-serif"
    return f"<div style='{style}'>" + "".join(out) + "</div>"


def clean_message(message: str) -> str:
    """A validation message without pydantic's boilerplate (``"config: Value error, "``)."""
    text = str(message).replace("Value error, ", "")
    return text[len("config: "):] if text.startswith("config: ") else text


def error_html(message: str) -> str:
    """A readable red box for a configuration problem (no traceback)."""
    return (CSS + "<div class='sim-error'><b>These settings cannot be run:</b> " + html.escape(clean_message(message))
            + "<br><span style='font-size:13px'>Move a control back to a valid value; "
            "the figures below still show the last valid run.</span></div>")
