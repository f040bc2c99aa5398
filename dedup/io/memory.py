"""Records already in memory: an iterable of dicts or a pandas DataFrame, read like a JSONL file.

:class:`RecordSource` goes wherever a path goes (``InputReader.read``, ``pipeline.scan``),
so in-memory records get the same field options, checks and problems as files. A
DataFrame is read row by row; pandas is not imported here (nothing needs it unless a
DataFrame is passed), and missing values (``NaN``, ``NaT``, ``None``) count as absent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dedup.document import Document
from dedup.io.records import Records


def is_data_frame(value: object) -> bool:
    """Whether ``value`` looks like a pandas DataFrame (columns and ``itertuples``)."""
    return hasattr(value, "columns") and hasattr(value, "itertuples") and hasattr(value, "dtypes")


def _present(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NaTType", "NAType"):  # pandas' missing values
        return None
    return value


def frame_records(frame: Any) -> Iterator[dict[str, Any]]:
    """The rows of a DataFrame as dicts of column -> value, missing values as None."""
    columns = [str(c) for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        yield {column: _present(value) for column, value in zip(columns, row)}


@dataclass(frozen=True)
class RecordSource:
    """Records in memory, named ``name`` in problems (``<records>:12`` is the 12th)."""

    records: Iterable[Mapping[str, Any]] | Any
    name: str = "<records>"

    def documents(self, records: Records) -> Iterator[Document]:
        """The documents of the records (unchecked: the reader checks them)."""
        rows = frame_records(self.records) if is_data_frame(self.records) else self.records
        for number, record in enumerate(rows, start=1):
            location = f"{self.name}:{number}"
            if not isinstance(record, Mapping):
                records.problem(location, "malformed", f"expected a mapping of field -> value, got {type(record).__name__}")
                continue
            doc = records.record(record, location)
            if doc is not None:
                yield doc


__all__ = ["RecordSource", "frame_records", "is_data_frame"]
