"""Loops that numpy cannot express without a pass per step, compiled with numba.

Each kernel does its arithmetic in a fixed order on plain arrays (integers for the
alignment; floats summed in scipy's order for the passage scores), so its results are the
same on every machine. Compiled code is cached (numba's ``cache=True``): compiled once per
installation, loaded by later processes; only those that run a kernel pay numba's import.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

WARM = False  # every kernel's code loaded in this process (warm)
CACHED = True  # the kernels' code is cached: loading them costs 0.4 s, not a compilation


def _compiled(function: Callable) -> Callable:
    """``function`` compiled, cached where numba finds a writable place (beside the module,
    ``NUMBA_CACHE_DIR`` or the user's cache folder). A read-only installation run by a user
    without a writable home has none: the kernel is then compiled in each process."""
    global CACHED
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        CACHED = False
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
    by_common: np.ndarray, always: np.ndarray, threshold: float, margin: float, first: int, capacity: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:  # pragma: no cover - compiled; tests/story/test_diff.py checks it
    """The entries of at least ``threshold`` of the products of rows ``A`` (CSR) with
    passages ``P`` (CSR, each row's columns sorted): a row's dot product with a passage,
    or for a passage with ``short`` set the larger of that and the passage's squared
    weights on the row's columns. As ``(rows, passages, values, next row)``: rows are taken
    from ``first`` on while ``capacity`` entries can hold another row's (it must hold
    one's: as many as there are passages), and the caller asks again from the next row.
    (With its buffers grown inside the loop, the compiled loop ran three times slower,
    even where nothing grew.)

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
    # position[t]: where column t lies in the current row of A (-1: not there)
    position = np.full(len(rare_indptr) - 1, -1, dtype=np.int64)
    longest = 0
    for j in range(count):
        longest = max(longest, p_indptr[j + 1] - p_indptr[j])
    matched = np.empty(longest, dtype=np.int64)
    matched_y = np.empty(longest)
    rows = np.empty(capacity, dtype=np.int64)
    cols = np.empty(capacity, dtype=np.int64)
    values = np.empty(capacity)
    found = 0
    floor = threshold - margin
    i = first
    while i < len(a_indptr) - 1 and found + count <= capacity:
        marked = _rare_products(i, a_indptr, a_indices, a_data, rare_indptr, rare_indices, rare_data,
                                dot, cover, seen, touched, position)
        for n in range(marked):
            j = touched[n]
            if dot[j] + a_common[i] * p_common[j] >= floor or (
                short[j] != 0.0 and cover[j] + p_common[j] * p_common[j] >= floor
            ):
                found = _score(i, j, position, a_data, p_indptr, p_indices, p_data, short, threshold, floor,
                               matched, matched_y, rows, cols, values, found)
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
            found = _score(i, j, position, a_data, p_indptr, p_indices, p_data, short, threshold, floor,
                           matched, matched_y, rows, cols, values, found)
        for n in range(marked):
            j = touched[n]
            dot[j] = 0.0
            cover[j] = 0.0
            seen[j] = False
        for jj in range(a_indptr[i], a_indptr[i + 1]):
            position[a_indices[jj]] = -1
        i += 1
    return rows[:found], cols[:found], values[:found], i


@_compiled
def listed_products(
    a_indptr: np.ndarray, a_indices: np.ndarray, a_data: np.ndarray, terms: int,
    p_indptr: np.ndarray, p_indices: np.ndarray, p_data: np.ndarray,
    rows: np.ndarray, passages: np.ndarray, threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled; tests/story/test_diff.py checks it
    """The dot products of at least ``threshold`` among the listed pairs ``(rows[k],
    passages[k])`` of rows of ``A`` (CSR over ``terms`` columns) and passages ``P`` (CSR),
    as ``(rows, passages, values)`` in the order listed. The pairs are listed by passage:
    each passage's weights are laid out by column once, and each row's entries multiply
    them in the row's order, as scipy's product sums them (a column the passage lacks
    adds an exact zero, which changes no sum), so the floats are the product's."""
    dense = np.zeros(terms)
    kept_rows = np.empty(len(rows), dtype=np.int64)
    kept_passages = np.empty(len(rows), dtype=np.int64)
    values = np.empty(len(rows))
    found = 0
    current = -1
    for k in range(len(rows)):
        j = passages[k]
        if j != current:
            if current >= 0:
                for kk in range(p_indptr[current], p_indptr[current + 1]):
                    dense[p_indices[kk]] = 0.0
            for kk in range(p_indptr[j], p_indptr[j + 1]):
                dense[p_indices[kk]] = p_data[kk]
            current = j
        i = rows[k]
        total = 0.0
        for jj in range(a_indptr[i], a_indptr[i + 1]):
            total += a_data[jj] * dense[a_indices[jj]]
        if total >= threshold:
            kept_rows[found] = i
            kept_passages[found] = j
            values[found] = total
            found += 1
    return kept_rows[:found], kept_passages[:found], values[:found]


@_compiled
def _rare_products(
    i: int, a_indptr: np.ndarray, a_indices: np.ndarray, a_data: np.ndarray,
    rare_indptr: np.ndarray, rare_indices: np.ndarray, rare_data: np.ndarray,
    dot: np.ndarray, cover: np.ndarray, seen: np.ndarray, touched: np.ndarray, position: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Row ``i``'s products with the passages over rare columns (``dot``) and the passages'
    squared rare weights on its columns (``cover``), marking each passage met in ``seen``
    and listing it in ``touched``; sets ``position`` to the row's columns. Returns how many
    passages it met."""
    marked = 0
    for jj in range(a_indptr[i], a_indptr[i + 1]):
        t = a_indices[jj]
        position[t] = jj
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
    return marked


@_compiled
def _score(
    i: int, j: int, position: np.ndarray, a_data: np.ndarray,
    p_indptr: np.ndarray, p_indices: np.ndarray, p_data: np.ndarray, short: np.ndarray, threshold: float,
    floor: float, matched: np.ndarray, matched_y: np.ndarray,
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, found: int,
) -> int:  # pragma: no cover - compiled
    """Score row ``i`` (its columns' places in ``position``) against passage ``j`` and keep
    the entry if it reaches ``threshold``; the number of entries kept.

    The passage's columns are looked up in the row's: their sum in that order is within
    rounding of the score, and a pair below ``floor`` by it is dropped at once. A pair that
    may reach the threshold is summed again in the order of the row's entries, as scipy
    sums it, so its value is the product's to the last bit.
    """
    n = 0
    rough = 0.0
    rough_cover = 0.0
    weight = short[j]
    for k in range(p_indptr[j], p_indptr[j + 1]):
        jj = position[p_indices[k]]
        if jj >= 0:
            y = p_data[k]
            matched[n] = jj
            matched_y[n] = y
            n += 1
            rough += a_data[jj] * y
            rough_cover += weight * (y * y)
    if n == 0 or (rough < floor and (weight == 0.0 or rough_cover < floor)):
        return found
    order = np.argsort(matched[:n])
    total = 0.0
    covered = 0.0
    for m in range(n):
        jj = matched[order[m]]
        y = matched_y[order[m]]
        total += a_data[jj] * y
        covered += 1.0 * (weight * (y * y))
    value = total
    if weight != 0.0 and covered > value:
        value = covered
    if value >= threshold:
        rows[found] = i
        cols[found] = j
        values[found] = value
        found += 1
    return found


@_compiled
def shared_bag_weight(
    first: np.ndarray, second: np.ndarray, first_weights: np.ndarray, count_first: np.ndarray, count_second: np.ndarray
) -> int:  # pragma: no cover - compiled; tests/match/test_words.py checks it against words.bag_bound
    """The weight two word sequences (dense word ids) share as bags: each word both hold,
    at its weight, as many times as the one holding it fewer times. ``count_*`` are zeroed
    scratch arrays over the ids, zeroed again on return."""
    for w in first:
        count_first[w] += 1
    for w in second:
        count_second[w] += 1
    total = 0
    for k in range(len(first)):
        w = first[k]
        if count_first[w] > 0:  # the word's first place (equal words weigh the same)
            total += first_weights[k] * min(count_first[w], count_second[w])
            count_first[w] = 0
    for w in second:
        count_second[w] = 0
    return total


@_compiled
def aligned_weight(
    first: np.ndarray, second: np.ndarray, first_weights: np.ndarray, max_cells: int,
    mark: np.ndarray, weight_of: np.ndarray, count: np.ndarray, start: np.ndarray,
) -> int:  # pragma: no cover - compiled; tests/match/test_words.py checks it against words.aligned_weights
    """:func:`dedup.match.words.aligned_weights` of two sequences of dense word ids, or -1
    past ``max_cells``: the words of each that the other holds (and that weigh something),
    each word's places in the longer sequence counted out in one pass, then
    :func:`heaviest_common_subsequence` over the shorter. ``mark``, ``count`` and
    ``start`` are zeroed scratch arrays over the ids, zeroed again on return; ``weight_of``
    is scratch."""
    for w in second:
        mark[w] = 1
    kept_first = np.empty(len(first), dtype=np.int64)
    kept_weights = np.empty(len(first), dtype=np.int64)
    na = 0
    for k in range(len(first)):
        w = first[k]
        if mark[w] != 0 and first_weights[k] > 0:
            kept_first[na] = w
            kept_weights[na] = first_weights[k]
            weight_of[w] = first_weights[k]
            mark[w] = 2
            na += 1
    kept_second = np.empty(len(second), dtype=np.int64)
    nb = 0
    for w in second:
        if mark[w] == 2:
            kept_second[nb] = w
            nb += 1
    for w in second:
        mark[w] = 0
    if na == 0 or nb == 0:
        return 0
    if na * nb > max_cells:
        return -1
    if na > nb:  # rows over the shorter sequence
        rows, columns = kept_second[:nb], kept_first[:na]
        row_weights = np.empty(nb, dtype=np.int64)
        for k in range(nb):
            row_weights[k] = weight_of[rows[k]]
    else:
        rows, columns, row_weights = kept_first[:na], kept_second[:nb], kept_weights[:na]
    # each word's places in the columns, ascending: counted, then laid out word by word
    for w in columns:
        count[w] += 1
    total = 0
    for w in columns:
        if start[w] == 0:
            total += count[w]
            start[w] = total  # one past the word's last slot, until filled below
    positions = np.empty(len(columns), dtype=np.int64)
    for j in range(len(columns) - 1, -1, -1):
        w = columns[j]
        start[w] -= 1
        positions[start[w]] = j
    row_starts = np.empty(len(rows), dtype=np.int64)
    row_ends = np.empty(len(rows), dtype=np.int64)
    for r in range(len(rows)):
        w = rows[r]
        row_starts[r] = start[w]
        row_ends[r] = start[w] + count[w]
    best = heaviest_common_subsequence(row_weights, positions, row_starts, row_ends, len(columns))
    for w in columns:
        count[w] = 0
        start[w] = 0
    return best


@_compiled
def columns_in_sets(
    hashes: np.ndarray, hash_sets: np.ndarray, values: np.ndarray, offsets: np.ndarray,
    value_columns: np.ndarray, vocabulary: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled; tests/match/test_overlap.py checks it against a search of the vocabulary
    """The column of each of ``hashes`` in ``vocabulary`` (sorted, unique), -1 where it is not
    there. Hash ``i`` is first looked for in set ``hash_sets[i]`` (``values[offsets[s]:
    offsets[s + 1]]``, sorted; ``value_columns`` gives each value's column; -1: none),
    which holds most of a document's sentence shingles: a search of a few thousand values
    that stay in cache, rather than of the whole vocabulary; the rest search the vocabulary."""
    found = np.empty(len(hashes), dtype=np.int64)
    for i in range(len(hashes)):
        h = hashes[i]
        if hash_sets[i] >= 0:
            end = offsets[hash_sets[i] + 1]
            at = _lower_bound(values, offsets[hash_sets[i]], end, h)
            if at < end and values[at] == h:
                found[i] = value_columns[at]
                continue
        at = _lower_bound(vocabulary, 0, len(vocabulary), h)
        found[i] = at if at < len(vocabulary) and vocabulary[at] == h else -1
    return found


SEARCH_RATIO = 16  # a set this many times larger than the other is searched, not merged


@_compiled
def intersection_sizes(
    values: np.ndarray, offsets: np.ndarray, first: np.ndarray, second: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled; tests/match/test_overlap.py checks it against numpy
    """``|A ∩ B|`` for the sets ``first[i]`` and ``second[i]`` (set ``s`` is ``values[offsets[s]:
    offsets[s + 1]]``, sorted and unique): a merge of the two, or where one is far larger,
    a search in it of each value of the other, each search going on from the last."""
    counts = np.zeros(len(first), dtype=np.int64)
    for i in range(len(first)):
        small, large = first[i], second[i]
        if offsets[small + 1] - offsets[small] > offsets[large + 1] - offsets[large]:
            small, large = large, small
        k, end_k = offsets[small], offsets[small + 1]
        at, end = offsets[large], offsets[large + 1]
        count = 0
        if (end_k - k) * SEARCH_RATIO < end - at:
            for j in range(k, end_k):
                at = _lower_bound(values, at, end, values[j])
                if at == end:
                    break
                if values[at] == values[j]:
                    count += 1
        else:
            while k < end_k and at < end:
                if values[k] < values[at]:
                    k += 1
                elif values[at] < values[k]:
                    at += 1
                else:
                    count += 1
                    k += 1
                    at += 1
        counts[i] = count
    return counts


@_compiled
def units_in_sets(
    unit_first: np.ndarray, unit_count: np.ndarray, unit_offsets: np.ndarray, hashes: np.ndarray, need: np.ndarray,
    others: np.ndarray, values: np.ndarray, offsets: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled; tests/match/test_overlap.py checks it against numpy
    """For each ``i``: how many of the units ``unit_first[i]`` to ``unit_first[i] + unit_count[i]
    - 1`` (unit ``u`` is ``hashes[unit_offsets[u]:unit_offsets[u + 1]]``, sorted) have at
    least ``need[u]`` of their values in set ``others[i]`` (of ``values`` and ``offsets``,
    sorted): each unit's values searched in that one set, which stays in cache."""
    found = np.zeros(len(others), dtype=np.int64)
    for i in range(len(others)):
        start, end = offsets[others[i]], offsets[others[i] + 1]
        total = 0
        for u in range(unit_first[i], unit_first[i] + unit_count[i]):
            lo, hi = unit_offsets[u], unit_offsets[u + 1]
            if need[u] > hi - lo:
                continue
            hits = 0
            at = start
            for k in range(lo, hi):
                if hits + hi - k < need[u]:  # too few values left to reach it
                    break
                at = _lower_bound(values, at, end, hashes[k])
                if at == end:
                    break
                if values[at] == hashes[k]:
                    hits += 1
            if hits >= need[u]:
                total += 1
        found[i] = total
    return found


@_compiled
def _lower_bound(ordered: np.ndarray, lo: int, hi: int, value: np.uint64) -> int:  # pragma: no cover - compiled
    """The first place in ``ordered[lo:hi]`` (ascending) whose value is not below ``value``."""
    while lo < hi:
        middle = (lo + hi) >> 1
        if ordered[middle] < value:
            lo = middle + 1
        else:
            hi = middle
    return lo


@_compiled
def scale_rows_to_unit(data: np.ndarray, indptr: np.ndarray) -> None:  # pragma: no cover - compiled; tests/story/test_diff.py checks it
    """Each CSR row's entries divided by the row's L2 norm, in place (rows of norm zero are
    left alone): the squares added one after the other in stored order, as scikit-learn's
    row normalisation adds them, so the floats are its floats."""
    for row in range(len(indptr) - 1):
        total = 0.0
        for k in range(indptr[row], indptr[row + 1]):
            total += data[k] * data[k]
        if total != 0.0:
            norm = np.sqrt(total)
            for k in range(indptr[row], indptr[row + 1]):
                data[k] /= norm


def warm() -> None:
    """Load every kernel's compiled code (and set :data:`WARM`) by a call on tiny arrays of the
    types its callers pass (no new version compiled), while a worker has nothing else to do."""
    global WARM
    ints, floats, none = np.array([0, 1], dtype=np.int64), np.zeros(2), np.zeros(0, dtype=np.int64)
    scratch = (np.zeros(2, dtype=np.int8), *(np.zeros(2, dtype=np.int64) for _ in range(3)))
    shared_bag_weight(ints, ints, ints, scratch[2], scratch[3])
    aligned_weight(ints, ints, ints, 1_000, *scratch)
    indptr = np.array([0, 2], dtype=np.int64)
    bounded_product(indptr, ints, floats, floats[:1], np.zeros(3, dtype=np.int64), none, np.zeros(0), indptr, ints,
                    floats, floats[:1], floats[:1], np.zeros(1, dtype=np.int64), none, 0.5, 1e-9, 0, 4)
    listed_products(indptr, ints, floats, 2, indptr, ints, floats, none, none, 0.5)
    scale_rows_to_unit(np.zeros(2), indptr)
    hashes = np.array([3, 9], dtype=np.uint64)
    columns_in_sets(hashes, np.zeros(2, dtype=np.int64), hashes, indptr, ints, hashes)
    intersection_sizes(hashes, indptr, none, none)
    units_in_sets(none, none, indptr, hashes, ints, none, hashes, indptr)
    WARM = True
