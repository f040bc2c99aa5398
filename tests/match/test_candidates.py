import numpy as np

from dedup.match import candidates
from dedup.match.candidates import every_pair, prefilter_signatures


def test_every_pair_skips_documents_without_content():
    pairs = every_pair(np.array([True, False, True, True])).pairs
    assert pairs.tolist() == [[0, 2], [0, 3], [2, 3]]


def test_prefilter_keeps_the_pairs_whose_estimated_containment_may_pass(monkeypatch):
    # more pairs than one block, in blocks of an odd size: the estimate is the share of
    # equal signature values, as a plain mean over all pairs at once gives it
    monkeypatch.setattr(candidates, "PREFILTER_BLOCK", 37)
    rng = np.random.default_rng(5)
    signatures = rng.integers(0, 50, size=(60, 64), dtype=np.uint32)
    signatures[:20, :40] = signatures[0, :40]  # a story that 20 documents share most of
    sizes = rng.integers(1, 400, size=60)
    pairs = np.array([(a, b) for a in range(60) for b in range(a + 1, 60)], dtype=np.int64)
    kept = prefilter_signatures(pairs, signatures, sizes, 0.4)
    jaccard = (signatures[pairs[:, 0]] == signatures[pairs[:, 1]]).mean(axis=1)
    size_a, size_b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    containment = jaccard * (size_a + size_b) / (1.0 + jaccard) / np.minimum(size_a, size_b)
    assert kept.tolist() == pairs[containment >= 0.4].tolist()
    assert 0 < len(kept) < len(pairs)
    assert prefilter_signatures(pairs[:0], signatures, sizes, 0.4).shape == (0, 2)
