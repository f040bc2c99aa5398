"""Provenance inside each cluster: which member is the origin, and who copied whom.

:func:`analyse_cluster` runs four named steps:

1. gather the evidence of each member: dates, wire credits, boilerplate, coverage
   (:func:`dedup.story.origin.gather_facts`);
2. choose the origin from that evidence alone, or find that it ties
   (:func:`dedup.story.origin.choose_origin`);
3. build the copy tree on the ranks the choice gives (:func:`dedup.story.edges.copy_tree`);
4. conclude: origin in the corpus, probably unseen, or undetermined
   (:func:`dedup.story.origin.conclude_origin`); then the evidence of each copy edge and
   the sibling pairs.

No step looks at document ids or their order: renaming or shuffling the documents
changes no origin, edge or sibling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from dedup.errors import DedupError
from dedup.match.verify import PairScore
from dedup.story.edges import (
    CopyEdge,
    CreditChange,
    PairScores,
    PassageRef,
    QuoteChange,
    SharedPassage,
    SiblingPair,
    changed_quotes,
    copy_edge,
    copy_tree,
    sibling_pairs,
)
from dedup.story.origin import Origin, choose_origin, conclude_origin, gather_facts
from dedup.story.result import Cluster, ScanResult
from dedup.text.credits import Credit, Dateline, find_quotes
from dedup.text.dates import DateSpan

__all__ = [
    "CopyEdge", "CreditChange", "MemberEvidence", "Origin", "OutletRow", "OutletView", "PassageRef", "Provenance",
    "QuoteChange", "SharedPassage", "SiblingPair", "UnreadDate", "analyse", "analyse_cluster", "changed_quotes",
    "outlet_view", "summary_of", "unread_dates",
]

Role = Literal["origin", "candidate", "copy", "unrelated"]


@dataclass(frozen=True)
class MemberEvidence:
    """What the provenance analysis found about one member (``doc`` indexes the corpus).

    ``role``: ``origin``; ``candidate`` (one of the members an undetermined origin ties
    between); ``copy`` (derived from another member; ``parent`` is ``None`` when two
    members contain it equally); ``unrelated`` (derived from no other member).
    """

    doc: int
    published: str | None
    credits: tuple[Credit, ...]
    dateline: Dateline | None
    coverage: float
    score: float
    parent: int | None
    role: Role
    date: DateSpan | None = None
    date_problem: str | None = None


@dataclass(frozen=True)
class Provenance:
    cluster_id: str
    origin: Origin
    members: tuple[MemberEvidence, ...]
    edges: tuple[CopyEdge, ...]
    siblings: tuple[SiblingPair, ...]


@dataclass(frozen=True)
class UnreadDate:
    """A clustered document whose date could not be read, and why."""

    doc: int
    published: str
    problem: str


@dataclass(frozen=True)
class OutletRow:
    outlet: str
    clustered: int
    origins: int

    @property
    def originality(self) -> float:
        return self.origins / self.clustered if self.clustered else 0.0


@dataclass(frozen=True)
class OutletView:
    """``copies[i][j]``: copy edges from an article of ``outlets[i]`` to one of ``outlets[j]``."""

    outlets: tuple[str, ...]
    copies: tuple[tuple[int, ...], ...]
    rows: tuple[OutletRow, ...]


def analyse_cluster(result: ScanResult, cluster: Cluster, known: dict[tuple[int, int], PairScore] | None = None) -> Provenance:
    """Origin, copy edges and siblings of one cluster of ``result``."""
    if known is None:
        known = {(s.first, s.second): s for s in result.pairs}
    pairs = PairScores(result, cluster, known)
    facts = gather_facts(result, cluster, pairs.passages)
    choice = choose_origin(facts)
    tree = copy_tree(cluster, pairs, choice.rank(facts), [f.score for f in facts], [f.date for f in facts])
    origin = conclude_origin(facts, choice, tree)

    docs, members = result.documents, cluster.members
    credits = [f.credits for f in facts]
    quotes = [find_quotes(docs[m.index].text) for m in members]
    edges = [
        copy_edge(result, cluster, p, k, credits, pairs, quotes) for k, p in enumerate(tree.parent) if p is not None
    ]
    edges.sort(key=lambda e: (docs[e.source].doc_id, docs[e.target].doc_id))
    siblings = sibling_pairs(result, cluster, pairs, tree, choice.tied)

    def role(k: int) -> Role:
        if k == choice.best and origin.doc is not None:
            return "origin"
        if k in choice.tied:
            return "candidate"
        return "copy" if tree.parent[k] is not None or k in tree.ambiguous else "unrelated"

    evidence = tuple(
        MemberEvidence(
            doc=f.doc,
            published=f.published,
            credits=f.credits,
            dateline=f.dateline,
            coverage=round(f.coverage, 4),
            score=round(f.score, 4),
            parent=members[tree.parent[k]].index if tree.parent[k] is not None else None,  # type: ignore[index]
            role=role(k),
            date=f.date,
            date_problem=f.date_problem,
        )
        for k, f in enumerate(facts)
    )
    return Provenance(cluster.cluster_id, origin, evidence, tuple(edges), tuple(siblings))


def analyse(result: ScanResult) -> list[Provenance]:
    """Provenance of every cluster of ``result``, in the order of ``result.clusters``."""
    if any(m.segmentation is None for c in result.clusters for m in c.members):
        raise DedupError("provenance needs the passages of a scan with detail (scan(..., detail=True))")
    known = {(s.first, s.second): s for s in result.pairs}
    return [analyse_cluster(result, cluster, known) for cluster in result.clusters]


def summary_of(provenance: Provenance) -> Provenance:
    """What :func:`outlet_view` and :func:`unread_dates` read of ``provenance``, without the
    passages, credits and quotes of its edges and its siblings, which a report that writes
    a cluster at a time no longer needs once the cluster is written."""
    edges = tuple(replace(e, shared=(), dropped=(), added=(), boilerplate_added=(), credits=(), quotes_changed=()) for e in provenance.edges)
    return replace(provenance, edges=edges, siblings=())


def unread_dates(result: ScanResult, provenances: Sequence[Provenance]) -> list[UnreadDate]:
    """Clustered documents that carry a date no reader understood, sorted by doc id."""
    unread = [
        UnreadDate(m.doc, m.published, m.date_problem or "not a date")
        for p in provenances
        for m in p.members
        if m.published and m.published.strip() and m.date is None
    ]
    return sorted(unread, key=lambda u: result.documents[u.doc].doc_id)


def outlet_view(result: ScanResult, provenances: Sequence[Provenance]) -> OutletView | None:
    """The outlet × outlet copy matrix and each outlet's originality; ``None`` without sources.

    Originality is the share of an outlet's clustered articles that are the origin of their
    cluster (origins not in the corpus, or undetermined, count for nobody).
    """
    docs = result.documents
    clustered = [m.doc for p in provenances for m in p.members]
    outlets = sorted({docs[d].source for d in clustered if docs[d].source})
    if not outlets:
        return None
    index = {name: k for k, name in enumerate(outlets)}
    copies = [[0] * len(outlets) for _ in outlets]
    for provenance in provenances:
        for edge in provenance.edges:
            a, b = docs[edge.source].source, docs[edge.target].source
            if a and b:
                copies[index[a]][index[b]] += 1
    counts = {name: 0 for name in outlets}
    origins = {name: 0 for name in outlets}
    for provenance in provenances:
        for member in provenance.members:
            name = docs[member.doc].source
            if name:
                counts[name] += 1
                if member.role == "origin":
                    origins[name] += 1
    rows = tuple(OutletRow(name, counts[name], origins[name]) for name in outlets)
    return OutletView(tuple(outlets), tuple(tuple(row) for row in copies), rows)
