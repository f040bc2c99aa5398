"""Metrics: pair precision/recall, B-cubed, ARI, cross-group merges, origin accuracy."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dedup.evaluate.labels import GroupLabel, Labels
from dedup.evaluate.predictions import Predictions

# -- metrics -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClassRate:
    """How many labelled pairs of one class share a predicted cluster."""

    label: str
    pairs: int
    grouped: int

    @property
    def rate(self) -> float | None:
        return _ratio(self.grouped, self.pairs)


@dataclass(frozen=True)
class Evaluation:
    """Scores of one predicted clustering against labels.

    Every ratio lies in [0, 1] except ``ari`` (in [-0.5, 1], 0 for chance) and is ``None``
    when undefined (a zero denominator: no such pairs, no labelled documents).

    * ``pair_*``: over labelled pairs (explicit pairs, hard negatives, and every pair inside
      a positive group); a pair is predicted positive when both ids share a cluster.
    * ``classes``: per label class (``positive``, ``negative``, ``hard_negative``, ``WD``,
      ``PD``, ``ND``), the pairs of that class and how many are grouped.
    * ``cross_group_*``: pairs of documents from two positive groups of different lineage
      (a group without lineage differs from every other) that share a cluster, out of all
      such pairs. These are wrong merges that pair labels alone cannot see.
    * ``bcubed_*`` (Amigó et al. 2009) and ``ari`` (Hubert and Arabie 1985, as in
      scikit-learn): over the labelled documents, the predicted clusters cut down to them.
    * ``largest_cluster_*``: the largest predicted cluster over all documents, ties to the
      smallest cluster id.
    * ``origin_*``: among grouped positive pairs whose label names the source, how many
      clusters' predicted origin is that source; an undetermined origin counts as wrong
      and is counted in ``origin_undetermined``. All ``None``/0 when the predictions carry
      no origins or no label names a source.
    """

    documents: int
    positive_pairs: int
    negative_pairs: int
    true_positives: int
    false_positives: int
    pair_precision: float | None
    pair_recall: float | None
    pair_f1: float | None
    classes: tuple[ClassRate, ...]
    cross_group_pairs: int
    cross_group_merged: int
    cross_group_merged_fraction: float | None
    bcubed_precision: float | None
    bcubed_recall: float | None
    bcubed_f1: float | None
    ari: float | None
    predicted_clusters: int
    largest_cluster_size: int
    largest_cluster_id: str | None
    origin_pairs: int
    origin_correct: int
    origin_undetermined: int
    origin_accuracy: float | None
    notes: tuple[str, ...] = field(default=())

    def class_rate(self, label: str) -> ClassRate | None:
        return next((c for c in self.classes if c.label == label), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, grouped by metric family."""
        return {
            "documents": self.documents,
            "pairs": {
                "positive": self.positive_pairs,
                "negative": self.negative_pairs,
                "true_positives": self.true_positives,
                "false_positives": self.false_positives,
                "precision": self.pair_precision,
                "recall": self.pair_recall,
                "f1": self.pair_f1,
            },
            "classes": {c.label: {"pairs": c.pairs, "grouped": c.grouped, "rate": c.rate} for c in self.classes},
            "cross_group": {
                "pairs": self.cross_group_pairs,
                "merged": self.cross_group_merged,
                "merged_fraction": self.cross_group_merged_fraction,
            },
            "bcubed": {"precision": self.bcubed_precision, "recall": self.bcubed_recall, "f1": self.bcubed_f1},
            "ari": self.ari,
            "clusters": {
                "predicted": self.predicted_clusters,
                "largest_size": self.largest_cluster_size,
                "largest_id": self.largest_cluster_id,
            },
            "origin": {
                "pairs": self.origin_pairs,
                "correct": self.origin_correct,
                "undetermined": self.origin_undetermined,
                "accuracy": self.origin_accuracy,
            },
            "notes": list(self.notes),
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _pairs_of(count: int) -> int:
    return count * (count - 1) // 2


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)  # the smallest id roots: deterministic


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> tuple[float | None, float | None, float | None]:
    """B-cubed precision, recall and F1 (Amigó et al. 2009) of two labelings of the same items.

    From the contingency counts ``n[g, k]``: precision = Σ_k Σ_g n[g,k]² / |k| / N and
    recall = Σ_g Σ_k n[g,k]² / |g| / N. All in (0, 1]; ``None`` for no items.

    >>> [round(v, 4) for v in bcubed(["x", "x", "y"], ["1", "1", "1"])]  # precision 5/9
    [0.5556, 1.0, 0.7143]
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted label lists differ in length")
    total = len(gold)
    if not total:
        return None, None, None
    cells = Counter(zip(gold, predicted))
    gold_sizes, predicted_sizes = Counter(gold), Counter(predicted)
    precision_sum = sum(n * n / predicted_sizes[k] for (_, k), n in cells.items())
    recall_sum = sum(n * n / gold_sizes[g] for (g, _), n in cells.items())
    precision, recall = precision_sum / total, recall_sum / total
    return precision, recall, _f1(precision, recall)


def adjusted_rand(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float | None:
    """Adjusted Rand index (Hubert and Arabie 1985) of two labelings, equal to scikit-learn's
    ``adjusted_rand_score``: from the pair confusion matrix in Python ints, so it cannot
    overflow. In [-0.5, 1]; 1.0 for identical partitions (also for one item, and when both
    put every item alone or all together); ``None`` for no items.

    >>> adjusted_rand(["x", "x", "y", "y"], ["1", "1", "2", "2"])
    1.0
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted label lists differ in length")
    total = len(gold)
    if not total:
        return None
    cells = Counter(zip(gold, predicted))
    sum_squares = sum(n * n for n in cells.values())
    gold_squares = sum(n * n for n in Counter(gold).values())
    predicted_squares = sum(n * n for n in Counter(predicted).values())
    # ordered pair counts, as sklearn.metrics.cluster.pair_confusion_matrix
    both = sum_squares - total
    predicted_only = predicted_squares - sum_squares
    gold_only = gold_squares - sum_squares
    neither = total * total - predicted_only - gold_only - sum_squares
    if predicted_only == 0 and gold_only == 0:
        return 1.0
    numerator = 2 * (both * neither - gold_only * predicted_only)
    denominator = (both + gold_only) * (gold_only + neither) + (both + predicted_only) * (predicted_only + neither)
    return numerator / denominator


def _cross_group(groups: tuple[GroupLabel, ...], cluster_of: Mapping[str, Any]) -> tuple[int, int]:
    """(pairs, merged): pairs of documents from positive groups of different lineage, and how
    many of them share a predicted cluster, by contingency counts."""

    def different_lineage_pairs(sizes: Mapping[int, int]) -> int:
        # pairs across different groups, less those across groups of one shared lineage
        total = sum(sizes.values())
        across = (total * total - sum(n * n for n in sizes.values())) // 2
        by_lineage: dict[str, list[int]] = defaultdict(list)
        for group_index, n in sizes.items():
            lineage = groups[group_index].lineage
            if lineage is not None:
                by_lineage[lineage].append(n)
        same = sum((sum(ns) ** 2 - sum(n * n for n in ns)) // 2 for ns in by_lineage.values())
        return across - same

    pairs = different_lineage_pairs({i: len(g.ids) for i, g in enumerate(groups)})
    cells: dict[Any, Counter[int]] = defaultdict(Counter)
    for group_index, group in enumerate(groups):
        for doc_id in group.ids:
            cells[cluster_of[doc_id]][group_index] += 1
    merged = sum(different_lineage_pairs(sizes) for sizes in cells.values() if len(sizes) > 1)
    return pairs, merged


def _gold_classes(labels: Labels) -> list[Hashable]:
    """The gold class of each labelled document: positive groups and pairs joined."""
    union = _UnionFind(labels.documents)
    for group in labels.groups:
        for doc_id in group.ids[1:]:
            union.union(group.ids[0], doc_id)
    for pair in labels.pairs:
        if pair.positive:
            union.union(pair.first, pair.second)
    return [union.find(d) for d in labels.documents]


def evaluate(predictions: Predictions, labels: Labels) -> Evaluation:
    """Score ``predictions`` against ``labels`` (see :class:`Evaluation` for each metric).

    Documents absent from ``predictions.clusters`` are singletons. Empty labels give zero
    counts and ``None`` for every ratio.

    >>> labels = parse_labels(['{"a": "x", "b": "y", "label": "positive"}'])
    >>> evaluate(Predictions({"x": "c1", "y": "c1"}), labels).pair_recall
    1.0
    """
    documents = labels.documents
    # a singleton gets a key no real cluster id can equal
    cluster_of: dict[str, Any] = {d: predictions.clusters.get(d, ("singleton", d)) for d in documents}

    classes: dict[str, list[int]] = {}
    true_positives = false_positives = positive_pairs = negative_pairs = 0
    origin_pairs = origin_correct = origin_undetermined = 0
    for pair in labels.pairs:
        grouped = cluster_of[pair.first] == cluster_of[pair.second]
        counts = classes.setdefault(pair.label, [0, 0])
        counts[0] += 1
        counts[1] += grouped
        if pair.positive:
            positive_pairs += 1
            true_positives += grouped
            if grouped and pair.source is not None and predictions.origins is not None:
                origin_pairs += 1
                origin = predictions.origins.get(predictions.clusters[pair.first])
                origin_undetermined += origin is None
                origin_correct += origin == pair.source
        else:
            negative_pairs += 1
            false_positives += grouped
    for group in labels.groups:
        sizes = Counter(cluster_of[d] for d in group.ids)
        counts = classes.setdefault("positive", [0, 0])
        counts[0] += _pairs_of(len(group.ids))
        counts[1] += sum(_pairs_of(n) for n in sizes.values())
        positive_pairs += _pairs_of(len(group.ids))
        true_positives += sum(_pairs_of(n) for n in sizes.values())

    gold = _gold_classes(labels)
    predicted = [cluster_of[d] for d in documents]
    precision_b, recall_b, f1_b = bcubed(gold, predicted)

    cross_pairs, cross_merged = _cross_group(labels.groups, cluster_of)

    sizes = Counter(predictions.clusters.values())
    largest_id = min(sizes, key=lambda c: (-sizes[c], c)) if sizes else None

    precision = _ratio(true_positives, true_positives + false_positives)
    recall = _ratio(true_positives, positive_pairs)
    no_origins = predictions.origins is None and any(p.source for p in labels.pairs)
    notes = ["the predictions carry no origins: origin accuracy not measured"] if no_origins else []
    return Evaluation(
        documents=len(documents),
        positive_pairs=positive_pairs,
        negative_pairs=negative_pairs,
        true_positives=true_positives,
        false_positives=false_positives,
        pair_precision=precision,
        pair_recall=recall,
        pair_f1=_f1(precision, recall),
        classes=tuple(ClassRate(label, n, k) for label, (n, k) in sorted(classes.items())),
        cross_group_pairs=cross_pairs,
        cross_group_merged=cross_merged,
        cross_group_merged_fraction=_ratio(cross_merged, cross_pairs),
        bcubed_precision=precision_b,
        bcubed_recall=recall_b,
        bcubed_f1=f1_b,
        ari=adjusted_rand(gold, predicted),
        predicted_clusters=sum(1 for n in sizes.values() if n > 1),
        largest_cluster_size=sizes[largest_id] if largest_id is not None else 0,
        largest_cluster_id=largest_id,
        origin_pairs=origin_pairs,
        origin_correct=origin_correct,
        origin_undetermined=origin_undetermined,
        origin_accuracy=_ratio(origin_correct, origin_pairs),
        notes=tuple(notes),
    )
