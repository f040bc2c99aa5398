"""Adding a batch at once gives what adding its articles one at a time gives."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate
from dedup.document import Document
from dedup.index import open_index
from dedup.index.buckets import BucketRows, batch_candidates
from dedup.index.store import EdgeRecord
from dedup.match.cores import CORE_AGREEMENT
from dedup.match.lsh import LSHConfig
from dedup.match.verify import MatchConfig
from dedup.pipeline import ScanConfig, scan_documents
from dedup.report import to_json_dict
from tests.index.test_index import _halves, partition


def feed(seed: int = 31) -> list[Document]:
    """Generated articles shuffled, two halves and the whole joining them, some ids twice."""
    docs = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in generate(240, seed=seed)]
    random.Random(seed).shuffle(docs)
    first, second, whole = _halves()
    docs[50:50] = [first, second, whole]
    docs[120:120] = [docs[10], docs[60]]  # already indexed
    docs[130:130] = [docs[135]]  # indexed later in the same batch
    return docs


def run(path, docs, batched: bool, config=None, batch_size=64):
    with open_index(str(path), None, config) as index:
        index.batched = batched
        lines = [a.to_dict() for a in index.add(docs, batch_size=batch_size)]
        asked = docs[:40] + [Document("q-new", docs[3].text), Document("q-new", docs[5].text), docs[7]]
        queried = [a.to_dict() for a in index.query(asked, batch_size=batch_size)]
        stored = sorted((r.doc_id, r.seq, r.comp, r.story, r.candidates) for r in index.store.all_articles())
        return {
            "lines": lines,
            "queried": queried,
            "report": to_json_dict(index.export()),
            "stats": index.stats(),
            "articles": stored,
            "edges": [e.to_json() for e in index.store.all_edges()],
            "merges": index.store.merges(),
            "check": index.check(),
        }


def test_batches_give_what_one_at_a_time_gives(tmp_path):
    docs = feed()
    batched = run(tmp_path / "batched.db", docs, batched=True)
    single = run(tmp_path / "single.db", docs, batched=False)
    assert batched["check"] == [] and single["check"] == []
    statuses = Counter(line["status"] for line in batched["lines"])
    assert statuses["joined"] > 20 and statuses["merged"] >= 1 and statuses["exists"] == 3
    for key in batched:
        assert batched[key] == single[key], key


def test_batches_fill_buckets_as_one_at_a_time_does(tmp_path):
    """Small buckets: they fill up within a batch, and later articles skip them."""
    config = ScanConfig(lsh=LSHConfig(max_bucket=3))
    docs = feed(seed=5)[:150]
    batched = run(tmp_path / "batched.db", docs, batched=True, config=config, batch_size=150)
    single = run(tmp_path / "single.db", docs, batched=False, config=config, batch_size=150)
    assert batched["stats"]["oversized_buckets"] > 100
    for key in batched:
        assert batched[key] == single[key], key


def test_a_dispatch_republished_past_the_bucket_limit_is_one_story(tmp_path):
    """Twenty sites republish a dispatch (each with a line of its own), most after its
    buckets filled at ``max_bucket`` 10: the later copies still join the story, through the
    near-copies among the 11 articles a full bucket holds (so up to about twice that many
    copies), in batches and one at a time alike. Before, the first 11 made the story."""
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
    docs = {d["id"]: d for d in map(json.loads, (fixtures / "hi.jsonl").read_text(encoding="utf-8").splitlines())}
    agency = docs["hi-agency"]["text"]
    sites = [Document(f"site-{k:02d}", f"{agency}\n\nsite {k} · {k * 7919 % 1000} · edition {k % 4}") for k in range(20)]
    feed_docs = [Document("hi-agency", agency), *sites, Document("hi-independent", docs["hi-independent"]["text"])]
    config = ScanConfig(lsh=LSHConfig(max_bucket=10))
    batched = run(tmp_path / "batched.db", feed_docs, batched=True, config=config, batch_size=8)
    single = run(tmp_path / "single.db", feed_docs, batched=False, config=config)
    for key in batched:
        assert batched[key] == single[key], key
    stories = Counter(story for _, _, _, story, _ in batched["articles"])
    assert sorted(stories.values(), reverse=True) == [21, 1]  # the agency and the sites; the independent report
    assert batched["stats"]["oversized_buckets"] > 0


def test_one_batch_of_a_corpus_equals_scan(tmp_path):
    docs = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in generate(400, seed=17)]
    with open_index(str(tmp_path / "stories.db")) as index:
        assert index.batched
        list(index.add(docs, batch_size=1000))
        exported = index.export()
    scanned = scan_documents(docs)
    assert len(scanned.clusters) > 40
    assert partition(exported) == partition(scanned)
    # the index does not weigh words told in order, so it verifies the pairs of a scan
    # without that evidence (and its rare-word candidates)
    plain = scan_documents(docs, ScanConfig(match=MatchConfig(min_aligned=0.0)))
    assert to_json_dict(exported)["pairs"] == to_json_dict(plain)["pairs"]


def test_edge_json_holds_every_field():
    edge = EdgeRecord("a", "b", 0.5, 0.25, 0.125, 0.75, 30, 2, 3, True)
    assert edge.to_json() == json.dumps(asdict(edge), sort_keys=True)
    assert EdgeRecord.from_json(edge.to_json()) == edge


def reference(keys, stored: dict[int, list[str]], names, max_bucket, min_hits, write):
    """One article at a time, as StoryIndex._decide reads and files buckets."""
    buckets = {key: list(members) for key, members in stored.items()}
    out = []
    for name, article_keys in zip(names, keys):
        hits: Counter[str] = Counter()
        met: Counter[str] = Counter()
        filed, filled, crowded = [], 0, set()
        for key in article_keys.tolist():
            members = buckets.get(key, [])
            met.update(members)
            if len(members) >= max_bucket:
                crowded.update(members)
            if len(members) > max_bucket:
                continue
            filed.append(key)
            if len(members) + 1 > max_bucket:
                filled += 1
                continue
            hits.update(members)
        if write:
            for key in dict.fromkeys(filed):
                buckets.setdefault(key, []).append(name)
        candidates = sorted(d for d, n in hits.items() if n >= min_hits)
        near = {m for m in crowded if met[m] >= math.ceil(CORE_AGREEMENT * len(article_keys))}
        out.append((candidates, filed, filled, sorted(near - set(candidates))))
    return out


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(st.lists(st.integers(0, 12), max_size=8), min_size=1, max_size=12),
    stored=st.dictionaries(st.integers(0, 12), st.integers(0, 5), max_size=10),
    max_bucket=st.integers(1, 5),
    min_hits=st.integers(1, 3),
    write=st.booleans(),
    far=st.booleans(),
)
def test_bucket_candidates_match_one_at_a_time(keys, stored, max_bucket, min_hits, write, far):
    key_arrays = [np.array(k, dtype=np.uint64) + np.uint64(2**63) for k in keys]  # high keys too
    names = [f"new-{k:02d}" for k in range(len(keys))]
    members = {int(key) + 2**63: [f"old-{key}-{m}" for m in range(size)] for key, size in stored.items()}
    # far apart seqs: too wide for one number per (article, member) pair, numbered first
    first, step = (2**61, 2**40) if far else (1000, 1)
    seq_of = {name: first + k * step for k, name in enumerate(sorted({n for ms in members.values() for n in ms}))}
    entries = sorted((key, seq_of[name]) for key, ms in members.items() for name in ms)
    rows = BucketRows(
        np.array([k for k, _ in entries], dtype=np.uint64), np.array([s for _, s in entries], dtype=np.int64)
    )
    name_of = {seq: name for name, seq in seq_of.items()}
    found = batch_candidates(key_arrays, rows, max_bucket, min_hits, write)
    got = [
        (
            sorted(name_of[c] if c >= 0 else names[-1 - c] for c in f.candidates), f.filed.tolist(), f.filled,
            sorted(name_of[c] if c >= 0 else names[-1 - c] for c in f.near),
        )
        for f in found
    ]
    assert got == reference(key_arrays, members, names, max_bucket, min_hits, write)


def test_workers_give_the_same_results(tmp_path):
    docs = feed(seed=8)[:160]
    outputs = []
    for jobs in (1, 2):
        with open_index(str(tmp_path / f"jobs-{jobs}.db")) as index:
            lines = [a.to_dict() for a in index.add(docs, batch_size=50, jobs=jobs)]
            outputs.append((lines, to_json_dict(index.export()), index.check()))
    assert outputs[0] == outputs[1]
    assert outputs[0][2] == []


def test_a_batch_sent_back_as_columns_is_the_batch_made_in_process():
    """A worker sends a batch's fingerprints back as a few arrays and without its documents;
    cut per article again beside the documents kept, they are what each article's own
    fingerprinting gives, its short-line keys and sentence units too."""
    import pickle

    from dedup.index.prepare import PrepareTask, prepare_batch, prepare_documents
    from dedup.match.fingerprint import content_and_line_keys
    from dedup.match.verify import build_unit_sets

    config = ScanConfig()
    docs = feed(seed=4)[:40] + [Document("blank", "Share\nTweet"), Document("late", "Un texte court.", published="2024-03-01")]
    sent = pickle.loads(pickle.dumps(prepare_batch(PrepareTask(docs, config, 32, 4, units=True)), pickle.HIGHEST_PROTOCOL))
    batch = sent.batch(docs)
    alone = prepare_documents(docs, config, 32, 4)
    assert [a.doc for a in batch.articles] == docs
    for got, want in zip(batch.articles, alone, strict=True):
        assert np.array_equal(got.signature, want.signature) and np.array_equal(got.shingles, want.shingles)
        assert np.array_equal(got.keys, want.keys) and got.published_ts == want.published_ts
    assert any(len(a.keys) == 0 for a in batch.articles) and batch.articles[-1].published_ts is not None
    for doc, keys in zip(docs, batch.line_keys, strict=True):
        _, lines = content_and_line_keys(doc.text, config.boilerplate, config.fingerprint.ignore_quotes)
        assert keys.tolist() == sorted(set(lines))
    units = build_unit_sets([d.text for d in docs], config.fingerprint, config.boilerplate)
    assert batch.units.spans == units.spans and np.array_equal(batch.units.hashes, units.hashes)
    assert np.array_equal(batch.units.offsets, units.offsets) and np.array_equal(batch.units.doc_offsets, units.doc_offsets)


def test_gathered_units_equal_units_built_together():
    from dedup.index.prepare import gather_units
    from dedup.match.fingerprint import FingerprintConfig
    from dedup.match.verify import build_unit_sets

    texts = [d.text for d in feed(seed=2)[:12]] + ["", "One sentence only."]
    config = FingerprintConfig()
    first, second = build_unit_sets(texts[:7], config), build_unit_sets(texts[7:], config)
    order = [3, 9, 0, 12, 13, 5, 7]
    chosen = [(first, k) if k < 7 else (second, k - 7) for k in order]
    gathered, direct = gather_units(chosen), build_unit_sets([texts[k] for k in order], config)
    assert gathered.spans == direct.spans
    for name in ("hashes", "offsets", "doc_offsets"):
        assert np.array_equal(getattr(gathered, name), getattr(direct, name)), name
        assert getattr(gathered, name).dtype == getattr(direct, name).dtype, name


def test_an_article_alone_settles_as_the_full_settlement_does(tmp_path):
    from dedup.index.settle import settle_alone

    with open_index(str(tmp_path / "alone.db")) as index:
        for doc_id, seq in (("e0000001-0", 1), ("zz", 77)):
            doc = Document(doc_id, "Some text of its own.")
            full = index._settle({doc_id: (seq, "")}, [], {}, None, doc, article=doc_id)
            assert settle_alone(doc_id) == full
