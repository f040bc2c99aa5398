"""The SQLite store's two bucket tables: entries filed in the small one, merged into the large."""

from __future__ import annotations

import doctest
import sqlite3

import dedup.index.sqlite_store as sqlite_store
from dedup.index import open_index
from dedup.pipeline import scan_documents
from tests.index.test_batch import feed, run
from tests.index.test_index import partition


def entries(path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in sqlite_store.BUCKET_TABLES}


def test_merging_the_recent_table_changes_no_result(tmp_path, monkeypatch):
    docs = feed(seed=13)
    usual = run(tmp_path / "usual.db", docs, batched=True)
    monkeypatch.setattr(sqlite_store, "RECENT_MIN", 3000)  # a merge every few dozen articles
    monkeypatch.setattr(sqlite_store, "BATCH_ENTRIES", 1000)
    for batched in (True, False):
        path = tmp_path / f"merged-{batched}.db"
        merged = run(path, docs, batched=batched, batch_size=40)
        assert merged == usual
        held = entries(path)
        assert held["buckets"] > held["recent_buckets"] > 0  # merged more than once
        with sqlite3.connect(path) as conn:
            counted = dict(conn.execute("SELECT name, value FROM counters WHERE name LIKE '%buckets'"))
        assert {t: counted[t] for t in sqlite_store.BUCKET_TABLES} == held


def test_a_version_1_file_is_read_and_marked_version_2(tmp_path):
    docs = feed(seed=4)
    path = tmp_path / "old.db"
    with open_index(str(path)) as index:
        list(index.add(docs[:150]))
    # as version 1 left it: every entry in one table, no counters for them
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO buckets SELECT key, seq FROM recent_buckets")
        conn.execute("DROP TABLE recent_buckets")
        conn.execute("DELETE FROM counters WHERE name IN ('buckets', 'recent_buckets')")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    with open_index(str(path)) as index:
        list(index.add(docs[150:]))
        assert index.check() == []
        assert partition(index.export()) == partition(scan_documents(list({d.doc_id: d for d in docs}.values())))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone() == ("2",)
    assert entries(path)["recent_buckets"] > 0


def test_doctests():
    assert doctest.testmod(sqlite_store).failed == 0
