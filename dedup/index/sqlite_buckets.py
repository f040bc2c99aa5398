"""Band buckets in the SQLite store: a large key-ordered table and a few recent runs.

A bucket entry says that article ``seq`` holds band key ``key``. Keys are hashes, so
filing a batch's 128,000 entries in a B-tree keyed by them touches its pages all over:
in a table of a million entries, every page is rewritten through the WAL by every batch.
So a batch files its entries as one *run*: a row of ``bucket_runs`` holding the
entries' keys and seqs as two little-endian arrays, sorted by key then seq, written as
two blobs (2 MB a batch). Once the runs hold more than :func:`recent_limit` entries,
they are merged into ``buckets``, a ``WITHOUT ROWID`` table keyed by ``(key, seq)``, in
key order: one pass over its B-tree.

Each process keeps the runs in memory (:class:`RecentRuns`), merged into one sorted pair
of arrays once it looks up a batch's keys, and looks keys up there with ``searchsorted``;
the large table is asked in SQL. Runs never change once written, and go only all
together (a merge). At the start of each transaction (which holds the write lock, or a
read snapshot) the process reads the first and last run numbers, loads the runs it has
not seen, and starts over when the first it holds is gone (another process merged them).
Run numbers are never given twice (``AUTOINCREMENT``), except those of a transaction
that rolled back: the store makes the process start over then.

The large table changes only when runs are merged into it or articles are pruned, and
each such change raises a generation number kept with it. So the next batch's keys can
be looked up there ahead (:class:`Ahead`), in a thread on a read connection of its own,
while this process still files the current batch: the lookup is used when the
generation it read is the one the batch's transaction reads, and made again otherwise.
Both lookups ask SQLite only for the keys the table may hold, as the process's
:class:`~dedup.index.key_filter.KeyFilter` of the table's generation tells; the filter a
transaction changes holds from its commit on.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from dedup.index.buckets import BucketRows
from dedup.index.key_filter import FILTER_AFTER_SHARE, FILTER_MAX, KeyFilter
from dedup.match.shingle import sorted_distinct

# Entries of a batch of 1,000 articles (128 bands each); the fewest and the most the runs may hold.
BATCH_ENTRIES = 128_000
RECENT_MIN = 500_000
RECENT_MAX = 4_000_000  # 64 MB in memory, read by each process that opens the file
# SQLite caps the parameters of one statement; IN lists are sent in chunks of this size,
# and a merge's entries in rows of two parameters.
CHUNK = 900
MERGE_ROWS = CHUNK // 2

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


def signed_order(keys: np.ndarray, seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries sorted by (uint64 key, seq), as signed keys sorted by (signed key, seq): the
    order of the large table's B-tree. The keys from 2**63 on are the negative ones, which
    come first; each half keeps its order, so no sort is needed."""
    half = int(np.searchsorted(keys, np.uint64(1 << 63)))
    return (np.concatenate((keys[half:], keys[:half])).view(np.int64),
            np.concatenate((seqs[half:], seqs[:half])))


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    """``items`` in slices of at most ``size``, for IN lists."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def value_rows(count: int) -> str:
    """``count`` rows of two parameter marks, for a VALUES list."""
    return ",".join(["(?,?)"] * count)


def marks(count: int) -> str:
    """``count`` parameter marks, comma-separated."""
    return ",".join("?" * count)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


def generation(conn: sqlite3.Connection) -> int:
    """How many times the large table has changed (merges, prunes, upgrades)."""
    row = conn.execute("SELECT value FROM counters WHERE name = 'bucket_generation'").fetchone()
    return row[0] if row else 0


def _changed(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO counters VALUES ('bucket_generation', 1) "
                 "ON CONFLICT(name) DO UPDATE SET value = value + 1")


def large_rows(conn: sqlite3.Connection, unique: np.ndarray) -> np.ndarray:
    """The large table's entries of the sorted unique uint64 ``unique``, as an ``(n, 2)``
    int64 array of (signed key, seq)."""
    # Seqs only: joining each entry to its article would double the time, and every
    # entry names an indexed article (prune removes an article's entries with it;
    # `index stats --check` verifies it).
    found: list[tuple[int, int]] = []
    for part in chunks(unique.view(np.int64).tolist()):
        found += conn.execute(f"SELECT key, seq FROM buckets WHERE key IN ({marks(len(part))})", part).fetchall()
    # fromiter over the flattened rows: half the time np.array takes on a list of pairs
    return np.fromiter((v for row in found for v in row), dtype=np.int64, count=2 * len(found)).reshape(-1, 2)


class Ahead:
    """Large-table lookups made a batch ahead, in a thread, on a read connection of its own.

    :meth:`start` is called as each batch begins, with the next batch's keys: the lookup
    it starts is the one :meth:`take` offers while that next batch runs.
    """

    def __init__(self, path: Path, timeout: float, cache_mib: int, tables: BucketTables) -> None:
        self.path, self.timeout, self.cache_mib = path, timeout, cache_mib
        self.tables = tables  # whose committed filter lookups may use, and whose count of keys asked for grows
        self.pool: ThreadPoolExecutor | None = None
        self.conn: sqlite3.Connection | None = None  # used in the pool's one thread only
        self.current: Future[tuple[int, np.ndarray, np.ndarray]] | None = None  # for this batch
        self.following: Future[tuple[int, np.ndarray, np.ndarray]] | None = None  # for the next
        self.current_keys = self.following_keys = np.zeros(0, dtype=np.uint64)  # the keys they look up

    def start(self, keys: np.ndarray | None) -> None:
        """A batch begins; look the entries of the next one's ``keys`` up in the large table
        as it is now (None: no next batch)."""
        self.current, self.following = self.following, None
        self.current_keys, self.following_keys = self.following_keys, np.zeros(0, dtype=np.uint64)
        if keys is not None and len(keys):
            self.following_keys = np.array(keys, dtype=np.uint64)  # a copy: the caller goes on
            if self.pool is None:
                self.pool = ThreadPoolExecutor(1, thread_name_prefix="dedup-buckets-ahead")
            self.following = self.pool.submit(self._look, self.following_keys)

    def _look(self, keys: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        if self.conn is None:
            self.conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            # the large table's pages it reads, kept between batches as the writer's are
            self.conn.execute(f"PRAGMA cache_size = {-self.cache_mib * 1024}")
        unique = sorted_distinct(keys)
        self.conn.execute("BEGIN DEFERRED")  # one snapshot for the generation and the entries
        try:
            now = generation(self.conn)
            held = self.tables.filter  # the last commit's: read once, as another thread may set it
            asked = unique[held.may_hold(unique)] if held is not None and held.generation == now else unique
            self.tables.asked += len(asked)
            return now, unique, large_rows(self.conn, asked)
        finally:
            self.conn.execute("ROLLBACK")

    def take(self, keys: np.ndarray, now: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(unique keys, entries)`` of ``keys`` looked up ahead for this batch, if that
        lookup covered them and the large table is still at generation ``now``; else None."""
        if self.current is None:
            return None
        try:
            held, looked, rows = self.current.result()
        except sqlite3.Error:  # looked up again in the transaction, where an error tells
            return None
        if held != now:
            return None
        if len(keys) == self.current_keys.size and np.array_equal(keys, self.current_keys):
            return looked, rows
        unique = sorted_distinct(keys)  # a part of the batch (the batch repeats an id)
        if not np.isin(unique, looked).all():
            return None
        return unique, rows[np.isin(rows[:, 0].view(np.uint64), unique)]

    def close(self) -> None:
        self.current = self.following = None
        if self.pool is not None:
            self.pool.submit(self._close).result()
            self.pool.shutdown()
            self.pool = None

    def _close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            self.conn = None


# A lookup of at least this many keys first merges the runs held apart into one sorted
# array; smaller ones (a few articles added or queried) search each run as it is, so that
# a process adding ten articles does not sort millions of entries to look 1,280 keys up.
MERGE_FOR_KEYS = 8192
# Runs held apart at most (articles added one per transaction file a run each).
MAX_PARTS = 16


class RecentRuns:
    """The runs as this process last read them: ``keys``/``seqs``, every entry of the runs
    merged so far, sorted by (uint64 key, seq), and ``parts``, runs held apart as read."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Hold nothing: every run is read again at the next :meth:`refresh`."""
        self.runs: list[int] = []
        self.keys = np.zeros(0, dtype=np.uint64)
        self.seqs = np.zeros(0, dtype=np.int64)
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Bring the runs in line with the file, inside the caller's transaction.

        Run numbers only grow, and runs go only all together (a merge): the runs held are
        still there if the file's first run is the first held, and the new ones follow the
        last held.
        """
        first, last = conn.execute("SELECT MIN(run), MAX(run) FROM bucket_runs").fetchone()
        if self.runs and first != self.runs[0]:
            self.forget()
        if first is None or (self.runs and last == self.runs[-1]):
            return
        after = self.runs[-1] if self.runs else -1
        for run, keys, seqs in conn.execute("SELECT run, keys, seqs FROM bucket_runs WHERE run > ? ORDER BY run", (after,)):
            self.add(run, np.frombuffer(keys, dtype="<u8").astype(np.uint64, copy=False),
                     np.frombuffer(seqs, dtype="<i8").astype(np.int64, copy=False))

    def add(self, run: int, keys: np.ndarray, seqs: np.ndarray) -> None:
        """Take in run ``run``, sorted by key then seq; its seqs come after every seq held,
        since seqs are handed out in order and runs are written in that order."""
        self.parts.append((keys, seqs))
        self.runs.append(run)

    def _merge_parts(self) -> None:
        # the parts by key, each key's entries in run order, which is seq order; then into
        # the merged entries, after those of equal keys (their seqs are lower)
        keys, seqs = np.concatenate([k for k, _ in self.parts]), np.concatenate([s for _, s in self.parts])
        order = np.argsort(keys, kind="stable")
        keys, seqs = keys[order], seqs[order]
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys, self.seqs = np.insert(self.keys, at, keys), np.insert(self.seqs, at, seqs)
        self.parts = []

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entries of ``keys`` (unique), as ``(keys, seqs)``, in no set order."""
        if len(self.parts) > MAX_PARTS or (self.parts and len(keys) >= MERGE_FOR_KEYS):
            self._merge_parts()
        found_keys, found_seqs = [], []
        for held_keys, held_seqs in [(self.keys, self.seqs), *self.parts]:
            if not len(held_keys):
                continue
            # most keys are held nowhere: where each would go tells, and only the keys
            # held are searched for their last entry
            start = np.searchsorted(held_keys, keys, side="left")
            held = np.flatnonzero(held_keys[np.minimum(start, len(held_keys) - 1)] == keys)
            start = start[held]
            where = _ranges(start, np.searchsorted(held_keys, keys[held], side="right") - start)
            found_keys.append(held_keys[where])
            found_seqs.append(held_seqs[where])
        if not found_keys:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_keys), np.concatenate(found_seqs)

    def in_key_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Every entry held, ``(keys, seqs)``, sorted by (uint64 key, seq)."""
        if self.parts:
            self._merge_parts()
        return self.keys, self.seqs

    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        """Every entry held, ``(keys, seqs)``, in no set order."""
        return (np.concatenate([self.keys, *(k for k, _ in self.parts)]),
                np.concatenate([self.seqs, *(s for _, s in self.parts)]))

    def __len__(self) -> int:
        return len(self.keys) + sum(len(k) for k, _ in self.parts)


class BucketTables:
    """The bucket entries of one SQLite file: its large table and its runs."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float, cache_mib: int) -> None:
        self.conn = conn
        self.recent = RecentRuns()
        self.ahead = Ahead(path, timeout, cache_mib, self)
        # The large table's KeyFilter as of the last commit (the ahead thread reads it), the
        # one the open transaction leaves when it changed the table, and about how many keys
        # this process asked the table for since it last read one (both threads add to it).
        self.filter: KeyFilter | None = None
        self.pending: KeyFilter | None = None
        self.changed = False
        self.asked = 0

    def begin(self) -> None:
        """A transaction begins."""
        self.pending, self.changed = None, False

    def committed(self) -> None:
        """The transaction committed: what it left of the filter holds from now on."""
        if self.changed:
            self.filter = self.pending
        self.pending, self.changed = None, False

    def rolled_back(self) -> None:
        """The transaction failed or rolled back (it may have committed nonetheless): no filter."""
        self.filter = self.pending = None
        self.changed = False

    def _filter_at(self, now: int) -> KeyFilter | None:
        """The filter of the table this transaction sees (at generation ``now``), made when
        there is none and enough keys were asked for since (:data:`FILTER_AFTER_SHARE`)."""
        held = self.pending if self.changed else self.filter
        if held is not None and held.generation == now:
            return held
        if self.changed:
            return None
        row = self.conn.execute("SELECT value FROM counters WHERE name = 'buckets'").fetchone()
        if row is None or row[0] > FILTER_MAX or row[0] > FILTER_AFTER_SHARE * self.asked:
            return None
        self.filter, self.asked = KeyFilter.read(self.conn, now), 0
        return self.filter

    def _changing(self, added: np.ndarray | None) -> None:
        """The large table changes now (its generation is raised after this): the filter
        this transaction leaves, with the keys ``added``."""
        now = generation(self.conn)
        held = self._filter_at(now)
        self.changed = True
        self.pending = None if held is None else (
            held.with_keys(added, now + 1) if added is not None else held.at(now + 1))

    def create(self, move_recent: bool) -> None:
        """Make the tables; with ``move_recent``, move the entries of a version 2 file's
        recent table (where it filed them before runs) into the large one."""
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self.conn.execute(statement)
        had = move_recent and self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'recent_buckets'").fetchone()
        if had:
            self.changed, self.pending = True, None  # no filter until one is read again
            moved = self.conn.execute("INSERT OR IGNORE INTO buckets SELECT key, seq FROM recent_buckets ORDER BY key, seq")
            self._count(moved.rowcount)
            self.conn.execute("DROP TABLE recent_buckets")
            self.conn.execute("DELETE FROM counters WHERE name = 'recent_buckets'")
            _changed(self.conn)

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
        """Move the runs' entries into the large table, in the order of its B-tree.

        They go :data:`MERGE_ROWS` to a statement: binding and stepping a statement per
        entry cost more than SQLite's insert itself, and a merge moves millions (1.3 µs an
        entry against 0.64 µs, ``benchmarks/bench_merge.py``).
        """
        self.recent.refresh(self.conn)
        held_keys, held_seqs = self.recent.in_key_order()
        self._changing(held_keys)
        keys, seqs = signed_order(held_keys, held_seqs)
        flat = np.stack((keys, seqs), axis=1).ravel().tolist()  # key, seq, key, seq, ...
        moved, step = 0, 2 * MERGE_ROWS
        for start in range(0, len(flat), step):
            part = flat[start : start + step]
            moved += self.conn.execute(f"INSERT OR IGNORE INTO buckets VALUES {value_rows(len(part) // 2)}", part).rowcount
        self._count(moved)
        _changed(self.conn)
        self.conn.execute("DELETE FROM bucket_runs")  # every run at once: RecentRuns.refresh counts on it
        self.recent.forget()

    def rows(self, keys: np.ndarray) -> BucketRows:
        """Every entry of ``keys``, sorted by (uint64 key, seq)."""
        self.recent.refresh(self.conn)
        keys = np.asarray(keys, dtype=np.uint64)
        now = generation(self.conn)
        held = self._filter_at(now)
        taken = self.ahead.take(keys, now)
        if taken is None:
            unique = sorted_distinct(keys)
            asked = unique if held is None else unique[held.may_hold(unique)]
            self.asked += len(asked)
            taken = unique, large_rows(self.conn, asked)
        unique, large = taken
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
        self._changing(None)  # the filter still holds every key left
        removed = self.conn.executemany("DELETE FROM buckets WHERE key = ? AND seq = ?", [(signed(k), seq) for k in keys])
        self._count(-removed.rowcount)
        _changed(self.conn)

    def stray(self) -> int:
        """Entries naming no indexed article."""
        self.recent.refresh(self.conn)
        stray = self.conn.execute("SELECT COUNT(*) FROM buckets WHERE seq NOT IN (SELECT seq FROM articles)").fetchone()[0]
        if len(self.recent):
            held = self.recent.entries()[1]
            seqs = sorted_distinct(held)
            known: set[int] = set()
            for part in chunks(seqs.tolist()):
                known.update(s for (s,) in self.conn.execute(f"SELECT seq FROM articles WHERE seq IN ({marks(len(part))})", part))
            stray += int((~np.isin(held, np.fromiter(known, dtype=np.int64, count=len(known)))).sum())
        return stray
