"""Several processes, and processes killed mid-batch, against one index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from dedup.document import Document
from dedup.index import open_index
from dedup.pipeline import scan_documents
from tests.redis_fixture import redis_url, unique_name  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def write_corpus(path: Path, articles: list) -> Path:
    path.write_text("".join(a.to_json() + "\n" for a in articles), encoding="utf-8")
    return path


def partition(result) -> set[tuple[str, ...]]:
    return {tuple(sorted(result.documents[m.index].doc_id for m in c.members)) for c in result.clusters}


def add_process(index: str, store: str | None, corpus: Path, batch_size: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "dedup", "index", "add", index, str(corpus), "-q", "-o", os.devnull,
               "--batch-size", str(batch_size)]
    if store:
        command += ["--store", store]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(params=["sqlite", "redis"])
def target(request, tmp_path):
    if request.param == "redis":
        return unique_name(), request.getfixturevalue("redis_url")
    return str(tmp_path / "shared.db"), None


def test_two_processes_adding_at_once_lose_nothing(target, tmp_path):
    index_name, store = target
    articles = list(generate(240, seed=31))
    # Alternate articles so both workers hold members of the same families.
    halves = [write_corpus(tmp_path / f"half{k}.jsonl", articles[k::2]) for k in range(2)]
    workers = [add_process(index_name, store, half, batch_size=4) for half in halves]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()
    docs = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in articles]
    with open_index(index_name, store) as index:
        assert index.stats()["articles"] == len(articles)
        assert index.check() == []
        assert partition(index.export()) == partition(scan_documents(docs))


def test_sigkill_mid_batch_loses_only_the_open_batch(target, tmp_path):
    index_name, store = target
    # large enough that the worker is still busy when it is killed, even on a fast machine
    articles = list(generate(1200, seed=41))
    corpus = write_corpus(tmp_path / "corpus.jsonl", articles)
    batch = 10
    worker = add_process(index_name, store, corpus, batch_size=batch)
    deadline = time.monotonic() + 120
    with open_index(index_name, store) if store else _wait_for_file(Path(index_name), deadline) as index:
        while index.stats()["articles"] < 3 * batch:
            assert worker.poll() is None, "the worker finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    with open_index(index_name, store) as index:
        count = index.stats()["articles"]
        assert 3 * batch <= count < len(articles)
        if store is None:
            assert count % batch == 0  # whole batches only
        assert index.check() == []
        # Adding everything again completes the index as if nothing had happened.
        list(index.add(Document(a.doc_id, a.text, source=a.source, published=a.published) for a in articles))
        assert index.check() == []
        docs = [Document(a.doc_id, a.text) for a in articles]
        assert partition(index.export()) == partition(scan_documents(docs))


def _wait_for_file(path: Path, deadline: float):
    while True:
        try:
            index = open_index(str(path))
            if not index.is_empty:
                return index
            index.close()
        except Exception:  # the worker may hold the lock while it creates the file
            pass
        assert time.monotonic() < deadline, "the worker never created the index"
        time.sleep(0.02)
