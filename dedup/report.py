"""Reports of a scan: text (default), JSON and CSV.

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

from dedup.pipeline import SCHEMA_VERSION, Cluster, ScanResult, tool_info
from dedup.verify import PairScore

ReportFormat = Literal["text", "json", "csv"]
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


def cluster_record(result: ScanResult, cluster: Cluster) -> dict[str, object]:
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
    return {
        "cluster_id": cluster.cluster_id,
        "size": len(cluster.members),
        "members": members,
        "pairs": [pair_record(result, s) for s in cluster.pairs],
    }


def to_json_dict(result: ScanResult) -> dict[str, object]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": tool_info(),
        "parameters": result.config.describe(),
        "summary": {**result.stats, "skipped": _skipped_summary(result)},
        "clusters": [cluster_record(result, c) for c in result.clusters],
        "pairs": [pair_record(result, s) for s in result.pairs],
        "skipped": [{"location": p.location, "kind": p.kind, "message": p.message} for p in result.problems],
    }


def _skipped_summary(result: ScanResult) -> dict[str, int]:
    summary: dict[str, int] = {}
    for problem in result.problems:
        summary[problem.kind] = summary.get(problem.kind, 0) + 1
    return dict(sorted(summary.items()))


def render_json(result: ScanResult) -> str:
    return json.dumps(to_json_dict(result), ensure_ascii=False, indent=2) + "\n"


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


def render_csv(result: ScanResult) -> str:
    """One row per verified pair. The first line is a ``#`` comment with the schema and parameters."""
    cluster_of = {m.index: c.cluster_id for c in result.clusters for m in c.members}
    out = io.StringIO()
    meta = {"schema_version": SCHEMA_VERSION, "tool": tool_info(), "parameters": result.config.describe()}
    out.write("# " + json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n")
    writer = csv.writer(out, lineterminator="\n")
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
    return out.getvalue()


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """One line, at most ``limit`` characters, cut at a word boundary."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else textwrap.shorten(flat, limit, placeholder=" […]")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def render_text(result: ScanResult) -> str:
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
    for rank, cluster in enumerate(result.clusters, start=1):
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
    return "\n".join(lines) + "\n"


def render(result: ScanResult, report_format: ReportFormat) -> str:
    if report_format == "json":
        return render_json(result)
    if report_format == "csv":
        return render_csv(result)
    return render_text(result)
