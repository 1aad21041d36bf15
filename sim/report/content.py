"""What a report says, before it is laid out: one :class:`Report` that the HTML and the PDF both render.

Owns :func:`build_report` (headline numbers with intervals, the story, the figures, every setting
that differs from the baseline, the model version and seed, the limitations paragraph, and the
data of ``summary.json``), :class:`Table` and the two optional sections later work fills in:

* ``attribution``: **hook** for the mechanism attribution (how much of the result each mechanism
  carries, switched off in turn). Rendered only when given.
* ``calibration``: **hook** for the calibration fit of a client's market (each observed figure, the
  fitted value, within tolerance or not). Rendered only when given.
* ``comparison``: a client's current versus proposed by year (:mod:`sim.report.client`). Rendered only when given.

The tables come from the files other commands write (:mod:`sim.report.sections`).

Must not: lay anything out (:mod:`sim.report.html`, :mod:`sim.report.pdf`), choose words or
number formats of its own (:mod:`sim.narrate`, :mod:`sim.narrate.verdict`), run the model, or write files.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from .. import __version__
from ..narrate import years_text
from ..narrate.verdict import FAIR_TEST, compare, compared_pair, headline_rows, meeting_story, scenario_title
from .figures import report_figures
from .settings import settings_changes

if TYPE_CHECKING:
    from ..config import Config
    from ..model.runner import Results

__all__ = ["Report", "Table", "build_report", "limitations", "summary_data"]


@dataclass(frozen=True)
class Table:
    """A section of the report given by later work (a hook): a title, column names, rows and a note."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""

    def __post_init__(self) -> None:
        bad = [r for r in self.rows if len(r) != len(self.columns)]
        if bad:
            raise ValueError(f"Table {self.title!r}: row {bad[0]!r} has {len(bad[0])} cells; "
                             f"the table has {len(self.columns)} columns")


@dataclass
class Report:
    """Everything a report shows, in reading order (see :func:`build_report`)."""

    title: str
    intro: str
    headline: list[tuple[str, str]]
    story: str
    figures: list[tuple[str, Figure]]
    changes: list[tuple[str, str, str]]
    limitations: str
    about: list[tuple[str, str]]
    summary: dict[str, Any]
    config: Config
    attribution: Table | None = None
    calibration: Table | None = None
    scenario: str = ""
    comparison: Table | None = None


def limitations(config: Config, runs: int) -> str:
    """What the model leaves out, and what the intervals do and do not mean (one paragraph)."""
    text = [
        "This is a stylised market, not a forecast for a particular business.",
        "Price is fixed and the same for every seller, and products are equally good on average: there is no "
        "price competition, discounting or negotiation.",
        "Each seller follows one strategy for the whole horizon: nobody learns, adapts, hires, leaves or reacts "
        "to a competitor.",
        "Revenue is counted, not profit: the cost of a seller's time, of follow-ups or of fixing failures is not "
        "priced beyond the fixed weekly hours.",
        "Customers meet sellers only through the modelled channels (contacts, word of mouth, reviews, coming by "
        "themselves); advertising, search and the rest of the market (other vendors, doing without) are "
        "represented only as needs these sellers do not serve.",
        "Most behavioural constants (trust gains and losses, the buying threshold, decay, word-of-mouth and "
        "review weights) are plausible choices, not estimates from data; only a few figures are calibrated "
        "(a numbers-game seller's first-year funnel of about 100 leads, 20 prospects, 3 presentations and "
        "1 sale, and 76% of customers reading reviews).",
    ]
    if runs > 1:
        text.append(f"The intervals are 95% intervals over {runs} replicate runs: they show how much the result "
                    "varies with chance inside the model, not how wrong its constants or its structure could be.")
    else:
        text.append("This report rests on a single run, so it gives no intervals: chance alone can decide a close "
                    "result; run replicates before judging a winner.")
    text.append("Other markets or other constants can change the winner; the shipped scenarios include markets "
                "where the numbers game wins.")
    return " ".join(text)


def _plain(x: Any) -> Any:
    """JSON-ready values: NumPy numbers as Python numbers, NaN/inf as None."""
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def summary_data(results: Results) -> dict[str, Any]:
    """``summary.json``: the run's summary plus ``comparison``, the headline numbers exactly as the report shows them.

    ``comparison`` holds, per outcome (``revenue_year1``, ``revenue_total``, ``referrals_total``),
    the pair compared (numerator over denominator, by strategy name), each strategy's mean and
    95% interval, the difference, the ratio (of the means, bootstrap interval), the
    runs each strategy is ahead in and the verdict.
    """
    runs = list(results.runs or [results.summary])
    pair = compared_pair(list(results.summary.get("strategies", {})), results.config)
    comparison = {}
    if pair is not None:
        for metric in ("revenue_year1", "revenue_total", "referrals_total"):
            comparison[metric] = compare(runs, metric, pair).as_dict()
    return _plain({**results.summary, "replicates": len(runs), "comparison": comparison,
                   "model_version": __version__})


def build_report(results: Results, *, attribution: Table | None = None, calibration: Table | None = None,
                 display_names: Mapping[str, str] | None = None, baseline: Config | None = None,
                 created: _dt.datetime | None = None) -> Report:
    """Gather a report's content from a run (one or replicates).

    Args:
        results: :func:`sim.run` or :func:`sim.run_replicates` results.
        attribution: hook: the mechanism-attribution table, shown only when given.
        calibration: hook: the calibration-fit table of a client's market, shown only when given.
        display_names: ``{name in the run: name shown}`` of strategies renamed for display (the dashboard's
            ``<name>_tuned``); their knobs are compared with the strategy of the shown name.
        baseline: the configuration settings are compared with (default: the shipped baseline).
        created: the time stamp printed in the report (default: now).
    """
    cfg, summary = results.config, results.summary
    runs: Sequence[Mapping[str, Any]] = list(results.runs or [summary])
    weeks = int(summary.get("weeks") or cfg.weeks)
    created = created or _dt.datetime.now().astimezone()
    sellers = " + ".join(f"{g.count} {(display_names or {}).get(g.strategy, g.strategy)}" for g in cfg.sellers)
    about = [
        ("Scenario", cfg.name),
        ("Market", f"{cfg.market.customers:,} customers; sellers {sellers}; {years_text(weeks)} ({weeks} weeks)"),
        ("Runs", f"{len(runs)} replicate runs (replicate seeds derived from the base seed)" if len(runs) > 1
         else "1 run"),
        ("Seed", str(summary.get("seed", cfg.seed))),
        ("Model version", f"sim {__version__}"),
        ("Created", created.strftime("%Y-%m-%d %H:%M %Z").strip()),
    ]
    intro = " ".join(t for t in ((cfg.description or "").strip(), FAIR_TEST) if t)
    return Report(
        title=scenario_title(cfg, compared_pair(list(summary.get("strategies", {})), cfg)),
        intro=intro, headline=headline_rows(summary, runs, cfg), story=meeting_story(summary, runs, cfg),
        figures=report_figures(results), changes=settings_changes(cfg, baseline, display_names),
        limitations=limitations(cfg, len(runs)), about=about, summary=summary_data(results), config=cfg,
        attribution=attribution, calibration=calibration, scenario=cfg.name,
    )
