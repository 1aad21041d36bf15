"""Small array helpers used by the vectorised phases (sort-based; faster than ``np.unique`` here)."""

from __future__ import annotations

import numpy as np

__all__ = ["first_per_key", "sum_by_key", "clip"]

_EMPTY = np.zeros(0, dtype=np.int64)


def first_per_key(keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of one randomly chosen entry per distinct key (the first in a random order)."""
    k = len(keys)
    if k == 0:
        return _EMPTY
    perm = rng.permutation(k)
    shuffled = keys[perm]
    order = np.argsort(shuffled, kind="stable")
    sk = shuffled[order]
    first = np.empty(k, dtype=bool)
    first[0] = True
    np.not_equal(sk[1:], sk[:-1], out=first[1:])
    return np.sort(perm[order[first]])


def clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip`` without its Python-level overhead (which dominates on small arrays)."""
    return np.minimum(np.maximum(x, lo), hi)


def sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and the sum of ``values`` for each."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    start = np.empty(len(sk), dtype=bool)
    start[0] = True
    np.not_equal(sk[1:], sk[:-1], out=start[1:])
    idx = np.flatnonzero(start)
    return sk[idx], np.add.reduceat(values[order], idx)
