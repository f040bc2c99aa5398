"""Parquet, HTML pages, WARC, RSS/Atom, dotted fields and every compression: each fixture of
tests/fixtures/io holds the seeds and must give the seeds' cluster, no more, no less."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import sys
from pathlib import Path

import pytest

from dedup.errors import MissingDependencyError
from dedup.io import InputReader, ReadOptions
from dedup.io.formats import format_of
from dedup.io.html import extract_page, fragment_text
from dedup.pipeline import scan
from dedup.story.result import ScanConfig
from tests.requires import needs_feedparser, needs_pyarrow, needs_trafilatura, needs_warcio, needs_zstandard

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "io"
SEED_RECORDS = [json.loads(line) for line in (FIXTURES / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
SEED_OF_URL = {r["url"]: r["id"] for r in SEED_RECORDS}
SEED_CLUSTER = sorted(r["id"] for r in SEED_RECORDS)
# What the site furniture of the saved pages says; none of it may reach a document.
FURNITURE = ["Tout accepter", "Nous utilisons des cookies", "Mentions légales", "Les plus lus", "Se connecter",
             "Partager sur Facebook", "La newsletter du matin", "Tous droits réservés", "Réforme des retraites",
             "Rechercher sur"]


def read(inputs, **options):
    reader = InputReader(ReadOptions(**options))
    docs = list(reader.read(inputs))
    return docs, reader.problems


def seed_ids(result) -> list[list[str]]:
    """The clusters of ``result`` in seed ids (by id, or by URL for pages, WARC and feeds)."""
    docs = result.documents
    return [sorted(SEED_OF_URL.get(docs[m.index].url or "", docs[m.index].doc_id) for m in c.members)
            for c in result.clusters]


@pytest.fixture(scope="module")
def seed_result(seeds_dir):
    return scan([seeds_dir])


ID_PRESERVING = [
    pytest.param("seeds.jsonl", {}, id="jsonl"),
    pytest.param("seeds.jsonl.gz", {}, id="gzip"),
    pytest.param("seeds.jsonl.bz2", {}, id="bz2"),
    pytest.param("seeds.jsonl.xz", {}, id="xz"),
    pytest.param("seeds.jsonl.zst", {}, id="zstd", marks=needs_zstandard),
    pytest.param("seeds.parquet", {}, id="parquet", marks=needs_pyarrow),
    pytest.param("es-dump.jsonl", {"id": "_id", "text": "_source.text"}, id="dotted-fields"),
]


@pytest.mark.parametrize(("name", "fields"), ID_PRESERVING)
def test_same_clusters_and_scores_as_the_seeds(name, fields, seed_result):
    from dedup.io import FieldMap

    config = ScanConfig(read=ReadOptions(fields=FieldMap(**fields)))
    result = scan([FIXTURES / name], config)
    assert result.problems == []
    assert [c.cluster_id for c in result.clusters] == [c.cluster_id for c in seed_result.clusters]
    assert seed_ids(result) == [SEED_CLUSTER]
    # the same texts: the same verified pairs, to the last digit
    assert result.pairs == seed_result.pairs


PAGE_INPUTS = [
    pytest.param(["pages"], {}, id="html-folder", marks=needs_trafilatura),
    pytest.param(["pages.jsonl"], {"html_field": "html"}, id="html-field", marks=needs_trafilatura),
    pytest.param(["crawl.warc.gz"], {}, id="warc", marks=[needs_warcio, needs_trafilatura]),
    pytest.param(["feed.rss"], {}, id="rss", marks=needs_feedparser),
    pytest.param(["feed.atom"], {}, id="atom", marks=needs_feedparser),
]


@pytest.mark.parametrize(("names", "options"), PAGE_INPUTS)
def test_pages_warc_and_feeds_give_the_seed_cluster_and_one_singleton(names, options):
    result = scan([FIXTURES / n for n in names], ScanConfig(read=ReadOptions(**options)))
    assert result.problems == []
    assert seed_ids(result) == [SEED_CLUSTER]
    # the fourth article comes from the dispatch's own site: same furniture, same event, no copy
    assert result.stats["documents"] == 4 and result.stats["singletons"] == 1
    for doc in result.documents:
        assert not [f for f in FURNITURE if f in doc.text], doc.doc_id
    origins = {doc.source for doc in result.documents}
    assert origins == {"Le Quotidien", "Matin Express", "La Vigie"}


@needs_trafilatura
def test_page_extraction_keeps_the_article_and_its_metadata():
    page = extract_page((FIXTURES / "pages" / "000_e44d81640658f659.html").read_bytes())
    seed = next(r for r in SEED_RECORDS if r["id"] == "000_e44d81640658f659.txt")
    lines = [line for line in seed["text"].split("\n") if line.strip()]
    assert page.text.split("\n") == lines  # every paragraph, in order, nothing else
    assert (page.title, page.url, page.published, page.source) == (
        seed["title"], seed["url"], seed["published"][:10], "Matin Express")


@needs_trafilatura
def test_a_page_without_article_text_is_reported(tmp_path):
    (tmp_path / "empty.html").write_text("<html><head><title>x</title></head><body><script>x()</script></body></html>")
    docs, problems = read([tmp_path / "empty.html"])
    assert docs == [] and [p.kind for p in problems] == ["empty"]
    assert "no article text" in problems[0].message


@needs_warcio
@needs_trafilatura
def test_warc_ids_urls_and_dates_come_from_the_headers():
    docs, problems = read([FIXTURES / "crawl.warc.gz"])
    assert problems == []
    assert [d.doc_id for d in docs] == [f"urn:uuid:10000000-0000-4000-8000-{n:012d}" for n in range(1, 5)]
    assert docs[0].url == SEED_RECORDS[0]["url"] and docs[0].published == "2024-04-03"  # the page's own date
    assert docs[0].location.endswith("crawl.warc.gz:urn:uuid:10000000-0000-4000-8000-000000000001")


@needs_warcio
@needs_trafilatura
def test_a_truncated_warc_keeps_what_came_before(tmp_path):
    whole = (FIXTURES / "crawl.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole[: len(whole) * 9 // 10])  # in the fourth page
    docs, problems = read([cut])
    assert [d.text for d in docs] == [d.text for d in read([FIXTURES / "crawl.warc.gz"])[0][:3]]
    assert [p.kind for p in problems] == ["unreadable"] and "truncated" in problems[0].message


@needs_feedparser
@pytest.mark.parametrize("name", ["feed.rss", "feed.atom"])
def test_feed_entries(name):
    docs, problems = read([FIXTURES / name])
    assert problems == [] and len(docs) == 4
    first = docs[0]
    assert first.title == SEED_RECORDS[0]["title"] and first.url == SEED_RECORDS[0]["url"]
    assert first.published == "2024-04-03T20:40:00+00:00" and first.source == "Le Quotidien"
    assert "<p>" not in first.text and "&#" not in first.text
    assert first.text.startswith("date 2024-04 Le ministre")


@needs_feedparser
def test_a_file_without_entries_is_malformed(tmp_path):
    (tmp_path / "bad.rss").write_text("<rss><channel><title>x</title>", encoding="utf-8")
    docs, problems = read([tmp_path / "bad.rss"])
    assert docs == [] and [p.kind for p in problems] == ["malformed"]


def test_fragment_text():
    assert fragment_text("<p>Un &amp; deux.</p><ul><li>trois</li></ul><script>alert(1)</script>") == "Un & deux.\ntrois"
    assert fragment_text("plain &eacute;t&eacute;") == "plain été"


@needs_pyarrow
def test_parquet_struct_fields_types_and_missing_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({
        "_id": [7, 8],
        "_source": [{"body": "Premier texte.", "meta": {"site": "A"}}, {"body": None, "meta": {"site": "B"}}],
    }), path)
    docs, problems = read([path], fields=_fields(id="_id", text="_source.body", source="_source.meta.site"))
    assert [(d.doc_id, d.text, d.source, d.location.rsplit("/", 1)[-1]) for d in docs] == [
        ("7", "Premier texte.", "A", "nested.parquet:1")]
    assert [(p.location.rsplit("/", 1)[-1], p.kind) for p in problems] == [("nested.parquet:2", "missing_field")]
    docs, problems = read([path], fields=_fields(text="body"))
    assert docs == [] and len(problems) == 1
    assert "no column 'id' (columns: _id, _source)" in problems[0].message


@needs_pyarrow
def test_parquet_timestamps_become_iso_dates():
    docs, _ = read([FIXTURES / "seeds.parquet"])
    assert docs[0].published == "2024-04-03T20:40:00+00:00"


def _fields(**names):
    from dedup.io import FieldMap

    return FieldMap(**names)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", pytest.param(".zst", marks=needs_zstandard)])
def test_a_corrupt_compressed_file_is_unreadable_and_the_rest_is_read(tmp_path, suffix):
    (tmp_path / f"bad.jsonl{suffix}").write_bytes(b"not compressed at all" * 20)
    (tmp_path / f"bad.txt{suffix}").write_bytes(b"not compressed at all" * 20)
    docs, problems = read([tmp_path / f"bad.jsonl{suffix}", tmp_path / f"bad.txt{suffix}", FIXTURES / "seeds.jsonl"])
    assert len(docs) == 3 and [p.kind for p in problems] == ["unreadable", "unreadable"]


def test_compressed_text_files_in_a_folder(tmp_path):
    text = "Un texte assez long pour être lu."
    (tmp_path / "a.txt.bz2").write_bytes(bz2.compress(text.encode()))
    (tmp_path / "b.txt.xz").write_bytes(lzma.compress(text.encode()))
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "d.jsonl").write_text('{"id": "x", "text": "not read from a folder"}\n')
    docs, problems = read([tmp_path])
    assert [d.doc_id for d in docs] == ["a.txt", "b.txt", "c.txt"] and problems == []


def test_formats_by_name():
    assert [format_of(n) for n in ["a.parquet", "a.HTML", "a.htm.gz", "c.warc.gz", "f.rss", "f.atom", "f.xml",
                                   "x.ndjson.zst", "t.tsv.xz", "notes"]] == [
        "parquet", "html", "html", "warc", "feed", "feed", "feed", "jsonl", "csv", "txt"]


def test_a_missing_package_names_the_extra(monkeypatch, runner):
    from dedup.cli import main

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "dedup\[parquet\]"'):
        read([FIXTURES / "seeds.parquet"])
    result = runner.invoke(main, ["scan", str(FIXTURES / "seeds.parquet"), "-q"])
    assert result.exit_code == 1 and 'pip install "dedup[parquet]"' in result.stderr
    assert "Traceback" not in result.output
