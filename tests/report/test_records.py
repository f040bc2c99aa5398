"""The JSON report written a cluster at a time is the report written whole, byte for byte."""

from __future__ import annotations

import json

import pytest

from benchmarks.corpus import generate
from dedup.document import Document
from dedup.pipeline import scan_documents
from dedup.report import encode, records
from dedup.story.provenance import analyse


def _whole(result) -> str:
    return json.dumps(records.to_json_dict(result), ensure_ascii=False, indent=2) + "\n"


def _corpus(count: int, seed: int) -> list[Document]:
    docs = []
    for k, article in enumerate(generate(count, seed=seed)):
        # some outlets, some dates a reader cannot read, so that every top-level key has content
        source = article.source if k % 3 else None
        published = "le 3 de l'an" if k % 7 == 0 else article.published
        docs.append(Document(article.doc_id, article.text, source=source, published=published))
    return docs


@pytest.mark.parametrize(
    "documents",
    [
        pytest.param(lambda: _corpus(400, 11), id="generated, outlets and unread dates"),
        pytest.param(lambda: [Document("a", "One lonely article with a few words in it."), Document("b", "Another one.")], id="no cluster"),
        pytest.param(lambda: [Document("a", "Just one.")], id="one document"),
    ],
)
def test_streamed_json_is_the_whole_report(documents):
    result = scan_documents(documents())
    pieces = list(records.iter_json(result))
    assert len(pieces) > 4  # written in pieces, not at once
    text = encode.joined(pieces)  # text, and UTF-8 bytes for the records written many at a time
    assert text == _whole(result)  # the standard library's own text of the whole dict
    assert text == encode.dumps(records.to_json_dict(result)) + "\n"
    # with the provenances given, as the Python API passes them, the same text
    assert encode.joined(records.iter_json(result, analyse(result))) == text


@pytest.mark.parametrize("chunk", [1, 2, 7, 512])
def test_pairs_written_many_at_a_time_are_the_pairs_written_one_by_one(monkeypatch, chunk):
    result = scan_documents(_corpus(150, 5))
    assert len(result.pairs) > 2 * 7 and len(result.pairs) % 7  # several chunks, the last one short
    monkeypatch.setattr(records, "SMALL_CHUNK", chunk)
    pieces = list(records.iter_json(result))
    assert sum(isinstance(piece, bytes) for piece in pieces) == -(-len(result.pairs) // chunk)
    assert encode.joined(pieces) == _whole(result)


def test_each_cluster_is_analysed_as_it_is_written(monkeypatch):
    result = scan_documents(_corpus(200, 3))
    assert len(result.clusters) > 3
    analysed = []
    original = records.analyse_cluster
    monkeypatch.setattr(records, "analyse_cluster", lambda *a: analysed.append(1) or original(*a))
    pieces = records.iter_json(result)
    for piece in pieces:
        if piece == ',\n  "clusters": ':  # the key of the list (the summary has a count of that name)
            break
    next(pieces)  # the first cluster's record
    assert len(analysed) == 1  # not every cluster up front
    list(pieces)
    assert len(analysed) == len(result.clusters)


def _largest_cluster(result):
    cluster = max(result.clusters, key=lambda c: (len(c.members), c.cluster_id))
    provenance = next(p for p in analyse(result) if p.cluster_id == cluster.cluster_id)
    return cluster, provenance


@pytest.mark.parametrize("encoder", ["json", "jsonl"])
def test_a_cluster_record_written_in_parts_is_the_record_written_whole(encoder):
    from dedup.report.lines import cluster_line

    encode_record = records.json_element_utf8 if encoder == "json" else cluster_line
    result = scan_documents(_corpus(300, 7))
    cluster, provenance = _largest_cluster(result)
    assert len(cluster.members) >= 4 and cluster.pairs and provenance.siblings
    whole = bytes(encode_record(records.cluster_record(result, cluster, provenance, shared=True)))
    for parts in range(1, len(cluster.members) + 1):
        written = [records.encoded_part(encode_record, result, cluster, provenance, (), (k, parts)) for k in range(parts)]
        assert all(len(pieces) == (3 if k == parts - 1 else 2) for k, pieces in enumerate(written))
        assert b"".join(bytes(piece) for pieces in written for piece in pieces) == whole, parts
    assert json.loads(whole)["size"] == len(cluster.members)


def test_an_encoder_that_writes_no_members_gives_the_whole_record_in_the_first_part():
    result = scan_documents(_corpus(300, 7))
    cluster, provenance = _largest_cluster(result)

    def cluster_id_only(record):  # a writer that leaves the members out
        return record["cluster_id"].encode("utf-8")

    written = [records.encoded_part(cluster_id_only, result, cluster, provenance, (), (k, 3)) for k in range(3)]
    assert written == [[cluster.cluster_id.encode("utf-8")], [], []]


def test_member_runs_are_consecutive_and_each_holds_a_member():
    result = scan_documents(_corpus(300, 7))
    cluster, provenance = _largest_cluster(result)
    size = len(cluster.members)
    for parts in range(1, size + 1):
        runs = records.member_runs(cluster, provenance, parts)
        assert len(runs) == parts and runs[0][0] == 0 and runs[-1][1] == size
        assert all(start < end for start, end in runs)
        assert all(end == start for (_, end), (start, _) in zip(runs, runs[1:]))
    # the last run also writes the pairs and provenance: of two, it has fewer members
    (_, cut), _ = records.member_runs(cluster, provenance, 2)
    assert cut >= size - cut
