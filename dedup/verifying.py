"""The verification pass's batches: exact scores of candidate pairs, in the workers.

Candidate pairs are packed into batches of about :data:`~dedup.batches.VERIFY_BATCH`
documents (:mod:`dedup.packing`); each is a :class:`VerifyTask` that
:func:`verify_batch` scores. Where there are fewer batches than workers, a large one is
shared: each worker looks for the sentences of some of its documents
(:func:`shared_batches`, :func:`split_batch`) and the parts merge
(:func:`merged_batches`).

A deferred scan verifies twice: the candidates, then, once the clusters are known, the
pairs of each cluster's members that LSH never proposed. Both build the sentence units of
mostly the same documents, which is most of the work of the second; where it is one of a
few batches, the first leaves the units it built in files in the scan's spool folder
(:func:`keep_units`, numbers only, written by numpy without pickle, gone with the
folder), and the second reads them back (:func:`units_of`).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dedup.batches import VERIFY_BATCH, VERIFY_SHINGLES, rows_of
from dedup.index.prepare import gather_units
from dedup.match.fingerprint import content_text, unique_per_text
from dedup.match.shingle import shingle_hashes
from dedup.match.verify import (
    MatchConfig,
    PartialScores,
    ScoreColumns,
    UnitSets,
    build_unit_sets,
    merge_partial_scores,
    score_pair_batch,
)
from dedup.spools import SpooledSets, SpooledTexts, temporary_files_error
from dedup.story.result import ScanConfig
from dedup.workers import WorkerPool

# Candidate pairs from which a scan loads the compiled kernels in a worker left idle by
# verification (below, loading them may cost more than the few calls it saves).
LOAD_KERNELS_PAIRS = 1_000
# Documents from which the workers load them once fingerprinting is done, while the main
# process finds the candidates, where verification may be fewer batches than workers (which
# then share them, and need the kernels).
LOAD_KERNELS_DOCUMENTS = 200


@dataclass(frozen=True)
class VerifyTask:
    indices: np.ndarray  # global document indices, sorted
    texts: list[str] | SpooledTexts
    # the documents' shingle sets: spooled, in memory (CSR values and offsets, as Spark
    # executors hold them), or None to make them from the texts
    shingles: SpooledSets | tuple[np.ndarray, np.ndarray] | None
    pairs: np.ndarray  # (n, 2) local indices
    signatures: np.ndarray
    config: ScanConfig
    # a part of a batch that workers share: the local documents whose sentences it looks for
    unit_docs: np.ndarray | None = None
    # the folder the sentence units it builds are left in (keep_units), and the files of
    # units left there by earlier batches, read instead of building them again (units_of)
    keep_units: str | None = None
    kept_units: tuple[str, ...] = ()


def verify_batch(task: VerifyTask) -> ScoreColumns | PartialScores:
    """Exact scores of one batch of candidate pairs (or of its part, :func:`split_batch`)."""
    config = task.config
    if isinstance(task.shingles, SpooledSets):
        hashes, offsets = task.shingles.load()
    elif task.shingles is not None:
        hashes, offsets = task.shingles
    else:
        contents = [content_text(t, config.boilerplate, config.fingerprint.ignore_quotes) for t in task.texts]
        hashes, offsets = shingle_hashes(contents, config.fingerprint.shingle, seed=config.fingerprint.minhash.seed)
        hashes, offsets = unique_per_text(hashes, offsets)

    def units_for(rows: np.ndarray) -> tuple[UnitSets, np.ndarray]:
        # Only the documents of plausible pairs need their texts, for sentence evidence.
        def build(at: np.ndarray) -> UnitSets:
            return build_unit_sets(rows_of(task.texts, rows[at]), config.fingerprint, config.boilerplate)

        docs = task.indices[rows]
        units = units_of(docs, task.kept_units, build) if task.kept_units else build(np.arange(len(rows)))
        if task.keep_units is not None:
            keep_units(task.keep_units, docs, units)
        unit_row = np.full(len(task.indices), -1, dtype=np.int64)
        unit_row[rows] = np.arange(len(rows))
        return units, unit_row

    scored = score_pair_batch(task.pairs, hashes, offsets, task.signatures, units_for, config.match,
                              unit_docs=task.unit_docs)
    if isinstance(scored, PartialScores):
        return replace(scored, columns=replace(scored.columns, pairs=task.indices[scored.columns.pairs]))
    return replace(scored, pairs=task.indices[scored.pairs])  # global indices


# A verification batch of at least this many documents is shared by the workers that would
# otherwise wait for it (split_batch).
SPLIT_VERIFY_DOCUMENTS = 100


def shared_batches(
    tasks: Iterator[VerifyTask], jobs: int, sizes: np.ndarray, parts: deque[int]
) -> Iterator[VerifyTask]:
    """``tasks``, each of :data:`SPLIT_VERIFY_DOCUMENTS` documents or more split among the workers
    (:func:`split_batch`) where there are fewer tasks than ``jobs``; ``sizes``: the
    shingles of each document (global). ``parts`` gets how many tasks each batch became."""
    head = list(itertools.islice(tasks, jobs))
    share = jobs // len(head) if 0 < len(head) < jobs else 1
    for task in itertools.chain(head, tasks):
        split = [task]
        if share > 1 and len(task.indices) >= SPLIT_VERIFY_DOCUMENTS:
            split = split_batch(task, share, sizes[task.indices])
        parts.append(len(split))
        yield from split


def merged_batches(
    done: Iterable[ScoreColumns | PartialScores], parts: deque[int], config: MatchConfig
) -> Iterator[ScoreColumns]:
    """The scores of each batch, from :func:`verify_batch`'s results of the tasks
    :func:`shared_batches` made (in order), its parts merged."""
    batch: list[ScoreColumns | PartialScores] = []
    for part in done:
        batch.append(part)
        if len(batch) < parts[0]:
            continue
        parts.popleft()
        yield merge_partial_scores(batch, config) if isinstance(part, PartialScores) else part  # type: ignore[arg-type]
        batch = []


def few_batches(sizes: np.ndarray, jobs: int) -> bool:
    """Whether documents of ``sizes`` shingles, at least :data:`LOAD_KERNELS_DOCUMENTS` of
    them, may make fewer verification batches than ``jobs`` (:func:`shared_batches` then
    splits them): a large corpus makes many, and its workers need not load the kernels early."""
    return LOAD_KERNELS_DOCUMENTS <= len(sizes) < jobs * VERIFY_BATCH and int(sizes.sum()) < jobs * VERIFY_SHINGLES


def split_batch(task: VerifyTask, parts: int, sizes: np.ndarray) -> list[VerifyTask]:
    """``task`` as ``parts`` tasks that each look for the sentences of some of its documents
    in the other document of every pair: building sentence units and counting them is most
    of a batch, and each part does its share. Their scores merge to the batch's
    (:func:`~dedup.match.verify.merge_partial_scores`).

    A document costs its part about its shingles (``sizes``, of each local document) once
    to build its units, and once more for each pair it is in, where they are looked for:
    the parts are cut at about equal sums of ``sizes * (pairs + 1)``. (Cut by shingles
    alone, a part holding the pages of a 300-page story took a third longer than the part
    holding the unrelated pages of its batch, which the other waited for.)"""
    pairs_of = np.bincount(task.pairs.reshape(-1), minlength=len(sizes))
    ends = np.cumsum(np.asarray(sizes, dtype=np.float64) * (pairs_of + 1))
    cuts = np.searchsorted(ends, ends[-1] * np.arange(1, parts) / parts, side="right") if len(ends) else []
    bounds = [0, *sorted(set(int(c) for c in cuts) - {0, len(ends)}), len(ends)]
    tasks = []
    for lo, hi in itertools.pairwise(bounds):
        mask = np.zeros(len(ends), dtype=bool)
        mask[lo:hi] = True
        tasks.append(replace(task, unit_docs=mask))
    return tasks


# -- sentence units kept between two verifications ---------------------------------------
KEPT_UNITS_PREFIX = "units-"


def joined_scores(parts: Sequence[ScoreColumns]) -> ScoreColumns:
    """The rows of ``parts``, one after the other."""
    if not parts:
        return ScoreColumns.of([])
    names = ("pairs", "values", "counts", "same_story")
    return ScoreColumns(*(np.concatenate([getattr(part, name) for part in parts]) for name in names))


def verify_all(
    tasks: Iterator[VerifyTask], pool: WorkerPool, sizes: np.ndarray, config: MatchConfig,
    idle: Callable[[], object] | None = None,
) -> Iterator[ScoreColumns]:
    """The scores of each of ``tasks``, in order, a large batch shared by workers that would
    wait for it (``sizes``: each document's shingles, global)."""
    parts: deque[int] = deque()
    shared = shared_batches(tasks, pool.jobs, sizes, parts)
    head = list(itertools.islice(shared, pool.jobs))
    # a batch the workers share waits for them, however long they take to start
    wait = bool(parts) and parts[0] > 1
    return merged_batches(pool.map(verify_batch, itertools.chain(head, shared), idle, wait=wait), parts, config)


def keep_units(folder: str, docs: np.ndarray, units: UnitSets) -> None:
    """Leave ``units`` (of the global documents ``docs``) in a new file in ``folder``."""
    try:
        descriptor, path = tempfile.mkstemp(prefix=KEPT_UNITS_PREFIX, dir=folder)
        spans = np.array([span for found in units.spans for span in found], dtype=np.int64).reshape(-1, 2)
        with os.fdopen(descriptor, "wb") as out:
            for array in (np.asarray(docs, dtype=np.int64), units.hashes, units.offsets, units.doc_offsets, spans):
                np.save(out, array, allow_pickle=False)
    except OSError as exc:
        raise temporary_files_error(exc, os.path.dirname(folder)) from exc


def kept_unit_files(folder: str) -> tuple[str, ...]:
    """The files :func:`keep_units` left in ``folder``, in name order."""
    return tuple(sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.startswith(KEPT_UNITS_PREFIX)))


def _kept(path: str) -> tuple[np.ndarray, UnitSets]:
    with open(path, "rb") as kept:
        docs, hashes, offsets, doc_offsets, spans = (np.load(kept, allow_pickle=False) for _ in range(5))
    flat = list(map(tuple, spans.tolist()))
    per_doc = tuple(tuple(flat[lo:hi]) for lo, hi in itertools.pairwise(doc_offsets.tolist()))
    return docs, UnitSets(hashes, offsets, doc_offsets, per_doc)


def units_of(docs: np.ndarray, kept: Sequence[str], build: Callable[[np.ndarray], UnitSets]) -> UnitSets:
    """The sentence units of the global documents ``docs``, in order: read from the ``kept``
    files where they lie there, the others built by ``build(their positions in docs)``.
    The same units either way: a document's units depend on its text and the scan's
    configuration alone."""
    found: dict[int, tuple[UnitSets, int]] = {}
    for path in kept:
        file_docs, units = _kept(path)
        for k, doc in enumerate(file_docs.tolist()):
            found.setdefault(doc, (units, k))
    wanted = docs.tolist()
    missing = np.array([k for k, doc in enumerate(wanted) if doc not in found], dtype=np.int64)
    built = build(missing) if len(missing) else None
    made = iter(range(len(missing)))
    return gather_units([found[doc] if doc in found else (built, next(made)) for doc in wanted])  # type: ignore[misc]
