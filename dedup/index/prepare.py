"""Fingerprinting batches of articles for the index, in this process or in workers.

:func:`prepare_batch` turns a batch of documents into :class:`Prepared` articles (content
text, shingles, signature, band keys) and, when asked, their sentence units too. It is a
top-level function of picklable arguments, so that ``dedup index add --jobs N`` runs it in
worker processes (:class:`dedup.workers.WorkerPool`) on the next batches while the main
process matches and writes the current one. The units let the main process score a
batch's plausible pairs without segmenting the batch's own articles again: workers build
them for every article (a few never need them), the main process only for the indexed
articles a batch is verified against. :func:`gather_units` assembles the units of chosen
documents from such batches, as :func:`dedup.match.verify.build_unit_sets` would give them.

A worker sends a batch back as columns (:class:`PreparedColumns`): the batch's shingles,
signatures, band keys and line keys each as one array, and not its documents, which the
process that sent them keeps (:meth:`PreparedColumns.batch`). As an object per article,
each with its document and three arrays, a batch of 1,000 articles was 11.8 MB to pickle
and 25 ms for the main process to load, in the pool's thread that competes with it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.document import Document
from dedup.index.records import Prepared, parse_time
from dedup.match.fingerprint import Fingerprints, content_and_line_keys, fingerprint
from dedup.match.lsh import band_keys
from dedup.match.verify import UnitSets, build_unit_sets
from dedup.story.result import ScanConfig


def document_batches(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    batch: list[Document] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _fingerprints(
    documents: Sequence[Document], config: ScanConfig, bands: int, rows: int, line_keys: list[np.ndarray] | None = None
) -> tuple[Fingerprints, np.ndarray]:
    """The fingerprints and band keys of a batch of documents; ``line_keys``, when given,
    receives the keys of each document's short content lines (the lines that may be furniture)."""
    contents = []
    for doc in documents:
        content, keys = content_and_line_keys(doc.text, config.boilerplate, config.fingerprint.ignore_quotes,
                                              keys=line_keys is not None)
        contents.append(content)
        if line_keys is not None:
            line_keys.append(np.unique(np.array(keys, dtype=np.uint64)))
    prints = fingerprint(contents, config.fingerprint)
    keys = band_keys(prints.signatures, bands, rows) if len(documents) else np.zeros((0, bands), np.uint64)
    return prints, keys


def _articles(
    documents: Sequence[Document], prints: Fingerprints, keys: np.ndarray, published: Sequence[float | None]
) -> list[Prepared]:
    no_keys = np.zeros(0, dtype=np.uint64)
    sizes = prints.sizes.tolist()
    return [
        Prepared(doc, prints.signatures[k], prints.shingle_set(k), keys[k] if sizes[k] > 0 else no_keys, published[k])
        for k, doc in enumerate(documents)
    ]


def prepare_documents(documents: Sequence[Document], config: ScanConfig, bands: int, rows: int) -> list[Prepared]:
    """Fingerprint a batch of documents in one go."""
    prints, keys = _fingerprints(documents, config, bands, rows)
    return _articles(documents, prints, keys, [parse_time(doc.published) for doc in documents])


@dataclass(frozen=True)
class PrepareTask:
    documents: list[Document]
    config: ScanConfig
    bands: int
    rows: int
    units: bool  # also build every article's sentence units


@dataclass(frozen=True)
class PreparedBatch:
    articles: list[Prepared]
    units: UnitSets | None  # of every article, in order, when the task asked for them
    line_keys: list[np.ndarray]  # each article's short content-line keys, when the index learns furniture
    config: ScanConfig  # what the batch was fingerprinted with


@dataclass(frozen=True)
class PreparedColumns:
    """A :class:`PreparedBatch` without its documents, its arrays one per batch."""

    prints: Fingerprints
    keys: np.ndarray  # (articles, bands) band keys; an article without content has none
    published: list[float | None]
    units: UnitSets | None
    line_keys: np.ndarray  # every article's short content-line keys, one after another
    line_offsets: np.ndarray | None  # where each article's keys start; None when the index learns no furniture
    config: ScanConfig

    def batch(self, documents: Sequence[Document]) -> PreparedBatch:
        """The batch of ``documents``, the task's own, in its order."""
        articles = _articles(documents, self.prints, self.keys, self.published)
        bounds = [] if self.line_offsets is None else self.line_offsets.tolist()
        line_keys = [self.line_keys[start:end] for start, end in zip(bounds, bounds[1:])]
        return PreparedBatch(articles, self.units, line_keys, self.config)


def prepare_batch(task: PrepareTask) -> PreparedColumns:
    learns = task.config.furniture.enabled
    line_keys: list[np.ndarray] = []
    prints, keys = _fingerprints(task.documents, task.config, task.bands, task.rows, line_keys if learns else None)
    units = None
    if task.units:
        units = build_unit_sets([d.text for d in task.documents], task.config.fingerprint, task.config.boilerplate)
    offsets = None
    if learns:
        offsets = np.zeros(len(line_keys) + 1, dtype=np.int64)
        np.cumsum([len(k) for k in line_keys], out=offsets[1:])
    flat = np.concatenate(line_keys) if line_keys else np.zeros(0, dtype=np.uint64)
    published = [parse_time(doc.published) for doc in task.documents]
    return PreparedColumns(prints, keys, published, units, flat, offsets, task.config)


def gather_units(chosen: Sequence[tuple[UnitSets, int]]) -> UnitSets:
    """The units of documents ``(units, document number in them)``, in that order, as one batch."""
    spans, hashes, sizes = [], [], []
    for units, doc in chosen:
        first, last = units.doc_offsets[doc], units.doc_offsets[doc + 1]
        spans.append(units.spans[doc])
        hashes.append(units.hashes[units.offsets[first] : units.offsets[last]])
        sizes.append(np.diff(units.offsets[first : last + 1]))
    offsets = np.zeros(sum(len(s) for s in sizes) + 1, dtype=np.int64)
    if len(offsets) > 1:
        np.cumsum(np.concatenate(sizes), out=offsets[1:])
    doc_offsets = np.zeros(len(chosen) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in spans], out=doc_offsets[1:])
    merged = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    return UnitSets(merged.astype(np.uint64, copy=False), offsets, doc_offsets, tuple(spans))


class UnitCache:
    """Sentence units of recently matched articles, least recently used dropped past ``size``.

    Keyed by ``(id, seq)``: an indexed article's text never changes under its seq, and a
    pruned and re-added id gets a new one. Values are ``(units, document number in them)``.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.held: OrderedDict[tuple[str, int], tuple[UnitSets, int]] = OrderedDict()

    def get(self, key: tuple[str, int]) -> tuple[UnitSets, int] | None:
        found = self.held.get(key)
        if found is not None:
            self.held.move_to_end(key)
        return found

    def put(self, key: tuple[str, int], value: tuple[UnitSets, int]) -> None:
        self.held[key] = value
        self.held.move_to_end(key)
        while len(self.held) > self.size:
            self.held.popitem(last=False)
