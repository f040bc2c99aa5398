"""The public Python API; ``dedup`` re-exports every name in ``__all__``.

    >>> import dedup, pandas
    >>> report = dedup.scan(pandas.read_json("feed.jsonl", lines=True))  # doctest: +SKIP
    >>> report.members_frame().query("representative")                   # doctest: +SKIP

:func:`scan` and :func:`compare` take records in any form: a path (file or folder) or a
list of them, an iterable of dicts, or a pandas DataFrame (columns ``id``, ``text`` and
optionally ``title``, ``source``, ``url``, ``published``; other names through
``id_field``/``text_field`` or ``config.read.fields``). They return a
:class:`~dedup.report.objects.ScanReport`. :class:`Index` is the incremental story index
with the same inputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any, Literal, Union

from dedup.document import Document, Problem
from dedup.errors import DedupError, IncompatibleDataError, InputError, MissingDependencyError, ParameterError
from dedup.index import Assignment, PruneReport, StoryIndex, open_index
from dedup.io import FieldMap, InputReader, ReadOptions
from dedup.io.memory import RecordSource, is_data_frame
from dedup.pipeline import Progress, scan_documents
from dedup.pipeline import compare as _compare
from dedup.pipeline import scan as _scan
from dedup.report import render
from dedup.report.objects import ClusterRecord, MemberRecord, PairRecord, ScanReport
from dedup.story.result import Cluster, Member, ScanConfig, ScanResult

# A path, a list of paths, an iterable of dicts, or a pandas DataFrame.
Records = Union[str, "PathLike[str]", Iterable[Union[str, "PathLike[str]"]], Iterable[Mapping[str, Any]], Any]


def _inputs(records: Records) -> list[str | Path | RecordSource]:
    """``records`` as reader inputs: paths as they are, in-memory records as one source."""
    if isinstance(records, (str, PathLike)):
        return [Path(records)]
    if is_data_frame(records):
        return [RecordSource(records, "<DataFrame>")]
    if isinstance(records, Mapping):
        raise ParameterError("pass a list of records (dicts), not a single record")
    if isinstance(records, (bytes, bytearray)):
        raise ParameterError("pass paths, records (dicts) or a DataFrame, not bytes")
    items: Iterator[Any] = iter(records)
    first = next(items, None)
    if first is None:
        return []
    items = itertools.chain([first], items)
    if isinstance(first, (str, PathLike)):
        return [Path(item) for item in items]
    return [RecordSource(items)]


def _read_options(
    base: ReadOptions, id_field: str | None, text_field: str | None, html_field: str | None
) -> ReadOptions:
    fields = base.fields
    if id_field is not None:
        fields = replace(fields, id=id_field)
    if text_field is not None:
        fields = replace(fields, text=text_field)
    return replace(base, fields=fields, html_field=html_field if html_field is not None else base.html_field)


def _configured(config: ScanConfig | None, id_field: str | None, text_field: str | None,
                html_field: str | None) -> ScanConfig:
    config = config or ScanConfig()
    return replace(config, read=_read_options(config.read, id_field, text_field, html_field))


def scan(
    records: Records,
    config: ScanConfig | None = None,
    *,
    id_field: str | None = None,
    text_field: str | None = None,
    html_field: str | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> ScanReport:
    """Group the copies of one story among ``records``; see the module docstring for the inputs.

    ``id_field``, ``text_field`` and ``html_field`` override ``config.read`` (dotted
    paths reach nested fields: ``text_field="_source.text"``). Skipped records are in
    ``report.problems``. ``jobs`` worker processes share the work; the result does not
    depend on it.
    """
    config = _configured(config, id_field, text_field, html_field)
    return ScanReport(_scan(_inputs(records), config, progress=progress, jobs=jobs))  # type: ignore[arg-type]


def compare(
    records: Records,
    config: ScanConfig | None = None,
    *,
    id_field: str | None = None,
    text_field: str | None = None,
    html_field: str | None = None,
) -> ScanReport:
    """Like :func:`scan` on a few chosen documents, but every pair is verified (no LSH)."""
    config = _configured(config, id_field, text_field, html_field)
    return ScanReport(_compare(_inputs(records), config))  # type: ignore[arg-type]


PruneBy = Literal["published", "ingested"]


class Index:
    """The incremental story index (a SQLite file, or a name in Redis with ``store``).

    >>> with dedup.Index("stories.db") as index:          # doctest: +SKIP
    ...     for assignment in index.add("feed.jsonl"):
    ...         print(assignment.doc_id, assignment.story, assignment.status)

    ``config`` sets the parameters of a new index and must match an existing one's
    fingerprint parameters; leave it out to use the index's own. ``read`` says how
    records are read (field names, on_error…). Wraps :func:`dedup.index.open_index`.
    """

    def __init__(self, name: str | PathLike[str], store: str | None = None, config: ScanConfig | None = None,
                 read: ReadOptions | None = None) -> None:
        self.index: StoryIndex = open_index(str(name), store, config)
        self.read = read or (config.read if config is not None else ReadOptions())
        self.problems: list[Problem] = []

    def _documents(self, records: Records, id_field: str | None, text_field: str | None,
                   html_field: str | None) -> Iterator[Document]:
        reader = InputReader(_read_options(self.read, id_field, text_field, html_field))
        self.problems = reader.problems  # the same list, filled as the records are read
        return reader.read(_inputs(records))

    def add(self, records: Records, *, batch_size: int = 256, id_field: str | None = None,
            text_field: str | None = None, html_field: str | None = None) -> list[Assignment]:
        """Add ``records`` in their order; each lands in a story (see ``Assignment.status``)."""
        documents = self._documents(records, id_field, text_field, html_field)
        return list(self.index.add(documents, batch_size=batch_size))

    def query(self, records: Records, *, id_field: str | None = None, text_field: str | None = None,
              html_field: str | None = None) -> list[Assignment]:
        """Where ``records`` would go, without adding them."""
        return list(self.index.query(self._documents(records, id_field, text_field, html_field)))

    def export(self) -> ScanReport:
        """The stories of two or more articles as a scan report."""
        return ScanReport(self.index.export())

    def prune(self, older_than: float, by: PruneBy = "published", now: float | None = None) -> PruneReport:
        """Remove articles older than ``older_than`` seconds (by published or ingested time)."""
        return self.index.prune(older_than, by=by, now=now)

    def stats(self) -> dict[str, object]:
        return self.index.stats()

    def check(self) -> list[str]:
        """Consistency problems of the stored index (none for a healthy one)."""
        return self.index.check()

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "Assignment", "Cluster", "ClusterRecord", "DedupError", "Document", "FieldMap", "IncompatibleDataError", "Index",
    "InputError", "Member", "MemberRecord", "MissingDependencyError", "PairRecord", "ParameterError", "Problem",
    "PruneReport", "ReadOptions", "Records", "ScanConfig", "ScanReport", "ScanResult", "StoryIndex", "compare",
    "open_index", "render", "scan", "scan_documents",
]
