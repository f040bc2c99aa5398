"""Candidate pairs besides LSH: every pair (for ``compare``) and the signature prefilter."""

from __future__ import annotations

import numpy as np

from dedup.match.fingerprint import Fingerprints
from dedup.match.lsh import Candidates

# Candidates whose signature-estimated containment is below this share of
# ``min_containment`` are dropped before exact verification.
PREFILTER_SHARE = 0.5


def every_pair(active: np.ndarray) -> Candidates:
    """All pairs of documents that have content, in the form LSH candidates take."""
    indices = np.flatnonzero(active)
    first, second = np.triu_indices(len(indices), k=1)
    pairs = np.stack([indices[first], indices[second]], axis=1).astype(np.int64).reshape(-1, 2)
    return Candidates(pairs, np.zeros(len(pairs), dtype=np.int32), 0, 0)


def prefilter(pairs: np.ndarray, prints: Fingerprints, min_containment: float) -> np.ndarray:
    """Candidates whose containment, estimated from signatures and set sizes, may pass."""
    return prefilter_signatures(pairs, prints.signatures, prints.sizes, min_containment)


def prefilter_signatures(pairs: np.ndarray, signatures: np.ndarray, sizes: np.ndarray, min_containment: float) -> np.ndarray:
    if len(pairs) == 0:
        return pairs
    jaccard = (signatures[pairs[:, 0]] == signatures[pairs[:, 1]]).mean(axis=1)
    size_a, size_b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    shared = jaccard * (size_a + size_b) / (1.0 + jaccard)
    containment = shared / np.maximum(1, np.minimum(size_a, size_b))
    return pairs[containment >= min_containment]


