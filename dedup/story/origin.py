"""The origin of a cluster, from evidence only; when the evidence ties, no origin.

Dates decide when they can: the earliest of two or more dated members
(``Document.published``, else a date in the text's leading metadata, read by
:mod:`dedup.text.dates`) wins when its date span lies wholly before every other one.
Otherwise the texts decide, by a score that adds up evidence, each piece stated in words
in :attr:`Origin.reasons`:

* coverage: the share of the other members' shared passages (by characters) that have a
  counterpart in this member. The original holds what every copy took from it, so it
  covers the most;
* wire credits (:mod:`dedup.text.credits`): a form that belongs to the agency's own dispatch
  (``à l'AFP``, ``PARIS (AFP) -``, ``(اے پی پی)``) counts for a member, a republisher's
  credit (``avec AFP``) against it;
* site boilerplate (``Crédit: Lien source``) counts a little against a member: reposts
  carry it, dispatches do not.

When two or more members are within :data:`TIE_MARGIN` of the best score (always the case
for two copies of one single passage with the same credits and no dates), the origin is
*undetermined*, with the reason in words. Nothing here looks at document ids, so renaming
or reordering the documents never changes an origin.

The original is probably *not in the corpus* when the members do not derive from one
another (more than one has no parent in the copy tree), or when every member credits one
agency in a republisher's form ("all derive from an unseen AFP dispatch"); a member without
any credit may be the agency's own text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dedup.story.coverage import PassageCoverage
from dedup.story.edges import SCORE_TIE, CopyTree, Rank
from dedup.story.result import Cluster, ScanResult
from dedup.text.credits import Credit, Dateline, find_credits, find_dateline
from dedup.text.dates import DateSpan, read_date

# Score adjustments of the textual evidence; coverage itself is between 0 and 1.
OWN_CREDIT_BONUS = 0.15
REPUBLISHER_CREDIT_PENALTY = 0.15
BOILERPLATE_PENALTY = 0.05
# Scores closer than this do not tell two members apart.
TIE_MARGIN = SCORE_TIE

Basis = Literal["dates", "evidence"]


@dataclass(frozen=True)
class Origin:
    """The cluster's origin.

    ``doc`` is the origin when it is in the corpus. Otherwise ``closest`` is the member
    nearest to an unseen original (``unseen``), or, when the evidence ties, ``doc`` and
    ``closest`` are both ``None``, ``undetermined`` says why and ``candidates`` are the
    members that tie.
    """

    doc: int | None
    closest: int | None
    confidence: float
    basis: Basis
    agency: str | None
    reasons: tuple[str, ...]
    summary: str
    undetermined: str | None = None
    candidates: tuple[int, ...] = ()
    unseen: bool = False

    @property
    def in_corpus(self) -> bool | None:
        """``True``: ``doc`` is the origin; ``False``: probably unseen; ``None``: undetermined."""
        if self.doc is not None:
            return True
        return False if self.unseen or self.undetermined is None else None

    @property
    def level(self) -> str:
        return "high" if self.confidence >= 0.75 else "medium" if self.confidence >= 0.5 else "low"


@dataclass(frozen=True)
class MemberFacts:
    """What one member's record and text say about where it stands in the story."""

    doc: int
    label: str  # the doc id, for the reasons only
    published: str | None
    date: DateSpan | None
    date_problem: str | None
    credits: tuple[Credit, ...]
    dateline: Dateline | None
    boilerplate: bool
    coverage: float
    own_agencies: frozenset[str]
    credited_agencies: frozenset[str]
    score: float


@dataclass(frozen=True)
class OriginChoice:
    """The member the evidence picks (``best``), or the members it cannot tell apart (``tied``)."""

    best: int | None
    tied: tuple[int, ...]
    basis: Basis
    confidence: float
    reasons: tuple[str, ...]

    def rank(self, facts: Sequence[MemberFacts]) -> list[Rank]:
        """Rank of each member for the copy tree: the origin (or the tied members) first,
        then by date when dates decided, then by score. Equal ranks never derive from each other."""
        ranks: list[Rank] = []
        for k, fact in enumerate(facts):
            if k == self.best or k in self.tied:
                ranks.append((0.0, 0.0, 0.0))
                continue
            start = fact.date.start.timestamp() if self.basis == "dates" and fact.date else float("inf")
            ranks.append((1.0, start, -fact.score))
        return ranks


def gather_facts(result: ScanResult, cluster: Cluster, passages: PassageCoverage | None = None) -> list[MemberFacts]:
    """Dates, credits, boilerplate, coverage and score of every member (cluster order).

    ``passages``: the cluster's :class:`PassageCoverage`, when the caller has it."""
    docs, members = result.documents, cluster.members
    passages = PassageCoverage(cluster) if passages is None else passages
    coverage = [passages.shared_in(k) for k in range(len(members))]
    facts = []
    for k, member in enumerate(members):
        doc = docs[member.index]
        content = [d.passage for d in member.passages if d.status != "boilerplate"]
        credits = tuple(c for p in content for c in find_credits(doc.text, p.start, p.end))
        dateline = find_dateline(doc.text, content[0].start if content else 0)
        meta = dict(member.segmentation.metadata) if member.segmentation else {}
        published = doc.published or meta.get("published") or meta.get("date")
        reading = read_date(published) if published and published.strip() else None
        own = {c.agency for c in credits if c.own} | ({dateline.agency} if dateline and dateline.agency else set())
        credited = {c.agency for c in credits if not c.own}
        boilerplate = any(d.status == "boilerplate" for d in member.passages)
        score = coverage[k]
        if own:
            score += OWN_CREDIT_BONUS
        elif credited:
            score -= REPUBLISHER_CREDIT_PENALTY
        if boilerplate:
            score -= BOILERPLATE_PENALTY
        facts.append(MemberFacts(
            doc=member.index, label=doc.doc_id, published=published,
            date=reading.span if reading else None, date_problem=reading.problem if reading else None,
            credits=credits, dateline=dateline, boilerplate=boilerplate, coverage=coverage[k],
            own_agencies=frozenset(own), credited_agencies=frozenset(credited), score=round(score, 6),
        ))
    return facts


def choose_origin(facts: Sequence[MemberFacts]) -> OriginChoice:
    """The origin by dates when they decide, else by the evidence score; ties stay undecided."""
    dated = [k for k, f in enumerate(facts) if f.date is not None]
    earliest = [k for k in dated if not any(facts[o].date.before(facts[k].date) for o in dated if o != k)]  # type: ignore[union-attr]
    reasons = _unread_date_reasons(facts)
    if len(dated) >= 2 and len(earliest) == 1:
        return _by_dates(facts, earliest[0], dated, reasons)
    if len(dated) >= 2:
        reasons.insert(0, "dates do not decide: " + ", ".join(f"{facts[k].label} {facts[k].published}" for k in dated))
    pool = earliest if len(dated) >= 2 and earliest else list(range(len(facts)))
    top = max(facts[k].score for k in pool)
    tied = [k for k in pool if facts[k].score >= top - TIE_MARGIN]
    if len(tied) > 1:
        return _undetermined(facts, tied, reasons)
    best = tied[0]
    runner_up = _runner_up(facts, best)
    margin = facts[best].score - facts[runner_up].score if runner_up is not None else 1.0
    reasons.append(
        f"{facts[best].label} holds {facts[best].coverage:.0%} of the passages the other members share"
        + (f" ({facts[runner_up].label}: {facts[runner_up].coverage:.0%})" if runner_up is not None else "")
    )
    confidence = 0.45 + min(0.35, max(0.0, margin)) + (0.05 if facts[best].own_agencies else 0.0)
    confidence += _credit_and_repost_reasons(facts, best, reasons)
    return OriginChoice(best, (), "evidence", confidence, tuple(reasons))


def _by_dates(facts: Sequence[MemberFacts], best: int, dated: list[int], reasons: list[str]) -> OriginChoice:
    size = len(facts)
    reasons.insert(0, f"{facts[best].label} was published first ({facts[best].published}), of {len(dated)} dated members")
    if len(dated) < size:
        reasons.insert(1, f"{size - len(dated)} member(s) carry no date and could be earlier")
    confidence = 0.9 if len(dated) == size else 0.75
    text_best = _text_best(facts)
    if text_best is not None and text_best != best:
        confidence -= 0.15
        reasons.append(f"the texts point to {facts[text_best].label} instead (it covers more of the shared passages)")
    confidence += _credit_and_repost_reasons(facts, best, reasons)
    return OriginChoice(best, (), "dates", confidence, tuple(reasons))


def _undetermined(facts: Sequence[MemberFacts], tied: list[int], reasons: list[str]) -> OriginChoice:
    names = " and ".join(sorted(facts[k].label for k in tied))
    coverages = {round(facts[k].coverage, 2) for k in tied}
    if len(coverages) == 1:
        reasons.append(f"{names} each hold {facts[tied[0]].coverage:.0%} of the passages the other members share")
    else:
        shares = ", ".join(f"{facts[k].coverage:.0%}" for k in sorted(tied, key=lambda k: facts[k].label))
        reasons.append(f"{names} hold {shares} of the passages the other members share, "
                       "which credits and repost signs even out")
    for k in sorted(tied, key=lambda k: facts[k].label):
        for credit in facts[k].credits:
            reasons.append(f"{facts[k].label} carries the credit “{credit.text}” ({credit.agency}, {credit.kind})")
    return OriginChoice(None, tuple(sorted(tied)), "evidence", 0.0, tuple(reasons))


def _unread_date_reasons(facts: Sequence[MemberFacts]) -> list[str]:
    return [
        f"the date of {f.label} («{f.published}») could not be read: {f.date_problem}"
        for f in facts
        if f.published and f.published.strip() and f.date is None
    ]


def _text_best(facts: Sequence[MemberFacts]) -> int | None:
    """The member the texts alone pick, or ``None`` when they tie."""
    top = max(f.score for f in facts)
    leaders = [k for k, f in enumerate(facts) if f.score >= top - TIE_MARGIN]
    return leaders[0] if len(leaders) == 1 else None


def _runner_up(facts: Sequence[MemberFacts], best: int) -> int | None:
    others = [k for k in range(len(facts)) if k != best]
    return min(others, key=lambda k: (-facts[k].score, facts[k].label)) if others else None  # label: display only


def _credit_and_repost_reasons(facts: Sequence[MemberFacts], best: int, reasons: list[str]) -> float:
    """Reasons from the credits and boilerplate around ``best``; returns the confidence change."""
    chosen = facts[best]
    change = 0.0
    for credit in chosen.credits:
        if credit.own:
            reasons.append(f"{chosen.label} carries the agency's own credit “{credit.text}” ({credit.agency}, {credit.kind})")
    if chosen.dateline and chosen.dateline.agency:
        reasons.append(f"{chosen.label} opens with an agency dateline ({chosen.dateline.place}, {chosen.dateline.agency})")
    for k, fact in enumerate(facts):
        if k != best and fact.boilerplate and not chosen.boilerplate:
            reasons.append(f"{fact.label} adds site boilerplate, as reposts do")
        if k != best and fact.own_agencies and not chosen.own_agencies:
            change -= 0.15
            reasons.append(f"but {fact.label} carries the agency's own credit and {chosen.label} does not")
    return change


def conclude_origin(facts: Sequence[MemberFacts], choice: OriginChoice, tree: CopyTree) -> Origin:
    """The origin once the copy tree is known: in the corpus, unseen, or undetermined."""
    reasons, confidence = list(choice.reasons), choice.confidence
    roots = tree.roots()
    best = choice.best
    if best is not None and len(roots) == 1:
        confidence += 0.1 if choice.basis == "evidence" else 0.0
        if len(facts) > 1:
            reasons.append(f"every other member derives from {facts[best].label}")
    own = [f.own_agencies for f in facts]
    all_agencies = set().union(*own, *(f.credited_agencies for f in facts))
    # every member credits one agency as its source, none in the agency's own form
    republished_only = len(all_agencies) == 1 and all(f.credited_agencies and not f.own_agencies for f in facts)
    leading = set().union(*(own[k] for k in ([best] if best is not None else choice.tied)))
    agency = next(iter(all_agencies)) if len(all_agencies) == 1 else next(iter(leading)) if len(leading) == 1 else None
    closest = facts[best].label if best is not None else None
    strays = [k for k in roots if k != best and k not in choice.tied]
    undetermined = _tie_reason(facts, choice) if best is None else None
    if republished_only:
        reasons.append(f"every credit in the cluster is a republisher's credit of {agency}, none is the agency's own")
        summary = f"all derive from an unseen {agency} dispatch; " + (
            f"{closest} is closest to it" if closest else f"which member is closest is undetermined: {undetermined}")
        return _origin(facts, None, best, 0.7, choice, agency, reasons, summary, undetermined, unseen=True)
    if strays:
        reasons.append("no member contains " + ", ".join(sorted(facts[k].label for k in strays))
                       + ": they share a source rather than copy each other")
    if best is not None and len(roots) > 1:
        source = f"an unseen {agency} dispatch" if agency else "an unseen common source"
        summary = f"probably all derive from {source}; {closest} is closest to it"
        return _origin(facts, None, best, min(confidence, 0.5), choice, agency, reasons, summary, None, unseen=True)
    if best is None:
        return _origin(facts, None, None, 0.0, choice, agency, reasons, f"origin undetermined: {undetermined}", undetermined)
    return _origin(facts, best, best, confidence, choice, agency, reasons, f"{closest} is the origin", None)


def _tie_reason(facts: Sequence[MemberFacts], choice: OriginChoice) -> str:
    tied = choice.tied
    same_text = len({round(facts[k].coverage, 2) for k in tied}) == 1
    what = "hold the same shared text" if same_text else "weigh the same on shared text, credits and repost signs"
    names = "the members" if len(tied) == len(facts) else " and ".join(sorted(facts[k].label for k in tied))
    return f"{names} {what} and no date or credit separates them"


def _origin(
    facts: Sequence[MemberFacts], doc: int | None, closest: int | None, confidence: float, choice: OriginChoice,
    agency: str | None, reasons: list[str], summary: str, undetermined: str | None, unseen: bool = False,
) -> Origin:
    confidence = 0.0 if doc is None and closest is None and not unseen else round(min(0.95, max(0.05, confidence)), 2)
    return Origin(
        doc=facts[doc].doc if doc is not None else None,
        closest=facts[closest].doc if closest is not None else None,
        confidence=confidence,
        basis=choice.basis,
        agency=agency,
        reasons=tuple(reasons),
        summary=summary,
        undetermined=undetermined,
        candidates=tuple(sorted(facts[k].doc for k in choice.tied)),
        unseen=unseen,
    )
