"""Connected components of a graph given by its edges, in numpy.

The main process packs candidate pairs into batches and groups the near-copy cores of
oversized LSH buckets by their components as soon as the documents are fingerprinted.
scipy's ``connected_components`` needs scipy's sparse matrices and graph routines, a fifth
of a second to import, which the main process spent while it fingerprinted alone (the
workers' server was still loading); this is a few array passes instead.
"""

from __future__ import annotations

import numpy as np


def component_labels(count: int, edges: np.ndarray) -> np.ndarray:
    """Each of ``count`` nodes' component, given ``edges`` (an ``(m, 2)`` integer array of
    nodes): the smallest node of its component, so that labels depend on the graph alone.

    Each round, every root hooks under the smallest root an edge leads it to that is
    smaller than itself, then every node jumps to its root; the rounds end when no edge
    joins two roots (a few rounds, even on a path of a million nodes in random order).
    """
    label = np.arange(count, dtype=np.int64)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    first, second = edges[:, 0], edges[:, 1]
    while len(first):
        a, b = label[first], label[second]
        apart = a != b
        if not apart.any():
            break
        first, second, a, b = first[apart], second[apart], a[apart], b[apart]  # edges inside one root are done
        low, high = np.minimum(a, b), np.maximum(a, b)
        np.minimum.at(label, high, low)  # a root hooks under a smaller one: no cycle can form
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
    return label
