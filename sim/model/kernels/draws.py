"""Some of the generator's draws without numba's per-call overhead: a bounded integer, a permutation, a geometric.

Owns: :func:`integer_below` (``rng.integers(0, high)``), :func:`permutation`
(``rng.permutation(k)``) and :func:`geometric` / :func:`uniform` (``rng.geometric(p)`` /
``rng.random()`` drawn from the generator's ``bit_generator``). numba's own versions make a
one-element array for every bounded integer and swap through zero-dimensional views in every
shuffle, which costs more than the draw itself, and a generator handed to an inlined rule inside a
loop costs a reference count per call (a bit generator has none); these call the very same numba
routines on the same bit generator in the same order (the integer draw of
``random_bounded_uint64_fill``, the shuffle of ``Generator.shuffle``, ``random_geometric``,
``next_double``), so every value and the generator's state afterwards are exactly what numba's
methods give (tested draw for draw in tests/test_kernels_week.py). They use numba's internal
``numba.np.random`` routines, so the pinned numba version matters.

Must not: draw anything else or touch the model's state.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random.distributions import random_geometric
from numba.np.random.generator_core import next_double, next_uint32, next_uint64
from numba.np.random.random_methods import bounded_lemire_uint64, buffered_bounded_lemire_uint32, random_interval

__all__ = ["integer_below", "permutation", "geometric", "uniform"]


@njit(cache=True)
def integer_below(rng, high):
    """``rng.integers(0, high)`` for ``high >= 1``: the same draw, without an array per call."""
    if high < 1:
        raise ValueError("integer_below: high must be at least 1")
    low = np.int64(0)
    top = np.int64(high) - np.int64(1)
    span = top - low
    bitgen = rng.bit_generator
    if span == 0:
        return low
    if span <= 0xFFFFFFFF:
        if span == 0xFFFFFFFF:
            return np.int64(low + next_uint32(bitgen))
        return np.int64(low + buffered_bounded_lemire_uint32(bitgen, span))
    if span == 0xFFFFFFFFFFFFFFFF:
        return np.int64(low + next_uint64(bitgen))
    return np.int64(low + bounded_lemire_uint64(bitgen, span))


@njit(cache=True)
def permutation(rng, k):
    """``rng.permutation(k)``: ``0 .. k-1`` shuffled by the same Fisher-Yates draws as ``Generator.shuffle``."""
    out = np.arange(k)
    bitgen = rng.bit_generator
    for i in range(len(out) - 1, 0, -1):
        j = np.intp(random_interval(bitgen, i))
        if i == j:
            continue
        out[i], out[j] = out[j], out[i]
    return out


@njit(cache=True, inline="always")
def geometric(bitgen, p):
    """``rng.geometric(p)`` drawn from ``bitgen = rng.bit_generator`` (the same draw, no reference count)."""
    return np.int64(random_geometric(bitgen, p))


@njit(cache=True, inline="always")
def uniform(bitgen):
    """``rng.random()`` drawn from ``bitgen = rng.bit_generator`` (the same draw, no reference count)."""
    return np.float64(next_double(bitgen))
