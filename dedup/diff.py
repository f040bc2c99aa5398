"""TF-IDF passage diff within one cluster.

How the vectoriser is fitted: one scikit-learn ``TfidfVectorizer`` per cluster, fitted on
every content passage of every member (boilerplate excluded), with
:func:`dedup.normalize.normalize_text` as preprocessor, word unigrams and bigrams,
sublinear term frequency and L2 norm. Fitting per cluster makes the words the whole
story repeats (its names, its place) weigh little, and the words that set one passage
apart weigh most. Each passage is compared by cosine with every passage of every other
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
from dedup.normalize import normalize_text
from dedup.segment import Passage

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
            "vectorizer": "tfidf per cluster, word 1-2 grams, sublinear tf, l2",
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
    """:func:`diff_cluster` for many clusters at once: one vectoriser pass and sparse products.

    The TF-IDF of each cluster is still its own (document frequencies and passage counts
    are taken per cluster), but the counting, weighting and every cosine of the whole
    batch are a handful of sparse-matrix operations instead of a Python loop per passage.
    Each cluster gets its own columns (one per term it uses), so a product of the batch's
    matrices never mixes two clusters.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    corpus: list[str] = []
    row_cluster: list[int] = []
    row_member: list[int] = []
    short_rows: list[bool] = []
    # member ids are global to the batch; content rows of member g are member_rows[g]:member_rows[g+1]
    member_rows = [0]
    member_of_cluster: list[range] = []
    for c, (texts, passages) in enumerate(clusters):
        first_member = len(member_rows) - 1
        for m, member in enumerate(passages):
            for p in member:
                if p.kind == "boilerplate":
                    continue
                piece = texts[m][p.start : p.end]
                corpus.append(piece)
                row_cluster.append(c)
                row_member.append(len(member_rows) - 1)
                short_rows.append(len(piece.split()) <= SHORT_PASSAGE_WORDS)
            member_rows.append(len(corpus))
        member_of_cluster.append(range(first_member, len(member_rows) - 1))

    best: dict[tuple[int, int], tuple[int, float]] = {}
    window_spans: list[tuple[int, ...]] = []
    if corpus:
        vectorizer = CountVectorizer(preprocessor=normalize_text, token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2))
        try:
            counts = vectorizer.fit_transform(corpus).tocsr()
        except ValueError:  # no words in the whole batch
            counts = sparse.csr_matrix((len(corpus), 1), dtype=np.int64)
        counts.sum_duplicates()
        clusters_of_rows = np.asarray(row_cluster, dtype=np.int64)
        entry_cluster = np.repeat(clusters_of_rows, np.diff(counts.indptr))
        # One column per (cluster, term): the key order keeps each cluster's terms sorted.
        keys = entry_cluster * np.int64(counts.shape[1]) + counts.indices.astype(np.int64)
        unique_keys, column = np.unique(keys, return_inverse=True)
        document_frequency = np.bincount(column)
        passages_in_cluster = np.bincount(clusters_of_rows, minlength=len(clusters))
        # TfidfVectorizer's smooth idf and sublinear tf, per cluster
        idf = np.log((passages_in_cluster[entry_cluster] + 1) / (document_frequency[column] + 1)) + 1
        weights = (np.log(counts.data.astype(np.float64)) + 1) * idf
        matrix = sparse.csr_matrix((weights, column, counts.indptr), shape=(len(corpus), len(unique_keys)))
        matrix.sort_indices()
        matrix = normalize(matrix, norm="l2", copy=False)

        # Windows: each content passage of a member, and each pair of adjacent ones.
        window_rows: list[int] = []
        window_cols: list[int] = []
        window_member: list[int] = []
        for member in range(len(member_rows) - 1):
            start, count = member_rows[member], member_rows[member + 1] - member_rows[member]
            for k in range(count):
                window_rows.append(len(window_spans))
                window_cols.append(start + k)
                window_spans.append((k,))
                window_member.append(member)
            for k in range(count - 1):
                window_rows += [len(window_spans)] * 2
                window_cols += [start + k, start + k + 1]
                window_spans.append((k, k + 1))
                window_member.append(member)
        if window_spans:
            select = sparse.csr_matrix(
                (np.ones(len(window_rows)), (window_rows, window_cols)), shape=(len(window_spans), len(corpus))
            )
            windows = normalize(select @ matrix, norm="l2", copy=False)
            windows.eliminate_zeros()
            cosines = (windows @ matrix.T).tocsr()
            short = np.asarray(short_rows, dtype=np.float64)
            if short.any():
                # coverage: a short passage's squared weights on terms the window also has
                present = windows.copy()
                present.data[:] = 1.0
                squared = sparse.diags(short) @ matrix.multiply(matrix)
                cosines = cosines.maximum(present @ sparse.csr_matrix(squared).T)
            entries = cosines.tocoo()
            rows, cols, values = entries.row.astype(np.int64), entries.col.astype(np.int64), entries.data
            members_of_windows = np.asarray(window_member, dtype=np.int64)
            members_of_rows = np.asarray(row_member, dtype=np.int64)
            keep = (values >= config.min_cosine) & (members_of_windows[rows] != members_of_rows[cols])
            rows, cols, values = rows[keep], cols[keep], values[keep]
            other = members_of_windows[rows]
            # Best window of each other member for each passage; ties go to the first window.
            order = np.lexsort((rows, -values, other, cols))
            rows, cols, values, other = rows[order], cols[order], values[order], other[order]
            first = np.ones(len(rows), dtype=bool)
            first[1:] = (cols[1:] != cols[:-1]) | (other[1:] != other[:-1])
            for col, member, window, value in zip(
                cols[first].tolist(), other[first].tolist(), rows[first].tolist(), values[first].tolist()
            ):
                best[(col, member)] = (window, value)

    result: list[list[list[PassageDiff]]] = []
    for c, (texts, passages) in enumerate(clusters):
        members = member_of_cluster[c]
        cluster_diffs = []
        # window spans count content passages; counterparts use the member's full numbering
        full_index = [[k for k, p in enumerate(member) if p.kind != "boilerplate"] for member in passages]
        for m, member in enumerate(passages):
            global_member = members[m]
            row = member_rows[global_member]
            diffs = []
            for passage in member:
                if passage.kind == "boilerplate":
                    diffs.append(PassageDiff(passage, "boilerplate", ()))
                    continue
                counterparts = []
                for other_local, other_global in enumerate(members):
                    found = best.get((row, other_global))
                    if found is None:
                        continue
                    window, score = found
                    relation: Relation = "verbatim" if score >= config.verbatim_cosine else "reworded"
                    span = tuple(full_index[other_local][k] for k in window_spans[window])
                    counterparts.append(Counterpart(other_local, span, round(score, 4), relation))
                diffs.append(PassageDiff(passage, "shared" if counterparts else "unique", tuple(counterparts)))
                row += 1
            cluster_diffs.append(diffs)
        result.append(cluster_diffs)
    return result
