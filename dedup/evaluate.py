"""Score a clustering against labels: pair precision/recall, B-cubed, ARI, cross-group
merges and origin accuracy.

Predictions are a mapping doc id -> cluster id (documents absent from it are singletons)
and, optionally, each cluster's predicted origin (a doc id, or ``None`` when the scan left
it undetermined). :func:`predictions_from_report` reads them from a ``dedup scan --format
json`` report.

Labels come in two forms, one JSON object a line (:func:`load_labels`), and may be mixed:

* **pairs**: ``{"a": ID, "b": ID, "label": "positive" | "negative"}``, or COUNTER's
  ``{"a": ID, "b": ID, "reuse": "WD" | "PD" | "ND", "agency": ID}`` where wholly (WD) and
  partially (PD) derived pairs are positive and non-derived (ND) negative. An optional
  ``"source"`` (or COUNTER's ``"agency"``) names which of the two ids is the original.
* **groups**: ``{"type": "positive", "ids": [...], "lineage": optional}``, copies of one
  dispatch, and ``{"type": "hard_negative", "ids": [a, b]}``, two independent articles.
  Two positive groups with the same ``lineage`` may share a cluster; groups without one
  must not share a cluster with any other group.

The gold clustering over the labelled documents joins every positive group and every
positive pair (connected components); every other labelled document is a class of its
own. Everything is computed from contingency counts in Python ints, so a corpus of any
size neither loops over all pairs nor overflows.

This module is pure: it imports only the standard library and :mod:`dedup.errors`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dedup.errors import IncompatibleDataError, InputError, LabelError

__all__ = [
    "ClassRate",
    "Evaluation",
    "GroupLabel",
    "Labels",
    "PairLabel",
    "Predictions",
    "adjusted_rand",
    "bcubed",
    "evaluate",
    "load_labels",
    "parse_labels",
    "predictions_from_report",
    "read_report",
]

# Report schema versions this module understands: 1 (no provenance) and 2 (provenance).
SUPPORTED_SCHEMA_VERSIONS = (1, 2)
REUSE_CLASSES = {"WD": True, "PD": True, "ND": False}
PAIR_LABELS = {"positive": True, "negative": False, "hard_negative": False}


# -- labels ------------------------------------------------------------------------


@dataclass(frozen=True)
class PairLabel:
    """One labelled pair. ``label`` is its class (``positive``, ``negative``,
    ``hard_negative``, ``WD``, ``PD``, ``ND``); ``source`` the id of the original, if known."""

    first: str
    second: str
    positive: bool
    label: str
    source: str | None = None
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.first, self.second) if self.first <= self.second else (self.second, self.first)


@dataclass(frozen=True)
class GroupLabel:
    """A positive group: copies of one dispatch. ``lineage`` names a family of dispatches
    whose groups may share a cluster; ``None`` means the group stands alone."""

    ids: tuple[str, ...]
    lineage: str | None = None
    name: str | None = None
    line: int = 0

    @property
    def title(self) -> str:
        return self.name or f"group on line {self.line}"


@dataclass(frozen=True)
class Labels:
    """Labelled pairs (hard negatives included) and positive groups, checked for contradictions.

    Raises :class:`~dedup.errors.LabelError` when a document is in two positive groups, a
    pair is labelled twice, or a pair lies inside one positive group (it would be counted
    twice, or contradict the group).
    """

    pairs: tuple[PairLabel, ...] = ()
    groups: tuple[GroupLabel, ...] = ()
    location: str = ""

    def __post_init__(self) -> None:
        group_of: dict[str, GroupLabel] = {}
        for group in self.groups:
            for doc_id in group.ids:
                if doc_id in group_of:
                    raise LabelError(
                        f"document {doc_id!r} is in two positive groups (lines {group_of[doc_id].line} and "
                        f"{group.line}); merge them, or give both the same lineage and list it once",
                        self._where(group.line),
                    )
                group_of[doc_id] = group
        seen: dict[tuple[str, str], PairLabel] = {}
        for pair in self.pairs:
            if pair.key in seen:
                raise LabelError(f"pair {pair.first!r}, {pair.second!r} is already labelled on line "
                                 f"{seen[pair.key].line}", self._where(pair.line))
            seen[pair.key] = pair
            group = group_of.get(pair.first)
            if group is not None and group_of.get(pair.second) is group:
                raise LabelError(f"pair {pair.first!r}, {pair.second!r} lies inside the positive group on line "
                                 f"{group.line}", self._where(pair.line))

    def _where(self, line: int) -> str:
        return f"{self.location}:{line}" if self.location and line else self.location

    @property
    def documents(self) -> list[str]:
        """Every labelled document id, sorted."""
        ids = {i for p in self.pairs for i in (p.first, p.second)} | {i for g in self.groups for i in g.ids}
        return sorted(ids)

    def __len__(self) -> int:
        return len(self.pairs) + len(self.groups)


def _text_id(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise LabelError(f"{what} must be a non-empty string (a document id), not {value!r}", where)
    return value


def _pair_label(record: dict[str, Any], where: str, line: int) -> PairLabel:
    first = _text_id(record.get("a"), "'a'", where)
    second = _text_id(record.get("b"), "'b'", where)
    if first == second:
        raise LabelError(f"a pair needs two different ids, got {first!r} twice", where)
    if "reuse" in record:
        label = record["reuse"]
        if label not in REUSE_CLASSES:
            raise LabelError(f"'reuse' must be WD, PD or ND, not {label!r}", where)
        positive = REUSE_CLASSES[label]
    elif "label" in record:
        raw = record["label"]
        if isinstance(raw, bool):
            label = "positive" if raw else "negative"
        elif isinstance(raw, str) and raw.lower() in PAIR_LABELS:
            label = raw.lower()
        else:
            raise LabelError(f"'label' must be positive, negative or hard_negative, not {raw!r}", where)
        positive = PAIR_LABELS[label]
    else:
        raise LabelError("a pair needs 'label' (positive/negative) or 'reuse' (WD/PD/ND)", where)
    source = record.get("source", record.get("agency"))
    if source is not None and source not in (first, second):
        raise LabelError(f"the source {source!r} must be one of the pair's ids ({first!r}, {second!r})", where)
    return PairLabel(first, second, positive, label, source, line)


def _group_label(record: dict[str, Any], where: str, line: int) -> PairLabel | GroupLabel:
    kind = record["type"]
    ids = record.get("ids")
    if not isinstance(ids, list) or not ids:
        raise LabelError("a group needs 'ids', a non-empty list of document ids", where)
    members = tuple(_text_id(i, "every id", where) for i in ids)
    if len(set(members)) != len(members):
        raise LabelError(f"a group lists an id twice: {sorted(i for i, n in Counter(members).items() if n > 1)}", where)
    name = record.get("group_id", record.get("pair_id"))
    if kind == "positive":
        lineage = record.get("lineage")
        if lineage is not None and not isinstance(lineage, str):
            raise LabelError(f"'lineage' must be a string or null, not {lineage!r}", where)
        return GroupLabel(members, lineage, name if isinstance(name, str) else None, line)
    if kind == "hard_negative":
        if len(members) != 2:
            raise LabelError(f"a hard_negative names exactly two ids, not {len(members)}", where)
        return PairLabel(members[0], members[1], False, "hard_negative", None, line)
    raise LabelError(f"'type' must be 'positive' or 'hard_negative', not {kind!r}", where)


def parse_labels(lines: Iterable[str], location: str = "<labels>") -> Labels:
    """Labels from JSONL lines (blank lines are skipped); ``location`` names the source in errors.

    Raises :class:`~dedup.errors.LabelError` naming ``location:line`` on the first malformed
    line. An input without labels gives empty :class:`Labels`.
    """
    pairs: list[PairLabel] = []
    groups: list[GroupLabel] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{location}:{number}"
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LabelError(f"not JSON ({exc.msg} at column {exc.colno})", where) from None
        if not isinstance(record, dict):
            raise LabelError(f"a label is a JSON object, not {type(record).__name__}", where)
        if "type" in record:
            parsed = _group_label(record, where, number)
        elif "a" in record or "b" in record:
            parsed = _pair_label(record, where, number)
        else:
            raise LabelError('neither a pair {"a", "b", "label"} nor a group {"type", "ids"}', where)
        if isinstance(parsed, GroupLabel):
            groups.append(parsed)
        else:
            pairs.append(parsed)
    return Labels(tuple(pairs), tuple(groups), location)


def load_labels(path: str | Path) -> Labels:
    """Read a JSONL label file. Raises :class:`~dedup.errors.LabelError` (file and line) on a
    malformed or contradictory label, and when the file holds no label at all."""
    location = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            labels = parse_labels(handle, location)
    except UnicodeDecodeError as exc:
        raise LabelError(f"not UTF-8 text ({exc.reason})", location) from None
    except OSError as exc:
        raise LabelError(f"cannot read the labels: {exc.strerror or exc}", location) from None
    if not len(labels):
        raise LabelError("no labels: expected JSONL pairs or groups", location)
    return labels


# -- predictions -------------------------------------------------------------------


@dataclass(frozen=True)
class Predictions:
    """A predicted clustering: ``clusters`` maps doc id -> cluster id (absent documents are
    singletons); ``origins`` maps cluster id -> origin doc id or ``None`` (undetermined), and
    is ``None`` as a whole when the predictions carry no origins."""

    clusters: Mapping[str, str]
    origins: Mapping[str, str | None] | None = None


def predictions_from_report(report: Mapping[str, Any], location: str = "<report>") -> Predictions:
    """Clusters and origins of a ``dedup scan --format json`` report (``docs/schema.md``).

    The origin is ``clusters[].provenance.origin.doc_id`` (``null`` when the original is
    probably not in the corpus: undetermined). Version 1 reports carry no provenance, so
    their predictions have no origins. Raises :class:`~dedup.errors.InputError` for
    something that is not a report, and :class:`~dedup.errors.IncompatibleDataError` for an
    unknown ``schema_version``.
    """
    if not isinstance(report, Mapping) or not isinstance(report.get("clusters"), list):
        raise InputError("not a dedup JSON report (no 'clusters' list); make one with dedup scan --format json",
                         location)
    version = report.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise IncompatibleDataError(
            f"{location}: report schema_version {version!r} is not one of {list(SUPPORTED_SCHEMA_VERSIONS)}"
        )
    clusters: dict[str, str] = {}
    origins: dict[str, str | None] = {}
    for number, cluster in enumerate(report["clusters"]):
        try:
            cluster_id = str(cluster["cluster_id"])
            member_ids = [str(m["doc_id"]) for m in cluster["members"]]
        except (KeyError, TypeError):
            raise InputError(f"cluster {number} has no cluster_id or members[].doc_id", location) from None
        for doc_id in member_ids:
            if doc_id in clusters:
                raise InputError(f"document {doc_id!r} is in two clusters ({clusters[doc_id]}, {cluster_id})",
                                 location)
            clusters[doc_id] = cluster_id
        provenance = cluster.get("provenance")
        if isinstance(provenance, Mapping):
            origin = provenance.get("origin") or {}
            origins[cluster_id] = origin.get("doc_id")
    has_origins = version >= 2 or bool(origins)
    return Predictions(clusters, origins if has_origins else None)


def read_report(path: str | Path) -> Predictions:
    """:func:`predictions_from_report` of a JSON report file."""
    location = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg} at column {exc.colno})", f"{location}:{exc.lineno}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", location) from None
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror or exc}", location) from None
    return predictions_from_report(report, location)


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

    union = _UnionFind(documents)
    for group in labels.groups:
        for doc_id in group.ids[1:]:
            union.union(group.ids[0], doc_id)
    for pair in labels.pairs:
        if pair.positive:
            union.union(pair.first, pair.second)
    gold = [union.find(d) for d in documents]
    predicted = [cluster_of[d] for d in documents]
    precision_b, recall_b, f1_b = bcubed(gold, predicted)

    cross_pairs, cross_merged = _cross_group(labels.groups, cluster_of)

    sizes = Counter(predictions.clusters.values())
    largest_id = min(sizes, key=lambda c: (-sizes[c], c)) if sizes else None

    precision = _ratio(true_positives, true_positives + false_positives)
    recall = _ratio(true_positives, positive_pairs)
    notes = []
    if predictions.origins is None and any(p.source for p in labels.pairs):
        notes.append("the predictions carry no origins: origin accuracy not measured")
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
