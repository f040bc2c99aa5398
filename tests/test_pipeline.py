"""Golden tests on the seeds, hard negatives, and a generated corpus with planted rewrites."""

import itertools
import json

import numpy as np
import pytest

from benchmarks.corpus import generate, true_pairs
from dedup.document import Document
from dedup.pipeline import scan, scan_documents
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM, member


def unique_texts(report, doc_id):
    return [p["text"] for p in member(report, doc_id)["passages"] if p["status"] == "unique"]


def test_seeds_form_one_cluster(seed_report):
    assert seed_report["schema_version"] == 3
    assert len(seed_report["clusters"]) == 1
    ids = [m["doc_id"] for m in seed_report["clusters"][0]["members"]]
    assert ids == sorted([SEED_ORIGINAL, SEED_TRIM, SEED_REWRITE])
    assert seed_report["summary"]["singletons"] == 0
    assert all(p["same_story"] for p in seed_report["clusters"][0]["pairs"])


def test_seed_pairs_carry_estimate_and_exact_scores(seed_report):
    for pair in seed_report["pairs"]:
        assert 0 <= pair["minhash_jaccard"] <= 1 and 0 <= pair["jaccard"] <= 1
        assert set(pair["containment"]) == {"first_in_second", "second_in_first"}
        # the one-permutation estimate tracks the exact value
        assert abs(pair["minhash_jaccard"] - pair["jaccard"]) < 0.1


@pytest.mark.parametrize(
    "snippet",
    ["Le 22 mars, des hommes armés ont pénétré dans une salle de concert", "Douze suspects ont été arrêtés",
     "à quatre mois des Jeux olympiques", "Lavrov"],
)
def test_original_unique_passages_hold_the_background(seed_report, snippet):
    assert any(snippet in text for text in unique_texts(seed_report, SEED_ORIGINAL))


@pytest.mark.parametrize(
    "snippet",
    ["à la demande pressante de la partie française", "Crocus City Hall", "piste ukrainienne",
     "contingent français", "commentaires baroques et menaçants"],
)
def test_rewrite_unique_passages_hold_the_russian_side(seed_report, snippet):
    assert any(snippet in text for text in unique_texts(seed_report, SEED_REWRITE))


def test_trim_has_only_boilerplate_of_its_own(seed_report):
    trim = member(seed_report, SEED_TRIM)
    assert unique_texts(seed_report, SEED_TRIM) == []
    boiler = [p["text"] for p in trim["passages"] if p["status"] == "boilerplate"]
    assert boiler == ["Crédit: Lien source", "Les commentaires sont fermés."]


def test_shared_passages_name_their_counterparts(seed_report):
    trim = member(seed_report, SEED_TRIM)
    shared = [p for p in trim["passages"] if p["status"] == "shared"]
    assert shared
    for passage in shared:
        assert passage["counterparts"]
        for c in passage["counterparts"]:
            assert c["relation"] in ("verbatim", "reworded") and 0 < c["cosine"] <= 1.0001
    verbatim = [p for p in shared if any(c["relation"] == "verbatim" for c in p["counterparts"])]
    assert any(p["text"].startswith("Les attaques informationnelles russes") for p in verbatim)


def test_passage_offsets_match_text(seed_report, seeds_dir):
    for m in seed_report["clusters"][0]["members"]:
        text = (seeds_dir / m["doc_id"]).read_text(encoding="utf-8")
        for p in m["passages"]:
            assert text[p["start"] : p["end"]] == p["text"]


def test_independent_articles_stay_apart(seeds_dir, independent_dir):
    result = scan([seeds_dir, independent_dir])
    assert len(result.clusters) == 1
    ids = {result.documents[m.index].doc_id for m in result.clusters[0].members}
    # with two folders, ids start with the folder's name
    assert ids == {f"seeds/{name}" for name in (SEED_ORIGINAL, SEED_TRIM, SEED_REWRITE)}
    independent = [d for d in result.documents if d.doc_id.startswith(("independent/fr/", "independent/en/"))]
    assert len(independent) >= 6


def test_generated_corpus_recovers_planted_families():
    articles = list(generate(1500, seed=11))
    result = scan_documents([Document(a.doc_id, a.text) for a in articles])
    predicted = set()
    for cluster in result.clusters:
        ids = sorted(result.documents[m.index].doc_id for m in cluster.members)
        predicted.update(itertools.combinations(ids, 2))
    truth = true_pairs(articles)
    hits = len(predicted & truth)
    assert hits / len(predicted) >= 0.99
    assert hits / len(truth) >= 0.95
    kinds = {a.kind for a in articles}
    assert {"trim", "reorder", "requote", "background", "paraphrase", "independent"} <= kinds


def test_counterparts_use_the_members_own_passage_numbering(seeds_dir):
    original = (seeds_dir / SEED_ORIGINAL).read_text(encoding="utf-8")
    repost = "Partager sur Facebook\nAbonnez-vous à notre newsletter\n" + original
    result = scan_documents([Document("orig", original), Document("repost", repost)])
    members = {result.documents[m.index].doc_id: m for m in result.clusters[0].members}
    texts = {d.doc_id: d.text for d in result.documents}
    assert [d.status for d in members["repost"].passages[:2]] == ["boilerplate", "boilerplate"]
    for diff in members["orig"].passages:
        if diff.status != "shared":
            continue
        (counterpart,) = diff.counterparts
        target = [members["repost"].passages[k].passage for k in counterpart.passages]
        matched = " ".join(texts["repost"][p.start : p.end] for p in target)
        assert texts["orig"][diff.passage.start : diff.passage.end] in matched


def test_cheap_record_copies_carry_every_field() -> None:
    # renumbered() and with_text() list the fields by hand, for speed; dataclasses.replace
    # is the reference. Every field gets a value of its own, none a default, so a field
    # added later and left out of the copy makes this fail.
    import dataclasses

    from dedup.match.verify import PairScore

    def distinct(cls: type) -> object:
        values = {"int": 11, "float": 0.375, "bool": True, "str": "v"}
        kwargs = {}
        for k, f in enumerate(dataclasses.fields(cls)):
            kind = str(f.type).split(" | ")[0]
            value = values[kind]
            kwargs[f.name] = value if kind == "bool" else value * (k + 2) if kind != "str" else f"{value}{k}"
        return cls(**kwargs)

    score = distinct(PairScore)
    assert score.renumbered(7, 8) == dataclasses.replace(score, first=7, second=8)  # type: ignore[attr-defined]
    doc = distinct(Document)
    assert doc.with_text("") == dataclasses.replace(doc, text="")  # type: ignore[attr-defined]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_deferred_scan_reports_what_a_scan_with_detail_reports(tmp_path, jobs):
    from dedup.pipeline import scanning
    from dedup.report.lines import render_jsonl
    from dedup.report.records import render_json

    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(a.to_json() + "\n" for a in generate(1200, seed=3)), encoding="utf-8")
    whole = scan([path])
    # clusters linked to outside documents: their records name documents of no cluster
    assert any(c.get("linked") for c in json.loads(render_json(whole))["clusters"])
    with scanning([path], jobs=jobs, defer=True) as deferred:
        assert len(deferred.clusters) > 20
        # nothing but the clusters is held: no passages, no texts
        assert all(m.segmentation is None and not m.passages for c in deferred.clusters for m in c.members)
        assert all(d.text == "" for d in deferred.documents)
        assert render_json(deferred) == render_json(whole)
        assert render_jsonl(deferred) == render_jsonl(whole)
        assert all(d.text == "" for d in deferred.documents)  # each cluster's texts were let go
    assert deferred.details is None  # its spool is gone with the context


def test_member_pairs_lsh_never_proposed_score_alike_in_a_deferred_scan(tmp_path):
    # Long pages that carry one story among text of their own: LSH proposes some pairs of
    # a cluster's members only through a third. A deferred scan verifies those pairs with
    # the workers before the provenance reads them; a scan with detail scores them there.
    from benchmarks.bench_big import cluster_pages
    from dedup.packing import pairs_not_in
    from dedup.pipeline import scanning
    from dedup.report.records import render_json

    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps({"id": name, "text": text}) + "\n" for name, text in cluster_pages(60, 5)),
                    encoding="utf-8")
    whole = scan([path])
    verified = np.array([(s.first, s.second) for s in whole.pairs], dtype=np.int64).reshape(-1, 2)
    groups = [[m.index for m in c.members] for c in whole.clusters]
    assert len(pairs_not_in(groups, verified, len(whole.documents))) > 5
    for jobs in (1, 2):
        with scanning([path], jobs=jobs, defer=True) as deferred:
            assert render_json(deferred) == render_json(whole)


def test_pairs_not_in_are_the_group_pairs_left_out():
    from dedup.packing import pairs_not_in

    groups = [[7, 2, 5], [0], [9, 1]]
    known = np.array([[2, 7], [1, 3], [1, 9]], dtype=np.int64)
    assert pairs_not_in(groups, known, 10).tolist() == [[2, 5], [5, 7]]
    assert pairs_not_in(groups, np.zeros((0, 2), dtype=np.int64), 10).tolist() == [[2, 5], [2, 7], [5, 7], [1, 9]]
    assert pairs_not_in([], known, 10).shape == (0, 2)
