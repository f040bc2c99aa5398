"""What a batch's bucket lookups cost in the SQLite store, piece by piece, before and now.

A table of ``--base`` random (key, seq) entries, laid out as the SQLite store's large
bucket table, is built once in a temporary folder, and a batch's band keys are drawn:
``--keys`` of them, a fifth repeated (copies share bands), ``--held`` of the distinct ones
in the table. Each piece is timed ``--repeat`` times, the ways in turn, and the best kept:

- ``distinct``: the batch's distinct keys, by ``np.unique`` (on numpy 2.3 and later, a
  hash table, then a sort) and by :func:`dedup.match.shingle.sorted_distinct` (a sort);
- ``lookup``: the table's entries of those keys, every key asked for, and only those the
  :class:`~dedup.index.key_filter.KeyFilter` lets through (the filter's reading is timed
  apart: a process reads it once, then keeps it up to date);
- ``merge-order``: ``--recent`` entries held by (uint64 key, seq), put in the large
  table's order by a sort (before) and by :func:`~dedup.index.sqlite_buckets.signed_order`.

Each pair of ways must give the same answer, or the run stops.

    python -m benchmarks.bench_lookup --base 12000000 -o benchmarks/results/lookup.json
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

from benchmarks.bench_merge import bucket_table
from dedup.index.key_filter import KeyFilter
from dedup.index.sqlite_buckets import large_rows, signed_order
from dedup.match.shingle import sorted_distinct


def best_of(ways: dict[str, Callable[[], object]], repeat: int) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Each way's times (the ways in turn) and its last answer."""
    times: dict[str, list[float]] = {name: [] for name in ways}
    answers: dict[str, object] = {}
    for _ in range(repeat):
        for name, way in ways.items():
            start = time.perf_counter()
            answers[name] = way()
            times[name].append(time.perf_counter() - start)
    return times, answers


def same(first: object, second: object) -> bool:
    return bool(np.array_equal(first, second))  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=12_000_000, help="entries in the large table")
    parser.add_argument("--keys", type=int, default=128_000, help="band keys of the batch (1,000 articles)")
    parser.add_argument("--held", type=float, default=0.02, help="share of the distinct keys in the table")
    parser.add_argument("--recent", type=int, default=4_000_000, help="entries put in the table's order")
    parser.add_argument("--cache-mib", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(2)
    pieces: dict[str, dict[str, object]] = {}
    record: dict[str, object] = {"base": args.base, "keys": args.keys, "held": args.held, "recent": args.recent,
                                 "numpy": np.__version__, "sqlite": sqlite3.sqlite_version, "pieces": pieces}

    def keep(piece: str, times: dict[str, list[float]], **extra: object) -> None:
        pieces[piece] = {**extra, **{name: {"seconds": [round(t, 4) for t in seconds], "best": round(min(seconds), 4)}
                                     for name, seconds in times.items()}}
        print(piece + ": " + ", ".join(f"{name} {min(seconds) * 1e3:.1f} ms" for name, seconds in times.items()), flush=True)

    base_keys = rng.integers(0, 2**64 - 1, args.base, dtype=np.uint64)
    distinct_count = max(1, args.keys * 4 // 5)
    held = rng.choice(base_keys, min(args.base, int(distinct_count * args.held)), replace=False)
    fresh = rng.integers(0, 2**64 - 1, distinct_count - len(held), dtype=np.uint64)
    distinct = np.concatenate((held, fresh))
    keys = np.concatenate((distinct, distinct[rng.integers(0, len(distinct), args.keys - len(distinct))]))
    rng.shuffle(keys)
    times, answers = best_of({"np.unique": lambda: np.unique(keys), "sorted_distinct": lambda: sorted_distinct(keys)},
                             args.repeat)
    if not same(answers["np.unique"], answers["sorted_distinct"]):
        raise SystemExit("distinct: the two ways differ")
    keep("distinct", times)
    unique = answers["sorted_distinct"]

    with tempfile.TemporaryDirectory(prefix="dedup-bench-lookup-") as folder:
        conn = bucket_table(Path(folder) / "buckets.db", base_keys.view(np.int64), rng.integers(0, 100_000, args.base),
                            args.cache_mib)
        conn.execute("BEGIN")
        start = time.perf_counter()
        key_filter = KeyFilter.read(conn, 0)
        read = time.perf_counter() - start
        asked = unique[key_filter.may_hold(unique)]
        times, answers = best_of({"every key": lambda: large_rows(conn, unique),
                                  "filtered": lambda: large_rows(conn, unique[key_filter.may_hold(unique)])}, args.repeat)
        conn.execute("ROLLBACK")
        conn.close()
    rows = [sorted(map(tuple, answers[name].tolist())) for name in ("every key", "filtered")]  # type: ignore[attr-defined]
    if rows[0] != rows[1]:
        raise SystemExit("lookup: the two ways differ")
    keep("lookup", times, distinct_keys=len(unique), asked_with_filter=len(asked), entries_found=len(rows[0]),
         filter_read_seconds=round(read, 3), filter_prefixes=len(key_filter.prefixes))

    recent = np.sort(rng.integers(0, 2**64 - 1, args.recent, dtype=np.uint64))
    seqs = rng.integers(0, 1_000_000, args.recent).astype(np.int64)
    order = np.lexsort((seqs, recent))
    recent, seqs = recent[order], seqs[order]

    def by_sort() -> np.ndarray:
        signed_keys = recent.view(np.int64)
        by = np.lexsort((seqs, signed_keys))
        return np.stack((signed_keys[by], seqs[by]))

    times, answers = best_of({"lexsort": by_sort, "signed_order": lambda: np.stack(signed_order(recent, seqs))},
                             args.repeat)
    if not same(answers["lexsort"], answers["signed_order"]):
        raise SystemExit("merge-order: the two ways differ")
    keep("merge-order", times)
    if args.output:
        args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    main()
