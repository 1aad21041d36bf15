"""Narration of the evidence: the headline over the calibrated ensemble and the "why" from the attribution.

Words for the numbers :mod:`sim.calibration` measures: :func:`ensemble_sentence` (``python -m sim
ensemble``), :func:`attribution_sentence` (``python -m sim explain``, the validation report's regime
sentences), and for the surfaces that show the shipped measurements (``sim run``'s summary, the
consultant notebook, the dashboard's why panel) :func:`ensemble_line`, :func:`why_line` and
:func:`evidence_lines`, which also says when the measurement does not apply (other settings) or is
stale, and names the command that measures it.

Reads plain mappings: an ensemble headline (:func:`sim.calibration.ensemble.ensemble_headline`'s
content, or its entry in the shipped ``headlines.yaml``) and an attribution (``attribution.json``'s
content, or its entry). Ratios are relationship over numbers game by name (``pair``).

Must not: import :mod:`sim.calibration` (it sits above this layer), read files, run the model or
compute a statistic; draw or build HTML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["NO_WINNER", "ensemble_sentence", "attribution_sentence", "ensemble_line", "why_line", "evidence_lines",
           "sales_mix_sentence", "evidence_markdown", "EVIDENCE_STATES", "HEADLINES_COMMAND", "EVIDENCE_HEADING"]

NO_WINNER = "no clear winner"
"""The ensemble headline's key for markets where neither strategy wins clearly."""
HEADLINES_COMMAND = "make headlines"
"""What regenerates the shipped measurements."""
EVIDENCE_STATES = ("measured", "changed", "stale", "missing")
"""States of a shipped measurement for a config: measured for it, other settings, stale, not measured."""

EVIDENCE_HEADING = "Across plausible markets, and why"
"""The heading of the evidence block on the dashboard and in the notebook."""

_LABELS = {"relationship": "relationship selling", "numbers_game": "the numbers game"}


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " "))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _short(name: str) -> str:
    return name.replace("_", " ")


def _r(x: float | None) -> str:
    """A ratio: 3 significant figures at most, ``n/a`` when undefined."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.1f}" if x >= 10 else f"{x:.2g}" if x < 1 else f"{x:.2f}".rstrip("0").rstrip(".")


def _pct(x: float) -> str:
    return f"{x:.0%}"


# ============================================================================ the ensemble
def ensemble_sentence(summary: Mapping[str, Any]) -> str:
    """One sentence: who wins in how many plausible markets, the ratio's median and 90% range, the single market.

    E.g. "Relationship selling wins in 83% of 120 markets consistent with the evidence, the numbers game
    in 5% (no clear winner in 12%); revenue ratio relationship / numbers game 1.7, 90% range 0.9-3.4
    (single market with the shipped constants: 7.1)."
    """
    inc, cha = summary["pair"]["incumbent"], summary["pair"]["challenger"]
    wins, ratio, single = summary["wins"], summary["ratio"], summary["single_market"]
    cross = summary["crossover_week"]
    text = (f"{_cap(_label(cha))} wins in {_pct(wins[cha])} of {summary['members']} markets "
            f"consistent with the evidence, {_label(inc)} in {_pct(wins[inc])} "
            f"(no clear winner in {_pct(wins[NO_WINNER])}); "
            f"revenue ratio {_short(cha)} / {_short(inc)} {_r(ratio['median'])}, "
            f"90% range {_r(ratio['low'])}-{_r(ratio['high'])}")
    if cross["never_share"] < 1 and cross["median"] is not None:
        text += (f"; where it overtakes, {_label(cha)} does so in week {cross['median']:.0f} (median; 90% range "
                 f"{cross['low']:.0f}-{cross['high']:.0f}), and never in {_pct(cross['never_share'])} of markets")
    else:
        text += f"; {_label(cha)} never overtakes"
    return text + f" (single market with the shipped constants: {_r(single['ratio'])})."


def ensemble_line(summary: Mapping[str, Any]) -> str:
    """The surfaces' one line: "Across the N markets consistent with the evidence: relationship wins in X%, ..."."""
    inc, cha = summary["pair"]["incumbent"], summary["pair"]["challenger"]
    wins, ratio, cross = summary["wins"], summary["ratio"], summary["crossover_week"]
    text = (f"Across the {summary['members']} markets consistent with the evidence: {_short(cha)} wins in "
            f"{_pct(wins[cha])}, {_short(inc)} in {_pct(wins[inc])}, no clear winner in {_pct(wins[NO_WINNER])}; "
            f"revenue ratio {_short(cha)} / {_short(inc)} {_r(ratio['median'])} (median; 90% range "
            f"{_r(ratio['low'])}-{_r(ratio['high'])})")
    if cross["never_share"] < 1 and cross["median"] is not None:
        text += f", crossover week {cross['median']:.0f} (median; never in {_pct(cross['never_share'])} of markets)"
    else:
        text += f"; {_short(cha)} never overtakes"
    return text + "."


# ============================================================================ the attribution
def _listing(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _ranked(attr: Mapping[str, Any]) -> tuple[float, list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The sign of the total, the groups for it (largest first) and those against it (largest first)."""
    total = attr["total"]
    groups = [v for k, v in attr["groups"].items() if k != "remainder"]
    sign = 1.0 if total >= 0 else -1.0
    small = 0.02 * max(abs(total), 1e-9)
    ranked = sorted(groups, key=lambda v: -sign * v["share"])
    pro = [v for v in ranked if sign * v["share"] > small]
    con = [v for v in ranked[::-1] if sign * v["share"] < -small]
    return sign, pro, con


def _plain(v: Mapping[str, Any]) -> str:
    return f"{v['label']} {v['share']:+.2f}"


def _clear(attr: Mapping[str, Any]) -> bool:
    low, high = attr.get("total_low"), attr.get("total_high")
    return low is not None and high is not None and (low > 0 or high < 0)


def attribution_sentence(attr: Mapping[str, Any]) -> str:
    """The "why" in one sentence, from the measured shares (largest first).

    E.g. "Why relationship selling leads in baseline (log revenue advantage +1.95, ratio 7.02): repeat
    business +1.20, pitch fatigue +0.40 and reviews +0.15 carry most of it; pressure effects -0.10 work
    against it; +0.05 remains with every group switched off."
    """
    inc, cha = attr["pair"]["incumbent"], attr["pair"]["challenger"]
    total, low, high = attr["total"], attr.get("total_low"), attr.get("total_high")
    _, pro, con = _ranked(attr)
    pro, con = pro[:3], con[:2]
    numbers = f"log revenue advantage of {_short(cha)} {total:+.2f}, ratio {math.exp(total):.2f}"
    if _clear(attr):
        text = f"Why {_label(cha if total > 0 else inc)} leads in {attr['scenario']} ({numbers}): "
    elif low is not None and high is not None:
        text = f"No clear winner in {attr['scenario']} ({numbers}, interval {low:+.2f} to {high:+.2f}): "
    else:
        text = f"No clear winner in {attr['scenario']} ({numbers}, no interval): "
    if not _clear(attr):
        groups = [v for k, v in attr["groups"].items() if k != "remainder"]
        largest = sorted(groups, key=lambda v: -abs(v["share"]))[:3]
        text += f"the largest shares are {_listing([_plain(v) for v in largest])}, and none decides it"
        return text + f"; {attr['groups']['remainder']['share']:+.2f} remains with every group switched off."
    if pro:
        text += f"{_listing([_plain(v) for v in pro])} "
        text += f"{'carry' if len(pro) > 1 else 'carries'} most of it"
    else:
        text += "no group carries much"
    if con:
        text += (f"; {_listing([_plain(v) for v in con])} "
                 f"{'work' if len(con) > 1 else 'works'} against it")
    rem = attr["groups"]["remainder"]["share"]
    return text + f"; {rem:+.2f} remains with every group switched off."


def _share_text(v: Mapping[str, Any], total: float | None) -> str:
    text = f"{v['label']} {v['share']:+.2f}"
    if v.get("low") is not None and v.get("high") is not None:
        text += f" [{v['low']:+.2f}, {v['high']:+.2f}]"
    if total is not None:
        text += f" ({v['share'] / total:.0%} of it)"
    return text


def why_line(attr: Mapping[str, Any], top: int = 3) -> str:
    """The surfaces' "Why" line: the largest mechanism shares of the log revenue advantage, with intervals.

    E.g. "Why relationship selling leads (log revenue advantage of relationship +1.95 [+1.83, +2.07],
    95% t-interval over replicates; Shapley shares): repeat business +1.77 [+1.67, +1.88] (91% of it);
    pitch fatigue +0.24 [+0.17, +0.31] (12% of it); ...; against it: honesty about fit -0.11 [-0.18, -0.03]."
    With no clear winner it lists the largest shares by size, for and against alike.
    """
    inc, cha = attr["pair"]["incumbent"], attr["pair"]["challenger"]
    total, low, high = attr["total"], attr.get("total_low"), attr.get("total_high")
    bounds = f" [{low:+.2f}, {high:+.2f}]" if low is not None and high is not None else ""
    numbers = (f"log revenue advantage of {_short(cha)} over {_short(inc)} {total:+.2f}{bounds}, "
               f"{attr.get('interval', '95% t-interval over replicates')}; Shapley shares")
    if not _clear(attr):
        groups = [v for k, v in attr["groups"].items() if k != "remainder"]
        largest = sorted(groups, key=lambda v: -abs(v["share"]))[:top]
        return (f"Why no clear winner ({numbers}): the largest shares are "
                f"{'; '.join(_share_text(v, None) for v in largest)}; none decides it.")
    _, pro, con = _ranked(attr)
    body = "; ".join(_share_text(v, total) for v in pro[:top]) or "no group carries much"
    if con:
        body += "; against it: " + "; ".join(_share_text(v, None) for v in con[:2])
    rest = attr["groups"].get("remainder")
    if rest is not None and abs(rest["share"]) > 0.02 * abs(total):
        body += (f"; the rest, {_share_text({**rest, 'label': ''}, total).strip()}, remains with "
                 "every group switched off (the strategies' other differences: time split, contact length, "
                 "genuine interest, follow-ups)")
    return f"Why {_label(cha if total > 0 else inc)} leads ({numbers}): {body}."


def sales_mix_sentence(mix: Mapping[str, float], pitches: float, pair: tuple[str, str]) -> str:
    """What the runs show beside the attribution: where each strategy's sales come from.

    Args:
        mix: ``"<strategy>_<source>"`` -> share of that strategy's sales (``new``, ``repeat``,
            ``referral``, ``inbound``; NaN when it sold nothing).
        pitches: the incumbent's leads over the horizon per customer.
        pair: ``(incumbent, challenger)``.
    """
    inc, cha = pair

    def p(key: str) -> str:
        x = mix.get(key, math.nan)
        return "n/a" if not math.isfinite(x) else f"{x:.0%}"

    return (f"In these runs {p(f'{cha}_repeat')} of {_short(cha)} sales are repeat sales, {p(f'{cha}_referral')} "
            f"referrals and {p(f'{cha}_inbound')} customers who come by themselves; {p(f'{inc}_new')} of "
            f"{_short(inc)} sales are cold, at {pitches:.1f} {_short(inc)} pitches per customer over the horizon.")


# ============================================================================ the surfaces
def evidence_lines(scenario: str, state: str, entry: Mapping[str, Any] | None = None, reason: str = "") -> list[str]:
    """What a surface shows about the shipped measurements for one config: two lines, or one saying why not.

    Args:
        scenario: the scenario's name (or file), for the commands named.
        state: one of :data:`EVIDENCE_STATES`: ``measured`` (``entry`` applies to this config),
            ``changed`` (the config is not the shipped scenario's), ``stale`` (the model or the
            ensemble changed since the measurement) or ``missing`` (never measured).
        entry: with ``measured``: ``{"ensemble": ..., "attribution": ...}`` (either may be absent).
        reason: with ``stale`` / ``missing``: what changed or what is missing, a few words.
    """
    measure = f"`python -m sim run {scenario} --ensemble` and `python -m sim explain {scenario}`"
    if state == "measured" and entry is not None:
        lines = []
        if entry.get("ensemble"):
            lines.append(ensemble_line(entry["ensemble"]))
        if entry.get("attribution"):
            lines.append(why_line(entry["attribution"]))
        return lines
    if state == "changed":
        detail = reason or f"they differ from the shipped scenario {scenario}"
        return [f"Across plausible markets, and why: not measured for these settings ({detail}); measure them with "
                f"{measure}, with the same options."]
    if state == "stale":
        return [f"Across plausible markets, and why: stale ({reason or 'the model changed since the measurement'}): "
                f"regenerate with `{HEADLINES_COMMAND}`, or measure this scenario with {measure}."]
    if state == "missing":
        return [f"Across plausible markets, and why: not measured ({reason or 'no shipped measurement'}); "
                f"run `{HEADLINES_COMMAND}`, or measure this scenario with {measure}."]
    raise ValueError(f"state = {state!r}: allowed {', '.join(EVIDENCE_STATES)}")


def evidence_markdown(lines: Sequence[str]) -> str:
    """The evidence block as markdown: :data:`EVIDENCE_HEADING` in bold, then each line as a paragraph."""
    return f"**{EVIDENCE_HEADING}:**\n\n" + "\n\n".join(lines)
