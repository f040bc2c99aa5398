"""Verification batches: sentence units kept by one verification and read back by the next."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

import dedup.verifying as verifying
from dedup.match.fingerprint import FingerprintConfig, content_text, fingerprint
from dedup.match.verify import build_unit_sets
from dedup.pipeline import scan, scanning
from dedup.report.records import render_json
from dedup.story.result import ScanConfig
from tests.match.test_verify import _corpus


def _same_units(a, b) -> None:
    assert np.array_equal(a.hashes, b.hashes) and a.hashes.dtype == b.hashes.dtype == np.uint64
    assert np.array_equal(a.offsets, b.offsets) and np.array_equal(a.doc_offsets, b.doc_offsets)
    assert a.spans == b.spans


def test_kept_units_read_back_are_the_units_built(tmp_path) -> None:
    # the seeds, the rewrites and documents in Arabic, Devanagari, Chinese and Japanese;
    # two files keep some of them (one twice), the others are built when asked for
    texts = _corpus()
    config = FingerprintConfig()
    everything = build_unit_sets(texts, config)
    assert len(texts) > 12 and everything.doc_offsets[-1] > 50
    first, second = np.arange(0, len(texts), 3), np.array([1, 3, 4], dtype=np.int64)
    for docs in (first, second):
        verifying.keep_units(str(tmp_path), docs + 100, build_unit_sets([texts[d] for d in docs.tolist()], config))
    kept = verifying.kept_unit_files(str(tmp_path))
    assert len(kept) == 2
    wanted = np.arange(len(texts), dtype=np.int64)[::-1]  # in any order
    built: list[int] = []

    def build(at: np.ndarray):
        built.extend(wanted[at].tolist())
        return build_unit_sets([texts[d] for d in wanted[at].tolist()], config)

    units = verifying.units_of(wanted + 100, kept, build)
    _same_units(units, build_unit_sets([texts[d] for d in wanted.tolist()], config))
    assert sorted(built) == sorted(set(range(len(texts))) - set(first.tolist()) - set(second.tolist()))
    # nothing kept: everything built; everything kept: nothing built
    _same_units(verifying.units_of(wanted + 1000, kept, build), build_unit_sets([texts[d] for d in wanted.tolist()], config))
    kept_all = sorted(set(first.tolist()) | set(second.tolist()))
    again = verifying.units_of(np.array(kept_all) + 100, kept, lambda at: 1 / 0)
    _same_units(again, build_unit_sets([texts[d] for d in kept_all], config))


def test_a_batch_scores_alike_from_the_units_an_earlier_one_kept(tmp_path) -> None:
    texts = _corpus()
    config = ScanConfig()
    prints = fingerprint([content_text(t) for t in texts], config.fingerprint)
    count = len(texts)
    pairs = np.array([(a, b) for a in range(count) for b in range(a + 1, count)], dtype=np.int64)
    task = verifying.VerifyTask(np.arange(count, dtype=np.int64), texts, (prints.shingles, prints.offsets), pairs,
                                prints.signatures, config, keep_units=str(tmp_path))
    first = verifying.verify_batch(task)
    kept = verifying.kept_unit_files(str(tmp_path))
    assert len(kept) == 1 and (first.counts[:, 1:] > 0).sum() > 10  # sentences were found
    # the texts are gone: the sentences can only come from the kept units
    again = verifying.verify_batch(dataclasses.replace(task, texts=[""] * count, keep_units=None, kept_units=kept))
    for column in ("pairs", "values", "counts", "same_story"):
        assert np.array_equal(getattr(again, column), getattr(first, column))
    assert verifying.kept_unit_files(str(tmp_path)) == kept  # the second kept nothing


def test_member_pairs_read_the_units_the_first_verification_kept(tmp_path, monkeypatch) -> None:
    # Long pages that carry one story among text of their own: some member pairs of a
    # cluster are never proposed by LSH, and a deferred scan verifies them once the
    # clusters are known, from the sentence units its first verification kept.
    from benchmarks.bench_big import cluster_pages

    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps({"id": name, "text": text}) + "\n" for name, text in cluster_pages(60, 5)),
                    encoding="utf-8")
    whole = scan([path])
    monkeypatch.setattr(verifying, "LOAD_KERNELS_DOCUMENTS", 1)  # 60 pages count as a few batches
    read: list[int] = []
    units_of = verifying.units_of

    def counted(docs, kept, build):
        read.append(len(kept))
        return units_of(docs, kept, build)

    monkeypatch.setattr(verifying, "units_of", counted)
    for jobs in (1, 2):  # with 2, the workers read them: only the main process's choice is counted
        with scanning([path], jobs=jobs, defer=True) as deferred:
            assert render_json(deferred) == render_json(whole)
    assert read and all(kept > 0 for kept in read)


def test_a_shared_batch_is_cut_by_the_pairs_each_document_is_in() -> None:
    # ten documents of one size; the first two are in every pair, the others in two each.
    # Cut by shingles, the first part would take five documents and most of the work.
    count = 10
    pairs = np.array([(0, k) for k in range(1, count)] + [(1, k) for k in range(2, count)], dtype=np.int64)
    task = verifying.VerifyTask(np.arange(count, dtype=np.int64), [""] * count, None, pairs,
                                np.zeros((count, 8), dtype=np.uint32), ScanConfig())
    parts = verifying.split_batch(task, 2, np.full(count, 100))
    assert [part.unit_docs.tolist() for part in parts] == [[True] * 2 + [False] * 8, [False] * 2 + [True] * 8]
    # documents in as many pairs each are cut by their shingles
    ring = np.array([(k, (k + 1) % count) for k in range(count)], dtype=np.int64)
    sizes = np.array([400, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    parts = verifying.split_batch(dataclasses.replace(task, pairs=ring), 2, sizes)
    assert parts[0].unit_docs.sum() == 3 and parts[1].unit_docs.sum() == 7


def test_score_columns_joined_are_the_scores_one_after_the_other() -> None:
    from dedup.match.verify import PairScore, ScoreColumns

    scores = [PairScore(k, k + 1, 0.5, 0.25 * k, 0.5, 0.75, 10 * k, 1, 2, k % 2 == 0, 0.0, 0.125) for k in range(5)]
    joined = verifying.joined_scores([ScoreColumns.of(scores[:2]), ScoreColumns.of([]), ScoreColumns.of(scores[2:])])
    assert joined.scores() == scores
    assert verifying.joined_scores([]).scores() == []
