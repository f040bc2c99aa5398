from hypothesis import given
from hypothesis import strategies as st

from dedup.text.normalize import (
    normalize_many,
    normalize_text,
    quoted_share,
    strip_quoted,
    strip_quoted_many,
)


def test_typography_is_folded():
    assert normalize_text("« Cesser  toute\u00a0instrumentalisation » — l’AFP") == '"cesser toute instrumentalisation" - l\'afp'
    assert normalize_text("“Quote” ‘x’ „y“ a\u2013b a\u2014b") == "\"quote\" 'x' \"y\" a-b a-b"


def test_straight_and_typographic_versions_agree():
    assert normalize_text("l’Initiative d’Istanbul") == normalize_text("l'Initiative d'Istanbul")
    assert normalize_text("« disposés à dialoguer »") == normalize_text('"disposés à dialoguer"')


def test_nfkc_and_case():
    assert normalize_text("ﬁnale ÉTÉ\u202fStraße") == "finale été strasse"


def test_quotes_are_measured_and_stripped():
    text = normalize_text("Il a dit « cesser toute instrumentalisation » hier.")
    assert 0.3 < quoted_share(text) < 0.8
    assert "instrumentalisation" not in strip_quoted(text)
    assert strip_quoted(text).startswith("il a dit")


@given(st.text())
def test_normalisation_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


_PIECE = st.text(alphabet=st.sampled_from(list("ab é\u0301\u00a0«»’—\n\tßİ\u2009\"") + ["\0", "ﬁ"]), max_size=12)


@given(st.lists(_PIECE, max_size=6))
def test_normalize_many_equals_one_call_per_text(texts):
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


@given(st.lists(_PIECE, max_size=6))
def test_strip_quoted_many_equals_one_call_per_text(texts):
    normalized = normalize_many(texts)
    assert strip_quoted_many(normalized) == [strip_quoted(t) for t in normalized]
