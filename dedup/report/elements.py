"""The records of a report's elements: verified pairs, outside links, clusters with their
members' passages, and each cluster's provenance (copy edges, siblings, origin)."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterator, Sequence

from dedup.match.verify import PairScore
from dedup.report.encode import Plain
from dedup.report.rounding import round_score, rounded_rows
from dedup.story.diff import Counterpart
from dedup.story.links import Link
from dedup.story.provenance import CopyEdge, PassageRef, Provenance, SiblingPair
from dedup.story.result import Cluster, ScanResult
from dedup.text.credits import Credit


def pair_record(result: ScanResult, score: PairScore) -> dict[str, object]:
    return pair_records(result, (score,))[0]


_PAIR_FLOATS = operator.attrgetter(
    "minhash_jaccard", "jaccard", "containment_first_in_second", "containment_second_in_first",
    "aligned_first", "aligned_second",
)


def pair_records(result: ScanResult, scores: Sequence[PairScore]) -> list[dict[str, object]]:
    """The record of each of ``scores``: their scores rounded a column at once."""
    if not scores:
        return []
    docs = result.documents
    rounded = rounded_rows(list(map(_PAIR_FLOATS, scores)), 6)
    return [
        Plain({  # ids, a flag, rounded scores and counts
            "first": docs[score.first].doc_id,
            "second": docs[score.second].doc_id,
            "same_story": score.same_story,
            "minhash_jaccard": minhash,
            "jaccard": jaccard,
            "containment": {"first_in_second": first_in_second, "second_in_first": second_in_first},
            "shared_shingles": score.shared_shingles,
            "shared_passages": {"first": score.shared_passages_first, "second": score.shared_passages_second},
            "aligned": {"first": aligned_first, "second": aligned_second},
        })
        for score, (minhash, jaccard, first_in_second, second_in_first, aligned_first, aligned_second)
        in zip(scores, rounded)
    ]


def pair_chunks(result: ScanResult, scores: Sequence[PairScore], size: int) -> Iterator[list[dict[str, object]]]:
    """:func:`pair_records` of ``scores``, ``size`` at a time (a corpus has millions)."""
    for start in range(0, len(scores), size):
        yield pair_records(result, scores[start : start + size])


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
    *, shared: bool = False, members: range | None = None, rest: bool = True,
) -> dict[str, object]:
    """The record of one cluster. With ``shared`` (a record encoded at once, never handed
    out), equal counterparts are one dict: the diff makes one Counterpart for each window
    and cosine, which a paragraph told word for word by 160 members has 160 times.

    ``members`` (positions) and ``rest`` False make part of it: only those members, and
    without the pairs, links and provenance after them (a large cluster's record is written
    in parts: :func:`~dedup.report.records.encoded_part`).
    """
    docs = result.documents
    names = [docs[m.index].doc_id for m in cluster.members]
    chosen = cluster.members if members is None else [cluster.members[k] for k in members]

    def counterpart_record(c: Counterpart) -> dict[str, object]:  # the cosine is rounded to four places
        return Plain(doc_id=names[c.member], passages=list(c.passages), cosine=c.cosine, relation=c.relation)

    made: dict[int, dict[str, object]] = {}  # shared: each Counterpart's record, by its id
    if shared:  # the Counterparts outlive the record, so their ids are not reused meanwhile
        every = list(itertools.chain.from_iterable(d.counterparts for m in chosen for d in m.passages))
        made = {key: counterpart_record(c) for key, c in dict(zip(map(id, every), every)).items()}

    def counterpart_records(counterparts: tuple[Counterpart, ...]) -> list[dict[str, object]]:
        if shared:
            return list(map(made.__getitem__, map(id, counterparts)))
        return [counterpart_record(c) for c in counterparts]

    records = []
    for member in chosen:
        doc = docs[member.index]
        passages = []
        for number, diff in enumerate(member.passages):
            passage = diff.passage
            passages.append(Plain(  # offsets, two names, text and counterparts: plain throughout
                index=number, start=passage.start, end=passage.end, kind=passage.kind, status=diff.status,
                text=doc.text[passage.start : passage.end], counterparts=counterpart_records(diff.counterparts),
            ))
        records.append(
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
    record: dict[str, object] = {"cluster_id": cluster.cluster_id, "size": len(cluster.members), "members": records}
    if not rest:
        return record
    record["pairs"] = pair_records(result, cluster.pairs)
    record["linked"] = [link_record(result, link) for link in links]
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
        "siblings": sibling_records(result, provenance.siblings),
    }


_SIBLING_FLOATS = operator.attrgetter("containment_first_in_second", "containment_second_in_first")


def sibling_records(result: ScanResult, siblings: Sequence[SiblingPair]) -> list[dict[str, object]]:
    """The record of each of ``siblings`` (a large cluster has tens of thousands): their
    containments rounded a column at once."""
    docs = result.documents
    rounded = rounded_rows(list(map(_SIBLING_FLOATS, siblings)), 2)
    return [
        Plain({  # ids, rounded containments and a reason
            "first": docs[s.first].doc_id,
            "second": docs[s.second].doc_id,
            "containment": {"first_in_second": first_in_second, "second_in_first": second_in_first},
            "common_parent": docs[s.common_parent].doc_id if s.common_parent is not None else None,
            "reason": s.reason,
        })
        for s, (first_in_second, second_in_first) in zip(siblings, rounded)
    ]
