"""Links between stories: verified copies that the clustering kept apart.

Average linkage refuses to merge two stories through a digest page, a roundup or one
shared paragraph, but the verified pairs across them are still facts a reader wants: a
digest is listed as linked to every story it carries an excerpt of, without merging them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dedup.story.result import ScanResult


@dataclass(frozen=True)
class Link:
    """A document outside a cluster verified as sharing a copy with some of its members."""

    doc: int  # the outside document
    cluster_id: str | None  # the outside document's own cluster; None for a singleton
    pairs: int  # verified same-story pairs with members of the cluster
    member: int  # the member it shares the most with
    containment: float  # of the smaller document in the larger, for that pair


def cluster_links(result: ScanResult) -> dict[str, tuple[Link, ...]]:
    """For each cluster id, the outside documents linked to it, most pairs first."""
    # each document's cluster id, by index (a list: read twice for each of many pairs)
    cluster_of: list[str | None] = [None] * len(result.documents)
    for c in result.clusters:
        for m in c.members:
            cluster_of[m.index] = c.cluster_id
    found: dict[tuple[str, int], list] = {}  # (cluster, outside doc): [pairs, best member, its containment]
    for score in result.pairs:
        if not score.same_story:
            continue
        a, b = score.first, score.second
        ca, cb = cluster_of[a], cluster_of[b]
        if ca == cb:
            continue
        containment = score.containment
        for inside, outside, cluster in ((a, b, ca), (b, a, cb)):
            if cluster is None:
                continue
            entry = found.get((cluster, outside))
            if entry is None:
                found[cluster, outside] = [1, inside, containment]
            else:
                entry[0] += 1
                if containment > entry[2]:
                    entry[1], entry[2] = inside, containment
    links: dict[str, list[Link]] = {}
    for (cluster, outside), (pairs, member, containment) in found.items():
        links.setdefault(cluster, []).append(Link(outside, cluster_of[outside], pairs, member, containment))
    docs = result.documents
    return {
        cluster: tuple(sorted(items, key=lambda link: (-link.pairs, -link.containment, docs[link.doc].doc_id)))
        for cluster, items in links.items()
    }
