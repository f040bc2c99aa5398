"""The batches a scan's workers run, and how candidate pairs are packed into them.

Pass 1 streams documents in batches of FINGERPRINT_BATCH (or FINGERPRINT_CHARS) through
normalisation, shingling and signatures. Pass 2 verifies candidate pairs in batches of about
VERIFY_BATCH documents (:mod:`dedup.verifying`): whole components of the candidate graph
packed together, and components larger than a batch cut into chunks of pairs (each pair
is scored on its own).
Pass 3 clusters (and, with detail, diffs) whole components of the same-story graph,
packed the same way, since no cluster or hub-guard decision ever crosses one
(:mod:`dedup.packing`). Batch contents never depend on the number of workers, so neither
does the output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from dedup.document import Document
from dedup.match.fingerprint import content_and_line_keys, content_text, fingerprint, fingerprint_and_words
from dedup.match.shingle import concat_ranges, sorted_distinct
from dedup.match.verify import PairScore, ScoreColumns, pair_array
from dedup.match.words import WordWeights, aligned_shares
from dedup.packing import chunks_of, pair_batches
from dedup.spools import FilePiece, SpooledPieces, SpooledTexts
from dedup.story.cluster import cluster_pairs, tfidf_topic_similarity
from dedup.story.diff import diff_clusters
from dedup.story.links import Link
from dedup.story.provenance import Provenance, analyse_cluster, summary_of
from dedup.story.result import Cluster, Member, ScanConfig, ScanResult
from dedup.text.segment import segment
from dedup.workers import WorkerPool

FINGERPRINT_BATCH = 2_000
# A fingerprint batch also closes at this many characters: a few hundred long pages are
# several batches, which every worker shares, rather than one that a single worker takes.
FINGERPRINT_CHARS = 1_000_000
VERIFY_BATCH = 2_000
# Members per task when a report asks for passages cluster by cluster (a deferred scan):
# the diff of one batch takes about 100 kB per member at its peak.
DETAIL_BATCH = 256
# A detail task's records from this many bytes on go back through a file beside the
# spooled texts (:class:`~dedup.spools.SpooledPieces`), not through the pool's pipe.
RECORDS_BESIDE_BYTES = 1 << 24
# A cluster of this many members or more, where workers would otherwise be idle, has its
# record written in parts by several (:meth:`Deferred._parts`).
SPLIT_MEMBERS = 64
# Shingles of the documents of one verification batch (their sets and texts are loaded
# together): a few long documents fill a batch long before VERIFY_BATCH documents do.
# Verification then looks the shingles of a batch's pairs up in chunks of bounded size
# (verify.LOOKUP_BUDGET), so that many pairs, as character shingles make, cost no more.
VERIFY_SHINGLES = 1 << 23
# Shingles of the two documents of each pair, added up over the pairs of one alignment
# batch: a pair costs far more to align than to verify, and the rewrites among a few
# hundred long pages are then several batches, which every worker shares.
ALIGN_PAIR_SHINGLES = 1 << 20


# (view, clusters with passages, their provenances, links of each cluster) -> each cluster's record text
RecordWriter = Callable[[ScanResult, list[Cluster], list[Provenance], dict[str, tuple[Link, ...]]], list[bytes | memoryview]]


@dataclass(frozen=True)
class FingerprintTask:
    texts: list[str]
    config: ScanConfig


@dataclass(frozen=True)
class FingerprintResult:
    signatures: np.ndarray
    shingles: np.ndarray  # the exact shingle sets, CSR with offsets
    offsets: np.ndarray
    seconds: tuple[float, float]  # normalise, shingles + signatures
    line_keys: np.ndarray  # keys of each document's short content lines (furniture candidates), CSR
    line_offsets: np.ndarray
    # each document's distinct words (dedup.match.words), CSR; empty when the scan does not
    # weigh words told in order
    word_sets: np.ndarray
    word_offsets: np.ndarray


def fingerprint_batch(task: FingerprintTask) -> FingerprintResult:
    started = time.perf_counter()
    config = task.config
    learn = config.furniture.enabled
    contents: list[str] = []
    keys: list[int] = []
    line_offsets = [0]
    for text in task.texts:
        content, short_keys = content_and_line_keys(text, config.boilerplate, config.fingerprint.ignore_quotes, keys=learn)
        contents.append(content)
        keys.extend(short_keys)
        line_offsets.append(len(keys))
    normalised = time.perf_counter()
    if config.match.aligned_evidence:
        prints, (word_sets, word_offsets) = fingerprint_and_words(contents, config.fingerprint)
    else:
        prints = fingerprint(contents, config.fingerprint)
        word_sets, word_offsets = np.zeros(0, dtype=np.uint64), np.zeros(len(contents) + 1, dtype=np.int64)
    return FingerprintResult(
        prints.signatures, prints.shingles, prints.offsets, (normalised - started, time.perf_counter() - normalised),
        np.array(keys, dtype=np.uint64), np.array(line_offsets, dtype=np.int64), word_sets, word_offsets,
    )


def rows_of(texts: list[str] | SpooledTexts, rows: np.ndarray) -> list[str]:
    """The texts at ``rows`` (read back from the spool when they lie there)."""
    return texts.subset(rows).load() if isinstance(texts, SpooledTexts) else [texts[r] for r in rows.tolist()]


@dataclass(frozen=True)
class AlignTask:
    """Pairs that shingles and passages do not show to be copies, to be aligned word by word."""

    indices: np.ndarray  # global document indices, sorted
    texts: list[str] | SpooledTexts
    pairs: np.ndarray  # (n, 2) local indices
    config: ScanConfig
    weights: WordWeights


def align_all(
    pool: WorkerPool, texts_of: Callable[[np.ndarray], list[str] | SpooledTexts], sizes: np.ndarray,
    config: ScanConfig, weights: WordWeights, pairs: np.ndarray,
) -> np.ndarray:
    """:func:`align_batch` over ``pairs`` (global indices, any number), in batches packed
    like verification's and cut at :data:`ALIGN_PAIR_SHINGLES`; one row per pair, in the
    order of ``pairs`` (each pair is aligned on its own, so the cuts change no row)."""
    sent: list[np.ndarray] = []

    def tasks() -> Iterator[AlignTask]:
        for _, packed in pair_batches(pairs, VERIFY_BATCH, True, sizes, max_cost=VERIFY_SHINGLES):
            cost_ends = np.cumsum(sizes[packed].sum(axis=1))
            for lo, hi in chunks_of(0, len(packed), len(packed), cost_ends, ALIGN_PAIR_SHINGLES):
                batch_pairs = packed[lo:hi]
                indices = sorted_distinct(batch_pairs)
                sent.append(batch_pairs)
                yield AlignTask(indices, texts_of(indices), np.searchsorted(indices, batch_pairs), config, weights)

    found: dict[tuple[int, int], np.ndarray] = {}
    for k, measured in enumerate(pool.map(align_batch, tasks())):
        found.update(zip(map(tuple, sent[k].tolist()), measured))
    return np.array([found[pair] for pair in map(tuple, pairs.tolist())]).reshape(-1, 3)


def align_batch(task: AlignTask) -> np.ndarray:
    """The aligned shares and order gain of each pair (:func:`dedup.match.words.aligned_shares`)."""
    config = task.config
    rows = sorted_distinct(task.pairs)
    contents = [content_text(t, config.boilerplate, config.fingerprint.ignore_quotes) for t in rows_of(task.texts, rows)]
    local = np.searchsorted(rows, task.pairs)
    return aligned_shares(contents, local, task.weights, config.fingerprint.minhash.seed, config.match)


@dataclass(frozen=True)
class ClusterTask:
    indices: np.ndarray  # global document indices, sorted
    texts: list[str] | SpooledTexts
    scores: list[PairScore] | ScoreColumns  # same-story pairs, local indices
    config: ScanConfig
    detail: bool


@dataclass(frozen=True)
class ClusterResult:
    clusters: list[tuple[Member, ...]]  # global indices
    texts: dict[int, str]  # texts of clustered documents (with detail)
    refused_merges: int
    seconds: tuple[float, float]  # cluster, diff


def cluster_batch(task: ClusterTask) -> ClusterResult:
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
        clusters, clustered_texts = _detail(groups, texts(), to_global, config)
    else:
        clusters = [tuple(Member(to_global[i], None, ()) for i in group) for group in groups]
        clustered_texts = {}
    return ClusterResult(
        clusters, clustered_texts, len(clustering.refused_merges),
        (clustered - started, time.perf_counter() - clustered),
    )


def _detail(
    groups: list[list[int]], texts: Sequence[str], to_global: list[int], config: ScanConfig
) -> tuple[list[tuple[Member, ...]], dict[int, str]]:
    """Segment the members of each group (local indices into ``texts``) and diff each group."""
    segmentations = {i: segment(texts[i], config.boilerplate) for group in groups for i in group}
    diffs = diff_clusters([([texts[i] for i in group], [segmentations[i].passages for i in group]) for group in groups], config.diff)
    clusters = [
        tuple(Member(to_global[i], segmentations[i], tuple(d)) for i, d in zip(group, group_diffs))
        for group, group_diffs in zip(groups, diffs)
    ]
    return clusters, {to_global[i]: texts[i] for group in groups for i in group}


@dataclass(frozen=True)
class DetailTask:
    """Clusters whose passages a report asks for after the scan (a deferred scan).

    ``documents`` are the members (global index to document, without text); ``texts``
    are the texts of ``indices`` (global, sorted); ``pairs`` are the verified pairs among
    the members, which the provenance analysis reads.
    """

    clusters: list[Cluster]
    indices: np.ndarray
    texts: list[str] | SpooledTexts
    documents: dict[int, Document]
    pairs: list[PairScore] | ScoreColumns  # columns: cheap to send; the worker makes the PairScores
    config: ScanConfig
    # Set when the report's records are written here too: ``write(view, clusters,
    # provenances, links)`` gives each cluster's text, ``links`` the outside documents
    # linked to each (whose documents, without text, are in ``documents`` too).
    write: RecordWriter | None = None
    links: dict[str, tuple[Link, ...]] = field(default_factory=dict)
    # a worker's task: records of at least this many bytes in all go back by file
    records_beside: int | None = None
    # the clusters go without their pairs, which are these rows of ``pairs`` (one array each)
    cluster_pairs: tuple[np.ndarray, ...] | None = None
    # ``(k, n)``: the task writes part k of n of its one cluster's record, in pieces (``write(..., part=)``)
    part: tuple[int, int] | None = None


@dataclass(frozen=True)
class DetailResult:
    clusters: list[Cluster]  # with their members' passages; as they came when records are written
    texts: dict[int, str]  # empty when records are written
    provenances: list[Provenance]  # only their summaries when records are written
    records: list[bytes | memoryview] | SpooledPieces | None = None  # UTF-8
    part: tuple[int, int] | None = None  # the task's


def detail_batch(task: DetailTask) -> DetailResult:
    """Segment and diff the members of each cluster of ``task``, as a scan with detail
    does, and analyse each cluster's provenance."""
    texts = task.texts.load() if isinstance(task.texts, SpooledTexts) else task.texts
    local = {index: k for k, index in enumerate(task.indices.tolist())}
    groups = [[local[m.index] for m in cluster.members] for cluster in task.clusters]
    members, clustered_texts = _detail(groups, texts, task.indices.tolist(), task.config)
    pairs = task.pairs.scores() if isinstance(task.pairs, ScoreColumns) else task.pairs
    clusters = [replace(cluster, members=group) for cluster, group in zip(task.clusters, members)]
    if task.cluster_pairs is not None:
        clusters = [
            replace(cluster, pairs=tuple(map(pairs.__getitem__, rows.tolist())))
            for cluster, rows in zip(clusters, task.cluster_pairs)
        ]
    # the provenance analysis reads documents by global index: only these are there (and
    # the outside documents linked to the clusters, without text, when records are written)
    documents = {i: doc.with_text(clustered_texts.get(i, "")) for i, doc in task.documents.items()}
    view = ScanResult(documents, task.config, clusters, pairs, [], {})  # type: ignore[arg-type]
    known = {(s.first, s.second): s for s in pairs}
    provenances = [analyse_cluster(view, cluster, known) for cluster in clusters]
    if task.write is None:
        return DetailResult(clusters, clustered_texts, provenances)
    # The records go back as text: far cheaper to send than passages and provenances.
    if task.part is None:
        records = task.write(view, clusters, provenances, task.links)
    else:
        records = task.write(view, clusters, provenances, task.links, part=task.part)
    summaries = [summary_of(p) for p in provenances]
    beside = task.records_beside
    if beside is not None and isinstance(task.texts, SpooledTexts) and sum(map(len, records)) >= beside:
        return DetailResult(task.clusters, {}, summaries, SpooledPieces.beside(task.texts, records), task.part)
    if beside is not None:  # back through the pool's pipe: views of the encoder's text do not pickle
        records = [bytes(record) for record in records]
    return DetailResult(task.clusters, {}, summaries, records, task.part)


class Deferred:
    """The passages, provenance and records of a deferred scan's clusters, made on demand.

    A report asks for them cluster by cluster after the scan; they are made in the
    workers, a batch of clusters at a time, from the texts read back with ``texts_of``.
    """

    def __init__(
        self, documents: list[Document], verified: ScoreColumns, config: ScanConfig, pool: WorkerPool,
        texts_of: Callable[[np.ndarray], list[str] | SpooledTexts],
    ) -> None:
        self.documents, self.verified, self.config, self.pool, self.texts_of = documents, verified, config, pool, texts_of

    @staticmethod
    def _cluster_chunks(clusters: Sequence[Cluster]) -> Iterator[list[Cluster]]:
        """Consecutive clusters of at most :data:`DETAIL_BATCH` members in all, or one larger
        cluster: a large cluster is a task of its own, so that two go to two workers."""
        chunk: list[Cluster] = []
        size = 0
        for cluster in clusters:
            if chunk and size + len(cluster.members) > DETAIL_BATCH:
                yield chunk
                chunk, size = [], 0
            chunk.append(cluster)
            size += len(cluster.members)
        if chunk:
            yield chunk

    def _pairs_by_first(self) -> tuple[ScoreColumns, np.ndarray, np.ndarray]:
        """The verified pairs as columns, their rows by first document (in their order
        within one), and the first document of each of those rows."""
        columns = self.verified
        by_first = np.argsort(columns.pairs[:, 0], kind="stable")
        return columns, by_first, columns.pairs[by_first, 0]

    def _detail_task(
        self, clusters: list[Cluster], by_first: tuple[ScoreColumns, np.ndarray, np.ndarray],
        write: RecordWriter | None = None, links: dict[str, tuple[Link, ...]] | None = None,
    ) -> DetailTask:
        members = sorted(m.index for cluster in clusters for m in cluster.members)
        indices = np.asarray(members, dtype=np.int64)
        # the pairs among the members, by first member, each first's in the order verified
        columns, order, firsts = by_first
        starts = np.searchsorted(firsts, indices)
        rows = order[concat_ranges(starts, np.searchsorted(firsts, indices, side="right") - starts)]
        member = np.zeros(len(self.documents), dtype=bool)
        member[indices] = True
        rows = rows[member[columns.pairs[rows, 1]]]
        pairs = columns.take(rows, columns.pairs[rows])
        documents = {i: self.documents[i].with_text("") for i in members}
        # each cluster's pairs go as rows of those: pickling tens of thousands of PairScores held up the task
        keys = pairs.pairs[:, 0] * len(self.documents) + pairs.pairs[:, 1]
        order = np.argsort(keys)
        cluster_pairs = []
        for cluster in clusters:
            wanted = pair_array(cluster.pairs)
            cluster_pairs.append(order[np.searchsorted(keys[order], wanted[:, 0] * len(self.documents) + wanted[:, 1])])
        bare = [replace(cluster, pairs=()) for cluster in clusters]
        task = DetailTask(bare, indices, self.texts_of(indices), documents, pairs, self.config,
                          cluster_pairs=tuple(cluster_pairs))
        if write is None:
            return task
        links = links or {}
        mine = {c.cluster_id: links[c.cluster_id] for c in clusters if c.cluster_id in links}
        for link in (link for found in mine.values() for link in found):
            documents.setdefault(link.doc, self.documents[link.doc].with_text(""))
        beside = RECORDS_BESIDE_BYTES if self.pool.jobs > 1 else None
        return replace(task, write=write, links=mine, records_beside=beside)

    def details(self, clusters: Sequence[Cluster]) -> Iterator[tuple[Cluster, dict[int, str], Provenance]]:
        """Each of ``clusters`` with its members' passages and texts, and its provenance, in order.

        The clusters go to the workers a batch at a time (the pool keeps a few ahead), so
        only the batches in flight hold texts and passages.
        """
        by_first = self._pairs_by_first()
        tasks = (self._detail_task(chunk, by_first) for chunk in self._cluster_chunks(clusters))
        for done in self.pool.map(detail_batch, tasks):
            for cluster, provenance in zip(done.clusters, done.provenances):
                yield cluster, {m.index: done.texts[m.index] for m in cluster.members}, provenance

    def records(
        self, clusters: Sequence[Cluster], links: dict[str, tuple[Link, ...]], write: RecordWriter,
        *, in_files: bool = False, spare: Callable[[], object] | None = None, parts: bool = False,
    ) -> Iterator[tuple[bytes | memoryview | FilePiece | tuple[bytes | memoryview | FilePiece, ...], Provenance]]:
        """Each cluster's record text (UTF-8), written in the workers by ``write``, and its provenance
        summary (:func:`~dedup.story.provenance.summary_of`), in order.

        The workers send back text, not the passages and provenances they made: the main
        process only writes. With ``in_files``, a large record that a worker left in a file
        comes as that :class:`~dedup.spools.FilePiece`, which the caller takes before it
        asks for the next record. ``spare()`` is called once a worker has no record left
        to make while this process waits (:meth:`WorkerPool.map`). With ``parts`` (``write``
        takes ``part=(k, n)``: :func:`~dedup.report.records.encoded_records`), a large
        cluster that would leave workers idle is written by several, and its record comes
        as a tuple of the parts they wrote (:meth:`_parts`).
        """
        by_first = self._pairs_by_first()
        chunks = list(self._cluster_chunks(clusters))
        split = self._parts(chunks) if parts else {}

        def tasks() -> Iterator[DetailTask]:
            for number, chunk in enumerate(chunks):
                task = self._detail_task(chunk, by_first, write, links)
                count = split.get(number, 1)
                yield from [task] if count == 1 else (replace(task, part=(k, count)) for k in range(count))

        made: list[bytes | memoryview | FilePiece] = []
        for done in self.pool.map(detail_batch, tasks(), spare=spare):
            records = done.records
            if isinstance(records, SpooledPieces):
                records = records.in_file() if in_files else records.take()  # type: ignore[assignment]
            if done.part is None:
                yield from zip(records, done.provenances, strict=True)  # type: ignore[arg-type]
                continue
            made.extend(records)  # type: ignore[arg-type]
            if done.part[0] == 0:
                summary = done.provenances[0]
            if done.part[0] == done.part[1] - 1:
                yield tuple(made), summary
                made = []

    def _parts(self, chunks: list[list[Cluster]]) -> dict[int, int]:
        """Which of ``chunks`` to write in parts, and in how many: where there are fewer
        chunks than workers, the largest, if it is one cluster of at least
        :data:`SPLIT_MEMBERS` members, in as many parts as leave no worker idle. Each part's
        worker repeats the cluster's analysis (segmentation, diff, provenance: the same
        for all) and writes its share of the members, which for a story told by hundreds
        of sites is much of the cluster's time (every passage names its counterpart in
        each other member)."""
        idle = self.pool.jobs - len(chunks)
        if idle <= 0 or not chunks:
            return {}
        sizes = [sum(len(cluster.members) for cluster in chunk) for chunk in chunks]
        largest = sizes.index(max(sizes))
        if len(chunks[largest]) > 1 or sizes[largest] < SPLIT_MEMBERS:
            return {}
        return {largest: idle + 1}


def load_kernels() -> None:
    """Load the compiled kernels (:func:`dedup.match.kernels.warm`) in this process, and
    scipy's sparse matrices, which verification and the diff multiply. A worker forked
    from the fork server has both already (:mod:`dedup.forked`), and this costs it nothing;
    a spawned one (other platforms) and the main process load them here."""
    import scipy.sparse  # noqa: F401

    from dedup.match.kernels import warm

    warm()
