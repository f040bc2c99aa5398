"""Loops that numpy cannot express without a pass per step, compiled with numba.

Each kernel does its arithmetic in a fixed order on plain arrays (integers for the
alignment; floats summed in scipy's order for the passage scores), so its results are the
same on every machine. Compiled code is cached (numba's ``cache=True``): a process
compiles a kernel once per installation, later processes load it. This module is imported
only where a kernel is needed, so commands that never run one do not pay numba's import.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np


def _compiled(function: Callable) -> Callable:
    """``function`` compiled, cached where numba finds a writable place (beside the module,
    ``NUMBA_CACHE_DIR`` or the user's cache folder). A read-only installation run by a
    user without a writable home has none: numba refuses to cache there, and the kernel
    is then compiled in each process instead of failing."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(nogil=True)(function)


@_compiled
def heaviest_common_subsequence(
    row_weights: np.ndarray, positions: np.ndarray, starts: np.ndarray, ends: np.ndarray, length: int
) -> int:  # pragma: no cover - compiled; tests/match/test_words.py checks it against a plain loop
    """The weight of the heaviest common subsequence of two word sequences.

    Row ``r`` is a word of the first sequence, of weight ``row_weights[r]``, that occurs in
    the second (``length`` words) at ``positions[starts[r]:ends[r]]``, ascending. The work
    is proportional to the matches, not to the product of the lengths: the heaviest
    subsequence ending at or before each position of the second sequence is a prefix
    maximum, kept in a Fenwick tree whose values only ever rise. A match at position ``j``
    takes the best of positions ``0..j-1`` plus its weight. A row's matches are taken
    right to left, so that each reads what the rows before it left, never its own row.
    """
    tree = np.zeros(length + 1, dtype=np.int64)  # tree[i]: the best of a range of positions ending at i (1-based)
    for r in range(len(row_weights)):
        weight = row_weights[r]
        for k in range(ends[r] - 1, starts[r] - 1, -1):
            j = positions[k]
            taken = _prefix_max(tree, j) + weight
            i = j + 1
            while i <= length:
                if tree[i] >= taken:
                    break  # a range holding this one already holds as much; so do all above it
                tree[i] = taken
                i += i & -i
    return _prefix_max(tree, length)


@_compiled
def _prefix_max(tree: np.ndarray, end: int) -> int:  # pragma: no cover - compiled
    """The largest value of positions 1..``end`` of a Fenwick tree of maxima."""
    best = 0
    while end > 0:
        if tree[end] > best:
            best = tree[end]
        end -= end & -end
    return best


@_compiled
def bounded_product(
    a_indptr: np.ndarray, a_indices: np.ndarray, a_data: np.ndarray, a_common: np.ndarray,
    rare_indptr: np.ndarray, rare_indices: np.ndarray, rare_data: np.ndarray,
    p_indptr: np.ndarray, p_indices: np.ndarray, p_data: np.ndarray, p_common: np.ndarray, short: np.ndarray,
    by_common: np.ndarray, always: np.ndarray, threshold: float, margin: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled; tests/story/test_diff.py checks it
    """The entries of at least ``threshold`` of the products of rows ``A`` (CSR) with
    passages ``P`` (CSR, each row's columns sorted): a row's dot product with a passage,
    or for a passage with ``short`` set the larger of that and the passage's squared
    weights on the row's columns. As ``(rows, passages, values)``.

    Columns are split into common and rare ones: ``rare_*`` holds, by column, the rare
    columns' entries of ``P``; ``a_common`` and ``p_common`` the norms of each row's and
    passage's common entries. A pair's dot product is at most its rare dot product plus the
    product of its common norms (Cauchy-Schwarz), and its squared weights at most the rare
    ones plus the passage's common norm squared; only pairs whose bound reaches the
    threshold (less ``margin``, for rounding) are scored; pairs sharing no rare column by
    the norms alone (``by_common``: passages by falling common norm; ``always``: the short
    ones whose common norm squared reaches it). A pair's products are summed in the order
    of ``A``'s entries, as scipy sums them: the same floats as the full product.
    """
    count = len(p_indptr) - 1
    dot = np.zeros(count)
    cover = np.zeros(count)
    seen = np.zeros(count, dtype=np.bool_)
    touched = np.empty(count, dtype=np.int64)
    capacity = 1024
    rows = np.empty(capacity, dtype=np.int64)
    cols = np.empty(capacity, dtype=np.int64)
    values = np.empty(capacity)
    found = 0
    floor = threshold - margin
    for i in range(len(a_indptr) - 1):
        marked = 0
        for jj in range(a_indptr[i], a_indptr[i + 1]):
            t = a_indices[jj]
            v = a_data[jj]
            for kk in range(rare_indptr[t], rare_indptr[t + 1]):
                j = rare_indices[kk]
                if not seen[j]:
                    seen[j] = True
                    touched[marked] = j
                    marked += 1
                y = rare_data[kk]
                dot[j] += v * y
                cover[j] += y * y
        shared = marked
        for n in range(shared):
            j = touched[n]
            if dot[j] + a_common[i] * p_common[j] >= floor or (
                short[j] != 0.0 and cover[j] + p_common[j] * p_common[j] >= floor
            ):
                found = _score(i, j, a_indptr, a_indices, a_data, p_indptr, p_indices, p_data, short, threshold,
                               rows, cols, values, found)
                if found == len(rows):
                    rows, cols, values = _grown(rows), _grown(cols), _grown(values)
        # pairs sharing no rare column: the passages whose common norm could reach it, then
        # the short passages whose common weights alone could cover it
        reach = len(by_common)
        for m in range(len(by_common)):
            if a_common[i] * p_common[by_common[m]] < floor:
                reach = m
                break
        for m in range(reach + len(always)):
            j = by_common[m] if m < reach else always[m - reach]
            if seen[j]:
                continue
            seen[j] = True
            touched[marked] = j
            marked += 1
            found = _score(i, j, a_indptr, a_indices, a_data, p_indptr, p_indices, p_data, short, threshold,
                           rows, cols, values, found)
            if found == len(rows):
                rows, cols, values = _grown(rows), _grown(cols), _grown(values)
        for n in range(marked):
            j = touched[n]
            dot[j] = 0.0
            cover[j] = 0.0
            seen[j] = False
    return rows[:found], cols[:found], values[:found]


@_compiled
def _score(
    i: int, j: int, a_indptr: np.ndarray, a_indices: np.ndarray, a_data: np.ndarray,
    p_indptr: np.ndarray, p_indices: np.ndarray, p_data: np.ndarray, short: np.ndarray, threshold: float,
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, found: int,
) -> int:  # pragma: no cover - compiled
    """Score row ``i`` against passage ``j`` and keep the entry if it reaches ``threshold``;
    the number of entries kept."""
    total = 0.0
    covered = 0.0
    hit = False
    lo, hi = p_indptr[j], p_indptr[j + 1]
    for jj in range(a_indptr[i], a_indptr[i + 1]):
        t = a_indices[jj]
        k, top = lo, hi  # binary search for t among the passage's sorted columns
        while k < top:
            middle = (k + top) >> 1
            if p_indices[middle] < t:
                k = middle + 1
            else:
                top = middle
        if k < hi and p_indices[k] == t:
            y = p_data[k]
            total += a_data[jj] * y
            covered += 1.0 * (short[j] * (y * y))
            hit = True
    if not hit:
        return found
    value = total
    if short[j] != 0.0 and covered > value:
        value = covered
    if value >= threshold:
        rows[found] = i
        cols[found] = j
        values[found] = value
        found += 1
    return found


@_compiled
def _grown(array: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty(2 * len(array), dtype=array.dtype)
    out[: len(array)] = array
    return out
