from hypothesis import given, strategies as st

from dedup.normalize import normalize_text, quoted_share, strip_quoted


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
