"""Loops that numpy cannot express without a pass per step, compiled with numba.

Each kernel works on plain integer arrays and returns integers, so its result is exact
and the same on every machine. Compiled code is cached (numba's ``cache=True``): a
process compiles a kernel once per installation, later processes load it. This module is imported only where a kernel is needed, so commands that never run
one do not pay numba's import.
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
