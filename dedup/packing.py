"""How candidate and same-story pairs are packed into the batches of a scan's workers.

Whole components of the pair graph go together, in order of their first document, so
that no batch cuts a component that must stay whole (clustering); a component larger
than a batch is cut into chunks of pairs where each pair is scored on its own
(verification, alignment). Batch contents depend only on the pairs and the sizes asked
for, never on the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from dedup.match.graph import component_labels
from dedup.match.shingle import concat_ranges, sorted_distinct


def _components(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The components of the graph of ``pairs``, in order of their first document.

    Returns the pairs reordered so that each component's pairs are contiguous (sorted
    within it), where each component's pairs end, and each component's sorted documents.
    """
    involved = sorted_distinct(pairs)
    local = np.searchsorted(involved, pairs)
    # a component is labelled by its smallest node, and involved is sorted: numbered by
    # their labels, the components are in order of their first document
    labels, doc_rank = np.unique(component_labels(len(involved), local), return_inverse=True)
    doc_rank = doc_rank.reshape(-1)
    pair_rank = doc_rank[local[:, 0]]
    pair_order = np.lexsort((pairs[:, 1], pairs[:, 0], pair_rank))
    doc_order = np.lexsort((involved, doc_rank))
    pair_ends = np.searchsorted(pair_rank[pair_order], np.arange(1, len(labels) + 1))
    doc_ends = np.searchsorted(doc_rank[doc_order], np.arange(1, len(labels) + 1))
    documents = np.split(involved[doc_order], doc_ends[:-1])
    return pairs[pair_order], pair_ends, documents


def pair_batches(
    pairs: np.ndarray,
    batch_docs: int,
    split_large: bool,
    doc_costs: np.ndarray | None = None,
    *,
    max_cost: int,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of about ``batch_docs`` documents: ``(documents, pairs)``, global indices.

    Whole components are packed together. A component larger than a batch is one batch,
    unless ``split_large``: its pairs are then cut into chunks of ``batch_docs`` pairs
    (verification scores each pair on its own; clustering needs whole components).
    With ``doc_costs`` (the shingles of each document, by global index) a batch also
    closes when its documents hold ``max_cost`` shingles, and ``split_large`` cuts a
    component holding more into chunks of pairs whose two documents add up to at most
    that: a few long documents weigh as much as many short ones.
    """
    if len(pairs) == 0:
        return
    ordered, pair_ends, documents = _components(pairs)
    costs = np.zeros(0, dtype=np.int64) if doc_costs is None else np.asarray(doc_costs, dtype=np.int64)
    pair_cost_ends = np.cumsum(costs[ordered].sum(axis=1)) if doc_costs is not None else None
    pair_starts = np.r_[0, pair_ends[:-1]]
    current_docs: list[np.ndarray] = []
    first_pair = 0
    size = cost = 0
    for component, members in enumerate(documents):
        start, end = int(pair_starts[component]), int(pair_ends[component])
        weight = int(costs[members].sum()) if doc_costs is not None else 0
        if split_large and (len(members) > batch_docs or weight > max_cost):
            if current_docs:
                yield np.sort(np.concatenate(current_docs)), ordered[first_pair:start]
                current_docs, size, cost = [], 0, 0
            for lo, hi in chunks_of(start, end, batch_docs, pair_cost_ends, max_cost):
                chunk = ordered[lo:hi]
                yield sorted_distinct(chunk), chunk
            first_pair = end
            continue
        if not current_docs:
            first_pair = start
        current_docs.append(members)
        size, cost = size + len(members), cost + weight
        if size >= batch_docs or cost >= max_cost:
            yield np.sort(np.concatenate(current_docs)), ordered[first_pair:end]
            current_docs, size, cost = [], 0, 0
            first_pair = end
    if current_docs:
        yield np.sort(np.concatenate(current_docs)), ordered[first_pair:]


def chunks_of(
    start: int, end: int, count: int, cost_ends: np.ndarray | None, max_cost: int
) -> Iterator[tuple[int, int]]:
    """Ranges of pairs in ``[start, end)``: at most ``count`` pairs and ``max_cost`` cost, one pair at least."""
    lo = start
    while lo < end:
        hi = min(end, lo + count)
        if cost_ends is not None:
            base = cost_ends[lo - 1] if lo else 0
            hi = min(hi, max(int(np.searchsorted(cost_ends, base + max_cost, side="right")), lo + 1))
        yield lo, hi
        lo = hi


def pairs_not_in(groups: Sequence[Sequence[int]], pairs: np.ndarray, count: int) -> np.ndarray:
    """The pairs ``(a, b)``, ``a < b``, of documents of one of ``groups`` that ``pairs`` (``(n, 2)``,
    each ``a < b``) leaves out, group by group; documents are numbered below ``count``."""
    sizes = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
    group_of = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
    members = np.fromiter((d for group in groups for d in group), dtype=np.int64, count=int(sizes.sum()))
    members = members[np.lexsort((members, group_of))]  # sorted within each group
    starts = np.cumsum(sizes) - sizes
    later = (starts + sizes)[group_of] - 1 - np.arange(len(members))  # members after each in its group
    left = np.repeat(np.arange(len(members)), later)
    right = left + 1 + concat_ranges(np.zeros(len(later), dtype=np.int64), later)
    keys = members[left] * count + members[right]
    known = np.sort(pairs[:, 0] * count + pairs[:, 1])
    if len(known) and len(keys):
        at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
        keys = keys[known[at] != keys]
    return np.stack([keys // count, keys % count], axis=1)
