"""Tests for sim.network: friendship graph construction in CSR form."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.network import Friendships, build_network

KINDS = ("none", "small_world", "scale_free", "random")
EDGE_KINDS = ("small_world", "scale_free", "random")


def assert_valid(g: Friendships, n: int) -> None:
    """Check CSR invariants: shapes, dtypes, sorted, no loops/dups, symmetric."""
    assert g.n == n
    assert g.indptr.dtype == np.int64 and g.indptr.shape == (n + 1,)
    assert g.indices.dtype == np.int32
    assert g.indptr[0] == 0 and g.indptr[-1] == g.indices.size
    assert np.all(np.diff(g.indptr) >= 0)
    assert g.indices.size % 2 == 0
    assert g.n_edges == g.indices.size // 2
    if g.indices.size == 0:
        return
    assert g.indices.min() >= 0 and g.indices.max() < n
    src = np.repeat(np.arange(n), g.degree())
    dst = g.indices.astype(np.int64)
    assert not np.any(src == dst), "self-loop"
    same_row = src[1:] == src[:-1]
    # strictly increasing within each row => sorted and no duplicates
    assert np.all(dst[1:][same_row] > dst[:-1][same_row])
    fwd = np.sort(src * n + dst)
    rev = np.sort(dst * n + src)
    np.testing.assert_array_equal(fwd, rev)


def to_nx(g: Friendships) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(range(g.n))
    src = np.repeat(np.arange(g.n), g.degree())
    graph.add_edges_from(zip(src.tolist(), g.indices.tolist(), strict=True))
    return graph


@pytest.mark.parametrize("kind", KINDS)
def test_valid_graph_and_mean_degree(kind: str) -> None:
    n, k = 5000, 6
    g = build_network(kind, n, k, 0.1, np.random.default_rng(1))
    assert_valid(g, n)
    mean = g.degree().mean()
    if kind == "none":
        assert g.n_edges == 0
        assert mean == 0
    elif kind == "small_world":
        assert abs(mean - k) <= 0.02 * k
    else:
        assert abs(mean - k) <= 0.1 * k


@pytest.mark.parametrize("kind", EDGE_KINDS)
def test_zero_mean_degree_gives_empty_graph(kind: str) -> None:
    g = build_network(kind, 100, 0, 0.5, np.random.default_rng(0))
    assert_valid(g, 100)
    assert g.n_edges == 0


def test_small_world_without_rewiring_is_ring_lattice() -> None:
    n = 50
    g = build_network("small_world", n, 4, 0.0, np.random.default_rng(0))
    assert np.all(g.degree() == 4)
    np.testing.assert_array_equal(g.friends_of(0), [1, 2, 48, 49])
    np.testing.assert_array_equal(g.friends_of(10), [8, 9, 11, 12])


def test_small_world_rounds_degree_down_to_even() -> None:
    g = build_network("small_world", 100, 5.2, 0.0, np.random.default_rng(0))
    assert np.all(g.degree() == 4)
    g = build_network("small_world", 100, 0.3, 0.0, np.random.default_rng(0))
    assert np.all(g.degree() == 2)


def test_small_world_clustering_beats_random() -> None:
    n, k = 2000, 6
    sw = build_network("small_world", n, k, 0.05, np.random.default_rng(2))
    er = build_network("random", n, k, 0.0, np.random.default_rng(2))
    c_sw = nx.average_clustering(to_nx(sw))
    c_er = nx.average_clustering(to_nx(er))
    assert c_sw > 0.4
    assert c_er < 0.02
    assert c_sw > 10 * c_er


def test_scale_free_heavy_tail() -> None:
    g = build_network("scale_free", 20_000, 6, 0.0, np.random.default_rng(3))
    deg = g.degree()
    assert deg.max() > 5 * deg.mean()
    # much heavier than the Poisson tail of a random graph
    er = build_network("random", 20_000, 6, 0.0, np.random.default_rng(3))
    assert deg.max() > 3 * er.degree().max()


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_given_seed(kind: str) -> None:
    a = build_network(kind, 3000, 6, 0.2, np.random.default_rng(42))
    b = build_network(kind, 3000, 6, 0.2, np.random.default_rng(42))
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)


@pytest.mark.parametrize("kind", EDGE_KINDS)
def test_different_seeds_differ(kind: str) -> None:
    a = build_network(kind, 3000, 6, 0.2, np.random.default_rng(1))
    b = build_network(kind, 3000, 6, 0.2, np.random.default_rng(2))
    same = np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert not same


def test_does_not_use_global_random_state() -> None:
    np.random.seed(0)
    a = build_network("scale_free", 500, 4, 0.3, np.random.default_rng(5))
    np.random.seed(1)
    b = build_network("scale_free", 500, 4, 0.3, np.random.default_rng(5))
    np.testing.assert_array_equal(a.indices, b.indices)


def test_friends_of_out_of_range() -> None:
    g = build_network("random", 10, 2, 0.0, np.random.default_rng(0))
    with pytest.raises(IndexError):
        g.friends_of(10)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("ring", 10, 2, 0.1), "kind"),
        (("random", 0, 0, 0.1), "n"),
        (("random", -5, 0, 0.1), "n"),
        (("random", 10.5, 2, 0.1), "n"),
        (("random", 10, -1, 0.1), "mean_degree"),
        (("random", 10, 10, 0.1), "mean_degree"),
        (("random", 10, float("nan"), 0.1), "mean_degree"),
        (("small_world", 10, 2, -0.1), "rewire"),
        (("small_world", 10, 2, 1.5), "rewire"),
        (("small_world", 10, 2, float("nan")), "rewire"),
    ],
)
def test_bad_arguments_raise(args: tuple, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        build_network(*args, rng=np.random.default_rng(0))


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n=st.integers(min_value=2, max_value=200),
    frac=st.floats(min_value=0.0, max_value=1.0),
    rewire=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_property_valid_graph(
    kind: str, n: int, frac: float, rewire: float, seed: int
) -> None:
    mean_degree = frac * min(10, n - 1)
    g = build_network(kind, n, mean_degree, rewire, np.random.default_rng(seed))
    assert_valid(g, n)
    if kind == "none" or mean_degree == 0:
        assert g.n_edges == 0
    if kind in ("random", "scale_free"):
        assert g.n_edges <= round(n * mean_degree / 2) + 1


def test_single_node() -> None:
    for kind in KINDS:
        g = build_network(kind, 1, 0.5, 0.5, np.random.default_rng(0))
        assert_valid(g, 1)
        assert g.n_edges == 0
