"""Wire credits, datelines and quotations found in an article's original text.

A wire credit names a news agency (:data:`dedup.text.agencies.AGENCIES`: AFP, Reuters, AP,
dpa, APP, PTI, Xinhua, KUNA, Anadolu... in every script they are written in) in one of a
few forms, and the form says something about who wrote the text:

* ``dateline``: the name alone in brackets where the text or a paragraph begins, or
  before a dash: ``PARIS (AFP) -``, ``ڈھاکہ ۔ یکم دسمبر (اے پی پی)``, ``(भाषा)``,
  ``【ワシントン共同】``, ``新华社北京3月5日电``: the agency's own dispatch format;
* ``told``: ``a souligné à l'AFP``, ``told Reuters``, ``نے اے پی پی کو بتایا``,
  ``接受新华社记者采访``: the agency did the reporting, so the text is the dispatch or a
  close copy of it;
* ``byline``: ``By The Associated Press``, ``— Reuters`` at the end: the agency signs;
* ``with``: ``avec AFP``, ``Source: AFP``, ``according to Reuters``, ``رائٹرز کے مطابق``,
  ``据法新社报道``, the name in brackets beside other names or after the lead: a
  republisher credits the agency it took the story from.

Names are found in one pass (one regular expression built as a trie of every spelling);
each hit is then classified by the few characters around it. A name with none of these
forms around it is no credit. Everything is found on the original text, so every hit
carries character offsets that point back into it. Nothing here decides provenance;
:mod:`dedup.story.origin` weighs it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from dedup.text.agencies import AGENCIES, BYLINE_WORDS, CREDIT_FORMS, PICTURE_WORDS
from dedup.text.normalize import normalize_text, words

CreditKind = Literal["dateline", "told", "byline", "with"]
# Forms that the agency's own dispatch carries; "with" is what a republisher adds.
OWN_KINDS: frozenset[str] = frozenset({"dateline", "told", "byline"})
# A bracketed name is a credit where a dateline stands: before a dash, or after at most
# a place and a date (this many characters and words) at the start of its line.
DATELINE_REACH = 60
DATELINE_WORDS = 6
# How far before and after a name its credit form is looked for.
CONTEXT_CHARS = 48


def _exact_case(spelling: str) -> bool:
    """Abbreviations ("AP", "dpa", "AFP時事") match in their own case only."""
    latin = re.match(r"[A-Za-z]*", spelling)[0]  # type: ignore[index]
    rest = spelling[len(latin) :].lstrip()
    return 0 < len(latin) <= 5 and (not rest or not rest[0].isascii() or rest[0] == "=")


def _spelling_key(spelling: str) -> str:
    return " ".join(spelling.split()).casefold().removeprefix("the ")


_AGENCY_OF: dict[str, str] = {}
_EXACT: dict[str, str] = {}
for _name, _scripts in AGENCIES.items():
    for _spellings in _scripts.values():
        for _spelling in _spellings:
            if _exact_case(_spelling):
                _EXACT[_spelling] = _name
            else:
                _AGENCY_OF[_spelling_key(_spelling)] = _name


def _token(char: str) -> str:
    return r"\s+" if char.isspace() else re.escape(char)


def _trie_pattern(spellings: list[str]) -> str:
    """One regular expression for many spellings, sharing prefixes; the longest spelling wins."""
    trie: dict[str, dict] = {}
    for spelling in spellings:
        node = trie
        for char in spelling:
            node = node.setdefault(_token(char), {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [token + build(child) for token, child in sorted(node.items()) if token]
        if not branches:
            return ""
        if len(branches) == 1 and not ends:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if ends else "")

    return build(trie)


def _written_forms(spelling: str) -> set[str]:
    """The spelling as written, and for names (not abbreviations) capitalised and in capitals.

    Every form is matched exactly: a trie of plain characters is several times faster in
    Python's ``re`` than one with case-folded character classes."""
    if _exact_case(spelling):
        return {spelling}
    return {spelling, spelling.upper(), spelling[:1].upper() + spelling[1:]}


_SPELLINGS = sorted({f for scripts in AGENCIES.values() for ss in scripts.values() for s in ss for f in _written_forms(s)})
_AGENCY = "(?P<agency>" + _trie_pattern(_SPELLINGS) + ")"
_MENTION = re.compile(_AGENCY)
_DASH = r"[-–—]"


def _form_pattern(fragments: tuple[str, ...], before: bool) -> re.Pattern[str]:
    body = "|".join(f"(?:{f})" for f in fragments)
    return re.compile(f"(?:{body})\\Z" if before else f"^(?:{body})", re.IGNORECASE)


_FORMS: tuple[tuple[CreditKind, re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (kind, _form_pattern(forms["before"], True), _form_pattern(forms["after"], False))  # type: ignore[misc]
    for kind, forms in CREDIT_FORMS.items()
)
_BYLINE = re.compile(r"^\s*(?:" + "|".join(BYLINE_WORDS) + r")\s+(?:l['’]\s*)?\Z", re.IGNORECASE)
_SIGN_OFF = re.compile(rf"\s{_DASH}\s*\Z")
_PICTURE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(w) for w in PICTURE_WORDS if w.isascii()) + r")(?!\w)|"
    + "|".join(re.escape(w) for w in PICTURE_WORDS if not w.isascii()),
    re.IGNORECASE,
)
_OPENERS, _CLOSERS = "(（【[［", ")）】]］"
_BRACKET_BEFORE = re.compile(r"[(（【\[［](?P<inner>[^()（）【】\[\]［］\n]{0,30})\Z")
_BRACKET_AFTER = re.compile(r"(?P<inner>[^()（）【】\[\]［］\n]{0,30})[)）】\]］]")
_DASH_AFTER = re.compile(rf"\s*{_DASH}")
_DISPATCH_MARK = re.compile(r"[^\n，。,]{0,24}电")  # 新华社北京3月5日电

# Arabic-script prepositions written joined to the next word: "لرويترز" is "to Reuters".
_CLITICS = "ولبفک"

# A dateline opens the text or a paragraph: an upper-case place, an optional date, and
# either an agency in brackets or a dash.
_DATELINE = re.compile(
    r"(?:^|\n)[ \t]*(?P<place>[A-ZÀ-Þ][A-ZÀ-Þ'’ .-]{1,38}[A-ZÀ-Þ])(?:\s*,\s*(?P<date>[^()\n–—-]{1,30}?))?\s*"
    rf"(?:\(\s*{_AGENCY}\s*\)\s*)?{_DASH}"
)

# Quotations: guillemets, typographic double quotes, German low quotes, straight quotes.
_QUOTE = re.compile(r"«\s*(?P<a>[^«»]{1,600}?)\s*»|“(?P<b>[^“”]{1,600})”|„(?P<c>[^„“”]{1,600})[“”]|\"(?P<d>[^\"\n]{1,600})\"")


@dataclass(frozen=True)
class Credit:
    """A wire credit: the agency, its form, and ``text[start:end]`` where it was found."""

    agency: str
    kind: CreditKind
    start: int
    end: int
    text: str

    @property
    def own(self) -> bool:
        """Whether this form belongs to the agency's own dispatch (not a republisher's credit)."""
        return self.kind in OWN_KINDS


@dataclass(frozen=True)
class Dateline:
    place: str
    agency: str | None
    start: int
    end: int


@dataclass(frozen=True)
class Quote:
    """A quotation: ``text[start:end]`` is the quoted words without the quote marks."""

    start: int
    end: int
    text: str

    @cached_property
    def words(self) -> tuple[str, ...]:
        # cached: every quote is compared with every quote of each other member
        return tuple(words(normalize_text(self.text)))


def agency_name(spelling: str) -> str:
    """The canonical agency name for one spelling: ``agency_name("Associated Press") == "AP"``."""
    flat = " ".join(spelling.split())
    return _EXACT.get(flat) or _AGENCY_OF.get(_spelling_key(flat)) or flat


def find_credits(text: str, start: int = 0, end: int | None = None) -> list[Credit]:
    """Every wire credit in ``text[start:end]``, sorted by offset.

    >>> [(c.agency, c.kind) for c in find_credits("a souligné à l'AFP l'entourage")]
    [('AFP', 'told')]
    >>> [(c.agency, c.kind) for c in find_credits("ڈھاکہ ۔ یکم دسمبر (اے پی پی) بنگلہ دیش نے")]
    [('APP', 'dateline')]
    """
    end = len(text) if end is None else end
    kept: list[Credit] = []
    position = start
    while True:
        match = _MENTION.search(text, position, end)
        if match is None:
            return kept
        s, e = match.span()
        clitic = _boundary(text, s, e, start, end)
        if clitic is None:
            position = s + 1  # inside a word: look again from the next character
            continue
        position = e
        credit = _classify(text, s, e, start, end, clitic)
        # "(آن لائن+ این این آئی)" credits two agencies in one span; one agency counts once there
        if credit is not None and not (kept and credit.start < kept[-1].end and credit.agency == kept[-1].agency):
            kept.append(credit)


def _is_word_char(char: str) -> bool:
    """A letter, mark or digit of a script written with spaces between words."""
    category = unicodedata.category(char)
    if category[0] not in "LMN":
        return False
    return not ("\u2e80" <= char <= "\ufaff" or "\uac00" <= char <= "\ud7af" or "\uff00" <= char <= "\uffef")


def _boundary(text: str, s: int, e: int, start: int, end: int) -> str | None:
    """``""`` when ``text[s:e]`` is a whole word, the joined clitic before it, or ``None`` when inside a word."""
    first, last = text[s], text[e - 1]
    if e < end and _is_word_char(last) and _is_word_char(text[e]):
        return None
    if s <= start or not _is_word_char(first) or not _is_word_char(text[s - 1]):
        return ""
    if text[s - 1] in _CLITICS and (s - 1 <= start or not _is_word_char(text[s - 2])):
        return text[s - 1]
    return None


def _classify(text: str, s: int, e: int, start: int, end: int, clitic: str) -> Credit | None:
    """The credit that the name at ``text[s:e]`` stands in, from the words around it, if any."""
    agency = agency_name(text[s:e])
    line_start = text.rfind("\n", 0, s) + 1
    line_end = text.find("\n", e)
    line_end = len(text) if line_end < 0 else line_end
    before = text[max(start, line_start, s - CONTEXT_CHARS) : s - len(clitic)]
    after = text[e : min(end, line_end, e + CONTEXT_CHARS)]
    if clitic == "ل":
        return _credit(text, agency, "told", s - 1, e)
    for kind, before_form, after_form in _FORMS:
        found_before = before_form.search(before)
        if found_before:
            return _credit(text, agency, kind, s - len(clitic) - len(before) + found_before.start(), e)
        found_after = after_form.match(after)
        if found_after:
            return _credit(text, agency, kind, s, e + found_after.end())
    if line_start >= start and _BYLINE.match(text[line_start:s]):
        return _credit(text, agency, "byline", line_start, e)
    if _SIGN_OFF.search(before) and not after.strip():
        return _credit(text, agency, "byline", s - len(before) + _SIGN_OFF.search(before).start(), e)  # type: ignore[union-attr]
    bracketed = _bracketed(text, agency, s, e, before, after, line_start)
    if bracketed is not None or s - line_start > 2 or text[line_start:s].strip():
        return bracketed
    dispatch = _DISPATCH_MARK.match(after)  # 新华社北京3月5日电: the agency opens the line
    return _credit(text, agency, "dateline", s, e + dispatch.end()) if dispatch else None


def _bracketed(text: str, agency: str, s: int, e: int, before: str, after: str, line_start: int) -> Credit | None:
    """The credit of a name in brackets where a dateline stands: the agency's own, or a republisher's.

    A dateline stands before a dash, or between at most a place and a date at the start of
    a line and the text; brackets elsewhere are captions ("(Jason Lee/Reuters)" alone on
    its line) or acronyms ("Syrian Arab News Agency (SANA)"), not credits.
    """
    opened, closed = _BRACKET_BEFORE.search(before), _BRACKET_AFTER.match(after)
    if not opened or not closed:
        return None
    inner_before, inner_after = opened["inner"].strip(), closed["inner"].strip()
    if _PICTURE.search(inner_before + " " + inner_after):
        return None
    bracket_start, bracket_end = s - len(before) + opened.start(), e + closed.end()
    lead = text[line_start:bracket_start]
    dash = _DASH_AFTER.match(text, bracket_end)
    lede = after[closed.end() :].strip()  # a dateline leads into the text; a caption ends its line
    if not dash and (not lede or len(lead) > DATELINE_REACH or len(lead.split()) > DATELINE_WORDS):
        return None
    if _spells_out(lead, text[s:e]):
        return None
    # alone in its brackets, or after a place in CJK style (【ワシントン共同】, 【北京＝ロイター】)
    alone = not inner_after and (
        not inner_before or inner_before[-1] in "=＝" or all("\u3040" <= c <= "\u9fff" for c in inner_before)
    )
    if alone:
        return _credit(text, agency, "dateline", bracket_start, dash.end() if dash else bracket_end)
    return _credit(text, agency, "with", bracket_start, bracket_end)


def _spells_out(lead: str, acronym: str) -> bool:
    """Whether ``lead`` ends with the words that ``acronym`` abbreviates ("Syrian Arab News Agency (SANA)")."""
    if not acronym.isascii() or not acronym.isupper():
        return False
    initials = [w[0].upper() for w in re.findall(r"[A-Za-z][\w'-]*", lead) if w.lower() not in ("of", "the", "and")]
    return "".join(initials[-len(acronym) :]) == acronym


def _credit(text: str, agency: str, kind: CreditKind, s: int, e: int) -> Credit:
    while s < e and text[s].isspace():
        s += 1
    return Credit(agency, kind, s, e, text[s:e])


def find_dateline(text: str, body_start: int = 0) -> Dateline | None:
    """The dateline at the start of the body, if there is one (``MOSCOU (AFP) -``)."""
    match = _DATELINE.match(text, body_start)
    if not match:
        # Datelines only count where the body begins; allow leading blank lines.
        stripped = len(text) - len(text[body_start:].lstrip())
        match = _DATELINE.match(text, stripped) if stripped != body_start else None
    if not match:
        return None
    agency = agency_name(match.group("agency")) if match.group("agency") else None
    s = match.start("place")
    return Dateline(match.group("place").strip(), agency, s, match.end())


def find_quotes(text: str, start: int = 0, end: int | None = None, min_words: int = 3) -> list[Quote]:
    """Quotations in ``text[start:end]`` with at least ``min_words`` words."""
    end = len(text) if end is None else end
    quotes = []
    for match in _QUOTE.finditer(text, start, end):
        group = next(g for g in ("a", "b", "c", "d") if match.group(g) is not None)
        quote = Quote(match.start(group), match.end(group), match.group(group))
        if len(quote.words) >= min_words:
            quotes.append(quote)
    return quotes
