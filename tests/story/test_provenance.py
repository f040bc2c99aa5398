"""Provenance: origin, copy edges, credits, quotes, siblings and the outlet view."""

import csv
import io
import json
from pathlib import Path

import pytest

from dedup.cli import main
from dedup.document import Document
from dedup.pipeline import scan, scan_documents
from dedup.story.provenance import analyse, changed_quotes, date_interval, outlet_view
from dedup.text.credits import find_credits, find_dateline, find_quotes
from tests.conftest import SEED_ORIGINAL, SEED_REWRITE, SEED_TRIM

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


def test_date_interval_precision():
    month, day = date_interval("2024-04"), date_interval("2024-04-03")
    assert month[0] <= day[0] and day[1] <= month[1]
    assert date_interval("Wed, 03 Apr 2024 10:00:00 +0200")[0].hour == 8
    assert date_interval("not a date") is None and date_interval(None) is None


@pytest.mark.parametrize(
    "text, agency, kind",
    [("PARIS (AFP) - Le ministre", "AFP", "dateline"), ("a-t-il dit à l'AFP.", "AFP", "told"),
     ("By The Associated Press\nWASHINGTON", "AP", "byline"), ("He left. — Reuters", "Reuters", "byline"),
     ("Le texte (avec AFP)", "AFP", "with"), ("told Reuters on Monday", "Reuters", "told"),
     ("BERLIN (dpa) - Die", "dpa", "dateline"), ("ha detto all'ANSA", "ANSA", "told"),
     ("según dijo a EFE", "EFE", "told"), ("Source: Belga", "Belga", "with")],
)
def test_credit_forms(text, agency, kind):
    assert [(c.agency, c.kind) for c in find_credits(text)] == [(agency, kind)]


def test_no_credit_in_plain_words():
    assert find_credits("The map showed a rapid approach, apparently.") == []


def test_dateline_and_quotes():
    dateline = find_dateline("MOSCOU, 3 avril (AFP) - Le ministre")
    assert (dateline.place, dateline.agency) == ("MOSCOU", "AFP")
    quotes = find_quotes("Il a dit « nous sommes prêts à parler » et \"rien de plus ici\".")
    assert [q.text for q in quotes] == ["nous sommes prêts à parler", "rien de plus ici"]
    assert changed_quotes("« nous sommes prêts à parler »", "« nous sommes prêts à parler »") == []
    assert len(changed_quotes("« nous sommes prêts à parler »", "« nous sommes tout à fait prêts à parler »")) == 1


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
    rows = list(csv.reader(io.StringIO(out.split("\n", 1)[1])))
    assert rows[0] == ["outlet", "Agence Wire", "Le Quotidien", "Matin Express", "clustered", "origins", "originality"]
    assert rows[1] == ["Agence Wire", "0", "1", "1", "1", "1", "1.0"]
    text = runner.invoke(main, ["scan", str(OUTLETS), "-q"]).stdout
    assert "Le Quotidien  1/2 (50%)" in text


def test_no_outlets_without_sources(seed_report):
    assert seed_report["outlets"] is None


def test_edges_csv(runner, seeds_dir):
    out = runner.invoke(main, ["scan", str(seeds_dir), "-q", "--format", "csv", "--table", "edges"]).stdout
    rows = list(csv.DictReader(io.StringIO(out.split("\n", 1)[1])))
    assert [(r["relation"], r["source"], r["target"]) for r in rows] == [
        ("copy", SEED_ORIGINAL, SEED_TRIM), ("copy", SEED_ORIGINAL, SEED_REWRITE), ("siblings", SEED_TRIM, SEED_REWRITE)
    ]
    assert rows[0]["credits_removed"] == "1" and rows[1]["added"] == "6"


def test_text_report_states_provenance(runner, seeds_dir):
    out = runner.invoke(main, ["scan", str(seeds_dir), "-q"]).stdout
    assert f"origin: {SEED_ORIGINAL} is the origin" in out
    assert f"{SEED_ORIGINAL} -> {SEED_TRIM}" in out and f"{SEED_ORIGINAL} -> {SEED_REWRITE}" in out
    assert "credit removed: «à l'AFP» (AFP, told)" in out
