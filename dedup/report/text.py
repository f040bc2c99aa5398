"""The text report, for people at a terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from dedup.report.records import UNREAD_DATE_EXAMPLES, skipped_summary
from dedup.report.terminal import plural, terminal_safe
from dedup.story.links import Link
from dedup.story.provenance import OutletView, Provenance, unread_dates
from dedup.story.result import SCHEMA_VERSION, Cluster, ScanResult, tool_info

QUOTE_CHARS = 300


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """One line, at most ``limit`` characters, cut at a word boundary."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else textwrap.shorten(flat, limit, placeholder=" […]")


_count = plural


def provenance_lines(result: ScanResult, provenance: Provenance) -> list[str]:
    """The provenance part of one cluster in the text report."""
    docs = result.documents
    origin = provenance.origin
    basis = "from dates" if origin.basis == "dates" else "from the texts"
    if origin.closest is None and origin.undetermined:
        lines = [f"  origin: undetermined: {origin.undetermined}"]
    else:
        lines = [f"  origin: {origin.summary} (confidence {origin.confidence:.2f}, {origin.level}; {basis})"]
    lines += [f"    - {reason}" for reason in origin.reasons]
    lines.append("  copy edges (source -> derived):" if provenance.edges else "  copy edges: none")
    for edge in provenance.edges:
        source, target = docs[edge.source], docs[edge.target]
        verbatim = sum(1 for p in edge.shared if p.relation == "verbatim")
        lines.append(
            f"    {source.doc_id} -> {target.doc_id}: containment {edge.containment_target_in_source:.2f} of the copy "
            f"in the source, {edge.containment_source_in_target:.2f} back; "
            + (f"words told in order {edge.aligned_target_in_source:.2f} / {edge.aligned_source_in_target:.2f}; "
               if edge.aligned_target_in_source or edge.aligned_source_in_target else "")
            + f"{_count(len(edge.shared), 'shared passage')} "
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


def head_lines(result: ScanResult, provenances: Sequence[Provenance]) -> list[str]:
    """The report's first lines: version, counts, parameters, skipped records and unread
    dates (which read every cluster's provenance, or its summary)."""
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
        f"pairs: {_count(stats['candidate_pairs'], 'candidate')}, {stats['verified_pairs']} verified, "
        f"{stats['same_story_pairs']} same story",
    ]
    skipped = skipped_summary(result)
    if skipped:
        lines.append("skipped: " + ", ".join(f"{count} {kind}" for kind, count in skipped.items()))
    unread = unread_dates(result, provenances)
    if unread:
        examples = ", ".join(f"«{u.published}» ({docs[u.doc].doc_id}: {u.problem})" for u in unread[:UNREAD_DATE_EXAMPLES])
        lines.append(f"dates not understood: {_count(len(unread), 'clustered document')}, e.g. {examples}")
    return lines


def cluster_title(rank: int, cluster: Cluster) -> str:
    """The line that opens a cluster's section (its rank is its place in the report)."""
    return f"Cluster {rank} ({cluster.cluster_id}): {len(cluster.members)} documents"


def cluster_lines(result: ScanResult, cluster: Cluster, provenance: Provenance, links: Sequence[Link]) -> list[str]:
    """A cluster's section after its title: members, pairs, links, unique passages, provenance."""
    docs = result.documents
    lines = []
    for member in cluster.members:
        doc = docs[member.index]
        counts = {s: sum(1 for d in member.passages if d.status == s) for s in ("shared", "unique", "boilerplate")}
        label = f"  - {doc.doc_id}"
        if doc.source:
            label += f" [{doc.source}]"
        lines.append(
            f"{label}: {_count(len(member.passages), 'passage')}, {counts['shared']} shared, "
            f"{counts['unique']} unique, {counts['boilerplate']} boilerplate"
        )
    lines.append("  pairs:")
    for score in cluster.pairs:
        lines.append(
            f"    {docs[score.first].doc_id} ~ {docs[score.second].doc_id}: containment "
            f"{score.containment_first_in_second:.2f} / {score.containment_second_in_first:.2f}, jaccard "
            f"{score.jaccard:.2f} (minhash {score.minhash_jaccard:.2f}), shared passages "
            f"{score.shared_passages_first} / {score.shared_passages_second}"
            + (f", words told in order {score.aligned_first:.2f} / {score.aligned_second:.2f}" if score.aligned else "")
        )
    for link in links:
        where = f"in {link.cluster_id}" if link.cluster_id else "a singleton"
        lines.append(
            f"  linked, not merged: {docs[link.doc].doc_id} ({where}): {link.pairs} verified "
            f"{'pair' if link.pairs == 1 else 'pairs'} with members, best with {docs[link.member].doc_id} "
            f"(containment {link.containment:.2f})"
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
    return lines + provenance_lines(result, provenance)


def text_sections(
    view: ScanResult, clusters: Sequence[Cluster], provenances: Sequence[Provenance],
    links: dict[str, tuple[Link, ...]],
) -> list[bytes]:
    """Each cluster's section after its title, terminal-safe, as UTF-8 (a worker's, for
    :func:`dedup.report.sections.iter_text`)."""
    return [
        terminal_safe("\n".join(cluster_lines(view, cluster, provenance, links.get(cluster.cluster_id, ()))),
                      keep_lines=True).encode("utf-8")
        for cluster, provenance in zip(clusters, provenances)
    ]


def render_text(result: ScanResult, provenances: list[Provenance] | None = None) -> str:
    """The whole text report (:func:`dedup.report.sections.iter_text`'s pieces, joined).

    ids, file names and texts may hold control characters: every piece is terminal-safe.
    """
    from dedup.report.encode import joined
    from dedup.report.sections import iter_text  # which builds on this module

    return joined(iter_text(result, provenances))
