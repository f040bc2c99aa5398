"""The incremental index against scan, across stores, and its story-id rules."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from benchmarks.corpus import generate
from dedup.document import Document
from dedup.errors import IncompatibleDataError
from dedup.index import open_index
from dedup.io import ReadOptions
from dedup.match.fingerprint import FingerprintConfig
from dedup.match.minhash import MinHashConfig
from dedup.match.verify import MatchConfig
from dedup.pipeline import ScanConfig, read_documents, scan_documents
from dedup.report import to_json_dict
from tests.redis_fixture import redis_url, unique_name  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "redis"])
def make_index(request, tmp_path):
    """A factory of fresh (or re-opened) indexes on the parametrised store."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        name = unique_name()
        opened = []

        def make(config=None, name=name):
            index = open_index(name, url, config)
            opened.append(index)
            return index
    else:
        path = tmp_path / "stories.db"
        opened = []

        def make(config=None, name=str(path)):
            index = open_index(name, None, config)
            opened.append(index)
            return index

    make.kind = request.param
    yield make
    for index in opened:
        index.close()


def corpus(n: int = 300, seed: int = 5) -> list[Document]:
    return [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in generate(n, seed)]


def partition(result) -> set[tuple[str, ...]]:
    return {tuple(sorted(result.documents[m.index].doc_id for m in c.members)) for c in result.clusters}


# The index judges pairs by shingles and passages only (see dedup.index.params): its
# pairs and counts are those of a scan without the evidence of words told in order.
PLAIN = ScanConfig(match=MatchConfig(min_aligned=0.0))


def without_ids(report: dict) -> dict:
    for cluster in report["clusters"]:
        cluster.pop("cluster_id")
    return {key: report[key] for key in ("clusters", "pairs", "summary", "skipped")}


def test_one_at_a_time_equals_scan_on_generated_corpus(make_index):
    docs = corpus()
    index = make_index()
    assignments = list(index.add(docs, batch_size=1))
    assert [a.doc_id for a in assignments] == [d.doc_id for d in docs]
    exported, scanned = index.export(), scan_documents(docs, PLAIN)
    assert len(scanned.clusters) > 30  # the corpus has real families to recover
    assert without_ids(to_json_dict(exported)) == without_ids(to_json_dict(scanned))
    assert partition(exported) == partition(scan_documents(docs))
    assert index.check() == []


def test_arrival_order_does_not_change_the_stories(make_index):
    docs = corpus(200, seed=9)
    random.Random(3).shuffle(docs)
    index = make_index()
    list(index.add(docs, batch_size=7))
    assert partition(index.export()) == partition(scan_documents(docs))


def test_seeds_and_independent_articles_equal_scan(make_index):
    docs, _ = read_documents([ROOT / "seeds", ROOT / "tests" / "fixtures" / "independent"], ReadOptions())
    index = make_index()
    list(index.add(docs, batch_size=1))
    exported, scanned = index.export(), scan_documents(docs, PLAIN)
    assert partition(exported) == partition(scanned) == partition(scan_documents(docs))
    assert len(exported.clusters) == 1 and len(exported.clusters[0].members) == 3
    assert without_ids(to_json_dict(exported)) == without_ids(to_json_dict(scanned))


def test_sqlite_and_redis_give_the_same_results(tmp_path, redis_url):  # noqa: F811
    docs = corpus(150, seed=21)
    random.Random(1).shuffle(docs)
    outputs = []
    for store, name in ((None, str(tmp_path / "a.db")), (redis_url, unique_name())):
        with open_index(name, store) as index:
            lines = [a.to_dict() for a in index.add(docs, batch_size=16)]
            report = to_json_dict(index.export())
            outputs.append((lines, report, index.stats()["stories"]))
    assert outputs[0][0] == outputs[1][0]
    assert outputs[0][1] == outputs[1][1]
    assert outputs[0][2] == outputs[1][2]


def _halves() -> tuple[Document, Document, Document]:
    """A dispatch and its two halves: each half matches the whole, not the other half."""
    article = next(a for a in generate(40, seed=4) if a.kind == "original" and a.text.count("\n\n") >= 7)
    paragraphs = article.text.split("\n\n")
    middle = len(paragraphs) // 2
    first = Document("b-first-half", "\n\n".join(paragraphs[:middle]))
    second = Document("c-second-half", "\n\n".join(paragraphs[middle:]))
    whole = Document("a-whole", article.text)
    return first, second, whole


def test_linking_article_merges_stories_and_keeps_the_oldest_id(make_index):
    first, second, whole = _halves()
    index = make_index()
    (a_first,) = index.add([first])
    (a_second,) = index.add([second])
    assert a_first.status == a_second.status == "new_story"
    assert a_first.story != a_second.story
    (a_whole,) = index.add([whole])
    assert a_whole.status == "merged"
    assert a_whole.story == a_first.story  # the story that came first survives
    assert [(m.old, m.into, m.kind) for m in a_whole.merges] == [(a_second.story, a_first.story, "merge")]
    assert {m.doc_id for m in a_whole.matches if m.score.same_story} == {first.doc_id, second.doc_id}
    (cluster,) = index.export().clusters
    assert cluster.cluster_id == a_first.story
    assert [(m.old, m.into) for m in index.store.merges()] == [(a_second.story, a_first.story)]


def test_joining_keeps_the_story_id(make_index):
    docs = [d for d in corpus(60, seed=2) if d.doc_id.startswith("e0000001-")]
    assert len(docs) >= 2
    index = make_index()
    first, *rest = list(index.add(docs, batch_size=1))
    joined = [a for a in rest if a.status == "joined"]
    assert joined and all(a.story == first.story for a in joined)


def test_prune_splits_a_story_held_together_by_the_pruned_article(make_index):
    first, second, whole = _halves()
    dated = [
        Document(first.doc_id, first.text, published="2024-05-20"),
        Document(second.doc_id, second.text, published="2024-05-21"),
        Document(whole.doc_id, whole.text, published="2024-01-01T08:00:00Z"),
        Document("undated", corpus(5, seed=8)[0].text),
    ]
    index = make_index()
    assignments = list(index.add(dated, batch_size=1))
    assert assignments[2].status == "merged"
    assert len({r.story for r in index.store.all_articles() if r.doc_id != "undated"}) == 1
    now = 1717200000.0  # 2024-06-01T00:00:00Z
    report = index.prune(30 * 86_400, by="published", now=now)
    assert report.removed == 1 and report.kept_without_time == 1
    stories = {r.doc_id: r.story for r in index.store.all_articles()}
    assert set(stories) == {first.doc_id, second.doc_id, "undated"}
    assert stories[first.doc_id] == assignments[0].story  # the id stays with the older part
    assert stories[second.doc_id] != stories[first.doc_id]
    assert [m.kind for m in report.merges] == ["split"]
    assert index.check() == []
    # what is left still matches scan of what is left
    kept = [d for d in dated if d.doc_id in stories]
    assert partition(index.export()) == partition(scan_documents(kept))


def test_prune_by_ingest_time(make_index):
    index = make_index()
    list(index.add(corpus(20, seed=6)))
    assert index.prune(3600, by="ingested").removed == 0
    assert index.prune(0, by="ingested", now=2e10).removed == 20
    assert index.stats()["articles"] == 0 and index.check() == []


def test_readding_an_article_is_idempotent(make_index):
    docs = corpus(40, seed=3)
    index = make_index()
    first = [a.to_dict() for a in index.add(docs)]
    before = index.stats()
    again = list(index.add(docs))
    assert {a.status for a in again} == {"exists"}
    assert [a.story for a in again] == [a["story"] for a in first]
    assert index.stats() == before


def test_query_changes_nothing(make_index):
    docs = corpus(60, seed=12)
    index = make_index()
    list(index.add(docs[:40]))
    before = to_json_dict(index.export())
    queried = list(index.query(docs[40:]))
    assert to_json_dict(index.export()) == before
    added = list(index.add(docs[40:], batch_size=1))
    # alone, each query sees what a lone add would see
    for q, a in zip(queried, added):
        assert {m.doc_id for m in q.matches} <= {m.doc_id for m in a.matches}


def test_other_parameters_are_refused(make_index):
    index = make_index()
    list(index.add(corpus(5)))
    other = ScanConfig(fingerprint=FingerprintConfig(minhash=MinHashConfig(num_perm=64)))
    with pytest.raises(IncompatibleDataError, match="num_perm is 128 in the index, 64 here"):
        make_index(other)
    assert make_index(ScanConfig()).stats()["articles"] == 5


def test_other_format_version_is_refused(tmp_path):
    path = tmp_path / "old.db"
    with open_index(str(path)) as index:
        list(index.add(corpus(3)))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'format_version'")
    with pytest.raises(IncompatibleDataError, match="format version 0"):
        open_index(str(path))


def _as_made_under_text_rules_1(path):
    """Make the index at ``path`` look as an index made before text rules were recorded."""
    with sqlite3.connect(path) as conn:
        params = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()[0])
        params.pop("text_rules")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'params'", (json.dumps(params),))


def test_an_index_of_older_text_rules_is_brought_up_to_date_when_its_words_agree(tmp_path):
    path = tmp_path / "latin.db"
    docs = corpus(6)
    with open_index(str(path)) as index:
        list(index.add(docs[:4]))
    _as_made_under_text_rules_1(path)
    with open_index(str(path)) as index:
        assert index.stats()["parameters"]["text_rules"] == 1
        assert [a.status for a in index.add(docs[4:])]  # Latin words are the same under both rules
        assert index.stats()["parameters"]["text_rules"] == 2
    with sqlite3.connect(path) as conn:
        assert json.loads(conn.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()[0])["text_rules"] == 2


@pytest.mark.parametrize(
    "text",
    [
        "وزیر اعظم نے کہا کہ حکومت ۱۵ نئے منصوبے شروع کرے گی اور عوام کو ریلیف دیا جائے گا۔",  # Urdu yeh, keheh, digits
        "国务院总理今天在北京主持召开会议，研究部署经济工作和民生保障。",  # spaceless
    ],
)
def test_an_index_of_older_text_rules_holding_changed_words_is_refused(tmp_path, text):
    path = tmp_path / "old.db"
    docs = corpus(3) + [Document("zz-script", text)]
    with open_index(str(path)) as index:
        list(index.add(docs))
    _as_made_under_text_rules_1(path)
    with open_index(str(path)) as index:
        with pytest.raises(IncompatibleDataError, match=r"text rules 1.*1 of its articles.*'zz-script'.*rebuild"):
            list(index.add(corpus(4)[3:]))
        with pytest.raises(IncompatibleDataError, match="rebuild"):
            list(index.query(docs[:1]))
        assert len(index.export().documents) == 4  # still readable
        assert index.stats()["parameters"]["text_rules"] == 1


def test_the_characters_whose_words_changed_since_text_rules_1():
    from dedup.index.params import rules_1_differ, words_differ_under

    differ = rules_1_differ()
    # spaceless letters, optional marks, letter variants, other digits, and presentation
    # forms that hold a mark (Hebrew yod with hiriq, Arabic fathatan isolated form)
    for char in "\u4e00\u0e01\u3042\u064b\u05b4\u06cc\u06a9\u0623\u0663\u06f3\u0969\ufb1d\ufe70":
        assert differ[ord(char)], hex(ord(char))
    # what Latin, Cyrillic, Greek, Devanagari letters and typography keep
    for char in "aéßжλक’«—\u0628\u0643\u064a":
        assert not differ[ord(char)], hex(ord(char))
    assert words_differ_under(1, "text with \U00020001") and not words_differ_under(1, "text with \U0001f600")
    assert not words_differ_under(2, "\u4e00") and words_differ_under(0, "plain")


def test_signatures_are_stored_as_raw_little_endian_bytes(tmp_path):
    path = tmp_path / "raw.db"
    docs = corpus(3)
    with open_index(str(path)) as index:
        list(index.add(docs))
        expected = index.prepare(docs)
    with sqlite3.connect(path) as conn:
        rows = dict(conn.execute("SELECT doc_id, signature FROM articles"))
    for item in expected:
        assert rows[item.doc.doc_id] == item.signature.astype("<u4").tobytes()
        assert len(rows[item.doc.doc_id]) == 128 * 4


def test_no_pickle_in_the_index_package():
    for source in (ROOT / "dedup" / "index").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"import (c?pickle|dill|marshal|shelve)|pickle\.|from_pickle", text), source


def test_article_without_content_is_indexed_alone(make_index):
    index = make_index()
    (assignment,) = index.add([Document("blank", "Share this article\nComments are closed.")])
    assert assignment.status == "new_story" and assignment.matches == ()
    result = index.export()
    assert result.stats["documents_without_content"] == 1
    assert [p.kind for p in result.problems] == ["empty"]


def test_stats_count_stories(make_index):
    docs = corpus(100, seed=14)
    index = make_index()
    list(index.add(docs))
    stats = index.stats()
    scanned = scan_documents(docs)
    assert stats["articles"] == 100
    assert stats["multi_article_stories"] == len(scanned.clusters)
    assert stats["stories"] == len(scanned.clusters) + scanned.stats["singletons"]
    assert json.loads(json.dumps(stats))["parameters"]["fingerprint"]["num_perm"] == 128
    assert np.isfinite(stats["verified_pairs"])
