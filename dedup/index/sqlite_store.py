"""The embedded store: one SQLite file in WAL mode, no server.

Band buckets are kept in two tables of ``(key, seq)`` entries: ``buckets``, large, and
``recent_buckets``, where new entries go. Keys are hashes, so filing an article's 128
entries in one large B-tree touches pages all over it: at 100,000 articles a batch of
1,000 rewrote most of its 230 MB through the WAL. The recent table stays small, and is
merged into the large one in key order, one pass, once it holds more than
:func:`recent_limit` entries (about the square root of twice the large table's entries
times a batch's: the merge's cost spread over the batches that filled it equals what
those batches pay to file in the recent table). Lookups read both.

A batch of adds is one ``BEGIN IMMEDIATE`` transaction: it takes the write lock up front, so
two processes adding to one file take turns batch by batch (the other waits up to
``busy_timeout``) and never interleave inside a story; WAL keeps readers running meanwhile. A
process killed mid-batch, or a full disk, leaves the file as of its last commit.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from dedup.errors import DedupError
from dedup.index.buckets import BucketRows
from dedup.index.store import (
    FORMAT_VERSION,
    ArticleRow,
    BatchPlan,
    ComponentState,
    EdgeRecord,
    MergeRecord,
    PruneBy,
    StoredArticle,
    WritePlan,
    shingles_from,
    signature_from,
)

BUSY_TIMEOUT_MS = 120_000
CACHE_MIB = 128
# SQLite caps the parameters of one statement; IN lists are sent in chunks of this size.
CHUNK = 900

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, text TEXT NOT NULL, title TEXT, source TEXT,
    url TEXT, published TEXT, published_ts REAL, ingested REAL NOT NULL, location TEXT NOT NULL,
    signature BLOB NOT NULL, shingles BLOB NOT NULL, candidates INTEGER NOT NULL, has_content INTEGER NOT NULL,
    comp TEXT NOT NULL, story TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_comp ON articles (comp);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published_ts);
CREATE INDEX IF NOT EXISTS articles_ingested ON articles (ingested);
CREATE TABLE IF NOT EXISTS buckets (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recent_buckets (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (
    first TEXT NOT NULL, second TEXT NOT NULL, same INTEGER NOT NULL, score TEXT NOT NULL,
    PRIMARY KEY (first, second)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_second ON edges (second);
CREATE TABLE IF NOT EXISTS comps (comp TEXT PRIMARY KEY, refused INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS merges (
    id INTEGER PRIMARY KEY, old TEXT NOT NULL, new TEXT NOT NULL, kind TEXT NOT NULL, article TEXT
);
CREATE TABLE IF NOT EXISTS furniture_pages (outlet TEXT PRIMARY KEY, pages INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS furniture_learned (key INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS furniture_lines (
    outlet TEXT NOT NULL, key INTEGER NOT NULL, pages INTEGER NOT NULL, PRIMARY KEY (outlet, key)
) WITHOUT ROWID;
"""


# Entries of a batch of 1,000 articles (128 bands each), and the fewest the recent table may hold.
BATCH_ENTRIES = 128_000
RECENT_MIN = 500_000
BUCKET_TABLES = ("buckets", "recent_buckets")


def recent_limit(large: int) -> int:
    """Entries the recent bucket table may hold before it is merged into the large one.

    Filing a batch rewrites about the recent table's pages, and a merge the large one's;
    with ``r`` entries allowed, merges come every ``r / b`` batches of ``b`` entries, so a
    batch pays about ``r / 2 + large * b / r`` entries of page writes, least at
    ``r = sqrt(2 * large * b)``.

    >>> recent_limit(0), recent_limit(12_800_000)
    (500000, 1810000)
    """
    return max(RECENT_MIN, int(round(math.sqrt(2 * large * BATCH_ENTRIES), -4)))


def _signed(key: int) -> int:
    """A uint64 band key as the signed 64-bit integer SQLite stores."""
    return key - (1 << 64) if key >= 1 << 63 else key


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(count: int) -> str:
    return ",".join("?" * count)


def _both_tables(count: int) -> str:
    """The entries of ``count`` keys (given twice) in both bucket tables, as a subquery."""
    marks = _marks(count)
    return (f"(SELECT key, seq FROM buckets WHERE key IN ({marks}) "
            f"UNION ALL SELECT key, seq FROM recent_buckets WHERE key IN ({marks}))")


class SQLiteTransaction:
    """Reads and writes inside the store's open transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def existing(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT story FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def buckets(self, keys: Sequence[int]) -> list[list[str]]:
        signed = [_signed(k) for k in keys]
        found: dict[int, list[str]] = {}
        for part in _chunks(sorted(set(signed)), CHUNK // 2):  # each key is asked of both tables
            for key, doc_id in self.conn.execute(
                f"SELECT b.key, a.doc_id FROM {_both_tables(len(part))} b JOIN articles a ON a.seq = b.seq",
                [*part, *part],
            ):
                found.setdefault(key, []).append(doc_id)
        return [sorted(found.get(k, [])) for k in signed]

    def articles(self, doc_ids: Sequence[str]) -> dict[str, StoredArticle]:
        out = {}
        for part in _chunks(list(doc_ids)):
            for doc_id, seq, signature, shingles, comp, story in self.conn.execute(
                "SELECT doc_id, seq, signature, shingles, comp, story FROM articles "
                f"WHERE doc_id IN ({_marks(len(part))})",
                part,
            ):
                out[doc_id] = StoredArticle(doc_id, seq, signature_from(signature), shingles_from(shingles), comp, story)
        return out

    def components(self, comps: Iterable[str]) -> ComponentState:
        members: dict[str, tuple[int, str]] = {}
        comp_of: dict[str, str] = {}
        for part in _chunks(sorted(set(comps))):
            for doc_id, seq, story, comp in self.conn.execute(
                f"SELECT doc_id, seq, story, comp FROM articles WHERE comp IN ({_marks(len(part))})", part
            ):
                members[doc_id] = (seq, story)
                comp_of[doc_id] = comp
        edges = []
        for part in _chunks(sorted(members)):
            edges += [
                EdgeRecord.from_json(score)
                for (score,) in self.conn.execute(
                    f"SELECT score FROM edges WHERE same = 1 AND first IN ({_marks(len(part))})", part
                )
            ]
        return ComponentState(members, edges, comp_of)

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out = {}
        for part in _chunks(list(doc_ids)):
            out.update(self.conn.execute(f"SELECT doc_id, text FROM articles WHERE doc_id IN ({_marks(len(part))})", part))
        return out

    def edges_of(self, doc_id: str) -> list[EdgeRecord]:
        rows = self.conn.execute("SELECT score FROM edges WHERE first = ? OR second = ?", (doc_id, doc_id))
        return sorted((EdgeRecord.from_json(r[0]) for r in rows), key=lambda e: (e.first, e.second))

    def next_seq(self) -> int:
        # A counter, not MAX(seq): a pruned article's number is never handed out again.
        self.conn.execute("INSERT INTO counters VALUES ('seq', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1")
        return self.conn.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()[0]

    # -- the two bucket tables -------------------------------------------------------------
    def _count(self, table: str, change: int) -> int:
        """The entries of a bucket table, kept in ``counters`` (counted once where missing)."""
        row = self.conn.execute("SELECT value FROM counters WHERE name = ?", (table,)).fetchone()
        held = row[0] if row else self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        self.conn.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (table, held + change))
        return held + change

    def _file(self, entries: list[tuple[int, int]]) -> None:
        """File ``(signed key, seq)`` entries in the recent table; merge it once it is full."""
        added = self.conn.executemany("INSERT OR IGNORE INTO recent_buckets VALUES (?, ?)", entries).rowcount
        recent = self._count("recent_buckets", added)
        large = self._count("buckets", 0)
        if recent > recent_limit(large):
            # in key order: one pass over the large table's B-tree
            moved = self.conn.execute("INSERT OR IGNORE INTO buckets SELECT key, seq FROM recent_buckets ORDER BY key, seq")
            self._count("buckets", moved.rowcount)
            self.conn.execute("DELETE FROM recent_buckets")
            self._count("recent_buckets", -recent)

    # -- a whole batch at once (see dedup.index.batch) ------------------------------------
    def existing_many(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(sorted(set(doc_ids))):
            out.update(self.conn.execute(f"SELECT doc_id, story FROM articles WHERE doc_id IN ({_marks(len(part))})", part))
        return out

    def bucket_rows(self, keys: np.ndarray) -> BucketRows:
        # Seqs only: joining each entry to its article would double the time, and every
        # entry names an indexed article (prune removes an article's entries with it;
        # `index stats --check` verifies it).
        # One statement per table: a tenth faster than their UNION ALL, which sorts each key list twice.
        rows: list[tuple[int, int]] = []
        for part in _chunks(np.unique(np.asarray(keys, dtype=np.uint64)).view(np.int64).tolist()):
            marks = _marks(len(part))
            for table in BUCKET_TABLES:
                rows += self.conn.execute(f"SELECT key, seq FROM {table} WHERE key IN ({marks})", part).fetchall()
        # fromiter over the flattened rows: half the time np.array takes on a list of pairs
        table = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows)).reshape(-1, 2)
        order = np.lexsort((table[:, 1], table[:, 0].view(np.uint64)))
        return BucketRows(table[order, 0].view(np.uint64), table[order, 1])

    def articles_by_seq(self, seqs: Sequence[int]) -> dict[int, StoredArticle]:
        out = {}
        for part in _chunks(list(seqs)):
            for doc_id, seq, signature, shingles, comp, story in self.conn.execute(
                "SELECT doc_id, seq, signature, shingles, comp, story FROM articles "
                f"WHERE seq IN ({_marks(len(part))})",
                part,
            ):
                out[seq] = StoredArticle(doc_id, seq, signature_from(signature), shingles_from(shingles), comp, story)
        return out

    def last_seq(self) -> int:
        row = self.conn.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
        return int(row[0]) if row else 0

    def apply_batch(self, plan: BatchPlan) -> None:
        db = self.conn
        db.executemany(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(a.seq, a.doc_id, a.text, a.title, a.source, a.url, a.published, a.published_ts, a.ingested, a.location,
              a.signature, a.shingles, a.candidates, int(a.has_content), comp, story) for a, comp, story in plan.articles],
        )
        # in key order, so that the writes walk the bucket table's B-tree once
        keys = np.asarray(plan.bucket_keys, dtype=np.uint64).view(np.int64)
        seqs = np.asarray(plan.bucket_seqs, dtype=np.int64)
        order = np.lexsort((seqs, keys))
        self._file(list(zip(keys[order].tolist(), seqs[order].tolist())))
        if plan.newly_oversized:
            db.execute(
                "INSERT INTO counters VALUES ('oversized_buckets', ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
                (plan.newly_oversized, plan.newly_oversized),
            )
        if plan.articles:
            db.execute("INSERT INTO counters VALUES ('seq', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                       (plan.last_seq,))
        db.executemany(
            "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?)",
            [(e.first, e.second, int(e.same_story), e.to_json()) for e in plan.edges],
        )
        db.executemany("UPDATE articles SET comp = ?, story = ? WHERE doc_id = ?",
                       [(comp, story, doc_id) for doc_id, (comp, story) in plan.membership.items()])
        db.executemany("DELETE FROM comps WHERE comp = ?", [(c,) for c, held in plan.comps.items() if held is None])
        db.executemany("INSERT OR REPLACE INTO comps VALUES (?, ?)",
                       [(c, held[1]) for c, held in plan.comps.items() if held is not None])
        db.executemany(
            "INSERT INTO merges (old, new, kind, article) VALUES (?, ?, ?, ?)",
            [(m.old, m.into, m.kind, m.article) for m in plan.merges],
        )

    def apply(self, plan: WritePlan) -> None:
        db = self.conn
        a = plan.article
        if a is not None:
            comp, story = plan.membership[a.doc_id]
            db.execute(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.seq, a.doc_id, a.text, a.title, a.source, a.url, a.published, a.published_ts, a.ingested,
                 a.location, a.signature, a.shingles, a.candidates, int(a.has_content), comp, story),
            )
            self._file([(_signed(k), a.seq) for k in plan.bucket_adds])
        if plan.newly_oversized:
            db.execute(
                "INSERT INTO counters VALUES ('oversized_buckets', ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
                (plan.newly_oversized, plan.newly_oversized),
            )
        for doc_id, keys in plan.removed.items():
            seq = db.execute("SELECT seq FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()[0]
            for table in BUCKET_TABLES:
                removed = db.executemany(f"DELETE FROM {table} WHERE key = ? AND seq = ?", [(_signed(k), seq) for k in keys])
                self._count(table, -removed.rowcount)
            db.execute("DELETE FROM edges WHERE first = ? OR second = ?", (doc_id, doc_id))
            db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))
        db.executemany(
            "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?)",
            [(e.first, e.second, int(e.same_story), e.to_json()) for e in plan.edges],
        )
        db.executemany(
            "UPDATE articles SET comp = ?, story = ? WHERE doc_id = ?",
            [(comp, story, doc_id) for doc_id, (comp, story) in plan.membership.items()
             if a is None or doc_id != a.doc_id],
        )
        db.executemany("DELETE FROM comps WHERE comp = ?", [(c,) for c in plan.dropped_comps])
        db.executemany("INSERT OR REPLACE INTO comps VALUES (?, ?)", [(c, r) for c, (_, r) in plan.comps.items()])
        db.executemany(
            "INSERT INTO merges (old, new, kind, article) VALUES (?, ?, ?, ?)",
            [(m.old, m.into, m.kind, m.article) for m in plan.merges],
        )


class _Transactions:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def begin(self) -> SQLiteTransaction:
        # The whole batch shares the one transaction the store opened.
        return SQLiteTransaction(self.conn)


def _retry_locked(statement: Callable[[], object], attempts: int = 50) -> None:
    """Run ``statement``, retrying while another process holds the file: switching a new file to
    WAL does not wait on ``busy_timeout`` (two processes opening one new index at once)."""
    for attempt in range(attempts):
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


class SQLiteStore:
    """An index in one SQLite file."""

    kind = "sqlite"
    # One writer holds the file for a whole batch: its transactions add a batch at once.
    batched = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise DedupError(f"{self.path} is a folder; give the index file's path")
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _retry_locked(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))
            # NORMAL in WAL mode: a commit survives the process dying (not a power cut).
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # A batch reads and files 128 band keys per article all over the bucket table:
            # a page cache of CACHE_MIB keeps its pages between lookups and writes.
            self.conn.execute(f"PRAGMA cache_size = {-CACHE_MIB * 1024}")
            # Under the write lock, so that processes opening a new file at once agree.
            with self.writing():
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                # A version 1 file is a version 2 file with no recent bucket table yet; once it
                # has one, a dedup that reads only the first must refuse it.
                self.conn.execute("UPDATE meta SET value = ? WHERE key = 'format_version' AND value = '1'",
                                  (str(FORMAT_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise DedupError(f"{self.path}: not a dedup index, or a damaged one ({exc})") from exc

    @contextmanager
    def _transaction(self, mode: str) -> Iterator[_Transactions]:
        try:
            self.conn.execute(mode)
        except sqlite3.OperationalError as exc:
            raise DedupError(f"{self.path}: cannot lock the index ({exc})") from exc
        try:
            yield _Transactions(self.conn)
            self.conn.execute("COMMIT" if mode != "BEGIN DEFERRED" else "ROLLBACK")
        except BaseException as exc:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled it back itself
                    self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):  # a full disk, a file size limit: the batches before stay
                raise DedupError(f"{self.path}: cannot write the index ({exc}); this batch was not added, "
                                 "the ones before it are kept") from exc
            raise

    def writing(self):
        return self._transaction("BEGIN IMMEDIATE")

    def reading(self):
        return self._transaction("BEGIN DEFERRED")

    def read_meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta"))

    def init_meta(self, meta: dict[str, str]) -> dict[str, str]:
        with self.writing():
            self.conn.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", sorted(meta.items()))
        return self.read_meta()

    def set_meta(self, key: str, value: str) -> None:
        with self.writing():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def count_furniture(
        self, pages: dict[str, int], lines: dict[tuple[str, int], int]
    ) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        """Add pages per outlet and per (outlet, short-line key); the new totals of those. Runs in
        the caller's writing transaction (the batch's), so the counts land with it."""
        self.conn.executemany(
            "INSERT INTO furniture_pages VALUES (?, ?) ON CONFLICT (outlet) DO UPDATE SET pages = pages + excluded.pages",
            sorted(pages.items()),
        )
        self.conn.executemany(
            "INSERT INTO furniture_lines VALUES (?, ?, ?) "
            "ON CONFLICT (outlet, key) DO UPDATE SET pages = pages + excluded.pages",
            [(outlet, _signed(key), n) for (outlet, key), n in sorted(lines.items())],
        )
        page_totals = {}
        for chunk in _chunks(sorted(pages)):
            marks = _marks(len(chunk))
            page_totals.update(self.conn.execute(f"SELECT outlet, pages FROM furniture_pages WHERE outlet IN ({marks})", chunk))
        by_outlet: dict[str, list[int]] = {}
        for outlet, key in lines:
            by_outlet.setdefault(outlet, []).append(key)
        line_totals = {}
        for outlet, keys in sorted(by_outlet.items()):
            for chunk in _chunks([_signed(k) for k in keys]):
                rows = self.conn.execute(
                    f"SELECT key, pages FROM furniture_lines WHERE outlet = ? AND key IN ({_marks(len(chunk))})",
                    [outlet, *chunk],
                )
                line_totals.update(((outlet, key & ((1 << 64) - 1)), pages) for key, pages in rows)
        return page_totals, line_totals

    def learned_furniture(self) -> set[int]:
        return {key & ((1 << 64) - 1) for (key,) in self.conn.execute("SELECT key FROM furniture_learned")}

    def add_learned_furniture(self, keys: Iterable[int]) -> None:
        """Remember ``keys`` as furniture (in the caller's writing transaction)."""
        self.conn.executemany("INSERT OR IGNORE INTO furniture_learned VALUES (?)", [(_signed(k),) for k in sorted(keys)])

    def articles_before(self, by: PruneBy, cutoff: float) -> list[tuple[str, str]]:
        column = "published_ts" if by == "published" else "ingested"
        return list(self.conn.execute(f"SELECT doc_id, comp FROM articles WHERE {column} < ? ORDER BY doc_id", (cutoff,)))

    def all_articles(self) -> Iterator[ArticleRow]:
        rows = self.conn.execute(
            "SELECT doc_id, seq, text, title, source, url, published, location, comp, story, candidates, has_content "
            "FROM articles ORDER BY doc_id"
        )
        for r in rows:
            yield ArticleRow(*r[:10], r[10], bool(r[11]))

    def all_edges(self) -> Iterator[EdgeRecord]:
        for (score,) in self.conn.execute("SELECT score FROM edges ORDER BY first, second"):
            yield EdgeRecord.from_json(score)

    def merges(self) -> list[MergeRecord]:
        return [MergeRecord(*r) for r in self.conn.execute("SELECT old, new, kind, article FROM merges ORDER BY id")]

    def counts(self) -> dict[str, int]:
        def q(sql: str) -> int:
            row = self.conn.execute(sql).fetchone()
            return int(row[0] or 0) if row else 0

        return {
            "articles": q("SELECT COUNT(*) FROM articles"),
            "stories": q("SELECT COUNT(DISTINCT story) FROM articles"),
            "multi_article_stories": q("SELECT COUNT(*) FROM (SELECT story FROM articles GROUP BY story HAVING COUNT(*) > 1)"),
            "edges": q("SELECT COUNT(*) FROM edges"),
            "same_story_edges": q("SELECT COUNT(*) FROM edges WHERE same = 1"),
            "oversized_buckets": q("SELECT value FROM counters WHERE name = 'oversized_buckets'"),
            "without_published": q("SELECT COUNT(*) FROM articles WHERE published_ts IS NULL"),
        }

    def refused_merges(self) -> int:
        return self.conn.execute("SELECT COALESCE(SUM(refused), 0) FROM comps").fetchone()[0]

    def check(self) -> list[str]:
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        orphans = self.conn.execute(
            "SELECT COUNT(*) FROM articles WHERE comp NOT IN (SELECT comp FROM comps)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} articles belong to no recorded component")
        for table in BUCKET_TABLES:
            stray = self.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE seq NOT IN (SELECT seq FROM articles)").fetchone()[0]
            if stray:
                problems.append(f"{stray} bucket entries name no article")
        return problems

    def close(self) -> None:
        self.conn.close()
