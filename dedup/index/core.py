"""The incremental story index: add, query, prune and export, over any :mod:`store`.

Each article goes through the stages of :func:`dedup.pipeline.scan_documents`, against
the index instead of a batch:

    content text -> shingles + signature -> band keys -> stored buckets (>= min_hits)
        -> signature prefilter -> exact verification -> re-cluster the touched components

A *component* is a set of articles connected by verified same-story pairs. When a new
article links into components, their union is re-clustered with
:func:`dedup.story.cluster.cluster_pairs` (hub guard included), exactly as ``scan`` clusters
that component, so adding a corpus one article at a time gives the groups ``scan``
gives. Groups are then matched to the story ids they held before: a story keeps its id,
and when groups join, the story holding the earliest-added article survives and the
others are recorded as merged into it.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

import numpy as np

from dedup.document import Document, Problem
from dedup.errors import DedupError, IncompatibleDataError, ParameterError
from dedup.index.adding import add_batches
from dedup.index.batch import QUERY_SEQ, Batch, assignment_for, new_article
from dedup.index.buckets import near_copy_count
from dedup.index.furniture import furniture_carriers
from dedup.index.params import (
    TEXT_RULES,
    check_meta,
    config_from_params,
    index_params,
    settle_text_rules,
    text_rules_of,
)
from dedup.index.prepare import PrepareTask, UnitCache, document_batches, prepare_batch, prepare_documents
from dedup.index.records import (
    Assignment,
    Match,
    Prepared,
    PruneReport,
    sort_matches,
)
from dedup.index.settle import Settlement, settle
from dedup.index.store import (
    FORMAT_VERSION,
    ComponentState,
    Conflict,
    EdgeRecord,
    MergeRecord,
    PruneBy,
    Store,
    Transaction,
    WritePlan,
)
from dedup.match.candidates import PREFILTER_SHARE, prefilter
from dedup.match.fingerprint import (
    Fingerprints,
    content_text,
)
from dedup.match.lsh import band_keys
from dedup.match.verify import Units, build_units, score_pairs
from dedup.story.cluster import cluster_pairs, tfidf_topic_similarity
from dedup.story.diff import diff_cluster
from dedup.story.result import Cluster, Member, ScanConfig, ScanResult
from dedup.text.segment import Segmentation, segment
from dedup.workers import WorkerPool

logger = logging.getLogger(__name__)

# Optimistic stores (Redis) redo an article when a concurrent writer touched its data.
MAX_ATTEMPTS = 100
# Sentence units of recently matched indexed articles, kept in memory (least recently used go).
UNITS_CACHE = 4096
# Articles per transaction: a batch is read and written at once on SQLite (dedup/index/batch.py),
# which costs a sixth less per article at 1,000 than at 256; a crash loses one batch at most.
BATCH_SIZE = 1000


class StoryIndex:
    """A persistent index of stories. Open it with :func:`dedup.index.open_index`.

    ``config`` is checked against the parameters the index was made with; the first
    :meth:`add` to an empty store records them.
    """

    def __init__(self, store: Store, config: ScanConfig | None = None) -> None:
        self.store = store
        meta = store.read_meta()
        if meta:
            check_meta(meta, config)
            self.config = config_from_params(_loads(meta["params"]), config)
        else:
            self.config = config or ScanConfig()
            # the index does not weigh words told in order (see dedup.index.params)
            self.config = replace(self.config, match=replace(self.config.match, min_aligned=0.0))
        if self.config.furniture.enabled:  # the furniture learned from the articles added so far
            self.config = replace(self.config, boilerplate=self.config.boilerplate.with_learned(store.learned_furniture()))
        self.text_rules = text_rules_of(_loads(meta["params"])) if meta else TEXT_RULES
        self.params = {**index_params(self.config), "text_rules": self.text_rules}
        self.bands, self.rows = self.config.lsh.resolve(self.config.fingerprint.minhash.num_perm)
        self._initialised = bool(meta)
        self._units: OrderedDict[tuple[str, int], Units] = OrderedDict()
        self._unit_cache = UnitCache(UNITS_CACHE)  # the same, for batches
        # Add and query a batch at a time where the store can (dedup.index.batch); the
        # results are those of one article at a time, which False forces.
        self.batched = bool(getattr(store, "batched", False))

    # -- parameters ----------------------------------------------------------------
    def _settle_text_rules(self) -> None:
        """Refuse an index whose stored shingles differ under today's text rules (:func:`settle_text_rules`)."""
        if self._initialised and self.text_rules != TEXT_RULES:
            settle_text_rules(self.store, self.text_rules)
            self.text_rules = self.params["text_rules"] = TEXT_RULES

    def _ensure_meta(self) -> None:
        if self._initialised:
            self._settle_text_rules()
            return
        held = self.store.init_meta({"format_version": str(FORMAT_VERSION), "params": _dumps(self.params)})
        # Another process may have created the index first, with its own parameters.
        check_meta(held, self.config)
        self._initialised = True

    @property
    def is_empty(self) -> bool:
        return not self._initialised

    # -- fingerprints ----------------------------------------------------------------
    def prepare(self, documents: Sequence[Document]) -> list[Prepared]:
        """Fingerprint a batch of documents in one go."""
        return prepare_documents(documents, self.config, self.bands, self.rows)

    # -- add and query ---------------------------------------------------------------
    def add(self, documents: Iterable[Document], batch_size: int = BATCH_SIZE, jobs: int = 1) -> Iterator[Assignment]:
        """Add ``documents``; each batch is one transaction, and is yielded once committed.

        Re-adding an id already in the index changes nothing and reports ``exists``. With
        ``jobs`` > 1, worker processes fingerprint (and segment) the next batches while this
        process matches and writes; a store may work ahead meanwhile (:mod:`dedup.index.adding`).
        """
        if batch_size < 1:
            raise ParameterError(f"batch size must be positive, not {batch_size}")
        self._ensure_meta()
        sent: deque[list[Document]] = deque()  # the batches handed to the pool, whose results come in order

        def tasks() -> Iterator[PrepareTask]:
            for batch in document_batches(documents, batch_size):
                sent.append(batch)
                yield PrepareTask(batch, self.config, self.bands, self.rows, units=jobs > 1 and self.batched)

        with WorkerPool(jobs) as pool:
            yield from add_batches(self, (done.batch(sent.popleft()) for done in pool.map(prepare_batch, tasks())))

    def query(self, documents: Iterable[Document], batch_size: int = BATCH_SIZE) -> Iterator[Assignment]:
        """Where each document would go, without adding anything."""
        self._settle_text_rules()
        for batch in document_batches(documents, batch_size):
            prepared = self.prepare(batch)
            with self.store.reading() as transactions:
                if self.batched:
                    done = Batch(self, transactions.begin(), write=False).run(prepared)  # type: ignore[arg-type]
                else:
                    done = [self._decide(transactions.begin(), item, write=False)[0] for item in prepared]
            yield from done

    def _settle_article(self, begin: Callable[[], Transaction], item: Prepared) -> Assignment:
        for _ in range(MAX_ATTEMPTS):
            txn = begin()
            try:
                assignment, plan = self._decide(txn, item, write=True)
                if plan is not None:
                    txn.apply(plan)
                return assignment
            except Conflict:
                logger.debug("write conflict on %s, retrying", item.doc.doc_id)
        raise DedupError(f"gave up adding {item.doc.doc_id!r}: other writers kept changing its stories")

    def _decide(self, txn: Transaction, item: Prepared, write: bool) -> tuple[Assignment, WritePlan | None]:
        doc = item.doc
        existing = txn.existing(doc.doc_id)
        if existing is not None:
            edges = txn.edges_of(doc.doc_id)
            others = txn.articles([e.other(doc.doc_id) for e in edges])
            matches = sort_matches(
                Match(e.other(doc.doc_id), others[e.other(doc.doc_id)].story, e)
                for e in edges if e.other(doc.doc_id) in others
            )
            return Assignment(doc.doc_id, existing, "exists", matches), None

        # LSH: count, per indexed article, the bands it shares with this one.
        max_bucket = self.config.lsh.max_bucket
        key_list = [int(k) for k in item.keys]
        hits: Counter[str] = Counter()
        met: Counter[str] = Counter()  # in every bucket: near-copies met in full ones are candidates
        crowded: set[str] = set()
        bucket_adds, newly_oversized = [], 0
        for key, members in zip(key_list, txn.buckets(key_list) if key_list else []):
            met.update(members)
            if len(members) >= max_bucket:
                crowded.update(members)
            if len(members) > max_bucket:
                continue  # oversized: it no longer grows
            bucket_adds.append(key)
            if len(members) + 1 > max_bucket:
                newly_oversized += 1
                continue
            hits.update(members)
        # not itself: a concurrent writer may have filed this id since ``existing`` (the retry says exists)
        candidates = sorted(i for i, n in hits.items() if n >= self.config.lsh.min_hits and i != doc.doc_id)
        near = {i for i in crowded if met[i] >= near_copy_count(len(key_list)) and i != doc.doc_id}
        candidates = sorted(near.union(candidates))
        stored = txn.articles(candidates)
        edges = self._verify(txn, item, [stored[c] for c in candidates if c in stored])

        same = [e for e in edges if e.same_story]
        comps = sorted({stored[e.other(doc.doc_id)].comp for e in same})
        state = txn.components(comps) if comps else ComponentState({}, [], {})
        seq = txn.next_seq() if write else QUERY_SEQ
        members = {**state.members, doc.doc_id: (seq, "")}
        settlement = self._settle(members, state.edges + same, state.comp_of, txn, doc, article=doc.doc_id)

        # the story of each match before this article is placed
        assignment = assignment_for(doc.doc_id, edges, settlement, {i: stored[i].story for i in stored})
        if not write:
            return assignment, None
        plan = WritePlan(
            article=new_article(item, seq, len(candidates)),
            bucket_adds=bucket_adds,
            newly_oversized=newly_oversized,
            edges=edges,
            comps=settlement.comps,
            dropped_comps=settlement.dropped_comps,
            membership=settlement.membership,
            story_sizes=settlement.story_sizes,
            merges=settlement.merges,
        )
        return assignment, plan

    def _verify(self, txn: Transaction, item: Prepared, candidates: list) -> list[EdgeRecord]:
        """Exact scores of the article against its candidates, as in ``scan``."""
        if not candidates:
            return []
        doc_id = item.doc.doc_id
        rows = sorted([(doc_id, item.signature, item.shingles)] + [(c.doc_id, c.signature, c.shingles) for c in candidates],
                      key=lambda row: row[0])  # by id alone: a tie must never go on to compare arrays
        ids = [r[0] for r in rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r[2]) for r in rows], out=offsets[1:])
        prints = Fingerprints(np.concatenate([r[2] for r in rows]), offsets, np.stack([r[1] for r in rows]))
        me = ids.index(doc_id)
        # Pairs ordered by id, as scan orders them, so scores and tie-breaks agree.
        pairs = np.array(sorted((min(me, k), max(me, k)) for k in range(len(ids)) if k != me), dtype=np.int64)
        pairs = prefilter(pairs, prints, self.config.match.min_containment * PREFILTER_SHARE)
        texts: dict[str, str] = {doc_id: item.doc.text}
        local: dict[str, Units] = {}
        seq_of = {c.doc_id: c.seq for c in candidates}

        def units_of(position: int) -> Units:
            name = ids[position]
            if name in local:
                return local[name]
            # An indexed article's text never changes under its (id, seq), so its units are
            # kept across articles; a pruned and re-added id gets a new seq.
            key = (name, seq_of.get(name, -1))
            cached = self._units.get(key) if name != doc_id else None
            if cached is None:
                if name not in texts:
                    texts.update(txn.texts([name]))
                cached = build_units([texts[name]], self.config.fingerprint, self.config.boilerplate)[0]
                if name != doc_id:
                    self._units[key] = cached
                    if len(self._units) > UNITS_CACHE:
                        self._units.popitem(last=False)
            else:
                self._units.move_to_end(key)
            local[name] = cached
            return cached

        scores = score_pairs(pairs, prints, units_of, self.config.match)
        return [EdgeRecord.from_score(s, ids[s.first], ids[s.second]) for s in scores]

    # -- clustering and story ids -----------------------------------------------------
    def _settle(
        self,
        members: dict[str, tuple[int, str]],
        edges: list[EdgeRecord],
        old_comp: dict[str, str],
        txn: Transaction,
        doc: Document | None,
        article: str | None,
    ) -> Settlement:
        """Re-cluster ``members`` (whole components) and give every group a story id.

        ``members`` maps id -> (seq, old story; "" for the new article).
        """
        ids = sorted(members)
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        scores = [
            e.to_score(position[e.first], position[e.second])
            for e in edges if e.same_story and e.first in position and e.second in position
        ]
        contents: dict[int, str] = {}

        def content_of(indices: Sequence[int]) -> list[str]:
            missing = [ids[i] for i in indices if i not in contents and not (doc and ids[i] == doc.doc_id)]
            fetched = txn.texts(missing) if missing else {}
            if doc is not None:
                fetched[doc.doc_id] = doc.text
            for i in indices:
                if i not in contents:
                    contents[i] = content_text(fetched[ids[i]], self.config.boilerplate, self.config.fingerprint.ignore_quotes)
            return [contents[i] for i in indices]

        def topic_similarity(first: Sequence[int], second: Sequence[int]) -> float:
            return tfidf_topic_similarity(content_of(first), content_of(second))

        clustering = cluster_pairs(len(ids), scores, self.config.cluster, topic_similarity)
        return settle(ids, members, scores, clustering, old_comp, article)

    # -- prune ----------------------------------------------------------------------------
    def prune(self, older_than: float, by: PruneBy = "published", now: float | None = None) -> PruneReport:
        """Remove articles older than ``older_than`` seconds before ``now`` by ``by`` time.

        Articles without a readable ``published`` time are kept when pruning by it.
        """
        if older_than < 0:
            raise ParameterError(f"the age must not be negative, not {older_than}")
        if by not in ("published", "ingested"):
            raise ParameterError(f"prune by 'published' or 'ingested', not {by!r}")
        cutoff = (time.time() if now is None else now) - older_than
        victims = self.store.articles_before(by, cutoff)
        by_comp: dict[str, list[str]] = {}
        for doc_id, comp in victims:
            by_comp.setdefault(comp, []).append(doc_id)
        merges: list[MergeRecord] = []
        with self.store.writing() as transactions:
            for comp in sorted(by_comp):
                merges += self._prune_group(transactions.begin, sorted(by_comp[comp]))
        kept = self.store.counts().get("without_published", 0) if by == "published" else 0
        return PruneReport(len(victims), kept, tuple(merges))

    def _prune_group(self, begin: Callable[[], Transaction], doc_ids: list[str]) -> list[MergeRecord]:
        for _ in range(MAX_ATTEMPTS):
            txn = begin()
            try:
                stored = txn.articles(doc_ids)
                if not stored:
                    return []
                state = txn.components(sorted({a.comp for a in stored.values()}))
                keys = band_keys(np.stack([a.signature for a in stored.values()]), self.bands, self.rows)
                plan = WritePlan()
                for k, (doc_id, article) in enumerate(stored.items()):
                    # An article without content was never filed in any bucket.
                    plan.removed[doc_id] = [int(x) for x in keys[k]] if len(article.shingles) else []
                    plan.removed_neighbours[doc_id] = sorted({e.other(doc_id) for e in txn.edges_of(doc_id)})
                members = {d: v for d, v in state.members.items() if d not in stored}
                comp_of = {d: c for d, c in state.comp_of.items() if d not in stored}
                settlement = self._settle(members, state.edges, comp_of, txn, None, None)
                plan.comps = settlement.comps
                plan.dropped_comps = sorted(set(state.comp_of.values()) - set(settlement.comps))
                plan.membership = settlement.membership
                plan.story_sizes = {**{state.members[d][1]: 0 for d in stored}, **settlement.story_sizes}
                plan.merges = settlement.merges
                txn.apply(plan)
                return settlement.merges
            except Conflict:
                continue
        raise DedupError("gave up pruning: other writers kept changing the same stories")

    # -- export and stats --------------------------------------------------------------------
    def export(self) -> ScanResult:
        """The indexed stories as a :class:`ScanResult`, for the ``scan`` report formats.

        Clusters are the stories of two or more articles; their ``cluster_id`` is the story id.
        """
        rows = sorted(self.store.all_articles(), key=lambda r: r.doc_id)
        documents = [Document(r.doc_id, r.text, r.title, r.source, r.url, r.published, r.location) for r in rows]
        position = {r.doc_id: k for k, r in enumerate(rows)}
        scores = sorted(
            (e.to_score(position[e.first], position[e.second]) for e in self.store.all_edges()
             if e.first in position and e.second in position),
            key=lambda s: (s.first, s.second),
        )
        story_members: dict[str, list[int]] = {}
        for k, r in enumerate(rows):
            story_members.setdefault(r.story, []).append(k)
        groups = sorted(((tuple(m), s) for s, m in story_members.items() if len(m) >= 2), key=lambda g: (-len(g[0]), g[0]))
        story_pairs = [s for s in scores if s.same_story]
        segmentations: dict[int, Segmentation] = {}

        def segmentation_of(k: int) -> Segmentation:
            if k not in segmentations:
                segmentations[k] = segment(documents[k].text, self.config.boilerplate)
            return segmentations[k]

        clusters = []
        for group, story in groups:
            diffs = diff_cluster([documents[k].text for k in group], [segmentation_of(k).passages for k in group],
                                 self.config.diff)
            members = tuple(Member(k, segmentation_of(k), tuple(d)) for k, d in zip(group, diffs))
            inside = set(group)
            pairs = tuple(s for s in story_pairs if s.first in inside and s.second in inside)
            clusters.append(Cluster(story, members, pairs))
        clustered = sum(len(c.members) for c in clusters)
        without_content = [k for k, r in enumerate(rows) if not r.has_content]
        stats = {
            "documents": len(rows),
            "documents_without_content": len(without_content),
            "candidate_pairs": sum(r.candidates for r in rows),
            "verified_pairs": len(scores),
            "same_story_pairs": len(story_pairs),
            "clusters": len(clusters),
            "clustered_documents": clustered,
            "singletons": len(rows) - clustered,
            "oversized_buckets": self.store.counts().get("oversized_buckets", 0),
            "near_copies_over_max_core": 0,  # the index does not look for cores in its buckets
            "refused_hub_merges": self.store.refused_merges(),
            "learned_furniture_lines": len(self.config.boilerplate.learned),
            "documents_with_furniture": furniture_carriers(self.config, documents),
        }
        problems = [
            Problem(documents[k].location, "empty", f"document {documents[k].doc_id!r} has no content besides boilerplate")
            for k in without_content
        ]
        return ScanResult(documents, self.config, clusters, scores, problems, stats)

    def stats(self) -> dict[str, object]:
        counts = self.store.counts()
        merges = self.store.merges()
        return {
            "store": self.store.kind,
            "format_version": FORMAT_VERSION,
            "articles": counts.get("articles", 0),
            "stories": counts.get("stories", 0),
            "multi_article_stories": counts.get("multi_article_stories", 0),
            "verified_pairs": counts.get("edges", 0),
            "same_story_pairs": counts.get("same_story_edges", 0),
            "story_merges": sum(1 for m in merges if m.kind == "merge"),
            "story_splits": sum(1 for m in merges if m.kind == "split"),
            "refused_hub_merges": self.store.refused_merges(),
            "oversized_buckets": counts.get("oversized_buckets", 0),
            "articles_without_published": counts.get("without_published", 0),
            "parameters": self.params,
        }

    def check(self) -> list[str]:
        """Consistency problems of the stored index (none for a healthy one)."""
        problems = []
        rows = list(self.store.all_articles())
        story_of = {r.doc_id: r.story for r in rows}
        comp_of = {r.doc_id: r.comp for r in rows}
        for r in rows:
            if not r.story or not r.comp:
                problems.append(f"{r.doc_id}: no story or component")
        for e in self.store.all_edges():
            if e.first not in story_of or e.second not in story_of:
                problems.append(f"pair {e.first} ~ {e.second} names an article that is not indexed")
            elif e.same_story and comp_of[e.first] != comp_of[e.second]:
                problems.append(f"pair {e.first} ~ {e.second} spans two components")
        counts = self.store.counts()
        if counts.get("stories") != len(set(story_of.values())):
            problems.append(f"story count {counts.get('stories')} != {len(set(story_of.values()))} stories held")
        return problems + self.store.check()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> StoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _loads(text: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise IncompatibleDataError(f"the index parameters are not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise IncompatibleDataError("the index parameters are not a JSON object")
    return value
