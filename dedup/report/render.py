"""Reports of a scan: text (default), JSON, CSV and HTML (:mod:`dedup.report.html`).

Every report carries ``schema_version`` and the scan's parameters. The JSON layout is
documented in ``docs/schema.md``. Reports hold no timings or paths of the machine, so
the same input and parameters always give byte-identical output.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Literal

from dedup.match.verify import PairScore
from dedup.story.provenance import (
    CopyEdge,
    OutletView,
    PassageRef,
    Provenance,
    analyse,
    outlet_view,
)
from dedup.story.result import SCHEMA_VERSION, Cluster, ScanResult, tool_info
from dedup.text.credits import Credit

ReportFormat = Literal["text", "json", "csv", "html"]
CsvTable = Literal["pairs", "edges", "outlets"]
QUOTE_CHARS = 300


def _round(value: float) -> float:
    return round(float(value), 4)


def pair_record(result: ScanResult, score: PairScore) -> dict[str, object]:
    docs = result.documents
    return {
        "first": docs[score.first].doc_id,
        "second": docs[score.second].doc_id,
        "same_story": score.same_story,
        "minhash_jaccard": _round(score.minhash_jaccard),
        "jaccard": _round(score.jaccard),
        "containment": {
            "first_in_second": _round(score.containment_first_in_second),
            "second_in_first": _round(score.containment_second_in_first),
        },
        "shared_shingles": score.shared_shingles,
        "shared_passages": {"first": score.shared_passages_first, "second": score.shared_passages_second},
    }


def cluster_record(result: ScanResult, cluster: Cluster, provenance: Provenance | None = None) -> dict[str, object]:
    docs = result.documents
    group = [m.index for m in cluster.members]
    members = []
    for member in cluster.members:
        doc = docs[member.index]
        passages = []
        for number, diff in enumerate(member.passages):
            passage = diff.passage
            passages.append(
                {
                    "index": number,
                    "start": passage.start,
                    "end": passage.end,
                    "kind": passage.kind,
                    "status": diff.status,
                    "text": doc.text[passage.start : passage.end],
                    "counterparts": [
                        {
                            "doc_id": docs[group[c.member]].doc_id,
                            "passages": list(c.passages),
                            "cosine": c.cosine,
                            "relation": c.relation,
                        }
                        for c in diff.counterparts
                    ],
                }
            )
        members.append(
            {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "source": doc.source,
                "url": doc.url,
                "published": doc.published,
                "metadata": dict(member.segmentation.metadata),
                "unique_passages": sum(1 for d in member.passages if d.status == "unique"),
                "passages": passages,
            }
        )
    record: dict[str, object] = {
        "cluster_id": cluster.cluster_id,
        "size": len(cluster.members),
        "members": members,
        "pairs": [pair_record(result, s) for s in cluster.pairs],
    }
    if provenance is not None:
        record["provenance"] = provenance_record(result, provenance)
    return record


def _span(ref: PassageRef, text: str) -> dict[str, object]:
    return {"passage": ref.passage, "start": ref.start, "end": ref.end, "text": text[ref.start : ref.end]}


def _credit(credit: Credit | None) -> dict[str, object] | None:
    if credit is None:
        return None
    return {"agency": credit.agency, "kind": credit.kind, "start": credit.start, "end": credit.end, "text": credit.text}


def edge_record(result: ScanResult, edge: CopyEdge) -> dict[str, object]:
    docs = result.documents
    source, target = docs[edge.source], docs[edge.target]
    return {
        "source": source.doc_id,
        "target": target.doc_id,
        "containment": {
            "target_in_source": _round(edge.containment_target_in_source),
            "source_in_target": _round(edge.containment_source_in_target),
        },
        "passage_coverage": {
            "target_in_source": _round(edge.coverage_target_in_source),
            "source_in_target": _round(edge.coverage_source_in_target),
        },
        "shared": [
            {
                "relation": shared.relation,
                "score": shared.score,
                "source": {
                    "passages": [r.passage for r in shared.source],
                    "start": shared.source_span[0],
                    "end": shared.source_span[1],
                },
                "target": {"passage": shared.target.passage, "start": shared.target.start, "end": shared.target.end},
            }
            for shared in edge.shared
        ],
        "dropped": [_span(ref, source.text) for ref in edge.dropped],
        "added": [_span(ref, target.text) for ref in edge.added],
        "boilerplate_added": [_span(ref, target.text) for ref in edge.boilerplate_added],
        "credits": [
            {
                "agency": change.agency,
                "change": change.change,
                "source": _credit(change.source),
                "target": _credit(change.target),
                "target_span": list(change.target_span) if change.target_span else None,
            }
            for change in edge.credits
        ],
        "quotes_changed": [
            {
                "similarity": change.similarity,
                "source": {"start": change.source.start, "end": change.source.end, "text": change.source.text},
                "target": {"start": change.target.start, "end": change.target.end, "text": change.target.text},
            }
            for change in edge.quotes_changed
        ],
    }


def provenance_record(result: ScanResult, provenance: Provenance) -> dict[str, object]:
    docs = result.documents
    origin = provenance.origin
    return {
        "origin": {
            "doc_id": docs[origin.doc].doc_id if origin.doc is not None else None,
            "in_corpus": origin.in_corpus,
            "closest": docs[origin.closest].doc_id,
            "confidence": origin.confidence,
            "level": origin.level,
            "basis": origin.basis,
            "agency": origin.agency,
            "summary": origin.summary,
            "reasons": list(origin.reasons),
        },
        "members": [
            {
                "doc_id": docs[m.doc].doc_id,
                "role": m.role,
                "parent": docs[m.parent].doc_id if m.parent is not None else None,
                "published": m.published,
                "coverage": m.coverage,
                "score": m.score,
                "credits": [_credit(c) for c in m.credits],
                "dateline": (
                    {"place": m.dateline.place, "agency": m.dateline.agency, "start": m.dateline.start,
                     "end": m.dateline.end}
                    if m.dateline else None
                ),
            }
            for m in sorted(provenance.members, key=lambda m: docs[m.doc].doc_id)
        ],
        "edges": [edge_record(result, e) for e in provenance.edges],
        "siblings": [
            {
                "first": docs[s.first].doc_id,
                "second": docs[s.second].doc_id,
                "containment": {
                    "first_in_second": _round(s.containment_first_in_second),
                    "second_in_first": _round(s.containment_second_in_first),
                },
                "common_parent": docs[s.common_parent].doc_id if s.common_parent is not None else None,
                "reason": s.reason,
            }
            for s in provenance.siblings
        ],
    }


def outlets_record(view: OutletView | None) -> dict[str, object] | None:
    if view is None:
        return None
    return {
        "outlets": list(view.outlets),
        "copies": {
            source: {target: view.copies[i][j] for j, target in enumerate(view.outlets)}
            for i, source in enumerate(view.outlets)
        },
        "originality": {
            row.outlet: {"clustered": row.clustered, "origins": row.origins, "share": _round(row.originality)}
            for row in view.rows
        },
    }


def to_json_dict(result: ScanResult, provenances: list[Provenance] | None = None) -> dict[str, object]:
    provenances = analyse(result) if provenances is None else provenances
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": tool_info(),
        "parameters": result.config.describe(),
        "summary": {**result.stats, "skipped": _skipped_summary(result)},
        "clusters": [cluster_record(result, c, p) for c, p in zip(result.clusters, provenances)],
        "outlets": outlets_record(outlet_view(result, provenances)),
        "pairs": [pair_record(result, s) for s in result.pairs],
        "skipped": [{"location": p.location, "kind": p.kind, "message": p.message} for p in result.problems],
    }


def _skipped_summary(result: ScanResult) -> dict[str, int]:
    summary: dict[str, int] = {}
    for problem in result.problems:
        summary[problem.kind] = summary.get(problem.kind, 0) + 1
    return dict(sorted(summary.items()))


def render_json(result: ScanResult, provenances: list[Provenance] | None = None) -> str:
    return json.dumps(to_json_dict(result, provenances), ensure_ascii=False, indent=2) + "\n"


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
                    _round(edge.containment_target_in_source), _round(edge.containment_source_in_target),
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
                 _round(pair.containment_second_in_first), _round(pair.containment_first_in_second)]
                + [""] * (len(EDGE_COLUMNS) - 6)
            )


def _write_outlets(view: OutletView | None, writer: "csv._writer") -> None:
    outlets = list(view.outlets) if view else []
    writer.writerow(["outlet", *outlets, "clustered", "origins", "originality"])
    if view is None:
        return
    for row, copies in zip(view.rows, view.copies):
        writer.writerow([row.outlet, *copies, row.clustered, row.origins, _round(row.originality)])


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
                _round(score.containment_first_in_second),
                _round(score.containment_second_in_first),
                score.shared_shingles,
                score.shared_passages_first,
                score.shared_passages_second,
            ]
        )


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """One line, at most ``limit`` characters, cut at a word boundary."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else textwrap.shorten(flat, limit, placeholder=" […]")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def provenance_lines(result: ScanResult, provenance: Provenance) -> list[str]:
    """The provenance part of one cluster in the text report."""
    docs = result.documents
    origin = provenance.origin
    basis = "from dates" if origin.basis == "dates" else "from the texts"
    lines = [f"  origin: {origin.summary} (confidence {origin.confidence:.2f}, {origin.level}; {basis})"]
    lines += [f"    - {reason}" for reason in origin.reasons]
    lines.append("  copy edges (source -> derived):" if provenance.edges else "  copy edges: none")
    for edge in provenance.edges:
        source, target = docs[edge.source], docs[edge.target]
        verbatim = sum(1 for p in edge.shared if p.relation == "verbatim")
        lines.append(
            f"    {source.doc_id} -> {target.doc_id}: containment {edge.containment_target_in_source:.2f} of the copy "
            f"in the source, {edge.containment_source_in_target:.2f} back; {len(edge.shared)} shared passages "
            f"({verbatim} verbatim, {len(edge.shared) - verbatim} reworded), {len(edge.dropped)} dropped, "
            f"{len(edge.added)} added, {len(edge.boilerplate_added)} boilerplate added"
        )
        for change in edge.credits:
            if change.change == "removed" and change.source:
                where = (f"; its passage is at [{change.target_span[0]}-{change.target_span[1]}] in the copy"
                         if change.target_span else "; its passage was dropped")
                lines.append(f"      credit removed: «{change.source.text}» ({change.agency}, {change.source.kind}) "
                             f"at [{change.source.start}-{change.source.end}]{where}")
            elif change.change == "changed" and change.source and change.target:
                lines.append(f"      credit changed: «{change.source.text}» -> «{change.target.text}» ({change.agency})")
            elif change.target:
                lines.append(f"      credit added: «{change.target.text}» ({change.agency}, {change.target.kind}) "
                             f"at [{change.target.start}-{change.target.end}]")
        for quote in edge.quotes_changed:
            lines.append(f"      quote reworded ({quote.similarity:.2f}): «{shorten(quote.source.text, 120)}» -> "
                         f"«{shorten(quote.target.text, 120)}»")
        for ref in edge.added:
            lines.append(f"      added [{ref.start}-{ref.end}] «{shorten(target.text[ref.start:ref.end], 160)}»")
        for ref in edge.boilerplate_added:
            lines.append(f"      boilerplate added [{ref.start}-{ref.end}] «{shorten(target.text[ref.start:ref.end], 160)}»")
        if edge.dropped:
            lines.append("      dropped from the source: " + ", ".join(f"[{r.start}-{r.end}]" for r in edge.dropped))
    for pair in provenance.siblings:
        lines.append(f"  siblings: {docs[pair.first].doc_id} ~ {docs[pair.second].doc_id}: {pair.reason}")
    return lines


def outlet_lines(view: OutletView | None) -> list[str]:
    if view is None:
        return []
    width = max(len(name) for name in view.outlets)
    cell = max(5, *(len(name) for name in view.outlets))
    lines = ["", "Outlets: copy edges, source outlet (row) -> derived outlet (column)",
             "  " + " " * width + " " + " ".join(name.rjust(cell) for name in view.outlets)]
    for name, copies in zip(view.outlets, view.copies):
        lines.append("  " + name.ljust(width) + " " + " ".join(str(n).rjust(cell) for n in copies))
    lines.append("Originality: share of an outlet's clustered articles that are origins")
    for row in view.rows:
        lines.append(f"  {row.outlet.ljust(width)} {row.origins}/{row.clustered} ({row.originality:.0%})")
    return lines


def render_text(result: ScanResult, provenances: list[Provenance] | None = None) -> str:
    provenances = analyse(result) if provenances is None else provenances
    stats = result.stats
    docs = result.documents
    params = result.config.describe()
    fp = params["fingerprint"]
    lines = [
        f"dedup {tool_info()['version']} (report schema {SCHEMA_VERSION})",
        f"{_count(stats['documents'], 'document')}: {_count(stats['clusters'], 'cluster')} holding "
        f"{_count(stats['clustered_documents'], 'document')}, {_count(stats['singletons'], 'singleton')}",
        f"parameters: {fp['shingle_kind']} {fp['shingle_size']}-shingles, num_perm {fp['num_perm']}, seed {fp['seed']}, "
        f"quotes {'ignored' if fp['ignore_quotes'] else 'kept'}; LSH {params['lsh']['bands']}x{params['lsh']['rows']} "
        f"min hits {params['lsh']['min_hits']}; min containment {params['match']['min_containment']}",
        f"pairs: {stats['candidate_pairs']} candidates, {stats['verified_pairs']} verified, "
        f"{stats['same_story_pairs']} same story",
    ]
    skipped = _skipped_summary(result)
    if skipped:
        lines.append("skipped: " + ", ".join(f"{count} {kind}" for kind, count in skipped.items()))
    for rank, (cluster, provenance) in enumerate(zip(result.clusters, provenances), start=1):
        lines += ["", f"Cluster {rank} ({cluster.cluster_id}): {len(cluster.members)} documents"]
        for member in cluster.members:
            doc = docs[member.index]
            counts = {s: sum(1 for d in member.passages if d.status == s) for s in ("shared", "unique", "boilerplate")}
            label = f"  - {doc.doc_id}"
            if doc.source:
                label += f" [{doc.source}]"
            lines.append(
                f"{label}: {len(member.passages)} passages, {counts['shared']} shared, "
                f"{counts['unique']} unique, {counts['boilerplate']} boilerplate"
            )
        lines.append("  pairs:")
        for score in cluster.pairs:
            lines.append(
                f"    {docs[score.first].doc_id} ~ {docs[score.second].doc_id}: containment "
                f"{score.containment_first_in_second:.2f} / {score.containment_second_in_first:.2f}, jaccard "
                f"{score.jaccard:.2f} (minhash {score.minhash_jaccard:.2f}), shared passages "
                f"{score.shared_passages_first} / {score.shared_passages_second}"
            )
        for member in cluster.members:
            doc = docs[member.index]
            unique = [d for d in member.passages if d.status == "unique"]
            boiler = [d for d in member.passages if d.status == "boilerplate"]
            lines.append(f"  unique passages of {doc.doc_id}: {len(unique) or 'none'}")
            for diff in unique:
                p = diff.passage
                tag = " (heading)" if p.kind == "heading" else ""
                lines.append(f"    [{p.start}-{p.end}]{tag} «{shorten(doc.text[p.start:p.end])}»")
            for diff in boiler:
                p = diff.passage
                lines.append(f"    [{p.start}-{p.end}] boilerplate: «{shorten(doc.text[p.start:p.end])}»")
        lines += provenance_lines(result, provenance)
    lines += outlet_lines(outlet_view(result, provenances))
    return "\n".join(lines) + "\n"


def render(result: ScanResult, report_format: ReportFormat, table: CsvTable = "pairs") -> str:
    """The report of ``result`` in one format; ``table`` picks the CSV table."""
    if report_format == "csv":
        # the pairs table needs no provenance; render_csv analyses only for the other tables
        return render_csv(result, table)
    provenances = analyse(result)
    if report_format == "json":
        return render_json(result, provenances)
    if report_format == "html":
        from dedup.report.html import (
            render_html,  # the HTML module is large; load it only when asked
        )

        return render_html(result, provenances)
    return render_text(result, provenances)
