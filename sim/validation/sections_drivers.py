"""The report sections about what decides the result: both regimes (4) and the Sobol analysis (6).

Owns the Markdown text of those two sections (:func:`regimes_section`, :func:`sobol_section`) and
the clause that explains each main Sobol driver (:data:`MECHANISMS`). The one-sentence mechanism of
each scenario is computed by the check itself (:func:`sim.validation.regimes.mechanism`).

Must not run the model or draw figures: it turns a :class:`~sim.validation.results.CheckResult`
into text, nothing else.
"""

from __future__ import annotations

import math
from typing import Any

from .markdown import md_figure, md_table, num, pct, verdict, whole
from .results import CheckResult

__all__ = ["regimes_section", "sobol_section", "MECHANISMS"]


_WINNER = {"relationship": "relationship", "numbers_game": "**numbers game**", "tie": "tie"}
_OUTCOME = {"relationship": "relationship selling wins", "numbers_game": "the numbers game wins",
            "tie": "there is no clear winner"}


def regimes_section(res: CheckResult) -> str:
    """Section 4: who wins each shipped scenario, the mechanism, and ``large_anonymous`` by size."""
    d = res.data
    sc = d["scenarios"]
    rows = []
    for name, st in sc.items():
        cross = ("never" if st["crossover_never"] == 1 else
                 num(st["crossover"].mean, 0) + ("" if st["crossover_never"] == 0 else
                                                f" ({pct(st['crossover_never'])} never)"))
        rows.append([f"`{name}`", whole(st["customers"]), str(st["weeks"]), st["ratio_year1"].fmt(2),
                     st["ratio"].fmt(2), cross, _WINNER[st["winner"]]])
    mech = [f"* `{name}` ({_WINNER[st['winner']]}): {st['mechanism']}" for name, st in sc.items()]
    text = [
        "## 4. Both regimes",
        "",
        "Every shipped scenario (`configs/*.yaml`) with "
        f"{d['replicates']} replicates. Revenue ratio = relationship / numbers-game revenue per seller over the "
        "horizon (summary `revenue_ratio`), mean and 95% interval over replicates; a strategy *wins* when the "
        "interval lies entirely on its side of 1, otherwise it is a tie. Crossover = week from which relationship "
        "cumulative revenue stays ahead (mean over the runs where it happens). Pass: at least one scenario won by "
        "each strategy.",
        "",
        md_table(["scenario", "customers", "weeks", "ratio, year 1", "ratio at horizon [95% CI]", "crossover week",
                  "winner"], rows, "lrrrrrl"),
        "",
        f"Numbers game wins: {res.rows[0].measured} ({verdict(res.rows[0].passed)}); relationship wins: "
        f"{res.rows[1].measured} ({verdict(res.rows[1].passed)}).",
        "",
        "**What decides each scenario** (figures are means over the replicates; sales shares are of each "
        "strategy's own sales; pitches per customer = numbers-game leads over the horizon / customers):",
        "",
        *mech,
        "",
    ]
    if d["sizes"]:
        size_rows = [[whole(s["customers"]), num(s["pitches"].mean, 1), s["ratio"].fmt(2), _WINNER[s["winner"]],
                      str(s["replicates"])] for s in d["sizes"]]
        flip = [s for s in d["sizes"] if s["winner"] == "numbers_game"]
        first = min(flip, key=lambda s: s["customers"]) if flip else None
        below = [s for s in d["sizes"] if first is not None and s["customers"] < first["customers"]]
        last = max(below, key=lambda s: s["customers"]) if below else None
        text += [
            "**How large must the anonymous market be?** `large_anonymous` at smaller sizes (everything else equal):",
            "",
            md_table(["customers", "numbers-game pitches per customer", "revenue ratio [95% CI]", "winner",
                      "replicates"], size_rows),
            "",
            (f"In this sweep the numbers game wins from {whole(first['customers'])} customers, where its sellers "
             f"pitch a customer {num(first['pitches'].mean, 1)} times over the horizon"
             + (f"; at {whole(last['customers'])} customers ({num(last['pitches'].mean, 1)} pitches per customer) "
                f"{_OUTCOME[last['winner']]}" if last else "")
             + ". This table shows where the regime "
             "changes, not why: the measured attribution of the full-size market is in section 8, and the "
             "sales-by-source shares above show what its sales are made of. This is why the test suite cannot use "
             "a reduced "
             "`large_anonymous`; it uses `one_off` for the numbers-game regime and `baseline` for relationship "
             "selling, and the full-size scenario runs only in `make validate`."
             if flip else "In this sweep the numbers game does not win at any size."),
            "",
        ]
    text += [md_figure("validation_regimes.png", "Revenue ratio by scenario with 95% intervals")]
    return "\n".join(text)

def sobol_section(res: CheckResult) -> str:
    """Section 6: the Sobol indices, how to read them and the mechanisms behind the main drivers."""
    d = res.data
    table = sorted(d["table"], key=lambda r: -r["ST"])
    rows = [[r["factor"].label, f"`{r['factor'].path}`", _range(r["factor"]), f"{num(r['ST'])} ± {num(r['ST_conf'])}",
             f"{num(r['S1'])} ± {num(r['S1_conf'])}", num(r["spearman"])] for r in table]
    s1_sum = sum(max(r["S1"], 0.0) for r in table)
    if s1_sum >= 0.9:
        interactions = (f"Together the first-order indices add up to {num(s1_sum)}: the factors act mostly on their "
                        "own, and interactions are small. ")
    else:
        interactions = (f"Together the first-order indices explain {pct(s1_sum)} of the variance; the rest comes from "
                        "interactions: a factor's effect depends on the values of the others, which is why the "
                        "total-order indices are larger than the first-order ones. ")
    top = table[:3]

    def direction(r: dict[str, Any]) -> str:
        if abs(r["spearman"]) < 0.1:
            return "no clear direction on its own: it acts through interactions"
        return f"higher values favour {'relationship selling' if r['spearman'] > 0 else 'the numbers game'}"

    drivers = "; ".join(f"{r['factor'].label} (ST {num(r['ST'])}; {direction(r)})" for r in top)
    minor = [r["factor"].label for r in table if r["ST"] < 0.05]
    why = [f"* {r['factor'].label}: {MECHANISMS[(r['factor'].path, r['spearman'] > 0)]}" for r in table
           if r["ST"] >= 0.1 and abs(r["spearman"]) >= 0.1 and (r["factor"].path, r["spearman"] > 0) in MECHANISMS]
    return "\n".join([
        "## 6. What drives the result",
        "",
        "A variance-based (Sobol) sensitivity analysis of the relationship advantage, "
        "A = log((relationship revenue + price) / (numbers-game revenue + price)) per seller, over "
        f"{len(table)} market and strategy parameters, in the baseline town over {d['weeks']} weeks "
        f"([`configs/validation/sobol.yaml`](../configs/validation/sobol.yaml): {whole(d['customers'])} customers "
        "unless the factor varies it; the relationship sellers run a copy of the preset whose knobs vary). "
        f"Saltelli sampling with N = {d['base_samples']} base samples (SALib `sample.sobol`, "
        "`calc_second_order=False`, scrambled), one run per design point, indices with bootstrap 95% "
        "intervals (`analyze.sobol`), "
        f"{d['runs']:,} runs in all. Log-scaled factors are sampled uniformly in log space.",
        "",
        "* **ST** (total order): share of the variance of A that disappears if the factor is fixed, interactions "
        "included. **S1** (first order): share due to the factor alone. Spearman: rank correlation of the factor "
        "with A over the sample (sign = direction).",
        f"* Relationship selling leads (A > 0) in {pct(d['relationship_wins'])} of the sampled markets; mean A = "
        f"{num(d['y_mean'])} (a revenue ratio of {num(math.exp(d['y_mean']), 2)}).",
        f"* Run-to-run noise is {pct(d['noise_share'], 1)} of the variance of A (from {d['noise_points']} design "
        f"points run {d['noise_replicates']} times each): the indices describe the parameters, not the seeds.",
        "",
        md_table(["factor", "config path", "range", "ST ± 95%", "S1 ± 95%", "Spearman"], rows, "lllrrr"),
        "",
        f"**Reading.** The largest total-order indices: {drivers}. " + interactions
        + (f"Parameters with ST below 0.05 ({', '.join(minor)}) barely matter over this range. " if minor else "")
        + "The settings are ranges around the baseline, not estimates for a particular market; the analysis "
        "says which assumptions a conclusion is sensitive to, not which way a real market goes.",
        "",
        *(["**Mechanisms behind the main drivers** (factors with ST ≥ 0.1 and a clear direction):", "", *why, ""]
          if why else []),
        md_figure("validation_sobol.png", "Sobol indices of the relationship advantage"),
        "",
        md_figure("validation_sobol_scatter.png", "Relationship advantage against each factor"),
    ])


MECHANISMS: dict[tuple[str, bool], str] = {
    ("market.customers", False): "in a larger market the numbers game's cold calls rarely reach the same person "
    "twice, so fatigue and pressure burn less trust (the `large_anonymous` regime).",
    ("market.customers", True): "in a larger market there are more repeat customers and referrals to win per seller.",
    ("market.purchase_cycle_weeks", False): "the rarer the need, the less repeat business there is to earn within "
    "the horizon (toward the `one_off` regime).",
    ("market.purchase_cycle_weeks", True): "rarer needs leave more time between purchases for trust to build.",
    ("market.skepticism_mean", False): "skeptical customers start far below the trust threshold, so over five years "
    "the numbers game's pressure closes more of the few early sales (the `scam_wary` short run).",
    ("market.skepticism_mean", True): "skeptical customers reward the seller who earns trust.",
    ("strategies.rel.minutes_per_contact", True): "longer relationship contacts build more trust per contact "
    "(trust gained is per genuinely interested minute) and pitch fewer people.",
    ("strategies.rel.minutes_per_contact", False): "shorter relationship contacts reach more people.",
    ("strategies.rel.pressure", False): "pressure costs the relationship seller trust on every pitch and "
    "satisfaction after every sale, which is what its repeat business lives on.",
    ("strategies.rel.pressure", True): "some pressure closes sales the relationship seller would otherwise lose.",
    ("strategies.rel.prospecting_share", False): "hours moved from existing customers to cold leads cost follow-ups "
    "and recoveries (bandwidth).",
    ("strategies.rel.prospecting_share", True): "more cold prospecting brings in customers who later repeat.",
    ("market.review_weight", True): "reviews carry the relationship seller's better rating to customers it never met.",
    ("market.review_weight", False): "reviews make sellers with good ratings substitutes for each other.",
    ("network.mean_degree", True): "more friends carry more word of mouth and referrals.",
    ("network.mean_degree", False): "more friends also carry the stories of the numbers game's sales.",
}
"""One clause per (factor, direction of its effect on the relationship advantage)."""


def _range(f: Any) -> str:
    fmt = (lambda v: whole(v)) if f.integer else (lambda v: f"{v:g}")
    return f"{fmt(f.low)}–{fmt(f.high)}" + (" (log)" if f.log else "")
