"""Provenance inside each cluster: which member is the origin, and who copied whom.

The origin comes from dates when they decide it: the earliest of two or more dated
members (``Document.published``, else a date in the text's leading metadata) wins when its
date is strictly earlier than every other date. Otherwise the texts decide, by a score
that adds up evidence, each piece stated in words in :attr:`Origin.reasons`:

* coverage: the share of the other members' shared passages (by characters) that have a
  counterpart in this member. The original holds what every copy took from it, so it
  covers the most;
* wire credits (:mod:`dedup.text.credits`): a form that belongs to the agency's own dispatch
  (``à l'AFP``, ``PARIS (AFP) -``) counts for a member, a republisher's credit
  (``avec AFP``) against it;
* site boilerplate (``Crédit: Lien source``) counts a little against a member: reposts
  carry it, dispatches do not.

The original is probably *not in the corpus* when the members do not derive from one
another (more than one has no parent below), or when every credit in the cluster is a
republisher's credit of one agency ("all derive from an unseen AFP dispatch").

Copy edges form a tree. Members are ranked (origin first, then by date, then by score);
each later member takes as parent the earlier member that contains the largest share of
its narrative shingles, when that share reaches :data:`COPY_MIN_CONTAINMENT` (or its
passages are mostly found there, :data:`COPY_MIN_COVERAGE`). Other same-story pairs are
*siblings*: both derive from one parent, or neither contains the other.
"""

from __future__ import annotations

import difflib
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from dedup.errors import DedupError
from dedup.match.verify import PairScore
from dedup.story.result import Cluster, ScanResult
from dedup.story.scores import score_document_pairs
from dedup.text.credits import (
    Credit,
    Dateline,
    Quote,
    find_credits,
    find_dateline,
    find_quotes,
)

# A member is derived from an earlier one when at least this share of its narrative
# shingles is found there, or at least COPY_MIN_COVERAGE of its text (by passages).
COPY_MIN_CONTAINMENT = 0.25
COPY_MIN_COVERAGE = 0.6
# Score adjustments of the textual evidence; coverage itself is between 0 and 1.
OWN_CREDIT_BONUS = 0.15
REPUBLISHER_CREDIT_PENALTY = 0.15
BOILERPLATE_PENALTY = 0.05
# Two quotes are one statement reworded when their word sequences are this similar.
QUOTE_MIN_SIMILARITY = 0.6

Basis = Literal["dates", "evidence"]
Role = Literal["origin", "copy", "unrelated"]
CreditChangeKind = Literal["removed", "changed", "added"]


@dataclass(frozen=True)
class Origin:
    """The cluster's origin. ``doc`` is ``None`` when the original is probably not in the corpus;
    ``closest`` is then the member nearest to it."""

    doc: int | None
    closest: int
    confidence: float
    basis: Basis
    agency: str | None
    reasons: tuple[str, ...]
    summary: str

    @property
    def in_corpus(self) -> bool:
        return self.doc is not None

    @property
    def level(self) -> str:
        return "high" if self.confidence >= 0.75 else "medium" if self.confidence >= 0.5 else "low"


@dataclass(frozen=True)
class MemberEvidence:
    """What the provenance analysis found about one member (``doc`` indexes the corpus)."""

    doc: int
    published: str | None
    credits: tuple[Credit, ...]
    dateline: Dateline | None
    coverage: float
    score: float
    parent: int | None
    role: Role


@dataclass(frozen=True)
class PassageRef:
    """A passage of a member: its index among the member's passages and its span."""

    passage: int
    start: int
    end: int


@dataclass(frozen=True)
class SharedPassage:
    """A passage of the derived text and its counterpart (one or two adjacent passages) in the source."""

    source: tuple[PassageRef, ...]
    target: PassageRef
    relation: str
    score: float

    @property
    def source_span(self) -> tuple[int, int]:
        return self.source[0].start, self.source[-1].end


@dataclass(frozen=True)
class CreditChange:
    """A wire credit the derived text removed, changed or added.

    ``target_span`` is, for a removed credit, where the passage that held it went."""

    agency: str
    change: CreditChangeKind
    source: Credit | None
    target: Credit | None
    target_span: tuple[int, int] | None


@dataclass(frozen=True)
class QuoteChange:
    source: Quote
    target: Quote
    similarity: float


@dataclass(frozen=True)
class CopyEdge:
    """``target`` was derived from ``source`` (document indices into the corpus)."""

    source: int
    target: int
    containment_target_in_source: float
    containment_source_in_target: float
    coverage_target_in_source: float
    coverage_source_in_target: float
    shared: tuple[SharedPassage, ...]
    dropped: tuple[PassageRef, ...]
    added: tuple[PassageRef, ...]
    boilerplate_added: tuple[PassageRef, ...]
    credits: tuple[CreditChange, ...]
    quotes_changed: tuple[QuoteChange, ...]


@dataclass(frozen=True)
class SiblingPair:
    """Two same-story members of which neither was derived from the other."""

    first: int
    second: int
    containment_first_in_second: float
    containment_second_in_first: float
    common_parent: int | None
    reason: str


@dataclass(frozen=True)
class Provenance:
    cluster_id: str
    origin: Origin
    members: tuple[MemberEvidence, ...]
    edges: tuple[CopyEdge, ...]
    siblings: tuple[SiblingPair, ...]


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


# -- dates -------------------------------------------------------------------------

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def date_interval(value: str | None) -> tuple[datetime, datetime] | None:
    """The time span a published date stands for (UTC), or ``None`` when it does not parse.

    ``2024-04`` covers the whole of April, so it is neither before nor after ``2024-04-03``.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    partial = _PARTIAL_DATE.match(text)
    if partial:
        year, month, day = int(partial[1]), int(partial[2] or 1), int(partial[3] or 1)
        try:
            start = datetime(year, month, day, tzinfo=timezone.utc)
        except ValueError:
            return None
        if partial[3]:
            end = start + timedelta(days=1)
        elif partial[2]:
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=timezone.utc)
        else:
            end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
        return start, end
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)  # RSS feeds use RFC 2822 dates
        except (TypeError, ValueError, IndexError):
            moment = None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # naive dates are taken as UTC
    moment = moment.astimezone(timezone.utc)
    return moment, moment + timedelta(seconds=1)


# -- analysis ----------------------------------------------------------------------


class _Pairs:
    """Exact pair scores of one cluster, computing the pairs the scan never verified."""

    def __init__(self, result: ScanResult, cluster: Cluster, known: dict[tuple[int, int], PairScore]) -> None:
        group = sorted(m.index for m in cluster.members)
        missing = [(a, b) for k, a in enumerate(group) for b in group[k + 1 :] if (a, b) not in known]
        self.scores = dict(known)
        if missing:
            for score in score_document_pairs(result.documents, missing, result.config):
                self.scores[(score.first, score.second)] = score

    def containment(self, inner: int, outer: int) -> float:
        """Share of ``inner``'s narrative shingles found in ``outer``."""
        if inner < outer:
            return self.scores[(inner, outer)].containment_first_in_second
        return self.scores[(outer, inner)].containment_second_in_first

    def same_story(self, a: int, b: int) -> bool:
        return self.scores[(min(a, b), max(a, b))].same_story


def _coverage(cluster: Cluster, inner: int, outer: int, shared_only: bool = False) -> tuple[int, int]:
    """Characters of member ``inner``'s content passages with a counterpart in member ``outer``, and the total."""
    covered = total = 0
    for diff in cluster.members[inner].passages:
        if diff.status == "boilerplate" or (shared_only and diff.status != "shared"):
            continue
        size = diff.passage.end - diff.passage.start
        total += size
        if any(c.member == outer for c in diff.counterparts):
            covered += size
    return covered, total


def analyse_cluster(result: ScanResult, cluster: Cluster, known: dict[tuple[int, int], PairScore] | None = None) -> Provenance:
    """Origin, copy edges and siblings of one cluster of ``result``."""
    if known is None:
        known = {(s.first, s.second): s for s in result.pairs}
    docs = result.documents
    members = cluster.members
    size = len(members)
    pairs = _Pairs(result, cluster, known)
    pos_of = {m.index: k for k, m in enumerate(members)}

    credits, datelines, published, boiler = [], [], [], []
    for member in members:
        text = docs[member.index].text
        content = [d.passage for d in member.passages if d.status != "boilerplate"]
        body_start = content[0].start if content else 0
        credits.append(tuple(c for p in content for c in find_credits(text, p.start, p.end)))
        datelines.append(find_dateline(text, body_start))
        meta = dict(member.segmentation.metadata)
        published.append(docs[member.index].published or meta.get("published") or meta.get("date"))
        boiler.append(any(d.status == "boilerplate" for d in member.passages))

    coverage = []
    for k in range(size):
        covered = total = 0
        for other in range(size):
            if other != k:
                c, t = _coverage(cluster, other, k, shared_only=True)
                covered, total = covered + c, total + t
        coverage.append(covered / total if total else 0.0)

    own_agencies = [{c.agency for c in cs if c.own} for cs in credits]
    with_agencies = [{c.agency for c in cs if not c.own} for cs in credits]
    for k, dateline in enumerate(datelines):
        if dateline and dateline.agency:
            own_agencies[k].add(dateline.agency)
    scores = []
    for k in range(size):
        score = coverage[k]
        if own_agencies[k]:
            score += OWN_CREDIT_BONUS
        elif with_agencies[k]:
            score -= REPUBLISHER_CREDIT_PENALTY
        if boiler[k]:
            score -= BOILERPLATE_PENALTY
        scores.append(round(score, 6))

    def label(k: int) -> str:
        return docs[members[k].index].doc_id

    # -- the origin --------------------------------------------------------------
    by_score = sorted(range(size), key=lambda k: (-scores[k], label(k)))
    intervals = [date_interval(p) for p in published]
    dated = [k for k in range(size) if intervals[k] is not None]
    reasons: list[str] = []
    basis: Basis = "evidence"
    earliest = [k for k in dated if not any(intervals[o][1] <= intervals[k][0] for o in dated if o != k)]  # type: ignore[index]
    if len(dated) >= 2 and len(earliest) == 1:
        best = earliest[0]
        basis = "dates"
        reasons.append(f"{label(best)} was published first ({published[best]}), of {len(dated)} dated members")
        if len(dated) < size:
            reasons.append(f"{size - len(dated)} member(s) carry no date and could be earlier")
        confidence = 0.9 if len(dated) == size else 0.75
        if by_score[0] != best:
            confidence -= 0.15
            reasons.append(f"the texts point to {label(by_score[0])} instead (it covers more of the shared passages)")
    else:
        pool = earliest if len(dated) >= 2 and earliest else list(range(size))
        if len(dated) >= 2:
            reasons.append("dates do not decide: " + ", ".join(f"{label(k)} {published[k]}" for k in dated))
        candidates = [k for k in by_score if k in pool]
        best = candidates[0]
        runner_up = next((k for k in by_score if k != best), None)
        margin = scores[best] - scores[runner_up] if runner_up is not None else 1.0
        confidence = 0.45 + min(0.35, max(0.0, margin))
        reasons.append(
            f"{label(best)} holds {coverage[best]:.0%} of the passages the other members share"
            + (f" ({label(runner_up)}: {coverage[runner_up]:.0%})" if runner_up is not None else "")
        )
    for k in (best,):
        for credit in credits[k]:
            if credit.own:
                reasons.append(f"{label(k)} carries the agency's own credit “{credit.text}” ({credit.agency}, {credit.kind})")
        if datelines[k] and datelines[k].agency:  # type: ignore[union-attr]
            reasons.append(f"{label(k)} opens with an agency dateline ({datelines[k].place}, {datelines[k].agency})")  # type: ignore[union-attr]
    if own_agencies[best] and basis == "evidence":
        confidence += 0.05
    for k in range(size):
        if k != best and boiler[k] and not boiler[best]:
            reasons.append(f"{label(k)} adds site boilerplate, as reposts do")
        if k != best and own_agencies[k] and not own_agencies[best]:
            confidence -= 0.15
            reasons.append(f"but {label(k)} carries the agency's own credit and {label(best)} does not")

    # -- the copy tree -------------------------------------------------------------
    def rank_key(k: int) -> tuple[int, float, float, str]:
        start = intervals[k][0].timestamp() if basis == "dates" and intervals[k] else float("inf")  # type: ignore[index]
        return (0 if k == best else 1, start, -scores[k], label(k))

    order = sorted(range(size), key=rank_key)
    parent: dict[int, int | None] = {best: None}
    for position, k in enumerate(order[1:], start=1):
        choice, choice_value = None, 0.0
        for a in order[:position]:
            value = pairs.containment(members[k].index, members[a].index)
            covered, total = _coverage(cluster, k, a)
            passes = value >= COPY_MIN_CONTAINMENT or (total and covered / total >= COPY_MIN_COVERAGE)
            if passes and value > choice_value:
                choice, choice_value = a, value
        parent[k] = choice
    roots = [k for k in order if parent[k] is None]
    if len(roots) == 1:
        confidence += 0.1 if basis == "evidence" else 0.0
        if size > 1:
            reasons.append(f"every other member derives from {label(best)}")

    # Is the original in the corpus?
    all_agencies = set().union(*own_agencies, *with_agencies)
    republished_only = bool(all_agencies) and not any(own_agencies) and len(all_agencies) == 1
    agency = next(iter(all_agencies)) if len(all_agencies) == 1 else (next(iter(own_agencies[best])) if len(own_agencies[best]) == 1 else None)
    origin_doc: int | None = members[best].index
    if republished_only:
        origin_doc = None
        confidence = 0.7
        summary = f"all derive from an unseen {agency} dispatch; {label(best)} is closest to it"
        reasons.append(f"every credit in the cluster is a republisher's credit of {agency}, none is the agency's own")
    elif len(roots) > 1:
        origin_doc = None
        confidence = min(confidence, 0.5)
        source = f"an unseen {agency} dispatch" if agency else "an unseen common source"
        summary = f"probably all derive from {source}; {label(best)} is closest to it"
        reasons.append(
            "no member contains " + ", ".join(label(k) for k in roots[1:]) + ": they share a source rather than copy each other"
        )
    else:
        summary = f"{label(best)} is the origin"
    confidence = round(min(0.95, max(0.05, confidence)), 2)
    origin = Origin(origin_doc, members[best].index, confidence, basis, agency, tuple(reasons), summary)

    # -- edges and siblings ----------------------------------------------------------
    edges = []
    for k in order:
        a = parent[k]
        if a is not None:
            edges.append(_edge(result, cluster, a, k, credits, pairs))
    edges.sort(key=lambda e: (docs[e.source].doc_id, docs[e.target].doc_id))
    tree = {(e.source, e.target) for e in edges} | {(e.target, e.source) for e in edges}
    siblings = []
    group = sorted(m.index for m in members)
    for i, a in enumerate(group):
        for b in group[i + 1 :]:
            if (a, b) in tree or not pairs.same_story(a, b):
                continue
            pa, pb = parent[pos_of[a]], parent[pos_of[b]]
            common = members[pa].index if pa is not None and pa == pb else None
            c_ab, c_ba = pairs.containment(a, b), pairs.containment(b, a)
            if common is not None:
                reason = f"both derive from {docs[common].doc_id}"
            else:
                reason = f"neither contains the other (containment {c_ab:.2f} / {c_ba:.2f})"
            siblings.append(SiblingPair(a, b, c_ab, c_ba, common, reason))

    evidence = tuple(
        MemberEvidence(
            doc=members[k].index,
            published=published[k],
            credits=credits[k],
            dateline=datelines[k],
            coverage=round(coverage[k], 4),
            score=round(scores[k], 4),
            parent=members[parent[k]].index if parent[k] is not None else None,  # type: ignore[index]
            role="origin" if k == best and origin_doc is not None else "copy" if parent[k] is not None else "unrelated",
        )
        for k in range(size)
    )
    return Provenance(cluster.cluster_id, origin, evidence, tuple(edges), tuple(siblings))


def _edge(
    result: ScanResult,
    cluster: Cluster,
    source: int,
    target: int,
    credits: list[tuple[Credit, ...]],
    pairs: _Pairs,
) -> CopyEdge:
    """The evidence of one copy edge between members ``source`` and ``target`` (cluster positions)."""
    src, dst = cluster.members[source], cluster.members[target]
    src_text, dst_text = result.documents[src.index].text, result.documents[dst.index].text

    def ref(member_pos: int, passage: int) -> PassageRef:
        p = cluster.members[member_pos].passages[passage].passage
        return PassageRef(passage, p.start, p.end)

    shared, added, boiler_added = [], [], []
    source_boiler = {" ".join(src_text[d.passage.start : d.passage.end].split()) for d in src.passages if d.status == "boilerplate"}
    for k, diff in enumerate(dst.passages):
        if diff.status == "boilerplate":
            if " ".join(dst_text[diff.passage.start : diff.passage.end].split()) not in source_boiler:
                boiler_added.append(ref(target, k))
            continue
        match = next((c for c in diff.counterparts if c.member == source), None)
        if match is None:
            added.append(ref(target, k))
        else:
            refs = tuple(ref(source, p) for p in match.passages)
            shared.append(SharedPassage(refs, ref(target, k), match.relation, match.cosine))
    dropped = [
        ref(source, k)
        for k, diff in enumerate(src.passages)
        if diff.status != "boilerplate" and not any(c.member == target for c in diff.counterparts)
    ]

    # Where each source passage went in the target, for locating removed credits.
    went: dict[int, tuple[int, int]] = {}
    for k, diff in enumerate(src.passages):
        match = next((c for c in diff.counterparts if c.member == target), None)
        if match is not None:
            spans = [dst.passages[p].passage for p in match.passages]
            went[k] = (spans[0].start, spans[-1].end)
    changes: list[CreditChange] = []
    target_credits = list(credits[target])
    used: set[int] = set()
    for credit in credits[source]:
        if any(c.agency == credit.agency and c.kind == credit.kind for c in target_credits):
            continue
        passage = next((k for k, d in enumerate(src.passages) if d.passage.start <= credit.start < d.passage.end), None)
        swapped = next(
            (i for i, c in enumerate(target_credits) if c.agency == credit.agency and i not in used), None
        )
        if swapped is not None:
            used.add(swapped)
            changes.append(CreditChange(credit.agency, "changed", credit, target_credits[swapped], None))
        else:
            changes.append(CreditChange(credit.agency, "removed", credit, None, went.get(passage) if passage is not None else None))
    for i, credit in enumerate(target_credits):
        if i in used or any(c.agency == credit.agency and c.kind == credit.kind for c in credits[source]):
            continue
        changes.append(CreditChange(credit.agency, "added", None, credit, None))

    c_src, c_dst = _coverage(cluster, source, target), _coverage(cluster, target, source)
    return CopyEdge(
        source=src.index,
        target=dst.index,
        containment_target_in_source=round(pairs.containment(dst.index, src.index), 4),
        containment_source_in_target=round(pairs.containment(src.index, dst.index), 4),
        coverage_target_in_source=round(c_dst[0] / c_dst[1], 4) if c_dst[1] else 0.0,
        coverage_source_in_target=round(c_src[0] / c_src[1], 4) if c_src[1] else 0.0,
        shared=tuple(shared),
        dropped=tuple(dropped),
        added=tuple(added),
        boilerplate_added=tuple(boiler_added),
        credits=tuple(changes),
        quotes_changed=tuple(changed_quotes(src_text, dst_text)),
    )


def changed_quotes(source_text: str, target_text: str) -> list[QuoteChange]:
    """Quotes of ``target_text`` that reword a quote of ``source_text`` (similar, not the same words).

    Each source quote pairs with at most one target quote, most similar pairs first.
    """
    source_quotes, target_quotes = find_quotes(source_text), find_quotes(target_text)
    candidates = []
    for t, quote in enumerate(target_quotes):
        for s, original in enumerate(source_quotes):
            matcher = difflib.SequenceMatcher(None, original.words, quote.words, autojunk=False)
            # the quick ratios are upper bounds of ratio(): most pairs of quotes stop here
            if matcher.real_quick_ratio() < QUOTE_MIN_SIMILARITY or matcher.quick_ratio() < QUOTE_MIN_SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= QUOTE_MIN_SIMILARITY:
                candidates.append((-ratio, t, s))
    changes, used_s, used_t = [], set(), set()
    for neg_ratio, t, s in sorted(candidates):
        if t in used_t or s in used_s:
            continue
        used_t.add(t)
        used_s.add(s)
        if source_quotes[s].words != target_quotes[t].words:
            changes.append(QuoteChange(source_quotes[s], target_quotes[t], round(-neg_ratio, 4)))
    return sorted(changes, key=lambda c: c.target.start)


def analyse(result: ScanResult) -> list[Provenance]:
    """Provenance of every cluster of ``result``, in the order of ``result.clusters``."""
    if any(m.segmentation is None for c in result.clusters for m in c.members):
        raise DedupError("provenance needs the passages of a scan with detail (scan(..., detail=True))")
    known = {(s.first, s.second): s for s in result.pairs}
    return [analyse_cluster(result, cluster, known) for cluster in result.clusters]


def outlet_view(result: ScanResult, provenances: Sequence[Provenance]) -> OutletView | None:
    """The outlet × outlet copy matrix and each outlet's originality; ``None`` without sources.

    Originality is the share of an outlet's clustered articles that are the origin of their
    cluster (origins not in the corpus count for nobody).
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
