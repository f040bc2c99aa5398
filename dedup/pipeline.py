"""The scan pipeline: read, fingerprint, candidates, verify, cluster, diff.

This is the only module that knows every stage. :func:`scan` reads like the data flow::

    readers -> documents -> content text -> shingles + signatures -> LSH candidates
            -> signature prefilter -> exact verification -> clusters -> passage diff
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dedup.document import Document, Problem
from dedup.errors import DedupError
from dedup.io import InputReader, ReadOptions
from dedup.match.candidates import PREFILTER_SHARE, every_pair, prefilter_signatures
from dedup.match.fingerprint import (
    content_text,
    fingerprint,
    unique_per_text,
)
from dedup.match.lsh import candidate_pairs
from dedup.match.shingle import shingle_hashes
from dedup.match.verify import (
    PairScore,
    ScoreColumns,
    UnitSets,
    build_unit_sets,
    score_pair_batch,
)
from dedup.story.cluster import cluster_pairs, tfidf_topic_similarity
from dedup.story.diff import diff_clusters
from dedup.story.result import (
    Cluster,
    Member,
    ScanConfig,
    ScanResult,
    cluster_id_of,
)
from dedup.text.segment import segment
from dedup.workers import SetSpool, SpooledSets, SpooledTexts, TextSpool, WorkerPool

logger = logging.getLogger(__name__)

# progress(stage, done, total): documents done, or candidate pairs for the "verify" stage
Progress = Callable[[str, int, int], None]


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
    inputs: Sequence[str | Path],
    config: ScanConfig = ScanConfig(),
    progress: Progress | None = None,
    jobs: int = 1,
    *,
    detail: bool = True,
) -> ScanResult:
    """Read ``inputs`` and group the documents that are copies of one story.

    Articles are streamed: each text goes to a temporary spool file as it is read, and
    only signatures, set sizes and metadata stay in memory until verification reads back
    the texts of candidate documents. In the result, documents in no cluster keep their
    metadata but their ``text`` is ``""``; clustered documents keep their full text.
    ``jobs`` worker processes share the work; the result does not depend on it.

    ``detail=False`` is for outputs that show pairs and clusters but no passages: the
    passage diff is not run, and every document keeps only its metadata (clusters,
    pairs and their scores are the same as with detail).
    """
    reader = InputReader(config.read)
    with TextSpool() as spool, SetSpool() as set_spool, WorkerPool(jobs) as pool:
        result = _scan_stream(
            reader.read(inputs), 0, (spool, set_spool), config, progress, pool, all_pairs=False, detail=detail
        )
    result.problems = reader.problems + result.problems
    return result


def compare(inputs: Sequence[str | Path], config: ScanConfig = ScanConfig()) -> ScanResult:
    """Like :func:`scan` on a few chosen documents, but every pair is verified (no LSH)."""
    documents, problems = read_documents(inputs, config.read)
    if len(documents) < 2:
        raise DedupError(f"compare needs at least two readable documents, got {len(documents)}")
    result = scan_documents(documents, config, all_pairs=True)
    result.problems = problems + result.problems
    return result


def scan_documents(
    documents: Sequence[Document],
    config: ScanConfig = ScanConfig(),
    progress: Progress | None = None,
    *,
    all_pairs: bool = False,
    jobs: int = 1,
) -> ScanResult:
    """Group already-read ``documents`` (their ids must be unique).

    With ``all_pairs`` every pair of documents is verified exactly instead of the LSH
    candidates (what ``dedup compare`` does on a handful of chosen documents). The
    documents are in memory already, so the result keeps every text.
    """
    if len({d.doc_id for d in documents}) != len(documents):
        raise DedupError("document ids must be unique")
    with WorkerPool(jobs) as pool:
        return _scan_stream(iter(documents), len(documents), None, config, progress, pool, all_pairs=all_pairs)


# -- the scan engine ---------------------------------------------------------------------
# Pass 1 streams documents in batches of FINGERPRINT_BATCH through normalisation,
# shingling and signatures (in workers). LSH and the prefilter run on the signature matrix.
# Pass 2 verifies the candidate pairs in batches of about VERIFY_BATCH documents: whole
# components of the candidate graph packed together, and components larger than a batch
# cut into chunks of pairs (each pair is scored on its own). Pass 3 clusters (and, with
# detail, diffs) whole components of the same-story graph, packed the same way, since no
# cluster or hub-guard decision ever crosses one. Both run in workers. Batch contents
# never depend on ``jobs``, so neither does the output.
FINGERPRINT_BATCH = 2_000
VERIFY_BATCH = 2_000


@dataclass(frozen=True)
class _FingerprintTask:
    texts: list[str]
    config: ScanConfig


@dataclass(frozen=True)
class _FingerprintResult:
    signatures: np.ndarray
    shingles: np.ndarray  # the exact shingle sets, CSR with offsets
    offsets: np.ndarray
    seconds: tuple[float, float]  # normalise, shingles + signatures


def _fingerprint_batch(task: _FingerprintTask) -> _FingerprintResult:
    started = time.perf_counter()
    config = task.config
    contents = [content_text(t, config.boilerplate, config.fingerprint.ignore_quotes) for t in task.texts]
    normalised = time.perf_counter()
    prints = fingerprint(contents, config.fingerprint)
    return _FingerprintResult(
        prints.signatures, prints.shingles, prints.offsets, (normalised - started, time.perf_counter() - normalised)
    )


@dataclass(frozen=True)
class _VerifyTask:
    indices: np.ndarray  # global document indices, sorted
    texts: list[str] | SpooledTexts
    shingles: SpooledSets | None  # the documents' shingle sets when spooled, else made from the texts
    pairs: np.ndarray  # (n, 2) local indices
    signatures: np.ndarray
    config: ScanConfig


def _verify_batch(task: _VerifyTask) -> ScoreColumns:
    """Exact scores of one batch of candidate pairs."""
    config = task.config
    if task.shingles is not None:
        hashes, offsets = task.shingles.load()
    else:
        contents = [content_text(t, config.boilerplate, config.fingerprint.ignore_quotes) for t in task.texts]
        hashes, offsets = shingle_hashes(contents, config.fingerprint.shingle, seed=config.fingerprint.minhash.seed)
        hashes, offsets = unique_per_text(hashes, offsets)

    def units_for(rows: np.ndarray) -> tuple[UnitSets, np.ndarray]:
        unit_row = np.full(len(task.indices), -1, dtype=np.int64)
        unit_row[rows] = np.arange(len(rows))
        # Only the documents of plausible pairs need their texts, for sentence evidence.
        if isinstance(task.texts, SpooledTexts):
            chosen = task.texts.subset(rows).load()
        else:
            chosen = [task.texts[r] for r in rows.tolist()]
        units = build_unit_sets(chosen, config.fingerprint, config.boilerplate)
        return units, unit_row

    columns = score_pair_batch(task.pairs, hashes, offsets, task.signatures, units_for, config.match)
    return replace(columns, pairs=task.indices[columns.pairs])  # global indices


@dataclass(frozen=True)
class _ClusterTask:
    indices: np.ndarray  # global document indices, sorted
    texts: list[str] | SpooledTexts
    scores: list[PairScore]  # same-story pairs, local indices
    config: ScanConfig
    detail: bool


@dataclass(frozen=True)
class _ClusterResult:
    clusters: list[tuple[Member, ...]]  # global indices
    texts: dict[int, str]  # texts of clustered documents (with detail)
    refused_merges: int
    seconds: tuple[float, float]  # cluster, diff


def _cluster_batch(task: _ClusterTask) -> _ClusterResult:
    """Cluster one batch of whole same-story components and, with detail, diff the clusters."""
    started = time.perf_counter()
    config = task.config
    loaded: list[list[str]] = []

    def texts() -> list[str]:  # read only when the hub guard or the diff needs them
        if not loaded:
            loaded.append(task.texts.load() if isinstance(task.texts, SpooledTexts) else task.texts)
        return loaded[0]

    def topic_similarity(first: Sequence[int], second: Sequence[int]) -> float:
        ignore = config.fingerprint.ignore_quotes
        return tfidf_topic_similarity(
            [content_text(texts()[i], config.boilerplate, ignore) for i in first],
            [content_text(texts()[i], config.boilerplate, ignore) for i in second],
        )

    clustering = cluster_pairs(len(task.indices), task.scores, config.cluster, topic_similarity)
    groups = [group for group in clustering.groups if len(group) >= 2]
    clustered = time.perf_counter()
    to_global = task.indices.tolist()
    if task.detail:
        segmentations = {i: segment(texts()[i], config.boilerplate) for group in groups for i in group}
        diffs = diff_clusters(
            [([texts()[i] for i in group], [segmentations[i].passages for i in group]) for group in groups], config.diff
        )
        clusters = [
            tuple(Member(to_global[i], segmentations[i], tuple(d)) for i, d in zip(group, group_diffs))
            for group, group_diffs in zip(groups, diffs)
        ]
        clustered_texts = {to_global[i]: texts()[i] for group in groups for i in group}
    else:
        clusters = [tuple(Member(to_global[i], None, ()) for i in group) for group in groups]
        clustered_texts = {}
    return _ClusterResult(
        clusters, clustered_texts, len(clustering.refused_merges),
        (clustered - started, time.perf_counter() - clustered),
    )


def _components(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The components of the graph of ``pairs``, in order of their first document.

    Returns the pairs reordered so that each component's pairs are contiguous (sorted
    within it), where each component's pairs end, and each component's sorted documents.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    involved = np.unique(pairs)
    local = np.searchsorted(involved, pairs)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (local[:, 0], local[:, 1])), shape=(len(involved),) * 2)
    _, labels = connected_components(graph, directed=False)
    # involved is sorted, so a component's first occurrence is its first document
    _, first_position = np.unique(labels, return_index=True)
    rank = np.empty(len(first_position), dtype=np.int64)
    rank[np.argsort(first_position, kind="stable")] = np.arange(len(first_position))
    doc_rank = rank[labels]
    pair_rank = doc_rank[local[:, 0]]
    pair_order = np.lexsort((pairs[:, 1], pairs[:, 0], pair_rank))
    doc_order = np.lexsort((involved, doc_rank))
    pair_ends = np.searchsorted(pair_rank[pair_order], np.arange(1, len(rank) + 1))
    doc_ends = np.searchsorted(doc_rank[doc_order], np.arange(1, len(rank) + 1))
    documents = np.split(involved[doc_order], doc_ends[:-1])
    return pairs[pair_order], pair_ends, documents


def _pair_batches(pairs: np.ndarray, batch_docs: int, split_large: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of about ``batch_docs`` documents: ``(documents, pairs)``, global indices.

    Whole components are packed together. A component larger than a batch is one batch,
    unless ``split_large``: its pairs are then cut into chunks of ``batch_docs`` pairs
    (verification scores each pair on its own; clustering needs whole components).
    """
    if len(pairs) == 0:
        return
    ordered, pair_ends, documents = _components(pairs)
    pair_starts = np.r_[0, pair_ends[:-1]]
    current_docs: list[np.ndarray] = []
    first_pair = 0
    size = 0
    for component, members in enumerate(documents):
        if split_large and len(members) > batch_docs:
            if current_docs:
                yield np.sort(np.concatenate(current_docs)), ordered[first_pair : pair_starts[component]]
                current_docs, size = [], 0
            for start in range(pair_starts[component], pair_ends[component], batch_docs):
                chunk = ordered[start : min(start + batch_docs, pair_ends[component])]
                yield np.unique(chunk), chunk
            first_pair = pair_ends[component]
            continue
        if not current_docs:
            first_pair = pair_starts[component]
        current_docs.append(members)
        size += len(members)
        if size >= batch_docs:
            yield np.sort(np.concatenate(current_docs)), ordered[first_pair : pair_ends[component]]
            current_docs, size = [], 0
            first_pair = pair_ends[component]
    if current_docs:
        yield np.sort(np.concatenate(current_docs)), ordered[first_pair:]


def _scan_stream(
    stream: Iterator[Document],
    known_total: int,
    spools: tuple[TextSpool, SetSpool] | None,
    config: ScanConfig,
    progress: Progress | None,
    pool: WorkerPool,
    all_pairs: bool,
    detail: bool = True,
) -> ScanResult:
    """The scan engine over a stream of documents; ``spools`` None keeps texts in memory.

    With ``spools``, texts go to the text spool as they are read, and the exact shingle
    sets that fingerprinting computes go to the set spool, for verification to read back.

    ``known_total`` is the number of documents when known (0 otherwise), for progress.
    """
    notify = progress or (lambda stage, done, total: None)
    spool, set_spool = spools if spools is not None else (None, None)
    timings: dict[str, float] = {"read": 0.0, "normalise": 0.0, "signatures": 0.0}
    metadata: list[Document] = []
    kept: list[Document] = []

    def batches() -> Iterator[_FingerprintTask]:
        while True:
            started = time.perf_counter()
            texts: list[str] = []
            for doc in stream:
                texts.append(doc.text)
                if spool is not None:
                    spool.add(doc.text)
                    metadata.append(doc.with_text(""))
                else:
                    kept.append(doc)
                if len(texts) >= FINGERPRINT_BATCH:
                    break
            timings["read"] += time.perf_counter() - started
            if not texts:
                return
            yield _FingerprintTask(texts, config)

    pass_started = time.perf_counter()
    blocks: list[np.ndarray] = []
    size_blocks: list[np.ndarray] = []
    worker_seconds = [0.0, 0.0]
    for done in pool.map(_fingerprint_batch, batches()):
        blocks.append(done.signatures)
        size_blocks.append(np.diff(done.offsets))
        if set_spool is not None:
            set_spool.add_many(done.shingles, done.offsets)
        worker_seconds[0] += done.seconds[0]
        worker_seconds[1] += done.seconds[1]
        notify("fingerprint", sum(len(b) for b in size_blocks), known_total)
    # Wall time of pass 1 beyond reading, split by where the workers spent it.
    fingerprint_wall = time.perf_counter() - pass_started - timings["read"]
    share = worker_seconds[0] / max(sum(worker_seconds), 1e-12)
    timings["normalise"] = fingerprint_wall * share
    timings["signatures"] = fingerprint_wall * (1 - share)
    stages = _Stages()

    read_docs = metadata if spool is not None else kept
    num_perm = config.fingerprint.minhash.num_perm
    order = sorted(range(len(read_docs)), key=lambda i: read_docs[i].doc_id)
    order_array = np.asarray(order, dtype=np.int64)
    documents = [read_docs[i] for i in order]
    metadata.clear()  # the sorted list holds the records now
    kept.clear()
    signatures = np.concatenate(blocks)[order_array] if blocks else np.zeros((0, num_perm), dtype=np.uint32)
    sizes = np.concatenate(size_blocks)[order_array] if size_blocks else np.zeros(0, dtype=np.int64)
    del blocks, size_blocks
    active = sizes > 0
    if all_pairs:
        candidates = every_pair(active)
        pairs = candidates.pairs
    else:
        candidates = candidate_pairs(signatures, active, config.lsh)
        pairs = prefilter_signatures(candidates.pairs, signatures, sizes, config.match.min_containment * PREFILTER_SHARE)
    stages.done("lsh")

    def texts_of(indices: np.ndarray) -> list[str] | SpooledTexts:
        if spool is not None:
            return spool.select(order_array[indices])
        return [documents[i].text for i in indices.tolist()]

    def verify_tasks() -> Iterator[_VerifyTask]:
        for indices, batch_pairs in _pair_batches(pairs, VERIFY_BATCH, split_large=True):
            local = np.searchsorted(indices, batch_pairs)
            shingles = set_spool.select(order_array[indices]) if set_spool is not None else None
            yield _VerifyTask(indices, texts_of(indices), shingles, local, signatures[indices], config)

    scores: list[PairScore] = []
    total_pairs, finished = len(pairs), 0
    for verified in pool.map(_verify_batch, verify_tasks()):
        scores.extend(verified.scores())
        finished += len(verified.pairs)
        notify("verify", finished, total_pairs)
    scores.sort(key=lambda s: (s.first, s.second))
    stages.done("verify")

    story_pairs = [s for s in scores if s.same_story]
    story_array = np.array([(s.first, s.second) for s in story_pairs], dtype=np.int64).reshape(-1, 2)
    position = {(s.first, s.second): k for k, s in enumerate(story_pairs)}

    def cluster_tasks() -> Iterator[_ClusterTask]:
        for indices, batch_pairs in _pair_batches(story_array, VERIFY_BATCH, split_large=False):
            local = np.searchsorted(indices, batch_pairs).tolist()
            local_scores = [
                story_pairs[position[(a, b)]].renumbered(la, lb)
                for (a, b), (la, lb) in zip(batch_pairs.tolist(), local)
            ]
            yield _ClusterTask(indices, texts_of(indices), local_scores, config, detail)

    member_groups: list[tuple[Member, ...]] = []
    refused = 0
    stage_seconds = [0.0, 0.0]
    involved = len(np.unique(story_array))
    finished = 0
    for result in pool.map(_cluster_batch, cluster_tasks()):
        member_groups.extend(result.clusters)
        refused += result.refused_merges
        for index, text in result.texts.items():
            documents[index] = documents[index].with_text(text)
        stage_seconds = [a + b for a, b in zip(stage_seconds, result.seconds)]
        finished += sum(len(members) for members in result.clusters)
        notify("cluster", finished, involved)
    # Wall time of the cluster pass, split by where the workers spent it.
    cluster_pass = time.perf_counter() - stages._last
    total_seconds = max(sum(stage_seconds), 1e-12)
    for stage, seconds in zip(("cluster", "diff"), stage_seconds):
        timings[stage] = cluster_pass * seconds / total_seconds
    timings["verify"] = stages.timings["verify"]
    member_groups.sort(key=lambda members: (-len(members), [m.index for m in members]))

    clusters = []
    cluster_of = {m.index: k for k, members in enumerate(member_groups) for m in members}
    pairs_of: list[list[PairScore]] = [[] for _ in member_groups]
    for score in story_pairs:
        k = cluster_of.get(score.first)
        if k is not None and cluster_of.get(score.second) == k:
            pairs_of[k].append(score)
    for members, group_pairs in zip(member_groups, pairs_of):
        clusters.append(Cluster(cluster_id_of(documents[m.index].doc_id for m in members), members, tuple(group_pairs)))
    timings["lsh"] = stages.timings["lsh"]

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
        "refused_hub_merges": refused,
    }
    if candidates.oversized_buckets:
        logger.warning(
            "%d LSH buckets held more than %d documents (%d documents in all) and were not expanded into pairs",
            candidates.oversized_buckets, config.lsh.max_bucket, candidates.oversized_documents,
        )
    problems = [
        Problem(documents[i].location, "empty", f"document {documents[i].doc_id!r} has no content besides boilerplate")
        for i in np.flatnonzero(~active)
    ]
    ordered = {stage: timings[stage] for stage in ("read", "normalise", "signatures", "lsh", "verify", "cluster", "diff")}
    return ScanResult(documents, config, clusters, scores, problems, stats, ordered)


