"""Section 9, a credible default market: the shipped market's size, contact intensity and sales in real-world terms.

Owns :func:`market_figures` (one run's figures, counted from its weekly table), :func:`market_task`
(one run in a worker process), :func:`check_market` (``baseline`` and, for contrast, the small town
``two_cobblers``, :data:`MARKET_REPLICATES` replicates each, seeded ``replicate_seed(42, i)`` like
the measurement in docs/ODD.md, "A credible default market") and :func:`market_section` (its text),
with the one real-world comparison the project can cite (:data:`US_AGENTS`, :data:`US_HOUSEHOLDS`).

A reported section, not a pass/fail check: no published figure we can name gives the contacts a
household receives from one seller in a year or one salesperson's weekly sales of a generic
product, so any pass mark would be one chosen by us, and the small town is intense by design. Its
rows in the results table are ``info`` rows, which the "results at a glance" count leaves out.

Must not start processes (runs go through a :class:`~.runs.Pool`) or draw figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

import sim

from .markdown import md_table, num, pct, whole
from .results import CheckResult, Row, Stat, nonnegative
from .runs import Pool, ensure_pool, load, replicate_seeds

__all__ = ["check_market", "market_figures", "market_task", "market_section", "MARKET_SCENARIOS",
           "MARKET_REPLICATES", "US_AGENTS", "US_HOUSEHOLDS", "US_SOURCES"]

MARKET_SCENARIOS = ("baseline", "two_cobblers")
"""The default market first, then the small town for contrast."""
MARKET_REPLICATES = 10
"""Replicates per scenario (the runs are cheap; the figures vary little between seeds)."""
US_AGENTS = 536_800
"""US insurance sales agents, 2022 (BLS, *Occupational Outlook Handbook*, "Number of Jobs, 2022")."""
US_HOUSEHOLDS = 129_870_928
"""US households, 2022 (Census Bureau, American Community Survey 2022)."""
US_SOURCES = ("Bureau of Labor Statistics, *Occupational Outlook Handbook*, Insurance Sales Agents, "
              "\"Number of Jobs, 2022: 536,800\"; Census Bureau, American Community Survey 2022: 129,870,928 "
              "households")
CONTACTS = ("cold_calls", "keep_in_touch", "follow_ups")
"""Weekly columns that are a seller's contacts with a household."""
YEAR = 52
CONTRAST = {"two_cobblers": "the essay's small town, intense by design"}
"""How the section describes each contrast scenario."""


def market_figures(ts: pd.DataFrame, customers: int, weeks: int) -> dict[Any, float]:
    """One run's figures, counted from its weekly table (weeks ``1 .. weeks``, one row per week x seller).

    Keys are ``(strategy, measure)`` per strategy (per seller of it unless the measure says ``all``)
    and ``("market", measure)`` for the whole market. Year one is weeks 1-52 and the last year the
    final 52 weeks (the whole horizon when it is shorter); a household's figure is per household
    place (``customers``) and year.
    """
    years, span = weeks / YEAR, min(YEAR, weeks)
    first, last = ts[ts.week <= span], ts[ts.week > weeks - span]
    outside = float(ts.groupby("week", observed=True)["market_needs_outside"].first().sum())
    outside1 = float(first.groupby("week", observed=True)["market_needs_outside"].first().sum())
    needs, needs1 = outside + float(ts.sales.sum()), outside1 + float(first.sales.sum())
    out: dict[Any, float] = {
        ("market", "needs_per_household_year"): needs / customers / years,
        ("market", "outside_share"): outside / needs if needs else float("nan"),
        ("market", "outside_share_year1"): outside1 / needs1 if needs1 else float("nan"),
    }
    every = 0.0
    for strat in dict.fromkeys(str(s) for s in ts.strategy):
        g, g1, gl = (t[t.strategy == strat] for t in (ts, first, last))
        k = g.seller.astype(str).nunique()
        contacts = float(g[list(CONTACTS)].to_numpy().sum())
        every += contacts
        per = {
            "sellers": float(k),
            "contacts_per_household_year": contacts / k / customers / years,
            "cold_per_household_year": float(g.cold_calls.sum()) / k / customers / years,
            "contacts_per_household_year1": float(g1[list(CONTACTS)].to_numpy().sum()) / k / customers * YEAR / span,
            "cold_per_week": float(g.cold_calls.sum()) / k / weeks,
            "cold_per_week_year1": float(g1.cold_calls.sum()) / k / span,
            "sales_per_week": float(g.sales.sum()) / k / weeks,
            "sales_per_week_year1": float(g1.sales.sum()) / k / span,
            "sales_per_week_last_year": float(gl.sales.sum()) / k / span,
            "turned_away": float(g.turned_away.sum()) / k,
            "share_all": float(g.sales.sum()) / needs if needs else float("nan"),
            "share_per_seller": float(g.sales.sum()) / k / needs if needs else float("nan"),
        }
        out.update({(strat, m): v for m, v in per.items()})
    out[("market", "contacts_per_household_year_all")] = every / customers / years
    return out


def market_task(task: tuple[sim.Config, int]) -> dict[Any, float]:
    """One run's :func:`market_figures` (runs in a worker process)."""
    cfg, seed = task
    return market_figures(sim.run(cfg, seed=seed).timeseries, cfg.market.customers, cfg.weeks)


def _contact_minutes(cfg: sim.Config, strat: str) -> float:
    """Minutes of one contact: ``minutes_per_contact x (1 + listening_share x genuine_interest)``."""
    s = cfg.strategy(strat)
    return s.minutes_per_contact * (1.0 + cfg.market.listening_share * s.genuine_interest)


def check_market(pool: Pool | None = None, scenarios: Sequence[str] = MARKET_SCENARIOS,
                 replicates: int = MARKET_REPLICATES, updates: dict[str, Any] | None = None) -> CheckResult:
    """The default market's figures (and the small town's), reported with 95% intervals; info rows only.

    Args:
        pool: where the runs go (default: this process).
        scenarios: shipped scenarios, the default market first.
        replicates: runs per scenario, seeds ``replicate_seed(42, i)``.
        updates: dotted-path updates applied to every scenario (the tests use a tiny market).
    """
    pool = ensure_pool(pool)
    data: dict[str, Any] = {"replicates": replicates, "scenarios": {}}
    for name in scenarios:
        cfg = load(name, updates)
        runs = pool.map(market_task, [(cfg, s) for s in replicate_seeds("market", replicates)])
        strategies = list(dict.fromkeys(g.strategy for g in cfg.sellers))
        data["scenarios"][name] = {
            "customers": cfg.market.customers, "weeks": cfg.weeks, "hours": cfg.market.hours_per_week,
            "patience": cfg.market.need_patience_weeks, "cycle": cfg.market.purchase_cycle_weeks,
            "sellers": {g: sum(x.count for x in cfg.sellers if x.strategy == g) for g in strategies},
            "minutes": {g: _contact_minutes(cfg, g) for g in strategies},
            "stats": {key: nonnegative([r.get(key, float("nan")) for r in runs]) for key in runs[0]},
        }
    default, sc = scenarios[0], data["scenarios"][scenarios[0]]
    rows = []
    if "numbers_game" in sc["sellers"]:
        rows.append(Row(f"Default market (`{default}`, {whole(sc['customers'])} households): cold calls a household "
                        "receives per year from one numbers-game seller", "(reported; no published figure)",
                        sc["stats"][("numbers_game", "cold_per_household_year")].fmt(2), None))
    rows.append(Row(f"Default market (`{default}`): share of all needs that go to the outside option",
                    f"(reported; US: one insurance agent per {whole(US_HOUSEHOLDS / US_AGENTS)} households)",
                    sc["stats"][("market", "outside_share")].fmt(1, pct=True), None))
    return CheckResult("market", "A credible default market", rows, data)


# ---------------------------------------------------------------- the report section
def _label(strat: str) -> str:
    return strat.replace("_", " ")


def _adj(strat: str) -> str:
    return strat.replace("_", "-")


def _cells(res: CheckResult, key: tuple[str, str], digits: int, pct_: bool = False) -> list[str]:
    cells = []
    for sc in res.data["scenarios"].values():
        st: Stat | None = sc["stats"].get(key)
        cells.append("–" if st is None or st.n == 0 else st.fmt(digits, pct=pct_))
    return cells


def _table(res: CheckResult) -> str:
    scs = res.data["scenarios"]
    strategies = list(dict.fromkeys(g for sc in scs.values() for g in sc["sellers"]))

    def setting(f: Any) -> list[str]:
        return [f(sc) for sc in scs.values()]

    rows = [
        ["households (`market.customers`)", *setting(lambda sc: whole(sc["customers"]))],
        ["sellers", *setting(lambda sc: ", ".join(f"{n} {_label(g)}" for g, n in sc["sellers"].items()))],
        ["selling hours per seller per week", *setting(lambda sc: num(sc["hours"], 0))],
        ["horizon, weeks", *setting(lambda sc: whole(sc["weeks"]))],
        ["needs resolved per household per year", *_cells(res, ("market", "needs_per_household_year"), 2)],
    ]
    for g in strategies:
        rows += [
            [f"contacts a household receives per year from **one {_adj(g)} seller**",
             *_cells(res, (g, "contacts_per_household_year"), 2)],
            [f"… of which cold calls from one {_adj(g)} seller", *_cells(res, (g, "cold_per_household_year"), 2)],
            [f"… contacts from one {_adj(g)} seller, year one", *_cells(res, (g, "contacts_per_household_year1"), 2)],
        ]
    rows.append(["contacts a household receives per year from **all sellers together**",
                 *_cells(res, ("market", "contacts_per_household_year_all"), 2)])
    if "numbers_game" in strategies:
        rows += [["cold calls per numbers-game seller per week", *_cells(res, ("numbers_game", "cold_per_week"), 0)],
                 ["… year one", *_cells(res, ("numbers_game", "cold_per_week_year1"), 0)],
                 ["… most contacts its hours hold in a week (no other work)",
                  *setting(lambda sc: whole(sc["hours"] * 60 / sc["minutes"]["numbers_game"])
                           if "numbers_game" in sc["minutes"] else "–")]]
    for g in strategies:
        rows += [[f"sales per {_adj(g)} seller per week, whole horizon", *_cells(res, (g, "sales_per_week"), 2)],
                 ["… year one", *_cells(res, (g, "sales_per_week_year1"), 2)],
                 ["… last year", *_cells(res, (g, "sales_per_week_last_year"), 2)]]
    rows += [[f"customers a {_adj(g)} seller turns away over the horizon (hours full)",
              *_cells(res, (g, "turned_away"), 1)] for g in strategies]
    rows += [["share of all needs: **outside option**, whole horizon",
              *_cells(res, ("market", "outside_share"), 1, True)],
             ["… year one", *_cells(res, ("market", "outside_share_year1"), 1, True)]]
    for g in strategies:
        rows += [[f"share of all needs: {_label(g)} (all its sellers)", *_cells(res, (g, "share_all"), 2, True)],
                 ["… per seller", *_cells(res, (g, "share_per_seller"), 2, True)]]
    return md_table(["quantity", *(f"`{n}`" for n in scs)], rows, "l" + "r" * len(scs))


def market_section(res: CheckResult) -> str:
    """Section 9: the table, the real-world comparison and what the outside share means."""
    scs = res.data["scenarios"]
    name, sc = next(iter(scs.items()))
    n_sellers = sum(sc["sellers"].values())
    outside = sc["stats"][("market", "outside_share")].mean
    served = 1.0 - outside
    equivalent = n_sellers / served if served > 0 else float("inf")
    per_agent = US_HOUSEHOLDS / US_AGENTS
    text = [
        "## 9. A credible default market",
        "",
        "What the shipped default market is, in figures a practitioner can check against their own trade "
        "(docs/ODD.md, \"A credible default market\", gives the reasoning behind its size). **Reported, not a "
        "pass/fail check:** no published figure we can name gives the contacts a household receives from one "
        "seller in a year, or one salesperson's weekly sales of a generic product, so any pass mark would be one "
        "we chose; its rows in the results table are *info* rows and are not counted as checks. "
        f"`{name}` is the default market; {', '.join(f'`{n}`' for n in list(scs)[1:]) or 'no other scenario'} "
        "is shown for contrast. Measured on the shipped presets, "
        f"{res.data['replicates']} replicates per scenario (`replicate_seed(42, i)`), counted from each run's "
        "weekly table, per seller unless said otherwise; mean and 95% percentile-bootstrap interval over replicates "
        "(every figure here is non-negative, so its interval never goes below zero). Contacts = cold "
        "calls + keep-in-touch contacts + follow-ups (columns `cold_calls`, `keep_in_touch`, `follow_ups`); a "
        "household's figure is a seller's contacts / households / years. Year one is weeks 1–52, the last year "
        "the final 52 weeks. The outside option's share is of every need resolved (by a modelled seller or by the "
        "outside option); a strategy's share of all needs is its sales over the same total.",
        "",
        _table(res),
        "",
        "**A real-world counterpart.** The United States has about "
        f"{whole(US_AGENTS)} insurance sales agents for {whole(US_HOUSEHOLDS)} households, one agent per about "
        f"{whole(per_agent)} households ({US_SOURCES}). It is the one comparison we can cite: insurance is a trade "
        "of individual salespeople who prospect households, which is what the model's sellers are; it says "
        "nothing about how often such an agent calls a household.",
        "",
        f"**What the outside share means.** The outside option resolves every need that no modelled seller serves "
        f"within `need_patience_weeks` ({sc['patience']} weeks in `{name}`): other vendors of the trade, or doing "
        f"without. In `{name}` the {n_sellers} modelled sellers serve {pct(served, 1)} of all needs and "
        f"{pct(outside, 1)} go outside. Read as {n_sellers} of a trade of many comparable sellers with equal "
        f"shares, that is about {whole(equivalent)} sellers in {whole(sc['customers'])} households, one per "
        f"{whole(sc['customers'] / equivalent)}, beside the one insurance agent per {whole(per_agent)} households "
        "above."
        + (f" Read as a market in which these {n_sellers} are most of the vendors, {pct(outside, 0)} outside would "
           "mean that most households do without, and would not be credible." if outside > 0.5 else "")
        + " The model cannot tell which reading holds: the outside option is a count of needs, not agents.",
        "",
    ]
    for other, o in list(scs.items())[1:]:
        ng = o["stats"].get(("numbers_game", "cold_per_household_year"))
        text += [f"`{other}` ({whole(o['customers'])} households, {num(o['hours'], 0)} selling hours a week per "
                 f"seller) is {CONTRAST.get(other, 'shown for contrast')}"
                 + (f": one numbers-game seller cold-calls each household {num(ng.mean, 1)} times a year"
                    if ng is not None else "")
                 + f", and {pct(o['stats'][('market', 'outside_share')].mean, 1)} of needs go outside. It is not "
                 "the default market.", ""]
    return "\n".join(text)
