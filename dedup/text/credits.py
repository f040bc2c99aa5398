"""Wire credits, datelines and quotations found in an article's original text.

A wire credit names a news agency (AFP, Reuters, AP, dpa, ANSA, EFE, Belga) in one of a
few forms, and the form says something about who wrote the text:

* ``dateline``: ``PARIS (AFP) -``, ``(Reuters) -``: the agency's own dispatch format;
* ``told``: ``a souligné à l'AFP``, ``told Reuters``: the agency did the reporting, so
  the text is the dispatch or a close copy of it;
* ``byline``: ``By The Associated Press``, ``— Reuters`` at the end: the agency signs;
* ``with``: ``avec AFP``, ``Source: AFP``, ``selon l'AFP``, ``according to Reuters``: a
  republisher credits the agency it took the story from.

Everything is found on the original text, so every hit carries character offsets that
point back into it. Nothing here decides provenance; :mod:`dedup.story.provenance` weighs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from dedup.text.normalize import normalize_text, words

CreditKind = Literal["dateline", "told", "byline", "with"]
# Forms that the agency's own dispatch carries; "with" is what a republisher adds.
OWN_KINDS: frozenset[str] = frozenset({"dateline", "told", "byline"})

# Agency name -> regex of the ways texts spell it. "AP" alone is a common word part in
# several languages, so it is only accepted inside the narrow contexts below.
AGENCIES: dict[str, str] = {
    "AFP": r"AFP|Agence\s+France[- ]Presse",
    "Reuters": r"Reuters",
    "AP": r"AP|(?:the\s+)?Associated\s+Press",
    "dpa": r"dpa|DPA",
    "ANSA": r"ANSA",
    "EFE": r"EFE",
    "Belga": r"Belga|BELGA",
}
_AGENCY = "(?P<agency>" + "|".join(f"(?:{p})" for p in AGENCIES.values()) + ")"
_DASH = r"[-–—]"
_APOS = "['’]"

_PATTERNS: tuple[tuple[CreditKind, re.Pattern[str]], ...] = (
    # "PARIS, 3 avril (AFP) -", "(Reuters) —", "(AP) –"
    ("dateline", re.compile(rf"\(\s*{_AGENCY}\s*\)\s*{_DASH}")),
    # "à l'AFP", "a déclaré à l’AFP", "told Reuters", "gegenüber der dpa", "all'ANSA", "a EFE"
    (
        "told",
        re.compile(
            rf"(?:\bà\s+l{_APOS}\s*|\btold\s+|\bgegenüber\s+(?:der\s+)?|\ball{_APOS}\s*|\bdijo\s+a\s+|\bà\s+)"
            rf"{_AGENCY}\b",
            re.IGNORECASE,
        ),
    ),
    # "By The Associated Press", "Par l'AFP", "Von dpa"; and a sign-off at the end of a paragraph
    ("byline", re.compile(rf"(?:^|\n)\s*(?:By|Par|Von)\s+(?:l{_APOS}\s*)?{_AGENCY}\b", re.IGNORECASE)),
    ("byline", re.compile(rf"\s{_DASH}\s*{_AGENCY}\s*$", re.MULTILINE)),
    # "avec AFP", "(with Reuters)", "mit dpa", "Source: AFP", "selon l'AFP", "according to Reuters"
    (
        "with",
        re.compile(
            rf"(?:\bavec\s+(?:l{_APOS}\s*)?|\bwith\s+|\bmit\s+|\bcon\s+|\bsources?\s*:\s*|\bselon\s+l{_APOS}\s*|"
            rf"\baccording\s+to\s+|\bd{_APOS}après\s+l{_APOS}\s*|\brapporte\s+l{_APOS}\s*)"
            rf"{_AGENCY}\b",
            re.IGNORECASE,
        ),
    ),
)
_AGENCY_NAMES = {name: re.compile(rf"^(?:{pattern})$", re.IGNORECASE) for name, pattern in AGENCIES.items()}

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
    if flat.lower().startswith("the "):
        flat = flat[4:]
    for name, pattern in _AGENCY_NAMES.items():
        if pattern.match(flat):
            return name
    return flat


def find_credits(text: str, start: int = 0, end: int | None = None) -> list[Credit]:
    """Every wire credit in ``text[start:end]``, sorted by offset, overlaps removed.

    >>> [(c.agency, c.kind) for c in find_credits("a souligné à l'AFP l'entourage")]
    [('AFP', 'told')]
    """
    end = len(text) if end is None else end
    hits: list[Credit] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text, start, end):
            spelling = match.group("agency")
            # "AP" must be upper case, or it matches words ("à ap..."); the longer names need not be.
            if spelling.upper() == "AP" and spelling != "AP":
                continue
            s, e = match.span()
            while s < e and text[s].isspace():
                s += 1
            hits.append(Credit(agency_name(spelling), kind, s, e, text[s:e]))
    hits.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Credit] = []
    for credit in hits:
        if kept and credit.start < kept[-1].end:
            continue  # the first (longest) reading of a span wins
        kept.append(credit)
    return kept


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
