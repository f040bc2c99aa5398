"""Tables of a scan: verified pairs, copy edges, the outlet copy matrix and cluster members.

Each table is built once, as typed columns and rows (:class:`Table`), and then written as
CSV (here), as Parquet (:mod:`dedup.report.parquet`) or handed to pandas (``dedup.api``),
so the three never disagree. A CSV file starts with its header row; the schema version
and parameters go to a sidecar JSON file (:func:`table_metadata`) when the table is
written to a file, and into the file's own metadata in Parquet.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Literal

from dedup.io.outputs import replacing
from dedup.report.rounding import round_score, rounded_rows
from dedup.report.sections import per_cluster
from dedup.story.provenance import MemberEvidence, Provenance, outlet_view
from dedup.story.result import SCHEMA_VERSION, Cluster, ScanResult, cluster_id_of, tool_info

CsvTable = Literal["pairs", "edges", "outlets", "members"]
TABLES: tuple[CsvTable, ...] = ("pairs", "edges", "outlets", "members")
ColumnType = Literal["string", "int64", "float64", "bool"]

PAIR_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("cluster_id", "string"),
    ("first", "string"),
    ("second", "string"),
    ("same_story", "bool"),
    ("minhash_jaccard", "float64"),
    ("jaccard", "float64"),
    ("containment_first_in_second", "float64"),
    ("containment_second_in_first", "float64"),
    ("shared_shingles", "int64"),
    ("shared_passages_first", "int64"),
    ("shared_passages_second", "int64"),
    ("aligned_first", "float64"),
    ("aligned_second", "float64"),
)
EDGE_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("cluster_id", "string"),
    ("relation", "string"),
    ("source", "string"),
    ("target", "string"),
    ("containment_target_in_source", "float64"),
    ("containment_source_in_target", "float64"),
    ("shared_verbatim", "int64"),
    ("shared_reworded", "int64"),
    ("dropped", "int64"),
    ("added", "int64"),
    ("boilerplate_added", "int64"),
    ("credits_removed", "int64"),
    ("credits_changed", "int64"),
    ("credits_added", "int64"),
    ("quotes_changed", "int64"),
)
MEMBER_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("cluster_id", "string"),
    ("doc_id", "string"),
    ("role", "string"),
    ("parent", "string"),
    ("cluster_size", "int64"),
    ("representative", "bool"),
)
# Kept for readers of the column names alone.
CSV_COLUMNS = tuple(name for name, _ in PAIR_COLUMNS)


@dataclass(frozen=True)
class Table:
    """One table: its name, typed columns and rows (None is an empty cell)."""

    name: CsvTable
    columns: tuple[tuple[str, ColumnType], ...]
    rows: list[tuple[object, ...]]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]


def needs_provenance(table: CsvTable) -> bool:
    """Whether ``table`` is built from the provenance analysis (and so needs a scan with detail)."""
    return table != "pairs"


def build_table(result: ScanResult, table: CsvTable = "pairs", provenances: list[Provenance] | None = None) -> Table:
    """The rows of ``table``.

    ``pairs``: one row per verified pair. ``edges``: one row per copy edge (``relation``
    ``copy``, source to target) and per sibling pair (``siblings``, no direction, no
    counts). ``outlets``: the outlet × outlet copy matrix (row copied by column) with each
    outlet's originality; no rows when no article has a source. ``members``: one row per
    document: its cluster (a singleton gets a cluster id of its own), its role in the
    cluster's provenance (``origin``, ``candidate``, ``copy``, ``unrelated``;
    ``singleton`` alone), the member it was derived from, the cluster's size, and whether
    it is the cluster's representative (:func:`representative_of`): keeping the
    representatives deduplicates the corpus, one document per cluster.
    """
    if table == "pairs":
        return _pairs_table(result)
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    # each cluster's rows come as JSON, made in the workers of a deferred scan beside its
    # provenance (whose summary comes back with them)
    rows: list[tuple[object, ...]] = []
    analysed: list[Provenance] = []
    for data, provenance in per_cluster(result, provenances, partial(cluster_rows, table)):
        rows.extend(tuple(row) for row in json.loads(data))
        analysed.append(provenance)
    if table == "edges":
        return Table("edges", EDGE_COLUMNS, rows)
    if table == "outlets":
        return _outlets_table(result, analysed)
    return Table("members", MEMBER_COLUMNS, rows + _singleton_rows(result))


def cluster_rows(
    table: CsvTable, view: ScanResult, clusters: Sequence[Cluster], provenances: Sequence[Provenance], links: object,
) -> list[bytes]:
    """Each cluster's rows of ``table`` as JSON, UTF-8 (a worker's, for :func:`build_table`;
    the outlets table is made of the provenance summaries alone)."""
    return [json.dumps(_rows_of(table, view, p)).encode("ascii") for p in provenances]  # escapes: any id comes back


def _rows_of(table: CsvTable, result: ScanResult, provenance: Provenance) -> list[tuple[object, ...]]:
    if table == "edges":
        return _edge_rows(result, provenance)
    if table == "members":
        return _member_rows(result, provenance)
    return []


def _pairs_table(result: ScanResult) -> Table:
    docs = result.documents
    cluster_of = {m.index: c.cluster_id for c in result.clusters for m in c.members}
    rows: list[tuple[object, ...]] = []
    floats = attrgetter("minhash_jaccard", "jaccard", "containment_first_in_second", "containment_second_in_first",
                        "aligned_first", "aligned_second")
    rounded = rounded_rows(list(map(floats, result.pairs)), 6)
    for score, (minhash, jaccard, first_in_second, second_in_first, aligned_first, aligned_second) in zip(
        result.pairs, rounded
    ):
        first, second = cluster_of.get(score.first), cluster_of.get(score.second)
        rows.append((
            first if first is not None and first == second else None,
            docs[score.first].doc_id, docs[score.second].doc_id, bool(score.same_story),
            minhash, jaccard, first_in_second, second_in_first,
            int(score.shared_shingles), int(score.shared_passages_first), int(score.shared_passages_second),
            aligned_first, aligned_second,
        ))
    return Table("pairs", PAIR_COLUMNS, rows)


def _edge_rows(result: ScanResult, provenance: Provenance) -> list[tuple[object, ...]]:
    docs = result.documents
    rows: list[tuple[object, ...]] = []
    for edge in provenance.edges:
        changes = [c.change for c in edge.credits]
        rows.append((
            provenance.cluster_id, "copy", docs[edge.source].doc_id, docs[edge.target].doc_id,
            round_score(edge.containment_target_in_source), round_score(edge.containment_source_in_target),
            sum(1 for p in edge.shared if p.relation == "verbatim"),
            sum(1 for p in edge.shared if p.relation == "reworded"),
            len(edge.dropped), len(edge.added), len(edge.boilerplate_added),
            changes.count("removed"), changes.count("changed"), changes.count("added"),
            len(edge.quotes_changed),
        ))
    for pair in provenance.siblings:
        rows.append(
            (provenance.cluster_id, "siblings", docs[pair.first].doc_id, docs[pair.second].doc_id,
             round_score(pair.containment_second_in_first), round_score(pair.containment_first_in_second))
            + (None,) * (len(EDGE_COLUMNS) - 6)
        )
    return rows


def _outlets_table(result: ScanResult, provenances: list[Provenance]) -> Table:
    view = outlet_view(result, provenances)
    outlets = list(view.outlets) if view else []
    columns: tuple[tuple[str, ColumnType], ...] = (
        ("outlet", "string"), *((name, "int64") for name in outlets),
        ("clustered", "int64"), ("origins", "int64"), ("originality", "float64"),
    )
    rows: list[tuple[object, ...]] = []
    if view is not None:
        for row, copies in zip(view.rows, view.copies):
            rows.append((row.outlet, *copies, row.clustered, row.origins, round_score(row.originality)))
    return Table("outlets", columns, rows)


def representative_of(result: ScanResult, provenance: Provenance) -> int:
    """The member to keep when the cluster is deduplicated: the origin, or the member closest
    to an unseen one. When the evidence cannot tell the candidates apart, the one with the
    best provenance score, then the longest text, then the smallest text digest: a choice
    that depends on the texts, never on the ids, and any candidate is as good a copy."""
    if provenance.origin.closest is not None:
        return provenance.origin.closest
    tied = set(provenance.origin.candidates) or {m.doc for m in provenance.members}
    texts = result.documents

    def rank(member: MemberEvidence) -> tuple[float, int, bytes]:
        text = texts[member.doc].text
        return (-member.score, -len(text), hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest())

    return min((m for m in provenance.members if m.doc in tied), key=rank).doc


def _member_rows(result: ScanResult, provenance: Provenance) -> list[tuple[object, ...]]:
    """The rows of a cluster's members (the representative is chosen by their texts)."""
    docs = result.documents
    size = len(provenance.members)
    representative = representative_of(result, provenance)
    return [
        (provenance.cluster_id, docs[member.doc].doc_id, member.role,
         docs[member.parent].doc_id if member.parent is not None else None, size, member.doc == representative)
        for member in sorted(provenance.members, key=lambda m: docs[m.doc].doc_id)
    ]


def _singleton_rows(result: ScanResult) -> list[tuple[object, ...]]:
    clustered = {m.index for c in result.clusters for m in c.members}
    return [  # documents are sorted by id
        (cluster_id_of([doc.doc_id]), doc.doc_id, "singleton", None, 1, True)
        for index, doc in enumerate(result.documents) if index not in clustered
    ]


def table_metadata(result: ScanResult, table: Table) -> dict[str, object]:
    """What a table file does not hold itself: schema version, tool, parameters and column types."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": tool_info(),
        "parameters": result.config.describe(),
        "table": table.name,
        "columns": [{"name": name, "type": kind} for name, kind in table.columns],
    }


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def table_csv(table: Table) -> str:
    """``table`` as CSV text: the header row, then one line per row (empty cells for None)."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    # Python before 3.12 quotes only the characters of the line terminator, so a field
    # holding a carriage return would break the table for every reader: such a row is
    # written with every text field quoted (other rows as before).
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    plain.writerow(table.names)
    for row in table.rows:
        cells = [_cell(v) for v in row]
        (quoted if any(isinstance(c, str) and "\r" in c for c in cells) else plain).writerow(cells)
    return out.getvalue()


def render_csv(result: ScanResult, table: CsvTable = "pairs", provenances: list[Provenance] | None = None) -> str:
    """One table as CSV, header row first (the parameters go to :func:`write_csv_table`'s sidecar)."""
    return table_csv(build_table(result, table, provenances))


def sidecar_path(path: str | Path) -> Path:
    """Where the metadata of a table written to ``path`` goes: ``path`` + ``.json``."""
    return Path(f"{path}.json")


def write_csv_table(
    result: ScanResult, path: str | Path, table: CsvTable = "pairs", provenances: list[Provenance] | None = None
) -> Path:
    """Write ``table`` as CSV to ``path`` and its metadata to the sidecar ``path.json``; returns the sidecar."""
    built = build_table(result, table, provenances)
    sidecar = sidecar_path(path)
    # both are renamed into place at the end, the sidecar last (an interrupted run leaves the two before)
    with replacing(str(sidecar), "wb") as meta, replacing(str(path), "wb") as out:
        out.write(table_csv(built).encode("utf-8"))
        meta.write(
            (json.dumps(table_metadata(result, built), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
        )
    return sidecar


__all__ = [
    "CSV_COLUMNS", "EDGE_COLUMNS", "MEMBER_COLUMNS", "PAIR_COLUMNS", "TABLES", "CsvTable", "Table", "build_table",
    "needs_provenance", "representative_of", "render_csv", "sidecar_path", "table_csv", "table_metadata", "write_csv_table",
]
