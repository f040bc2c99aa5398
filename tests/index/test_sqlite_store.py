"""The SQLite store's buckets: entries filed as runs, merged into the large table."""

from __future__ import annotations

import contextlib
import doctest
import sqlite3

import numpy as np
import pytest

import dedup.index.key_filter as key_filter
import dedup.index.sqlite_buckets as sqlite_buckets
import dedup.index.sqlite_store as sqlite_store
from dedup.errors import DedupError
from dedup.index import open_index
from dedup.pipeline import scan_documents
from tests.index.test_batch import feed, run
from tests.index.test_index import partition


def entries(path) -> dict[str, int]:
    """Entries in the large table and in the runs, read from the file."""
    with sqlite3.connect(path) as conn:
        large = conn.execute("SELECT COUNT(*) FROM buckets").fetchone()[0]
        runs = sum(len(keys) // 8 for (keys,) in conn.execute("SELECT keys FROM bucket_runs"))
        counted = conn.execute("SELECT value FROM counters WHERE name = 'buckets'").fetchone()
    return {"buckets": large, "runs": runs, "counted": counted[0] if counted else 0}


def file_entries(path) -> set[tuple[int, int]]:
    """Every (signed key, seq) entry of the file, wherever it is kept."""
    with sqlite3.connect(path) as conn:
        held = set(conn.execute("SELECT key, seq FROM buckets"))
        for keys, seqs in conn.execute("SELECT keys, seqs FROM bucket_runs"):
            held.update(zip(np.frombuffer(keys, "<i8").tolist(), np.frombuffer(seqs, "<i8").tolist()))
    return held


def small_runs(monkeypatch) -> None:
    monkeypatch.setattr(sqlite_buckets, "RECENT_MIN", 3000)  # a merge every few dozen articles
    monkeypatch.setattr(sqlite_buckets, "RECENT_MAX", 3000)


def test_merging_the_runs_changes_no_result(tmp_path, monkeypatch):
    docs = feed(seed=13)
    usual = run(tmp_path / "usual.db", docs, batched=True)
    assert entries(tmp_path / "usual.db")["buckets"] == 0  # nothing merged at the usual sizes
    small_runs(monkeypatch)
    for batched in (True, False):
        path = tmp_path / f"merged-{batched}.db"
        merged = run(path, docs, batched=batched, batch_size=40)
        assert merged == usual
        held = entries(path)
        assert held["buckets"] > held["runs"] > 0  # merged more than once
        assert held["counted"] == held["buckets"]
    assert file_entries(tmp_path / "merged-True.db") == file_entries(tmp_path / "usual.db")


def test_a_merge_moves_every_entry_once_and_counts_what_it_moved(tmp_path):
    path = tmp_path / "i.db"
    count = 3 * sqlite_buckets.MERGE_ROWS + 7  # several full statements and one shorter
    keys = np.random.default_rng(3).integers(0, 2**64 - 1, count, dtype=np.uint64)
    keys[:3] = [0, 2**63, 2**64 - 1]  # the ends of the range and the sign change
    half = count // 2
    seqs = np.r_[np.full(half, 1), np.arange(2, 2 + count - half)]
    with open_index(str(path)) as index:
        tables = index.store.buckets
        with index.store.writing():
            tables.file(keys[:half], seqs[:half])
            tables.file(keys[half:], seqs[half:])
            # an entry already in the large table is not moved twice, nor counted twice
            index.store.conn.execute("INSERT INTO buckets VALUES (?, 1)", (sqlite_buckets.signed(int(keys[5])),))
            tables.merge()
    assert file_entries(path) == {(sqlite_buckets.signed(k), s) for k, s in zip(keys.tolist(), seqs.tolist())}
    # the count grows by the entries moved: the one put in by hand (uncounted) is not among them
    assert entries(path) == {"buckets": count, "runs": 0, "counted": count - 1}


@pytest.mark.parametrize("low, high", [(0, 2**64 - 1), (0, 2**63), (2**63, 2**64 - 1)])
def test_entries_in_key_order_come_in_the_large_tables_order(low, high):
    rng = np.random.default_rng(low % 97)
    held = sqlite_buckets.RecentRuns()
    for number in range(4):  # runs held apart, some keys in several, each run's seqs above the last's
        keys = rng.integers(low, high, 50, dtype=np.uint64, endpoint=True) if number < 3 else held.keys[::7]
        seqs = 100 * number + rng.integers(0, 5, len(keys))
        order = np.lexsort((seqs, keys))
        held.add(number, keys[order], seqs[order])
        if number == 1:
            held.lookup(np.arange(sqlite_buckets.MERGE_FOR_KEYS, dtype=np.uint64))  # merges the first two
    keys, seqs = held.entries()
    by_sort = np.lexsort((seqs, keys.view(np.int64)))  # the B-tree's order: signed key, then seq
    signed_keys, signed_seqs = sqlite_buckets.signed_order(*held.in_key_order())
    assert signed_keys.tolist() == keys.view(np.int64)[by_sort].tolist()
    assert signed_seqs.tolist() == seqs[by_sort].tolist()
    assert held.parts == []
    empty = sqlite_buckets.signed_order(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
    assert [len(a) for a in empty] == [0, 0]


def test_runs_are_sorted_and_hold_each_entry_once(tmp_path):
    path = tmp_path / "i.db"
    with open_index(str(path)) as index:
        list(index.add(feed(seed=4)[:120], batch_size=50))
    with sqlite3.connect(path) as conn:
        runs = conn.execute("SELECT keys, seqs FROM bucket_runs ORDER BY run").fetchall()
    assert len(runs) == 3
    last = 0
    for raw_keys, raw_seqs in runs:
        keys, seqs = np.frombuffer(raw_keys, "<u8"), np.frombuffer(raw_seqs, "<i8")
        order = np.lexsort((seqs, keys))
        assert (order == np.arange(len(keys))).all()
        assert len({(k, s) for k, s in zip(keys.tolist(), seqs.tolist())}) == len(keys)
        assert seqs.min() > last  # each run's articles come after the last run's
        last = seqs.max()


def test_other_connections_see_the_runs_and_the_merges(tmp_path, monkeypatch):
    """Two handles on one file take turns: each reads the runs the other wrote, and starts
    over when the other merged them."""
    docs = feed(seed=21)
    alone = run(tmp_path / "alone.db", docs, batched=True, batch_size=30)
    small_runs(monkeypatch)
    path = tmp_path / "shared.db"
    with open_index(str(path)) as first, open_index(str(path)) as second:
        lines = []
        for k in range(0, len(docs), 30):
            index = first if (k // 30) % 3 else second
            lines += [a.to_dict() for a in index.add(docs[k : k + 30], batch_size=30)]
        assert entries(path)["buckets"] > 0
        assert first.check() == [] and second.check() == []
        for index in (first, second):
            assert [a.to_dict() for a in index.query(docs[:40], batch_size=30)] == alone["queried"][:40]
    assert lines == alone["lines"]


def test_a_batch_that_fails_leaves_no_run_behind(tmp_path, monkeypatch):
    docs = feed(seed=8)
    alone = run(tmp_path / "alone.db", docs, batched=True, batch_size=40)
    path = tmp_path / "failed.db"
    apply_batch = sqlite_store.SQLiteTransaction.apply_batch
    calls = []

    def failing(self, plan):
        apply_batch(self, plan)  # the run is filed, and then the batch fails
        calls.append(1)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite_store.SQLiteTransaction, "apply_batch", failing)
    with open_index(str(path)) as index:
        with pytest.raises(DedupError, match="this batch was not added"):
            list(index.add(docs, batch_size=40))
        assert len(index.store.buckets.recent.runs) == 0  # forgotten: run numbers are given again
        assert index.store.buckets.filter is None  # and the key filter, which it may have changed
        monkeypatch.setattr(sqlite_store.SQLiteTransaction, "apply_batch", apply_batch)
        list(index.add(docs, batch_size=40))  # the first batch is there; the rest comes now
        assert index.check() == []
        stored = sorted((r.doc_id, r.seq, r.comp, r.story, r.candidates) for r in index.store.all_articles())
    assert stored == alone["articles"]
    assert file_entries(path) == file_entries(tmp_path / "alone.db")


def test_stray_entries_in_runs_are_reported(tmp_path):
    path = tmp_path / "i.db"
    with open_index(str(path)) as index:
        list(index.add(feed(seed=4)[:60]))
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM articles WHERE seq = 7")
    with open_index(str(path)) as index:
        assert any("128 bucket entries name no article" in p for p in index.check())


def _as_version(path, version: str) -> None:
    """Rewrite a file's buckets as versions 1 and 2 kept them: every entry in the large
    table (1), or the runs' entries in a recent table (2)."""
    with sqlite3.connect(path) as conn:
        runs = [entry for entry in file_entries(path) if entry not in set(conn.execute("SELECT key, seq FROM buckets"))]
        conn.execute("DROP TABLE bucket_runs")
        if version == "1":
            conn.executemany("INSERT INTO buckets VALUES (?, ?)", runs)
            conn.execute("DELETE FROM counters WHERE name = 'buckets'")
        else:
            conn.execute("CREATE TABLE recent_buckets (key INTEGER NOT NULL, seq INTEGER NOT NULL, "
                         "PRIMARY KEY (key, seq)) WITHOUT ROWID")
            conn.executemany("INSERT INTO recent_buckets VALUES (?, ?)", runs)
            conn.execute("INSERT OR REPLACE INTO counters VALUES ('recent_buckets', ?)", (len(runs),))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (version,))


@pytest.mark.parametrize("version", ["1", "2"])
def test_older_files_are_read_and_marked_version_3(tmp_path, version):
    docs = feed(seed=4)
    path = tmp_path / "old.db"
    with open_index(str(path)) as index:
        list(index.add(docs[:150]))
    held = file_entries(path)
    _as_version(path, version)
    with open_index(str(path)) as index:
        assert file_entries(path) == held  # moved to the large table
        assert {k: v for k, v in entries(path).items() if k != "counted"} == {"buckets": len(held), "runs": 0}
        list(index.add(docs[150:]))
        assert index.check() == []
        index.store.buckets.merge()
        held = entries(path)
        assert held["counted"] == held["buckets"] > 0  # counted where version 1 kept no count
        assert partition(index.export()) == partition(scan_documents(list({d.doc_id: d for d in docs}.values())))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone() == ("3",)
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'recent_buckets'").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM counters WHERE name = 'recent_buckets'").fetchone() == (0,)


def test_a_newer_file_is_left_as_it_is(tmp_path):
    path = tmp_path / "new.db"
    with open_index(str(path)) as index:
        list(index.add(feed(seed=4)[:50]))
    _as_version(path, "2")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'format_version'")
    with pytest.raises(DedupError, match="format version 9"):
        open_index(str(path))
    with sqlite3.connect(path) as conn:  # its tables untouched
        assert conn.execute("SELECT COUNT(*) FROM recent_buckets").fetchone()[0] > 0
        assert conn.execute("SELECT COUNT(*) FROM buckets").fetchone() == (0,)


def test_doctests():
    assert doctest.testmod(sqlite_buckets).failed == 0


def test_lookups_made_ahead_are_used_only_while_the_large_table_is_unchanged(tmp_path, monkeypatch):
    small_runs(monkeypatch)
    path = tmp_path / "i.db"
    docs = feed(seed=4)
    with open_index(str(path)) as index:
        list(index.add(docs[:120], batch_size=40))
        tables = index.store.buckets
        tables.merge()
        keys = np.concatenate([item.keys for item in index.prepare(docs[120:160])])
        with index.store.writing():
            wanted = tables.rows(keys)
        assert len(wanted.keys) > 0
        tables.ahead.start(keys)
        tables.ahead.start(None)  # the batch of those keys begins
        with index.store.writing():
            now = sqlite_buckets.generation(index.store.conn)
            unique, rows = tables.ahead.take(keys, now)
            assert (unique == np.unique(keys)).all()
            assert sorted(map(tuple, rows.tolist())) == sorted(
                (k, s) for k, s in zip(wanted.keys.view(np.int64).tolist(), wanted.seqs.tolist()))
            part, part_rows = tables.ahead.take(keys[:128], now)  # a part of the batch: its own entries
            assert set(part_rows[:, 0].view(np.uint64).tolist()) <= set(keys[:128].tolist())
            assert tables.ahead.take(keys[::-1].copy() + np.uint64(1), now) is None  # keys it did not look up
            assert tables.ahead.take(keys, now + 1) is None  # the large table changed since
            again = tables.rows(keys)
            assert (again.keys == wanted.keys).all() and (again.seqs == wanted.seqs).all()
        tables.merge()  # a merge raises the generation
        with index.store.writing():
            assert sqlite_buckets.generation(index.store.conn) == now + 1
            assert tables.ahead.take(keys, now + 1) is None  # looked up before the merge


def test_a_commit_that_fails_in_its_thread_adds_nothing_and_says_so(tmp_path):
    docs = feed(seed=8)
    alone = run(tmp_path / "alone.db", docs, batched=True, batch_size=40)
    path = tmp_path / "failed.db"
    with open_index(str(path)) as index:
        conn = index.store.conn
        # a deferred foreign key fails only at COMMIT: here, the commit of the third batch
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")
        conn.execute(f"CREATE TRIGGER fail AFTER INSERT ON articles WHEN NEW.doc_id = '{docs[100].doc_id}' "
                     "BEGIN INSERT INTO child VALUES (1); END")
        lines = []
        with pytest.raises(DedupError, match="cannot write the index.*FOREIGN KEY"):
            for a in index.add(docs, batch_size=40):
                lines.append(a.to_dict())
        assert lines == alone["lines"][:80]  # the batches committed before it, and only those
        assert len(index.store.buckets.recent.runs) == 0
        conn.execute("DROP TRIGGER fail")
        lines += [a.to_dict() for a in index.add(docs[80:], batch_size=40)]
        assert index.check() == []
    assert lines == alone["lines"]
    assert file_entries(path) == file_entries(tmp_path / "alone.db")


def test_batches_read_before_a_failure_are_added_and_written(tmp_path):
    docs = feed(seed=8)
    alone = run(tmp_path / "alone.db", docs, batched=True, batch_size=40)

    def broken():
        yield from docs[:130]
        raise DedupError("the feed broke at record 131")

    lines = []
    with open_index(str(tmp_path / "i.db")) as index:
        with pytest.raises(DedupError, match="record 131"):
            for a in index.add(broken(), batch_size=40):
                lines.append(a.to_dict())
        assert index.check() == []
        assert index.stats()["articles"] == len({d.doc_id for d in docs[:120]})
    assert lines == alone["lines"][:120]  # every whole batch read before the failure


@pytest.mark.parametrize("asked", [5, sqlite_buckets.MERGE_FOR_KEYS])
def test_runs_held_apart_or_merged_answer_alike(asked):
    rng = np.random.default_rng(asked)
    held = sqlite_buckets.RecentRuns()
    every: list[tuple[int, int]] = []
    seq = 0
    for number in range(6):
        keys = rng.integers(0, 40, size=30).astype(np.uint64) * np.uint64(1 << 58)  # keys shared across runs
        seqs = seq + np.arange(30) // 3
        seq += 10
        order = np.lexsort((seqs, keys))
        keys, seqs = keys[order], seqs[order]
        once = np.r_[True, (keys[1:] != keys[:-1]) | (seqs[1:] != seqs[:-1])]
        held.add(number, keys[once], seqs[once])
        every += zip(keys[once].tolist(), seqs[once].tolist())
        shared = rng.integers(0, 40, size=min(asked, 20)).astype(np.uint64) * np.uint64(1 << 58)
        wanted = np.unique(np.r_[shared, rng.integers(1, 1 << 40, size=asked).astype(np.uint64)])  # most not held
        found_keys, found_seqs = held.lookup(wanted)
        assert sorted(zip(found_keys.tolist(), found_seqs.tolist())) == sorted(e for e in every if e[0] in set(wanted.tolist()))
        assert len(held) == len(every)
        assert sorted(zip(*(a.tolist() for a in held.entries()))) == sorted(every)
    if asked >= sqlite_buckets.MERGE_FOR_KEYS:
        assert held.parts == [] and (np.diff(held.keys.astype(np.float64)) >= 0).all()
        assert all(np.diff(held.seqs[held.keys == k]).min(initial=1) > 0 for k in np.unique(held.keys))
    else:
        assert len(held.parts) == 6  # small lookups search each run as it is


def test_adding_a_few_articles_reads_the_runs_without_merging_them(tmp_path):
    path = tmp_path / "i.db"
    docs = feed(seed=4)
    with open_index(str(path)) as index:
        list(index.add(docs[:120], batch_size=40))
    with open_index(str(path)) as index:
        lines = [a.to_dict() for a in index.add(docs[120:123])]
        assert len(index.store.buckets.recent.parts) == 4  # three batches' runs and the new one
        assert index.check() == []
    with open_index(str(tmp_path / "all.db")) as index:
        assert [a.to_dict() for a in index.add(docs[:123], batch_size=40)][120:] == lines


def table_keys(path) -> set[int]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        keys = np.array([k for (k,) in conn.execute("SELECT key FROM buckets")], dtype=np.int64)
    return set(keys.view(np.uint64).tolist())


def table_highs(path) -> set[int]:
    return {key >> 32 for key in table_keys(path)}


def test_a_key_filter_holds_every_key_of_its_table(tmp_path):
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**64 - 1, 5000, dtype=np.uint64)
    keys[:3] = [0, 2**63, 2**64 - 1]
    with sqlite3.connect(tmp_path / "t.db") as conn:
        conn.execute("CREATE TABLE buckets (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID")
        conn.executemany("INSERT INTO buckets VALUES (?, 1)", [(sqlite_buckets.signed(k),) for k in keys[:4000].tolist()])
        held = key_filter.KeyFilter.read(conn, 7)
    assert held.generation == 7 and held.may_hold(keys[:4000]).all()
    others = rng.integers(0, 2**64 - 1, 20_000, dtype=np.uint64)
    assert held.may_hold(others).mean() < 0.01  # 4,000 prefixes of 2**32 let few others through
    grown = held.with_keys(keys[4000:], 8)
    assert grown.generation == 8 and grown.may_hold(keys).all()
    assert (np.diff(grown.prefixes.astype(np.int64)) > 0).all()
    assert key_filter.KeyFilter(0, np.zeros(0, dtype=np.uint32)).may_hold(keys).sum() == 0


def test_past_its_prefixes_a_key_filter_is_a_bitmap_that_still_holds_every_key(tmp_path, monkeypatch):
    monkeypatch.setattr(key_filter, "PREFIXES_MAX", 3000)
    monkeypatch.setattr(key_filter, "BITMAP_BITS", 16)  # 65,536 bits: 8 kB
    monkeypatch.setattr(key_filter, "READ_CHUNK", 700)  # several chunks, the switch among them
    rng = np.random.default_rng(8)
    keys = rng.integers(0, 2**64 - 1, 6000, dtype=np.uint64)
    keys[:3] = [0, 2**63, 2**64 - 1]
    with contextlib.closing(sqlite_table(tmp_path / "small.db", keys[:2000])) as conn:
        small = key_filter.KeyFilter.read(conn, 3)
    assert small.bitmap is None and small.may_hold(keys[:2000]).all()
    grown = small.with_keys(keys[2000:], 4)  # 6,000 prefixes: past 3,000
    assert grown.bitmap is not None and len(grown.bitmap) == 2**13 and not len(grown.prefixes)
    assert grown.generation == 4 and grown.may_hold(keys).all() and small.bitmap is None
    assert grown.at(5).generation == 5 and grown.at(5).bitmap is grown.bitmap
    with contextlib.closing(sqlite_table(tmp_path / "large.db", keys)) as conn:
        read = key_filter.KeyFilter.read(conn, 6)
    assert read.bitmap is not None and np.array_equal(read.bitmap, grown.bitmap)
    slots = np.unique(keys >> np.uint64(48))  # the top 16 bits: the bits set, and no other
    assert int(np.unpackbits(read.bitmap, bitorder="little").sum()) == len(slots)
    others = rng.integers(0, 2**64 - 1, 20_000, dtype=np.uint64)
    let_through = read.may_hold(others)
    assert np.array_equal(let_through, np.isin(others >> np.uint64(48), slots))  # about 9% of 2**16 slots set
    more = read.with_keys(others[:100], 7)
    assert more.may_hold(np.r_[keys, others[:100]]).all() and not read.may_hold(others[:100]).all()


def sqlite_table(path, keys) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE buckets (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID")
    conn.executemany("INSERT INTO buckets VALUES (?, 1)", [(sqlite_buckets.signed(k),) for k in keys.tolist()])
    return conn


def test_an_index_whose_filter_is_a_bitmap_finds_the_same_stories(tmp_path, monkeypatch):
    docs = feed(seed=13)
    usual = run(tmp_path / "usual.db", docs, batched=True)
    small_runs(monkeypatch)
    monkeypatch.setattr(key_filter, "PREFIXES_MAX", 500)
    monkeypatch.setattr(key_filter, "BITMAP_BITS", 14)  # most bits set: many keys let through
    path = tmp_path / "bitmap.db"
    with open_index(str(path)) as index:
        index.batched = True
        lines = [a.to_dict() for a in index.add(docs, batch_size=40)]
        held = index.store.buckets.filter
        assert held is not None and held.bitmap is not None
        assert held.generation == sqlite_buckets.generation(index.store.conn)
        assert held.may_hold(np.array(sorted(table_keys(path)), dtype=np.uint64)).all()
    assert lines == usual["lines"]


def test_the_key_filter_follows_the_merges_and_spares_lookups(tmp_path, monkeypatch):
    docs = feed(seed=13)
    usual = run(tmp_path / "usual.db", docs, batched=True)
    small_runs(monkeypatch)
    path = tmp_path / "filtered.db"
    assert run(path, docs, batched=True, batch_size=40) == usual
    assert entries(path)["buckets"] > entries(path)["runs"] > 0  # merged more than once
    asked: list[int] = []
    large_rows = sqlite_buckets.large_rows
    monkeypatch.setattr(sqlite_buckets, "large_rows", lambda conn, unique: asked.append(len(unique)) or large_rows(conn, unique))
    absent = np.random.default_rng(2).integers(0, 2**64 - 1, 10_000, dtype=np.uint64)
    with open_index(str(path)) as index:
        tables = index.store.buckets
        with index.store.writing() as transactions:
            transactions.begin().bucket_rows(absent)  # a handle that has asked for nothing reads no filter
            assert tables.filter is None and asked == [10_000]
            tables.asked = entries(path)["buckets"]  # as if it had asked for as many keys as the table holds
            assert len(transactions.begin().bucket_rows(np.r_[absent, absent[:5]]).keys) == 0
        held = tables.filter
        assert held is not None and held.generation == sqlite_buckets.generation(index.store.conn)
        assert set(held.prefixes.tolist()) == table_highs(path)
        assert asked[1] == int(held.may_hold(absent).sum()) < 100  # the absent keys are hardly asked for
        lines = [a.to_dict() for a in index.add(docs[:3] + feed(seed=14)[:60], batch_size=20)]  # merges, kept in the filter
        assert tables.filter.generation == sqlite_buckets.generation(index.store.conn) > held.generation
        assert set(tables.filter.prefixes.tolist()) >= table_highs(path)
    # without a filter (a table too large for one), the same stories
    monkeypatch.setattr(sqlite_buckets, "FILTER_MAX", -1)
    assert run(tmp_path / "unfiltered.db", docs, batched=True, batch_size=40) == usual
    with open_index(str(tmp_path / "unfiltered.db")) as index:
        assert [a.to_dict() for a in index.add(docs[:3] + feed(seed=14)[:60], batch_size=20)] == lines
        assert index.store.buckets.filter is None


def test_a_filter_is_not_used_once_another_handle_changed_the_table(tmp_path, monkeypatch):
    docs = feed(seed=21)
    alone = run(tmp_path / "alone.db", docs, batched=True, batch_size=30)
    small_runs(monkeypatch)
    path = tmp_path / "shared.db"
    with open_index(str(path)) as first, open_index(str(path)) as second:
        lines = [a.to_dict() for a in first.add(docs[:60], batch_size=30)]
        mine = first.store.buckets.filter
        assert mine is not None and mine.generation == sqlite_buckets.generation(first.store.conn)
        lines += [a.to_dict() for a in second.add(docs[60:150], batch_size=30)]  # merges: a new generation
        assert sqlite_buckets.generation(first.store.conn) > mine.generation
        with first.store.writing() as transactions:
            transactions.begin()
            assert first.store.buckets._filter_at(sqlite_buckets.generation(first.store.conn)) is not mine
        lines += [a.to_dict() for a in first.add(docs[150:], batch_size=30)]
        assert first.check() == []
        held = first.store.buckets.filter
        if held is not None:  # read again once enough keys were asked for
            assert held.generation == sqlite_buckets.generation(first.store.conn)
            assert table_highs(path) <= set(held.prefixes.tolist())
    assert lines == alone["lines"]
