"""The near-copies inside an oversized LSH bucket.

A bucket holding more than ``max_bucket`` documents is not expanded into all its pairs:
its documents usually share a stock phrase and nothing else, and its pairs would grow
with the square of its size. But a dispatch that hundreds of sites republish word for
word fills every band's bucket past that size too, and then none of its copies would be
paired. So an oversized bucket is searched for *cores*: documents whose signatures agree
with the bucket's consensus signature (the most frequent value at each position) in at
least ``CORE_AGREEMENT`` of their positions, that is near-copies of one text, with an
estimated Jaccard of about that or more with it. Documents that only share the bucket's
phrase agree with the consensus in a position or two, so a bucket of those has no core.

A core of at most ``max_core`` documents is paired in full; the rest of the bucket, if it
is no longer oversized, is paired as a bucket would be, and with the core (a padded
copy of the dispatch shares fewer positions, but its own buckets with the copies).
Everything here depends on the signatures alone, never on document numbers or ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.match.shingle import mix64

# Share of signature positions a core member agrees with the consensus on.
CORE_AGREEMENT = 0.5
# The consensus is taken from at most this many members (those with the lowest hash of
# their signature: a sample that does not depend on document order).
CONSENSUS_SAMPLE = 1024
# Cores looked for in one bucket, at most: two dispatches republished everywhere that
# share one phrase make two.
MAX_CORES = 4


@dataclass(frozen=True)
class BucketSplit:
    """An oversized bucket's cores (each sorted), and the rest of its documents (sorted),
    which holds the cores found larger than ``max_core`` (``too_large``) too."""

    cores: list[np.ndarray]
    rest: np.ndarray
    too_large: list[np.ndarray]


def split_oversized(members: np.ndarray, signatures: np.ndarray, max_bucket: int, max_core: int) -> BucketSplit:
    """The cores of one oversized bucket: ``members`` (document numbers) and the rows of
    ``signatures`` they index. A core found larger than ``max_core`` stays in the rest."""
    rest = np.sort(members)
    cores: list[np.ndarray] = []
    too_large: list[np.ndarray] = []
    for _ in range(MAX_CORES):
        if len(rest) <= max_bucket:
            break
        rows = signatures[rest]
        values, held = consensus(rows)
        agreement = ((rows == values) & held).mean(axis=1)
        inside = agreement >= CORE_AGREEMENT
        if int(inside.sum()) < 2:
            break
        (cores if inside.sum() <= max_core else too_large).append(rest[inside])
        rest = rest[~inside]
    if too_large:
        rest = np.sort(np.concatenate([rest, *too_large]))
    return BucketSplit(cores, rest, too_large)


def consensus(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The most frequent value of each column of ``rows`` (ties: the smallest value), over
    a sample of at most :data:`CONSENSUS_SAMPLE` rows chosen by a hash of each row, and
    whether more than one sampled row holds it (where none repeats, no row agrees)."""
    if len(rows) > CONSENSUS_SAMPLE:
        keys = _row_hashes(rows)
        # rows with equal keys are (almost surely) equal rows: which of them is taken does not matter
        rows = rows[np.argsort(keys, kind="stable")[:CONSENSUS_SAMPLE]]
    width = rows.shape[1]
    if rows.dtype.itemsize > 4:  # values wider than 32 bits: counted by their rank instead
        values, ranks = np.unique(rows, return_inverse=True)
        modes, held = consensus(ranks.reshape(rows.shape).astype(np.uint32))
        return values[modes], held
    # (column, value) packed in one integer: counted at once, sorted by column, then value
    packed = (np.arange(width, dtype=np.uint64)[None, :] << np.uint64(32)) | rows.astype(np.uint64)
    keys, counts = np.unique(packed, return_counts=True)
    columns = (keys >> np.uint64(32)).astype(np.int64)
    best = np.lexsort((keys, -counts, columns))  # per column: the most frequent, then the smallest value
    first = np.ones(len(best), dtype=bool)
    first[1:] = columns[best][1:] != columns[best][:-1]
    best = best[first]
    return (keys[best] & np.uint64(0xFFFFFFFF)).astype(rows.dtype), counts[best] >= 2


def _row_hashes(rows: np.ndarray) -> np.ndarray:
    key = np.zeros(len(rows), dtype=np.uint64)
    for column in range(rows.shape[1]):
        key = mix64(key ^ rows[:, column].astype(np.uint64))
    return key
