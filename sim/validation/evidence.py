"""Checks 7 and 8: the calibration (targets, fit, the accepted ensemble) and each scenario's attribution.

Both read the shipped files instead of running the model: ``configs/calibration/targets.yaml`` and
``ensemble.yaml`` (written by ``make calibrate``) and ``headlines.yaml`` (``make headlines``, read
through :func:`sim.calibration.headlines.evidence_for`, so a stale measurement is reported as stale,
never shown). :func:`check_calibration` and :func:`check_attribution` return the
:class:`~sim.validation.results.CheckResult` of each; :func:`calibration_section` and
:func:`attribution_section` render it. :func:`shipped_evidence` is what the regime check uses for
its "why" sentences.

Must not run the model, start processes or draw figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sim

from .markdown import md_table, num, pct, verdict, whole
from .results import CheckResult, Row

__all__ = ["check_calibration", "check_attribution", "calibration_section", "attribution_section",
           "shipped_evidence"]


def shipped_evidence(names: Sequence[str] | None = None) -> dict[str, Any]:
    """The shipped measurement's :class:`~sim.calibration.headlines.Evidence` of each shipped scenario."""
    from sim.calibration.headlines import evidence_for

    return {n: evidence_for(sim.load_scenario(n)) for n in (names or sim.scenario_names())}


# ============================================================================ calibration
def check_calibration(pool: Any = None) -> CheckResult:
    """The calibration targets, each one's fit over the shipped ensemble, and the ensemble's size."""
    from sim.calibration.ensemble import load_ensemble
    from sim.calibration.stats import weighted_quantile
    from sim.calibration.targets import load_targets

    targets, ens = load_targets(), load_ensemble()
    weights = [m.weight for m in ens.members]
    table = []
    for name, t in targets.targets.items():
        values = [m.measures.get(name) for m in ens.members]
        within = [t.met(x) for x in values]
        table.append({"name": name, "description": t.description, "use": t.use, "low": t.low, "high": t.high,
                      "source": t.sources[0].title, "median": weighted_quantile(values, weights, 0.5),
                      "q05": weighted_quantile(values, weights, 0.05), "q95": weighted_quantile(values, weights, 0.95),
                      "within": sum(within) / len(within)})
    accept = [r for r in table if r["use"] == "accept"]
    rows = [Row("Every shipped ensemble member meets every accepted calibration target (as calibrated)",
                f"{len(accept)} targets, {len(ens.members)} members",
                ", ".join(f"{r['name']} {pct(r['within'])}" for r in accept if r["within"] < 1) or "all within",
                all(r["within"] == 1 for r in accept))]
    data = {"targets": table, "tried": ens.tried, "accepted": ens.accepted, "shipped": len(ens.members),
            "settings": dict(ens.settings), "scenario": ens.scenario, "weeks": ens.weeks}
    return CheckResult("calibration", "Calibration", rows, data)


def calibration_section(res: CheckResult) -> str:
    """Section 7: the targets, their fit over the accepted ensemble, and how it was found."""
    d = res.data
    rows = [[f"`{r['name']}`", r["description"], r["use"], f"{num(r['low'], 3)}–{num(r['high'], 3)}",
             "n/a" if r["median"] is None else f"{num(r['median'], 3)} [{num(r['q05'], 3)}, {num(r['q95'], 3)}]",
             pct(r["within"]), r["source"]] for r in d["targets"]]
    s = d["settings"]
    return "\n".join([
        "## 7. Calibration",
        "",
        "The market's free constants are not fixed by one figure: `make calibrate` (history matching, "
        "docs/CALIBRATION.md) keeps every set of constants, drawn from the plausible ranges in "
        "[`configs/calibration/priors.yaml`](../configs/calibration/priors.yaml), whose year-1 runs in "
        f"`{d['scenario']}` meet every *accept* target of "
        "[`configs/calibration/targets.yaml`](../configs/calibration/targets.yaml) within its tolerance; *report* "
        f"targets are measured but reject nothing. It tried {whole(d['tried'])} parameter sets "
        f"({whole(s.get('design', 0))} + {max(int(s.get('waves', 1)) - 1, 0)} × {whole(s.get('refine', 0))} points, "
        f"{s.get('replicates', '?')} replicates each) and accepted {whole(d['accepted'])}; the shipped ensemble "
        f"([`configs/calibration/ensemble.yaml`](../configs/calibration/ensemble.yaml)) keeps {whole(d['shipped'])}, "
        "evenly thinned. Fit: each target's measure over the shipped members (weighted median and 5–95% range) and "
        "the share of members within the target's band, from the measures recorded when they were accepted "
        "(a slow test re-runs a sample of members).",
        "",
        md_table(["target", "figure", "use", "band", "ensemble: median [5–95%]", "within", "source"], rows,
                 "llllrrl"),
        "",
        f"Every accepted target met by every member: {verdict(res.rows[0].passed)}.",
    ])


# ============================================================================ attribution
def check_attribution(pool: Any = None, scenarios: Sequence[str] | None = None) -> CheckResult:
    """Each shipped scenario's mechanism attribution, from the shipped measurements (fresh ones only)."""
    evidence = shipped_evidence(scenarios)
    measured = [n for n, ev in evidence.items() if ev.state == "measured"]
    rows = [Row("Shipped mechanism attribution is measured on the current model for every shipped scenario",
                f"{len(evidence)} scenarios", f"{len(measured)} of {len(evidence)}"
                + ("" if len(measured) == len(evidence) else "; run `make headlines`"), len(measured) == len(evidence))]
    data = {"scenarios": {n: {"state": ev.state, "reason": ev.reason, "entry": ev.entry, "lines": ev.lines()}
                          for n, ev in evidence.items()}}
    return CheckResult("attribution", "Attribution", rows, data)


def _group_table(attr: dict[str, Any]) -> str:
    groups = sorted(attr["groups"].items(), key=lambda kv: (kv[0] == "remainder", -abs(kv[1]["share"])))

    def bounds(g: dict[str, Any]) -> str:
        return "" if g["low"] is None else f"[{g['low']:+.3f}, {g['high']:+.3f}]"

    rows = [[g["label"], f"{g['share']:+.3f}", bounds(g)] for _, g in groups]
    rows.append(["**total**", f"**{attr['total']:+.3f}**", bounds({"low": attr["total_low"],
                                                                    "high": attr["total_high"]})])
    return md_table(["group", "share", "interval"], rows, "lrl")


def attribution_section(res: CheckResult) -> str:
    """Section 8: per shipped scenario, the headline over the ensemble and the Shapley shares with intervals."""
    from sim.narrate.evidence import attribution_sentence

    text = [
        "## 8. Across plausible markets, and why",
        "",
        "For every shipped scenario, from the shipped measurements "
        "([`configs/calibration/headlines.yaml`](../configs/calibration/headlines.yaml), `make headlines`): the "
        "headline over the accepted ensemble (the share of plausible markets each strategy wins; a member's winner "
        "needs its replicate interval to exclude no difference) and the attribution of the scenario's long-run log "
        "revenue advantage of relationship over numbers game to mechanism groups (`python -m sim explain`: exact "
        "Shapley values over the 2^9 subsets of groups switched off for every seller alike, common random numbers, "
        "95% t-interval over replicates; the shares and the remainder add up to the total). A scenario whose "
        "measurement no longer matches the model, the ensemble or its settings is reported as stale, not shown.",
        "",
    ]
    for name, sc in res.data["scenarios"].items():
        text += [f"### `{name}`", ""]
        if sc["state"] != "measured":
            text += [f"*{sc['lines'][0]}*", ""]
            continue
        a = sc["entry"]["attribution"]
        text += [sc["lines"][0], "",
                 f"Attribution ({a['replicates']} replicates, {whole(a['runs'])} runs):", "",
                 _group_table(a), "", f"> {attribution_sentence(a)}", ""]
    text += [f"Measured for every shipped scenario on the current model: {res.rows[0].measured} "
             f"({verdict(res.rows[0].passed)})."]
    return "\n".join(text)
