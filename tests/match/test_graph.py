"""Connected components in numpy: the partition scipy finds, each labelled by its smallest node."""

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.match.graph import component_labels


def _scipy_labels(count: int, edges: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(count, count))
    return connected_components(graph, directed=False)[1]


@pytest.mark.parametrize("count,edges", [(1, 0), (12, 0), (12, 5), (500, 300), (500, 2_000), (3_000, 2_999)])
@pytest.mark.parametrize("seed", [0, 1])
def test_components_are_scipys_labelled_by_their_smallest_node(count, edges, seed):
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, count, (edges, 2))
    labels = component_labels(count, pairs)
    theirs = _scipy_labels(count, pairs)
    # one label each way: the same partition
    assert len(set(zip(labels.tolist(), theirs.tolist()))) == len(set(labels.tolist())) == len(set(theirs.tolist()))
    for label in np.unique(labels):
        assert label == np.flatnonzero(labels == label).min()


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_a_long_path_is_one_component(order):
    count = 20_000
    nodes = {"sorted": np.arange(count), "reversed": np.arange(count)[::-1],
             "shuffled": np.random.default_rng(3).permutation(count)}[order]
    labels = component_labels(count + 2, np.stack((nodes[:-1], nodes[1:]), axis=1))
    assert (labels[:count] == 0).all() and labels[count:].tolist() == [count, count + 1]


def test_a_star_whose_centre_is_the_largest_node():
    count = 1_000
    edges = np.stack((np.full(count - 1, count - 1), np.arange(count - 1)), axis=1)
    assert (component_labels(count, edges) == 0).all()


def test_pairs_are_packed_by_component_in_order_of_first_document():
    from dedup.packing import _components

    rng = np.random.default_rng(4)
    pairs = np.unique(np.sort(rng.integers(0, 400, (300, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = pairs[rng.permutation(len(pairs))]  # distinct, in no order
    ordered, ends, documents = _components(pairs)
    assert sorted(map(tuple, ordered.tolist())) == sorted(map(tuple, pairs.tolist()))
    assert [int(d[0]) for d in documents] == sorted(int(d[0]) for d in documents)
    assert sorted(np.concatenate(documents).tolist()) == np.unique(pairs).tolist()
    starts = np.r_[0, ends[:-1]]
    theirs = _scipy_labels(400, pairs)
    for docs, lo, hi in zip(documents, starts, ends):
        chunk = ordered[lo:hi]
        assert docs.tolist() == sorted(docs.tolist()) == np.unique(chunk).tolist()
        assert chunk.tolist() == sorted(chunk.tolist())
        assert len(set(theirs[docs].tolist())) == 1  # one of scipy's components, whole
    assert len({theirs[d[0]] for d in documents}) == len(documents)
