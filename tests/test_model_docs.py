"""docs/ODD.md stays true to the code: the knob-cost tables match sim.strategy.KNOB_COSTS, the outputs list the series.

Fast (reads files only).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.model.metrics import SERIES
from sim.strategy import KNOB_COSTS, STRATEGY_KNOBS

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def table_after(header: str) -> list[list[str]]:
    """Rows (cells stripped) of the Markdown table whose header row starts with ``header``."""
    lines = ODD.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(header)]
    assert len(starts) == 1, f"docs/ODD.md: expected one table starting {header!r}, found {len(starts)}"
    rows = []
    for line in lines[starts[0] + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def knobs_of(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def test_where_the_cost_shows_matches_knob_costs() -> None:
    """Each knob's row names exactly its KNOB_COSTS measure first, then its direction."""
    rows = {knob: cells[1] for cells in table_after("| knob | where the cost shows |") for knob in knobs_of(cells[0])}
    assert sorted(rows) == sorted(STRATEGY_KNOBS)
    for knob, cell in rows.items():
        cost = KNOB_COSTS[knob]
        assert cost.measure is not None, f"{knob}: KNOB_COSTS names no measure"
        shown = re.match(r"`([^`]+)` (rises|falls)", cell)
        assert shown, f"docs/ODD.md, {knob}: the cell must start with `measure` rises|falls, got {cell!r}"
        assert shown.groups() == (cost.measure, cost.direction), (
            f"docs/ODD.md says {knob}: {shown.group(1)} {shown.group(2)}; "
            f"KNOB_COSTS says {cost.measure} {cost.direction}")


@pytest.mark.parametrize("header", ["| knob | benefit | cost | functional form | source |",
                                    "| knob | numbers game | relationship | from |"])
def test_every_knob_has_one_row(header: str) -> None:
    rows = [knobs_of(cells[0]) for cells in table_after(header)]
    assert sorted(k for row in rows for k in row[:1]) == sorted(STRATEGY_KNOBS)


def test_outputs_section_names_every_weekly_series() -> None:
    text = ODD.read_text(encoding="utf-8")
    outputs = text[text.index("## Outputs"):text.index("## A credible default market")]
    missing = [name for name in SERIES if f"`{name}`" not in outputs]
    assert not missing, f"docs/ODD.md Outputs does not name: {missing}"
