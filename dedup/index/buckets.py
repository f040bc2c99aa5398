"""Band buckets for a batch of new articles, in numpy: what each finds, files and fills.

One article at a time, the index reads the article's buckets, skips each bucket holding
more than ``max_bucket`` articles (oversized: scan would not expand it), files the
article in every other one (counting those it fills to ``max_bucket + 1``), and takes as
candidates the articles met in at least ``min_hits`` of the buckets it did not fill.
Of the articles in the buckets it found full (or filled), those it meets in at least
:data:`~dedup.match.cores.CORE_AGREEMENT` of its buckets (full or not) are candidates as
well: near-copies of it, which a bucket of a dispatch on hundreds of sites holds, as
``dedup scan`` pairs the near-copies in an oversized bucket (:func:`near_copy_count`).
:func:`batch_candidates` gives, for a whole batch, what each article in turn gets that
way when the batch's earlier articles are filed before it: a bucket's size when the
``t``-th article of the batch reaches it is what the index held plus the earlier ones
filed there, and those stop once the bucket is full. No Python loop runs per bucket.

    >>> rows = BucketRows(np.array([5], np.uint64), np.array([1]))  # article seq 1 is in bucket 5
    >>> keys = [np.array([5, 6], np.uint64), np.array([5, 6], np.uint64)]
    >>> found = batch_candidates(keys, rows, max_bucket=200, min_hits=2, write=True)
    >>> [f.candidates for f in found]  # the second article meets the first (-1) in both buckets
    [[], [-1]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.match.cores import CORE_AGREEMENT


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``arange(s, s + n)`` for every ``(s, n)``, concatenated."""
    lengths = np.asarray(lengths, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(np.asarray(starts) - (ends - lengths), lengths)


@dataclass(frozen=True)
class BucketRows:
    """Stored bucket entries for some band keys, sorted by key: ``keys[i]`` holds article ``seqs[i]``."""

    keys: np.ndarray  # uint64
    seqs: np.ndarray  # int64


@dataclass(frozen=True)
class Found:
    """One article's buckets: its candidates, the keys it is filed under (in its own order,
    as one at a time lists them), and how many of those it filled.

    Candidates are codes: an indexed article's seq, or ``-1 - k`` for the batch's article ``k``.
    """

    candidates: list[int]
    filed: np.ndarray  # uint64
    filled: int
    near: list[int]  # codes of the near-copies met in full buckets that are not candidates, sorted


def batch_candidates(
    keys: Sequence[np.ndarray], rows: BucketRows, max_bucket: int, min_hits: int, write: bool
) -> list[Found]:
    """What each of a batch's articles (band ``keys``) gets from the stored buckets ``rows``.

    With ``write`` each article counts as filed before the next one looks (adding);
    without, every article sees only the stored buckets (querying).
    """
    count = len(keys)
    lengths = np.array([len(k) for k in keys], dtype=np.int64)
    if lengths.sum() == 0:
        return [Found([], np.zeros(0, dtype=np.uint64), 0, []) for _ in range(count)]
    flat = np.concatenate([np.asarray(k, dtype=np.uint64) for k in keys])
    owner = np.repeat(np.arange(count, dtype=np.int64), lengths)

    # Entries in key order, the batch's order kept within a key: a run is one article's
    # entries of one key (a key repeated within an article is read twice, filed once).
    order = np.argsort(flat, kind="stable")
    sorted_keys, sorted_owner = flat[order], owner[order]
    new_key = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    # Each distinct key looked up once, in order: a search for keys in order starts where
    # the one before ended (a third of the time of one for keys in the batch's order).
    distinct = sorted_keys[new_key]
    first, last = np.searchsorted(rows.keys, distinct, side="left"), np.searchsorted(rows.keys, distinct, side="right")
    key_of = np.cumsum(new_key) - 1
    start, stored = np.empty(len(flat), dtype=np.int64), np.empty(len(flat), dtype=np.int64)
    start[order], stored[order] = first[key_of], (last - first)[key_of]
    new_run = new_key | np.r_[True, sorted_owner[1:] != sorted_owner[:-1]]
    run = np.cumsum(new_run) - 1  # run number of each sorted entry
    group_first_run = np.maximum.accumulate(np.where(new_key, run, 0))
    earlier = np.zeros(len(flat), dtype=np.int64)  # articles of the batch that reached the key before
    if write:
        earlier[order] = run - group_first_run
    room = np.maximum(0, max_bucket + 1 - stored)
    size = stored + np.minimum(earlier, room)
    filed = size <= max_bucket
    filled = size == max_bucket
    hit = size < max_bucket

    # Articles met: the stored ones of each hit bucket, then the batch's earlier ones
    # there (all filed, since the bucket is not full), coded -1 - position.
    met_stored = rows.seqs[_ranges(start[hit], stored[hit])]
    by_stored = np.repeat(owner[hit], stored[hit])
    run_owner = sorted_owner[new_run]
    first_run = np.zeros(len(flat), dtype=np.int64)
    first_run[order] = group_first_run
    met_batch = -1 - run_owner[_ranges(first_run[hit], earlier[hit])]
    by_batch = np.repeat(owner[hit], earlier[hit])
    met = np.concatenate([met_stored, met_batch])
    by = np.concatenate([by_stored, by_batch])
    candidates: list[list[int]] = [[] for _ in range(count)]
    for article, member in _met_at_least(met, by, count, min_hits):
        candidates[article].append(member)
    filed_keys = np.split(flat[filed].astype(np.uint64), np.cumsum(np.bincount(owner[filed], minlength=count))[:-1])
    filled_count = np.bincount(owner[filled], minlength=count).tolist()
    # An article met fewer than min_hits times in the other buckets (not a candidate) must
    # be met in the rest of the near-copy count in full ones: most articles meet too few
    # full buckets (a stock phrase's) for any to be, and only those that may are looked at.
    need = near_copy_count(lengths)
    looks = np.bincount(owner[~hit], minlength=count) >= need - (min_hits - 1)
    near: list[list[int]] = [[] for _ in range(count)]
    if looks.any():
        # the full buckets' articles: the stored ones, then the batch's earlier ones filed
        # there before it filled (write), in batch order
        crowd = ~hit & looks[owner]
        filed_before = np.minimum(earlier, room)[crowd]
        crowd_met = np.concatenate(
            [rows.seqs[_ranges(start[crowd], stored[crowd])], -1 - run_owner[_ranges(first_run[crowd], filed_before)]]
        )
        crowd_by = np.concatenate([np.repeat(owner[crowd], stored[crowd]), np.repeat(owner[crowd], filed_before)])
        here = looks[by]
        for k, member in _met_enough(np.concatenate((met[here], crowd_met)), np.concatenate((by[here], crowd_by)),
                                     int(here.sum()), need):
            near[k].append(member)
    return [
        Found(candidates[k], filed_keys[k], filled_count[k], sorted(set(near[k]) - set(candidates[k])))
        for k in range(count)
    ]


def _meetings(met: np.ndarray, by: np.ndarray, count: int) -> tuple[np.ndarray, Callable[[np.ndarray], tuple]]:
    """Each meeting of member ``met[i]`` by article ``by[i]`` (of ``count``) as one number,
    article then member in positional notation, so that one sort orders them by article,
    then member; and the function that gives ``(articles, members)`` back from such numbers.
    Where that number would not fit in 64 bits, the members are numbered first."""
    low, high = (int(met.min()), int(met.max())) if len(met) else (0, 0)
    width = high - low + 1
    if width * count < 1 << 62:
        return by * width + (met - low), lambda codes: (codes // width, codes % width + low)
    members, index = np.unique(met, return_inverse=True)
    width = max(1, len(members))
    return by * width + index.reshape(-1), lambda codes: (codes // width, members[codes % width])


def _met_at_least(met: np.ndarray, by: np.ndarray, count: int, min_hits: int) -> Iterator[tuple[int, int]]:
    """``(article, member)`` for each member met (``met``, by article ``by`` of ``count``) at
    least ``min_hits`` times, by article, then member."""
    codes, back = _meetings(met, by, count)
    pair, hits = np.unique(codes, return_counts=True)
    article, member = back(pair[hits >= min_hits])
    return zip(article.tolist(), member.tolist())


def _met_enough(met: np.ndarray, by: np.ndarray, first_crowded: int, need: np.ndarray) -> Iterator[tuple[int, int]]:
    """``(article, member)`` for each member met (``met``, by article ``by``) at least
    ``need[article]`` times, of those met in a full bucket (the entries from ``first_crowded`` on)."""
    codes, back = _meetings(met, by, len(need))
    pair, shared = np.unique(codes[np.isin(codes, codes[first_crowded:])], return_counts=True)
    article, member = back(pair)
    keep = shared >= need[article]
    return zip(article[keep].tolist(), member[keep].tolist())


def near_copy_count(keys: np.ndarray | int) -> np.ndarray:
    """The buckets an article must share with one of ``keys`` band keys to be its near-copy:
    :data:`~dedup.match.cores.CORE_AGREEMENT` of them (with one-row bands, of its signature)."""
    return np.ceil(CORE_AGREEMENT * np.asarray(keys, dtype=np.float64)).astype(np.int64)
