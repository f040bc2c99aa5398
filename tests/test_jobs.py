"""``--jobs N`` gives byte-identical output to ``--jobs 1``, across processes and hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

import dedup.batches as batches
import dedup.cli.scan as scan_command
import dedup.packing as packing
import dedup.pipeline as pipeline
import dedup.verifying as verifying
from benchmarks.corpus import write_corpus
from dedup.cli import main
from dedup.errors import DedupError
from dedup.report.tables import TABLES
from dedup.story.provenance import analyse
from tests.requires import needs_pyarrow

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
    monkeypatch.setattr(batches, "FINGERPRINT_CHARS", 60_000)  # batches close by characters, before 97 articles
    monkeypatch.setattr(batches, "VERIFY_BATCH", 150)
    monkeypatch.setattr(batches, "ALIGN_PAIR_SHINGLES", 3_000)  # a few rewrite pairs per alignment batch
    aligned: list[int] = []
    align_batch = batches.align_batch

    def counted(task: batches.AlignTask):  # in this process (one job) only: workers hold their own copy of the module
        aligned.append(len(task.pairs))
        return align_batch(task)

    runner = CliRunner()
    outputs = []
    for jobs in ("1", "2"):
        with monkeypatch.context() as patch:
            if jobs == "1":
                patch.setattr(batches, "align_batch", counted)
            result = runner.invoke(main, ["scan", str(corpus), "--jobs", jobs, "--format", "json", "-q"])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert len(aligned) > 3 and min(aligned) < max(aligned)
    assert outputs[0] == outputs[1]
    assert outputs[0] == _cli(corpus, 1, "json", "0").decode("utf-8")



def test_a_lone_verification_batch_shared_by_the_workers_gives_the_same_report(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one batch (the corpus fits in one), fewer than the workers: each takes a part of
    # its documents, whose sentences it looks for, and the parts merge
    monkeypatch.setattr(verifying, "SPLIT_VERIFY_DOCUMENTS", 1)
    split: list[int] = []
    split_batch = verifying.split_batch

    def counted(task: verifying.VerifyTask, parts: int, sizes):  # in this process: the main one splits
        tasks = split_batch(task, parts, sizes)
        split.append(len(tasks))
        return tasks

    monkeypatch.setattr(verifying, "split_batch", counted)
    runner = CliRunner()
    for jobs in ("2", "3"):
        result = runner.invoke(main, ["scan", str(corpus), "--jobs", jobs, "--format", "json", "-q"])
        assert result.exit_code == 0, result.output
        assert result.stdout == _cli(corpus, 1, "json", "0").decode("utf-8")
    assert split == [2, 3]


@pytest.mark.parametrize("report_format", ["json", "jsonl"])
@pytest.mark.parametrize("by_file", [False, True], ids=["by pipe", "by file"])
def test_a_lone_large_cluster_written_in_parts_by_the_workers_gives_the_same_report(
    seeds_dir: Path, monkeypatch: pytest.MonkeyPatch, report_format: str, by_file: bool
) -> None:
    # the seeds are one cluster of three: a task of its own, fewer than the workers, so
    # each worker analyses it and writes some of its members, and the parts are joined
    monkeypatch.setattr(batches, "SPLIT_MEMBERS", 2)
    if by_file:
        monkeypatch.setattr(batches, "RECORDS_BESIDE_BYTES", 100)
    made: list[dict[int, int]] = []
    parts_of = batches.Deferred._parts

    def counted(self, chunks):  # type: ignore[no-untyped-def]  # in this process: the main one decides
        made.append(parts_of(self, chunks))
        return made[-1]

    monkeypatch.setattr(batches.Deferred, "_parts", counted)
    runner = CliRunner()
    single = _cli(seeds_dir, 1, report_format, "0").decode("utf-8")
    for jobs in ("2", "3"):
        result = runner.invoke(main, ["scan", str(seeds_dir), "--jobs", jobs, "--format", report_format, "-q"])
        assert result.exit_code == 0, result.output
        assert result.stdout == single
    assert made == [{0: 2}, {0: 3}]


# Every report `dedup scan` writes: each format, and each table of the tabular ones.
TABULAR = ("csv", "parquet")
REPORTS = [
    pytest.param(report_format, table, id=f"{report_format}-{table}" if table else report_format,
                 marks=[needs_pyarrow] if report_format == "parquet" else [])
    for report_format in scan_command.FORMATS
    for table in (TABLES if report_format in TABULAR else (None,))
]


@pytest.fixture(scope="module")
def scans() -> dict[tuple, object]:
    """Finished scans of the CLI, kept for the module: one per input, options, ``jobs`` and ``detail``."""
    return {}


def _spread_cli_report(
    corpus: Path, out: Path, jobs: int, report_format: str, table: str | None,
    scans: dict[tuple, object], monkeypatch: pytest.MonkeyPatch,
) -> dict[str, bytes]:
    """The files ``dedup scan --jobs JOBS`` writes, with batches small enough to spread the work.

    Small batches make many fingerprint, verification, cluster and passage tasks, which
    two workers finish out of order. The CLI runs in this process. A scan the report
    reads only once it has finished (the tables) is run once per ``(jobs, detail)`` and
    shared by the reports that need the same one, so every format and table is written by
    the real command without a scan of its own each; JSON, JSON lines, text and HTML ask
    the scan's workers for passages while they write, so each runs a scan of its own.
    """
    monkeypatch.setattr(batches, "FINGERPRINT_BATCH", 97)
    monkeypatch.setattr(batches, "VERIFY_BATCH", 150)
    monkeypatch.setattr(batches, "DETAIL_BATCH", 40)
    monkeypatch.setattr(batches, "RECORDS_BESIDE_BYTES", 2_000)  # the workers' records go back by file
    split, scanning = packing.pair_batches, pipeline.scanning

    @contextmanager
    def counted_scanning(inputs, config, progress=None, jobs=1, **options):  # type: ignore[no-untyped-def]
        counts = {"verify": 0, "cluster": 0}

        def counted(pairs, batch_docs, split_large, *args, **kwargs):  # type: ignore[no-untyped-def]
            for batch in split(pairs, batch_docs, split_large, *args, **kwargs):
                counts["verify" if split_large else "cluster"] += 1
                yield batch

        with monkeypatch.context() as patch:
            patch.setattr(packing, "pair_batches", counted)
            with scanning(inputs, config, progress, jobs, **options) as result:
                # two workers must have had several tasks of each kind to share
                assert counts["verify"] >= 3 and counts["cluster"] >= 3, counts
                assert sum(len(c.members) for c in result.clusters) >= 3 * batches.DETAIL_BATCH
                yield result

    @contextmanager
    def shared_scanning(inputs, config, progress=None, jobs=1, *, detail=True, defer=False):  # type: ignore[no-untyped-def]
        if defer:
            with counted_scanning(inputs, config, progress, jobs, detail=detail, defer=defer) as result:
                yield result
            return
        key = (tuple(map(str, inputs)), repr(config), jobs, detail)
        if key not in scans:
            with counted_scanning(inputs, config, progress, jobs, detail=detail) as result:
                scans[key] = result
        yield scans[key]

    monkeypatch.setattr(scan_command, "scanning", shared_scanning)
    out.mkdir(parents=True)
    options = ["--table", table] if table else []
    result = CliRunner().invoke(
        main, ["scan", str(corpus), "--jobs", str(jobs), "--format", report_format, *options,
               "-o", str(out / f"report.{report_format}"), "-q"],
    )
    assert result.exit_code == 0, result.output
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.mark.parametrize(("report_format", "table"), REPORTS)
def test_every_report_is_byte_identical_for_one_and_two_jobs(
    corpus: Path, tmp_path: Path, report_format: str, table: str | None,
    scans: dict[tuple, object], monkeypatch: pytest.MonkeyPatch,
) -> None:
    single = _spread_cli_report(corpus, tmp_path / "one", 1, report_format, table, scans, monkeypatch)
    double = _spread_cli_report(corpus, tmp_path / "two", 2, report_format, table, scans, monkeypatch)
    # a CSV table comes with its sidecar of parameters; other reports are one file
    assert sorted(single) == [f"report.{report_format}"] + (["report.csv.json"] if report_format == "csv" else [])
    report = single[f"report.{report_format}"]
    assert len(report) > 1000
    if report_format == "parquet":
        import pyarrow.parquet as pq

        from dedup.report.parquet import read_metadata

        # Decoded first, so that a difference shows as rows rather than bytes. pyarrow writes
        # the same bytes for the same table and schema (no clock or path in the footer).
        one, two = (pq.read_table(tmp_path / name / "report.parquet") for name in ("one", "two"))
        assert one.num_rows > 10
        assert one.schema == two.schema and one.equals(two)
        assert read_metadata(tmp_path / "one" / "report.parquet") == read_metadata(tmp_path / "two" / "report.parquet")
    assert double == single


def test_every_scan_format_and_table_is_checked_across_jobs() -> None:
    covered = {(p.values[0], p.values[1]) for p in REPORTS}
    assert {f for f, _ in covered} == set(scan_command.FORMATS)
    assert {t for f, t in covered if f in TABULAR} == set(TABLES)
    assert len(covered) == len(scan_command.FORMATS) - len(TABULAR) + len(TABULAR) * len(TABLES)


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
