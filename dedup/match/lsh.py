"""LSH banding over a signature matrix: candidate pairs, in batch.

The signature is cut into ``bands`` bands of ``rows`` values; two documents are a
candidate when their values agree in a whole band in at least ``min_hits`` bands. With
``min_hits=1`` this is classic LSH; asking for two or more agreeing bands of one row each
keeps recall on rewrites (Jaccard 0.05-0.1) while ignoring pairs that share a single
common phrase. :func:`band_params` picks ``(bands, rows)`` from a threshold, like
datasketch's optimiser, extended to ``min_hits``.

Buckets with more than ``max_bucket`` documents (boilerplate-only articles, a phrase
every article carries) are not expanded into pairs; they are counted and reported.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dedup.errors import ParameterError
from dedup.match.shingle import mix64


def _area(y: np.ndarray, x: np.ndarray) -> float:
    """The trapezoid-rule area under ``y`` over ``x``: ``np.trapezoid``'s formula, which
    NumPy 1.x names ``trapz``; written out so that every supported NumPy gives the same bands."""
    return float(np.add.reduce(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


@dataclass(frozen=True)
class LSHConfig:
    """Candidate generation settings. ``bands``/``rows`` override the optimiser."""

    threshold: float = 0.03
    bands: int | None = None
    rows: int | None = None
    min_hits: int = 2
    max_bucket: int = 200
    false_positive_weight: float = 0.2
    false_negative_weight: float = 0.8
    # Candidates besides LSH (dedup.match.words.rare_word_pairs), for the evidence of words
    # told in order: pairs that share words found in at most ``rare_word_df`` documents,
    # worth ``rare_word_share`` of the larger document's word weight.
    rare_word_df: int = 32
    rare_word_share: float = 0.05

    def __post_init__(self) -> None:
        if self.rare_word_df < 2:
            raise ParameterError(f"rare_word_df must be at least 2, not {self.rare_word_df}")
        if not 0.0 < self.rare_word_share <= 1.0:
            raise ParameterError(f"rare_word_share must be above 0 and at most 1, not {self.rare_word_share}")
        if not 0.0 < self.threshold < 1.0:
            raise ParameterError(f"LSH threshold must be between 0 and 1, not {self.threshold}")
        if (self.bands is None) != (self.rows is None):
            raise ParameterError("give both bands and rows, or neither (did you forget --rows?)")
        if self.min_hits < 1:
            raise ParameterError(f"min_hits must be at least 1, not {self.min_hits}")
        if self.max_bucket < 2:
            raise ParameterError(f"max_bucket must be at least 2, not {self.max_bucket}")

    def resolve(self, num_perm: int) -> tuple[int, int]:
        """The ``(bands, rows)`` used with signatures of ``num_perm`` values."""
        if self.bands is not None and self.rows is not None:
            if self.bands * self.rows > num_perm:
                raise ParameterError(f"bands x rows = {self.bands * self.rows} exceeds num_perm = {num_perm}")
            if self.min_hits > self.bands:
                raise ParameterError(f"min_hits = {self.min_hits} exceeds bands = {self.bands}")
            return self.bands, self.rows
        return band_params(
            self.threshold, num_perm, self.min_hits, self.false_positive_weight, self.false_negative_weight
        )


def candidate_probability(jaccard: float | np.ndarray, bands: int, rows: int, min_hits: int = 1) -> np.ndarray:
    """Probability that a pair with this Jaccard similarity becomes a candidate."""
    p = np.asarray(jaccard, dtype=float) ** rows
    below = sum(math.comb(bands, k) * p**k * (1 - p) ** (bands - k) for k in range(min_hits))
    return 1.0 - below


@lru_cache(maxsize=256)
def band_params(
    threshold: float, num_perm: int, min_hits: int = 1, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """``(bands, rows)`` minimising the weighted false-positive and false-negative areas.

    With ``min_hits=1`` this is datasketch's optimiser (a test checks they agree).

    >>> band_params(0.5, 128)
    (25, 5)
    """
    grid_low = np.linspace(0.0, threshold, 200)
    grid_high = np.linspace(threshold, 1.0, 200)
    best, best_cost = (1, 1), math.inf
    for rows in range(1, num_perm + 1):
        for bands in range(max(1, min_hits), num_perm // rows + 1):
            fp = _area(candidate_probability(grid_low, bands, rows, min_hits), grid_low)
            fn = _area(1.0 - candidate_probability(grid_high, bands, rows, min_hits), grid_high)
            cost = fp_weight * fp + fn_weight * fn
            if cost < best_cost - 1e-12:
                best, best_cost = (bands, rows), cost
    return best


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs ``(first, second)`` with ``first < second``, sorted, and band hits."""

    pairs: np.ndarray  # (n, 2) int64
    hits: np.ndarray  # (n,) int32
    oversized_buckets: int
    oversized_documents: int


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band): a hash of the band's values."""
    keys = np.empty((signatures.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        keys[:, band] = _band_key(signatures, band, rows)
    return keys


def _band_key(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    acc = np.zeros(signatures.shape[0], dtype=np.uint64)
    for row in range(band * rows, (band + 1) * rows):
        acc = mix64(acc ^ signatures[:, row].astype(np.uint64))
    # The band number is part of the key, so equal values in different bands never collide.
    return mix64(acc ^ np.uint64(band), 0x5EED)


# Pair codes are counted in partitions of the first document's number, each of about this
# many documents; beyond one partition they wait in temporary files, so memory holds one
# partition's codes at a time however many pairs the buckets give.
PARTITION_DOCS = 50_000


def candidate_pairs(signatures: np.ndarray, active: np.ndarray, config: LSHConfig) -> Candidates:
    """Pairs of active documents that collide in at least ``min_hits`` bands."""
    bands, rows = config.resolve(signatures.shape[1])
    doc_ids = np.flatnonzero(active).astype(np.int64)
    empty = Candidates(np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int32), 0, 0)
    if len(doc_ids) < 2:
        return empty
    active_signatures = signatures[doc_ids]
    oversized_buckets = 0
    oversized_docs: set[int] = set()
    stride = np.int64(len(signatures))
    with _CodeSpool(len(signatures), -(-len(signatures) // PARTITION_DOCS)) as spool:
        for band in range(bands):
            keys = _band_key(active_signatures, band, rows)
            # Any order within a bucket will do: members are sorted below and codes made unique.
            order = np.argsort(keys)
            sorted_keys = keys[order]
            boundaries = np.flatnonzero(np.diff(sorted_keys)) + 1
            starts = np.concatenate(([0], boundaries))
            sizes = np.diff(np.concatenate((starts, [len(sorted_keys)])))
            for size in np.unique(sizes[sizes >= 2]):
                group_starts = starts[sizes == size]
                if size > config.max_bucket:
                    oversized_buckets += len(group_starts)
                    for start in group_starts:
                        oversized_docs.update(doc_ids[order[start : start + size]].tolist())
                    continue
                # All buckets of one size at once: a (buckets, size) matrix of members.
                members = doc_ids[order[group_starts[:, None] + np.arange(size)[None, :]]]
                members.sort(axis=1)
                left, right = np.triu_indices(int(size), k=1)
                spool.add(members[:, left].ravel(), (members[:, left] * stride + members[:, right]).ravel())
        parts = []
        for codes in spool.partitions():
            codes, hits = np.unique(codes, return_counts=True)
            keep = hits >= config.min_hits
            parts.append((codes[keep], hits[keep].astype(np.int32)))
    codes = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
    hits = np.concatenate([h for _, h in parts]) if parts else np.zeros(0, dtype=np.int32)
    pairs = np.stack((codes // stride, codes % stride), axis=1)
    return Candidates(pairs, hits, oversized_buckets, len(oversized_docs))


class _CodeSpool:
    """Pair codes split by their first document into ``count`` ranges of documents.

    With one range the codes stay in memory; with more, each range has a temporary file.
    """

    def __init__(self, num_docs: int, count: int) -> None:
        self.count = max(1, count)
        self.width = -(-max(num_docs, 1) // self.count)
        self._memory: list[np.ndarray] = []
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        if self.count > 1:
            self._folder = tempfile.TemporaryDirectory(prefix="dedup-lsh-")
            self._files = [open(os.path.join(self._folder.name, f"{k}.i64"), "wb") for k in range(self.count)]

    def __enter__(self) -> _CodeSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._folder is not None:
            for handle in self._files:
                handle.close()
            self._folder.cleanup()

    def add(self, first: np.ndarray, codes: np.ndarray) -> None:
        if self.count == 1:
            self._memory.append(codes)
            return
        part = first // self.width
        order = np.argsort(part)  # codes are made unique (and sorted) per range later
        bounds = np.searchsorted(part[order], np.arange(self.count + 1))
        codes = codes[order]
        for k in range(self.count):
            if bounds[k + 1] > bounds[k]:
                codes[bounds[k] : bounds[k + 1]].astype("<i8").tofile(self._files[k])

    def partitions(self) -> Iterator[np.ndarray]:
        """Each range's codes, in range order."""
        if self.count == 1:
            yield np.concatenate(self._memory) if self._memory else np.zeros(0, dtype=np.int64)
            self._memory.clear()
            return
        for k, handle in enumerate(self._files):
            handle.close()
            yield np.fromfile(handle.name, dtype="<i8").astype(np.int64)
            os.remove(handle.name)
