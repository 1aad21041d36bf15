"""The design of a calibration: its sizes and seed, the Sobol points of a wave, the refinement box, the weights.

Owns: :class:`Settings` (the defaults are ``make calibrate``'s), :func:`sobol_points` (a scrambled
Sobol sample of a power-of-2 size), :func:`box_of` (the box spanned by the non-implausible points,
plus a margin) and :func:`density_weights` (``1 / density`` of the union of the waves' even samples,
so an uneven design still gives shares of the accepted region as if it had been sampled evenly).

Must not: run the model or read files (it imports only numpy, and scipy when sampling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = ["Settings", "DEFAULT", "sobol_points", "box_of", "density_weights"]


@dataclass(frozen=True)
class Settings:
    """Sizes and seeds of a calibration (the defaults are ``make calibrate``'s; see docs/CALIBRATION.md)."""

    design: int = 4096        # wave-1 Sobol points (a power of 2)
    refine: int = 4096        # points in each refinement wave (a power of 2)
    waves: int = 2            # 1 = no refinement
    replicates: int = 2       # runs per point; the point's measures are their means
    seed: int = 2026          # seeds the design and every run
    cutoff: float = 2.0       # non-implausible: implausibility <= cutoff
    margin: float = 0.05      # the refinement box grows by this share of each prior's range
    max_members: int = 200    # the shipped ensemble keeps at most this many accepted points (evenly thinned)

    def check(self) -> None:
        """Raise ConfigError for sizes that cannot work."""
        for name in ("design", "refine"):
            n = getattr(self, name)
            if n < 2 or n & (n - 1):
                raise ConfigError(f"--{name} = {n}: Sobol designs need a power of 2 (e.g. 256, 1024, 2048)")
        if not 1 <= self.waves <= 10:
            raise ConfigError(f"--waves = {self.waves}: must be 1..10")
        if not 1 <= self.replicates <= 100:
            raise ConfigError(f"--replicates = {self.replicates}: must be 1..100")
        if self.cutoff < 1:
            raise ConfigError(f"--cutoff = {self.cutoff}: must be at least 1 (1 = within tolerance)")
        if self.max_members < 1:
            raise ConfigError(f"--max-members = {self.max_members}: must be at least 1")

    @property
    def runs(self) -> int:
        """Model runs of the whole calibration."""
        return (self.design + (self.waves - 1) * self.refine) * self.replicates


DEFAULT = Settings()


def sobol_points(d: int, n: int, seed: int) -> np.ndarray:
    """A scrambled Sobol sample of ``n`` (a power of 2) points in the ``d``-dimensional unit cube."""
    from scipy.stats import qmc

    return qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed)).random_base2(int(round(math.log2(n))))


def box_of(points: list[dict[str, Any]], d: int, cutoff: float, margin: float) -> dict[str, list[float]]:
    """Box around every point with implausibility <= ``cutoff``, grown by ``margin`` (the whole cube if none)."""
    inside = np.array([p["unit"] for p in points if p["implausibility"] <= cutoff])
    if len(inside) == 0:
        return {"low": [0.0] * d, "high": [1.0] * d}
    low = np.clip(inside.min(axis=0) - margin, 0.0, 1.0)
    high = np.clip(inside.max(axis=0) + margin, 0.0, 1.0)
    return {"low": low.tolist(), "high": high.tolist()}


def density_weights(units: np.ndarray, boxes: list[dict[str, list[float]]], sizes: list[int]) -> np.ndarray:
    """1 / design density at each point (the density of the union of the waves' even samples)."""
    density = np.zeros(len(units))
    for box, n in zip(boxes, sizes, strict=True):
        lo, hi = np.asarray(box["low"]), np.asarray(box["high"])
        vol = float(np.prod(hi - lo))
        if vol <= 0:
            continue
        inside = np.all((units >= lo - 1e-12) & (units <= hi + 1e-12), axis=1)
        density += inside * n / vol
    return 1.0 / np.maximum(density, 1e-300)
