"""``--jobs N`` gives byte-identical output to ``--jobs 1``, across processes and hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import dedup.batches as batches
import dedup.pipeline as pipeline
from benchmarks.corpus import write_corpus
from dedup.cli import main
from dedup.errors import DedupError
from dedup.story.provenance import analyse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jobs") / "corpus.jsonl"
    write_corpus(path, 1200, seed=3)
    return path


def _cli(corpus: Path, jobs: int, report_format: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "dedup", "scan", str(corpus), "--jobs", str(jobs), "--format", report_format, "-q"],
        capture_output=True, env=env, cwd=ROOT, check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout


@pytest.mark.parametrize("report_format", ["json", "csv"])
def test_jobs_output_is_byte_identical_across_processes_and_hash_seeds(corpus: Path, report_format: str) -> None:
    single = _cli(corpus, 1, report_format, "0")
    assert single.count(b"\n") > 10
    assert _cli(corpus, 2, report_format, "12345") == single


def test_many_small_batches_give_the_same_report(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small batches spread the corpus over many fingerprint and verification tasks, so the
    # workers finish out of order; results must still come back in task order.
    monkeypatch.setattr(batches, "FINGERPRINT_BATCH", 97)
    monkeypatch.setattr(batches, "VERIFY_BATCH", 150)
    runner = CliRunner()
    outputs = []
    for jobs in ("1", "2"):
        result = runner.invoke(main, ["scan", str(corpus), "--jobs", jobs, "--format", "json", "-q"])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0] == _cli(corpus, 1, "json", "0").decode("utf-8")


def test_unclustered_documents_drop_their_text_and_clustered_keep_it(corpus: Path) -> None:
    result = pipeline.scan([corpus])
    clustered = {m.index for c in result.clusters for m in c.members}
    assert clustered and len(clustered) < len(result.documents)
    for index, doc in enumerate(result.documents):
        if index in clustered:
            assert doc.text
        else:
            assert doc.text == ""
    for cluster in result.clusters:
        for member in cluster.members:
            text = result.documents[member.index].text
            assert all(text[p.passage.start : p.passage.end].strip() for p in member.passages)


def test_scan_without_detail_finds_the_same_clusters_and_pairs(corpus: Path) -> None:
    full = pipeline.scan([corpus])
    lean = pipeline.scan([corpus], jobs=2, detail=False)
    assert lean.pairs == full.pairs and lean.stats == full.stats
    assert [c.cluster_id for c in lean.clusters] == [c.cluster_id for c in full.clusters]
    assert [[m.index for m in c.members] for c in lean.clusters] == [[m.index for m in c.members] for c in full.clusters]
    assert all(m.segmentation is None and m.passages == () for c in lean.clusters for m in c.members)
    assert all(d.text == "" for d in lean.documents)
    assert any(m.passages for c in full.clusters for m in c.members)
    with pytest.raises(DedupError, match="detail"):
        analyse(lean)  # reports that quote passages refuse a scan without them


def test_streamed_scan_reads_back_the_shingle_sets_an_in_memory_scan_recomputes(corpus: Path) -> None:
    # A streamed scan verifies with the shingle sets fingerprinting spooled to disk; a scan
    # of documents in memory shingles the candidates' texts again. Both must agree exactly.
    streamed = pipeline.scan([corpus], jobs=2, detail=False)
    documents, _ = pipeline.read_documents([corpus], pipeline.ScanConfig().read)
    in_memory = pipeline.scan_documents(documents)
    assert streamed.pairs == in_memory.pairs and streamed.stats == in_memory.stats
    assert [c.cluster_id for c in streamed.clusters] == [c.cluster_id for c in in_memory.clusters]
