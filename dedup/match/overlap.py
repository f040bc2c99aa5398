"""Shared shingles of candidate pairs: set look-ups pair by pair, or, for dense batches,
sparse matrix products.

Verification asks, for each candidate pair, how many shingles the two documents share and
how many sentences of each lie near-verbatim in the other (:mod:`dedup.match.verify`).
Asked pair by pair, that is one set look-up per shingle of every pair: a cluster of 300
long pages holding one wire story has 45,000 pairs of 3,000 shingles each. The same
counts for every pair of a batch at once are entries of two products of 0/1 matrices
(documents by shingles, sentences by shingles), whose work is the sum, over shingles, of
how many documents hold each one: cheaper when the pairs are dense, dearer when they are
few and some shingles are everywhere. :class:`SetMatrix` gives the counts;
:func:`worth_a_product` says which way costs less. The counts are the same integers either
way, so the decisions are too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from dedup.errors import ParameterError
from dedup.match.shingle import concat_ranges as _ranges, unique_inverse


# What a multiply-add of the sparse products (or a dense cell) is taken to cost, in set
# look-ups (a binary search over the batch's shingles each). Cautious: on the 300-page
# cluster of benchmarks/bench_big.py the products did in 1.4 s what look-ups did in 20.5 s.
FLOP_COST = 1 / 8
# A look-up batch must ask at least this many look-ups per shingle value before the
# matrix is worth building at all (sorting the values costs about one look-up each).
MIN_LOOKUPS_PER_VALUE = 8
# Look-up batches of at least this many look-ups are made by the compiled kernels (a merge,
# or searches within the one set a value is looked for in, which stays in cache: about ten
# times faster); smaller ones by SetIndex, in numpy, sparing a small scan numba's import.
KERNEL_LOOKUPS = 1 << 20
# Once a process has made this many look-ups in numpy (about what loading numba and the
# kernels costs, 0.4 s: a long index add, a scan of many small batches), it loads the
# kernels and makes every later look-up batch of at least LOADED_KERNEL_LOOKUPS with them:
# it never pays for the numpy look-ups much more than twice what loading them costs.
LOAD_KERNELS_AFTER = 1 << 22
LOADED_KERNEL_LOOKUPS = 1 << 12
_numpy_lookups = 0  # in this process so far (an estimate: threads may race on it)
# Dense blocks of counts are computed this many cells at a time (64 MiB per int32 array).
DENSE_CELLS = 1 << 24


def by_kernels(lookups: int) -> bool:
    """Whether a batch of ``lookups`` set look-ups goes to the compiled kernels; loads them
    once the process has made :data:`LOAD_KERNELS_AFTER` look-ups in numpy. The counts are
    the same either way: only the time depends on it."""
    global _numpy_lookups
    if lookups >= KERNEL_LOOKUPS:
        return True
    if lookups >= LOADED_KERNEL_LOOKUPS:
        loaded = sys.modules.get("dedup.match.kernels")
        if loaded is not None and loaded.WARM:
            return True
        if _numpy_lookups >= LOAD_KERNELS_AFTER:
            from dedup.match import kernels

            if kernels.CACHED:  # else loading them compiles them: not worth it here
                kernels.warm()
                return True
            _numpy_lookups = -(1 << 62)  # and never asks again
    _numpy_lookups += lookups
    return False


class UnitRows(Protocol):
    """Sentence shingle sets in CSR form, grouped by document (:class:`dedup.match.verify.UnitSets`)."""

    hashes: np.ndarray  # uint64, each unit's slice sorted and unique
    offsets: np.ndarray  # int64, len = units + 1
    doc_offsets: np.ndarray  # int64: the units of document row d are doc_offsets[d]:doc_offsets[d + 1]


def worth_a_product(lookups: int, values: int) -> bool:
    """Whether ``lookups`` set look-ups over sets holding ``values`` shingles are many enough
    for :class:`SetMatrix` to be worth building."""
    return lookups >= MIN_LOOKUPS_PER_VALUE * max(values, 1)


def _blocks(rows: int, width: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of ``rows`` rows of ``width`` columns, each of at most
    :data:`DENSE_CELLS` cells (one row at least)."""
    step = max(1, DENSE_CELLS // max(width, 1))
    for lo in range(0, rows, step):
        yield lo, min(rows, lo + step)


class SetMatrix:
    """Sorted unique uint64 sets (CSR values and offsets) as a sparse 0/1 matrix, sets by
    the distinct values of all of them."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray) -> None:
        from scipy import sparse

        self.vocabulary, columns = unique_inverse(values)
        self.values, self.offsets = values, np.asarray(offsets, dtype=np.int64)
        self.count = len(offsets) - 1
        shape = (self.count, len(self.vocabulary))
        ones = np.ones(len(values), dtype=np.int32)
        self.rows = sparse.csr_matrix((ones, columns.astype(np.int32), self.offsets), shape=shape)
        self.frequency = np.bincount(columns, minlength=len(self.vocabulary)).astype(np.int64)

    def _columns(self, values: np.ndarray, own_sets: np.ndarray | None = None) -> np.ndarray:
        """The column of each value, -1 for values no set holds. With ``own_sets`` (the set
        row each value most likely lies in: a sentence's own document), each is looked for
        there first (:func:`dedup.match.kernels.columns_in_sets`), which finds the same
        columns sooner."""
        if len(self.vocabulary) == 0:
            return np.full(len(values), -1, dtype=np.int64)
        if own_sets is not None:
            from dedup.match.kernels import columns_in_sets

            value_columns = self.rows.indices.astype(np.int64)  # the column of each set's values
            return columns_in_sets(np.ascontiguousarray(values, dtype=np.uint64),
                                   np.ascontiguousarray(own_sets, dtype=np.int64),
                                   np.ascontiguousarray(self.values, dtype=np.uint64), self.offsets, value_columns,
                                   self.vocabulary.astype(np.uint64, copy=False))
        position = np.minimum(np.searchsorted(self.vocabulary, values), len(self.vocabulary) - 1)
        return np.where(self.vocabulary[position] == values, position, -1)

    def pair_cost(self) -> float:
        """What :meth:`shared_counts` costs, in set look-ups."""
        return FLOP_COST * (float((self.frequency**2).sum()) + float(self.count) ** 2)

    def shared_counts(self, pairs: np.ndarray) -> np.ndarray:
        """``|A ∩ B|`` for every pair of set rows, from the product of the matrix with itself."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        shared = np.zeros(len(pairs), dtype=np.int64)
        transposed = self.rows.T.tocsr()  # CSR once: a CSC operand is converted per block
        for lo, hi in _blocks(self.count, self.count):
            inside = np.flatnonzero((pairs[:, 0] >= lo) & (pairs[:, 0] < hi))
            if len(inside):
                block = (self.rows[lo:hi] @ transposed).toarray()
                shared[inside] = block[pairs[inside, 0] - lo, pairs[inside, 1]]
        return shared

    def units(self, units: UnitRows, doc_sets: np.ndarray | None = None) -> UnitMatrix:
        """``units`` as a matrix over the same columns; ``doc_sets``: the set row of each
        unit document, where it has one (its shingles are looked for there first)."""
        return UnitMatrix(self, units, doc_sets)


class UnitMatrix:
    """Sentence shingle sets as a sparse 0/1 matrix over the columns of a :class:`SetMatrix`
    (values no set holds are left out: they can meet no set, but count in the sizes)."""

    def __init__(self, sets: SetMatrix, units: UnitRows, doc_sets: np.ndarray | None = None) -> None:
        from scipy import sparse

        self.sets, self.doc_offsets = sets, units.doc_offsets
        self.sizes = np.diff(units.offsets)
        own_sets = None
        if doc_sets is not None:
            unit_doc = np.repeat(np.arange(len(units.doc_offsets) - 1, dtype=np.int64), np.diff(units.doc_offsets))
            own_sets = np.repeat(np.asarray(doc_sets, dtype=np.int64)[unit_doc], self.sizes)
        columns = sets._columns(units.hashes, own_sets)
        present = columns >= 0
        kept = np.concatenate(([0], np.cumsum(present)))[np.asarray(units.offsets, dtype=np.int64)]
        ones = np.ones(int(present.sum()), dtype=np.int32)
        shape = (len(self.sizes), len(sets.vocabulary))
        self.rows = sparse.csr_matrix((ones, columns[present].astype(np.int32), kept), shape=shape)
        self.flops = float(sets.frequency[columns[present]].sum())

    def cost(self) -> float:
        """What :meth:`units_found` costs, in set look-ups."""
        return FLOP_COST * (self.flops + float(len(self.sizes)) * self.sets.count)

    def units_found(
        self, docs: np.ndarray, others: np.ndarray, unit_row: np.ndarray, overlap: float, min_shingles: int
    ) -> np.ndarray:
        """For each ``i``: how many units of set ``docs[i]`` (unit row ``unit_row[docs[i]]``)
        have at least ``overlap`` of their shingles, and ``min_shingles`` shingles, in set
        ``others[i]`` (:func:`shared_unit_counts`, from the product)."""
        docs, others = np.asarray(docs, dtype=np.int64), np.asarray(others, dtype=np.int64)
        return self._table(overlap, min_shingles)[unit_row[docs] * self.sets.count + others]

    def _table(self, overlap: float, min_shingles: int) -> np.ndarray:
        """How many units of each unit document reach the thresholds in each set (flat, by unit document).

        The product of units by sets is sparse (most units lie in a few sets), so it stays
        sparse: each block of units gives its entries that reach the units' thresholds,
        counted into the table; the pairs read it.
        """
        documents = len(self.doc_offsets) - 1
        table = np.zeros(documents * self.sets.count, dtype=np.int64)
        owner = np.repeat(np.arange(documents, dtype=np.int64), np.diff(self.doc_offsets))
        need = needed_hits(self.sizes, overlap, min_shingles)
        transposed = self.sets.rows.T.tocsr()
        always = np.flatnonzero(need == 0)  # units that lie in every set (no overlap asked)
        if len(always):
            table.reshape(documents, self.sets.count)[:] += np.bincount(owner[always], minlength=documents)[:, None]
        for lo, hi in _blocks(len(self.sizes), self.sets.count):
            hits = (self.rows[lo:hi] @ transposed).tocsr()
            unit = np.repeat(np.arange(lo, hi, dtype=np.int64), np.diff(hits.indptr))
            kept = (hits.data >= need[unit]) & (need[unit] > 0)
            table += np.bincount(owner[unit[kept]] * self.sets.count + hits.indices[kept], minlength=len(table))
        return table


def needed_hits(sizes: np.ndarray, overlap: float, min_shingles: int) -> np.ndarray:
    """The fewest shingles of each unit (of ``sizes``) found in a set for ``hits / size >=
    overlap``, as that float division decides it; ``size + 1`` (never) for units of fewer
    than ``min_shingles`` shingles."""
    sizes = np.asarray(sizes, dtype=np.int64)
    need = np.clip(np.ceil(overlap * sizes).astype(np.int64), 0, sizes)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the product above may be a rounding off the division's answer: step to it
        while True:
            lower = (need > 0) & ((need - 1) / sizes >= overlap)
            if not lower.any():
                break
            need[lower] -= 1
        while True:
            higher = (need <= sizes) & ~(need / sizes >= overlap)
            if not higher.any():
                break
            need[higher] += 1
    need[sizes < min_shingles] = sizes[sizes < min_shingles] + 1
    return need


# -- set look-ups, pair by pair ---------------------------------------------------------


class SetIndex:
    """Sorted unique uint64 sets (CSR form) that answer "is value v in set s?" in batch.

    Each set's values are keyed as ``set << 40 | value >> 24``; since every set is sorted,
    the keys of all sets form one sorted array, so a whole batch of membership questions is
    one ``searchsorted``. The key keeps only 40 bits of the value, so a hit is confirmed on
    the full 64 bits, and the rare sets holding two values with equal top 40 bits are
    searched on past the first (the loop below almost never runs twice): answers are exact.
    """

    SET_BITS = 24

    def __init__(self, values: np.ndarray, offsets: np.ndarray) -> None:
        if len(offsets) - 1 >= 1 << self.SET_BITS:
            raise ParameterError(f"a SetIndex holds at most {1 << self.SET_BITS} sets")
        self.values = values
        self.offsets = np.asarray(offsets, dtype=np.int64)
        owner = np.repeat(np.arange(len(offsets) - 1, dtype=np.uint64), np.diff(offsets))
        self.keys = self._key(owner, values)

    @staticmethod
    def _key(owner: np.ndarray, values: np.ndarray) -> np.ndarray:
        return (owner.astype(np.uint64) << np.uint64(40)) | (values >> np.uint64(24))

    def contains(self, owner: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``values[i] in set owner[i]`` for every ``i``."""
        found = np.zeros(len(values), dtype=bool)
        if len(values) == 0 or len(self.keys) == 0:
            return found
        keys = self._key(owner, values)
        position = np.searchsorted(self.keys, keys)
        # First look, on whole arrays: a key past the last one is compared with the last
        # (smaller, so unequal) rather than filtered out, which saves a pass of indexing.
        np.minimum(position, len(self.keys) - 1, out=position)
        same_key = self.keys[position] == keys
        found = same_key & (self.values[position] == values)
        pending = np.flatnonzero(same_key & ~found)
        position[pending] += 1
        while len(pending):
            pos = position[pending]
            inside = pos < len(self.keys)
            pending, pos = pending[inside], pos[inside]
            same_key = self.keys[pos] == keys[pending]
            pending, pos = pending[same_key], pos[same_key]
            hit = self.values[pos] == values[pending]
            found[pending[hit]] = True
            # a key collision with a different value: look at the next entry
            pending = pending[~hit]
            position[pending] += 1
        return found


def shared_shingle_counts(pairs: np.ndarray, sets: SetIndex, offsets: np.ndarray) -> np.ndarray:
    """``|A ∩ B|`` for every pair of set indices (exact), querying the smaller set into the larger."""
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = np.diff(offsets)
    first, second = pairs[:, 0], pairs[:, 1]
    swap = sizes[first] > sizes[second]
    query, target = np.where(swap, second, first), np.where(swap, first, second)
    lengths = sizes[query]
    if by_kernels(int(lengths.sum())):
        from dedup.match.kernels import intersection_sizes

        return intersection_sizes(sets.values, sets.offsets, query, target)
    elements = _ranges(offsets[query], lengths)
    owner = np.repeat(target, lengths)
    found = sets.contains(owner, sets.values[elements])
    pair_of = np.repeat(np.arange(len(pairs)), lengths)
    return np.bincount(pair_of[found], minlength=len(pairs)).astype(np.int64)


def shared_unit_counts(
    docs: np.ndarray, others: np.ndarray, units: UnitRows, unit_docs: np.ndarray, sets: SetIndex,
    overlap: float, min_shingles: int,
) -> np.ndarray:
    """For each ``i``: how many units of ``docs[i]`` have ``overlap`` of their shingles in set ``others[i]``.

    ``unit_docs`` maps a set index to its row in ``units``. Units with fewer than
    ``min_shingles`` shingles never count.
    """
    if len(docs) == 0:
        return np.zeros(0, dtype=np.int64)
    rows = unit_docs[docs]
    unit_first = units.doc_offsets[rows]
    unit_count = units.doc_offsets[rows + 1] - unit_first
    unit_ids = _ranges(unit_first, unit_count)  # one slot per (pair, unit)
    slot_pair = np.repeat(np.arange(len(docs)), unit_count)
    unit_sizes = np.diff(units.offsets)[unit_ids]
    if by_kernels(int(unit_sizes.sum())):
        from dedup.match.kernels import units_in_sets

        need = needed_hits(np.diff(units.offsets), overlap, min_shingles)
        return units_in_sets(unit_first, unit_count, units.offsets.astype(np.int64), units.hashes, need,
                             np.asarray(others, dtype=np.int64), sets.values, sets.offsets)
    elements = _ranges(units.offsets[unit_ids], unit_sizes)
    slot_of_element = np.repeat(np.arange(len(unit_ids)), unit_sizes)
    found = sets.contains(others[slot_pair][slot_of_element], units.hashes[elements])
    hits = np.bincount(slot_of_element[found], minlength=len(unit_ids))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = hits / unit_sizes
    shared = (unit_sizes >= min_shingles) & (share >= overlap)
    return np.bincount(slot_pair[shared], minlength=len(docs)).astype(np.int64)
