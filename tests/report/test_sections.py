"""The text and HTML reports written a cluster at a time are the reports of the whole scan."""

from __future__ import annotations

import pytest

from benchmarks.corpus import generate
from dedup import batches
from dedup.pipeline import scan, scanning
from dedup.report import html, sections
from dedup.report.encode import joined
from dedup.report.html import render_html
from dedup.report.text import render_text
from dedup.story.provenance import analyse
from dedup.story.result import ScanConfig


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("sections") / "corpus.jsonl"
    path.write_text("".join(a.to_json() + "\n" for a in generate(700, seed=8)), encoding="utf-8")
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_reports_made_cluster_by_cluster_in_the_workers_are_those_of_the_whole_scan(corpus, jobs, monkeypatch):
    monkeypatch.setattr(batches, "DETAIL_BATCH", 30)  # many detail tasks, several clusters each
    monkeypatch.setattr(html, "INLINE_CLUSTERS", 7)  # sections inline, then in templates
    whole = scan([corpus], ScanConfig(), detail=True)
    assert len(whole.clusters) > 20
    provenances = analyse(whole)
    expected = {"text": render_text(whole, provenances), "html": render_html(whole, provenances)}
    assert expected["html"].count("<template") == len(whole.clusters) - 7
    for name, iterate in (("text", sections.iter_text), ("html", sections.iter_html)):
        with scanning([corpus], ScanConfig(), jobs=jobs, detail=True, defer=True) as deferred:
            assert all(m.segmentation is None for c in deferred.clusters for m in c.members)  # nothing made yet
            written = joined(iterate(deferred))
        assert written == expected[name], name
        # a scan with detail, its provenance analysed here
        assert joined(iterate(whole)) == expected[name]


@pytest.mark.parametrize("jobs", [1, 2])
def test_tables_made_cluster_by_cluster_in_the_workers_are_those_of_the_whole_scan(corpus, jobs, monkeypatch):
    from dedup.report.tables import build_table

    monkeypatch.setattr(batches, "DETAIL_BATCH", 30)
    whole = scan([corpus], ScanConfig(), detail=True)
    provenances = analyse(whole)
    for table in ("edges", "members", "outlets"):
        expected = build_table(whole, table, provenances)
        assert expected.rows and build_table(whole, table) == expected
        with scanning([corpus], ScanConfig(), jobs=jobs, detail=True, defer=True) as deferred:
            assert build_table(deferred, table) == expected, table
