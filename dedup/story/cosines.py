"""The scores of windows against passages in the passage diff (:mod:`dedup.story.diff`).

A window (a passage of one member, or two adjacent ones) scores against a passage of
another member by the cosine of their TF-IDF rows, or, for a short passage, by the larger
of that and how much of the passage's squared weight lies on terms the window also has.
Only scores of at least ``min_cosine`` are kept. :func:`product_scores` takes them from
scipy's sparse products, every pair; :class:`BoundedScores` scores only the pairs that a
bound lets reach ``min_cosine``, summing as scipy sums, so that it keeps the same
entries with the same floats. :func:`split_window_scores` scores a window of two passages
only against the passages that one of its passages alone comes near.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def product_scores(block, passages_t, squared, min_cosine: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, passages, values)`` of the block's windows and the passages scoring at least
    ``min_cosine``: cosines, or for a short passage the larger of that and its squared
    weights on the terms the window also has (``squared``, by term; None: no short one)."""
    cosines = (block @ passages_t).tocsr()
    if squared is not None:
        present = block.copy()
        present.data[:] = 1.0
        cosines = cosines.maximum(present @ squared)
    found = cosines.tocoo()
    keep = found.data >= min_cosine
    return found.row[keep].astype(np.int64), found.col[keep].astype(np.int64), found.data[keep]


def products(windows, passages) -> int:
    """The multiply-adds of the sparse product of ``windows`` with ``passages`` transposed."""
    spread = np.bincount(passages.indices, minlength=passages.shape[1])
    return int(spread[windows.indices].sum())


class ProductScores:
    """:func:`product_scores` with its right-hand sides made once, as :class:`BoundedScores`."""

    def __init__(self, passages, short: np.ndarray, min_cosine: float) -> None:
        from scipy import sparse

        # Both right-hand sides are transposed to CSR once: a product with a transposed (CSC)
        # operand converts it again for every block, which cost more than the products.
        self.squared = (
            sparse.csr_matrix(sparse.diags(short) @ passages.multiply(passages)).T.tocsr() if short.any() else None
        )
        self.passages_t = passages.T.tocsr()
        self.min_cosine = min_cosine

    def scores(self, block, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return product_scores(block, self.passages_t, self.squared, self.min_cosine)


def scorer(windows, passages, short: np.ndarray, min_cosine: float) -> BoundedScores | ProductScores:
    """The better scorer of ``windows`` against ``passages``: the same entries and floats either way."""
    return BoundedScores.of(windows, passages, short, min_cosine) or ProductScores(passages, short, min_cosine)


# Passage cosines are computed for a block of windows at a time, each block making at most
# about this many (window, passage) products: two long near-identical documents share
# common words in every passage, so one product of all windows with all passages grows
# with the square of their length (6 GB for two 2M-character copies; 0.4 GB in blocks).
COSINE_BLOCK = 1 << 22


def window_blocks(windows, matrix, copies: np.ndarray | None = None, budget: int | None = None) -> list[tuple[int, int]]:
    """Row ranges of ``windows`` whose products with ``matrix.T`` stay near ``budget``
    (:data:`COSINE_BLOCK` unless given).

    A window's cost is the number of (term, passage) entries its terms meet, an upper
    bound on the nonzeros of its row of the product, times its ``copies`` (the windows
    that row stands for, into which its entries are spread).
    """
    passages_per_term = np.bincount(matrix.indices, minlength=matrix.shape[1])
    entry_row = np.repeat(np.arange(windows.shape[0]), np.diff(windows.indptr))
    cost = np.bincount(entry_row, weights=passages_per_term[windows.indices], minlength=windows.shape[0])
    if copies is not None:
        cost = cost * copies
    ends = np.cumsum(cost)
    budget = COSINE_BLOCK if budget is None else budget
    blocks, start = [], 0
    while start < windows.shape[0]:
        base = ends[start - 1] if start else 0.0
        end = max(int(np.searchsorted(ends, base + budget, side="right")), start + 1)
        blocks.append((start, end))
        start = end
    return blocks


def window_scores(windows, passages, short: np.ndarray, copies: np.ndarray, min_cosine: float):
    """Every score of at least ``min_cosine`` of a window against a passage, as
    ``(windows, passages, values)`` for one block of windows after another: the entries
    and floats of :func:`scorer`'s scores of every window against every passage."""
    score = scorer(windows, passages, short, min_cosine)
    for start, end in window_blocks(windows, passages, copies):
        rows, cols, values = score.scores(windows[start:end], start, end)
        yield rows + start, cols, values


def split_window_scores(windows, passages, short: np.ndarray, copies: np.ndarray, parts: np.ndarray, min_cosine: float):
    """:func:`window_scores`, with each window of two passages scored only against the
    passages it can reach ``min_cosine`` with: the same entries and floats.

    ``parts[w]`` holds, for a window of two passages, the rows of the windows of each alone;
    ``-1, -1`` for a window of one. Rows are unit vectors without negative weights, so the
    sum ``u + v`` of two has a norm of at least √2 and a passage ``p`` scores against their
    window at ``(p·u + p·v) / |u + v|``: for that to reach ``min_cosine``, ``p·u`` or ``p·v``
    must reach ``min_cosine / √2``. The windows of one passage are scored against every
    passage at that lower threshold, and each window of two only against the passages one
    of its parts reached: a third of the work where most windows share nothing. Short
    passages, scored by coverage too, which has no such bound, are scored against every
    window. Used where the bounded scorer is (big clusters): the compiled kernels are loaded there.
    """
    from dedup.match.kernels import listed_products
    from dedup.match.shingle import concat_ranges, sorted_distinct

    pair_rows = np.flatnonzero(parts[:, 0] >= 0)
    if products(windows, passages) < BOUNDED_MIN_PRODUCTS or not BOUNDED_SCORES or not len(pair_rows):
        yield from window_scores(windows, passages, short, copies, min_cosine)
        return
    shorts, longs = np.flatnonzero(short != 0), np.flatnonzero(short == 0)
    if len(shorts):
        for rows, cols, values in window_scores(windows, passages[shorts], short[shorts], copies, min_cosine):
            yield rows, shorts[cols], values
    if not len(longs):
        return
    singles = np.flatnonzero(parts[:, 0] < 0)
    long_passages, single_windows = passages[longs], windows[singles]
    score = BoundedScores.made(single_windows, long_passages, np.zeros(len(longs)), min_cosine / np.sqrt(2) - SCORE_MARGIN)
    if score is None:  # the passages repeat a term (a product's rows never do)
        for rows, cols, values in window_scores(windows, long_passages, short[longs], copies, min_cosine):
            yield rows, longs[cols], values
        return
    # the windows of two passages holding each window of one, by the latter's row (CSR)
    owners = np.concatenate((parts[pair_rows, 0], parts[pair_rows, 1]))
    holders = np.concatenate((pair_rows, pair_rows))[np.argsort(owners, kind="stable")]
    held = np.zeros(windows.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(owners, minlength=windows.shape[0]), out=held[1:])
    a = (windows.indptr.astype(np.int64), windows.indices.astype(np.int64), windows.data, windows.shape[1])
    # Blocks several times the products' budget: the bounded scorer holds only the entries
    # that pass, a call's worth at a time, and each block costs a slice and a pass of numpy.
    budget = COSINE_BLOCK * BOUNDED_BLOCK_FACTOR
    for start, end in window_blocks(single_windows, long_passages, copies[singles], budget):
        for rows, cols, values in score.chunks(single_windows[start:end], start, end):
            rows = singles[rows + start]
            keep = values >= min_cosine
            yield rows[keep], longs[cols[keep]], values[keep]
            sizes = held[rows + 1] - held[rows]
            ends = np.cumsum(sizes)
            first = 0
            while first < len(rows):  # the listed pairs of the window pairs these lift, a bounded number at a time
                last = max(int(np.searchsorted(ends, ends[first] - sizes[first] + LISTED_PAIRS, side="right")), first + 1)
                pairs = holders[concat_ranges(held[rows[first:last]], sizes[first:last])]
                code = sorted_distinct(np.repeat(cols[first:last], sizes[first:last]) * windows.shape[0] + pairs)  # by passage
                found = listed_products(*a, *score.passages, code % windows.shape[0], code // windows.shape[0], min_cosine)
                yield found[0], longs[found[1]], found[2]
                first = last


# The blocks of windows of one passage that split_window_scores scores by the bound are
# this many times COSINE_BLOCK (their scores come a call of the bounded scorer at a time).
BOUNDED_BLOCK_FACTOR = 8
# Window pairs listed for scoring at a time by split_window_scores.
LISTED_PAIRS = 1 << 20


# Terms in more distinct passages than this are common: the scores of a window and a
# passage are bounded by their rarer terms' products and their common terms' norms, and
# only pairs whose bound reaches ``min_cosine`` are scored (dedup.match.kernels.bounded_product).
COMMON_TERM_PASSAGES = 200
BOUNDED_SCORES = True
SCORE_MARGIN = 1e-9
# Below this many multiply-adds (a third of a second of scipy's product) the product is
# cheaper than setting up the bound, and than loading the compiled kernel in a worker.
BOUNDED_MIN_PRODUCTS = 100_000_000
# Entries the bounded scorer finds per call, at least (a call takes rows while another
# row's entries fit, and the next call goes on from there).
SCORE_BUFFER = 1 << 16


class BoundedScores:
    """:func:`product_scores` by :func:`dedup.match.kernels.bounded_product`: the same entries."""

    @classmethod
    def of(cls, windows, passages, short: np.ndarray, min_cosine: float) -> BoundedScores | None:
        """The bounded scorer of these windows and passages, or None where scipy's product
        is the better way: it is small, or the passages repeat a term (scipy adds those
        entries one by one)."""
        if not BOUNDED_SCORES or products(windows, passages) < BOUNDED_MIN_PRODUCTS:
            return None
        return cls.made(windows, passages, short, min_cosine)

    @classmethod
    def made(cls, windows, passages, short: np.ndarray, min_cosine: float) -> BoundedScores | None:
        """The bounded scorer whatever the size; None where the passages repeat a term."""
        spread = np.bincount(passages.indices, minlength=passages.shape[1])  # passages holding each term
        passages = passages.copy()
        passages.sort_indices()
        if not passages.has_canonical_format:
            return None
        return cls(windows, passages, short, min_cosine, spread > COMMON_TERM_PASSAGES)

    def __init__(self, windows, passages, short: np.ndarray, min_cosine: float, common: np.ndarray) -> None:
        """``windows``: rows of a sparse product, so no row repeats a term; ``passages``:
        canonical CSR; ``common``: which terms are common."""
        from scipy import sparse

        terms = passages.shape[1]
        owner = np.repeat(np.arange(passages.shape[0]), np.diff(passages.indptr))
        rare = ~common[passages.indices]
        by_term = sparse.csr_matrix(
            (passages.data[rare], (passages.indices[rare], owner[rare])), shape=(terms, passages.shape[0])
        )
        self.rare = (by_term.indptr.astype(np.int64), by_term.indices.astype(np.int64), by_term.data)
        self.passages = (passages.indptr.astype(np.int64), passages.indices.astype(np.int64), passages.data)
        squares = np.where(rare, 0.0, passages.data**2)
        self.p_common = np.sqrt(np.bincount(owner, weights=squares, minlength=passages.shape[0]))
        window_owner = np.repeat(np.arange(windows.shape[0]), np.diff(windows.indptr))
        squares = np.where(common[windows.indices], windows.data**2, 0.0)
        self.a_common = np.sqrt(np.bincount(window_owner, weights=squares, minlength=windows.shape[0]))
        self.short = np.ascontiguousarray(short, dtype=np.float64)
        self.by_common = np.argsort(-self.p_common, kind="stable").astype(np.int64)
        self.always = np.flatnonzero((self.short != 0) & (self.p_common**2 >= min_cosine - SCORE_MARGIN)).astype(np.int64)
        self.min_cosine = min_cosine

    def scores(self, block, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        found = list(self.chunks(block, start, end))
        if len(found) == 1:
            return found[0]
        return tuple(np.concatenate(column) for column in zip(*found))  # type: ignore[return-value]

    def chunks(self, block, start: int, end: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """:meth:`scores` in parts, rows in order: the entries of one call of the bounded
        scorer at a time (as many rows as about :data:`SCORE_BUFFER` entries hold), so that
        a large block's entries are never held at once."""
        from dedup.match.kernels import bounded_product

        indptr, indices = block.indptr.astype(np.int64), block.indices.astype(np.int64)
        capacity = max(SCORE_BUFFER, 2 * len(self.p_common))
        row, calls = 0, 0
        while not calls or row < block.shape[0]:
            rows, cols, values, row = bounded_product(
                indptr, indices, block.data, self.a_common[start:end], *self.rare, *self.passages, self.p_common,
                self.short, self.by_common, self.always, self.min_cosine, SCORE_MARGIN, row, capacity,
            )
            calls += 1
            yield rows, cols, values
