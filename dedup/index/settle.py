"""Settling a re-clustered set of articles: components, story ids, merges and splits.

After the touched components are clustered again, each group needs a story id. A story
keeps its id when most of its members stay together; when groups join, the story holding
the earliest-added article survives and the others are recorded as merged into it; a
fragment split off its old story gets a new id, recorded as a split.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from dedup.index.store import MergeRecord
from dedup.match.verify import PairScore
from dedup.story.cluster import Clustering


@dataclass
class Settlement:
    membership: dict[str, tuple[str, str]]  # changed articles: id -> (component, story)
    story_of: dict[str, str]
    comps: dict[str, tuple[list[str], int]]  # component name -> (members, refused merges)
    dropped_comps: list[str]
    story_sizes: dict[str, int]
    merges: list[MergeRecord] = field(default_factory=list)


def story_id_for(doc_id: str, salt: str = "") -> str:
    """A story id derived from the article that founded it, so every store and run agrees."""
    return "s-" + hashlib.blake2b(f"{salt}{doc_id}".encode("utf-8"), digest_size=6).hexdigest()


def settle_alone(doc_id: str) -> Settlement:
    """What :func:`settle` gives a new article that joins nothing: a story and a component of its own."""
    story = story_id_for(doc_id)
    return Settlement({doc_id: (doc_id, story)}, {doc_id: story}, {doc_id: ([doc_id], 0)}, [], {story: 1})


def settle(
    ids: list[str],
    members: dict[str, tuple[int, str]],
    scores: Sequence[PairScore],
    clustering: Clustering,
    old_comp: dict[str, str],
    article: str | None,
) -> Settlement:
    """Components and story ids of ``ids`` (sorted), clustered into ``clustering.groups``.

    ``members`` maps id -> (seq, old story; "" for the new article); ``scores`` are the
    same-story pairs by position in ``ids``; ``old_comp`` is each article's old component.
    """
    seq_of = {doc_id: members[doc_id][0] for doc_id in ids}
    root_of, comps = _components(ids, scores, clustering, seq_of)
    dropped = sorted(set(old_comp.values()) - set(comps))
    story_of, merges, old_members = _story_ids(ids, members, clustering, seq_of, article)
    membership = {}
    for doc_id in ids:
        new = (root_of[doc_id], story_of[doc_id])
        if doc_id not in old_comp or (old_comp[doc_id], members[doc_id][1]) != new:
            membership[doc_id] = new
    story_sizes = {story: 0 for story in old_members}
    story_sizes.update(Counter(story_of.values()))
    return Settlement(membership, story_of, comps, dropped, story_sizes, merges)


def _components(
    ids: list[str], scores: Sequence[PairScore], clustering: Clustering, seq_of: dict[str, int]
) -> tuple[dict[str, str], dict[str, tuple[list[str], int]]]:
    """Components connected by same-story pairs, refused merges included, each named by its
    earliest article: each article's component, and each component's members and refusals."""
    parent = list(range(len(ids)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for s in scores:
        parent[find(s.first)] = find(s.second)
    by_root: dict[int, list[int]] = {}
    for k in range(len(ids)):
        by_root.setdefault(find(k), []).append(k)
    comp_name: dict[int, str] = {}
    comps: dict[str, tuple[list[str], int]] = {}
    for root, group in by_root.items():
        name = min((ids[k] for k in group), key=lambda d: (seq_of[d], d))
        comp_name[root] = name
        comps[name] = ([ids[k] for k in group], 0)
    for first, _ in clustering.refused_merges:
        name = comp_name[find(first)]
        comps[name] = (comps[name][0], comps[name][1] + 1)
    return {ids[k]: comp_name[find(k)] for k in range(len(ids))}, comps


def _story_ids(
    ids: list[str],
    members: dict[str, tuple[int, str]],
    clustering: Clustering,
    seq_of: dict[str, int],
    article: str | None,
) -> tuple[dict[str, str], list[MergeRecord], dict[str, list[int]]]:
    """Each article's story id, the merges and splits that gave them, and each old story's members.

    Each old story follows most of its members; a group held by several old stories keeps
    the one with the earliest article, and the others merge into it.
    """
    groups = list(clustering.groups)
    old_members: dict[str, list[int]] = {}
    for k, doc_id in enumerate(ids):
        if members[doc_id][1]:
            old_members.setdefault(members[doc_id][1], []).append(k)
    group_of = {k: g for g, group in enumerate(groups) for k in group}
    claims: dict[int, list[str]] = {}
    for story, held in sorted(old_members.items()):
        counts = Counter(group_of[k] for k in held)
        best = min(counts, key=lambda g: (-counts[g], g))
        claims.setdefault(best, []).append(story)
    earliest = {story: min((seq_of[ids[k]], ids[k]) for k in held) for story, held in old_members.items()}
    story_of: dict[str, str] = {}
    merges: list[MergeRecord] = []
    for g, group in enumerate(groups):
        names = [ids[k] for k in group]
        if g in claims:
            survivor = min(claims[g], key=lambda s: (earliest[s], s))
            merges += [MergeRecord(s, survivor, "merge", article) for s in sorted(claims[g]) if s != survivor]
        else:
            founder = min(names, key=lambda d: (seq_of[d], d))
            if not members[founder][1]:
                survivor = story_id_for(founder)
            else:
                # A fragment split off its old story (after a prune, or a re-clustering
                # that now refuses a merge): a new id, recorded.
                survivor = story_id_for("\n".join(sorted(names)), "split:")
                merges.append(MergeRecord(members[founder][1], survivor, "split", article))
        for name in names:
            story_of[name] = survivor
    return story_of, merges, old_members
