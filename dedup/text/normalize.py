"""News-aware text normalisation.

:func:`normalize_text` is one pure function. Its steps run in this order:

1. Unicode NFKC (folds compatibility forms; non-breaking and narrow spaces become spaces);
2. typographic quotes ``« » “ ” „ ‟ ‹ ›`` and the CJK corner brackets ``「 」`` become
   ``"`` (with the inner space of French guillemets), apostrophes ``’ ‘ ‚ ʼ ′ ´ ``` ``
   become ``'``, and dashes ``‐ ‑ ‒ – — ― −`` become ``-``;
3. case folding (``str.casefold``, so ``ß`` and ``ss`` compare equal);
4. optional marks are removed: the Arabic short vowels, tanween, shadda, sukun and
   superscript alef, the tatweel that stretches letters, and the Hebrew vowel points and
   cantillation marks, which sites write or leave out at will (``أيضاً`` and ``أيضا``,
   ``اعلیٰ`` and ``اعلی`` compare equal); NFKC runs again where a mark went;
5. letter variants that keyboards and sites mix are folded: in Arabic script, the Arabic
   and Persian/Urdu forms of yeh (and alef maksura) and of kaf, heh goal and heh, teh
   marbuta and heh, and alef with hamza or madda and plain alef (``كتاب`` and ``کتاب``,
   ``إعلان`` and ``اعلان`` compare equal), the folds of search engines' Arabic and Persian
   normalisers; and every decimal digit becomes its ASCII digit (``٢٠٢٤``, ``۲۰۲۴``,
   ``२०२४`` and ``2024`` compare equal), since one site writes the figures of a dispatch
   in its script's digits and the next in ASCII;
6. every run of whitespace becomes one space, and the ends are stripped.

Each step is idempotent and none undoes another, so normalising twice changes nothing.
Boilerplate and metadata are handled per line by :mod:`dedup.text.boilerplate`, before this.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from dedup.text.scripts import characters_of_category, tokens

_QUOTES = "«»“”„‟‹›〝〞＂「」"
_APOSTROPHES = "’‘‚‛ʼ′´`"
_DASHES = "‐‑‒–—―−"
# Arabic harakat (not the hamza and madda above and below, which make letters), the
# superscript alef, Quranic annotation marks and tatweel; Hebrew points and accents.
_MARK_CLASS = "[\u064b-\u0652\u0656-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]"
# "[...][...]*" rather than "[...]+": the same matches, but a pattern that opens with a plain
# class lets the regex engine skip to the next mark instead of trying every character.
_OPTIONAL_MARKS = re.compile(_MARK_CLASS + _MARK_CLASS + "*")

# Letter variants (step 5): Arabic yeh, alef maksura and Persian/Urdu yeh; Arabic kaf and
# keheh; heh goal and heh; teh marbuta and heh; alef with hamza above or below, with madda,
# and alef wasla, and plain alef.
_LETTER_VARIANTS = {
    "\u06cc": "\u064a", "\u0649": "\u064a", "\u06a9": "\u0643", "\u06c1": "\u0647", "\u0629": "\u0647",
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
}
# Every decimal digit above U+00FF (Arabic-Indic, Persian, Devanagari, Bengali, Thai,
# fullwidth...) and its ASCII digit; NFKC folds only the fullwidth ones.
_VARIANT_TABLE = str.maketrans(
    {
        **_LETTER_VARIANTS,
        **{digit: str(unicodedata.decimal(digit)) for digit in characters_of_category("Nd", 0x100)},
    }
)
_COMBINING_HAMZA = re.compile("[\u0653-\u0655]")
_VARIANT_SOURCES = re.compile("[" + "".join(sorted(map(chr, _VARIANT_TABLE))) + "]")
# Whether a text holds one is asked of the set of its characters: the regex above tests
# its hundreds of characters one by one at every position, twenty times slower.
_VARIANT_SOURCE_SET = frozenset(map(chr, _VARIANT_TABLE))

# Characters that steps 4 and 5 remove or replace: text without any of them normalises the
# same with or without those steps.
FOLDED_CHARACTERS = re.compile("[" + _MARK_CLASS[1:-1] + _VARIANT_SOURCES.pattern[1:-1] + "\u0653-\u0655]")

# (character, replacement) pairs; chained str.replace is several times faster than
# str.translate with a dict on typical article lengths.
# French guillemets carry an inner space ("« mot »"); it goes with them.
_FOLDS = (("« ", '"'), (" »", '"')) + tuple((c, '"') for c in _QUOTES) + tuple((c, "'") for c in _APOSTROPHES) + tuple((c, "-") for c in _DASHES)


@dataclass(frozen=True)
class NormalizeConfig:
    """Switches for :func:`normalize_text`. The defaults are what fingerprints use."""

    unicode_nfkc: bool = True
    fold_punctuation: bool = True
    casefold: bool = True
    strip_optional_marks: bool = True
    fold_letter_variants: bool = True
    collapse_whitespace: bool = True

    def describe(self) -> dict[str, bool]:
        return {
            "unicode_nfkc": self.unicode_nfkc,
            "fold_punctuation": self.fold_punctuation,
            "casefold": self.casefold,
            "strip_optional_marks": self.strip_optional_marks,
            "fold_letter_variants": self.fold_letter_variants,
            "collapse_whitespace": self.collapse_whitespace,
        }


DEFAULT_NORMALIZE = NormalizeConfig()


def fold_punctuation(text: str) -> str:
    """Fold typographic quotes, apostrophes and dashes to their ASCII forms."""
    for char, replacement in _FOLDS:
        if char in text:
            text = text.replace(char, replacement)
    return text


def normalize_text(text: str, config: NormalizeConfig = DEFAULT_NORMALIZE) -> str:
    """Return the normalised form of ``text``.

    >>> normalize_text("« Cesser  toute\\u00a0instrumentalisation » — l’AFP")
    '"cesser toute instrumentalisation" - l\\'afp'
    """
    if config.unicode_nfkc:
        text = unicodedata.normalize("NFKC", text)
    if config.fold_punctuation:
        text = fold_punctuation(text)
    if config.casefold:
        # casefold can produce sequences NFKC would recompose differently; a second
        # NFKC keeps the function idempotent.
        text = text.casefold()
        if config.unicode_nfkc:
            text = unicodedata.normalize("NFKC", text)
    if (config.strip_optional_marks or config.fold_letter_variants) and _beyond_latin1(text):
        if config.strip_optional_marks:
            stripped = _OPTIONAL_MARKS.sub("", text)
            if stripped != text:
                text = unicodedata.normalize("NFKC", stripped) if config.unicode_nfkc else stripped
        if config.fold_letter_variants and not _VARIANT_SOURCE_SET.isdisjoint(set(text)):
            text = text.translate(_VARIANT_TABLE)
            while config.unicode_nfkc and _COMBINING_HAMZA.search(text):
                # a folded letter may now compose with a hamza or madda after it (yeh +
                # hamza above is yeh with hamza): compose, then fold what that made, until
                # nothing composes (each round consumes a mark, so this ends)
                composed = unicodedata.normalize("NFKC", text)
                if composed == text:
                    break
                text = composed.translate(_VARIANT_TABLE)
    if config.collapse_whitespace:
        text = _collapse_whitespace(text)
    return text


def _collapse_whitespace(text: str) -> str:
    """``" ".join(text.split())``: runs of whitespace become one space, none at the ends.

    Most normalised text already has single spaces only, and two scans in C tell so for
    far less than splitting it into words: every whitespace character but the space is
    non-printable, and NUL (normalize_many's separator) is no whitespace.
    """
    if text[:1] != " " and text[-1:] != " " and "  " not in text and text.replace(_SEPARATOR, "").isprintable():
        return text
    return " ".join(text.split())


def _beyond_latin1(text: str) -> bool:
    """Whether ``text`` holds a character above U+00FF (encoding stops at the first one).

    Every optional mark lies above it, and this test costs far less than the regex.
    """
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return True
    return False


_SEPARATOR = "\0"


def normalize_many(texts: Sequence[str], config: NormalizeConfig = DEFAULT_NORMALIZE) -> list[str]:
    """``[normalize_text(t, config) for t in texts]``, in one pass over the joined texts.

    The texts are joined with NUL, which no step changes, merges with a neighbour or
    treats as whitespace, so cutting the result at NUL gives each text's own normal form;
    a call per text costs several times more on the short lines and sentences of an
    article. Texts that hold a NUL themselves are normalised one by one.
    """
    if not texts:
        return []
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:
        return [normalize_text(t, config) for t in texts]
    pieces = normalize_text(joined, config).split(_SEPARATOR)
    if config.collapse_whitespace:
        # the collapsed run around a separator leaves one space at a piece's end
        pieces = [p.strip(" ") for p in pieces]
    return pieces


def words(normalized: str) -> list[str]:
    """Split normalised text into word tokens (:func:`dedup.text.scripts.tokens`).

    Words are runs of letters, marks and digits; apostrophes and hyphens separate them, so
    "l'attentat" gives "l", "attentat" whichever apostrophe the site used. A letter of a
    script written without spaces (Chinese, Japanese, Thai...) is a word of its own, so
    mixed-script text gives words where words are spaced and letters where they are not.

    >>> words("l'attentat à 北京 हिन्दी")
    ['l', 'attentat', 'à', '北', '京', 'हिन्दी']
    """
    return tokens(normalized)


# A quoted span never crosses a line or a NUL (the separator of normalize_many's pieces).
_QUOTED = re.compile(r'"[^"\n\0]{1,600}"')


def quoted_share(normalized: str) -> float:
    """Share of characters of ``normalized`` that sit inside double quotes.

    Independent articles about one event quote the same statements, so quoted text is
    weak evidence of copying; the pair decision discounts it.
    """
    if not normalized:
        return 0.0
    inside = sum(m.end() - m.start() for m in _QUOTED.finditer(normalized))
    return inside / len(normalized)


def strip_quoted(normalized: str) -> str:
    """Replace quoted spans by a line break so that no shingle spans across them."""
    return _QUOTED.sub("\n", normalized)


def strip_quoted_many(normalized: Sequence[str]) -> list[str]:
    """``[strip_quoted(t) for t in normalized]``, in one pass over the joined texts."""
    joined = _SEPARATOR.join(normalized)
    if not normalized or joined.count(_SEPARATOR) != len(normalized) - 1:
        return [strip_quoted(t) for t in normalized]
    return strip_quoted(joined).split(_SEPARATOR)
