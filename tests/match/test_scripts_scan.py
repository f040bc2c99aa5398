"""Default scans group copies of one article in Urdu, Hindi, Chinese and Japanese, and not the independent report."""

import json
from pathlib import Path

import pytest

from dedup.document import Document
from dedup.pipeline import scan, scan_documents

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
LANGUAGES = ("ur", "hi", "zh", "ja")


def groups(result) -> set[frozenset[str]]:
    return {frozenset(result.documents[m.index].doc_id for m in c.members) for c in result.clusters}


@pytest.mark.parametrize("language", LANGUAGES)
def test_copies_group_and_the_independent_report_stays_apart(language):
    result = scan([FIXTURES / f"{language}.jsonl"])
    copies = frozenset(f"{language}-{name}" for name in ("agency", "copy", "trimmed"))
    assert groups(result) == {copies}
    pairs = {(result.documents[s.first].doc_id, result.documents[s.second].doc_id): s for s in result.pairs}
    for (first, second), score in pairs.items():
        if f"{language}-independent" in (first, second):
            assert not score.same_story and score.containment < 0.05
    # the trimmed copy is nearly contained in the agency article, passage by passage
    trimmed = next(s for key, s in pairs.items() if set(key) == {f"{language}-agency", f"{language}-trimmed"})
    assert trimmed.containment > 0.9 and trimmed.shared_passages >= 4


def test_every_language_in_one_scan_gives_one_cluster_each():
    result = scan([FIXTURES / f"{language}.jsonl" for language in LANGUAGES])
    assert groups(result) == {frozenset(f"{lang}-{name}" for name in ("agency", "copy", "trimmed")) for lang in LANGUAGES}


def test_mixed_script_documents_match_on_each_run_of_text():
    """A Chinese dispatch quoted inside an English page is found, whatever the page adds."""
    chinese = [json.loads(line) for line in (FIXTURES / "zh.jsonl").read_text(encoding="utf-8").splitlines()]
    agency = chinese[0]["text"]
    page = "World news in brief.\n\nThe Xinhua report, in full:\n\n" + agency + "\n\nTranslated excerpts follow tomorrow."
    result = scan_documents([Document("agency", agency), Document("page", page), Document("other", chinese[3]["text"])])
    assert groups(result) == {frozenset({"agency", "page"})}


def test_an_urdu_copy_typed_with_arabic_letter_forms_and_other_digits_is_the_same_text():
    """One site types Urdu with an Arabic keyboard (ي ك ه) and Urdu digits; the words still match."""
    docs = [json.loads(line) for line in (FIXTURES / "ur.jsonl").read_text(encoding="utf-8").splitlines()]
    agency = next(d for d in docs if d["id"] == "ur-agency")
    retyped = agency["text"].translate(str.maketrans("یکہ0123456789", "يكه۰۱۲۳۴۵۶۷۸۹"))
    changed = sum(a != b for a, b in zip(agency["text"].split(), retyped.split()))
    assert changed > len(agency["text"].split()) / 2  # most words are spelt differently
    result = scan_documents([Document("a", agency["text"]), Document("b", retyped)])
    (score,) = result.pairs
    assert score.same_story and score.containment == 1.0


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_dispatch_republished_past_the_bucket_limit_is_one_cluster(language):
    """Thirty sites republish the agency article, each with a line of its own: every band's
    bucket then holds more documents than ``max_bucket`` (10 here, 200 by default), and the
    copies are still paired and grouped, with the trimmed copy; the independent report is not."""
    from dedup.match.lsh import LSHConfig
    from dedup.story.result import ScanConfig

    docs = {d["id"]: d for d in map(json.loads, (FIXTURES / f"{language}.jsonl").read_text(encoding="utf-8").splitlines())}
    agency = docs[f"{language}-agency"]["text"]
    sites = [Document(f"site-{k:02d}", f"{agency}\n\nsite {k} · {k * 7919 % 1000} · edition {k % 4}") for k in range(30)]
    kept = [Document(name, docs[name]["text"]) for name in (f"{language}-agency", f"{language}-trimmed", f"{language}-independent")]
    result = scan_documents(sites + kept, ScanConfig(lsh=LSHConfig(max_bucket=10)))
    everyone = frozenset(d.doc_id for d in sites) | {f"{language}-agency", f"{language}-trimmed"}
    assert groups(result) == {everyone}
    assert result.stats["oversized_buckets"] == 0
