"""Incremental index speed: adds/s and queries/s, SQLite and Redis, with datasketch as baseline.

For each size N the index is filled with N generated articles (bulk batches), then
timed on further articles: adds one per transaction (streaming), adds in batches of 256,
and queries. The baseline in the same run is datasketch's ``MinHashLSH`` with Redis
storage, fed the same signatures and the same ``(bands, rows)``: it only files and looks
up band buckets (no verification, no stories, signatures given), so it bounds what the
bucket step alone costs. Results go to JSON beside a one-line summary per measurement.

    python -m benchmarks.bench_index --sizes 100000 --redis-url redis://127.0.0.1:6379/15 -o bench_index.json

The Redis database given is flushed first; without ``--redis-url`` a private
``redis-server`` is started on a free port.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.corpus import generate
from dedup import __version__
from dedup.document import Document
from dedup.index import open_index
from dedup.match.minhash import to_lean_minhash


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(folder: Path) -> tuple[str, subprocess.Popen]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found; install it or pass --redis-url")
    port = _free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(folder)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return f"redis://127.0.0.1:{port}/0", process


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else float("inf")


def bench_store(name: str, store: str | None, fill: list[Document], extra: list[Document], queries: list[Document],
                bulk_batch: int) -> dict[str, float]:
    with open_index(name, store) as index:
        started = time.perf_counter()
        for _ in index.add(fill, batch_size=bulk_batch):
            pass
        fill_s = time.perf_counter() - started
        half = len(extra) // 2
        started = time.perf_counter()
        for _ in index.add(extra[:half], batch_size=1):
            pass
        single_s = time.perf_counter() - started
        started = time.perf_counter()
        for _ in index.add(extra[half:], batch_size=256):
            pass
        batch_s = time.perf_counter() - started
        started = time.perf_counter()
        for _ in index.query(queries, batch_size=256):
            pass
        query_s = time.perf_counter() - started
        stats = index.stats()
    return {
        "fill_adds_per_s": rate(len(fill), fill_s),
        "adds_per_s_one_per_transaction": rate(half, single_s),
        "adds_per_s_batch_256": rate(len(extra) - half, batch_s),
        "queries_per_s": rate(len(queries), query_s),
        "articles": stats["articles"],
        "stories": stats["stories"],
    }


def bench_datasketch(url: str, fill: list[Document], extra: list[Document], queries: list[Document],
                     bulk_batch: int) -> dict[str, float]:
    import redis
    from datasketch import MinHashLSH

    index = open_index(":memory:")  # only for its parameters and fingerprinting
    bands, rows = index.bands, index.rows
    minhash_config = index.config.fingerprint.minhash
    client = redis.Redis.from_url(url)
    storage = {"type": "redis", "basename": b"bench", "redis": {"host": client.connection_pool.connection_kwargs["host"],
               "port": client.connection_pool.connection_kwargs["port"], "db": client.connection_pool.connection_kwargs.get("db", 0)}}
    lsh = MinHashLSH(num_perm=minhash_config.num_perm, params=(bands, rows), storage_config=storage)

    def sketches(docs: list[Document]):
        for start in range(0, len(docs), bulk_batch):
            for item in index.prepare(docs[start : start + bulk_batch]):
                yield item.doc.doc_id, to_lean_minhash(item.signature, minhash_config)

    prepared_fill = list(sketches(fill))
    prepared_extra = list(sketches(extra))
    prepared_queries = list(sketches(queries))
    started = time.perf_counter()
    with lsh.insertion_session(buffer_size=50_000) as session:
        for doc_id, sketch in prepared_fill:
            session.insert(doc_id, sketch, check_duplication=False)
    fill_s = time.perf_counter() - started
    started = time.perf_counter()
    for doc_id, sketch in prepared_extra:
        lsh.insert(doc_id, sketch, check_duplication=False)
    add_s = time.perf_counter() - started
    started = time.perf_counter()
    for _, sketch in prepared_queries:
        lsh.query(sketch)
    query_s = time.perf_counter() - started
    index.close()
    return {
        "fill_adds_per_s": rate(len(fill), fill_s),
        "adds_per_s_one_per_transaction": rate(len(extra), add_s),
        "queries_per_s": rate(len(queries), query_s),
        "note": "LSH buckets only, signatures computed beforehand (not timed)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--measure", type=int, default=2000, help="articles added while timing")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bulk-batch", type=int, default=1000)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "redis", "datasketch-redis"])
    parser.add_argument("--redis-url")
    parser.add_argument("-o", "--output", type=Path, default=Path("bench_index.json"))
    args = parser.parse_args()

    import redis

    work = Path(tempfile.mkdtemp(prefix="bench_index_"))
    process = None
    url = args.redis_url
    if url is None:
        url, process = start_redis(work)
    results = {"tool": {"name": "dedup", "version": __version__}, "seed": args.seed, "machine": platform.platform(),
               "python": platform.python_version(), "numpy": np.__version__, "runs": []}
    try:
        for size in args.sizes:
            started = time.perf_counter()
            articles = list(generate(size + args.measure + args.queries, seed=args.seed))
            docs = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in articles]
            fill, extra, queries = docs[:size], docs[size : size + args.measure], docs[size + args.measure :]
            print(f"generated {len(docs)} articles in {time.perf_counter() - started:.0f}s", flush=True)
            for store in args.stores:
                # Asynchronous: a synchronous FLUSHDB of millions of keys outlasts client timeouts.
                redis.Redis.from_url(url).flushdb(asynchronous=True)
                if store == "sqlite":
                    figures = bench_store(str(work / f"index-{size}.db"), None, fill, extra, queries, args.bulk_batch)
                elif store == "redis":
                    figures = bench_store(f"bench-{size}", url, fill, extra, queries, args.bulk_batch)
                else:
                    figures = bench_datasketch(url, fill, extra, queries, args.bulk_batch)
                run = {"indexed": size, "store": store, **figures}
                results["runs"].append(run)
                print(json.dumps(run), flush=True)
                args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    finally:
        if process is not None:
            process.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
