"""LSH banding over a signature matrix: candidate pairs, in batch.

The signature is cut into ``bands`` bands of ``rows`` values; two documents are a
candidate when their values agree in a whole band in at least ``min_hits`` bands. With
``min_hits=1`` this is classic LSH; asking for two or more agreeing bands of one row each
keeps recall on rewrites (Jaccard 0.05-0.1) while ignoring pairs that share a single
common phrase. :func:`band_params` picks ``(bands, rows)`` from a threshold, like
datasketch's optimiser, extended to ``min_hits``.

Buckets with more than ``max_bucket`` documents (boilerplate-only articles, a phrase
every article carries) are not expanded into pairs, but for the near-copies they hold
(:mod:`dedup.match.cores`: a dispatch republished by hundreds of sites); the documents
left out are counted and reported.
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
from dedup.match.cores import BucketSplit, split_oversized
from dedup.match.graph import component_labels
from dedup.match.shingle import mix64, sorted_distinct


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
    # The near-copies inside an oversized bucket (dedup.match.cores) are paired in full up
    # to this many; a larger core is left out with the rest of its bucket.
    max_core: int = 500
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
        if self.max_core < 2:
            raise ParameterError(f"max_core must be at least 2, not {self.max_core}")

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
    # documents of near-copy cores larger than max_core (left out with their bucket's rest)
    large_core_documents: int = 0


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
    cores: dict[bytes, np.ndarray] = {}  # the cores of oversized buckets, each once
    large_core_docs: set[int] = set()
    splits: dict[bytes, BucketSplit] = {}  # oversized buckets by their members
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
                    for start in group_starts:
                        members = np.sort(doc_ids[order[start : start + size]])
                        # copies word for word fill one bucket in every band: split once (kept
                        # where it found near-copies, not for every stock phrase's bucket)
                        key = members.tobytes() if size <= _SPLITS_KEPT else None
                        split = splits.get(key) if key else None
                        if split is None:
                            split = split_oversized(members, signatures, config.max_bucket, config.max_core)
                            if key and (split.cores or split.too_large):
                                splits[key] = split
                        if len(split.rest) > config.max_bucket:
                            oversized_buckets += 1
                            oversized_docs.update(split.rest.tolist())
                        else:  # the rest, paired as a bucket would be, and with each core
                            _add_bucket(spool, split.rest, stride, split.cores)
                        cores.update((core.tobytes(), core) for core in split.cores)
                        for core in split.too_large:
                            large_core_docs.update(core.tolist())
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
    if cores:
        core_codes, core_hits = _core_pairs(list(cores.values()), signatures, bands, rows, config.min_hits, stride)
        # a pair of a core may have been counted in the buckets too: its hits are the core's, all its bands
        codes, hits = np.concatenate((codes, core_codes)), np.concatenate((hits, core_hits))
        order = np.lexsort((-hits, codes))
        codes, hits = codes[order], hits[order]
        first = np.ones(len(codes), dtype=bool)
        first[1:] = codes[1:] != codes[:-1]
        codes, hits = codes[first], hits[first]
    pairs = np.stack((codes // stride, codes % stride), axis=1)
    return Candidates(pairs, hits, oversized_buckets, len(oversized_docs), len(large_core_docs))


def _add_bucket(spool: _CodeSpool, members: np.ndarray, stride: np.int64, cores: list[np.ndarray]) -> None:
    """Count the pairs of one bucket's ``members`` (sorted), and those of each member with each core."""
    left, right = np.triu_indices(len(members), k=1)
    spool.add(members[left], members[left] * stride + members[right])
    for core in cores:
        a, b = np.repeat(members, len(core)), np.tile(core, len(members))
        low, high = np.minimum(a, b), np.maximum(a, b)
        spool.add(low, low * stride + high)


def pairs_of_cores(
    cores: list[np.ndarray], signatures: np.ndarray, bands: int, rows: int, min_hits: int
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs (sorted ``(n, 2)`` rows of indices into ``signatures``) that
    :func:`candidate_pairs` takes from these cores of oversized buckets, and their band hits."""
    stride = np.int64(len(signatures))
    codes, hits = _core_pairs(cores, signatures, bands, rows, min_hits, stride)
    return np.stack((codes // stride, codes % stride), axis=1).reshape(-1, 2), hits


def _core_pairs(
    cores: list[np.ndarray], signatures: np.ndarray, bands: int, rows: int, min_hits: int, stride: np.int64
) -> tuple[np.ndarray, np.ndarray]:
    """Pair codes (sorted, distinct) of the pairs inside the cores that share at least
    ``min_hits`` band keys, with the number they share.

    The cores of one dispatch's copies differ a little from band to band (a trimmed copy
    falls in some of its buckets and not others): overlapping cores are taken together,
    and every pair of their documents is scored once. Cores that would make a group
    larger than the largest of them plus half again are paired one by one.
    """
    docs, where = np.unique(np.concatenate(cores), return_inverse=True)
    owner = np.repeat(np.arange(len(cores)), [len(core) for core in cores])
    # cores that share a document are one group: components of the graph of cores and documents
    edges = np.stack((owner, len(cores) + where.reshape(-1)), axis=1)
    group = component_labels(len(cores) + len(docs), edges)[: len(cores)]
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for label in np.unique(group):
        members = [cores[k] for k in np.flatnonzero(group == label)]
        together = sorted_distinct(np.concatenate(members))
        if len(together) <= max(len(core) for core in members) * 3 // 2:
            members = [together]
        for core in members:
            found.append(_pairs_sharing_bands(core, signatures, bands, rows, min_hits, stride))
    codes = np.concatenate([c for c, _ in found])
    counts = np.concatenate([h for _, h in found])
    codes, first = np.unique(codes, return_index=True)
    return codes, counts[first]


def _pairs_sharing_bands(
    members: np.ndarray, signatures: np.ndarray, bands: int, rows: int, min_hits: int, stride: np.int64
) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the pairs of ``members`` (sorted) sharing at least ``min_hits`` band keys, and how many."""
    keys = band_keys(signatures[members], bands, rows)
    left, right = np.triu_indices(len(members), k=1)
    codes, counts = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int32)]
    for lo in range(0, len(left), _CORE_PAIR_CHUNK):
        a, b = left[lo : lo + _CORE_PAIR_CHUNK], right[lo : lo + _CORE_PAIR_CHUNK]
        shared = (keys[a] == keys[b]).sum(axis=1)
        keep = shared >= min_hits
        codes.append(members[a[keep]] * stride + members[b[keep]])
        counts.append(shared[keep].astype(np.int32))
    return np.concatenate(codes), np.concatenate(counts)


# The warning of a scan that left near-copies unpaired: their core was larger than max_core.
LARGE_CORE_WARNING = (
    "%d documents are near-copies of one text, more than --max-core (%d) in one LSH bucket, and were not "
    "paired through it: raise --max-core to pair them (a cluster's full report grows with the square of its size)"
)


# Oversized buckets of at most this many documents have their split kept for the next band.
_SPLITS_KEPT = 4096


# Core pairs whose band keys are compared at a time (a boolean matrix of this many rows by bands).
_CORE_PAIR_CHUNK = 1 << 16


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
