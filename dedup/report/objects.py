"""A scan's findings for Python users: clusters, pairs and members as objects, pandas
DataFrames and JSON, all built from the same tables as the CSV and Parquet outputs.

:class:`ScanReport` wraps a :class:`~dedup.story.result.ScanResult` (kept as ``.result``)
and analyses provenance once, on first use. pandas is imported by the ``*_frame``
methods only (``pip install "dedup[pandas]"``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dedup.document import Problem
from dedup.io.optional import require
from dedup.report import records
from dedup.report.rounding import round_score
from dedup.report.render import FileFormat, ReportFormat, render, write_report
from dedup.report.tables import CsvTable, Table, build_table, representative_of
from dedup.story.provenance import Provenance, analyse
from dedup.story.result import ScanResult

if TYPE_CHECKING:
    import pandas


@dataclass(frozen=True)
class PairRecord:
    """A verified pair (a row of the ``pairs`` table); ``cluster_id`` is None unless both share one."""

    cluster_id: str | None
    first: str
    second: str
    same_story: bool
    minhash_jaccard: float
    jaccard: float
    containment_first_in_second: float
    containment_second_in_first: float
    shared_shingles: int
    shared_passages_first: int
    shared_passages_second: int
    aligned_first: float  # shares of words told in order (a rewrite in its own words), 0 if not measured
    aligned_second: float


@dataclass(frozen=True)
class MemberRecord:
    """Where one document went (a row of the ``members`` table)."""

    cluster_id: str
    doc_id: str
    role: str  # origin, candidate, copy, unrelated, or singleton
    parent: str | None
    cluster_size: int
    representative: bool


@dataclass(frozen=True)
class ClusterRecord:
    """One cluster: its members and what provenance says of its origin."""

    cluster_id: str
    size: int
    doc_ids: tuple[str, ...]
    origin: str | None  # None when the original is probably not in the corpus, or undetermined
    closest: str | None  # None when the evidence cannot tell the members apart
    representative: str  # the member to keep when deduplicating (see members)
    confidence: float
    level: str
    summary: str


class ScanReport:
    """What a scan found: ``clusters``, ``pairs`` and ``members`` as objects, frames and JSON.

    >>> report = dedup.scan("seeds/")                                   # doctest: +SKIP
    >>> report.members_frame().query("representative")["doc_id"].tolist()  # doctest: +SKIP
    ['002_e40c44a6ce6eeda3.txt']
    """

    def __init__(self, result: ScanResult) -> None:
        self.result = result

    @cached_property
    def provenances(self) -> list[Provenance]:
        return analyse(self.result)

    def table(self, name: CsvTable) -> Table:
        """One of the tables (``pairs``, ``edges``, ``outlets``, ``members``) as columns and rows."""
        return build_table(self.result, name, self.provenances if name != "pairs" else None)

    @property
    def problems(self) -> list[Problem]:
        """Input records that were skipped, and why."""
        return self.result.problems

    @property
    def stats(self) -> dict[str, int]:
        return self.result.stats

    @cached_property
    def pairs(self) -> list[PairRecord]:
        return [PairRecord(*row) for row in self.table("pairs").rows]  # type: ignore[arg-type]

    @cached_property
    def members(self) -> list[MemberRecord]:
        """Every document, clustered ones first (by cluster, then id), then singletons."""
        return [MemberRecord(*row) for row in self.table("members").rows]  # type: ignore[arg-type]

    @cached_property
    def clusters(self) -> list[ClusterRecord]:
        docs = self.result.documents
        found = []
        for cluster, provenance in zip(self.result.clusters, self.provenances):
            origin = provenance.origin
            found.append(ClusterRecord(
                cluster.cluster_id, len(cluster.members), tuple(docs[m.index].doc_id for m in cluster.members),
                docs[origin.doc].doc_id if origin.doc is not None else None,
                docs[origin.closest].doc_id if origin.closest is not None else None,
                docs[representative_of(self.result, provenance)].doc_id,
                round_score(origin.confidence), origin.level, origin.summary,
            ))
        return found

    # -- JSON and files ----------------------------------------------------------------
    def to_dict(self) -> dict[str, object]:
        """The JSON report as Python objects (layout in docs/schema.md)."""
        return records.to_json_dict(self.result, self.provenances)

    def to_json(self) -> str:
        """The JSON report, byte for byte what ``dedup scan --format json`` writes."""
        return records.render_json(self.result, self.provenances)

    def render(self, report_format: ReportFormat = "text", table: CsvTable = "pairs") -> str:
        """The report as ``dedup scan --format`` prints it."""
        return render(self.result, report_format, table)

    def write(self, path: str | Path, report_format: FileFormat = "json", table: CsvTable = "pairs") -> list[Path]:
        """Write the report (or a table, for csv and parquet) to ``path``; returns the files written."""
        return write_report(self.result, path, report_format, table)

    # -- pandas --------------------------------------------------------------------------
    def frame(self, name: CsvTable) -> pandas.DataFrame:
        """One table as a DataFrame: nullable integer and boolean columns, None for empty strings."""
        return table_frame(self.table(name))

    def members_frame(self) -> pandas.DataFrame:
        return self.frame("members")

    def pairs_frame(self) -> pandas.DataFrame:
        return self.frame("pairs")

    def edges_frame(self) -> pandas.DataFrame:
        return self.frame("edges")

    def outlets_frame(self) -> pandas.DataFrame:
        return self.frame("outlets")

    def clusters_frame(self) -> pandas.DataFrame:
        pd = require("pandas", "DataFrames", "pandas", input_format=False)
        names = [f.name for f in fields(ClusterRecord)]
        return pd.DataFrame([[getattr(c, n) for n in names] for c in self.clusters], columns=names)

    def __repr__(self) -> str:
        s = self.result.stats
        return f"<ScanReport: {s['documents']} documents, {s['clusters']} clusters, {s['singletons']} singletons>"


def table_frame(table: Table) -> Any:
    """``table`` as a pandas DataFrame with the column types of its Parquet file."""
    pd = require("pandas", "DataFrames", "pandas", input_format=False)
    dtypes = {"string": object, "int64": "Int64", "float64": "float64", "bool": "boolean"}
    columns = list(zip(*table.rows)) if table.rows else [() for _ in table.columns]
    data = {name: pd.array(list(values), dtype=dtypes[kind]) if kind != "string" else list(values)
            for values, (name, kind) in zip(columns, table.columns)}
    frame = pd.DataFrame(data, columns=table.names)
    for name, kind in table.columns:
        if kind == "string":
            frame[name] = frame[name].astype(object)
    return frame


__all__ = ["ClusterRecord", "MemberRecord", "PairRecord", "ScanReport", "table_frame"]
