"""Which band keys the large bucket table may hold, told in memory (:class:`KeyFilter`).

A batch of a bulk feed looks up about 70,000 distinct band keys in the large table, and
98% of them are in no entry: each still costs SQLite a descent of the table's B-tree,
about a microsecond. The high 32 bits of every key the table holds, sorted, answer most of
those in a ``searchsorted``; only the keys whose bits are there are asked for.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from dedup.match.shingle import sorted_distinct

# A filter is read for a large table of at most this many entries, and holds at most this
# many prefixes (4 bytes each: 64 MB); past it, every key is asked for.
FILTER_MAX = 1 << 24
# A filter is read (every key of the large table, in order: about 0.45 µs an entry) once
# this process has asked the table for at least as many keys as it holds entries since the
# last (about 1 µs a key), so that reading costs at most about half of those lookups.
FILTER_AFTER_SHARE = 1


@dataclass(frozen=True)
class KeyFilter:
    """The high 32 bits of every key of the large table at ``generation``, sorted, once each.

    Most keys a batch looks up are in no entry (98% of them in a bulk feed), and each costs
    a B-tree descent in SQLite all the same: a key whose high bits are not here is not asked
    for. A filter of a generation holds the keys of that generation's table, or more (a
    merge adds the keys it moves; a removal takes none out), so it never hides an entry.
    """

    generation: int
    prefixes: np.ndarray  # uint32

    @staticmethod
    def high(keys: np.ndarray) -> np.ndarray:
        return (np.asarray(keys, dtype=np.uint64) >> np.uint64(32)).astype(np.uint32)

    def _holds(self, high: np.ndarray) -> np.ndarray:
        if not len(self.prefixes):
            return np.zeros(len(high), dtype=bool)
        at = np.searchsorted(self.prefixes, high)
        return self.prefixes[np.minimum(at, len(self.prefixes) - 1)] == high

    def may_hold(self, keys: np.ndarray) -> np.ndarray:
        """Which of the uint64 ``keys`` the table may hold (a mask): none it holds is left out."""
        return self._holds(self.high(keys))

    def with_keys(self, keys: np.ndarray, generation: int) -> KeyFilter | None:
        """The filter once ``keys`` are added, at ``generation``; None past :data:`FILTER_MAX`."""
        high = sorted_distinct(self.high(keys))
        new = high[~self._holds(high)]
        if len(self.prefixes) + len(new) > FILTER_MAX:
            return None
        return KeyFilter(generation, np.insert(self.prefixes, np.searchsorted(self.prefixes, new), new))

    @classmethod
    def read(cls, conn: sqlite3.Connection, generation: int) -> KeyFilter:
        """The filter of the large table as ``conn``'s transaction sees it (at ``generation``)."""
        signed_keys = np.fromiter((key for (key,) in conn.execute("SELECT key FROM buckets")), dtype=np.int64)
        return cls(generation, sorted_distinct(cls.high(signed_keys.view(np.uint64))))
