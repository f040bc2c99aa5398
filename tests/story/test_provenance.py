"""Provenance: origin, copy edges, credits, quotes, siblings and the outlet view."""

import csv
import dataclasses
import io
import json
import random
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from dedup.cli import main
from dedup.document import Document
from dedup.pipeline import scan, scan_documents
from dedup.story import coverage
from dedup.story.diff import Counterpart, PassageDiff
from dedup.story.coverage import PassageCoverage
from dedup.story.provenance import analyse, changed_quotes, outlet_view
from dedup.story.result import Cluster, Member
from dedup.text.credits import find_dateline, find_quotes
from dedup.text.segment import Passage
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM, write_jsonl

OUTLETS = Path(__file__).resolve().parent.parent / "fixtures" / "outlets.jsonl"


def seed_provenance(seed_report):
    assert len(seed_report["clusters"]) == 1
    return seed_report["clusters"][0]["provenance"]


def edge(provenance, source, target):
    for record in provenance["edges"]:
        if (record["source"], record["target"]) == (source, target):
            return record
    raise AssertionError(f"no edge {source} -> {target}")


def test_seed_origin_is_the_full_dispatch(seed_report):
    origin = seed_provenance(seed_report)["origin"]
    assert origin["doc_id"] == SEED_ORIGINAL and origin["in_corpus"]
    assert origin["basis"] == "evidence" and origin["level"] == "high" and origin["confidence"] >= 0.75
    assert origin["agency"] == "AFP"
    assert any("à l'AFP" in reason for reason in origin["reasons"])


def test_seed_edges_go_from_the_dispatch_to_both_copies(seed_report):
    provenance = seed_provenance(seed_report)
    assert sorted((e["source"], e["target"]) for e in provenance["edges"]) == [
        (SEED_ORIGINAL, SEED_TRIM), (SEED_ORIGINAL, SEED_REWRITE)
    ]
    siblings = provenance["siblings"]
    assert [(s["first"], s["second"], s["common_parent"]) for s in siblings] == [(SEED_TRIM, SEED_REWRITE, SEED_ORIGINAL)]
    for record in provenance["edges"]:
        # the copy sits in the source more than the source sits in the copy
        assert record["containment"]["target_in_source"] > record["containment"]["source_in_target"]


def test_trim_dropped_the_afp_credit(seed_report):
    trim = edge(seed_provenance(seed_report), SEED_ORIGINAL, SEED_TRIM)
    removed = [c for c in trim["credits"] if c["change"] == "removed"]
    assert len(removed) == 1
    credit = removed[0]["source"]
    assert (credit["agency"], credit["kind"], credit["text"]) == ("AFP", "told", "à l'AFP")
    original = (Path("seeds") / SEED_ORIGINAL).read_text(encoding="utf-8")
    assert original[credit["start"] : credit["end"]] == "à l'AFP"
    # the passage that held it is in the copy, without the credit
    start, end = removed[0]["target_span"]
    copy = (Path("seeds") / SEED_TRIM).read_text(encoding="utf-8")
    assert "a souligné l’entourage du ministre français" in copy[start:end]
    assert [b["text"] for b in trim["boilerplate_added"]] == ["Crédit: Lien source", "Les commentaires sont fermés."]
    assert trim["added"] == []


@pytest.mark.parametrize(
    "snippet",
    ["à la demande pressante de la partie française", "Crocus City Hall", "piste ukrainienne",
     "contingent français", "commentaires baroques et menaçants"],
)
def test_rewrite_additions_are_the_russian_side(seed_report, snippet):
    rewrite = edge(seed_provenance(seed_report), SEED_ORIGINAL, SEED_REWRITE)
    assert any(snippet in added["text"] for added in rewrite["added"])


def test_rewrite_changed_a_quote(seed_report):
    rewrite = edge(seed_provenance(seed_report), SEED_ORIGINAL, SEED_REWRITE)
    changed = {(q["source"]["text"][:30], q["target"]["text"][:30]) for q in rewrite["quotes_changed"]}
    assert any("superviseurs" in q["source"]["text"] and "approbation" in q["target"]["text"]
               for q in rewrite["quotes_changed"]), changed


def test_shared_passages_carry_offsets_in_both_texts(seed_report):
    trim = edge(seed_provenance(seed_report), SEED_ORIGINAL, SEED_TRIM)
    original = (Path("seeds") / SEED_ORIGINAL).read_text(encoding="utf-8")
    copy = (Path("seeds") / SEED_TRIM).read_text(encoding="utf-8")
    verbatim = [s for s in trim["shared"] if s["relation"] == "verbatim"]
    assert verbatim
    for shared in verbatim:
        source = original[shared["source"]["start"] : shared["source"]["end"]]
        target = copy[shared["target"]["start"] : shared["target"]["end"]]
        assert set(source.split()) & set(target.split())


def test_dates_decide_when_they_exist(seeds_dir):
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(seeds_dir.iterdir())}
    # Date the trimmed repost first: dates beat textual evidence, with less confidence.
    dates = {SEED_TRIM: "2024-04-03T08:00:00Z", SEED_ORIGINAL: "2024-04-03T09:00:00Z", SEED_REWRITE: "2024-04-04"}
    docs = [Document(name, text, published=dates[name]) for name, text in texts.items()]
    result = scan_documents(docs)
    provenance = analyse(result)[0]
    origin = provenance.origin
    assert result.documents[origin.closest].doc_id == SEED_TRIM
    assert origin.basis == "dates" and origin.confidence <= 0.5
    assert any("texts point to" in reason for reason in origin.reasons)
    # The earliest text does not contain the full dispatch, so that cannot descend from it:
    # the original is then probably not in the corpus.
    assert origin.doc is None and "unseen" in origin.summary
    full = next(m for m in provenance.members if result.documents[m.doc].doc_id == SEED_ORIGINAL)
    assert full.parent is None


def test_unseen_wire_original_is_reported(seeds_dir):
    trim = (seeds_dir / SEED_TRIM).read_text(encoding="utf-8")
    rewrite = (seeds_dir / SEED_REWRITE).read_text(encoding="utf-8")
    docs = [Document("a", trim + "\n(avec AFP)\n"), Document("b", rewrite + "\nSource: AFP\n")]
    result = scan_documents(docs)
    assert len(result.clusters) == 1
    origin = analyse(result)[0].origin
    assert origin.doc is None and not origin.in_corpus and origin.agency == "AFP"
    assert "unseen AFP dispatch" in origin.summary


def test_dateline_and_quotes():
    dateline = find_dateline("MOSCOU, 3 avril (AFP) - Le ministre")
    assert (dateline.place, dateline.agency) == ("MOSCOU", "AFP")
    quotes = find_quotes("Il a dit « nous sommes prêts à parler » et \"rien de plus ici\".")
    assert [q.text for q in quotes] == ["nous sommes prêts à parler", "rien de plus ici"]
    assert changed_quotes("« nous sommes prêts à parler »", "« nous sommes prêts à parler »") == []
    assert len(changed_quotes("« nous sommes prêts à parler »", "« nous sommes tout à fait prêts à parler »")) == 1



def _every_pair_of_quotes(source_text: str, target_text: str) -> list[tuple[int, float]]:
    """The quote rule written plainly: every pair scored, most similar first, each quote once."""
    import difflib

    sources, targets = find_quotes(source_text), find_quotes(target_text)
    scored = sorted(
        (-difflib.SequenceMatcher(None, s.words, t.words, autojunk=False).ratio(), ti, si)
        for ti, t in enumerate(targets) for si, s in enumerate(sources)
    )
    found, used_s, used_t = [], set(), set()
    for neg, ti, si in scored:
        if -neg < 0.6 or ti in used_t or si in used_s:
            continue
        used_t.add(ti)
        used_s.add(si)
        if sources[si].words != targets[ti].words:
            found.append((targets[ti].start, sources[si].start, round(-neg, 4)))
    return [f[1:] for f in sorted(found)]


@pytest.mark.parametrize("seed", range(60))
def test_quotes_told_word_for_word_pair_first_as_the_most_similar_first_rule_pairs_them(seed):
    rng = random.Random(seed)
    said = ["nous sommes prêts à parler", "rien de plus ici ce soir", "la trêve tiendra jusqu'à lundi",
            "nous ne sommes pas prêts à parler", "rien de plus ici", "la trêve tiendra"]

    def text() -> str:  # repeated and near-repeated quotes, in any order
        return " puis ".join(f"« {rng.choice(said)} »" for _ in range(rng.randint(0, 7)))

    source, target = text(), text()
    got = [(c.source.start, c.similarity) for c in changed_quotes(source, target)]
    assert got == _every_pair_of_quotes(source, target)

def test_outlet_matrix_and_originality():
    result = scan([OUTLETS])
    view = outlet_view(result, analyse(result))
    assert view.outlets == ("Agence Wire", "Le Quotidien", "Matin Express")
    assert view.copies == ((0, 1, 1), (0, 0, 1), (0, 0, 0))
    assert [(r.outlet, r.origins, r.clustered) for r in view.rows] == [
        ("Agence Wire", 1, 1), ("Le Quotidien", 1, 2), ("Matin Express", 0, 2)
    ]


def test_outlets_in_json_csv_and_text(runner):
    report = json.loads(runner.invoke(main, ["scan", str(OUTLETS), "-q", "--format", "json"]).stdout)
    outlets = report["outlets"]
    assert outlets["copies"]["Agence Wire"] == {"Agence Wire": 0, "Le Quotidien": 1, "Matin Express": 1}
    assert outlets["originality"]["Le Quotidien"] == {"clustered": 2, "origins": 1, "share": 0.5}
    out = runner.invoke(main, ["scan", str(OUTLETS), "-q", "--format", "csv", "--table", "outlets"]).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["outlet", "Agence Wire", "Le Quotidien", "Matin Express", "clustered", "origins", "originality"]
    assert rows[1] == ["Agence Wire", "0", "1", "1", "1", "1", "1.0"]
    text = runner.invoke(main, ["scan", str(OUTLETS), "-q"]).stdout
    assert "Le Quotidien  1/2 (50%)" in text


def test_no_outlets_without_sources(seed_report):
    assert seed_report["outlets"] is None


def test_edges_csv(runner, seeds_dir):
    out = runner.invoke(main, ["scan", str(seeds_dir), "-q", "--format", "csv", "--table", "edges"]).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["relation"], r["source"], r["target"]) for r in rows] == [
        ("copy", SEED_ORIGINAL, SEED_TRIM), ("copy", SEED_ORIGINAL, SEED_REWRITE), ("siblings", SEED_TRIM, SEED_REWRITE)
    ]
    assert rows[0]["credits_removed"] == "1" and rows[1]["added"] == "6"


def test_text_report_states_provenance(runner, seeds_dir):
    out = runner.invoke(main, ["scan", str(seeds_dir), "-q"]).stdout
    assert f"origin: {SEED_ORIGINAL} is the origin" in out
    assert f"{SEED_ORIGINAL} -> {SEED_TRIM}" in out and f"{SEED_ORIGINAL} -> {SEED_REWRITE}" in out
    assert "credit removed: «à l'AFP» (AFP, told)" in out


# -- origin from evidence only ---------------------------------------------------------

URDU_DISPATCH = (
    "اسلام آباد ۔ یکم دسمبر ({credit}) وفاقی حکومت نے ملک بھر میں بجلی کے نرخوں میں کمی کا اعلان کر دیا ہے۔ "
    "وزیر توانائی نے پیر کو پریس کانفرنس میں بتایا کہ نئے نرخوں کا اطلاق اگلے ماہ سے ہوگا اور اس سے گھریلو "
    "صارفین کو ریلیف ملے گا۔ انہوں نے کہا کہ حکومت توانائی کے شعبے میں اصلاحات جاری رکھے گی اور گردشی قرضے "
    "میں کمی کے لیے اقدامات کیے جا رہے ہیں۔ صنعتی صارفین کے لیے بھی خصوصی پیکج کا اعلان جلد کیا جائے گا۔"
)
ENGLISH_STORY = (
    "The regional council approved a new budget for rural clinics on Tuesday after a long debate. "
    "Members voted to fund twelve new nursing posts and two mobile vaccination vans for remote villages. "
    "The council chair said the money would come from savings on road maintenance and a small tourism levy. "
    "Opposition members argued that the levy would hurt small hotels during the winter season."
)


def urdu_pair(agency_credit="اے پی پی", paper_credit="وقت نیوز", agency_date=None, paper_date=None):
    """An agency dispatch whose id sorts last, and a paper's copy whose id sorts first."""
    return [
        Document("zz-agency", URDU_DISPATCH.format(credit=agency_credit), published=agency_date),
        Document("aa-paper", URDU_DISPATCH.format(credit=paper_credit), published=paper_date),
    ]


def origin_of(documents):
    result = scan_documents(documents)
    assert len(result.clusters) == 1
    provenance = analyse(result)[0]
    origin = provenance.origin
    label = result.documents[origin.doc].doc_id if origin.doc is not None else None
    return result, provenance, label


def test_identical_copies_have_an_undetermined_origin():
    result, provenance, label = origin_of([Document("b", ENGLISH_STORY), Document("a", ENGLISH_STORY)])
    origin = provenance.origin
    assert label is None and origin.closest is None and origin.in_corpus is None
    assert origin.undetermined == "the members hold the same shared text and no date or credit separates them"
    assert sorted(result.documents[d].doc_id for d in origin.candidates) == ["a", "b"]
    assert provenance.edges == ()  # siblings, not source -> derived
    assert [(result.documents[s.first].doc_id, result.documents[s.second].doc_id) for s in provenance.siblings] == [("a", "b")]
    assert "does not tell which is the source" in provenance.siblings[0].reason
    assert {m.role for m in provenance.members} == {"candidate"}


def test_undetermined_origin_in_text_json_and_html(runner, tmp_path):
    path = write_jsonl(tmp_path / "tie.jsonl", [{"id": "b", "text": ENGLISH_STORY}, {"id": "a", "text": ENGLISH_STORY}])
    report = json.loads(runner.invoke(main, ["scan", str(path), "-q", "--format", "json"]).stdout)
    origin = report["clusters"][0]["provenance"]["origin"]
    assert origin["doc_id"] is None and origin["closest"] is None and origin["in_corpus"] is None
    assert origin["undetermined"].startswith("the members hold the same shared text")
    assert origin["candidates"] == ["a", "b"] and origin["confidence"] == 0.0
    assert report["clusters"][0]["provenance"]["edges"] == []
    text = runner.invoke(main, ["scan", str(path), "-q"]).stdout
    assert "origin: undetermined: the members hold the same shared text and no date or credit separates them" in text
    assert "copy edges: none" in text and "siblings: a ~ b" in text
    html = runner.invoke(main, ["scan", str(path), "-q", "--format", "html"]).stdout
    assert "<strong>Origin:</strong> undetermined: the members hold the same shared text" in html


def test_agency_credit_decides_between_one_passage_copies():
    result, provenance, label = origin_of(urdu_pair())
    assert label == "zz-agency" and provenance.origin.basis == "evidence"
    assert provenance.origin.agency == "APP"
    assert any("(اے پی پی)" in reason for reason in provenance.origin.reasons)
    assert [(result.documents[e.source].doc_id, result.documents[e.target].doc_id) for e in provenance.edges] == [
        ("zz-agency", "aa-paper")
    ]


def test_same_credit_and_no_dates_leave_the_origin_undetermined():
    _, provenance, label = origin_of(urdu_pair(paper_credit="اے پی پی"))
    assert label is None and provenance.origin.undetermined and provenance.edges == ()


def test_a_trim_of_two_tied_copies_derives_from_one_of_them():
    paragraphs = ENGLISH_STORY.replace(". ", ".\n\n").split("\n\n")
    full, trim = "\n\n".join(paragraphs), "\n\n".join(paragraphs[:2])
    result, provenance, label = origin_of([Document("x", full), Document("y", full), Document("t", trim)])
    assert label is None and sorted(result.documents[d].doc_id for d in provenance.origin.candidates) == ["x", "y"]
    roles = {result.documents[m.doc].doc_id: (m.role, m.parent) for m in provenance.members}
    assert roles == {"x": ("candidate", None), "y": ("candidate", None), "t": ("copy", None)}
    assert provenance.edges == ()
    reasons = {(result.documents[s.first].doc_id, result.documents[s.second].doc_id): s.reason for s in provenance.siblings}
    assert reasons[("t", "x")].startswith("t derives from one of x, y, which contain it equally")


DATED_PAIRS = [("01.12.14", "02.12.14"), ("Mon, 1 Dec 2014 09:00:00 +0500", "2014-12-02")]


@pytest.mark.parametrize("agency_date, paper_date", DATED_PAIRS)
def test_day_first_dates_decide(agency_date, paper_date):
    _, provenance, label = origin_of(urdu_pair(paper_credit="اے پی پی", agency_date=agency_date, paper_date=paper_date))
    assert label == "zz-agency" and provenance.origin.basis == "dates"
    assert provenance.origin.reasons[0].startswith(f"zz-agency was published first ({agency_date})")


def test_unread_dates_are_reported(runner, tmp_path):
    records = [{"id": d.doc_id, "text": d.text, "date": d.published} for d in urdu_pair(agency_date="31.09.14", paper_date="02.12.14")]
    path = write_jsonl(tmp_path / "dates.jsonl", records)
    args = ["scan", str(path), "-q", "--published-field", "date"]
    report = json.loads(runner.invoke(main, [*args, "--format", "json"]).stdout)
    assert report["unread_dates"] == {
        "count": 1,
        "examples": [{"doc_id": "zz-agency", "published": "31.09.14", "problem": "day is out of range for month"}],
    }
    reasons = report["clusters"][0]["provenance"]["origin"]["reasons"]
    assert "the date of zz-agency («31.09.14») could not be read: day is out of range for month" in reasons
    text = runner.invoke(main, args).stdout
    assert "dates not understood: 1 clustered document, e.g. «31.09.14» (zz-agency: day is out of range for month)" in text


def _outcome(documents, rename):
    """Clusters and origins of a scan, spelled with the original ids."""
    result = scan_documents(documents)
    back = {new: old for old, new in rename.items()}
    clusters, origins = set(), set()
    for cluster, provenance in zip(result.clusters, analyse(result)):
        members = frozenset(back[result.documents[m.index].doc_id] for m in cluster.members)
        origin = provenance.origin
        named = back[result.documents[origin.doc].doc_id] if origin.doc is not None else None
        closest = back[result.documents[origin.closest].doc_id] if origin.closest is not None else None
        tied = frozenset(back[result.documents[d].doc_id] for d in origin.candidates)
        edges = frozenset((back[result.documents[e.source].doc_id], back[result.documents[e.target].doc_id])
                          for e in provenance.edges)
        clusters.add(members)
        origins.add((members, named, closest, tied, origin.in_corpus, edges))
    return clusters, origins


def _corpus_documents(seeds_dir):
    seeds = [Document(p.name, p.read_text(encoding="utf-8")) for p in sorted(seeds_dir.iterdir())]
    generated = [Document(a.doc_id, a.text, source=a.source, published=a.published) for a in generate(60, seed=11)]
    tie = [Document("tie-1", ENGLISH_STORY), Document("tie-2", ENGLISH_STORY)]  # only ids could order these
    return seeds + generated + tie + urdu_pair(agency_date="01.12.14", paper_date="02.12.14")


def test_renaming_and_shuffling_ids_changes_no_cluster_or_origin(seeds_dir):
    documents = _corpus_documents(seeds_dir)
    identity = {d.doc_id: d.doc_id for d in documents}
    expected = _outcome(documents, identity)
    assert len(expected[0]) >= 5
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        rename = {d.doc_id: f"{rng.getrandbits(64):016x}" for d in documents}
        renamed = [dataclasses.replace(d, doc_id=rename[d.doc_id]) for d in documents]
        rng.shuffle(renamed)
        assert _outcome(renamed, rename) == expected


def _coverage_by_hand(cluster, inner, outer, shared_only):
    covered = total = 0
    for diff in cluster.members[inner].passages:
        if diff.status == "boilerplate" or (shared_only and diff.status != "shared"):
            continue
        size = diff.passage.end - diff.passage.start
        total += size
        covered += size if any(c.member == outer for c in diff.counterparts) else 0
    return covered, total


def _assert_coverage_counted_by_hand(cluster):
    table = PassageCoverage(cluster)
    count = len(cluster.members)
    for inner in range(count):
        for outer in range(count):
            for shared_only in (False, True):
                assert table.of(inner, outer, shared_only) == _coverage_by_hand(cluster, inner, outer, shared_only)
        covered = sum(_coverage_by_hand(cluster, o, inner, True)[0] for o in range(count) if o != inner)
        total = sum(_coverage_by_hand(cluster, o, inner, True)[1] for o in range(count) if o != inner)
        assert table.shared_in(inner) == (covered / total if total else 0.0)


@pytest.mark.parametrize("table_cells", [coverage.COVERAGE_TABLE_CELLS, 0], ids=["table of every pair", "pairs found"])
def test_coverage_of_counterparts_in_any_order_and_repeated_is_counted_by_hand(monkeypatch, table_cells):
    # a passage may have counterparts in one member twice (two of its windows), and in any order
    monkeypatch.setattr(coverage, "COVERAGE_TABLE_CELLS", table_cells)

    def diff(start, end, status, *members):
        counterparts = tuple(Counterpart(m, (k,), 0.9, "verbatim") for k, m in enumerate(members))
        return PassageDiff(Passage(start, end, "body"), status, counterparts)

    members = (
        Member(0, None, (diff(0, 10, "shared", 2, 1, 2), diff(10, 15, "boilerplate", 1), diff(15, 40, "unique"))),
        Member(1, None, (diff(0, 7, "shared", 0), diff(7, 20, "shared", 2, 0, 0, 2))),
        Member(2, None, (diff(0, 30, "unique", 1), diff(30, 31, "shared", 1, 0))),
    )
    _assert_coverage_counted_by_hand(Cluster("c", members, ()))
    assert PassageCoverage(Cluster("c", members, ())).of(1, 0) == (20, 20)


@pytest.mark.parametrize("table_cells", [coverage.COVERAGE_TABLE_CELLS, 0], ids=["table of every pair", "pairs found"])
def test_the_coverage_table_gives_each_pairs_coverage_counted_by_hand(monkeypatch, table_cells):
    monkeypatch.setattr(coverage, "COVERAGE_TABLE_CELLS", table_cells)
    result = scan_documents([Document(a.doc_id, a.text) for a in generate(400, seed=4)])
    clusters = sorted(result.clusters, key=lambda c: -len(c.members))[:5]
    assert len(clusters[0].members) >= 4
    for cluster in clusters:
        _assert_coverage_counted_by_hand(cluster)
