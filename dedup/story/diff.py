"""TF-IDF passage diff within one cluster.

How the weights are fitted: per cluster, on every content passage of every member
(boilerplate excluded), normalised by :func:`dedup.text.normalize.normalize_text`. Terms are
word unigrams and bigrams, counted by the vectorised shingler for a whole batch of
clusters at once; weights follow scikit-learn's ``TfidfVectorizer`` (smooth idf,
sublinear term frequency) and rows get its L2 norm. Fitting per cluster makes the words
the whole story repeats (its names, its place) weigh little, and the words that set one
passage apart weigh most. Each passage is compared by cosine with every passage of every other
member, and also with each pair of adjacent passages there, so that a paragraph one site
split in two (or two it merged) still finds its counterpart.

Short passages (headings, one-line quotes) are scored by coverage instead: the share of
their TF-IDF weight whose terms the counterpart also has, so that an intertitle taken
from a sentence of the story matches that sentence.

A passage is *shared* when its best counterpart in some other member scores at least
``min_cosine``; the counterpart is *verbatim* at ``verbatim_cosine`` or above and
*reworded* below. Otherwise the passage is *unique* to its member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dedup.errors import ParameterError
from dedup.match.shingle import concat_ranges, mix64, shingle_hashes_of_sizes, sorted_distinct, unique_inverse
from dedup.story import cosines
from dedup.text.normalize import normalize_many
from dedup.text.segment import Passage

Relation = Literal["verbatim", "reworded"]
PassageStatus = Literal["shared", "unique", "boilerplate"]


# Passages of at most this many words are scored by coverage as well as cosine.
SHORT_PASSAGE_WORDS = 10


@dataclass(frozen=True)
class DiffConfig:
    min_cosine: float = 0.4
    verbatim_cosine: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 < self.min_cosine <= self.verbatim_cosine <= 1.0:
            raise ParameterError("need 0 < min_cosine <= verbatim_cosine <= 1")

    def describe(self) -> dict[str, object]:
        return {
            "min_cosine": self.min_cosine,
            "verbatim_cosine": self.verbatim_cosine,
            "vectorizer": "tfidf per cluster, word 1-2 grams, smooth idf, sublinear tf, l2",
        }


@dataclass(frozen=True)
class Counterpart:
    """The best match of a passage in another member: passage indices there, and the score."""

    member: int
    passages: tuple[int, ...]
    cosine: float
    relation: Relation


@dataclass(frozen=True)
class PassageDiff:
    passage: Passage
    status: PassageStatus
    counterparts: tuple[Counterpart, ...]


def _windows(count: int) -> list[tuple[int, ...]]:
    return [(k,) for k in range(count)] + [(k, k + 1) for k in range(count - 1)]


def diff_cluster(
    texts: Sequence[str], passages: Sequence[Sequence[Passage]], config: DiffConfig = DiffConfig()
) -> list[list[PassageDiff]]:
    """Classify every passage of every member of one cluster as shared, unique or boilerplate."""
    return diff_clusters([(texts, passages)], config)[0]


ClusterInput = tuple[Sequence[str], Sequence[Sequence[Passage]]]


def diff_clusters(clusters: Sequence[ClusterInput], config: DiffConfig = DiffConfig()) -> list[list[list[PassageDiff]]]:
    """:func:`diff_cluster` for many clusters at once: one tokenizer pass and sparse products.

    The TF-IDF of each cluster is still its own (document frequencies and passage counts
    are taken per cluster), but the counting, weighting and every cosine of the whole
    batch are a handful of array and sparse-matrix operations instead of a Python loop per
    passage. Each cluster gets its own columns (one per term it uses), so a product of the
    batch's matrices never mixes two clusters.
    """
    rows = _content_rows(clusters)
    best = _best_windows(rows, len(clusters), config)
    return _passage_diffs(clusters, rows, best, config)


@dataclass(frozen=True)
class _ContentRows:
    """The content passages of a batch of clusters, one row each, member by member."""

    pieces: list[str]
    row_cluster: list[int]
    row_member: list[int]
    member_rows: list[int]  # content rows of batch member g are member_rows[g]:member_rows[g+1]
    member_of_cluster: list[range]  # the batch member ids of each cluster


@dataclass(frozen=True)
class _BestWindows:
    """For each passage row and other member: its best window there and the cosine.

    The entries of row ``r`` are ``offsets[r]:offsets[r + 1]``, by member (batch member ids).
    """

    offsets: np.ndarray  # int64
    member: np.ndarray  # int64
    window: np.ndarray  # int64
    value: np.ndarray  # float64
    window_first: list[int]  # the window's first content passage, in its member's numbering
    window_length: list[int]


def _content_rows(clusters: Sequence[ClusterInput]) -> _ContentRows:
    pieces: list[str] = []
    row_cluster: list[int] = []
    row_member: list[int] = []
    # member ids are global to the batch; content rows of member g are member_rows[g]:member_rows[g+1]
    member_rows = [0]
    member_of_cluster: list[range] = []
    for c, (texts, passages) in enumerate(clusters):
        first_member = len(member_rows) - 1
        for m, member in enumerate(passages):
            text = texts[m]
            content = [text[p.start : p.end] for p in member if p.kind != "boilerplate"]
            pieces.extend(content)
            row_cluster.extend([c] * len(content))
            row_member.extend([len(member_rows) - 1] * len(content))
            member_rows.append(len(pieces))
        member_of_cluster.append(range(first_member, len(member_rows) - 1))
    return _ContentRows(pieces, row_cluster, row_member, member_rows, member_of_cluster)


def _best_windows(rows: _ContentRows, cluster_count: int, config: DiffConfig) -> _BestWindows:
    from scipy import sparse

    pieces, member_rows = rows.pieces, rows.member_rows
    row_cluster, row_member = rows.row_cluster, rows.row_member
    empty = np.zeros(0, dtype=np.int64)
    found = (empty, empty, empty, np.zeros(0))  # (row, member, window, value)
    window_first = window_length = empty
    if pieces:
        clusters_of_rows = np.asarray(row_cluster, dtype=np.int64)
        members_of_rows = np.asarray(row_member, dtype=np.int64)
        counts, words = _piece_term_counts(pieces, row_cluster)
        entry_row = np.repeat(np.arange(len(pieces)), np.diff(counts.indptr))
        entry_cluster = clusters_of_rows[entry_row]
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        passages_in_cluster = np.bincount(clusters_of_rows, minlength=cluster_count)
        # TfidfVectorizer's smooth idf and sublinear tf, per cluster
        idf = np.log((passages_in_cluster[entry_cluster] + 1) / (document_frequency[counts.indices] + 1)) + 1
        weights = (np.log(counts.data.astype(np.float64)) + 1) * idf
        matrix = sparse.csr_matrix((weights, counts.indices, counts.indptr), shape=counts.shape)
        matrix = _l2_rows(matrix)

        # Windows: each content passage of a member, then each pair of adjacent ones, member by member.
        rows = np.arange(len(pieces), dtype=np.int64)
        starts = np.asarray(member_rows, dtype=np.int64)
        paired = rows[:-1][members_of_rows[:-1] == members_of_rows[1:]]
        window_member = np.concatenate((members_of_rows, members_of_rows[paired]))
        window_row = np.concatenate((rows, paired))  # the window's first passage
        window_kind = np.repeat([0, 1], [len(rows), len(paired)])
        order = np.lexsort((window_row, window_kind, window_member))
        window_member, window_row, window_kind = window_member[order], window_row[order], window_kind[order]
        window_first = window_row - starts[window_member]
        window_length = window_kind + 1

        # A passage that several members tell word for word has one vector; so has a window
        # of such passages. Cosines are computed once per distinct vector (a wire story's
        # paragraph in 300 pages: once, not 300 times) and the best windows found per
        # distinct passage, then given to each passage of that vector.
        passage_group, passage_reps = _equal_rows(counts, clusters_of_rows)
        second = np.where(window_kind == 1, passage_group[np.minimum(window_row + 1, len(pieces) - 1)], -1)
        window_code = passage_group[window_row] * (len(passage_reps) + 1) + second + 1
        codes, window_reps, window_group = np.unique(window_code, return_index=True, return_inverse=True)
        window_group = window_group.reshape(-1)
        rep_row, rep_kind = window_row[window_reps], window_kind[window_reps]
        # a two-passage window's passages, as the vectors of their one-passage windows
        parts = np.full((len(window_reps), 2), -1, dtype=np.int64)
        for side in (0, 1):
            own = passage_group[rep_row[rep_kind == 1] + side] * (len(passage_reps) + 1)
            parts[rep_kind == 1, side] = np.searchsorted(codes, own)
        entries = np.concatenate((np.arange(len(window_reps)), np.flatnonzero(rep_kind)))
        select = sparse.csr_matrix(
            (np.ones(len(entries)), (entries, np.concatenate((rep_row, rep_row[rep_kind == 1] + 1)))),
            shape=(len(window_reps), len(pieces)),
        )
        windows = _l2_rows(select @ matrix)
        windows.eliminate_zeros()
        short = (words <= SHORT_PASSAGE_WORDS).astype(np.float64)
        wins, groups, values, other = _blockwise_best(
            windows, matrix[passage_reps], short[passage_reps], _members_of_groups(window_group, len(window_reps)),
            window_member, parts, config.min_cosine,
        )
        # each distinct passage's best windows, for every passage of that vector but those
        # of the member the window lies in
        passage_lists, passage_offsets = _members_of_groups(passage_group, len(passage_reps))
        sizes = passage_offsets[groups + 1] - passage_offsets[groups]
        cols = passage_lists[concat_ranges(passage_offsets[groups], sizes)]
        wins, values, other = np.repeat(wins, sizes), np.repeat(values, sizes), np.repeat(other, sizes)
        elsewhere = members_of_rows[cols] != other
        found = (cols[elsewhere], other[elsewhere], wins[elsewhere], values[elsewhere])

    cols, other, wins, values = found
    order = np.lexsort((other, cols))  # (row, member) pairs are distinct
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=len(pieces)), out=offsets[1:])
    return _BestWindows(
        offsets, other[order].astype(np.int64), wins[order].astype(np.int64), values[order].astype(np.float64),
        window_first.tolist(), window_length.tolist(),
    )


# From this many entries on, _l2_rows sums and scales rows by a compiled loop; below, it is
# not worth loading numba for, in a worker that diffs small clusters only.
COMPILED_SUM_ENTRIES = 250_000
# Cells of one padded block of squares that _l2_rows sums at a time (8 MiB of floats).
_SUM_CELLS = 1 << 20


def _l2_rows(matrix):
    """``matrix`` (CSR, float64) with each nonzero row scaled to unit L2 norm, in place.

    The same floats as scikit-learn's ``normalize(matrix, norm="l2")``: each row's squares
    are summed in stored order, one entry after the other, as its compiled loop sums them
    (numpy's own sums add in pairs, which can change the last bit), and every entry is
    divided by the square root. Without scikit-learn, a worker that diffs need not import it.
    """
    data, indptr = matrix.data, matrix.indptr
    if len(data) >= COMPILED_SUM_ENTRIES and data.dtype == np.float64:
        from dedup.match.kernels import scale_rows_to_unit

        scale_rows_to_unit(data, indptr.astype(np.int64))
        return matrix
    lengths = np.diff(indptr)
    sums = np.zeros(len(lengths))
    if len(data):
        squares = data * data
        # Rows of up to 1, 2, 4, 8... entries, each group laid out as a block padded with
        # zeros: a running sum along a block's rows adds one entry after the other (and
        # adding a zero changes no sum), so its last column is each row's sum.
        top, longest = 0, int(lengths.max())
        while top < longest:
            low, top = top, max(1, 2 * top)
            places = np.arange(top)
            group = np.flatnonzero((lengths > low) & (lengths <= top))
            step = max(1, _SUM_CELLS // top)  # a block of at most _SUM_CELLS cells at a time
            for rows in (group[k : k + step] for k in range(0, len(group), step)):
                inside = places < lengths[rows, None]
                entries = np.where(inside, indptr[rows, None] + places, 0)
                sums[rows] = np.cumsum(np.where(inside, squares[entries], 0.0), axis=1)[:, -1]
        norms = np.sqrt(sums)
        owner = np.repeat(np.arange(len(lengths)), lengths)
        filled = sums[owner] != 0.0
        data[filled] /= norms[owner][filled]
    return matrix


def _blockwise_best(windows, passages, short, window_groups, window_member, parts, min_cosine):
    """For each (distinct passage vector, member): the best window there scoring at least ``min_cosine``.

    ``windows`` and ``passages`` hold one row per distinct vector; ``window_groups`` lists
    (CSR: windows, offsets) the windows of each distinct window vector; ``parts`` the
    vectors of a two-passage window's passages (:func:`cosines.split_window_scores`).
    Returns ``(windows, passage vectors, values, members)`` sorted by passage vector and
    member; ties go to the first window. Blocks of windows are scored in order and their
    entries that pass reduced in batches, so memory holds one block's products, the best
    windows so far and about as many entries waiting, and the answer is the one a single
    product of all windows gives (each row of a product depends on that row alone).
    """
    group_windows, group_offsets = window_groups
    empty = np.zeros(0, dtype=np.int64)
    best = (empty, empty, np.zeros(0), empty)
    pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    pending_size = 0
    for vectors, cols, values in cosines.split_window_scores(
        windows, passages, short, np.diff(group_offsets), parts, min_cosine
    ):
        # every window of each window vector
        sizes = group_offsets[vectors + 1] - group_offsets[vectors]
        wins = group_windows[concat_ranges(group_offsets[vectors], sizes)]
        pending.append((wins, np.repeat(cols, sizes), np.repeat(values, sizes)))
        pending_size += len(wins)
        # Reduced only once the found entries outweigh the best so far, so that each entry
        # is sorted a bounded number of times; the best of a union does not depend on how
        # it is cut, since the order below is total.
        if pending_size > max(cosines.COSINE_BLOCK, len(best[0])):
            best = _reduce_best(best, pending, window_member)
            pending, pending_size = [], 0
    return _reduce_best(best, pending, window_member)


def _piece_term_counts(pieces: Sequence[str], row_cluster: Sequence[int]):
    """:func:`_term_counts` of the normalised ``pieces``: a paragraph that many members of
    a cluster tell word for word is normalised and counted once."""
    distinct, first_rows, row_of = _distinct_pieces(pieces, row_cluster)
    counts, words = _term_counts(normalize_many(distinct), np.asarray(row_cluster, dtype=np.int64)[first_rows])
    return counts[row_of], words[row_of]


def _distinct_pieces(pieces: Sequence[str], row_cluster: Sequence[int]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct ``(cluster, piece)`` of a batch: their pieces, each one's first row, and
    each row's distinct piece. Equal pieces of one cluster have equal term counts."""
    seen: dict[tuple[int, str], int] = {}
    row_of = np.fromiter(
        (seen.setdefault(key, len(seen)) for key in zip(row_cluster, pieces)), dtype=np.int64, count=len(pieces)
    )
    first_rows = np.zeros(len(seen), dtype=np.int64)
    first_rows[row_of[::-1]] = np.arange(len(pieces) - 1, -1, -1)
    return [pieces[k] for k in first_rows.tolist()], first_rows, row_of


def _members_of_groups(group: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The items of each of ``count`` groups (CSR: items in order, offsets), given each item's group."""
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(group, minlength=count), out=offsets[1:])
    return np.argsort(group, kind="stable").astype(np.int64), offsets


def _equal_rows(counts, row_cluster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the count matrix that are equal (one cluster, the same terms, as often).

    Returns each row's group and each group's first row. Rows are keyed by a hash of
    their entries and checked entry by entry against their group's first row; a row that
    differs (a hash collision) gets a group of its own, so equal rows only ever share one.
    """
    count = counts.shape[0]
    lengths = np.diff(counts.indptr)
    _, first, group = np.unique(_row_keys(counts, row_cluster), return_index=True, return_inverse=True)
    group = group.astype(np.int64).reshape(-1)
    rep = first[group]
    same = (lengths == lengths[rep]) & (row_cluster == row_cluster[rep])
    check = np.flatnonzero(same & (rep != np.arange(count)))
    if len(check):
        here = concat_ranges(counts.indptr[check], lengths[check])
        there = concat_ranges(counts.indptr[rep[check]], lengths[check])
        differs = (counts.indices[here] != counts.indices[there]) | (counts.data[here] != counts.data[there])
        same[check[sorted_distinct(np.repeat(np.arange(len(check)), lengths[check])[differs])]] = False
    apart = np.flatnonzero(~same)
    group[apart] = len(first) + np.arange(len(apart))
    return group, np.concatenate((first, apart)).astype(np.int64)


def _row_keys(counts, row_cluster: np.ndarray) -> np.ndarray:
    """A 64-bit key of each row of the count matrix and its cluster, equal for equal rows."""
    lengths = np.diff(counts.indptr)
    mixed = mix64(counts.indices.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ counts.data.astype(np.uint64))
    sums = np.zeros(counts.shape[0], dtype=np.uint64)
    filled = lengths > 0
    if len(mixed):  # entries sum in any order: a row's key does not depend on how it is stored
        sums[filled] = np.add.reduceat(mixed, counts.indptr[:-1][filled])
    return mix64(sums ^ mix64(lengths.astype(np.uint64), seed=1) ^ mix64(row_cluster.astype(np.uint64), seed=2))


def _reduce_best(best, pending, window_member):
    """The best window of each other member for each passage in ``best`` and ``pending``; ties go to the first."""
    wins = np.concatenate([best[0]] + [p[0] for p in pending])
    cols = np.concatenate([best[1]] + [p[1] for p in pending])
    values = np.concatenate([best[2]] + [p[2] for p in pending])
    other = window_member[wins]
    order = np.lexsort((wins, -values, other, cols))
    wins, cols, values, other = wins[order], cols[order], values[order], other[order]
    first = np.ones(len(wins), dtype=bool)
    first[1:] = (cols[1:] != cols[:-1]) | (other[1:] != other[:-1])
    return wins[first], cols[first], values[first], other[first]


def _passage_diffs(
    clusters: Sequence[ClusterInput], rows: _ContentRows, best_windows: _BestWindows, config: DiffConfig
) -> list[list[list[PassageDiff]]]:
    member_rows, member_of_cluster = rows.member_rows, rows.member_of_cluster
    result: list[list[list[PassageDiff]]] = []
    for c, (texts, passages) in enumerate(clusters):
        members = member_of_cluster[c]
        first_row, end_row = member_rows[members.start], member_rows[members.stop]
        made, entries = _counterparts(passages, best_windows, first_row, end_row, members.start, config)
        bounds = best_windows.offsets[first_row : end_row + 1]
        bounds = (bounds - bounds[0]).tolist()
        cluster_diffs = []
        for m, member in enumerate(passages):
            row = member_rows[members[m]] - first_row
            diffs = []
            for passage in member:
                if passage.kind == "boilerplate":
                    diffs.append(PassageDiff(passage, "boilerplate", ()))
                    continue
                counterparts = tuple(made[entries[bounds[row] : bounds[row + 1]]])
                diffs.append(PassageDiff(passage, "shared" if counterparts else "unique", counterparts))
                row += 1
            cluster_diffs.append(diffs)
        result.append(cluster_diffs)
    return result


def _counterparts(
    passages: Sequence[Sequence[Passage]], best_windows: _BestWindows, first_row: int, end_row: int,
    first_member: int, config: DiffConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """The Counterparts of one cluster's rows ``first_row:end_row`` and, for each of their
    entries, which one it is: ``(counterparts, entries)``, an object array and indices.

    A window is the best counterpart of many passages at one cosine (a paragraph that 160
    members tell word for word): each (window, cosine) is one Counterpart, made once.
    """
    lo, hi = best_windows.offsets[first_row], best_windows.offsets[end_row]
    window, value, member = best_windows.window[lo:hi], best_windows.value[lo:hi], best_windows.member[lo:hi]
    order = np.lexsort((value, window))
    by_window, by_value = window[order], value[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (by_window[1:] != by_window[:-1]) | (by_value[1:] != by_value[:-1])
    entries = np.empty(len(order), dtype=np.int64)
    entries[order] = np.cumsum(new) - 1
    # window spans count content passages; counterparts use the member's full numbering
    full_index = [[k for k, p in enumerate(member) if p.kind != "boilerplate"] for member in passages]
    firsts, lengths = best_windows.window_first, best_windows.window_length
    picked = order[new]
    # a window is one member's span, and a cosine one rounding, however many entries share them
    spans: dict[int, tuple[int, ...]] = {}
    rounded: dict[float, tuple[float, Relation]] = {}
    counterparts = []
    others = (member[picked] - first_member).tolist()
    for window_id, score, other in zip(window[picked].tolist(), value[picked].tolist(), others):
        span = spans.get(window_id)
        if span is None:
            span = spans[window_id] = tuple(full_index[other][firsts[window_id] : firsts[window_id] + lengths[window_id]])
        cosine = rounded.get(score)
        if cosine is None:
            cosine = rounded[score] = (round(score, 4), "verbatim" if score >= config.verbatim_cosine else "reworded")
        counterparts.append(Counterpart(other, span, *cosine))
    made = np.empty(len(counterparts), dtype=object)
    made[:] = counterparts
    return made, entries


# Terms are hashed with this seed; it is internal to the diff and never stored.
_TERM_SEED = 0x7F4A7C159E3779B9


def _term_counts(normalized: Sequence[str], row_cluster: np.ndarray):
    """Word unigram and bigram counts of each passage, one column per (cluster, term).

    Words are those of the shingler (runs of letters and digits; apostrophes and hyphens
    separate them) and terms are their seeded 64-bit hashes, so counting is a few array
    operations on the whole batch. Returns the CSR count matrix and each passage's word count.
    """
    from scipy import sparse

    (unigrams, unigram_offsets), (bigrams, bigram_offsets) = shingle_hashes_of_sizes(normalized, "word", (1, 2), _TERM_SEED)
    num_rows = len(normalized)
    words = np.diff(unigram_offsets)
    unigram_row = np.repeat(np.arange(num_rows, dtype=np.int64), words)
    bigram_row = np.repeat(np.arange(num_rows, dtype=np.int64), np.diff(bigram_offsets))
    # the shingler gives a one-word passage one "shingle" of that word: not a bigram
    real = words[bigram_row] >= 2
    terms = np.concatenate((unigrams, bigrams[real]))
    term_row = np.concatenate((unigram_row, bigram_row[real]))
    if len(terms) == 0:
        return sparse.csr_matrix((num_rows, 1), dtype=np.int64), words
    # The same term in two clusters gets two columns, ordered by cluster, then by term: a
    # cluster's rows hold their entries, and sum them (norms, cosines), in one order in any batch.
    # (Two sorts of values: each term's rank among the batch's, then (cluster, rank) packed.)
    _, rank = unique_inverse(terms, kind="quicksort")  # hashes, in no order
    term_cluster = row_cluster[term_row]
    if term_cluster[0] == term_cluster[-1] and (term_cluster == term_cluster[0]).all():
        column = rank  # one cluster: its columns are the terms' ranks
    else:
        packed = (term_cluster.astype(np.uint64) << np.uint64(32)) | rank.astype(np.uint64)
        _, column = unique_inverse(packed, kind="quicksort")
    # each (row, column) once, with its count: scipy sums the repeats row by row, where one
    # sort of every entry of the batch took a third of this
    ones = np.ones(len(column), dtype=np.int64)
    counts = sparse.csr_matrix((ones, (term_row, column)), shape=(num_rows, int(column.max()) + 1))
    counts.sum_duplicates()
    return counts, words
