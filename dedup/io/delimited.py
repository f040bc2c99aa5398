"""CSV and TSV with a header row; each bad row is reported with the line it starts on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from dedup.document import Document
from dedup.io.records import Records


def read_delimited(records: Records, raw: bytes, name: str, delimiter: str) -> Iterator[Document]:
    """The documents of the rows of ``raw``, fields named by the header row."""
    text = records.decode(raw, name)
    if text is None:
        return
    csv.field_size_limit(max(records.options.max_chars * 4, 1 << 20))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        records.problem(name, "malformed", "empty CSV file (no header)")
        return
    except csv.Error as exc:
        records.problem(f"{name}:1", "malformed", f"malformed CSV header ({exc})")
        return
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            records.problem(f"{name}:{start}", "malformed", f"malformed CSV line ({exc})")
            line = reader.line_num
            continue
        line = reader.line_num
        location = f"{name}:{start}"
        if not row:
            continue
        if len(row) != len(header):
            records.problem(location, "malformed", f"expected {len(header)} columns as in the header, got {len(row)}")
            continue
        doc = records.record(dict(zip(header, row)), location)
        if doc is not None:
            yield doc
