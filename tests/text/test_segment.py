import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate
from dedup.text.boilerplate import BoilerplateRules, split_leading_metadata
from dedup.text.segment import (
    segment,
    sentence_units,
    split_sentences,
    split_sentences_within,
)
from tests.conftest import SEED_ORIGINAL, SEED_TRIM, SEEDS


def passages(text):
    return [(p.kind, text[p.start : p.end]) for p in segment(text).passages]


def test_glued_paragraphs_are_recovered():
    text = (SEEDS / SEED_ORIGINAL).read_text(encoding="utf-8")
    found = [t for _, t in passages(text)]
    assert any(t.startswith("Cet échange, sollicité par Paris") and t.endswith("(EI).") for t in found)
    assert any(t.startswith("Des dissensions sur la nature") for t in found)
    assert any(t.startswith("Concernant l'attentat de Moscou") for t in found)
    assert ("heading", "Entretien rare") in passages(text)
    # "M. Lecornu" keeps its abbreviation and the quoted sentence keeps its opening quote
    assert any(t.startswith("M. Lecornu avait plus tôt") for t in found)
    assert any(t.startswith('"Nous avons proposé') for t in found)


def test_offsets_point_into_the_original_text():
    text = (SEEDS / SEED_ORIGINAL).read_text(encoding="utf-8")
    seg = segment(text)
    for p in seg.passages:
        assert text[p.start : p.end].strip() == text[p.start : p.end]
        assert p.end > p.start
    starts = [p.start for p in seg.passages]
    assert starts == sorted(starts)


def test_leading_metadata_is_not_text():
    text = (SEEDS / SEED_ORIGINAL).read_text(encoding="utf-8")
    seg = segment(text)
    assert dict(seg.metadata) == {"date": "2024-04"}
    assert not any("2024-04" in text[p.start : p.end] for p in seg.passages)
    meta, offset = split_leading_metadata("Published: 3 April 2024\nBody text.")
    assert meta == {"published": "3 April 2024"}


def test_boilerplate_lines_are_labelled():
    text = (SEEDS / SEED_TRIM).read_text(encoding="utf-8")
    kinds = dict((t, k) for k, t in passages(text))
    assert kinds["Crédit: Lien source"] == "boilerplate"
    assert kinds["Les commentaires sont fermés."] == "boilerplate"
    assert kinds["« Cesser toute instrumentalisation »"] == "heading"


@pytest.mark.parametrize(
    "line",
    ["Share this article", "Partager sur Facebook", "Abonnez-vous à notre newsletter", "© 2024 Le Journal",
     "All rights reserved.", "Lire aussi : la réforme", "Comments are closed."],
)
def test_builtin_boilerplate(line):
    assert BoilerplateRules().is_boilerplate(line)


def test_real_sentences_are_not_boilerplate():
    rules = BoilerplateRules()
    assert not rules.is_boilerplate("Le ministre a partagé son analyse avec les députés mercredi.")
    assert not rules.is_boilerplate("The company said it would share the data with regulators next week.")


def test_user_patterns_extend_the_list():
    rules = BoilerplateRules(extra=(r"publié par .*",))
    assert rules.is_boilerplate("Publié par la rédaction")
    assert not BoilerplateRules().is_boilerplate("Publié par la rédaction")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("M. Lecornu a parlé. Il a-t-il dit.", ["M. Lecornu a parlé.", "Il a-t-il dit."]),
        ("Le taux est de 6.1 pour cent. Fin.", ["Le taux est de 6.1 pour cent.", "Fin."]),
        ("The U.S. Army left. J.K. Rowling wrote.", ["The U.S. Army left.", "J.K. Rowling wrote."]),
        ("Voir https://Example.com/A.B et www.Site.Fr/X.Y maintenant.Puis fin.",
         ["Voir https://Example.com/A.B et www.Site.Fr/X.Y maintenant.", "Puis fin."]),
        ("revendiqué (EI).Des dissensions sont nées.", ["revendiqué (EI).", "Des dissensions sont nées."]),
    ],
)
def test_sentence_splitting(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_single_paragraph_is_split_into_sentences():
    text = "Premier fait important. Deuxième fait notable. Troisième fait final."
    assert [t for _, t in passages(text)] == ["Premier fait important.", "Deuxième fait notable.", "Troisième fait final."]


def test_glued_stops_are_recovered_in_cyrillic_and_greek():
    text = "Шойгу заявил об этом.Министр добавил. Η συνάντηση έγινε.Ο υπουργός είπε."
    assert len(split_sentences(text)) == 4


def units_by_segmentation(text, rules=BoilerplateRules()):
    """What sentence_units promises: the sentences of segment()'s text passages."""
    passages = segment(text, rules).passages
    return split_sentences_within(text, [(p.start, p.end) for p in passages if p.kind == "text"])


def test_sentence_units_are_the_sentences_of_the_text_passages_on_seeds_and_fixtures(independent_dir):
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    texts += [path.read_text(encoding="utf-8") for path in sorted(independent_dir.glob("*.txt"))]
    texts += [article.text for article in generate(400, seed=11)]
    assert all(units_by_segmentation(text) for text in texts)
    for text in texts:
        assert sentence_units(text) == units_by_segmentation(text)


# Characters that drive segmentation: stops, quotes, dashes, capitals of three scripts,
# abbreviations, URL and e-mail markers, metadata keys, boilerplate words and line breaks.
_PIECES = [
    ".", "!", "?", "…", "»", "«", "\"", "'", "”", "“", "’", ")", "(", "]", "-", " - ", " ", "  ", "\t", "\n", "\n\n",
    "Le", "La", "Élysée", "Путин", "Αθήνα", "de", "a", "M.", "U.S.", "J.K.", "6.1", "a-t-il", "www.", "x.fr/a",
    "@", "/", "date 2024-04 ", "Publié: 3 avril\n", "Partager", "Crédit: AFP", "Entretien rare", "mot", "AFP",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_sentence_units_match_segmentation_on_any_text(text):
    assert sentence_units(text) == units_by_segmentation(text)


# The pieces above without URL or e-mail markers, and a few from other scripts: texts whose
# glued stops segment() finds in one scan of the body.
_PLAIN_PIECES = [p for p in _PIECES if not any(m in p for m in ("/", "@", "www."))] + [
    "-Le", ".-", "» -", ".Des", "کیا.اس", "۔", "भारत।", "中国。", "\u3000",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_PIECES), max_size=60).map("".join))
def test_one_scan_of_the_body_segments_as_line_by_line(text):
    """segment() of a text without URLs scans its body once for glued stops, and cuts only
    the lines holding one (or a dash): the passages of cutting every line on its own."""
    import dedup.text.segment as module

    rules = BoilerplateRules(extra=(r"mot.*",))
    fast = [segment(text), segment(text, rules)]
    with pytest.MonkeyPatch.context() as patch:  # as with a URL somewhere: line by line
        patch.setattr(module, "_url_markers", lambda *_: True)
        assert [segment(text), segment(text, rules)] == fast


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_sentence_units_follow_user_boilerplate_rules(text):
    rules = BoilerplateRules(extra=(r"mot.*", r"le .*"))
    assert sentence_units(text, rules) == units_by_segmentation(text, rules)
