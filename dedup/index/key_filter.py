"""Which band keys the large bucket table may hold, told in memory (:class:`KeyFilter`).

A batch of a bulk feed looks up about 70,000 distinct band keys in the large table, and
98% of them are in no entry: each still costs SQLite a descent of the table's B-tree,
about a microsecond. The high 32 bits of every key the table holds, sorted, answer most of
those in a ``searchsorted``; only the keys whose bits are there are asked for. Past
:data:`PREFIXES_MAX` distinct prefixes (about 250,000 articles of the generated news feed,
whose 300,000 articles hold 19.7 million distinct keys), a bitmap over the keys' top
:data:`BITMAP_BITS` bits takes their place: 64 MB whatever the table's size, and an absent
key is let through when another key set its bit (about one in nine at a million such
articles).
"""

from __future__ import annotations

import dataclasses
import itertools
import sqlite3
from dataclasses import dataclass

import numpy as np

from dedup.match.shingle import sorted_distinct

# The most distinct 32-bit prefixes a filter holds sorted (4 bytes each: 64 MB); past them,
# a bitmap of 2**BITMAP_BITS bits (the same 64 MB) over the keys' top BITMAP_BITS bits.
PREFIXES_MAX = 1 << 24
BITMAP_BITS = 29
# A filter is read for a large table of at most this many entries; past it (where a bitmap
# would let most absent keys through), every key is asked for.
FILTER_MAX = 1 << 29
# A filter is read (every key of the large table, in order: about 0.45 µs an entry) once
# this process has asked the table for at least as many keys as it holds entries since the
# last (about 1 µs a key), so that reading costs at most about half of those lookups.
FILTER_AFTER_SHARE = 1
# Keys read from SQLite at a time when a filter is read.
READ_CHUNK = 1 << 22


def _slots(high: np.ndarray, bitmap: np.ndarray) -> np.ndarray:
    """The bit of ``bitmap`` that each 32-bit prefix in ``high`` falls on (its top bits)."""
    return high >> np.uint32(33 - (len(bitmap) * 8).bit_length())


def _bitmap(high: np.ndarray, bitmap: np.ndarray) -> np.ndarray:
    """``bitmap`` with the bit of each 32-bit prefix in ``high`` set, in place."""
    slots = sorted_distinct(_slots(high, bitmap))
    cells = (slots >> np.uint32(3)).astype(np.int64)
    values = (np.uint8(1) << (slots & np.uint32(7)).astype(np.uint8)).astype(np.uint8)
    if len(cells):
        starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
        bitmap[cells[starts]] |= np.bitwise_or.reduceat(values, starts)
    return bitmap


@dataclass(frozen=True)
class KeyFilter:
    """The high bits of every key of the large table at ``generation``.

    Held as the sorted distinct 32-bit prefixes (``prefixes``), or, past
    :data:`PREFIXES_MAX` of them, as a bitmap over the top :data:`BITMAP_BITS` bits
    (``bitmap``; ``prefixes`` is then empty). Most keys a batch looks up are in no entry
    (98% of them in a bulk feed), and each costs a B-tree descent in SQLite all the same:
    a key whose bits are not here is not asked for. A filter of a generation holds the
    keys of that generation's table, or more (a merge adds the keys it moves; a removal
    takes none out), so it never hides an entry.
    """

    generation: int
    prefixes: np.ndarray  # uint32
    bitmap: np.ndarray | None = None  # uint8, 2**BITMAP_BITS bits

    @staticmethod
    def high(keys: np.ndarray) -> np.ndarray:
        return (np.asarray(keys, dtype=np.uint64) >> np.uint64(32)).astype(np.uint32)

    def _holds(self, high: np.ndarray) -> np.ndarray:
        if self.bitmap is not None:
            slots = _slots(high, self.bitmap)
            return ((self.bitmap[slots >> np.uint32(3)] >> (slots & np.uint32(7)).astype(np.uint8)) & 1).astype(bool)
        if not len(self.prefixes):
            return np.zeros(len(high), dtype=bool)
        at = np.searchsorted(self.prefixes, high)
        return self.prefixes[np.minimum(at, len(self.prefixes) - 1)] == high

    def may_hold(self, keys: np.ndarray) -> np.ndarray:
        """Which of the uint64 ``keys`` the table may hold (a mask): none it holds is left out."""
        return self._holds(self.high(keys))

    def at(self, generation: int) -> KeyFilter:
        """The same filter for the table at ``generation`` (which holds no key more)."""
        return dataclasses.replace(self, generation=generation)

    def with_keys(self, keys: np.ndarray, generation: int) -> KeyFilter:
        """The filter once ``keys`` are added, at ``generation`` (a new one: this one is left as it is)."""
        high = sorted_distinct(self.high(keys))
        if self.bitmap is not None:
            return KeyFilter(generation, self.prefixes, _bitmap(high, self.bitmap.copy()))
        new = high[~self._holds(high)]
        if len(self.prefixes) + len(new) > PREFIXES_MAX:
            bitmap = _bitmap(new, _bitmap(self.prefixes, np.zeros(1 << (BITMAP_BITS - 3), dtype=np.uint8)))
            return KeyFilter(generation, np.zeros(0, dtype=np.uint32), bitmap)
        return KeyFilter(generation, np.insert(self.prefixes, np.searchsorted(self.prefixes, new), new))

    @classmethod
    def read(cls, conn: sqlite3.Connection, generation: int) -> KeyFilter:
        """The filter of the large table as ``conn``'s transaction sees it (at ``generation``),
        read :data:`READ_CHUNK` keys at a time."""
        held = cls(generation, np.zeros(0, dtype=np.uint32))
        rows = (key for (key,) in conn.execute("SELECT key FROM buckets"))
        while True:
            signed_keys = np.fromiter(itertools.islice(rows, READ_CHUNK), dtype=np.int64)
            if not len(signed_keys):
                return held
            held = held.with_keys(signed_keys.view(np.uint64), generation)
