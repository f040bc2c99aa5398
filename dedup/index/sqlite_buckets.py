"""Band buckets in the SQLite store: a large key-ordered table and a few recent runs.

A bucket entry says that article ``seq`` holds band key ``key``. Keys are hashes, so
filing a batch's 128,000 entries in a B-tree keyed by them touches its pages all over:
in a table of a million entries, every page is rewritten through the WAL by every batch.
So a batch files its entries as one *run*: a row of ``bucket_runs`` holding the
entries' keys and seqs as two little-endian arrays, sorted by key then seq, written as
two blobs (2 MB a batch). Once the runs hold more than :func:`recent_limit` entries,
they are merged into ``buckets``, a ``WITHOUT ROWID`` table keyed by ``(key, seq)``, in
key order: one pass over its B-tree.

Each process keeps the runs in memory, merged into one sorted pair of arrays
(:class:`RecentRuns`), and looks keys up there with ``searchsorted``; the large table is
asked in SQL. Runs never change once written: at the start of each transaction (which
holds the write lock, or a read snapshot) the process reads the list of run numbers,
loads the ones it has not seen, and starts over when one it holds is gone (another
process merged them). Run numbers are never given twice (``AUTOINCREMENT``), except
those of a transaction that rolled back: the store makes the process start over then.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence

import numpy as np

from dedup.index.buckets import BucketRows

# Entries of a batch of 1,000 articles (128 bands each); the fewest and the most the runs may hold.
BATCH_ENTRIES = 128_000
RECENT_MIN = 500_000
RECENT_MAX = 4_000_000  # 64 MB in memory, read by each process that opens the file
# SQLite caps the parameters of one statement; IN lists are sent in chunks of this size.
CHUNK = 900

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bucket_runs (run INTEGER PRIMARY KEY AUTOINCREMENT, keys BLOB NOT NULL, seqs BLOB NOT NULL);
"""


def recent_limit(large: int) -> int:
    """Entries the runs may hold before they are merged into the large table.

    A merge inserts every entry of the runs and, once they outnumber the large table's
    pages, rewrites about every page of it (through the WAL, then into the file); with
    ``r`` entries allowed, merges come every ``r / b`` batches of ``b`` entries. Between
    merges, a batch copies the ``r`` entries held in memory to take in its run, which
    costs per entry about a 600th of what a page rewrite costs per page of 200 entries:
    the least total is near ``r = sqrt(8 * large * b)``, kept between
    :data:`RECENT_MIN` and :data:`RECENT_MAX`.

    >>> recent_limit(0), recent_limit(12_800_000), recent_limit(128_000_000)
    (500000, 3620000, 4000000)
    """
    return max(RECENT_MIN, min(RECENT_MAX, int(round(math.sqrt(8 * large * BATCH_ENTRIES), -4))))


def signed(key: int) -> int:
    """A uint64 band key as the signed 64-bit integer SQLite stores."""
    return key - (1 << 64) if key >= 1 << 63 else key


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


class RecentRuns:
    """The runs as this process last read them: every entry, sorted by (uint64 key, seq)."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Hold nothing: every run is read again at the next :meth:`refresh`."""
        self.runs: list[int] = []
        self.keys = np.zeros(0, dtype=np.uint64)
        self.seqs = np.zeros(0, dtype=np.int64)

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Bring the runs in line with the file, inside the caller's transaction."""
        stored = [run for (run,) in conn.execute("SELECT run FROM bucket_runs ORDER BY run")]
        if stored == self.runs:
            return
        if stored[: len(self.runs)] != self.runs:
            self.forget()
        last = self.runs[-1] if self.runs else -1
        runs, keys, seqs = [], [self.keys], [self.seqs]
        for run, run_keys, run_seqs in conn.execute(
            "SELECT run, keys, seqs FROM bucket_runs WHERE run > ? ORDER BY run", (last,)
        ):
            runs.append(run)
            keys.append(np.frombuffer(run_keys, dtype="<u8").astype(np.uint64))
            seqs.append(np.frombuffer(run_seqs, dtype="<i8").astype(np.int64))
        if len(runs) == 1:
            self.add(runs[0], keys[1], seqs[1])
            return
        # by key, each key's entries in run order, which is seq order
        all_keys, all_seqs = np.concatenate(keys), np.concatenate(seqs)
        order = np.argsort(all_keys, kind="stable")
        self.keys, self.seqs = all_keys[order], all_seqs[order]
        self.runs += runs

    def add(self, run: int, keys: np.ndarray, seqs: np.ndarray) -> None:
        """Take in run ``run``, sorted by key then seq; its seqs come after every seq held,
        since seqs are handed out in order and runs are written in that order."""
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys, self.seqs = np.insert(self.keys, at, keys), np.insert(self.seqs, at, seqs)
        self.runs.append(run)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entries of ``keys`` (unique), as ``(keys, seqs)``."""
        start = np.searchsorted(self.keys, keys, side="left")
        count = np.searchsorted(self.keys, keys, side="right") - start
        where = _ranges(start, count)
        return self.keys[where], self.seqs[where]

    def __len__(self) -> int:
        return len(self.keys)


class BucketTables:
    """The bucket entries of one SQLite file: its large table and its runs."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.recent = RecentRuns()

    def create(self, move_recent: bool) -> None:
        """Make the tables; with ``move_recent``, move the entries of a version 2 file's
        recent table (where it filed them before runs) into the large one."""
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self.conn.execute(statement)
        had = move_recent and self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'recent_buckets'").fetchone()
        if had:
            moved = self.conn.execute("INSERT OR IGNORE INTO buckets SELECT key, seq FROM recent_buckets ORDER BY key, seq")
            self._count(moved.rowcount)
            self.conn.execute("DROP TABLE recent_buckets")
            self.conn.execute("DELETE FROM counters WHERE name = 'recent_buckets'")

    def _count(self, change: int) -> int:
        """The large table's entries, kept in ``counters`` (counted once where missing)."""
        row = self.conn.execute("SELECT value FROM counters WHERE name = 'buckets'").fetchone()
        held = row[0] if row else self.conn.execute("SELECT COUNT(*) FROM buckets").fetchone()[0]
        self.conn.execute("INSERT OR REPLACE INTO counters VALUES ('buckets', ?)", (held + change,))
        return held + change

    def file(self, keys: np.ndarray, seqs: np.ndarray) -> None:
        """File the entries ``(uint64 key, seq)`` as a run; merge the runs once they are full.

        Every seq is above every one filed before (one batch's articles, or one article).
        """
        if not len(keys):
            return
        self.recent.refresh(self.conn)
        keys, seqs = np.asarray(keys, dtype=np.uint64), np.asarray(seqs, dtype=np.int64)
        order = np.lexsort((seqs, keys))
        keys, seqs = keys[order], seqs[order]
        once = np.r_[True, (keys[1:] != keys[:-1]) | (seqs[1:] != seqs[:-1])]  # an entry filed twice is kept once
        keys, seqs = keys[once], seqs[once]
        run = self.conn.execute(
            "INSERT INTO bucket_runs (keys, seqs) VALUES (?, ?)",
            (keys.astype("<u8").tobytes(), seqs.astype("<i8").tobytes()),
        ).lastrowid
        self.recent.add(int(run), keys, seqs)  # type: ignore[arg-type]
        if len(self.recent) > recent_limit(self._count(0)):
            self.merge()

    def merge(self) -> None:
        """Move the runs' entries into the large table, in the order of its B-tree."""
        self.recent.refresh(self.conn)
        keys, seqs = self.recent.keys.view(np.int64), self.recent.seqs
        order = np.lexsort((seqs, keys))
        moved = self.conn.executemany(
            "INSERT OR IGNORE INTO buckets VALUES (?, ?)", zip(keys[order].tolist(), seqs[order].tolist())
        )
        self._count(moved.rowcount)
        self.conn.execute("DELETE FROM bucket_runs")
        self.recent.forget()

    def rows(self, keys: np.ndarray) -> BucketRows:
        """Every entry of ``keys``, sorted by (uint64 key, seq)."""
        self.recent.refresh(self.conn)
        unique = np.unique(np.asarray(keys, dtype=np.uint64))
        # Seqs only: joining each entry to its article would double the time, and every
        # entry names an indexed article (prune removes an article's entries with it;
        # `index stats --check` verifies it).
        found: list[tuple[int, int]] = []
        listed = unique.view(np.int64).tolist()
        for start in range(0, len(listed), CHUNK):
            part = listed[start : start + CHUNK]
            found += self.conn.execute(f"SELECT key, seq FROM buckets WHERE key IN ({','.join('?' * len(part))})",
                                       part).fetchall()
        # fromiter over the flattened rows: half the time np.array takes on a list of pairs
        large = np.fromiter((v for row in found for v in row), dtype=np.int64, count=2 * len(found)).reshape(-1, 2)
        recent_keys, recent_seqs = self.recent.lookup(unique)
        all_keys = np.concatenate((large[:, 0].view(np.uint64), recent_keys))
        all_seqs = np.concatenate((large[:, 1], recent_seqs))
        order = np.lexsort((all_seqs, all_keys))
        return BucketRows(all_keys[order], all_seqs[order])

    def remove(self, keys: Sequence[int], seq: int) -> None:
        """Take article ``seq``'s entries of ``keys`` out (after merging the runs, where they may be)."""
        self.recent.refresh(self.conn)
        if len(self.recent):
            self.merge()
        removed = self.conn.executemany("DELETE FROM buckets WHERE key = ? AND seq = ?", [(signed(k), seq) for k in keys])
        self._count(-removed.rowcount)

    def stray(self) -> int:
        """Entries naming no indexed article."""
        self.recent.refresh(self.conn)
        stray = self.conn.execute("SELECT COUNT(*) FROM buckets WHERE seq NOT IN (SELECT seq FROM articles)").fetchone()[0]
        if len(self.recent):
            seqs = np.unique(self.recent.seqs)
            known: set[int] = set()
            for start in range(0, len(seqs), CHUNK):
                part = seqs[start : start + CHUNK].tolist()
                known.update(s for (s,) in self.conn.execute(
                    f"SELECT seq FROM articles WHERE seq IN ({','.join('?' * len(part))})", part))
            stray += int((~np.isin(self.recent.seqs, np.fromiter(known, dtype=np.int64, count=len(known)))).sum())
        return stray
