"""JSON Lines: one JSON object per line, streamed, so a feed larger than memory can be read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from dedup.document import Document
from dedup.io.records import Records


def read_jsonl(records: Records, stream: IO[bytes], name: str) -> Iterator[Document]:
    """The documents of the JSON objects in ``stream``; each bad line is reported as ``name:line``."""
    for line_number, raw in enumerate(stream, start=1):
        location = f"{name}:{line_number}"
        if not raw.strip():
            continue
        line = records.decode(raw, location)
        if line is None:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            records.problem(location, "malformed", f"malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            records.problem(location, "malformed", "malformed JSON (arrays or objects nested too deeply)")
            continue
        if not isinstance(record, dict):
            records.problem(location, "malformed", f"expected a JSON object, got {type(record).__name__}")
            continue
        doc = records.record(record, location)
        if doc is not None:
            yield doc
