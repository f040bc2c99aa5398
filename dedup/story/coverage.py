"""How much of each member of a cluster has a counterpart in each other member: the
passage coverage the copy tree and the origin's evidence read (:class:`PassageCoverage`)."""

from __future__ import annotations

import itertools
import operator

import numpy as np

from dedup.match.shingle import unique_inverse
from dedup.story.diff import Counterpart
from dedup.story.result import Cluster

_MEMBER = operator.attrgetter("member")
# Up to this many pairs of members (or as many as counterparts), passage coverage is
# counted into a table of every pair; beyond, into the pairs found only.
COVERAGE_TABLE_CELLS = 1 << 20


class PassageCoverage:
    """Characters of each member's content passages with a counterpart in each other member,
    and the total, for every pair of members at once: one pass over the counterparts.

    ``shared_only`` counts the passages the diff found shared, of those and of the total;
    ``boilerplate`` passages never count.
    """

    def __init__(self, cluster: Cluster) -> None:
        count = len(cluster.members)
        self.count = count
        totals = [[0] * count, [0] * count]  # [all content, shared only]
        inner_of: list[int] = []  # of each passage with counterparts: its member, size, whether shared
        sizes: list[int] = []
        shared: list[bool] = []
        found: list[tuple[Counterpart, ...]] = []
        for inner, member in enumerate(cluster.members):
            for diff in member.passages:
                if diff.status == "boilerplate":
                    continue
                size = diff.passage.end - diff.passage.start
                is_shared = diff.status == "shared"
                totals[0][inner] += size
                totals[1][inner] += size if is_shared else 0
                if diff.counterparts:
                    inner_of.append(inner)
                    sizes.append(size)
                    shared.append(is_shared)
                    found.append(diff.counterparts)
        self.totals = np.array(totals, dtype=np.int64).reshape(2, count)
        # every counterpart's member, read in C: a wire story's passage has one in each page
        lengths = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        outer = np.fromiter(map(_MEMBER, itertools.chain.from_iterable(found)), dtype=np.int64, count=int(lengths.sum()))
        passage = np.repeat(np.arange(len(found), dtype=np.int64), lengths)
        # a member once per passage, however many of its windows are counterparts: the
        # diff lists them by member, so the same ones are side by side (else sorted here)
        key = passage * count + outer
        if len(key) > 1 and not bool(np.all(key[1:] >= key[:-1])):
            key = np.sort(key, kind="stable")
            passage, outer = key // count, key % count
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        passage, outer = passage[first], outer[first]
        codes = np.array(inner_of, dtype=np.int64)[passage] * count + outer
        size_array = np.array(sizes, dtype=np.float64)[passage]  # sums of characters: exact in floats
        shared_array = np.array(shared, dtype=bool)[passage]
        if count * count <= max(COVERAGE_TABLE_CELLS, len(codes)):  # counted into a table of every pair
            unique = np.flatnonzero(np.bincount(codes, minlength=count * count))
            where, cells = codes, count * count
        else:  # too many members for that: the pairs found, sorted
            unique, where = unique_inverse(codes)
            cells = len(unique)
        covered = [
            np.bincount(where, weights=size_array, minlength=cells),
            np.bincount(where[shared_array], weights=size_array[shared_array], minlength=cells),
        ]
        if cells != len(unique):
            covered = [column[unique] for column in covered]
        self.codes = unique
        self.covered = np.array(covered, dtype=np.int64).reshape(2, len(unique))
        self._shared_in: list[float] | None = None
        # what of() reads, for a pair at a time: dict look-ups, not a numpy search each
        self._covered = [dict(zip(unique.tolist(), row)) for row in self.covered.tolist()]
        self._totals = self.totals.tolist()

    def of(self, inner: int, outer: int, shared_only: bool = False) -> tuple[int, int]:
        """Characters of ``inner``'s content passages with a counterpart in ``outer``, and the
        total (cluster positions)."""
        which = int(shared_only)
        return self._covered[which].get(inner * self.count + outer, 0), self._totals[which][inner]

    def shared_in(self, outer: int) -> float:
        """Of the shared passages of every other member, the share (in characters) with a
        counterpart in ``outer``."""
        if self._shared_in is None:  # every member's at once: one pass over the table
            inner, into = self.codes // self.count, self.codes % self.count
            apart = inner != into
            covered = np.bincount(into[apart], weights=self.covered[1, apart], minlength=self.count)
            totals = (self.totals[1].sum() - self.totals[1]).tolist()
            self._shared_in = [int(c) / t if t else 0.0 for c, t in zip(covered.tolist(), totals)]
        return self._shared_in[outer]
