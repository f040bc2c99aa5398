"""Who copied whom inside a cluster: the copy tree, the evidence of each copy edge, siblings.

Members are ranked (the origin first, then by date, then by the evidence score of
:mod:`dedup.story.origin`). Each member takes as parent a member ranked *strictly* ahead
of it that contains the largest share of its narrative shingles, when that share reaches
:data:`COPY_MIN_CONTAINMENT` (or its passages are mostly found there,
:data:`COPY_MIN_COVERAGE`). A rewrite shares less wording: a same-story member also derives
from one ranked ahead that the texts do not rank below it, when it was published after
that one or holds most of it (:data:`COPY_MIN_HELD`). Members of equal rank never derive from one another: when the
evidence cannot order two members, they are *siblings*, not source and copy. A member that
two equally ranked members contain equally derives from one of them, but which one is
left open (it has no parent edge). Other same-story pairs are siblings too: both derive
from one parent, or neither contains the other.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dedup.match.verify import PairScore
from dedup.story.coverage import PassageCoverage
from dedup.story.result import Cluster, ScanResult
from dedup.story.scores import score_document_pairs
from dedup.text.credits import Credit, Quote, find_quotes
from dedup.text.dates import DateSpan

# A member is derived from an earlier one when at least this share of its narrative
# shingles is found there, or at least COPY_MIN_COVERAGE of its text (by passages).
COPY_MIN_CONTAINMENT = 0.25
COPY_MIN_COVERAGE = 0.6
# ... or when it holds at least this share of the earlier member's shingles: a copy that
# took half of a dispatch and added as much again of its own is still a copy.
COPY_MIN_HELD = 0.5
# Evidence scores (dedup.story.origin) closer than this do not tell two members apart.
SCORE_TIE = 0.02
# Two quotes are one statement reworded when their word sequences are this similar.
QUOTE_MIN_SIMILARITY = 0.6

CreditChangeKind = Literal["removed", "changed", "added"]
Rank = tuple[float, ...]


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
    # for a rewrite pair (dedup.match.words): the share of each told in order by the other
    aligned_target_in_source: float
    aligned_source_in_target: float
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
class CopyTree:
    """Parent of each member (cluster positions), and the members that derive equally from several."""

    parent: tuple[int | None, ...]
    ambiguous: dict[int, tuple[int, ...]]

    def roots(self) -> list[int]:
        """Members derived from no other member (those of an open choice are derived)."""
        return [k for k, p in enumerate(self.parent) if p is None and k not in self.ambiguous]


class PairScores:
    """Exact pair scores of one cluster, computing the pairs the scan never verified."""

    def __init__(self, result: ScanResult, cluster: Cluster, known: dict[tuple[int, int], PairScore]) -> None:
        group = sorted(m.index for m in cluster.members)
        # the cluster's own pairs only: a copy of every verified pair of the corpus per
        # cluster made the provenance of a large corpus quadratic
        self.scores: dict[tuple[int, int], PairScore] = {}
        missing = []
        for k, a in enumerate(group):
            for b in group[k + 1 :]:
                score = known.get((a, b))
                if score is None:
                    missing.append((a, b))
                else:
                    self.scores[(a, b)] = score
        if missing:
            for score in score_document_pairs(result.documents, missing, result.config):
                self.scores[(score.first, score.second)] = score
        self.passages = PassageCoverage(cluster)

    def containment(self, inner: int, outer: int) -> float:
        """Share of ``inner``'s narrative shingles found in ``outer`` (document indices)."""
        if inner < outer:
            return self.scores[(inner, outer)].containment_first_in_second
        return self.scores[(outer, inner)].containment_second_in_first

    def same_story(self, a: int, b: int) -> bool:
        return self.scores[(min(a, b), max(a, b))].same_story

    def rewrite(self, a: int, b: int) -> bool:
        """Whether the pair is a copy by the words it tells in the same order alone."""
        score = self.scores[(min(a, b), max(a, b))]
        return score.same_story and score.aligned > 0

    def aligned(self, inner: int, outer: int) -> float:
        """The share of ``inner`` that ``outer`` tells in the same order (0 when not measured)."""
        score = self.scores[(min(inner, outer), max(inner, outer))]
        return score.aligned_first if inner < outer else score.aligned_second

    def held(self, inner: int, outer: int) -> float:
        """How much of ``inner`` ``outer`` holds: the containment, or for a rewrite pair the
        larger of it and ``inner``'s aligned share (its words that ``outer`` tells in order)."""
        containment = self.containment(inner, outer)
        if not self.rewrite(inner, outer):
            return containment
        return max(containment, self.aligned(inner, outer))


def copy_tree(
    cluster: Cluster,
    pairs: PairScores,
    rank: Sequence[Rank],
    scores: Sequence[float],
    dates: Sequence[DateSpan | None],
) -> CopyTree:
    """Each member's parent: the member ranked strictly ahead that contains most of it.

    The result does not depend on the order of the members: only ranks, containments,
    evidence scores and dates decide.
    """
    members = cluster.members
    parent: list[int | None] = [None] * len(members)
    ambiguous: dict[int, tuple[int, ...]] = {}
    for k in range(len(members)):
        options = []
        for a in range(len(members)):
            if rank[a] >= rank[k]:
                continue
            value = pairs.held(members[k].index, members[a].index)
            if value > 0 and _derives(cluster, pairs, k, a, value, scores, dates):
                options.append((-round(value, 9), rank[a], a))
        if not options:
            continue
        options.sort(key=lambda option: option[:2])
        best = [a for value, r, a in options if (value, r) == options[0][:2]]
        if len(best) == 1:
            parent[k] = best[0]
        else:
            ambiguous[k] = tuple(best)
    return CopyTree(tuple(parent), ambiguous)


def _derives(
    cluster: Cluster, pairs: PairScores, k: int, a: int, value: float,
    scores: Sequence[float], dates: Sequence[DateSpan | None],
) -> bool:
    """Whether member ``k`` derives from member ``a`` (ranked ahead of it), ``value`` the share of ``k`` in ``a``.

    Enough of ``k`` is found in ``a``; or the two tell one story, the texts do not point from
    ``k`` to ``a`` (its evidence score is no higher), and ``k`` holds most of ``a`` or was
    published after it: a later rewrite of a dispatch shares little of its wording. A pair
    that is a copy by the words told in order alone (a rewrite) shares too few passages for
    them to point either way: there a later date is enough.
    """
    covered, total = pairs.passages.of(k, a)
    if value >= COPY_MIN_CONTAINMENT or (total and covered / total >= COPY_MIN_COVERAGE):
        return True
    doc_k, doc_a = cluster.members[k].index, cluster.members[a].index
    if not pairs.same_story(doc_k, doc_a):
        return False
    later = dates[a] is not None and dates[k] is not None and dates[a].before(dates[k])  # type: ignore[union-attr]
    if pairs.rewrite(doc_k, doc_a):
        return later or scores[k] <= scores[a] + SCORE_TIE
    if scores[k] > scores[a] + SCORE_TIE:
        return False
    return later or pairs.containment(doc_a, doc_k) >= COPY_MIN_HELD


def sibling_pairs(
    result: ScanResult, cluster: Cluster, pairs: PairScores, tree: CopyTree, tied: Sequence[int]
) -> list[SiblingPair]:
    """Same-story pairs that are not an edge of ``tree``, each with the reason they are siblings."""
    docs, members = result.documents, cluster.members
    pos_of = {m.index: k for k, m in enumerate(members)}
    edges = {(members[p].index, members[k].index) for k, p in enumerate(tree.parent) if p is not None}
    edges |= {(b, a) for a, b in edges}
    siblings = []
    derive_from: dict[int, str] = {}  # the reason of the pairs with a common parent, by parent
    # every pair of the cluster, first document first, in document order
    for (a, b), score in sorted(pairs.scores.items()):
        if not score.same_story or (a, b) in edges:
            continue
        ka, kb = pos_of[a], pos_of[b]
        pa, pb = tree.parent[ka], tree.parent[kb]
        common = members[pa].index if pa is not None and pa == pb else None
        c_ab, c_ba = score.containment_first_in_second, score.containment_second_in_first
        if common is not None:
            reason = derive_from.get(common) or derive_from.setdefault(common, f"both derive from {docs[common].doc_id}")
        elif ka in tied and kb in tied:
            reason = f"the evidence does not tell which is the source (containment {c_ab:.2f} / {c_ba:.2f})"
        elif kb in tree.ambiguous.get(ka, ()) or ka in tree.ambiguous.get(kb, ()):
            child = a if kb in tree.ambiguous.get(ka, ()) else b
            others = [docs[members[o].index].doc_id for o in tree.ambiguous[pos_of[child]]]
            reason = (f"{docs[child].doc_id} derives from one of {', '.join(sorted(others))}, which contain it "
                      f"equally (containment {c_ab:.2f} / {c_ba:.2f})")
        else:
            reason = f"neither contains the other (containment {c_ab:.2f} / {c_ba:.2f})"
        siblings.append(SiblingPair(a, b, c_ab, c_ba, common, reason))
    return siblings


def copy_edge(
    result: ScanResult,
    cluster: Cluster,
    source: int,
    target: int,
    credits: Sequence[tuple[Credit, ...]],
    pairs: PairScores,
    quotes: Sequence[Sequence[Quote]] | None = None,
) -> CopyEdge:
    """The evidence of one copy edge between members ``source`` and ``target`` (cluster positions).

    ``quotes``: each member's :func:`find_quotes`, when the caller has them (a member is in
    several edges); found here otherwise.
    """
    src, dst = cluster.members[source], cluster.members[target]
    if quotes is None:
        source_quotes, target_quotes = (find_quotes(result.documents[m.index].text) for m in (src, dst))
    else:
        source_quotes, target_quotes = quotes[source], quotes[target]
    shared, added, boiler_added, dropped = _passage_changes(result, cluster, source, target)
    c_src, c_dst = pairs.passages.of(source, target), pairs.passages.of(target, source)
    return CopyEdge(
        source=src.index,
        target=dst.index,
        containment_target_in_source=round(pairs.containment(dst.index, src.index), 4),
        containment_source_in_target=round(pairs.containment(src.index, dst.index), 4),
        aligned_target_in_source=round(pairs.aligned(dst.index, src.index), 4),
        aligned_source_in_target=round(pairs.aligned(src.index, dst.index), 4),
        coverage_target_in_source=round(c_dst[0] / c_dst[1], 4) if c_dst[1] else 0.0,
        coverage_source_in_target=round(c_src[0] / c_src[1], 4) if c_src[1] else 0.0,
        shared=tuple(shared),
        dropped=tuple(dropped),
        added=tuple(added),
        boilerplate_added=tuple(boiler_added),
        credits=tuple(_credit_changes(cluster, source, target, credits)),
        quotes_changed=tuple(quote_changes(source_quotes, target_quotes)),
    )


def _passage_changes(
    result: ScanResult, cluster: Cluster, source: int, target: int
) -> tuple[list[SharedPassage], list[PassageRef], list[PassageRef], list[PassageRef]]:
    """Shared, added and added-boilerplate passages of the target, and passages it dropped."""
    src, dst = cluster.members[source], cluster.members[target]
    src_text, dst_text = result.documents[src.index].text, result.documents[dst.index].text

    def ref(member_pos: int, passage: int) -> PassageRef:
        p = cluster.members[member_pos].passages[passage].passage
        return PassageRef(passage, p.start, p.end)

    shared, added, boiler_added = [], [], []
    source_boiler = {
        " ".join(src_text[d.passage.start : d.passage.end].split()) for d in src.passages if d.status == "boilerplate"
    }
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
    return shared, added, boiler_added, dropped


def _credit_changes(
    cluster: Cluster, source: int, target: int, credits: Sequence[tuple[Credit, ...]]
) -> list[CreditChange]:
    """Credits of the source the target removed or changed, and credits it added."""
    src, dst = cluster.members[source], cluster.members[target]
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
        swapped = next((i for i, c in enumerate(target_credits) if c.agency == credit.agency and i not in used), None)
        if swapped is not None:
            used.add(swapped)
            changes.append(CreditChange(credit.agency, "changed", credit, target_credits[swapped], None))
        else:
            span = went.get(passage) if passage is not None else None
            changes.append(CreditChange(credit.agency, "removed", credit, None, span))
    for i, credit in enumerate(target_credits):
        if i in used or any(c.agency == credit.agency and c.kind == credit.kind for c in credits[source]):
            continue
        changes.append(CreditChange(credit.agency, "added", None, credit, None))
    return changes


def changed_quotes(source_text: str, target_text: str) -> list[QuoteChange]:
    """Quotes of ``target_text`` that reword a quote of ``source_text`` (similar, not the same words).

    Each source quote pairs with at most one target quote, most similar pairs first.
    """
    return quote_changes(find_quotes(source_text), find_quotes(target_text))


def quote_changes(source_quotes: Sequence[Quote], target_quotes: Sequence[Quote]) -> list[QuoteChange]:
    """:func:`changed_quotes` on quotes already found."""
    # A quote told word for word pairs first (similarity 1, which no other pair reaches),
    # each with the first free source quote of the same words, target quotes in order: the
    # pairs the most-similar-first rule makes, without comparing every quote with every quote.
    same_words: dict[tuple[str, ...], list[int]] = {}
    for s, original in enumerate(source_quotes):
        same_words.setdefault(original.words, []).append(s)
    used_s: set[int] = set()
    unpaired: list[int] = []
    for t, quote in enumerate(target_quotes):
        same = same_words.get(quote.words)
        if same:
            used_s.add(same.pop(0))
        else:
            unpaired.append(t)
    free_sources = [s for s in range(len(source_quotes)) if s not in used_s]
    candidates = []
    for t in unpaired:
        quote = target_quotes[t]
        # one matcher per target quote: SequenceMatcher indexes its second sequence once
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(quote.words)
        size = len(quote.words)
        for s in free_sources:
            original = source_quotes[s]
            # the quick ratios are upper bounds of ratio(): most pairs of quotes stop here,
            # the first (real_quick_ratio, from the lengths alone) before the matcher is set
            total = len(original.words) + size
            if total and 2.0 * min(len(original.words), size) / total < QUOTE_MIN_SIMILARITY:
                continue
            matcher.set_seq1(original.words)
            if matcher.quick_ratio() < QUOTE_MIN_SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= QUOTE_MIN_SIMILARITY:
                candidates.append((-ratio, t, s))
    changes, used_t = [], set()
    for neg_ratio, t, s in sorted(candidates):
        if t in used_t or s in used_s:
            continue
        used_t.add(t)
        used_s.add(s)
        changes.append(QuoteChange(source_quotes[s], target_quotes[t], round(-neg_ratio, 4)))
    return sorted(changes, key=lambda c: c.target.start)
