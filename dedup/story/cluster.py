"""Clusters from verified same-story pairs, with a guard against hub chaining.

Pairs are merged strongest first (containment, or for a rewrite judged by the words told
in order its aligned share; then Jaccard, then document order, so the
result never depends on input order ties). A roundup that quotes two unrelated stories
would otherwise link both into one cluster. The guard: when two clusters of two or more
documents would be joined only through edges that all touch one document on one side,
the merge must also pass a topic check (``topic_similarity`` of the two sides without
that document, :func:`tfidf_topic_similarity` in a scan); otherwise it is refused and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.match.shingle import concat_ranges, sorted_distinct
from dedup.match.verify import PairScore, ScoreColumns
from dedup.text.normalize import normalize_text

TopicSimilarity = Callable[[Sequence[int], Sequence[int]], float]


@dataclass(frozen=True)
class ClusterConfig:
    """``hub_guard`` on or off, and the topic similarity a single-hub merge needs."""

    hub_guard: bool = True
    min_topic_similarity: float = 0.25
    min_linkage: float = 0.5
    full_link_containment: float = 0.5

    def describe(self) -> dict[str, object]:
        return {
            "hub_guard": self.hub_guard, "min_topic_similarity": self.min_topic_similarity,
            "min_linkage": self.min_linkage, "full_link_containment": self.full_link_containment,
        }


@dataclass(frozen=True)
class Clustering:
    """Groups of document indices (each sorted), and the merges the guard refused."""

    groups: tuple[tuple[int, ...], ...]
    refused_merges: tuple[tuple[int, int], ...]


def edge_order(score: PairScore) -> tuple[float, float, int, int]:
    return (-score.strength, -score.jaccard, score.first, score.second)


def _edges(scores: Sequence[PairScore] | ScoreColumns) -> tuple[list[int], list[int], list[float]]:
    """The same-story pairs in the order they merge (:func:`edge_order`): the first and
    second document and the strength of each. Columns are ordered without a PairScore
    each; the order is the same, since it is total."""
    if isinstance(scores, ScoreColumns):
        keep = scores.same_story
        first, second, values = scores.pairs[keep, 0], scores.pairs[keep, 1], scores.values[keep]
        # max(containment, aligned): the containments and the aligned shares are columns 2-5
        strength = values[:, 2:6].max(axis=1) if len(values) else np.zeros(0)
        order = np.lexsort((second, first, -values[:, 1], -strength))
        return first[order].tolist(), second[order].tolist(), strength[order].tolist()
    edges = sorted((s for s in scores if s.same_story), key=edge_order)
    return [e.first for e in edges], [e.second for e in edges], [e.strength for e in edges]


def cluster_pairs(
    num_docs: int,
    scores: Sequence[PairScore] | ScoreColumns,
    config: ClusterConfig,
    topic_similarity: TopicSimilarity | None = None,
) -> Clustering:
    """Connected groups of same-story pairs; every document is in exactly one group."""
    parent = list(range(num_docs))
    members: dict[int, list[int]] = {i: [i] for i in range(num_docs)}

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    firsts, seconds, strengths = _edges(scores)
    links = _Links(num_docs, firsts, seconds, strengths)
    refused: list[tuple[int, int]] = []
    # Whether a merge is refused depends on the two groups alone, not on the edge that
    # proposes it: once refused, two groups stay apart until one of them grows, so the
    # other edges between them are refused without checking again (each check costs the
    # pairs across, and two large groups have as many edges as pairs).
    grown = dict.fromkeys(range(num_docs), 0)
    refused_groups: set[tuple[int, int, int, int]] = set()
    for first, second in zip(firsts, seconds):
        root_a, root_b = find(first), find(second)
        if root_a == root_b:
            continue
        groups_key = (root_a, grown[root_a], root_b, grown[root_b]) if root_a < root_b else (
            root_b, grown[root_b], root_a, grown[root_a])
        if groups_key in refused_groups:
            refused.append((first, second))
            continue
        side_a, side_b = members[root_a], members[root_b]
        if not _linked_enough(side_a, side_b, links, config):
            refused.append((first, second))
            refused_groups.add(groups_key)
            continue
        if config.hub_guard and len(side_a) >= 2 and len(side_b) >= 2:
            touched_a, touched_b = links.touching(side_a, root_b), links.touching(side_b, root_a)
            if len(touched_a) == 1 or len(touched_b) == 1:
                hub = int((touched_a if len(touched_a) == 1 else touched_b)[0])
                rest_a = [m for m in side_a if m != hub]
                rest_b = [m for m in side_b if m != hub]
                similarity = topic_similarity(rest_a, rest_b) if topic_similarity else 0.0
                if similarity < config.min_topic_similarity:
                    refused.append((first, second))
                    refused_groups.add(groups_key)
                    continue
        keep, drop = (root_a, root_b) if root_a < root_b else (root_b, root_a)
        parent[drop] = keep
        grown[keep] += 1
        links.moved(members[drop], keep)
        members[keep] = sorted(members[keep] + members.pop(drop))
    groups = sorted((tuple(m) for m in members.values()), key=lambda g: (-len(g), g))
    return Clustering(tuple(groups), tuple(refused))


# Groups of at most this many documents have their pairs across walked in Python: for a
# few documents that costs less than an array operation's overhead (most checks of a
# corpus of small stories).
SMALL_SIDE = 8


class _Links:
    """The same-story pairs by document: each document's neighbours, in the order the pairs
    merge, with the pair's strength, and the group each document is in. The pairs across
    two groups are read from the smaller one's neighbours, by array operations for a large
    group: a Python loop over them held up a scan's clustering once two groups of a
    hundred pages or more met again and again. Both ways list them in the same order."""

    def __init__(self, num_docs: int, firsts: list[int], seconds: list[int], strengths: list[float]) -> None:
        # both ends of each pair, pair after pair: a stable sort by document keeps each
        # document's pairs in the order they merge (a dict of neighbours filled pair by pair)
        ends = np.stack((np.asarray(firsts, dtype=np.int64), np.asarray(seconds, dtype=np.int64)), axis=1).reshape(-1)
        others = ends.reshape(-1, 2)[:, ::-1].reshape(-1)
        order = np.argsort(ends, kind="stable")
        ends, others = ends[order], others[order]
        weights = np.repeat(np.asarray(strengths, dtype=np.float64), 2)[order]
        keys = ends * max(num_docs, 1) + others
        _, first_at = np.unique(keys, return_index=True)
        if len(first_at) < len(keys):  # a pair given twice is one neighbour, where it came first, with its last strength
            _, last_at = np.unique(keys[::-1], return_index=True)
            weights[first_at] = weights[len(keys) - 1 - last_at]
            kept = np.sort(first_at)
            ends, others, weights = ends[kept], others[kept], weights[kept]
        self.others, self.strengths = others, weights
        self.offsets = np.zeros(num_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=num_docs), out=self.offsets[1:])
        self.group = np.arange(num_docs, dtype=np.int64)
        # the same as lists, for small groups
        self._others, self._strengths = others.tolist(), weights.tolist()
        self._offsets, self._group = self.offsets.tolist(), list(range(num_docs))

    def _across(self, side: Sequence[int], root: int) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the pairs from ``side`` into group ``root`` (by document of
        ``side``, then in merge order), and the document of ``side`` each is from."""
        docs = np.asarray(side, dtype=np.int64)
        starts = self.offsets[docs]
        lengths = self.offsets[docs + 1] - starts
        at = concat_ranges(starts, lengths)
        into = self.group[self.others[at]] == root
        return at[into], np.repeat(docs, lengths)[into]

    def strengths_across(self, side: Sequence[int], root: int) -> np.ndarray | list[float]:
        """The strength of each pair from ``side`` into group ``root``, in the order of
        :meth:`_across`: an array for a large side, a list for a small one."""
        if len(side) > SMALL_SIDE:
            return self.strengths[self._across(side, root)[0]]
        offsets, others, group, strengths = self._offsets, self._others, self._group, self._strengths
        return [strengths[k] for m in side for k in range(offsets[m], offsets[m + 1]) if group[others[k]] == root]

    def touching(self, side: Sequence[int], root: int) -> Sequence[int]:
        """The documents of ``side`` with a pair into group ``root``, sorted."""
        if len(side) > SMALL_SIDE:
            return sorted_distinct(self._across(side, root)[1])
        offsets, others, group = self._offsets, self._others, self._group
        return sorted({m for m in side for k in range(offsets[m], offsets[m + 1]) if group[others[k]] == root})

    def group_of(self, doc: int) -> int:
        return self._group[doc]

    def moved(self, side: Sequence[int], root: int) -> None:
        """The documents of ``side`` are in group ``root`` now."""
        group, array = self._group, self.group
        if len(side) > SMALL_SIDE:
            array[np.asarray(side, dtype=np.int64)] = root
            for doc in side:
                group[doc] = root
            return
        for doc in side:
            group[doc] = root
            array[doc] = root


def _linked_enough(side_a: Sequence[int], side_b: Sequence[int], links: _Links, config: ClusterConfig) -> bool:
    """Average linkage: whether the verified pairs across two groups are most of the possible ones.

    A document joins a group when it is a verified copy of at least ``min_linkage`` of its
    members. Two groups of two or more join when their cross pairs reach that share with
    each pair weighted by how much of its smaller document it shares, counting in full from
    ``full_link_containment`` on: a digest page linked to every copy of a story by the
    short excerpt it carries adds little, a set of copies of one dispatch adds a lot.
    """
    if config.min_linkage <= 0 or len(side_a) + len(side_b) <= 2:
        return True
    small, large = (side_a, side_b) if len(side_a) <= len(side_b) else (side_b, side_a)
    across = links.strengths_across(small, links.group_of(large[0]))
    if len(small) == 1:
        linked = float(len(across))
    else:
        saturation = config.full_link_containment
        # the links added one after the other, in the pairs' order (a running sum, not numpy's pairwise one)
        if isinstance(across, list):
            if not any(c >= saturation for c in across):
                return False  # no pair across is a copy in substance
            linked = sum(min(1.0, c / saturation) for c in across)
        else:
            if not (across >= saturation).any():
                return False
            linked = float(np.cumsum(np.minimum(1.0, across / saturation))[-1])
    return linked >= config.min_linkage * len(small) * len(large)


def tfidf_topic_similarity(first: Sequence[str], second: Sequence[str]) -> float:
    """Cosine of the TF-IDF centroids of two groups of texts (IDF fitted on both)."""
    if not first or not second:
        return 0.0
    # Imported here: scikit-learn takes most of a second to import, and scan workers that
    # never meet a hub merge have no use for it.
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(preprocessor=normalize_text, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(list(first) + list(second))
    except ValueError:  # no words at all
        return 0.0
    centroid_a = np.asarray(matrix[: len(first)].mean(axis=0)).ravel()
    centroid_b = np.asarray(matrix[len(first) :].mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid_a) * np.linalg.norm(centroid_b)
    return float(centroid_a @ centroid_b / norm) if norm else 0.0
