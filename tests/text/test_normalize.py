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


def test_arabic_script_letter_variants_compare_equal():
    # Arabic and Persian/Urdu keyboards type yeh and kaf differently; alef with hamza is
    # written or left plain; heh goal and heh, teh marbuta and heh
    assert normalize_text("كتاب علي") == normalize_text("کتاب علی")
    assert normalize_text("إعلان أمس آخر") == normalize_text("اعلان امس اخر")
    assert normalize_text("وزارة") == normalize_text("وزاره")
    assert normalize_text("کہا") == normalize_text("کها")
    # yeh barree and heh doachashmee are letters of their own in Urdu
    assert normalize_text("ے") != normalize_text("ی") and normalize_text("ھ") != normalize_text("ہ")
    # Latin text is untouched by the fold
    assert normalize_text("Kitab Ali 2024") == "kitab ali 2024"


def test_decimal_digits_of_every_script_become_ascii():
    assert normalize_text("٢٠٢٤ ۲۰۲۴ २०२४ ২০২৪ ๒๐๒๔ ２０２４") == "2024 2024 2024 2024 2024 2024"
    # the same figures in a dispatch and in its copy, one in Urdu digits
    assert normalize_text("۱۵ افراد ہلاک") == normalize_text("15 افراد ہلاک")


_ARABIC = st.text(
    alphabet=st.sampled_from(list("\u06cc\u064a\u0649\u0654\u0653\u0655\u0627\u0623\u06c1\u0647\u0629\u06a9\u0643 \u0626\u06c2\u064b\u0670\u0661\u06f5a")),
    max_size=10,
)


@given(_ARABIC)
def test_folding_is_idempotent_where_marks_compose(text):
    # a folded letter followed by a hamza composes anew: the fold runs until nothing does
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_folded_characters_name_the_marks_and_variants_the_steps_act_on():
    from dedup.text.normalize import FOLDED_CHARACTERS

    for char in "\u064b\u0652\u0670\u0640\u05b4\u06cc\u0649\u06a9\u06c1\u0629\u0623\u0625\u0622\u0654\u0663\u06f3\u0969":
        assert FOLDED_CHARACTERS.search(char), hex(ord(char))
        assert normalize_text(f"\u0628{char}\u0628") != f"\u0628{char}\u0628" or char == "\u0654"
    assert not FOLDED_CHARACTERS.search("abc é ’ \u0628\u0643\u064a\u0647\u0627 3")
