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
from sklearn.feature_extraction.text import TfidfVectorizer

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
    """Classify every passage of every member as shared, unique or boilerplate."""
    content = [[p for p in member if p.kind != "boilerplate"] for member in passages]
    corpus = [texts[m][p.start : p.end] for m, member in enumerate(content) for p in member]
    result: list[list[PassageDiff]] = []
    if not corpus:
        return [[PassageDiff(p, "boilerplate", ()) for p in member] for member in passages]
    vectorizer = TfidfVectorizer(
        preprocessor=normalize_text, token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2), sublinear_tf=True
    )
    matrix = vectorizer.fit_transform(corpus)
    # Row blocks per member, plus window rows (adjacent pairs) for matching against.
    starts = np.cumsum([0] + [len(member) for member in content])
    window_vectors, window_spans = [], []
    for m in range(len(content)):
        block = matrix[starts[m] : starts[m + 1]]
        spans = _windows(len(content[m]))
        rows = [block[list(span)].sum(axis=0) for span in spans]
        vectors = np.asarray(np.vstack(rows)) if rows else np.zeros((0, matrix.shape[1]))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        window_vectors.append(vectors / np.where(norms == 0, 1, norms))
        window_spans.append(spans)
    dense = matrix.toarray()
    for m, member in enumerate(passages):
        content_index = {id(p): k for k, p in enumerate(content[m])}
        diffs = []
        for passage in member:
            if passage.kind == "boilerplate":
                diffs.append(PassageDiff(passage, "boilerplate", ()))
                continue
            vector = dense[starts[m] + content_index[id(passage)]]
            short = len(texts[m][passage.start : passage.end].split()) <= SHORT_PASSAGE_WORDS
            counterparts = []
            for other in range(len(content)):
                if other == m or not len(window_vectors[other]):
                    continue
                cosines = window_vectors[other] @ vector
                if short:
                    # coverage: the passage's squared weights on terms the window also has
                    coverage = (window_vectors[other] > 0) @ (vector**2)
                    cosines = np.maximum(cosines, coverage)
                best = int(np.argmax(cosines))
                score = float(cosines[best])
                if score >= config.min_cosine:
                    relation: Relation = "verbatim" if score >= config.verbatim_cosine else "reworded"
                    counterparts.append(Counterpart(other, window_spans[other][best], round(score, 4), relation))
            diffs.append(PassageDiff(passage, "shared" if counterparts else "unique", tuple(counterparts)))
        result.append(diffs)
    return result
