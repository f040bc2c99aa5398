"""What Spark executors run to read: file bytes and DataFrame records in, read rows out.

Each file is read by the reader's own :meth:`~dedup.io.InputReader.read_file`, and each
DataFrame record goes through the readers' field mapping and checks (:class:`Records`),
so documents, ids and skipped records are those of ``dedup scan``. A read row is a
document (``kind`` empty) or a problem (``kind`` and ``message`` set), with its position
in the input (``_input, _file, _record``). No Spark import here: plain pandas functions.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from dedup.document import Document, Problem
from dedup.io import InputReader, ReadOptions
from dedup.io.records import Records
from dedup.spark.work import check_version

DOCUMENT_FIELDS = ("doc_id", "text", "title", "source", "url", "published", "location")
ORDER_FIELDS = ("_input", "_file", "_record")
READ_COLUMNS = (*DOCUMENT_FIELDS, *ORDER_FIELDS, "kind", "message")
# Rows of a read batch are handed back in frames of about this many.
READ_FLUSH = 2_000


def _storable(doc: Document) -> bool:
    """Spark strings are UTF-8: a lone surrogate (JSON allows "\\ud800") cannot be stored."""
    try:
        for value in (doc.doc_id, doc.text, doc.title, doc.source, doc.url, doc.published, doc.location):
            if value is not None:
                value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_rows(records: Records | InputReader, documents: Iterable[Document], order: tuple[int, str]) -> Iterator[tuple]:
    """Documents and problems of one input unit as read rows, in the order the reader met them."""
    seen = 0
    position = 0

    def problems_so_far() -> Iterator[tuple]:
        nonlocal seen, position
        for problem in records.problems[seen:]:
            yield (None, None, None, None, None, None, problem.location, *order, position, problem.kind, problem.message)
            position += 1
        seen = len(records.problems)

    for doc in documents:
        yield from problems_so_far()
        if _storable(doc):
            yield (doc.doc_id, doc.text, doc.title, doc.source, doc.url, doc.published, doc.location, *order, position,
                   None, None)
        else:
            message = f"document {doc.doc_id!r} holds a lone surrogate, which Spark strings cannot hold"
            yield (None, None, None, None, None, None, doc.location, *order, position, "encoding", message)
        position += 1
    yield from problems_so_far()


def _frames(rows: Iterable[tuple]) -> Iterator[pd.DataFrame]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= READ_FLUSH:
            yield pd.DataFrame(chunk, columns=list(READ_COLUMNS))
            chunk = []
    if chunk:
        yield pd.DataFrame(chunk, columns=list(READ_COLUMNS))


def read_files(batches: Iterable[pd.DataFrame], options: ReadOptions, version: str) -> Iterator[pd.DataFrame]:
    """Read rows of the files of a batch: columns ``_input, _file, name, location, doc_id, by_suffix, content``.

    Each file is copied to this executor's disk under its own name and read there by
    :meth:`InputReader.read_file`, exactly as ``dedup scan`` reads it (format by name,
    compression, ids, problems named by ``location``). Problems are collected, never
    raised: the driver applies ``on_error`` once it has them all.
    """
    check_version(version)
    skip = replace(options, on_error="skip")

    def rows() -> Iterator[tuple]:
        with tempfile.TemporaryDirectory(prefix="dedup-read-") as folder:
            for batch in batches:
                for file in batch.to_dict("records"):
                    copy = Path(folder) / file["name"]
                    copy.write_bytes(file["content"])
                    reader = InputReader(skip)
                    documents = reader.read_file(
                        copy, file["doc_id"], location=file["location"], by_suffix=bool(file["by_suffix"])
                    )
                    try:
                        yield from _read_rows(reader, documents, (int(file["_input"]), file["_file"]))
                    finally:
                        copy.unlink()

    yield from _frames(rows())


def check_records(
    batches: Iterable[pd.DataFrame], options: ReadOptions, columns: list[str], version: str
) -> Iterator[pd.DataFrame]:
    """Read rows of DataFrame records: the field columns plus ``_location, _input, _file, _record``.

    Each record goes through the readers' field mapping and checks (:class:`Records`), so
    missing ids, empty and oversized texts are skipped with the same messages as ``dedup scan``.
    """
    check_version(version)
    skip = replace(options, on_error="skip")

    def rows() -> Iterator[tuple]:
        for batch in batches:
            for row in batch.to_dict("records"):
                records = Records(skip)
                record = {name: row[name] for name in columns}
                doc = records.record(record, row["_location"])
                documents = records.checked([doc] if doc is not None else [])
                for out in _read_rows(records, documents, (int(row["_input"]), row["_file"])):
                    # one record per row: its position is the row's, not the count within it
                    yield (*out[:9], int(row["_record"]), *out[10:])

    yield from _frames(rows())


def duplicate_problems(
    batches: Iterable[pd.DataFrame], options: ReadOptions, version: str
) -> Iterator[pd.DataFrame]:
    """Problems for repeated ids: columns ``doc_id, location, first_location`` and the order columns.

    The message is the readers' own: the record checks are run on the first and the repeat.
    """
    check_version(version)
    skip = replace(options, on_error="skip")
    for batch in batches:
        out = []
        for row in batch.to_dict("records"):
            records = Records(skip)
            first = Document(row["doc_id"], "-", location=row["first_location"])
            repeat = Document(row["doc_id"], "-", location=row["location"])
            list(records.checked([first, repeat]))
            problem: Problem = records.problems[-1]
            out.append(
                (problem.location, problem.kind, problem.message, int(row["_input"]), row["_file"], int(row["_record"]))
            )
        yield pd.DataFrame(out, columns=["location", "kind", "message", *ORDER_FIELDS])


def content_problems(batches: Iterable[pd.DataFrame], version: str) -> Iterator[pd.DataFrame]:
    """``doc_index, doc_id, location`` of documents left without content -> problems, worded as ``dedup scan`` words them."""
    check_version(version)
    for batch in batches:
        yield pd.DataFrame(
            {
                "location": batch["location"],
                "kind": "empty",
                "message": [f"document {doc_id!r} has no content besides boilerplate" for doc_id in batch["doc_id"]],
                "_record": batch["doc_index"].to_numpy(np.int64),
            }
        )
