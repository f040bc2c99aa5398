import pytest

from dedup.boilerplate import BoilerplateRules, split_leading_metadata
from dedup.segment import segment, split_sentences
from tests.conftest import SEEDS, SEED_ORIGINAL, SEED_TRIM


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
