"""Two of the generator's draws without numba's per-call overhead: a bounded integer and a permutation.

Owns: :func:`integer_below` (``rng.integers(0, high)``) and :func:`permutation`
(``rng.permutation(k)``). numba's own versions make a one-element array for every bounded integer
and swap through zero-dimensional views in every shuffle, which costs more than the draw itself;
these call the very same numba routines on the same bit generator in the same order (the integer
draw of ``random_bounded_uint64_fill``, the shuffle of ``Generator.shuffle``), so every value and
the generator's state afterwards are exactly what numba's methods give (tested draw for draw in
tests/test_kernels_week.py). They use numba's internal ``numba.np.random`` routines, so the pinned
numba version matters.

Must not: draw anything else or touch the model's state.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random.generator_core import next_uint32, next_uint64
from numba.np.random.random_methods import bounded_lemire_uint64, buffered_bounded_lemire_uint32, random_interval

__all__ = ["integer_below", "permutation"]


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
