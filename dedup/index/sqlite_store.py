"""The embedded store: one SQLite file in WAL mode, no server.

Band buckets are kept in a large key-ordered table and a few recent runs, each run one
batch's entries as two blobs (:mod:`dedup.index.sqlite_buckets`).

A batch of adds is one ``BEGIN IMMEDIATE`` transaction: it takes the write lock up front, so
two processes adding to one file take turns batch by batch (the other waits up to
``busy_timeout``) and never interleave inside a story; WAL keeps readers running meanwhile. A
process killed mid-batch, or a full disk, leaves the file as of its last commit.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from dedup.errors import DedupError
from dedup.index.buckets import BucketRows
from dedup.index.sqlite_buckets import BucketTables, chunks as _chunks, marks as _marks, signed
from dedup.index.store import (
    FORMAT_VERSION,
    READABLE_VERSIONS,
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
from dedup.match.shingle import sorted_distinct

BUSY_TIMEOUT_MS = 120_000
CACHE_MIB = 128
PAGE_SIZE = 32768

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


class SQLiteTransaction:
    """Reads and writes inside the store's open transaction."""

    def __init__(self, conn: sqlite3.Connection, buckets: BucketTables) -> None:
        self.conn, self.bucket_tables = conn, buckets

    def existing(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT story FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def buckets(self, keys: Sequence[int]) -> list[list[str]]:
        rows = self.bucket_tables.rows(np.array(keys, dtype=np.uint64))
        seqs = sorted_distinct(rows.seqs).tolist()
        name: dict[int, str] = {}
        for part in _chunks(seqs):
            name.update(self.conn.execute(f"SELECT seq, doc_id FROM articles WHERE seq IN ({_marks(len(part))})", part))
        found: dict[int, list[str]] = {}
        for key, seq in zip(rows.keys.tolist(), rows.seqs.tolist()):
            if seq in name:  # an entry naming no article is left out, as a join leaves it (`stats --check` counts them)
                found.setdefault(key, []).append(name[seq])
        return [sorted(found.get(int(k), [])) for k in keys]

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

    # -- a whole batch at once (see dedup.index.batch) ------------------------------------
    def existing_many(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in _chunks(sorted(set(doc_ids))):
            out.update(self.conn.execute(f"SELECT doc_id, story FROM articles WHERE doc_id IN ({_marks(len(part))})", part))
        return out

    def bucket_rows(self, keys: np.ndarray) -> BucketRows:
        return self.bucket_tables.rows(keys)

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
        self.bucket_tables.file(np.asarray(plan.bucket_keys, dtype=np.uint64), np.asarray(plan.bucket_seqs, dtype=np.int64))
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
            keys = np.array(plan.bucket_adds, dtype=np.uint64)
            self.bucket_tables.file(keys, np.full(len(keys), a.seq, dtype=np.int64))
        if plan.newly_oversized:
            db.execute(
                "INSERT INTO counters VALUES ('oversized_buckets', ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
                (plan.newly_oversized, plan.newly_oversized),
            )
        for doc_id, keys in plan.removed.items():
            seq = db.execute("SELECT seq FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()[0]
            self.bucket_tables.remove(keys, seq)
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
    def __init__(self, conn: sqlite3.Connection, buckets: BucketTables) -> None:
        self.conn, self.buckets = conn, buckets

    def begin(self) -> SQLiteTransaction:
        # The whole batch shares the one transaction the store opened.
        return SQLiteTransaction(self.conn, self.buckets)


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
            # used by one thread at a time: a commit may run in another (see writing)
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                        check_same_thread=False)
            self._committer: ThreadPoolExecutor | None = None
            self._committing: Future[object] | None = None
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Pages of 32 KiB in a new file (an existing one keeps its own): a merge of the runs
            # rewrites about every page of the large table, and fewer, larger pages cost less.
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            _retry_locked(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))
            # NORMAL in WAL mode: a commit survives the process dying (not a power cut).
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # A batch reads and files 128 band keys per article all over the bucket table:
            # a page cache of CACHE_MIB keeps its pages between lookups and writes.
            self.conn.execute(f"PRAGMA cache_size = {-CACHE_MIB * 1024}")
            # Under the write lock, so that processes opening a new file at once agree.
            self.buckets = BucketTables(self.conn, self.path, BUSY_TIMEOUT_MS / 1000, CACHE_MIB)
            with self.writing():
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                version = self.conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
                self.buckets.create(move_recent=version is None or version[0] in READABLE_VERSIONS)
                # Files of versions 1 and 2 are files of version 3 once their entries are in
                # the large table; from then on, a dedup that does not read runs must refuse them.
                self.conn.execute("UPDATE meta SET value = ? WHERE key = 'format_version' AND value IN ('1', '2')",
                                  (str(FORMAT_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise DedupError(f"{self.path}: not a dedup index, or a damaged one ({exc})") from exc

    @contextmanager
    def _transaction(self, mode: str, later: bool = False) -> Iterator[_Transactions]:
        self.committed()
        try:
            self.conn.execute(mode)
        except sqlite3.OperationalError as exc:
            raise DedupError(f"{self.path}: cannot lock the index ({exc})") from exc
        self.buckets.begin()
        try:
            yield _Transactions(self.conn, self.buckets)
            if later:
                if self._committer is None:
                    self._committer = ThreadPoolExecutor(1, thread_name_prefix="dedup-commit")
                self._committing = self._committer.submit(self._commit)
                return
            if mode == "BEGIN DEFERRED":
                self.conn.execute("ROLLBACK")
            else:
                self._commit()
        except BaseException as exc:
            self._failed(exc)
            raise

    def _commit(self) -> None:
        self.conn.execute("COMMIT")
        self.buckets.committed()

    def _failed(self, exc: BaseException) -> None:
        self.buckets.recent.forget()  # it may hold runs that are not in the file
        self.buckets.rolled_back()
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled it back itself
                self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):  # a full disk, a file size limit: the batches before stay
            raise DedupError(f"{self.path}: cannot write the index ({exc}); this batch was not added, "
                             "the ones before it are kept") from exc

    def writing(self, later: bool = False):
        """A write transaction; with ``later``, its commit runs in a thread once the block
        ends, and :meth:`committed` waits for it (as the next transaction does)."""
        return self._transaction("BEGIN IMMEDIATE", later)

    def committed(self) -> None:
        """Wait for a commit :meth:`writing` left running; raise if it failed."""
        if self._committing is None:
            return
        committing, self._committing = self._committing, None
        try:
            committing.result()
        except BaseException as exc:
            self._failed(exc)
            raise

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
            [(outlet, signed(key), n) for (outlet, key), n in sorted(lines.items())],
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
            for chunk in _chunks([signed(k) for k in keys]):
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
        self.conn.executemany("INSERT OR IGNORE INTO furniture_learned VALUES (?)", [(signed(k),) for k in sorted(keys)])

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
        stray = self.buckets.stray()
        if stray:
            problems.append(f"{stray} bucket entries name no article")
        return problems

    def look_ahead(self, keys: Sequence[np.ndarray] | None) -> None:
        """A batch begins: start looking up the band ``keys`` of the next batch's articles
        (None: there is none) in the large table, in a thread (:class:`~dedup.index.sqlite_buckets.Ahead`)."""
        self.buckets.ahead.start(np.concatenate(keys) if keys else None)

    def close(self) -> None:
        try:
            self.committed()
        finally:
            if self._committer is not None:
                self._committer.shutdown()
            self.buckets.ahead.close()
            self.conn.close()
