"""The scan pipeline: read, fingerprint, candidates, verify, cluster, diff.

This is the only module that knows every stage. :func:`scan` reads like the data flow::

    readers -> documents -> content text -> shingles + signatures -> LSH candidates
            -> signature prefilter -> exact verification -> clusters -> passage diff
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from dedup import batches, packing, verifying
from dedup.document import Document, Problem
from dedup.errors import DedupError
from dedup.io import InputReader, ReadOptions
from dedup.match.candidates import PREFILTER_SHARE, every_pair, prefilter_signatures
from dedup.match.lsh import LARGE_CORE_WARNING, Candidates, candidate_pairs
from dedup.match.shingle import sorted_distinct
from dedup.match.words import CorpusWords, WordWeights, settle_rewrite_columns, union_of_pairs
from dedup.match.verify import PairScore, ScoreColumns
from dedup.spools import SetSpool, SpooledTexts, TextSpool
from dedup.story.result import (
    Cluster,
    Member,
    ScanConfig,
    ScanResult,
    cluster_id_of,
)
from dedup.text.furniture import learn_furniture, outlet_of
from dedup.workers import Aside, WorkerPool

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
    with scanning(inputs, config, progress, jobs, detail=detail) as result:
        return result


@contextmanager
def scanning(
    inputs: Sequence[str | Path],
    config: ScanConfig = ScanConfig(),
    progress: Progress | None = None,
    jobs: int = 1,
    *,
    detail: bool = True,
    defer: bool = False,
) -> Iterator[ScanResult]:
    """:func:`scan` as a context, whose temporary files and workers last until it closes.

    With ``defer``, the scan stops at the clusters: the passage diff is left to the
    report, which asks :attr:`ScanResult.details` for each cluster's passages as it
    writes it (in the workers, reading the texts back from the spool), so that memory
    holds the passages of the clusters being written, not of every cluster.
    """
    reader = InputReader(config.read)
    with TextSpool() as spool, SetSpool() as set_spool, SetSpool() as word_spool, WorkerPool(jobs) as pool:
        result = _scan_stream(
            reader.read(inputs), 0, (spool, set_spool, word_spool), config, progress, pool, all_pairs=False,
            detail=detail and not defer, defer=defer,
        )
        result.problems = reader.problems + result.problems
        try:
            yield result
        finally:
            result.details = result.records = None  # the spool they read is about to go
            result.records_in_workers = False


def compare(inputs: Sequence[str | Path], config: ScanConfig = ScanConfig()) -> ScanResult:
    """Like :func:`scan` on a few chosen documents, but every pair is verified (no LSH)."""
    documents, problems = read_documents(inputs, config.read)
    if len(documents) < 2:
        skipped = "".join(f"; {problem}" for problem in problems[:5])
        raise DedupError(f"compare needs at least two readable documents, got {len(documents)}{skipped}")
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


def _scan_stream(
    stream: Iterator[Document],
    known_total: int,
    spools: tuple[TextSpool, SetSpool, SetSpool] | None,
    config: ScanConfig,
    progress: Progress | None,
    pool: WorkerPool,
    all_pairs: bool,
    detail: bool = True,
    defer: bool = False,
) -> ScanResult:
    """The scan engine over a stream of documents; ``spools`` None keeps texts in memory.

    With ``spools``, texts go to the text spool as they are read, the exact shingle sets
    that fingerprinting computes to the set spool, for verification to read back, and each
    document's distinct words to the word spool, for the rare-word candidates.
    ``known_total`` is the number of documents when known (0 otherwise), for progress.
    """
    run = _ScanRun(config, spools, pool, progress, known_total)
    run.fingerprint(stream)
    candidates = run.candidates(all_pairs)
    columns = run.align(run.verify(candidates.pairs if all_pairs else run.prefiltered(candidates), keep_units=defer))
    story = np.flatnonzero(columns.same_story)
    made = Aside(columns.scores)  # the PairScores, made on a core the clustering leaves free
    member_groups, refused = run.cluster(columns.take(story, columns.pairs[story]), detail, made.start)
    scores = made.result()
    story_pairs = [s for s in scores if s.same_story]
    clusters = run.clusters(member_groups, story_pairs)
    result = run.result(candidates, scores, story_pairs, clusters, refused)
    if defer:  # with the member pairs LSH never proposed, which the provenance of each cluster reads
        verified = verifying.joined_scores([columns, run.verify_members(clusters, columns, result.timings)])
        later = batches.Deferred(run.documents, verified, run.config, run.pool, run.texts_of)
        result.details, result.records = later.details, later.records
        result.records_in_workers = pool.jobs > 1
    return result


class _ScanRun:
    """The state of one scan between its passes: documents sorted by id, signatures, timings."""

    def __init__(
        self,
        config: ScanConfig,
        spools: tuple[TextSpool, SetSpool, SetSpool] | None,
        pool: WorkerPool,
        progress: Progress | None,
        known_total: int,
    ) -> None:
        self.config = config
        self.spool, self.set_spool, word_spool = spools if spools is not None else (None, None, None)
        self.words = CorpusWords(word_spool, enabled=config.match.aligned_evidence)
        self.weights: WordWeights | None = None
        self.pool = pool
        self.notify = progress or (lambda stage, done, total: None)
        self.known_total = known_total
        self.timings: dict[str, float] = {"read": 0.0, "normalise": 0.0, "signatures": 0.0}
        self.stages = _Stages()
        self.documents: list[Document] = []
        self.order = np.zeros(0, dtype=np.int64)  # spool position of each document, in id order
        self.signatures = np.zeros((0, config.fingerprint.minhash.num_perm), dtype=np.uint32)
        self.sizes = np.zeros(0, dtype=np.int64)
        self.set_position = np.zeros(0, dtype=np.int64)  # set spool number of each read document
        self.stats: dict[str, int] = {}
        self.units_folder: str | None = None  # where verification left the sentence units it built

    # -- pass 1: read, normalise, shingle, sign ------------------------------------------
    def _fingerprint_tasks(self, stream: Iterator[Document], read: list[Document]) -> Iterator[batches.FingerprintTask]:
        while True:
            started = time.perf_counter()
            texts: list[str] = []
            chars = 0
            for doc in stream:
                texts.append(doc.text)
                chars += len(doc.text)
                if self.spool is not None:
                    self.spool.add(doc.text)
                    read.append(doc.with_text(""))
                else:
                    read.append(doc)
                if len(texts) >= batches.FINGERPRINT_BATCH or chars >= batches.FINGERPRINT_CHARS:
                    break
            self.timings["read"] += time.perf_counter() - started
            if not texts:
                return
            yield batches.FingerprintTask(texts, self.config)

    def fingerprint(self, stream: Iterator[Document]) -> None:
        """Read every document and keep its signature and shingle count, in id order."""
        pass_started = time.perf_counter()
        read: list[Document] = []
        blocks: list[np.ndarray] = []
        size_blocks: list[np.ndarray] = []
        key_blocks: list[np.ndarray] = []
        key_counts: list[np.ndarray] = []
        worker_seconds = [0.0, 0.0]
        for done in self.pool.map(batches.fingerprint_batch, self._fingerprint_tasks(stream, read)):
            blocks.append(done.signatures)
            size_blocks.append(np.diff(done.offsets))
            key_blocks.append(done.line_keys)
            key_counts.append(np.diff(done.line_offsets))
            if self.set_spool is not None:
                self.set_spool.add_many(done.shingles, done.offsets)
            self.words.add(done.word_sets, done.word_offsets)
            worker_seconds[0] += done.seconds[0]
            worker_seconds[1] += done.seconds[1]
            self.notify("fingerprint", sum(len(b) for b in size_blocks), self.known_total)
        if blocks and verifying.few_batches(np.concatenate(size_blocks), self.pool.jobs):
            self.pool.prepare(batches.load_kernels)  # loaded while this process finds candidates
        # Wall time of pass 1 beyond reading, split by where the workers spent it.
        fingerprint_wall = time.perf_counter() - pass_started - self.timings["read"]
        share = worker_seconds[0] / max(sum(worker_seconds), 1e-12)
        self.timings["normalise"] = fingerprint_wall * share
        self.timings["signatures"] = fingerprint_wall * (1 - share)
        self.stages = _Stages()
        self.set_position = np.arange(len(read), dtype=np.int64)
        if blocks:
            signatures, sizes = np.concatenate(blocks), np.concatenate(size_blocks)
            line_offsets = np.zeros(len(read) + 1, dtype=np.int64)
            np.cumsum(np.concatenate(key_counts), out=line_offsets[1:])
            self._learn_furniture(read, np.concatenate(key_blocks), line_offsets, signatures, sizes)
        order = sorted(range(len(read)), key=lambda i: read[i].doc_id)
        self.order = np.asarray(order, dtype=np.int64)
        self.documents = [read[i] for i in order]
        if blocks:
            self.signatures = signatures[self.order]
            self.sizes = sizes[self.order]
        self.weights = self.words.weights(int((self.sizes > 0).sum()))

    def _learn_furniture(
        self, read: list[Document], keys: np.ndarray, line_offsets: np.ndarray, signatures: np.ndarray, sizes: np.ndarray
    ) -> None:
        """Learn the corpus's page furniture, then fingerprint again the documents that carry it.

        ``signatures`` and ``sizes`` (in read order) are updated in place; later passes use
        the rules with the learned lines, so verification, segmentation and the diff treat
        them as boilerplate too.
        """
        learned = learn_furniture([outlet_of(d) for d in read], keys, line_offsets, self.config.furniture)
        self.stats["learned_furniture_lines"] = len(learned)
        self.stats["documents_with_furniture"] = 0
        if len(learned) == 0:
            return
        started = time.perf_counter()
        self.config = replace(self.config, boilerplate=self.config.boilerplate.with_learned(learned.tolist()))
        owner = np.repeat(np.arange(len(read), dtype=np.int64), np.diff(line_offsets))
        affected = sorted_distinct(owner[np.isin(keys, learned)])
        self.stats["documents_with_furniture"] = len(affected)

        chunks: list[np.ndarray] = []  # the documents of each task, in task order

        def tasks() -> Iterator[batches.FingerprintTask]:
            for start in range(0, len(affected), batches.FINGERPRINT_BATCH):
                chunk = affected[start : start + batches.FINGERPRINT_BATCH]
                if self.spool is not None:
                    texts = self.spool.select(chunk).load()
                else:
                    texts = [read[i].text for i in chunk.tolist()]
                chunks.append(chunk)
                yield batches.FingerprintTask(list(texts), self.config)

        for k, done in enumerate(self.pool.map(batches.fingerprint_batch, tasks())):
            chunk = chunks[k]
            signatures[chunk] = done.signatures
            sizes[chunk] = np.diff(done.offsets)
            if self.set_spool is not None:
                first = len(self.set_spool)
                self.set_spool.add_many(done.shingles, done.offsets)
                self.set_position[chunk] = first + np.arange(len(chunk), dtype=np.int64)
            self.words.add(done.word_sets, done.word_offsets, replacing=chunk)
        self.timings["signatures"] += time.perf_counter() - started

    # -- candidates -----------------------------------------------------------------------
    def candidates(self, all_pairs: bool) -> Candidates:
        """Every pair of documents with content (``all_pairs``), or the LSH candidates."""
        active = self.sizes > 0
        if all_pairs:
            found = every_pair(active)
        else:
            found = candidate_pairs(self.signatures, active, self.config.lsh)
        self.stages.done("lsh")
        return found

    def prefiltered(self, candidates: Candidates) -> np.ndarray:
        """The candidates whose containment, estimated from signatures, may pass verification
        (and, when the scan weighs words told in order, the pairs that share rare words)."""
        floor = self.config.match.min_containment * PREFILTER_SHARE
        pairs = prefilter_signatures(candidates.pairs, self.signatures, self.sizes, floor)
        if self.weights is not None:
            rare = self.words.rare_pairs(self.order, self.sizes, self.weights, self.config.lsh)
            self.stats["rare_word_pairs"] = len(rare)
            pairs = union_of_pairs(pairs, rare)
        self.stages.done("lsh")
        return pairs

    # -- pass 2: verify -------------------------------------------------------------------
    def texts_of(self, indices: np.ndarray) -> list[str] | SpooledTexts:
        if self.spool is not None:
            return self.spool.select(self.order[indices])
        return [self.documents[i].text for i in indices.tolist()]

    def _verify_tasks(self, pairs: np.ndarray, **units: object) -> Iterator[verifying.VerifyTask]:
        # batches are bounded by the shingles of their documents, and by their number
        packed = packing.pair_batches(pairs, batches.VERIFY_BATCH, True, self.sizes, max_cost=batches.VERIFY_SHINGLES)
        for indices, batch_pairs in packed:
            positions = self.set_position[self.order[indices]]
            shingles = self.set_spool.select(positions) if self.set_spool is not None else None
            local, signatures = np.searchsorted(indices, batch_pairs), self.signatures[indices]
            yield verifying.VerifyTask(indices, self.texts_of(indices), shingles, local, signatures, self.config, **units)

    def verify(self, pairs: np.ndarray, keep_units: bool = False) -> ScoreColumns:
        """Exact scores of ``pairs``, sorted by document; with ``keep_units``, where they are
        few batches, the sentence units they build are left for :meth:`verify_members`."""
        parts: list[ScoreColumns] = []
        finished = 0
        # a worker left without a batch loads the compiled kernels that aligning and diffing
        # will call, where there are enough pairs for them to be called
        idle = batches.load_kernels if len(pairs) >= verifying.LOAD_KERNELS_PAIRS else None
        if keep_units and self.set_spool is not None and verifying.few_batches(self.sizes, self.pool.jobs):
            self.units_folder = os.path.dirname(self.set_spool.path)
        tasks = self._verify_tasks(pairs, keep_units=self.units_folder)
        for verified in verifying.verify_all(tasks, self.pool, self.sizes, self.config.match, idle):
            parts.append(verified)
            finished += len(verified.pairs)
            self.notify("verify", finished, len(pairs))
        scores = verifying.joined_scores(parts)
        order = np.lexsort((scores.pairs[:, 1], scores.pairs[:, 0]))  # pairs are distinct
        self.stages.done("verify")
        return scores.take(order, scores.pairs[order])

    def align(self, scores: ScoreColumns) -> ScoreColumns:
        """Words told in order (:mod:`dedup.match.words`) for the pairs it may make copies of."""
        if self.weights is None:
            return scores
        measure = partial(batches.align_all, self.pool, self.texts_of, self.sizes, self.config, self.weights)
        settled = settle_rewrite_columns(scores, measure, self.config.match)
        self.stages.done("verify")
        return settled

    # -- pass 3: cluster and diff ---------------------------------------------------------
    def _cluster_tasks(self, columns: ScoreColumns, detail: bool) -> Iterator[batches.ClusterTask]:
        # the scores go as columns (a worker makes the PairScores): pickling tens of
        # thousands of them, and renumbering them here, held up the workers
        keys = columns.pairs[:, 0] * len(self.documents) + columns.pairs[:, 1]  # pairs are distinct
        by_key = np.argsort(keys, kind="stable")
        packed = packing.pair_batches(columns.pairs, batches.VERIFY_BATCH, False, max_cost=batches.VERIFY_SHINGLES)
        for indices, batch_pairs in packed:
            batch_keys = batch_pairs[:, 0] * len(self.documents) + batch_pairs[:, 1]
            rows = by_key[np.searchsorted(keys[by_key], batch_keys)]
            local = columns.take(rows, np.searchsorted(indices, batch_pairs))
            yield batches.ClusterTask(indices, self.texts_of(indices), local, self.config, detail)

    def verify_members(self, clusters: list[Cluster], verified: ScoreColumns, timings: dict[str, float]) -> ScoreColumns:
        """Scores of the pairs of each cluster's members not among ``verified``, by the workers (a
        cluster's provenance would score them itself, one cluster at a time); their time goes to ``timings``."""
        started = time.perf_counter()
        groups = [[m.index for m in c.members] for c in clusters]
        pairs = packing.pairs_not_in(groups, verified.pairs, len(self.documents))
        kept = verifying.kept_unit_files(self.units_folder) if self.units_folder is not None else ()
        done = verifying.verify_all(self._verify_tasks(pairs, kept_units=kept), self.pool, self.sizes, self.config.match)
        scores = verifying.joined_scores(list(done))
        timings["verify"] += time.perf_counter() - started
        return scores

    def cluster(
        self, story_pairs: ScoreColumns, detail: bool, spare: Callable[[], object] | None = None,
    ) -> tuple[list[tuple[Member, ...]], int]:
        """The clusters of the same-story pairs (largest first) and how many merges were
        refused; ``spare`` as :meth:`WorkerPool.map` takes it."""
        member_groups: list[tuple[Member, ...]] = []
        refused = 0
        stage_seconds = [0.0, 0.0]
        involved = len(sorted_distinct(story_pairs.pairs))
        finished = 0
        for result in self.pool.map(batches.cluster_batch, self._cluster_tasks(story_pairs, detail), spare=spare):
            member_groups.extend(result.clusters)
            refused += result.refused_merges
            for index, text in result.texts.items():
                self.documents[index] = self.documents[index].with_text(text)
            stage_seconds = [a + b for a, b in zip(stage_seconds, result.seconds)]
            finished += sum(len(members) for members in result.clusters)
            self.notify("cluster", finished, involved)
        # Wall time of the cluster pass, split by where the workers spent it.
        cluster_pass = time.perf_counter() - self.stages._last
        total_seconds = max(sum(stage_seconds), 1e-12)
        for stage, seconds in zip(("cluster", "diff"), stage_seconds):
            self.timings[stage] = cluster_pass * seconds / total_seconds
        member_groups.sort(key=lambda members: (-len(members), [m.index for m in members]))
        return member_groups, refused

    def clusters(self, member_groups: list[tuple[Member, ...]], story_pairs: list[PairScore]) -> list[Cluster]:
        """Each group of members as a cluster, with its id and the same-story pairs inside it."""
        cluster_of = {m.index: k for k, members in enumerate(member_groups) for m in members}
        pairs_of: list[list[PairScore]] = [[] for _ in member_groups]
        for score in story_pairs:
            k = cluster_of.get(score.first)
            if k is not None and cluster_of.get(score.second) == k:
                pairs_of[k].append(score)
        return [
            Cluster(cluster_id_of(self.documents[m.index].doc_id for m in members), members, tuple(group_pairs))
            for members, group_pairs in zip(member_groups, pairs_of)
        ]

    # -- the result -------------------------------------------------------------------------
    def result(
        self,
        candidates: Candidates,
        scores: list[PairScore],
        story_pairs: list[PairScore],
        clusters: list[Cluster],
        refused: int,
    ) -> ScanResult:
        documents, config = self.documents, self.config
        active = self.sizes > 0
        clustered = sum(len(c.members) for c in clusters)
        stats = {
            "documents": len(documents),
            "documents_without_content": int((~active).sum()),
            "candidate_pairs": len(candidates.pairs),
            "verified_pairs": len(scores),
            "same_story_pairs": len(story_pairs),
            "clusters": len(clusters),
            "clustered_documents": clustered,
            "singletons": len(documents) - clustered,
            "oversized_buckets": candidates.oversized_buckets,
            "near_copies_over_max_core": candidates.large_core_documents,
            "refused_hub_merges": refused,
            **self.stats,
        }
        if candidates.oversized_buckets:
            one = candidates.oversized_buckets == 1
            logger.warning(
                "%d LSH %s more than %d documents (%d documents in all) and %s not expanded into pairs",
                candidates.oversized_buckets, "bucket held" if one else "buckets held", config.lsh.max_bucket,
                candidates.oversized_documents, "was" if one else "were",
            )
        if candidates.large_core_documents:
            logger.warning(LARGE_CORE_WARNING, candidates.large_core_documents, config.lsh.max_core)
        problems = [
            Problem(documents[i].location, "empty", f"document {documents[i].doc_id!r} has no content besides boilerplate")
            for i in np.flatnonzero(~active)
        ]
        timings = {**self.timings, "lsh": self.stages.timings.get("lsh", 0.0), "verify": self.stages.timings["verify"]}
        ordered = {stage: timings[stage] for stage in ("read", "normalise", "signatures", "lsh", "verify", "cluster", "diff")}
        return ScanResult(documents, config, clusters, scores, problems, stats, ordered)


