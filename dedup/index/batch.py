"""Adding (or querying) a batch of articles at once, with the results of one at a time.

One at a time (:meth:`StoryIndex._decide`), each article reads its band buckets, its
candidates and their components, scores its candidates, re-clusters what it touches and
writes. Where the store offers a :class:`~dedup.index.store.BatchTransaction` (SQLite:
the writer holds the file for the whole batch), a batch does each step once:

1. which ids are indexed, in one query. An article whose id is indexed, or repeats an
   earlier one of the batch, cuts the batch: the articles before it are written, then it
   is answered one at a time (``exists``), and the rest of the batch follows;
2. the band buckets of every article, in one query. Each article sees the buckets as the
   batch's earlier articles left them (kept in memory), so its candidates are the ones
   it would find one at a time, earlier articles of the batch included;
3. the candidates' signatures and shingle sets in one query, and every (article,
   candidate) pair scored in one vectorised call (:func:`score_pair_batch`), each
   document's sentence units built once;
4. the components of every indexed article verified as a copy of some article, in one
   query. Articles are then settled in order against that state, kept in memory: one
   that joins a story an earlier article of the batch changed sees the change, and one
   that touches nothing (most) starts its story at once;
5. one write of everything (:meth:`apply_batch`).

Candidates, scores, clusters, story ids, merges and every assignment are those of adding
the articles one at a time; tests/index checks both paths give the same lines and stories.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dedup.errors import DedupError
from dedup.index.buckets import Found, batch_candidates
from dedup.index.prepare import gather_units
from dedup.index.records import Assignment, Match, Prepared, Status, sort_matches
from dedup.index.settle import Settlement, settle_alone
from dedup.index.store import (
    BatchPlan,
    BatchTransaction,
    EdgeRecord,
    NewArticle,
    StoredArticle,
    shingles_bytes,
    signature_bytes,
)
from dedup.match.candidates import PREFILTER_SHARE, prefilter_signatures
from dedup.match.verify import UnitSets, build_unit_sets, score_pair_batch

if TYPE_CHECKING:
    from dedup.index.core import StoryIndex

# A query never writes; its article gets a position after everything indexed.
QUERY_SEQ = 2**62


def assignment_for(
    doc_id: str, edges: Sequence[EdgeRecord], settlement: Settlement, story_of_match: dict[str, str]
) -> Assignment:
    """Where the article ``doc_id`` went, once settled; ``story_of_match`` is each
    verified match's story before the article came."""
    story = settlement.story_of[doc_id]
    matches = sort_matches(
        Match(e.other(doc_id), settlement.story_of.get(e.other(doc_id), story_of_match[e.other(doc_id)]), e)
        for e in edges
    )
    merged = any(m.kind == "merge" for m in settlement.merges)
    joined = any(m.story == story for m in matches if m.score.same_story)
    status: Status = "merged" if merged else "joined" if joined else "new_story"
    return Assignment(doc_id, story, status, matches, tuple(settlement.merges))


def new_article(item: Prepared, seq: int, candidates: int) -> NewArticle:
    doc = item.doc
    return NewArticle(
        doc.doc_id, seq, doc.text, doc.title, doc.source, doc.url, doc.published, item.published_ts, time.time(),
        doc.location, signature_bytes(item.signature), shingles_bytes(item.shingles), candidates, bool(len(item.keys)),
    )


class _Texts:
    """Texts for re-clustering: the batch's own from memory, indexed ones from the store."""

    def __init__(self, txn: BatchTransaction, batch: dict[str, str]) -> None:
        self.txn, self.batch = txn, batch

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out = {d: self.batch[d] for d in doc_ids if d in self.batch}
        missing = [d for d in doc_ids if d not in out]
        if missing:
            out.update(self.txn.texts(missing))
        return out


class _State:
    """Articles and components as the batch's earlier articles left them.

    Holds every article the batch reads (its candidates, the members of components it
    touches, its own articles): ``(seq, comp, story)``; each touched component's members;
    and the same-story pairs among them, by their first article.
    """

    def __init__(self) -> None:
        self.article: dict[str, tuple[int, str, str]] = {}
        self.members: dict[str, list[str]] = {}
        self.same_by_first: dict[str, list[EdgeRecord]] = {}
        self.loaded: dict[str, tuple[str, str]] = {}  # indexed articles: (comp, story) as read

    def load(self, txn: BatchTransaction, stored: dict[str, StoredArticle], partners: set[str]) -> None:
        for doc_id, a in stored.items():
            self.article[doc_id] = (a.seq, a.comp, a.story)
            self.loaded[doc_id] = (a.comp, a.story)
        comps = {stored[p].comp for p in partners}
        if not comps:
            return
        state = txn.components(comps)
        for doc_id, (seq, story) in state.members.items():
            comp = state.comp_of[doc_id]
            self.article[doc_id] = (seq, comp, story)
            self.loaded[doc_id] = (comp, story)
            self.members.setdefault(comp, []).append(doc_id)
        for edge in state.edges:
            self.same_by_first.setdefault(edge.first, []).append(edge)

    def components(self, comps: list[str]) -> tuple[dict[str, tuple[int, str]], list[EdgeRecord], dict[str, str]]:
        """What :meth:`Transaction.components` reads: members (id -> (seq, story)), pairs, comp of each."""
        members: dict[str, tuple[int, str]] = {}
        comp_of: dict[str, str] = {}
        for comp in comps:
            if comp not in self.members:
                raise DedupError(f"internal error: component {comp} was not read for the batch")
            for doc_id in self.members[comp]:
                seq, _, story = self.article[doc_id]
                members[doc_id] = (seq, story)
                comp_of[doc_id] = comp
        edges = sorted((e for d in members for e in self.same_by_first.get(d, ())), key=lambda e: (e.first, e.second))
        return members, edges, comp_of

    def settled(self, settlement: Settlement, seq_of: dict[str, int], same: list[EdgeRecord]) -> None:
        for doc_id, (comp, story) in settlement.membership.items():
            self.article[doc_id] = (seq_of[doc_id], comp, story)
        for comp in settlement.dropped_comps:
            self.members.pop(comp, None)
        for comp, (members, _) in settlement.comps.items():
            self.members[comp] = list(members)
        for edge in same:
            self.same_by_first.setdefault(edge.first, []).append(edge)


class Batch:
    """One batch of prepared articles, added (``write``) or queried, in one transaction."""

    def __init__(self, index: StoryIndex, txn: BatchTransaction, write: bool, units: UnitSets | None = None) -> None:
        """``units``: the sentence units of the batch's articles, in order, when workers built them."""
        self.index, self.txn, self.write, self.units = index, txn, write, units
        self.config = index.config
        self.unit_of: dict[str, int] = {}  # article id -> its row in ``units``
        self.made: dict[str, tuple[UnitSets, int]] = {}  # units of the batch's articles, as used

    def run(self, items: list[Prepared]) -> list[Assignment]:
        indexed = self.txn.existing_many([item.doc.doc_id for item in items])
        out: list[Assignment] = []
        segment: list[Prepared] = []
        seen: set[str] = set()
        for number, item in enumerate(items):
            doc_id = item.doc.doc_id
            if doc_id in indexed or (self.write and doc_id in seen):
                # answered as one at a time does, after what came before it is written
                out += self._segment(segment)
                segment = []
                out.append(self.index._decide(self.txn, item, write=self.write)[0])
                continue
            if doc_id in seen:  # a query repeating an id: queried on its own, like the first
                out += self._segment(segment)
                segment, seen = [], set()
            seen.add(doc_id)
            segment.append(item)
            self.unit_of[doc_id] = number
        return out + self._segment(segment)

    # -- 2. candidates ---------------------------------------------------------------------
    def _candidates(self, items: list[Prepared]) -> tuple[list[Found], list[list[str]], dict[str, StoredArticle]]:
        """Each article's buckets, its candidates (sorted ids), and the indexed candidates' data."""
        keys = [item.keys for item in items]
        lsh = self.config.lsh
        found = batch_candidates(keys, self.txn.bucket_rows(np.concatenate(keys)), lsh.max_bucket, lsh.min_hits, self.write)
        by_seq = self.txn.articles_by_seq(sorted({c for f in found for c in f.candidates + f.near if c >= 0}))
        names = [
            sorted(by_seq[c].doc_id if c >= 0 else items[-1 - c].doc.doc_id for c in codes if c < 0 or c in by_seq)
            for codes in (f.candidates + f.near for f in found)
        ]
        return found, names, {a.doc_id: a for a in by_seq.values()}

    # -- 3. verification ---------------------------------------------------------------------
    def _verify(
        self, items: list[Prepared], candidates: list[list[str]], stored: dict[str, StoredArticle]
    ) -> list[list[EdgeRecord]]:
        """Every article's scores against its candidates, by the candidate's id (as ``_verify``)."""
        position = {item.doc.doc_id: k for k, item in enumerate(items)}
        row_of: dict[str, int] = {}
        ids: list[str] = []
        sets: list[np.ndarray] = []
        signatures: list[np.ndarray] = []

        def row(doc_id: str) -> int:
            if doc_id not in row_of:
                row_of[doc_id] = len(ids)
                ids.append(doc_id)
                held = items[position[doc_id]] if doc_id in position else stored[doc_id]
                sets.append(held.shingles)
                signatures.append(held.signature)
            return row_of[doc_id]

        pairs = []
        for item, names in zip(items, candidates):
            doc_id = item.doc.doc_id
            for name in names:
                # oriented by id, as scan and one-at-a-time verification orient them
                first, second = (doc_id, name) if doc_id < name else (name, doc_id)
                pairs.append((row(first), row(second)))
        edges: list[list[EdgeRecord]] = [[] for _ in items]
        if not pairs:
            return edges
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in sets], out=offsets[1:])
        shingles = np.concatenate(sets)
        signature_matrix = np.stack(signatures)
        kept = prefilter_signatures(np.array(pairs, dtype=np.int64), signature_matrix, np.diff(offsets),
                                    self.config.match.min_containment * PREFILTER_SHARE)
        texts = {item.doc.doc_id: item.doc.text for item in items}

        def units_for(rows: np.ndarray) -> tuple[UnitSets, np.ndarray]:
            names = [ids[r] for r in rows.tolist()]
            unit_row = np.full(len(ids), -1, dtype=np.int64)
            unit_row[rows] = np.arange(len(rows))
            # Units the workers built for the batch's articles, or kept from earlier batches
            # for indexed ones; the rest are built here, in one go.
            ready: dict[str, tuple[UnitSets, int]] = {}
            for name in names:
                if name in position:
                    if self.units is not None:
                        ready[name] = (self.units, self.unit_of[name])
                else:
                    cached = self.index._unit_cache.get((name, stored[name].seq))
                    if cached is not None:
                        ready[name] = cached
            fresh = [n for n in names if n not in ready]
            missing = [n for n in fresh if n not in texts]
            if missing:
                texts.update(self.txn.texts(missing))
            built = build_unit_sets([texts[n] for n in fresh], self.config.fingerprint, self.config.boilerplate)
            ready.update((name, (built, k)) for k, name in enumerate(fresh))
            for name in names:
                if name in position:
                    self.made[name] = ready[name]  # kept once the article has its seq
                else:
                    self.index._unit_cache.put((name, stored[name].seq), ready[name])
            if len(fresh) == len(names):
                return built, unit_row
            return gather_units([ready[n] for n in names]), unit_row

        columns = score_pair_batch(kept, shingles, offsets, signature_matrix, units_for, self.config.match)
        for score in columns.scores():
            first, second = ids[score.first], ids[score.second]
            owner = max(position.get(first, -1), position.get(second, -1))
            edges[owner].append(EdgeRecord.from_score(score, first, second))
        doc_ids = [item.doc.doc_id for item in items]
        for k, held in enumerate(edges):
            held.sort(key=lambda e, me=doc_ids[k]: e.other(me))
        return edges

    # -- 1 to 5 for a run of new articles ------------------------------------------------------
    def _segment(self, items: list[Prepared]) -> list[Assignment]:
        if not items:
            return []
        found, candidates, stored = self._candidates(items)
        in_batch = {item.doc.doc_id for item in items}
        edges = self._verify(items, candidates, stored)
        state = _State()
        partners = {e.other(item.doc.doc_id) for item, held in zip(items, edges) for e in held if e.same_story}
        state.load(self.txn, stored, partners - in_batch)
        texts = _Texts(self.txn, {item.doc.doc_id: item.doc.text for item in items})
        plan = BatchPlan(last_seq=self.txn.last_seq())
        comps: dict[str, tuple[list[str], int] | None] = {}
        filed_keys: list[np.ndarray] = []
        filed_seqs: list[np.ndarray] = []
        out = []
        for item, bucket, names, held in zip(items, found, candidates, edges):
            doc_id = item.doc.doc_id
            same = [e for e in held if e.same_story]
            if self.write:
                plan.last_seq += 1
                seq = plan.last_seq
            else:
                seq = QUERY_SEQ
            touched = sorted({state.article[e.other(doc_id)][1] for e in same})
            members, comp_edges, comp_of = state.components(touched) if touched else ({}, [], {})
            seq_of = {d: v[0] for d, v in members.items()}
            seq_of[doc_id] = seq
            members[doc_id] = (seq, "")
            if same:
                settlement = self.index._settle(members, comp_edges + same, comp_of, texts, item.doc, article=doc_id)
            else:
                settlement = settle_alone(doc_id)  # most articles: nothing to re-cluster
            before = {e.other(doc_id): state.article[e.other(doc_id)][2] for e in held}
            out.append(assignment_for(doc_id, held, settlement, before))
            if not self.write:
                continue
            state.settled(settlement, seq_of, same)
            plan.articles.append((new_article(item, seq, len(names)), "", ""))
            filed_keys.append(bucket.filed)  # a key the article holds twice is filed once (by the store)
            filed_seqs.append(np.full(len(bucket.filed), seq, dtype=np.int64))
            plan.newly_oversized += bucket.filled
            plan.edges += held
            for comp in settlement.dropped_comps:
                comps[comp] = None
            comps.update(settlement.comps)
            plan.story_sizes.update(settlement.story_sizes)
            plan.merges += settlement.merges
        if self.write:
            for article, _, _ in plan.articles:
                if article.doc_id in self.made:
                    self.index._unit_cache.put((article.doc_id, article.seq), self.made.pop(article.doc_id))
            if filed_keys:
                plan.bucket_keys, plan.bucket_seqs = np.concatenate(filed_keys), np.concatenate(filed_seqs)
            plan.articles = [(a, *state.article[a.doc_id][1:]) for a, _, _ in plan.articles]
            plan.membership = {d: state.article[d][1:] for d, read in state.loaded.items() if state.article[d][1:] != read}
            plan.comps = comps
            self.txn.apply_batch(plan)
        return out
