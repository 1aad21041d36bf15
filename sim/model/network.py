"""Customers' friendship networks, built with vectorised numpy.

Every graph is undirected, has no self-loops or duplicate edges, and is stored
as a :class:`Friendships` CSR structure (``indptr`` / ``indices``) with sorted
neighbour lists. Construction avoids per-node Python loops, so a million-node
graph builds in about a second.

Network kinds:

* ``"none"``: no friendships at all (every customer is isolated).
* ``"small_world"``: Watts-Strogatz. A ring lattice where each node links to
  its ``k/2`` nearest neighbours on each side (``k`` is the rounded mean degree
  rounded down to an even number, at least 2), after which the far end of
  every edge is rewired with probability ``rewire`` to a uniformly random node.
  Self-loops and duplicates created by rewiring are dropped, so a few edges may
  be lost. Low ``rewire`` gives high clustering with short paths.
* ``"scale_free"``: Chung-Lu style graph with power-law expected degrees
  (exponent 3, as in Barabasi-Albert). Edge endpoints are drawn in proportion
  to node weights ``w_i ~ (i + 1) ** -0.5`` (inverse-CDF sampling, node labels
  randomly permuted) until the edge count matches the mean degree, giving a
  heavy tail: a few hubs have degrees far above the mean.
* ``"random"``: Erdos-Renyi ``G(n, M)`` with ``M = round(n * mean_degree / 2)``
  edges drawn uniformly among node pairs.

``rewire`` is only used by ``"small_world"``. A ``mean_degree`` of 0 gives an
empty graph for every kind.

Must not: know about trust, sellers or the market; it only builds graphs from its arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

NetworkKind = Literal["none", "small_world", "scale_free", "random"]
_KINDS: tuple[str, ...] = get_args(NetworkKind)
_SCALE_FREE_GAMMA = 3.0  # power-law exponent of the expected degree distribution
_MAX_TOP_UP_ROUNDS = 50
_Draw = Callable[[int, np.random.Generator], np.ndarray]  # (size, rng) -> node ids


@dataclass(frozen=True)
class Friendships:
    """Undirected friendship graph in CSR form.

    Attributes:
        indptr: int64 array of shape ``(n + 1,)``; node ``i``'s friends are
            ``indices[indptr[i]:indptr[i + 1]]``.
        indices: int32 array of neighbour ids, sorted within each node. Every
            undirected edge appears twice (once from each end).
    """

    indptr: np.ndarray
    indices: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes."""
        return int(self.indptr.size - 1)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.indices.size // 2)

    def degree(self) -> np.ndarray:
        """Return the degree of every node as an int64 array of shape ``(n,)``."""
        return np.diff(self.indptr)

    def friends_of(self, i: int) -> np.ndarray:
        """Return the sorted friend ids of node ``i``.

        Raises:
            IndexError: If ``i`` is not in ``[0, n)``.
        """
        if not 0 <= i < self.n:
            raise IndexError(f"node {i} out of range [0, {self.n})")
        return self.indices[self.indptr[i] : self.indptr[i + 1]]


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sort ``a`` in place and return its unique values.

    Much faster than the hash-based ``np.unique`` of numpy >= 2.3 on int64 keys.
    """
    a.sort()
    if a.size:
        a = a[np.concatenate(([True], a[1:] != a[:-1]))]
    return a


def _edge_keys(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique undirected keys ``lo * n + hi`` (``lo < hi``); drops self-loops."""
    u = u.astype(np.int64, copy=False)
    v = v.astype(np.int64, copy=False)
    keys = np.minimum(u, v)
    keys *= n
    keys += np.maximum(u, v)
    return _sorted_unique(keys[u != v])


def _csr_from_keys(keys: np.ndarray, n: int) -> Friendships:
    """Build a symmetric CSR graph from sorted unique undirected edge keys."""
    m = keys.size
    directed = np.empty(2 * m, dtype=np.int64)  # both directions: src * n + dst
    lo = keys // n
    np.multiply(keys - lo * n, n, out=directed[m:])
    directed[m:] += lo
    directed[:m] = keys
    del lo
    directed.sort()
    src = directed // n
    directed -= src * n
    dst = directed.astype(np.int32)
    del directed
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    indptr.setflags(write=False)
    dst.setflags(write=False)
    return Friendships(indptr=indptr, indices=dst)


def _sample_edges(
    n: int, target: int, draw: _Draw, rng: np.random.Generator
) -> np.ndarray:
    """Draw endpoint pairs with ``draw(size, rng)`` until ``target`` distinct edges exist.

    Each round draws ``deficit`` pairs, so the count never exceeds ``target``.
    Self-loops and duplicates are rejected and replaced by fresh draws, so the
    result has exactly ``target`` edges unless the graph is too dense to fill
    within ``_MAX_TOP_UP_ROUNDS`` rounds.
    """
    keys = np.empty(0, dtype=np.int64)
    for _ in range(_MAX_TOP_UP_ROUNDS):
        deficit = target - keys.size
        if deficit <= 0:
            break
        new = _edge_keys(draw(deficit, rng), draw(deficit, rng), n)
        if keys.size:
            idx = np.searchsorted(keys, new)
            present = keys[np.minimum(idx, keys.size - 1)] == new
            keys = np.insert(keys, idx[~present], new[~present])
        else:
            keys = new
    return keys


def _small_world(
    n: int, mean_degree: float, rewire: float, rng: np.random.Generator
) -> np.ndarray:
    """Watts-Strogatz edge keys: ring lattice plus far-end rewiring."""
    k = max(2, 2 * (int(np.floor(mean_degree + 0.5)) // 2))
    half = k // 2
    lo = np.tile(np.arange(n, dtype=np.int64), half)
    hi = (lo + np.repeat(np.arange(1, half + 1, dtype=np.int64), n)) % n
    if rewire > 0:
        mask = rng.random(lo.size) < rewire
        hi[mask] = rng.integers(0, n, size=int(mask.sum()), dtype=np.int64)
    return _edge_keys(lo, hi, n)


def _scale_free_draw(n: int, perm: np.ndarray) -> _Draw:
    """Endpoint sampler with P(node i) ~ (i + 1) ** -a, a = 1 / (gamma - 1)."""
    b = 1.0 - 1.0 / (_SCALE_FREE_GAMMA - 1.0)  # exponent of the continuous CDF
    lo_c, hi_c = 1.0, float(n + 1) ** b

    def draw(size: int, rng: np.random.Generator) -> np.ndarray:
        x = (lo_c + rng.random(size) * (hi_c - lo_c)) ** (1.0 / b) - 1.0
        return perm[np.minimum(x.astype(np.int64), n - 1)]

    return draw


def _uniform_draw(n: int) -> _Draw:
    """Endpoint sampler with every node equally likely."""

    def draw(size: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, n, size=size, dtype=np.int64)

    return draw


def _validate(kind: str, n: int, mean_degree: float, rewire: float) -> None:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not (isinstance(mean_degree, (int, float, np.number)) and 0 <= mean_degree < n):
        raise ValueError(
            f"mean_degree must be a number with 0 <= mean_degree < n (n={n}), got {mean_degree!r}"
        )
    if not (isinstance(rewire, (int, float, np.number)) and 0 <= rewire <= 1):
        raise ValueError(f"rewire must be a probability in [0, 1], got {rewire!r}")


def build_network(
    kind: NetworkKind,
    n: int,
    mean_degree: float,
    rewire: float,
    rng: np.random.Generator,
) -> Friendships:
    """Build a friendship network of ``n`` customers.

    Args:
        kind: One of ``"none"``, ``"small_world"``, ``"scale_free"``, ``"random"``.
        n: Number of nodes (>= 1).
        mean_degree: Target mean number of friends, ``0 <= mean_degree < n``.
        rewire: Watts-Strogatz rewiring probability in ``[0, 1]`` (only used
            by ``"small_world"``).
        rng: Source of all randomness; the result is a pure function of its state.

    Returns:
        The symmetric, loop-free, duplicate-free graph in CSR form.

    Raises:
        ValueError: If any argument is outside its allowed range.
    """
    _validate(kind, n, mean_degree, rewire)
    n = int(n)
    if kind == "none" or mean_degree == 0:
        keys = np.empty(0, dtype=np.int64)
    elif kind == "small_world":
        keys = _small_world(n, float(mean_degree), float(rewire), rng)
    else:
        target = min(int(np.floor(n * mean_degree / 2 + 0.5)), n * (n - 1) // 2)
        if kind == "random":
            draw = _uniform_draw(n)
        else:
            draw = _scale_free_draw(n, rng.permutation(n).astype(np.int64))
        keys = _sample_edges(n, target, draw, rng)
    return _csr_from_keys(keys, n)
