"""How fast SQLite takes a merge of bucket entries into the large table, by way of sending them.

A table of ``--base`` random (key, seq) entries, laid out as the SQLite store's large
bucket table, is built once in a temporary folder; then ``--add`` sorted entries are
inserted into it each way, each in a transaction that is rolled back; the ways take turns,
``--repeat`` times, and the best time of each is reported:

- ``executemany``: one ``INSERT`` per entry, as merges were sent before;
- ``temp-table``: into a temporary table, then ``INSERT ... SELECT``;
- ``json-each``: one statement reading ``[[key, seq], ...]`` with ``json_each``;
- ``rows-N``: N rows of ``(?,?)`` per statement (dedup's merge sends 450).

    python -m benchmarks.bench_merge --base 6000000 --add 2500000 -o merge.json
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dedup.index.sqlite_buckets import SCHEMA, value_rows

ROWS = (64, 450, 4096, 16000)


def ways(conn: sqlite3.Connection, keys: np.ndarray, seqs: np.ndarray) -> dict[str, Callable[[], None]]:
    """Each way of inserting the entries ``(keys, seqs)``, sorted by key then seq."""

    def by_rows(count: int) -> Callable[[], None]:
        def send() -> None:
            flat = np.stack((keys, seqs), axis=1).ravel().tolist()
            for start in range(0, len(flat), 2 * count):
                part = flat[start : start + 2 * count]
                conn.execute(f"INSERT OR IGNORE INTO buckets VALUES {value_rows(len(part) // 2)}", part)
        return send

    def temp_table() -> None:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS sent (key INTEGER, seq INTEGER)")
        conn.executemany("INSERT INTO sent VALUES (?, ?)", zip(keys.tolist(), seqs.tolist()))
        conn.execute("INSERT OR IGNORE INTO buckets SELECT key, seq FROM sent")

    def json_each() -> None:
        text = json.dumps(np.stack((keys, seqs), axis=1).tolist())
        conn.execute("INSERT OR IGNORE INTO buckets SELECT value->>0, value->>1 FROM json_each(?)", (text,))

    found: dict[str, Callable[[], None]] = {
        "executemany": lambda: conn.executemany("INSERT OR IGNORE INTO buckets VALUES (?, ?)",
                                                zip(keys.tolist(), seqs.tolist())),
        "temp-table": temp_table,
        "json-each": json_each,
    }
    found.update((f"rows-{count}", by_rows(count)) for count in ROWS)
    return found


def bucket_table(path: Path, keys: np.ndarray, seqs: np.ndarray, cache_mib: int) -> sqlite3.Connection:
    """A connection to a new file at ``path`` holding the entries ``(signed keys, seqs)`` in
    a table laid out as the SQLite store's large bucket table."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size = 32768")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA cache_size = {-cache_mib * 1024}")
    conn.executescript(SCHEMA)
    order = np.argsort(keys, kind="stable")
    conn.execute("BEGIN")
    conn.executemany("INSERT OR IGNORE INTO buckets VALUES (?, ?)", zip(keys[order].tolist(), seqs[order].tolist()))
    conn.execute("COMMIT")
    return conn


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=6_000_000, help="entries in the large table")
    parser.add_argument("--add", type=int, default=2_500_000, help="entries merged into it")
    parser.add_argument("--cache-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3, help="times each way is timed (the best is reported)")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    by_way: dict[str, dict[str, object]] = {}
    record: dict[str, object] = {"base": args.base, "add": args.add, "cache_mib": args.cache_mib,
                                 "sqlite": sqlite3.sqlite_version, "ways": by_way}
    with tempfile.TemporaryDirectory(prefix="dedup-bench-merge-") as folder:
        base_keys = rng.integers(-(2**63), 2**63 - 1, args.base, dtype=np.int64)
        conn = bucket_table(Path(folder) / "buckets.db", base_keys, rng.integers(0, 100_000, args.base), args.cache_mib)
        held = conn.execute("SELECT COUNT(*) FROM buckets").fetchone()[0]
        keys = rng.integers(-(2**63), 2**63 - 1, args.add, dtype=np.int64)
        seqs = 200_000 + np.arange(args.add, dtype=np.int64) // 128  # an article's 128 bands
        order = np.lexsort((seqs, keys))
        sending = ways(conn, keys[order], seqs[order])
        times: dict[str, list[float]] = {name: [] for name in sending}
        added: dict[str, set[int]] = {name: set() for name in sending}
        for _ in range(args.repeat):  # the ways in turn, so that a slow minute falls on each alike
            for name, send in sending.items():
                conn.execute("BEGIN IMMEDIATE")
                start = time.perf_counter()
                send()
                times[name].append(time.perf_counter() - start)
                added[name].add(conn.execute("SELECT COUNT(*) FROM buckets").fetchone()[0] - held)
                conn.execute("ROLLBACK")
        conn.close()
    for name, seconds in times.items():
        best = min(seconds)
        by_way[name] = {"seconds": [round(t, 3) for t in seconds], "us_per_entry": round(best / max(args.add, 1) * 1e6, 3),
                                "added": sorted(added[name])}
        print(f"{name}: best {best:.2f} s of {len(seconds)}, {best / max(args.add, 1) * 1e6:.2f} µs per entry", flush=True)
    if args.output:
        args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    main()
