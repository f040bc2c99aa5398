"""CSV tables: verified pairs, copy edges, or the outlet copy matrix."""

from __future__ import annotations

import csv
import io
import json
from typing import Literal

from dedup.report.records import pair_record, round_score
from dedup.story.provenance import OutletView, Provenance, analyse, outlet_view
from dedup.story.result import SCHEMA_VERSION, ScanResult, tool_info

CsvTable = Literal["pairs", "edges", "outlets"]


CSV_COLUMNS = (
    "cluster_id",
    "first",
    "second",
    "same_story",
    "minhash_jaccard",
    "jaccard",
    "containment_first_in_second",
    "containment_second_in_first",
    "shared_shingles",
    "shared_passages_first",
    "shared_passages_second",
)


EDGE_COLUMNS = (
    "cluster_id",
    "relation",
    "source",
    "target",
    "containment_target_in_source",
    "containment_source_in_target",
    "shared_verbatim",
    "shared_reworded",
    "dropped",
    "added",
    "boilerplate_added",
    "credits_removed",
    "credits_changed",
    "credits_added",
    "quotes_changed",
)


def render_csv(result: ScanResult, table: CsvTable = "pairs", provenances: list[Provenance] | None = None) -> str:
    """One table as CSV. The first line is a ``#`` comment with the schema and parameters.

    ``pairs``: one row per verified pair. ``edges``: one row per copy edge (``relation``
    ``copy``, source to target) and per sibling pair (``siblings``, no direction).
    ``outlets``: the outlet × outlet copy matrix (row copied by column) with each outlet's
    originality; only a header when no article has a source.
    """
    out = io.StringIO()
    meta = {"schema_version": SCHEMA_VERSION, "tool": tool_info(), "parameters": result.config.describe(),
            "table": table}
    out.write("# " + json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n")
    writer = csv.writer(out, lineterminator="\n")
    if table == "pairs":
        _write_pairs(result, writer)
    else:
        provenances = analyse(result) if provenances is None else provenances
        if table == "edges":
            _write_edges(result, provenances, writer)
        else:
            _write_outlets(outlet_view(result, provenances), writer)
    return out.getvalue()


def _write_edges(result: ScanResult, provenances: list[Provenance], writer: "csv._writer") -> None:
    docs = result.documents
    writer.writerow(EDGE_COLUMNS)
    for provenance in provenances:
        for edge in provenance.edges:
            changes = [c.change for c in edge.credits]
            writer.writerow(
                [
                    provenance.cluster_id, "copy", docs[edge.source].doc_id, docs[edge.target].doc_id,
                    round_score(edge.containment_target_in_source), round_score(edge.containment_source_in_target),
                    sum(1 for p in edge.shared if p.relation == "verbatim"),
                    sum(1 for p in edge.shared if p.relation == "reworded"),
                    len(edge.dropped), len(edge.added), len(edge.boilerplate_added),
                    changes.count("removed"), changes.count("changed"), changes.count("added"),
                    len(edge.quotes_changed),
                ]
            )
        for pair in provenance.siblings:
            writer.writerow(
                [provenance.cluster_id, "siblings", docs[pair.first].doc_id, docs[pair.second].doc_id,
                 round_score(pair.containment_second_in_first), round_score(pair.containment_first_in_second)]
                + [""] * (len(EDGE_COLUMNS) - 6)
            )


def _write_outlets(view: OutletView | None, writer: "csv._writer") -> None:
    outlets = list(view.outlets) if view else []
    writer.writerow(["outlet", *outlets, "clustered", "origins", "originality"])
    if view is None:
        return
    for row, copies in zip(view.rows, view.copies):
        writer.writerow([row.outlet, *copies, row.clustered, row.origins, round_score(row.originality)])


def _write_pairs(result: ScanResult, writer: "csv._writer") -> None:
    cluster_of = {m.index: c.cluster_id for c in result.clusters for m in c.members}
    writer.writerow(CSV_COLUMNS)
    for score in result.pairs:
        same_cluster = cluster_of.get(score.first) == cluster_of.get(score.second)
        record = pair_record(result, score)
        writer.writerow(
            [
                cluster_of.get(score.first, "") if same_cluster else "",
                record["first"],
                record["second"],
                "true" if score.same_story else "false",
                record["minhash_jaccard"],
                record["jaccard"],
                round_score(score.containment_first_in_second),
                round_score(score.containment_second_in_first),
                score.shared_shingles,
                score.shared_passages_first,
                score.shared_passages_second,
            ]
        )


