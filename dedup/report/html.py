"""A self-contained HTML report: one page, no network assets, readable offline.

Layout: the cluster list (size, origin, confidence), then one collapsible section per
cluster with the origin's reasons, the copy graph as inline SVG, and per copy edge a
side-by-side view of source and copy. Passages that are one passage in several members
share a colour; unique passages, dropped and added passages are marked; a reworded
passage shows its word-level differences from the source (``difflib``).

Size: a section is rendered into the page only for the first :data:`INLINE_CLUSTERS`
clusters; the others sit in inert ``<template>`` elements that a small script turns into
DOM when their section is opened, so a report of 1,000 clusters stays light. Edge views
are collapsed past the first, so a cluster of 30 versions opens as a list.

Safety: every piece of document text goes through :func:`html.escape`, and the page's
Content-Security-Policy allows no network access and only the page's own script (by its
SHA-256), so even text that slipped through escaping could not run.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import html
import re
from collections.abc import Sequence

from dedup.story.provenance import CopyEdge, Provenance, outlet_view, unread_dates
from dedup.story.result import SCHEMA_VERSION, Cluster, ScanResult, tool_info
from dedup.text.normalize import normalize_text

# Cluster sections rendered into the page; the rest render on demand from <template>s.
INLINE_CLUSTERS = 20
# Sibling pairs are drawn in the graph only for clusters up to this size (else a thicket).
MAX_SIBLINGS_DRAWN = 12
_NODE_W, _NODE_H, _GAP_X, _GAP_Y = 210, 30, 70, 14
_WORD_KEY = re.compile(r"[\"'+.,;:!?()\[\]-]")

_SCRIPT = """
document.addEventListener("toggle", function (event) {
  var section = event.target;
  if (!section.open || !section.dataset || !section.dataset.lazy) { return; }
  var template = document.getElementById(section.dataset.lazy);
  if (template) { section.appendChild(template.content.cloneNode(true)); template.remove(); }
  delete section.dataset.lazy;
}, true);
""".strip()

_STYLE = """
:root { --unique: #c62828; --added: #2e7d32; --dropped: #8d6e63; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #1f2328; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; } h2 { font-size: 1.15rem; } h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.meta { color: #57606a; font-size: .85rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
details.cluster { border: 1px solid #d0d7de; border-radius: 6px; margin: .8rem 0; padding: .4rem .8rem; }
details.cluster > summary { cursor: pointer; font-weight: 600; }
details.edge { margin: .6rem 0; border-left: 3px solid #0969da; padding-left: .6rem; }
details.edge > summary { cursor: pointer; }
.reasons li { margin: .1rem 0; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.col h4 { margin: .3rem 0; font-size: .9rem; position: sticky; top: 0; background: #fff; padding: .2rem 0; }
.p { margin: .35rem 0; padding: .3rem .5rem; border-radius: 4px; border-left: 5px solid transparent; }
.p .tag { font-size: .7rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; margin-right: .4rem;
  padding: 0 .3rem; border-radius: 3px; color: #fff; }
.p.unique { background: #fdecea; border-left-color: var(--unique); }
.p.unique .tag { background: var(--unique); }
.p.added { border-left-color: var(--added); }
.p.added .tag { background: var(--added); }
.p.dropped { opacity: .75; border-left-color: var(--dropped); }
.p.dropped .tag { background: var(--dropped); }
.p.boilerplate { color: #6e7781; font-style: italic; background: #f6f8fa; }
.p.boilerplate .tag { background: #6e7781; }
.p.heading { font-weight: 600; }
.p .off { color: #6e7781; font-size: .72rem; margin-left: .3rem; }
ins { background: #c8f7c5; text-decoration: none; } del { background: #ffd7d5; }
.credit { outline: 2px solid #bf8700; border-radius: 2px; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: middle; border-radius: 2px; margin-right: .3rem; }
svg text { font: 12px system-ui, sans-serif; }
""".strip()


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _anchor(cluster_id: str) -> str:
    return "cl-" + re.sub(r"[^A-Za-z0-9_-]", "-", cluster_id)


# Hues of shared passages: golden-angle steps (neighbours stay apart) within this range,
# which keeps every one of them far from the reds and pinks that mark unique passages.
SHARED_HUES = (45.0, 290.0)


def shared_hue(group: int) -> float:
    """The hue of shared-passage group ``group``, in :data:`SHARED_HUES`."""
    low, high = SHARED_HUES
    return low + (group * 137.508) % (high - low)


def _colour(group: int) -> str:
    """A light background per shared-passage group."""
    return f"hsl({shared_hue(group):.0f}, 70%, 88%)"


def passage_groups(cluster: Cluster) -> dict[tuple[int, int], int]:
    """Colour group of each shared (member position, passage index): passages linked as counterparts share one.

    Counterparts name passages by their index among all the member's passages
    (boilerplate included), as the JSON report does.
    """
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(node: tuple[int, int]) -> tuple[int, int]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for m, member in enumerate(cluster.members):
        for k, diff in enumerate(member.passages):
            for counterpart in diff.counterparts:
                for p in counterpart.passages:
                    a, b = find((m, k)), find((counterpart.member, p))
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    roots = sorted({find(node) for node in parent})
    number = {root: k for k, root in enumerate(roots)}
    return {node: number[find(node)] for node in parent}


def word_diff(source: str, target: str) -> str:
    """``target`` as HTML, words not in ``source`` in ``<ins>``, source words it lost in ``<del>``."""
    a, b = source.split(), target.split()
    # Words are compared in normal form, so that ’ against ' or « against " is no change.
    keys_a, keys_b = ([_WORD_KEY.sub("", normalize_text(w)) for w in words] for words in (a, b))
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(_e(" ".join(b[j1:j2])))
        if op in ("delete", "replace"):
            out.append("<del>" + _e(" ".join(a[i1:i2])) + "</del>")
        if op in ("insert", "replace"):
            out.append("<ins>" + _e(" ".join(b[j1:j2])) + "</ins>")
    return " ".join(out)


def _with_credits(text: str, start: int, end: int, credits: Sequence[tuple[int, int]]) -> str:
    """``text[start:end]`` escaped, wire credits inside it outlined."""
    pieces, position = [], start
    for c_start, c_end in credits:
        if start <= c_start and c_end <= end:
            pieces.append(_e(text[position:c_start]))
            pieces.append(f'<mark class="credit" title="wire credit">{_e(text[c_start:c_end])}</mark>')
            position = c_end
    pieces.append(_e(text[position:end]))
    return "".join(pieces)


def _graph_svg(result: ScanResult, provenance: Provenance) -> str:
    """The copy tree, origin on the left, each generation one column to the right."""
    docs = result.documents
    parent = {m.doc: m.parent for m in provenance.members}

    def depth(doc: int) -> int:
        steps = 0
        while parent.get(doc) is not None and steps < len(parent):
            doc, steps = parent[doc], steps + 1  # type: ignore[assignment]
        return steps

    layers: dict[int, list[int]] = {}
    for member in sorted(provenance.members, key=lambda m: (m.doc != provenance.origin.closest, docs[m.doc].doc_id)):
        layers.setdefault(depth(member.doc), []).append(member.doc)
    pos = {}
    for layer, nodes in layers.items():
        for row, doc in enumerate(nodes):
            pos[doc] = (10 + layer * (_NODE_W + _GAP_X), 10 + row * (_NODE_H + _GAP_Y))
    width = 20 + len(layers) * (_NODE_W + _GAP_X) - _GAP_X
    height = 20 + max(len(n) for n in layers.values()) * (_NODE_H + _GAP_Y) - _GAP_Y
    parts = [
        f'<svg class="graph" role="img" aria-label="copy graph" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<defs><marker id="arrow-{_anchor(provenance.cluster_id)}" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#0969da"/>'
        "</marker></defs>",
    ]
    if len(provenance.members) <= MAX_SIBLINGS_DRAWN:
        for pair in provenance.siblings:
            (x1, y1), (x2, y2) = pos[pair.first], pos[pair.second]
            parts.append(
                f'<line class="sibling" x1="{x1 + _NODE_W / 2}" y1="{y1 + _NODE_H / 2}" x2="{x2 + _NODE_W / 2}" '
                f'y2="{y2 + _NODE_H / 2}" stroke="#8c959f" stroke-dasharray="4 4"><title>siblings: {_e(pair.reason)}'
                "</title></line>"
            )
    for edge in provenance.edges:
        (x1, y1), (x2, y2) = pos[edge.source], pos[edge.target]
        parts.append(
            f'<line class="edge" data-source="{_e(docs[edge.source].doc_id)}" data-target="{_e(docs[edge.target].doc_id)}" '
            f'x1="{x1 + _NODE_W}" y1="{y1 + _NODE_H / 2}" x2="{x2}" y2="{y2 + _NODE_H / 2}" stroke="#0969da" '
            f'stroke-width="2" marker-end="url(#arrow-{_anchor(provenance.cluster_id)})"><title>'
            f"{_e(docs[edge.source].doc_id)} → {_e(docs[edge.target].doc_id)}: containment "
            f"{edge.containment_target_in_source:.2f}</title></line>"
        )
    for member in provenance.members:
        x, y = pos[member.doc]
        doc_id = docs[member.doc].doc_id
        label = doc_id if len(doc_id) <= 28 else doc_id[:26] + "…"
        origin = member.doc == provenance.origin.closest
        fill = "#ddf4ff" if origin else "#ffffff"
        stroke = "#0969da" if origin else "#8c959f"
        dashed = ' stroke-dasharray="5 3"' if origin and not provenance.origin.in_corpus else ""
        parts.append(
            f'<g class="node" data-doc="{_e(doc_id)}"><title>{_e(doc_id)} ({_e(member.role)})</title>'
            f'<rect x="{x}" y="{y}" width="{_NODE_W}" height="{_NODE_H}" rx="5" fill="{fill}" stroke="{stroke}"{dashed}/>'
            f'<text x="{x + 8}" y="{y + 19}">{_e(label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _passage_html(
    result: ScanResult,
    cluster: Cluster,
    groups: dict[tuple[int, int], int],
    position: int,
    passage_index: int,
    edge_mark: str | None = None,
    compare_to: str | None = None,
    credits: Sequence[tuple[int, int]] = (),
) -> str:
    member = cluster.members[position]
    diff = member.passages[passage_index]
    passage = diff.passage
    text = result.documents[member.index].text
    classes = ["p", diff.status, passage.kind]
    tags = []
    if diff.status == "unique":
        tags.append("unique")
    if diff.status == "boilerplate":
        tags.append("boilerplate")
    if edge_mark:
        classes.append(edge_mark)
        if edge_mark != "unique" and diff.status != "unique":
            tags.append(edge_mark)
    style = ""
    group = groups.get((position, passage_index))
    if diff.status == "shared" and group is not None:
        style = f' style="background:{_colour(group)}"'
    body = word_diff(compare_to, text[passage.start : passage.end]) if compare_to is not None else _with_credits(
        text, passage.start, passage.end, credits
    )
    tag_html = "".join(f'<span class="tag">{t}</span>' for t in tags)
    return (
        f'<div class="{" ".join(classes)}" data-passage="{passage_index}" data-status="{diff.status}"{style}>'
        f'{tag_html}{body}<span class="off">[{passage.start}–{passage.end}]</span></div>'
    )


def _edge_html(result: ScanResult, cluster: Cluster, provenance: Provenance, edge: CopyEdge,
               groups: dict[tuple[int, int], int], open_: bool) -> str:
    docs = result.documents
    pos = {m.index: k for k, m in enumerate(cluster.members)}
    source_pos, target_pos = pos[edge.source], pos[edge.target]
    source_text = docs[edge.source].text
    evidence = {m.doc: m for m in provenance.members}
    source_credits = [(c.start, c.end) for c in evidence[edge.source].credits]
    target_credits = [(c.start, c.end) for c in evidence[edge.target].credits]
    dropped = {r.passage for r in edge.dropped}
    added = {r.passage for r in edge.added}
    reworded = {s.target.passage: s for s in edge.shared if s.relation == "reworded"}
    left = [
        _passage_html(result, cluster, groups, source_pos, k, "dropped" if k in dropped else None,
                      credits=source_credits)
        for k in range(len(cluster.members[source_pos].passages))
    ]
    right = []
    for k in range(len(cluster.members[target_pos].passages)):
        shared = reworded.get(k)
        compare_to = source_text[shared.source_span[0] : shared.source_span[1]] if shared else None
        right.append(_passage_html(result, cluster, groups, target_pos, k, "added" if k in added else None,
                                   compare_to, target_credits))
    notes = []
    for change in edge.credits:
        if change.change == "removed" and change.source:
            notes.append(f"credit removed: «{_e(change.source.text)}» ({_e(change.agency)})")
        elif change.change == "changed" and change.source and change.target:
            notes.append(f"credit changed: «{_e(change.source.text)}» → «{_e(change.target.text)}»")
        elif change.target:
            notes.append(f"credit added: «{_e(change.target.text)}» ({_e(change.agency)})")
    for quote in edge.quotes_changed:
        notes.append(f"quote reworded: {word_diff(quote.source.text, quote.target.text)}")
    source_id, target_id = _e(docs[edge.source].doc_id), _e(docs[edge.target].doc_id)
    verbatim = sum(1 for s in edge.shared if s.relation == "verbatim")
    summary = (
        f"{source_id} → {target_id}: containment {edge.containment_target_in_source:.2f} / "
        f"{edge.containment_source_in_target:.2f}; "
        + (f"words told in order {edge.aligned_target_in_source:.2f} / {edge.aligned_source_in_target:.2f}; "
           if edge.aligned_target_in_source or edge.aligned_source_in_target else "")
        + f"{len(edge.shared)} shared ({verbatim} verbatim), "
        f"{len(edge.dropped)} dropped, {len(edge.added)} added"
    )
    return (
        f'<details class="edge" data-source="{source_id}" data-target="{target_id}"{" open" if open_ else ""}>'
        f"<summary>{summary}</summary>"
        + (f'<ul class="changes">{"".join(f"<li>{n}</li>" for n in notes)}</ul>' if notes else "")
        + f'<div class="pair"><div class="col source"><h4>source: {source_id}</h4>{"".join(left)}</div>'
        f'<div class="col target"><h4>copy: {target_id}</h4>{"".join(right)}</div></div></details>'
    )


def _cluster_body(result: ScanResult, cluster: Cluster, provenance: Provenance) -> str:
    docs = result.documents
    origin = provenance.origin
    groups = passage_groups(cluster)
    if origin.closest is None and origin.undetermined:
        headline = f'<p class="origin"><strong>Origin:</strong> undetermined: {_e(origin.undetermined)}</p>'
    else:
        headline = (f'<p class="origin"><strong>Origin:</strong> {_e(origin.summary)} — confidence {origin.confidence:.2f} '
                    f"({_e(origin.level)}, from {'dates' if origin.basis == 'dates' else 'the texts'})</p>")
    parts = [
        headline,
        '<ul class="reasons">' + "".join(f"<li>{_e(r)}</li>" for r in origin.reasons) + "</ul>",
        "<h3>Copy graph</h3>",
        _graph_svg(result, provenance),
        '<table class="members"><tr><th>member</th><th>source</th><th>published</th><th>role</th><th>parent</th>'
        "<th>coverage</th><th>credits</th></tr>",
    ]
    for member in sorted(provenance.members, key=lambda m: docs[m.doc].doc_id):
        doc = docs[member.doc]
        parts.append(
            f'<tr class="member" data-doc="{_e(doc.doc_id)}"><td>{_e(doc.doc_id)}</td><td>{_e(doc.source or "")}</td>'
            f'<td>{_e(member.published or "")}</td><td>{_e(member.role)}</td>'
            f'<td>{_e(docs[member.parent].doc_id) if member.parent is not None else ""}</td>'
            f'<td class="num">{member.coverage:.2f}</td>'
            f'<td>{_e(", ".join(f"{c.text} ({c.kind})" for c in member.credits))}</td></tr>'
        )
    parts.append("</table>")
    if provenance.siblings:
        parts.append("<h3>Siblings</h3><ul class=\"siblings\">" + "".join(
            f"<li>{_e(docs[s.first].doc_id)} ~ {_e(docs[s.second].doc_id)}: {_e(s.reason)}</li>"
            for s in provenance.siblings) + "</ul>")
    parts.append(
        f'<h3>Side by side</h3><p class="legend"><span><span class="swatch" style="background:{_colour(0)}"></span>'
        "same colour: one shared passage</span><span><span class=\"swatch\" style=\"background:#fdecea;"
        'border-left:4px solid #c62828"></span>unique to its member</span><span><ins>inserted</ins> / '
        "<del>deleted</del> words in a reworded passage</span></p>"
    )
    if not provenance.edges:
        parts.append("<p>No member was derived from another; the side-by-side views follow copy edges.</p>")
    for k, edge in enumerate(provenance.edges):
        parts.append(_edge_html(result, cluster, provenance, edge, groups, open_=k == 0))
    return "".join(parts)


def _outlets_html(result: ScanResult, provenances: Sequence[Provenance]) -> str:
    view = outlet_view(result, provenances)
    if view is None:
        return ""
    head = "".join(f"<th>{_e(name)}</th>" for name in view.outlets)
    rows = "".join(
        f"<tr><th>{_e(name)}</th>" + "".join(f'<td class="num">{n}</td>' for n in copies) + "</tr>"
        for name, copies in zip(view.outlets, view.copies)
    )
    originality = "".join(
        f'<tr><td>{_e(r.outlet)}</td><td class="num">{r.origins}</td><td class="num">{r.clustered}</td>'
        f'<td class="num">{r.originality:.0%}</td></tr>'
        for r in view.rows
    )
    return (
        '<section id="outlets"><h2>Outlets</h2><p class="meta">Copy edges from the row outlet to the column outlet.</p>'
        f'<table class="matrix"><tr><th></th>{head}</tr>{rows}</table>'
        '<table class="originality"><tr><th>outlet</th><th>origins</th><th>clustered</th><th>originality</th></tr>'
        f"{originality}</table></section>"
    )


def _unread_dates_html(result: ScanResult, provenances: Sequence[Provenance]) -> str:
    unread = unread_dates(result, provenances)
    if not unread:
        return ""
    docs = result.documents
    examples = ", ".join(f"«{_e(u.published)}» ({_e(docs[u.doc].doc_id)}: {_e(u.problem)})" for u in unread[:5])
    return f'<p class="meta">Dates not understood: {len(unread)} clustered documents, e.g. {examples}.</p>'


def _origin_label(result: ScanResult, provenance: Provenance) -> str:
    docs, origin = result.documents, provenance.origin
    if origin.doc is not None:
        return docs[origin.doc].doc_id
    if origin.closest is not None:
        return f"unseen (closest {docs[origin.closest].doc_id})"
    return "undetermined"


def listing_row(result: ScanResult, rank: int, cluster: Cluster, provenance: Provenance) -> str:
    """The cluster's row in the table of clusters (a provenance summary is enough)."""
    origin = provenance.origin
    return (
        f'<tr><td class="num">{rank}</td><td><a href="#{_anchor(cluster.cluster_id)}">{_e(cluster.cluster_id)}</a></td>'
        f'<td class="num">{len(cluster.members)}</td><td>{_e(_origin_label(result, provenance))}</td>'
        f'<td class="num">{origin.confidence:.2f}</td><td class="num">{len(provenance.edges)}</td></tr>'
    )


def section_parts(result: ScanResult, rank: int, cluster: Cluster, provenance: Provenance) -> tuple[str, str, bool]:
    """The cluster's section: ``(opening, closing, inline)``. The first :data:`INLINE_CLUSTERS`
    are ``inline``, their body between the two; the others' sections are closed at once
    (``opening + closing``) and their bodies wait in templates (:func:`template_parts`),
    which the page's script moves in when a section is opened."""
    anchor = _anchor(cluster.cluster_id)
    summary = (
        f"<summary>Cluster {rank} ({_e(cluster.cluster_id)}): {len(cluster.members)} documents — origin "
        f"{_e(_origin_label(result, provenance))}</summary>"
    )
    if rank <= INLINE_CLUSTERS:
        return f'<details class="cluster" id="{anchor}"{" open" if rank == 1 else ""}>{summary}', "</details>", True
    return f'<details class="cluster" id="{anchor}" data-lazy="t-{anchor}">{summary}', "</details>", False


def template_parts(cluster: Cluster) -> tuple[str, str]:
    """What holds the body of a section beyond :data:`INLINE_CLUSTERS`: ``(opening, closing)``."""
    return f'<template id="t-{_anchor(cluster.cluster_id)}">', "</template>"


def page_head(result: ScanResult, provenances: Sequence[Provenance], listing: Sequence[str]) -> str:
    """The page up to the clusters' sections: title, counts, unread dates, the table of
    clusters (``listing``, a row each) and the outlets (summaries of provenance are enough)."""
    stats = result.stats
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'"
    )
    clusters = f"{stats['clusters']} cluster{'' if stats['clusters'] == 1 else 's'}"
    title = f"dedup report: {clusters} in {stats['documents']} documents"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="meta">{_e(tool_info()["name"])} {_e(tool_info()["version"])}, report schema {SCHEMA_VERSION}; '
        f"{stats['clustered_documents']} clustered documents, {stats['singletons']} singletons, "
        f"{stats['same_story_pairs']} same-story pairs.</p>"
        + _unread_dates_html(result, provenances)
        + '<h2>Clusters</h2><table class="clusters"><tr><th>#</th><th>cluster</th><th>size</th><th>origin</th>'
        f"<th>confidence</th><th>copy edges</th></tr>{''.join(listing)}</table>"
        + _outlets_html(result, provenances)
    )


PAGE_END = f"<script>{_SCRIPT}</script></body></html>\n"


def html_sections(
    view: ScanResult, clusters: Sequence[Cluster], provenances: Sequence[Provenance], links: object = None
) -> list[bytes]:
    """Each cluster's body, as UTF-8 (a worker's, for :func:`dedup.report.sections.iter_html`)."""
    return [_cluster_body(view, cluster, provenance).encode("utf-8") for cluster, provenance in zip(clusters, provenances)]


def render_html(result: ScanResult, provenances: Sequence[Provenance]) -> str:
    """The whole report as one HTML page (UTF-8, no external resources, deterministic):
    :func:`dedup.report.sections.iter_html`'s pieces, joined."""
    from dedup.report.encode import joined
    from dedup.report.sections import iter_html  # which builds on this module

    return joined(iter_html(result, provenances))
