"""What tokenising and segmenting need to know about writing systems, from Unicode data.

Every character falls in one class (:data:`SEPARATOR`, :data:`WORD`, :data:`SPACELESS`,
:data:`MARK`), taken from its Unicode general category and, for the scripts written
without spaces between words, from its block:

* letters (``L*``), numbers (``N*``), ``_`` and the zero-width (non-)joiners are word
  characters, as are combining marks (``M*``), so ``हिन्दी`` and ``كَتَبَ`` stay whole words
  (Python's ``\\w`` stops at every mark);
* letters of Han, Hiragana, Katakana, Bopomofo, Yi, Thai, Lao, Khmer, Myanmar, the Tai
  scripts, Balinese and Javanese are *spaceless*: those scripts put no spaces between
  words, so each such letter, with the marks that follow it, is a token of its own;
* everything else (spaces, punctuation, symbols) separates tokens.

Sentence ends are Unicode's ``Sentence_Terminal`` characters (``۔ ؟ । ॥ 。 ！ ？ ። ፧ ։ ။ ។``
and the rest) plus the Tibetan shad and the Arabic semicolon, which end passages in
practice; the ONE DOT LEADER and the Myanmar little section (a comma in use) are left out.
The tables are built once per process from :mod:`unicodedata` (planes 0 and 1; planes 2
and 3 hold only CJK ideographs).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

SEPARATOR, WORD, BREAK, SPACELESS, MARK = 0, 1, 2, 3, 4

# Blocks of the scripts written without spaces between words (letters only count).
_SPACELESS_BLOCKS = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x1950, 0x19FF),  # Tai Le, New Tai Lue, Khmer symbols
    (0x1A20, 0x1AAF),  # Tai Tham
    (0x1B00, 0x1B7F),  # Balinese
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x303C),  # kana repeat marks, 〻 〼
    (0x3040, 0x31FF),  # Hiragana, Katakana, Bopomofo, Kanbun, Katakana extensions (not Hangul 3130-318F)
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA000, 0xA4CF),  # Yi
    (0xA980, 0xA9FF),  # Javanese, Myanmar extension B
    (0xAA60, 0xAADF),  # Myanmar extension A, Tai Viet
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x16FE0, 0x16FFF),  # ideographic symbols
    (0x17000, 0x18D8F),  # Tangut, Khitan
    (0x1B000, 0x1B2FF),  # Kana supplement and extensions, Nushu
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
_HANGUL_COMPATIBILITY = (0x3130, 0x318F)  # Korean is written with spaces

# Unicode Sentence_Terminal (PropList.txt), basic multilingual plane and plane 1.
_STERM = (
    "\u0021\u002e\u003f\u0589\u061d\u061e\u061f\u06d4\u0700\u0701\u0702\u07f9\u0837\u0839\u083d\u083e"
    "\u0964\u0965\u104a\u104b\u1362\u1367\u1368\u166e\u1735\u1736\u17d4\u17d5\u1803\u1809\u1944\u1945"
    "\u1aa8\u1aa9\u1aaa\u1aab\u1b4e\u1b4f\u1b5a\u1b5b\u1b5e\u1b5f\u1b7d\u1b7e\u1b7f\u1c3b\u1c3c\u1c7e"
    "\u1c7f\u2024\u203c\u203d\u2047\u2048\u2049\u2cf9\u2cfa\u2cfb\u2e2e\u2e3c\u2e53\u2e54\u3002\ua4ff"
    "\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f\uaaf0\uaaf1"
    "\uabeb\ufe12\ufe15\ufe16\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\uff61"
    "\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59\U00010f86\U00010f87"
    "\U00010f88\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0\U000110c1\U00011141"
    "\U00011142\U00011143\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239"
    "\U0001123b\U0001123c\U000112a9\U000113d4\U000113d5\U0001144b\U0001144c\U000115c2\U000115c3"
    "\U000115c9\U000115ca\U000115cb\U000115cc\U000115cd\U000115ce\U000115cf\U000115d0\U000115d1"
    "\U000115d2\U000115d3\U000115d4\U000115d5\U000115d6\U000115d7\U00011641\U00011642\U0001173c"
    "\U0001173d\U0001173e\U00011944\U00011946\U00011a42\U00011a43\U00011a9b\U00011a9c\U00011c41"
    "\U00011c42\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5\U00016b37"
    "\U00016b38\U00016b44\U00016d6e\U00016d6f\U00016e98\U0001bc9f\U0001da88"
)
STERM_ADDED = "\u061b\u0f0d\u0f0e\u0f0f\u0f10\u0f11\u0f14"  # ؛ and the Tibetan shads
STERM_LEFT_OUT = "\u2024\u104a"  # ONE DOT LEADER, MYANMAR SIGN LITTLE SECTION
SENTENCE_TERMINALS = "".join(c for c in _STERM if c not in STERM_LEFT_OUT) + STERM_ADDED
# Stops that also abbreviate and mark decimals in cased scripts: these need the old
# tests (a capital, or a letter of a caseless script, after them; no abbreviation before).
AMBIGUOUS_STOPS = ".!?…"
# Every other terminal ends a sentence wherever it stands, glued or not.
SCRIPT_STOPS = "".join(c for c in SENTENCE_TERMINALS if c not in AMBIGUOUS_STOPS)
# Clause punctuation of other scripts that ends a line as a stop would (not a heading).
CLAUSE_MARKS = "،؛؟：；，、፣፤፥"

_TABLE_SIZE = 0x20000


def _in_blocks(code: int, blocks: Iterable[tuple[int, int]]) -> bool:
    return any(low <= code <= high for low, high in blocks)


def classify(char: str) -> int:
    """The class of one character (see the module docstring)."""
    if char in "\n\0":
        return BREAK
    code = ord(char)
    if char in "_\u200c\u200d":
        return WORD
    category = unicodedata.category(char)
    major = category[0]
    if major == "M":
        return MARK
    if major == "L" or category == "Nl":
        low, high = _HANGUL_COMPATIBILITY
        if _in_blocks(code, _SPACELESS_BLOCKS) and not low <= code <= high:
            return SPACELESS
        return WORD
    if major == "N":
        return WORD
    if 0x20000 <= code <= 0x3FFFF:  # unassigned in this Python's Unicode, ideographs in a newer one
        return SPACELESS
    return SEPARATOR


_CATEGORIES = [
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
]


def _build_tables() -> tuple[np.ndarray, np.ndarray]:
    """The general category (as an index into _CATEGORIES) and the class of every code point of planes 0 and 1.

    Vectorised: one call of unicodedata.category per code point, then array operations
    that give what :func:`classify` gives (a test checks that they agree).
    """
    index = {name: k for k, name in enumerate(_CATEGORIES)}
    categories = np.fromiter(
        map(index.__getitem__, map(unicodedata.category, map(chr, range(_TABLE_SIZE)))), dtype=np.uint8, count=_TABLE_SIZE
    )
    names = np.array(_CATEGORIES)[categories]
    major = names.astype("<U1")
    spaceless_block = np.zeros(_TABLE_SIZE, dtype=bool)
    for low, high in _SPACELESS_BLOCKS:
        spaceless_block[low : min(high, _TABLE_SIZE - 1) + 1] = True
    spaceless_block[_HANGUL_COMPATIBILITY[0] : _HANGUL_COMPATIBILITY[1] + 1] = False
    letter = (major == "L") | (names == "Nl")
    classes = np.full(_TABLE_SIZE, SEPARATOR, dtype=np.uint8)
    classes[major == "N"] = WORD
    classes[letter] = WORD
    classes[letter & spaceless_block] = SPACELESS
    classes[major == "M"] = MARK
    classes[[ord(c) for c in "_\u200c\u200d"]] = WORD
    classes[[ord(c) for c in "\n\0"]] = BREAK
    return categories, classes


_CATEGORY, CHAR_CLASS = _build_tables()


def _category_mask(*names: str) -> np.ndarray:
    return np.isin(_CATEGORY, [_CATEGORIES.index(name) for name in names])


def characters_of_category(name: str, start: int = 0) -> str:
    """Every character of planes 0 and 1 from ``start`` on whose general category is
    ``name`` (``"Nd"``: the decimal digits), read off the table built once at import."""
    return "".join(map(chr, (np.flatnonzero(_category_mask(name)[start:]) + start).tolist()))


def classes_of(codes: np.ndarray) -> np.ndarray:
    """The class of every code point in ``codes`` (an integer array)."""
    codes = np.asarray(codes)
    if len(codes) == 0 or int(codes.max()) < _TABLE_SIZE:
        return CHAR_CLASS[codes]
    out = np.empty(len(codes), dtype=np.uint8)
    low = codes < _TABLE_SIZE
    out[low] = CHAR_CLASS[codes[low]]
    high, inverse = np.unique(codes[~low], return_inverse=True)
    out[~low] = np.array([classify(chr(c)) for c in high.tolist()], dtype=np.uint8)[inverse]
    return out


def _ranges(mask: np.ndarray, offset: int = 0) -> str:
    """A regex character-class body (``a-z`` ranges) for the code points where ``mask`` holds."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    starts = np.flatnonzero(np.diff(padded) == 1)
    ends = np.flatnonzero(np.diff(padded) == -1) - 1
    return "".join(
        re.escape(chr(s + offset)) if s == e else f"{re.escape(chr(s + offset))}-{re.escape(chr(e + offset))}"
        for s, e in zip(starts.tolist(), ends.tolist())
    )


@dataclass(frozen=True)
class CharSet:
    """A set of characters as regex class bodies (``a-z`` ranges, no brackets), basic plane apart.

    Python's regex engine tests a class of basic-plane characters with a table, but scans
    the range list of a class that holds higher code points too: :func:`one_of` keeps the
    two apart, which makes the classes below about thirty times faster to match.
    """

    basic: str
    astral: str = ""


def _charset(mask: np.ndarray, astral_extra: str = "") -> CharSet:
    return CharSet(_ranges(mask[:0x10000]), _ranges(mask[0x10000:], 0x10000) + astral_extra)


def _charset_of(chars: str) -> CharSet:
    return CharSet(
        "".join(re.escape(c) for c in chars if ord(c) < 0x10000), "".join(re.escape(c) for c in chars if ord(c) >= 0x10000)
    )


def one_of(*sets: CharSet, extra: str = "") -> str:
    """A regex matching one character of any of ``sets`` or of ``extra`` (a class body).

    A character above the basic plane is first matched by one plain range, and only then
    looked up in the (slow) list of ranges of the sets' higher code points.
    """
    basic = extra + "".join(s.basic for s in sets)
    astral = "".join(s.astral for s in sets)
    return f"(?:[{basic}]|[\\U00010000-\\U0010ffff](?<=[{astral}]))" if astral else f"[{basic}]"


_CJK_EXTENSIONS = "\U00020000-\U0003ffff"
_VARIATION_SELECTORS = "\U000e0100-\U000e01ef"
SPACELESS_LETTERS = _charset(CHAR_CLASS == SPACELESS, _CJK_EXTENSIONS)


def _blocks_without_terminal() -> np.ndarray:
    """Spaceless letters of the blocks that hold no sentence terminal (Thai, Lao, CJK...)."""
    mask = np.zeros(_TABLE_SIZE, dtype=bool)
    for low, high in _SPACELESS_BLOCKS:
        if low < _TABLE_SIZE and not any(low <= ord(c) <= high for c in SENTENCE_TERMINALS):
            mask[low : min(high, _TABLE_SIZE - 1) + 1] = True
    return mask & (CHAR_CLASS == SPACELESS)


# Letters of spaceless scripts with no stop of their own (Thai, Lao): there a space
# between two letters ends a sentence. Khmer and Myanmar have stops (។ ။) and use spaces
# between phrases; CJK has 。 and seldom a space.
SPACE_STOP_LETTERS = _charset(_blocks_without_terminal(), _CJK_EXTENSIONS)
MARKS = _charset(CHAR_CLASS == MARK, _VARIATION_SELECTORS)
WORD_CHARS = _charset(CHAR_CLASS == WORD)  # word characters that are neither spaceless nor marks
# Letters with no case: after a stop, one of them starts a sentence as a capital would.
CASELESS_LETTERS = _charset(_category_mask("Lo"), _CJK_EXTENSIONS)
# Closing brackets and quotes (general categories Pe and Pf): 」 』 ） ” » ...
CLOSING_PUNCTUATION = _charset(_category_mask("Pe", "Pf"))
SCRIPT_STOP_CHARS = _charset_of(SCRIPT_STOPS)

_TOKEN = re.compile(f"{one_of(SPACELESS_LETTERS)}{one_of(MARKS)}*|{one_of(WORD_CHARS, MARKS)}+")


def tokens(text: str) -> list[str]:
    """Word tokens of ``text``: words of spaced scripts, single letters of spaceless ones.

    >>> tokens("新华社北京电 Xinhua said हिन्दी")
    ['新', '华', '社', '北', '京', '电', 'Xinhua', 'said', 'हिन्दी']
    """
    return _TOKEN.findall(text)


def spaceless_count(text: str) -> int:
    """How many letters of spaceless scripts ``text`` holds (each is a word of its own)."""
    return len(_SPACELESS_RUN.findall(text))


_SPACELESS_RUN = re.compile(one_of(SPACELESS_LETTERS))
