"""The preset search's budget: how many points and replicates each stage spends.

Owns: :class:`SearchBudget` (its checks, its scaled defaults and its run counts); the stages
themselves are in :mod:`.presets`. Must not: run the model or import the search.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import ConfigError
from ..strategy import Strategy

__all__ = ["SearchBudget"]


@dataclass(frozen=True)
class SearchBudget:
    """How many points and replicates the search spends (per family and round).

    Attributes:
        points: explore stage: Latin hypercube points (the incumbent is added).
        replicates: replicates per point in the explore, refine and edges stages (common seeds).
        refine_points: refine stage: points in all the smaller boxes together.
        refine_around: how many of the best explored points get a smaller box.
        refine_fraction: half-width of a smaller box, as a share of the family's width.
        edges: run the edges stage (on the explore seeds) and the polish stage (on the final seeds).
        top: final stage: best points so far re-run (the incumbent is added).
        final_replicates: replicates per point in the final stage (fresh common seeds).
        rounds: 1 = against the other pole's shipped preset; 2 = plus one best-response round.
    """

    points: int = 40
    replicates: int = 4
    refine_points: int = 12
    refine_around: int = 3
    refine_fraction: float = 0.15
    edges: bool = True
    top: int = 5
    final_replicates: int = 16
    rounds: int = 2

    def __post_init__(self) -> None:
        for name in ("points", "replicates", "refine_around", "top", "final_replicates", "rounds"):
            if getattr(self, name) < 1:
                raise ConfigError(f"budget.{name} = {getattr(self, name)}: must be at least 1")
        if self.final_replicates < 2:
            raise ConfigError(f"budget.final_replicates = {self.final_replicates}: need at least 2 for an interval")
        if self.refine_points < 0 or not 0.0 < self.refine_fraction <= 1.0:
            raise ConfigError(f"budget: refine_points = {self.refine_points} must be >= 0 and refine_fraction = "
                              f"{self.refine_fraction} in (0, 1]")

    @classmethod
    def scaled(cls, points: int) -> SearchBudget:
        """The default budget with ``points`` explore points (refine and final stages scale with it)."""
        if points < 1:
            raise ConfigError(f"--budget = {points}: must be at least 1")
        return cls(points=points, refine_points=max(2, points * 3 // 10), top=max(2, min(5, points // 8)))

    def runs_per_search(self) -> int:
        """Model runs of one family in one round, at most (duplicates after rounding are skipped)."""
        edges = 2 * len(Strategy.model_fields) + 1 if self.edges else 0
        return ((self.points + 1 + self.refine_points + edges) * self.replicates
                + (self.top + 1 + edges) * self.final_replicates)

    def total_runs(self) -> int:
        """Model runs of the whole search, at most (both families, every round, the head-to-head matches)."""
        return self.rounds * (2 * self.runs_per_search() + self.final_replicates) + self.final_replicates
