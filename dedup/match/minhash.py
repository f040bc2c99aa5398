"""MinHash signatures for a batch of documents, as one ``(docs, num_perm)`` uint32 matrix.

Signatures use one-permutation hashing: each shingle hash is hashed once more with the
seed, its high bits choose one of ``num_perm`` bins and its low 32 bits are the value;
each bin keeps its minimum. Bins left empty (short documents) are filled by rotation
densification: the next non-empty bin to the right, plus an offset that depends only on
the distance, so two identical documents always get identical signatures. The fraction
of equal bins estimates Jaccard similarity, like classic MinHash, at the cost of one hash
per shingle instead of ``num_perm``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.errors import IncompatibleDataError, ParameterError
from dedup.match.shingle import mix64

EMPTY = np.uint32(0xFFFFFFFF)
_ROTATION_STEP = np.uint64(0x9E3779B1)
_DOCS_PER_SLICE = 1024


@dataclass(frozen=True)
class MinHashConfig:
    """Signature size and seed. Signatures made with different ones are not comparable."""

    num_perm: int = 128
    seed: int = 1

    def __post_init__(self) -> None:
        if not 8 <= self.num_perm <= 4096:
            raise ParameterError(f"num_perm must be between 8 and 4096, not {self.num_perm}")
        if not 0 <= self.seed < 2**63:
            raise ParameterError(f"seed must be a non-negative 63-bit integer, not {self.seed}")


def signatures(hashes: np.ndarray, offsets: np.ndarray, config: MinHashConfig) -> np.ndarray:
    """Signature matrix of the documents whose shingles are ``hashes[offsets[i]:offsets[i+1]]``.

    A document without shingles gets a row of :data:`EMPTY`.
    """
    num_docs = len(offsets) - 1
    matrix = np.empty((num_docs, config.num_perm), dtype=np.uint32)
    # Slices of documents keep the working arrays in the CPU cache.
    for first in range(0, num_docs, _DOCS_PER_SLICE):
        last = min(num_docs, first + _DOCS_PER_SLICE)
        _sign_slice(hashes[offsets[first] : offsets[last]], offsets[first : last + 1] - offsets[first], config, matrix[first:last])
    _densify(matrix, np.diff(offsets) > 0)
    return matrix


def _sign_slice(hashes: np.ndarray, offsets: np.ndarray, config: MinHashConfig, out: np.ndarray) -> None:
    num_docs, num_perm = out.shape
    doc_of = np.repeat(np.arange(num_docs, dtype=np.int64), np.diff(offsets))
    hashed = mix64(hashes, config.seed)
    # The bin is the high 32 bits scaled to [0, num_perm) by multiply-shift (no division).
    with np.errstate(over="ignore"):
        bins = (((hashed >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.int64)
    values = hashed.astype(np.uint32)  # the low 32 bits
    flat = np.full(num_docs * num_perm, EMPTY, dtype=np.uint32)
    np.minimum.at(flat, doc_of * num_perm + bins, values)
    out[:] = flat.reshape(num_docs, num_perm)


def _densify(matrix: np.ndarray, has_shingles: np.ndarray) -> None:
    """Fill empty bins in place from the next non-empty bin to the right (circularly)."""
    empty = matrix == EMPTY
    rows = np.flatnonzero(empty.any(axis=1) & has_shingles)
    if len(rows) == 0:
        return
    num_perm = matrix.shape[1]
    sub = matrix[rows]
    positions = np.arange(2 * num_perm)
    doubled_empty = np.concatenate((empty[rows], empty[rows]), axis=1)
    # For each position, the nearest non-empty position at or after it.
    candidate = np.where(doubled_empty, 2 * num_perm, positions)
    nearest = np.minimum.accumulate(candidate[:, ::-1], axis=1)[:, ::-1][:, :num_perm]
    distance = (nearest - positions[:num_perm]).astype(np.uint64)
    donor = np.take_along_axis(sub, nearest % num_perm, axis=1).astype(np.uint64)
    filled = ((donor + distance * _ROTATION_STEP) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    # a filled value never equals EMPTY by accident
    filled[filled == EMPTY] -= np.uint32(1)
    matrix[rows] = np.where(empty[rows], filled, sub)


def jaccard_estimate(first: np.ndarray, second: np.ndarray) -> np.ndarray | float:
    """Estimated Jaccard similarity of signature rows (or of two stacks of rows)."""
    if first.shape[-1] != second.shape[-1]:
        raise IncompatibleDataError(
            f"signatures have {first.shape[-1]} and {second.shape[-1]} values: they were made with different num_perm"
        )
    return np.mean(first == second, axis=-1)


# datasketch refuses to compare sketches with different seeds. Our values come from a
# different hash family than datasketch's own, so the seed handed to datasketch carries
# this namespace: a dedup signature can never be compared with a datasketch-made one.
DATASKETCH_SEED_NAMESPACE = 0xDED0 << 48


def to_lean_minhash(signature: np.ndarray, config: MinHashConfig):
    """The signature as a datasketch ``LeanMinHash``, for use with datasketch indexes.

    The values are 32-bit, hence the ``affine32`` scheme label; the seed is moved into
    :data:`DATASKETCH_SEED_NAMESPACE` so datasketch keeps them apart from its own.
    """
    from datasketch import LeanMinHash

    return LeanMinHash(
        seed=DATASKETCH_SEED_NAMESPACE | config.seed,
        hashvalues=np.asarray(signature, dtype=np.uint64),
        scheme="affine32",
    )
