"""Tables as Parquet files (pyarrow, ``pip install "dedup[parquet]"``).

The same tables as the CSV ones (:func:`dedup.report.tables.build_table`), written with an
explicit schema, so an empty table or a column of nulls keeps its type. What the CSV
sidecar holds (schema version, tool, parameters, column types) is stored in the file's
own key-value metadata under the key ``dedup``, as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from dedup.io.optional import require
from dedup.io.outputs import replacing
from dedup.report.tables import CsvTable, Table, build_table, table_metadata
from dedup.story.provenance import Provenance
from dedup.story.result import ScanResult

METADATA_KEY = b"dedup"
ROW_GROUP_ROWS = 100_000


def arrow_table(table: Table, metadata: dict[str, object] | None = None):  # -> pyarrow.Table
    """``table`` as a pyarrow Table with typed columns (and ``metadata`` under the key ``dedup``)."""
    pa = require("pyarrow", "Parquet output", "parquet")
    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema(
        [pa.field(name, types[kind]) for name, kind in table.columns],
        metadata={METADATA_KEY: json.dumps(metadata, ensure_ascii=False, sort_keys=True)} if metadata else None,
    )
    columns = list(zip(*table.rows)) if table.rows else [() for _ in table.columns]
    arrays = [pa.array(list(values), type=types[kind]) for values, (_, kind) in zip(columns, table.columns)]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet_table(
    result: ScanResult, path: str | Path, table: CsvTable = "pairs", provenances: list[Provenance] | None = None
) -> None:
    """Write ``table`` of ``result`` to the Parquet file ``path``, its metadata inside it."""
    pq = require("pyarrow.parquet", "Parquet output", "parquet")
    built = build_table(result, table, provenances)
    with replacing(str(path), "wb") as out:  # whole or not at all
        pq.write_table(arrow_table(built, table_metadata(result, built)), out, row_group_size=ROW_GROUP_ROWS)


def read_metadata(path: str | Path) -> dict[str, object]:
    """The metadata a table file written by :func:`write_parquet_table` carries."""
    pq = require("pyarrow.parquet", "Parquet output", "parquet")
    raw = pq.read_schema(str(path)).metadata or {}
    return json.loads(raw[METADATA_KEY]) if METADATA_KEY in raw else {}


__all__ = ["METADATA_KEY", "arrow_table", "read_metadata", "write_parquet_table"]
