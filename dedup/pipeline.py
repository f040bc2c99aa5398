"""The scan pipeline: read, fingerprint, candidates, verify, cluster, diff.

This is the only module that knows every stage. :func:`scan` reads like the data flow::

    readers -> documents -> content text -> shingles + signatures -> LSH candidates
            -> signature prefilter -> exact verification -> clusters -> passage diff
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from dedup import __version__
from dedup.boilerplate import DEFAULT_RULES, BoilerplateRules
from dedup.cluster import ClusterConfig, cluster_pairs
from dedup.diff import DiffConfig, PassageDiff, diff_cluster
from dedup.document import Document, Problem
from dedup.errors import DedupError
from dedup.fingerprint import FingerprintConfig, Fingerprints, content_text, fingerprint
from dedup.lsh import LSHConfig, candidate_pairs
from dedup.normalize import normalize_text
from dedup.readers import InputReader, ReadOptions
from dedup.segment import Segmentation, segment
from dedup.verify import MatchConfig, PairScore, Units, build_units, score_pairs

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Candidates whose signature-estimated containment is below this share of
# ``min_containment`` are dropped before exact verification.
PREFILTER_SHARE = 0.5

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScanConfig:
    """Every parameter of a scan. :meth:`describe` is what outputs record."""

    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    lsh: LSHConfig = field(default_factory=LSHConfig)
    match: MatchConfig = field(default_factory=MatchConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    diff: DiffConfig = field(default_factory=DiffConfig)
    boilerplate: BoilerplateRules = DEFAULT_RULES
    read: ReadOptions = field(default_factory=ReadOptions)

    def describe(self) -> dict[str, object]:
        bands, rows = self.lsh.resolve(self.fingerprint.minhash.num_perm)
        return {
            "fingerprint": self.fingerprint.describe(),
            "lsh": {
                "threshold": self.lsh.threshold,
                "bands": bands,
                "rows": rows,
                "min_hits": self.lsh.min_hits,
                "max_bucket": self.lsh.max_bucket,
                "prefilter_share": PREFILTER_SHARE,
            },
            "match": self.match.describe(),
            "cluster": self.cluster.describe(),
            "diff": self.diff.describe(),
            "boilerplate": {"builtin": True, "extra_patterns": list(self.boilerplate.extra)},
            "read": {
                "input_format": self.read.input_format,
                "on_error": self.read.on_error,
                "encoding": self.read.encoding,
                "max_chars": self.read.max_chars,
                "fields": vars(self.read.fields),
            },
        }


@dataclass(frozen=True)
class Member:
    """A clustered document, its segmentation and the diff of its passages."""

    index: int
    segmentation: Segmentation
    passages: tuple[PassageDiff, ...]


@dataclass(frozen=True)
class Cluster:
    cluster_id: str
    members: tuple[Member, ...]
    pairs: tuple[PairScore, ...]


@dataclass
class ScanResult:
    """What a scan found. Document indices refer to ``documents`` (sorted by id)."""

    documents: list[Document]
    config: ScanConfig
    clusters: list[Cluster]
    pairs: list[PairScore]
    problems: list[Problem]
    stats: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def singletons(self) -> int:
        return len(self.documents) - sum(len(c.members) for c in self.clusters)


def cluster_id_of(doc_ids: Iterable[str]) -> str:
    """A stable id for a group of documents: a hash of its sorted member ids."""
    digest = hashlib.blake2b("\n".join(sorted(doc_ids)).encode("utf-8"), digest_size=6).hexdigest()
    return f"c-{digest}"


class _Stages:
    """Times each stage; the timings go to stderr and benchmarks, never into outputs."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._last
        self._last = now
        logger.debug("stage %s took %.3fs", stage, self.timings[stage])


def read_documents(inputs: Sequence[str | Path], options: ReadOptions) -> tuple[list[Document], list[Problem]]:
    """Read and check every input; documents come back sorted by id."""
    reader = InputReader(options)
    documents = sorted(reader.read(inputs), key=lambda d: d.doc_id)
    return documents, reader.problems


def scan(
    inputs: Sequence[str | Path], config: ScanConfig = ScanConfig(), progress: Progress | None = None
) -> ScanResult:
    """Read ``inputs`` and group the documents that are copies of one story."""
    stages = _Stages()
    documents, problems = read_documents(inputs, config.read)
    stages.done("read")
    result = scan_documents(documents, config, progress)
    result.problems = problems + result.problems
    result.timings = {**stages.timings, **result.timings}
    return result


def scan_documents(
    documents: Sequence[Document], config: ScanConfig = ScanConfig(), progress: Progress | None = None
) -> ScanResult:
    """Group already-read ``documents`` (their ids must be unique)."""
    documents = sorted(documents, key=lambda d: d.doc_id)
    if len({d.doc_id for d in documents}) != len(documents):
        raise DedupError("document ids must be unique")
    stages = _Stages()
    notify = progress or (lambda stage, done, total: None)

    contents = []
    for k, doc in enumerate(documents):
        contents.append(content_text(doc.text, config.boilerplate, config.fingerprint.ignore_quotes))
        if k % 10_000 == 0:
            notify("normalise", k, len(documents))
    stages.done("normalise")
    prints = fingerprint(contents, config.fingerprint)
    stages.done("signatures")
    active = prints.sizes > 0
    candidates = candidate_pairs(prints.signatures, active, config.lsh)
    stages.done("lsh")

    pairs = prefilter(candidates.pairs, prints, config.match.min_containment * PREFILTER_SHARE)
    segmentations: dict[int, Segmentation] = {}
    units: dict[int, Units] = {}

    def segmentation_of(index: int) -> Segmentation:
        if index not in segmentations:
            segmentations[index] = segment(documents[index].text, config.boilerplate)
        return segmentations[index]

    def units_of(index: int) -> Units:
        if index not in units:
            units[index] = build_units([documents[index].text], [segmentation_of(index)], config.fingerprint)[0]
        return units[index]

    scores = score_pairs(pairs, prints, units_of, config.match)
    stages.done("verify")

    def topic_similarity(first: Sequence[int], second: Sequence[int]) -> float:
        return _topic_similarity([contents[i] for i in first], [contents[i] for i in second])

    clustering = cluster_pairs(len(documents), scores, config.cluster, topic_similarity)
    stages.done("cluster")

    clusters = []
    story_pairs = [s for s in scores if s.same_story]
    for group in clustering.groups:
        if len(group) < 2:
            break
        texts = [documents[i].text for i in group]
        diffs = diff_cluster(texts, [segmentation_of(i).passages for i in group], config.diff)
        members = tuple(
            Member(index, segmentation_of(index), tuple(member_diff)) for index, member_diff in zip(group, diffs)
        )
        in_group = set(group)
        cluster_pairs_ = tuple(s for s in story_pairs if s.first in in_group and s.second in in_group)
        clusters.append(Cluster(cluster_id_of(documents[i].doc_id for i in group), members, cluster_pairs_))
    stages.done("diff")

    stats = {
        "documents": len(documents),
        "documents_without_content": int((~active).sum()),
        "candidate_pairs": len(candidates.pairs),
        "verified_pairs": len(scores),
        "same_story_pairs": len(story_pairs),
        "clusters": len(clusters),
        "clustered_documents": sum(len(c.members) for c in clusters),
        "singletons": len(documents) - sum(len(c.members) for c in clusters),
        "oversized_buckets": candidates.oversized_buckets,
        "refused_hub_merges": len(clustering.refused_merges),
    }
    problems = [
        Problem(documents[i].location, "empty", f"document {documents[i].doc_id!r} has no content besides boilerplate")
        for i in np.flatnonzero(~active)
    ]
    return ScanResult(list(documents), config, clusters, scores, problems, stats, stages.timings)


def prefilter(pairs: np.ndarray, prints: Fingerprints, min_containment: float) -> np.ndarray:
    """Candidates whose containment, estimated from signatures and set sizes, may pass."""
    if len(pairs) == 0:
        return pairs
    sizes = prints.sizes
    jaccard = (prints.signatures[pairs[:, 0]] == prints.signatures[pairs[:, 1]]).mean(axis=1)
    size_a, size_b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    shared = jaccard * (size_a + size_b) / (1.0 + jaccard)
    containment = shared / np.maximum(1, np.minimum(size_a, size_b))
    return pairs[containment >= min_containment]


def _topic_similarity(first: Sequence[str], second: Sequence[str]) -> float:
    """Cosine of the TF-IDF centroids of two groups of texts (IDF fitted on both)."""
    if not first or not second:
        return 0.0
    vectorizer = TfidfVectorizer(preprocessor=normalize_text, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(list(first) + list(second))
    except ValueError:  # no words at all
        return 0.0
    centroid_a = np.asarray(matrix[: len(first)].mean(axis=0)).ravel()
    centroid_b = np.asarray(matrix[len(first) :].mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid_a) * np.linalg.norm(centroid_b)
    return float(centroid_a @ centroid_b / norm) if norm else 0.0


def tool_info() -> dict[str, str]:
    return {"name": "dedup", "version": __version__}
