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


# Pairs whose signatures are compared at a time by prefilter_signatures: a block of both
# sides' signatures stays in the processor's cache, where all of them at once (100 MB for
# 50,000 pairs) went through memory twice.
PREFILTER_BLOCK = 4096


def prefilter_signatures(pairs: np.ndarray, signatures: np.ndarray, sizes: np.ndarray, min_containment: float) -> np.ndarray:
    if len(pairs) == 0:
        return pairs
    equal = np.empty(len(pairs), dtype=np.int64)
    for lo in range(0, len(pairs), PREFILTER_BLOCK):
        block = pairs[lo : lo + PREFILTER_BLOCK]
        equal[lo : lo + len(block)] = np.count_nonzero(signatures[block[:, 0]] == signatures[block[:, 1]], axis=1)
    jaccard = equal / signatures.shape[1]  # the share of equal values, as their mean is
    size_a, size_b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    shared = jaccard * (size_a + size_b) / (1.0 + jaccard)
    containment = shared / np.maximum(1, np.minimum(size_a, size_b))
    return pairs[containment >= min_containment]


