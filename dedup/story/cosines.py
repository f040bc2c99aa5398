"""The scores of windows against passages in the passage diff (:mod:`dedup.story.diff`).

A window (a passage of one member, or two adjacent ones) scores against a passage of
another member by the cosine of their TF-IDF rows, or, for a short passage, by the larger
of that and how much of the passage's squared weight lies on terms the window also has.
Only scores of at least ``min_cosine`` are kept. :func:`product_scores` takes them from
scipy's sparse products, every pair; :class:`BoundedScores` scores only the pairs that a
bound lets reach ``min_cosine``, summing as scipy sums, so that it keeps the same
entries with the same floats.
"""

from __future__ import annotations

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
        spread = np.bincount(passages.indices, minlength=passages.shape[1])  # passages holding each term
        if int(spread[windows.indices].sum()) < BOUNDED_MIN_PRODUCTS:
            return None
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
        from dedup.match.kernels import bounded_product

        indptr, indices = block.indptr.astype(np.int64), block.indices.astype(np.int64)
        capacity = max(SCORE_BUFFER, 2 * len(self.p_common))
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        row = 0
        while not found or row < block.shape[0]:
            rows, cols, values, row = bounded_product(
                indptr, indices, block.data, self.a_common[start:end], *self.rare, *self.passages, self.p_common,
                self.short, self.by_common, self.always, self.min_cosine, SCORE_MARGIN, row, capacity,
            )
            found.append((rows, cols, values))
        if len(found) == 1:
            return found[0]
        return tuple(np.concatenate(column) for column in zip(*found))  # type: ignore[return-value]
