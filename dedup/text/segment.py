"""Passage segmentation with character offsets into the original text.

Passages are paragraphs where the text has them, and sentences otherwise. Scraped text
often loses its paragraph breaks and glues the last word of one paragraph to the first
of the next (``(EI).Des dissensions``, ``conflit.Concernant``); those glued stops are
recovered as paragraph breaks, and AFP-style intertitles (``- Entretien rare -``) become
headings. Abbreviations (``M. Lecornu``), ``a-t-il``, decimals (``6.1``), dotted
acronyms (``U.S.``), initials (``J.K.``) and URLs are never split.

Sentences end in every script (see :mod:`dedup.text.scripts`). The stops that cased
scripts also use for abbreviations and decimals (``. ! ? …``) end a sentence before a
capital, or before a letter of a caseless script (Arabic, Hebrew, Devanagari, CJK...),
which has no capital to show the start of a sentence. Every other sentence terminal
(``۔ ؟ ؛ । ॥ 。 ！ ？ ። ፧ ։ ။ ។ །``) ends a sentence wherever it stands, glued to the next
word or not (CJK puts no space after it), except between two digits. Closing brackets and
quotes after a stop stay with its sentence. In scripts written without spaces (Thai, Lao,
CJK), a space between two letters ends a sentence; Khmer and Myanmar, which have stops,
use spaces between phrases.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from dedup.text.boilerplate import (
    DEFAULT_RULES,
    BoilerplateRules,
    split_leading_metadata,
)
from dedup.text.scripts import (
    CASELESS_LETTERS,
    CLAUSE_MARKS,
    CLOSING_PUNCTUATION,
    MARKS,
    SCRIPT_STOP_CHARS,
    SCRIPT_STOPS,
    SPACE_STOP_LETTERS,
    one_of,
    spaceless_count,
)

PassageKind = Literal["text", "heading", "boilerplate"]

# A short line without a final stop, among several paragraphs, is an intertitle.
MAX_HEADING_WORDS = 10
_FINAL_STOPS = frozenset(".!?…:;," + SCRIPT_STOPS + CLAUSE_MARKS)
_HEADING_CLOSERS = "»”\"' 」』）》〉】〕"

# A paragraph with more words than this is split into sentences: it is usually several
# paragraphs whose breaks were lost in a way that left no trace.
MAX_PARAGRAPH_WORDS = 120

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁΑ-Ω"
# What may follow ". ! ? …" at a sentence start: a capital, or a letter with no case.
_STARTER = one_of(CASELESS_LETTERS, extra=_UPPER)
_CASELESS = one_of(CASELESS_LETTERS)
_OPEN_QUOTE = "\"«“„'‘"
_CLOSE = "\"»”’')\\]"
_CLOSING_CHARS = "\"»”’')]"  # _CLOSE as plain characters
_STRAIGHT_QUOTES = "\"'"
_STOPS = ".!?…"
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*|\S+@\S+\.\w+", re.IGNORECASE)
# Patterns that start with a run of stops spell it "[.!?…][.!?…]*", not "[.!?…]+": the
# same matches, but a pattern that opens with a plain class lets the regex engine skip to
# the next stop (with "+" it tries a match at every character), over twice as fast.
# A stop glued to the next capitalised word: "(EI).Des", "ajouté.Des", "cela\".Le".
# A straight quote right after the stop opens the next sentence ('Macron."Nous'), so only
# typographic closing quotes may follow the stop here. The stop must also follow a word
# character or a closing quote (see _glued_stops); checking that after the match, rather
# than with a look-behind, lets the regex engine skip quickly to the next stop.
_GLUED = re.compile(rf"[.!?…][.!?…]*[»”’)\]]?(?=[{_OPEN_QUOTE}]?[{_UPPER}])")
# A stop of a cased script glued between two letters of caseless scripts ("کیا.اس",
# "किया.उन्होंने"): a sentence end, though not a lost paragraph break as _GLUED's are.
# (The letter before the stop is checked apart: a pattern that starts with a plain class
# lets the regex engine skip quickly to the next candidate.)
_GLUED_CASELESS = re.compile(rf"[.!?…][.!?…]*(?=[{_OPEN_QUOTE}]?{_CASELESS})")
_CASELESS_OR_MARK = re.compile(one_of(CASELESS_LETTERS, MARKS))
_MARK = re.compile(one_of(MARKS))
# A script's own terminal, then its closing brackets and quotes; straight quotes only
# when a space follows them (glued, they may open the next sentence).
_SCRIPT_STOP = re.compile(
    rf"[{SCRIPT_STOP_CHARS.basic}\U00010000-\U0010ffff](?<={one_of(SCRIPT_STOP_CHARS)}){one_of(SCRIPT_STOP_CHARS)}*(?:{one_of(CLOSING_PUNCTUATION, extra=_STRAIGHT_QUOTES)}*(?=\s|$)|{one_of(CLOSING_PUNCTUATION)}*)"
)
# A space between two letters of a script written without spaces or stops (Thai, Lao).
# (The letter before the space is checked apart, as for _GLUED_CASELESS.)
_SPACELESS_GAP = re.compile(rf"\s\s*(?={one_of(SPACE_STOP_LETTERS)})")
_SPACE_STOP_LETTER = re.compile(one_of(SPACE_STOP_LETTERS))
# A character without which none of the three patterns above can match: most lines of
# text in cased scripts hold none, and one scan for it saves the three.
_SCRIPT_TRIGGER = re.compile(
    f"[{SCRIPT_STOP_CHARS.basic}{CASELESS_LETTERS.basic}{SPACE_STOP_LETTERS.basic}\\U00010000-\\U0010ffff]"
)
# An intertitle glued between two paragraphs: 'cela".- Entretien rare -Le 22 mars'.
# The intertitle is the "body" group; the stop before it is matched rather than looked
# behind for, which lets the regex engine skip quickly to the next stop.
_INTERTITLE = re.compile(
    rf"[.!?…{_CLOSE}](?P<body>\s*-\s*(?P<title>[^\-.!?\n]{{2,60}}?)\s*-\s*)(?=[{_OPEN_QUOTE}]?[{_UPPER}])"
)
# An ordinary sentence end: punctuation, optional closing quote, space, capital.
_SENTENCE_END = re.compile(rf"[.!?…][.!?…]*[{_CLOSE}]*\s+(?=[{_OPEN_QUOTE}(]?{_STARTER})")
_ABBREVIATIONS = frozenset(
    """m mm mme mmes mlle mlles me mgr dr drs pr prof st ste mr mrs ms messrs jr sr gen gén col lt
    sgt capt cpt gov sen rep rev hon inc ltd co corp cie vs no nr nos art av ave bd blvd cf ex fig
    env p pp vol ed eds approx dept est jan feb mar apr jun jul aug sep sept oct nov dec
    janv févr avr juil déc sr sra srta dra ing dipl bzw usw z.b u.a""".split()
)
_DOTTED = re.compile(r"(?:\w\.)+\w?")
_LONG_TOKEN = max(map(len, _ABBREVIATIONS)) + 1


@dataclass(frozen=True)
class Passage:
    """A span ``text[start:end]`` of a document's original text."""

    start: int
    end: int
    kind: PassageKind


@dataclass(frozen=True)
class Segmentation:
    """The passages of one text, and the metadata found at its start."""

    passages: tuple[Passage, ...]
    metadata: tuple[tuple[str, str], ...]


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the token ending right before ``stop`` is an abbreviation or an initial.

    The token is the last run of non-space characters up to and including ``stop`` (at
    most 40 characters back), less its final stops and closing quotes (but never empty),
    less its opening quotes and brackets.
    """
    if stop >= _LONG_TOKEN and text[stop - _LONG_TOKEN : stop].isalnum():
        # Most stops end a long word: its last _LONG_TOKEN letters or digits make it too long
        # for the list, more than one letter, and dotless, so no dotted acronym either.
        return False
    piece = text[max(0, stop - 40) : stop + 1].rsplit(None, 1)[-1]
    token = piece.rstrip(_CLOSING_CHARS).rstrip(_STOPS) or piece[0]
    token = token.lstrip(_OPEN_QUOTE + "(")
    if not token:
        return False
    lowered = token.lower()
    return (
        lowered in _ABBREVIATIONS
        or (len(token) == 1 and token.isalpha())
        or bool(_DOTTED.fullmatch(token) and "." in token)
    )


def _url_markers(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds "/", "@" or "www.", one of which every form _URL matches holds."""
    return text.find("/", start, end) >= 0 or text.find("@", start, end) >= 0 or "www." in text[start:end].lower()


def _url_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of URLs and e-mail addresses in ``text[start:end]``."""
    # Most paragraphs hold no marker, and skipping the regex there saves most of the time
    # segmentation takes.
    if not _url_markers(text, start, end):
        return []
    return [m.span() for m in _URL.finditer(text, start, end)]


def _in_url(position: int, url_spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in url_spans)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` less its leading and trailing whitespace, as a span."""
    if start < end and (text[start].isspace() or text[end - 1].isspace()):
        # str.strip() removes exactly the characters str.isspace() accepts
        piece = text[start:end].lstrip()
        start = end - len(piece)
        end = start + len(piece.rstrip())
    return start, end


def _glued_stops(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """Matches of :data:`_GLUED` in ``text[start:end]`` whose stop follows a word or a closing quote."""
    for match in _GLUED.finditer(text, start, end):
        stop = match.start()
        if stop > 0:
            before = text[stop - 1]
            if before.isalnum() or before == "_" or before in _CLOSING_CHARS:
                yield match


def _script_ends(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """Sentence ends in ``text[start:end]`` that no capital announces (see the module docstring).

    Script terminals (not between two digits), stops glued between caseless letters (not
    after an abbreviation or an initial), and spaces between letters of spaceless scripts.
    """
    if not _SCRIPT_TRIGGER.search(text, start, end):
        return
    for match in _SCRIPT_STOP.finditer(text, start, end):
        stop, after = match.start(), match.end()
        if not (stop > 0 and text[stop - 1].isdigit() and after < len(text) and text[after].isdigit()):
            yield match
    for match in _GLUED_CASELESS.finditer(text, start, end):
        stop = match.start()
        if stop > 0 and _CASELESS_OR_MARK.match(text, stop - 1) and not _is_abbreviation(text, stop):
            yield match
    for match in _SPACELESS_GAP.finditer(text, start, end):
        letter = match.start() - 1
        while letter >= start and _MARK.match(text, letter):
            letter -= 1
        if letter >= start and _SPACE_STOP_LETTER.match(text, letter):
            yield match


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]``, glued stops included.

    >>> t = "M. Lecornu a parlé.Il a dit oui. Les U.S. aussi."
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['M. Lecornu a parlé.', 'Il a dit oui.', 'Les U.S. aussi.']
    """
    return split_sentences_within(text, [(start, len(text) if end is None else end)])


def split_sentences_within(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentence spans of every span in ``spans`` (sorted, not overlapping), in order.

    Like :func:`split_sentences` on each span, but the text is scanned once for all of
    them: a stop whose match runs past the end of its span only ever cuts at or beyond
    that end, where it changes nothing.
    """
    if not spans:
        return []
    first, last = spans[0][0], spans[-1][1]
    urls = _url_spans(text, first, last)
    cuts = sorted(
        {
            match.end()
            for match in itertools.chain(_SENTENCE_END.finditer(text, first, last), _glued_stops(text, first, last))
            if not _in_url(match.start(), urls) and not _is_abbreviation(text, match.start())
        }
        | {match.end() for match in _script_ends(text, first, last) if not _in_url(match.start(), urls)}
    )
    sentences = []
    for start, end in spans:
        sentences += _cut(text, start, end, cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)])
    return sentences


def _cut(text: str, start: int, end: int, cuts: list[int]) -> list[tuple[int, int]]:
    if not cuts:  # most pieces and lines: one span
        s, e = _trimmed(text, start, end)
        return [(s, e)] if s < e else []
    spans = []
    previous = start
    for cut in sorted(set(cuts)) + [end]:
        s, e = _trimmed(text, previous, cut)
        if s < e:
            spans.append((s, e))
        previous = cut
    return spans


def _split_glued(text: str, start: int, end: int) -> list[tuple[int, int, PassageKind]]:
    """Recover lost paragraph breaks inside ``text[start:end]``."""
    return _glued_pieces(text, start, end, _url_spans(text, start, end))[0]


def _glued_pieces(
    text: str, start: int, end: int, urls: list[tuple[int, int]]
) -> tuple[list[tuple[int, int, PassageKind]], list[int]]:
    """The pieces of ``text[start:end]`` between recovered paragraph breaks, and its glued sentence ends.

    A glued stop inside an intertitle breaks no paragraph but still ends a sentence, so
    the sentence ends (the end of every glued stop not in a URL and not after an
    abbreviation) include those.
    """
    headings = []
    if text.find("-", start, end) >= 0:  # every intertitle holds a dash
        headings = [m for m in _INTERTITLE.finditer(text, start, end) if not _in_url(m.start("body"), urls)]
    blocked = [m.span("body") for m in headings]
    breaks = [m.start("body") for m in headings] + [m.end("body") for m in headings]
    sentence_ends = []
    for match in _glued_stops(text, start, end):
        stop = match.start()
        if _in_url(stop, urls) or _is_abbreviation(text, stop):
            continue
        sentence_ends.append(match.end())
        if not _in_url(stop, blocked):
            breaks.append(match.end())
    heading_spans = {_trimmed(text, m.start("title"), m.end("title")) for m in headings}
    pieces: list[tuple[int, int, PassageKind]] = []
    for s, e in _cut(text, start, end, breaks):
        inner = text[s:e].strip("- ")
        if not inner:
            continue
        s2 = s + text[s:e].index(inner)
        span = (s2, s2 + len(inner))
        pieces.append((*span, "heading" if span in heading_spans else "text"))
    return pieces, sentence_ends


def _looks_like_heading(line: str) -> bool:
    # The stop test first: it is cheap, and fails on most paragraphs.
    return line.rstrip(_HEADING_CLOSERS).rstrip()[-1:] not in _FINAL_STOPS and len(line.split()) <= MAX_HEADING_WORDS


def _word_count(paragraph: str) -> int:
    """Words of ``paragraph``, each letter of a spaceless script counting as one."""
    count = len(paragraph.split())
    if count > MAX_PARAGRAPH_WORDS or paragraph.isascii():
        return count
    return count + spaceless_count(paragraph)


def segment(text: str, rules: BoilerplateRules = DEFAULT_RULES) -> Segmentation:
    """Split ``text`` into passages: boilerplate lines, headings and text paragraphs.

    Paragraphs are the text's lines (blank lines or single newlines), with glued stops
    recovered as breaks. A text with a single paragraph, and any paragraph longer than
    :data:`MAX_PARAGRAPH_WORDS` words, is split into sentences instead.
    """
    metadata, body_start = split_leading_metadata(text)
    lines = _body_lines(text, body_start)
    # Without URL or e-mail markers, the body's glued stops are found in one scan, and only
    # a line holding one (or a dash, for intertitles) is cut into pieces.
    stops = None
    if not _url_markers(text, body_start, len(text)):
        stops = [m.start() for m in _plain_glued_stops(text, lines)]
    raw: list[tuple[int, int, PassageKind]] = []
    for s, e in lines:
        if rules.is_boilerplate(text[s:e]):
            raw.append((s, e, "boilerplate"))
        elif stops is not None:
            raw.extend(_line_split(text, s, e, stops))
        else:
            raw.extend(_split_glued(text, s, e))
    text_count = sum(1 for *_, kind in raw if kind == "text")
    if text_count >= 3:
        raw = [
            (s, e, "heading" if kind == "text" and _looks_like_heading(text[s:e]) else kind) for s, e, kind in raw
        ]
        text_count = sum(1 for *_, kind in raw if kind == "text")
    passages: list[Passage] = []
    for s, e, kind in raw:
        if kind == "text" and (text_count == 1 or _word_count(text[s:e]) > MAX_PARAGRAPH_WORDS):
            passages.extend(Passage(ss, se, "text") for ss, se in split_sentences(text, s, e))
        else:
            passages.append(Passage(s, e, kind))
    return Segmentation(tuple(passages), tuple(sorted(metadata.items())))


_LINE = re.compile(r"[^\n]+")


def _body_lines(text: str, body_start: int) -> list[tuple[int, int]]:
    """The spans of the lines of ``text[body_start:]`` that hold more than whitespace, trimmed."""
    lines = []
    for line in _LINE.finditer(text, body_start):
        s, e = _trimmed(text, line.start(), line.end())
        if s < e:
            lines.append((s, e))
    return lines


def _plain_glued_stops(text: str, lines: Sequence[tuple[int, int]]) -> list[re.Match[str]]:
    """The glued stops of ``lines`` (of a text without URLs) that follow no abbreviation,
    in order: those :func:`_glued_pieces` breaks paragraphs at."""
    if not lines:
        return []
    first, last = lines[0][0], lines[-1][1]
    return [m for m in _glued_stops(text, first, last) if not _is_abbreviation(text, m.start())]


def _line_split(text: str, start: int, end: int, stops: list[int]) -> list[tuple[int, int, PassageKind]]:
    """:func:`_split_glued` of a line of a text without URLs, given the text's ``stops``
    (:func:`_plain_glued_stops`): a line without a glued stop or a dash is one piece."""
    k = bisect.bisect_left(stops, start)
    if (k < len(stops) and stops[k] < end) or text.find("-", start, end) >= 0:
        return _glued_pieces(text, start, end, [])[0]
    return [(start, end, "text")]


def sentence_units(text: str, rules: BoilerplateRules = DEFAULT_RULES) -> list[tuple[int, int]]:
    """The sentence spans of the text passages of :func:`segment`, in order.

    Verification's units of evidence. Equal to ``split_sentences_within(text, spans)`` over
    the spans of ``segment(text, rules)``'s text passages, at about three fifths of the cost:
    the body is scanned once for its stops, from its first kept line to its last, as
    :func:`split_sentences_within` scans its spans (a stop's match that runs past the end
    of its line only ever cuts at the start of the next, where it changes nothing), and no
    passage records are made. Text with URL or e-mail markers, rare in articles, takes
    that general path.
    """
    if _url_markers(text, 0, len(text)):
        passages = segment(text, rules).passages
        return split_sentences_within(text, [(p.start, p.end) for p in passages if p.kind == "text"])
    _, body_start = split_leading_metadata(text)
    lines = [(s, e) for s, e in _body_lines(text, body_start) if not rules.is_boilerplate(text[s:e])]
    if not lines:
        return []
    first, last = lines[0][0], lines[-1][1]
    glued = _plain_glued_stops(text, lines)
    stops = [m.start() for m in glued]
    # the sentence ends of split_sentences_within, glued stops among them
    ends = {m.end() for m in _SENTENCE_END.finditer(text, first, last) if not _is_abbreviation(text, m.start())}
    ends.update(m.end() for m in glued)
    ends.update(m.end() for m in _script_ends(text, first, last))
    cuts = sorted(ends)
    pieces = [(s, e) for line in lines for s, e, kind in _line_split(text, *line, stops) if kind == "text"]
    if len(pieces) >= 3:  # segment() turns heading-like text pieces into headings
        pieces = [piece for piece in pieces if not _looks_like_heading(text[piece[0] : piece[1]])]
    units: list[tuple[int, int]] = []
    for start, end in pieces:
        lo = bisect.bisect_right(cuts, start)
        units += _cut(text, start, end, cuts[lo : bisect.bisect_left(cuts, end, lo)])
    return units
