"""Parquet: row batches read with pyarrow, only the columns the field options name.

Memory holds one batch of rows at a time. Dotted field names reach into struct columns
(``--text-field _source.text`` reads the ``_source`` column). A problem names the file and
the row, counted from 1 (``news.parquet:1042``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from dedup.document import Document
from dedup.io.optional import require
from dedup.io.options import OPTIONAL_FIELDS
from dedup.io.records import Records

BATCH_ROWS = 1_024


def _column_of(field: str, columns: list[str]) -> str | None:
    """The top-level column that holds ``field``: the field itself, or the head of a dotted path."""
    if field in columns:
        return field
    head = field.split(".", 1)[0]
    return head if "." in field and head in columns else None


def read_parquet(records: Records, source: Path | IO[bytes], location: str) -> Iterator[Document]:
    """The documents of the rows of a Parquet file (a path, or a stream of a decompressed one)."""
    pq = require("pyarrow.parquet", "Parquet input", "parquet")
    pa = require("pyarrow", "Parquet input", "parquet")
    try:
        parquet = pq.ParquetFile(source)
    except (OSError, pa.ArrowException) as exc:
        records.problem(location, "unreadable", f"not a readable Parquet file ({exc})")
        return
    columns = list(parquet.schema_arrow.names)
    fields = records.options.fields
    content = records.options.html_field or fields.text
    wanted: set[str] = set()
    for field in (fields.id, content):
        column = _column_of(field, columns)
        if column is None:
            records.problem(location, "missing_field", f"no column {field!r} (columns: {', '.join(columns)})")
            return
        wanted.add(column)
    for name in OPTIONAL_FIELDS:
        column = _column_of(getattr(fields, name), columns)
        if column is not None:
            wanted.add(column)
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=[c for c in columns if c in wanted]):
            for record in batch.to_pylist():
                row += 1
                doc = records.record(record, f"{location}:{row}")
                if doc is not None:
                    yield doc
    except (OSError, pa.ArrowException) as exc:
        records.problem(f"{location}:{row + 1}", "unreadable", f"cannot read the rest of the Parquet file ({exc})")


__all__ = ["read_parquet"]
