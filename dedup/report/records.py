"""The JSON report: one record per pair, cluster, copy edge and outlet.

Every report carries ``schema_version`` and the scan's parameters; the layout is documented
in ``docs/schema.md``. Reports hold no timings or paths of the machine, so the same input
and parameters always give byte-identical output.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from dedup.match.verify import PairScore
from dedup.report.ahead import Ahead, ahead_of_clusters
from dedup.report.encode import Plain, dumps, dumps_utf8, dumps_utf8_nested, joined
from dedup.spools import FilePiece
from dedup.story.links import Link, cluster_links
from dedup.story.provenance import (
    CopyEdge,
    OutletView,
    PassageRef,
    Provenance,
    analyse,
    analyse_cluster,
    outlet_view,
    summary_of,
    unread_dates,
)
from dedup.story.diff import Counterpart
from dedup.story.result import SCHEMA_VERSION, Cluster, ScanResult, tool_info
from dedup.text.credits import Credit


def round_score(value: float) -> float:
    return round(float(value), 4)


def pair_record(result: ScanResult, score: PairScore) -> dict[str, object]:
    docs = result.documents
    return Plain({  # ids, a flag, rounded scores and counts
        "first": docs[score.first].doc_id,
        "second": docs[score.second].doc_id,
        "same_story": score.same_story,
        "minhash_jaccard": round_score(score.minhash_jaccard),
        "jaccard": round_score(score.jaccard),
        "containment": {
            "first_in_second": round_score(score.containment_first_in_second),
            "second_in_first": round_score(score.containment_second_in_first),
        },
        "shared_shingles": score.shared_shingles,
        "shared_passages": {"first": score.shared_passages_first, "second": score.shared_passages_second},
        "aligned": {"first": round_score(score.aligned_first), "second": round_score(score.aligned_second)},
    })


def link_record(result: ScanResult, link: Link) -> dict[str, object]:
    docs = result.documents
    return {
        "doc_id": docs[link.doc].doc_id,
        "cluster_id": link.cluster_id,
        "pairs": link.pairs,
        "member": docs[link.member].doc_id,
        "containment": round_score(link.containment),
    }


def cluster_record(
    result: ScanResult, cluster: Cluster, provenance: Provenance | None = None, links: tuple[Link, ...] = (),
    *, shared: bool = False,
) -> dict[str, object]:
    """The record of one cluster. With ``shared`` (a record encoded at once, never handed
    out), equal counterparts are one dict: the diff makes one Counterpart for each window
    and cosine, which a paragraph told word for word by 160 members has 160 times."""
    docs = result.documents
    names = [docs[m.index].doc_id for m in cluster.members]

    def counterpart_record(c: Counterpart) -> dict[str, object]:  # the cosine is rounded to four places
        return Plain(doc_id=names[c.member], passages=list(c.passages), cosine=c.cosine, relation=c.relation)

    made: dict[int, dict[str, object]] = {}  # shared: each Counterpart's record, by its id
    if shared:  # the Counterparts outlive the record, so their ids are not reused meanwhile
        unique = {id(c): c for m in cluster.members for d in m.passages for c in d.counterparts}
        made = {key: counterpart_record(c) for key, c in unique.items()}

    def counterpart_records(counterparts: tuple[Counterpart, ...]) -> list[dict[str, object]]:
        if shared:
            return list(map(made.__getitem__, map(id, counterparts)))
        return [counterpart_record(c) for c in counterparts]

    members = []
    for member in cluster.members:
        doc = docs[member.index]
        passages = []
        for number, diff in enumerate(member.passages):
            passage = diff.passage
            passages.append(Plain(  # offsets, two names, text and counterparts: plain throughout
                index=number, start=passage.start, end=passage.end, kind=passage.kind, status=diff.status,
                text=doc.text[passage.start : passage.end], counterparts=counterpart_records(diff.counterparts),
            ))
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
        "linked": [link_record(result, link) for link in links],
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
            "target_in_source": round_score(edge.containment_target_in_source),
            "source_in_target": round_score(edge.containment_source_in_target),
        },
        "aligned": {
            "target_in_source": round_score(edge.aligned_target_in_source),
            "source_in_target": round_score(edge.aligned_source_in_target),
        },
        "passage_coverage": {
            "target_in_source": round_score(edge.coverage_target_in_source),
            "source_in_target": round_score(edge.coverage_source_in_target),
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
            "closest": docs[origin.closest].doc_id if origin.closest is not None else None,
            "confidence": origin.confidence,
            "level": origin.level,
            "basis": origin.basis,
            "agency": origin.agency,
            "summary": origin.summary,
            "reasons": list(origin.reasons),
            "undetermined": origin.undetermined,
            "candidates": sorted(docs[d].doc_id for d in origin.candidates),
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
                    "first_in_second": round_score(s.containment_first_in_second),
                    "second_in_first": round_score(s.containment_second_in_first),
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
            row.outlet: {"clustered": row.clustered, "origins": row.origins, "share": round_score(row.originality)}
            for row in view.rows
        },
    }


def header_record(result: ScanResult) -> dict[str, object]:
    """What a report says before its clusters: versions, parameters and counts."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": tool_info(),
        "parameters": result.config.describe(),
        "summary": {**result.stats, "skipped": skipped_summary(result)},
    }


def skipped_records(result: ScanResult) -> list[dict[str, object]]:
    return [{"location": p.location, "kind": p.kind, "message": p.message} for p in result.problems]


def to_json_dict(result: ScanResult, provenances: list[Provenance] | None = None) -> dict[str, object]:
    """The JSON report as one dict (:func:`iter_json` writes the same text a cluster at a time)."""
    provenances = analyse(result) if provenances is None else provenances
    return {key: _materialised(value) for key, value in _report_items(result, provenances)}


def _materialised(value: object) -> object:
    if isinstance(value, _Later):
        return value.make()
    if isinstance(value, _Small):
        return list(value.records)
    return list(value) if isinstance(value, Iterator) else value


def _report_items(
    result: ScanResult, provenances: list[Provenance] | None, encoded: bool = False
) -> Iterator[tuple[str, object]]:
    """The report's top-level keys in order; the long lists as iterators, built as they are read.

    With ``provenances`` None, each cluster's provenance is analysed when its record is
    built; the outlets and unread dates after the clusters use what that gathered. With
    ``encoded``, a deferred scan's cluster records come as the text the workers wrote.
    """
    analysed: list[Provenance] = [] if provenances is None else provenances
    pairs = _Small(pair_record(result, s) for s in result.pairs)
    ahead, start = ahead_of_clusters(result, provenances, _iter_small(pairs.records)) if encoded else (None, None)
    clusters = cluster_records(result, provenances, analysed, json_element_utf8 if encoded else None, spare=start)
    try:
        yield from header_record(result).items()
        yield "clusters", clusters
        # evaluated after the clusters were read: the generators below run in order
        yield "outlets", _Later(lambda: outlets_record(outlet_view(result, analysed)))
        yield "unread_dates", _Later(lambda: unread_dates_record(result, analysed))
        yield "pairs", ahead if ahead is not None else pairs
        yield "skipped", skipped_records(result)
    finally:  # a report left unfinished (its writer failed) stops the thread
        if ahead is not None:
            ahead.close()


def cluster_records(
    result: ScanResult, provenances: list[Provenance] | None, analysed: list[Provenance],
    encode: Callable[[dict[str, object]], bytes] | None = None, spare: Callable[[], object] | None = None,
) -> Iterator[dict[str, object] | Encoded]:
    """The record of each cluster, in order, built as it is asked for.

    With ``provenances`` None, each cluster is analysed just before its record is built,
    and its provenance appended to ``analysed``. A deferred scan's clusters get their
    passages (:attr:`ScanResult.details`) as they come, and their members' texts only
    while their record is built. Given ``encode`` (a module-level function, sent to the
    workers), a deferred scan's records come as the :class:`Encoded` UTF-8 text the workers
    made of them, ``encode(record)``; ``spare()`` is called once a worker has none left
    to make.
    """
    links = cluster_links(result)
    if result.records is not None and encode is not None and provenances is None:
        write = partial(encoded_records, encode)
        for data, summary in result.records(result.clusters, links, write, in_files=True, spare=spare):
            analysed.append(summary)
            yield Encoded(data)
        return
    if result.details is None:
        known = {(s.first, s.second): s for s in result.pairs}
        detailed: Iterator[tuple[Cluster, dict[int, str], Provenance | None]] = ((c, {}, None) for c in result.clusters)
    else:  # passages, texts and provenance made in the workers, a batch of clusters at a time
        detailed = result.details(result.clusters)
    docs = result.documents
    for k, (cluster, texts, provenance) in enumerate(detailed):
        for index, text in texts.items():
            docs[index] = docs[index].with_text(text)
        if provenances is None:
            analysed.append(provenance if provenance is not None else analyse_cluster(result, cluster, known))
        record = cluster_record(result, cluster, analysed[k], links.get(cluster.cluster_id, ()))
        for index in texts:
            docs[index] = docs[index].with_text("")
        if provenances is None:  # only the outlets and unread dates read it from now on
            analysed[k] = summary_of(analysed[k])
        yield record


@dataclass(frozen=True)
class Encoded:
    """A record already written as the report's text for it, in UTF-8: in memory, or in a
    file a worker left it in (which whoever writes the report copies, and removes, before
    asking for the next piece: :func:`~dedup.report.encode.write_pieces`)."""

    data: bytes | memoryview | FilePiece


def encoded_records(
    encode: Callable[[dict[str, object]], bytes | memoryview], view: ScanResult, clusters: list[Cluster],
    provenances: list[Provenance], links: dict[str, tuple[Link, ...]],
) -> list[bytes | memoryview]:
    """``encode`` of each cluster's record (run in a worker, on its view of the scan)."""
    return [
        encode(cluster_record(view, cluster, provenance, links.get(cluster.cluster_id, ()), shared=True))
        for cluster, provenance in zip(clusters, provenances)
    ]


def no_records(view: ScanResult, clusters: list[Cluster], provenances: list[Provenance], links: object) -> list[bytes]:
    """No record at all: for a caller of a deferred scan's records that wants only the
    provenance summaries (``dedup eval --scan``)."""
    return [b""] * len(clusters)


def json_element(record: dict[str, object]) -> str:
    """``record`` as an element of one of the JSON report's top-level lists."""
    return dumps(record, nested=4)


def json_element_utf8(record: dict[str, object]) -> bytes | memoryview:
    """:func:`json_element` in UTF-8 (a worker's, sent back as bytes; a view of the
    encoder's output, which a large record is not copied out of)."""
    return dumps_utf8_nested(record, 4)


class _Small:
    """Records small enough to be written many at a time (a corpus has millions of pairs)."""

    def __init__(self, records: Iterator[dict[str, object]]) -> None:
        self.records = records


# Small records written at a time: one encoder call and one check of their values for many.
SMALL_CHUNK = 512


class _Later:
    """A value computed when the writer reaches it (after the clusters before it)."""

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def iter_json(result: ScanResult, provenances: list[Provenance] | None = None) -> Iterator[str | bytes]:
    """The JSON report's text in pieces, a cluster or a pair at a time (the records the
    workers wrote as UTF-8 bytes, the rest as text: :func:`~dedup.report.encode.utf8_pieces`
    writes both).

    The pieces joined are ``json.dumps(to_json_dict(result), ensure_ascii=False, indent=2)``
    and a newline, byte for byte: each element of a long list is written on its own and
    indented as that call would indent it (JSON text holds no raw newline but between
    tokens, so indenting is adding spaces after each newline). Memory holds one cluster's
    record at a time, not the whole report and its text.
    """
    opening = "{"
    for key, value in _report_items(result, provenances, encoded=True):
        yield f"{opening}\n  {dumps(key)}: "
        opening = ","
        if isinstance(value, _Later):
            value = value.make()
        if isinstance(value, Ahead):
            yield from value
        elif isinstance(value, _Small):
            yield from _iter_small(value.records)
        elif isinstance(value, Iterator):
            yield from _iter_list(value)
        else:
            yield dumps(value, nested=2)
    yield "\n}\n" if opening == "," else "{}\n"


def _iter_list(elements: Iterator[object]) -> Iterator[str | bytes]:
    """A list of the report's top level, as ``json.dumps(..., indent=2)`` writes it, element by element."""
    separator = "[\n    "
    for element in elements:
        if isinstance(element, Encoded):
            yield separator
            yield element.data
        else:
            yield separator + json_element(element)
        separator = ",\n    "
    yield "[]" if separator == "[\n    " else "\n  ]"


def _iter_small(records: Iterator[dict[str, object]]) -> Iterator[bytes | str]:
    """:func:`_iter_list` of small records, :data:`SMALL_CHUNK` at a time: a chunk written as
    a list inside the report (``nested=2``) is its elements as the report writes them,
    between the list's brackets."""
    opening = b"[\n    "
    while chunk := list(itertools.islice(records, SMALL_CHUNK)):
        text = dumps_utf8(chunk, nested=2)  # b"[\n    " element b",\n    " element ... b"\n  ]"
        yield opening + text[len(b"[\n    ") : -len(b"\n  ]")]
        opening = b",\n    "
    yield "[]" if opening == b"[\n    " else "\n  ]"


UNREAD_DATE_EXAMPLES = 5


def unread_dates_record(result: ScanResult, provenances: list[Provenance]) -> dict[str, object]:
    """Clustered documents whose date could not be read: how many, and a few examples."""
    unread = unread_dates(result, provenances)
    examples = [
        {"doc_id": result.documents[u.doc].doc_id, "published": u.published, "problem": u.problem}
        for u in unread[:UNREAD_DATE_EXAMPLES]
    ]
    return {"count": len(unread), "examples": examples}


def skipped_summary(result: ScanResult) -> dict[str, int]:
    summary: dict[str, int] = {}
    for problem in result.problems:
        summary[problem.kind] = summary.get(problem.kind, 0) + 1
    return dict(sorted(summary.items()))


def render_json(result: ScanResult, provenances: list[Provenance] | None = None) -> str:
    # orjson where it writes what json.dumps(..., ensure_ascii=False, indent=2) writes (see encode)
    return joined(iter_json(result, provenances))
