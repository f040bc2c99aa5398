"""Hypothesis strategies for the fuzz suite: hostile text, records, files and how they must be read.

A generated input is a :class:`Case`: the bytes of one file, plus what a correct reader
does with it, record by record: which lines hold good records (and their ids), and which
lines hold bad ones (and the kind of problem each must be reported as).

Texts mix every script (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, CJK,
Hangul, emoji...), combining marks, C0 and C1 controls, bidi overrides and isolates, NUL,
line and paragraph separators, quotes and CSV delimiters.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The documented limit the fuzz runs use, so that "too large" is cheap to reach.
MAX_CHARS = 400

SPECIALS = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\x9c"  # C0, DEL, C1 (CSI, ST)
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi marks, overrides, isolates
    "\u2028\u2029\ufeff\ufffd\u00a0\u3000"  # separators, BOM, replacement, spaces
    "\"',;\t\r\n\\«»“”’"  # quoting and delimiters
    "\u0301\u0308\u094d\u0e31"  # combining marks
)
SCRIPTS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789éèçàœß",
    "абвгдежзийклмнопрстуфхцчшщыэюя", "αβγδεζηθικλμνξοπρστυφχψω", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "אבגדהוזחטיכלמנסעפצקרשת", "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह",
    "กขคฆงจฉชซญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ", "的一是不了人我在有他这为之大来以个中上们",
    "가나다라마바사아자차카타파하", "😀🎉🚀🇫🇷👍🏽", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
)
WORDY = "".join(SCRIPTS)

# Any character but a lone surrogate, weighted towards words so that documents can match.
characters = st.one_of(
    st.sampled_from(WORDY), st.sampled_from(WORDY), st.sampled_from(" " * 6),
    st.sampled_from(SPECIALS), st.characters(blacklist_categories=("Cs",)),
)
hostile_text = st.text(characters, min_size=0, max_size=120)


def _contentful(text: str) -> bool:
    return bool(text.strip())


good_text = st.text(characters, min_size=1, max_size=160).filter(_contentful)
ids = st.text(st.one_of(st.sampled_from(WORDY), st.sampled_from(SPECIALS)), min_size=1, max_size=12)

any_id = st.one_of(ids, st.integers(-10**6, 10**6))
line_choice = st.sampled_from(["good", "good", "good", "bad", "blank"])
blank_line = st.sampled_from([b"", b"   ", b"\t"])
sources = st.sampled_from(["afp", "reuters", "ап"])
row_choice = st.sampled_from(["good", "good", "good", "columns", "empty_id", "bytes", "empty", "duplicate"])
bad_kind = st.sampled_from(sorted(["malformed", "missing_field", "empty", "encoding", "too_large", "duplicate_id"]))

# Shared sentences, so that some generated documents are copies of each other and the
# clustering, diff, provenance and reports run on them.
STORY = ("Le ministre a annoncé mardi un plan de reconstruction des écoles du nord du pays. Les travaux "
         "commenceront au printemps et dureront trois ans selon le gouvernement.")
document_text = st.one_of(good_text, st.just(STORY), good_text.map(lambda t: STORY + " " + t))


@dataclass
class Case:
    """A generated input file and what reading it must give."""

    name: str
    data: bytes
    good: dict[int, str] = field(default_factory=dict)  # line -> id
    bad: dict[int, str] = field(default_factory=dict)  # line -> problem kind
    options: dict = field(default_factory=dict)  # ReadOptions besides max_chars


def fuzz_settings(examples: int):
    """Bounded, reproducible settings: a fixed derandomised walk unless DEDUP_FUZZ_RANDOM is set."""
    return settings(
        max_examples=examples, deadline=None, derandomize=not os.environ.get("DEDUP_FUZZ_RANDOM"), database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )


# -- JSONL ---------------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


BAD_JSONL = {
    "malformed": st.one_of(
        st.builds(lambda t: "{" + json.dumps(t)[:-1], hostile_text),  # cut short
        st.just('{"id": "x", "text": "unterminated}'),
        st.builds(lambda d: _nested(d), st.integers(1, 5)).map(lambda s: s + "{"),
        st.builds(lambda d: '{"id": "deep", "text": "t", "meta": ' + _nested(d) + "}", st.integers(50_000, 120_000)),
        st.sampled_from(["[1, 2]", "42", '"text"', "null", "true"]),
        st.sampled_from(['{"id": ["a"], "text": "t"}', '{"id": {"k": 1}, "text": "t"}', '{"id": 1.5, "text": "t"}',
                         '{"id": false, "text": "t"}']),
    ),
    "missing_field": st.sampled_from(['{"text": "t"}', '{"id": null, "text": "t"}', '{"id": "m"}',
                                      '{"id": "m", "text": 7}', '{"id": "", "text": "t"}']),
    "empty": st.sampled_from(['{"id": "e", "text": ""}', '{"id": "e", "text": "  \\n\\t "}']),
    "encoding": st.sampled_from(['{"id": "s", "text": "a \\ud800 b"}', '{"id": "\\udfff", "text": "t"}',
                                 '{"id": "s", "text": "t", "title": "\\udc00"}', "BYTES"]),
    "too_large": st.just("TOO_LARGE"),
    "duplicate_id": st.just("DUPLICATE"),
}


@st.composite
def jsonl_case(draw, name: str = "feed.jsonl") -> Case:
    """A JSONL file of good and bad records (and blank lines), each line's fate known."""
    case = Case(name, b"")
    lines: list[bytes] = []
    good_ids: list[str] = []
    for _ in range(draw(st.integers(0, 14))):
        number = len(lines) + 1
        choice = draw(line_choice)
        if choice == "blank":
            lines.append(draw(blank_line))
            continue
        if choice == "good":
            doc_id = draw(any_id)
            key = str(doc_id)
            if key in good_ids:
                continue
            record = {"id": doc_id, "text": draw(document_text)}
            if draw(st.booleans()):
                record.update(title=draw(hostile_text), source=draw(sources))
            lines.append(json.dumps(record, ensure_ascii=draw(st.booleans())).encode("utf-8"))
            good_ids.append(key)
            case.good[number] = key
            continue
        kind = draw(bad_kind)
        line = draw(BAD_JSONL[kind])
        if line == "BYTES":
            raw = b'{"id": "b", "text": "caf\xe9 \xff"}'
        elif line == "TOO_LARGE":
            raw = json.dumps({"id": "big", "text": "x" * (MAX_CHARS + 1)}).encode()
        elif line == "DUPLICATE":
            if not good_ids:
                continue
            raw = json.dumps({"id": good_ids[draw(st.integers(0, len(good_ids) - 1))], "text": "doublon"}).encode()
        else:
            raw = line.encode("utf-8")
        lines.append(raw)
        case.bad[number] = kind
    case.data = b"\n".join(lines) + (b"\n" if draw(st.booleans()) or not lines else b"")
    return case


# -- CSV -------------------------------------------------------------------------------------------


def physical_lines(text: str) -> int:
    """Lines as a reader splitting on \\n, \\r and \\r\\n counts them."""
    flat = text.replace("\r\n", "\n")
    return flat.count("\n") + flat.count("\r")


@st.composite
def csv_case(draw, name: str = "feed.csv") -> Case:
    """A CSV file with a header, good rows (any text, quoted as a writer quotes it) and bad rows
    that leave the quoting of the rows after them intact; each row's first line known."""
    case = Case(name, b"")
    out = io.BytesIO()
    line = 1
    out.write(b"id,text,source\r\n" if draw(st.booleans()) else b"id,text,source\n")
    good_ids: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        line_of_row = line + 1
        choice = draw(row_choice)
        if choice == "good":
            doc_id = draw(ids)
            if not doc_id.strip() or doc_id in good_ids:
                continue
            buffer = io.StringIO()
            csv.writer(buffer).writerow([doc_id, draw(document_text), "afp"])
            row = buffer.getvalue().encode("utf-8")
            good_ids.append(doc_id)
            case.good[line_of_row] = doc_id
        elif choice == "columns":
            row, case.bad[line_of_row] = b"c1,a,b,c\n", "malformed"
        elif choice == "empty_id":
            row, case.bad[line_of_row] = b",texte sans id,afp\n", "missing_field"
        elif choice == "bytes":
            row, case.bad[line_of_row] = b"b1,caf\xe9 \xff,afp\n", "encoding"
        elif choice == "empty":
            row, case.bad[line_of_row] = b"e1,   ,afp\n", "empty"
        else:
            if not good_ids:
                continue
            buffer = io.StringIO()
            csv.writer(buffer).writerow([good_ids[draw(st.integers(0, len(good_ids) - 1))], "doublon", "x"])
            row, case.bad[line_of_row] = buffer.getvalue().encode("utf-8"), "duplicate_id"
        out.write(row)
        line += physical_lines(row.decode("utf-8", "replace"))
    case.data = out.getvalue()
    return case


@st.composite
def broken_csv(draw) -> bytes:
    """CSV bytes with quotes opened and never closed, stray quotes and ragged rows."""
    pieces = draw(st.lists(st.sampled_from(['"', '""', ",", "\n", "\r\n", "a", "b c", "'", "\x00", "é", "\t"]),
                           max_size=60))
    return ("id,text\n" + "".join(pieces)).encode("utf-8")


# -- bytes and compression ------------------------------------------------------------------------


PACKERS = {"gzip": (".gz", lambda data: gzip.compress(data, compresslevel=1)), "bz2": (".bz2", bz2.compress),
           "xz": (".xz", lzma.compress)}


def compress(data: bytes, how: str, cut: float) -> tuple[str, bytes]:
    """``data`` as stored: plain, compressed, or compressed and cut short at ``cut`` of its
    length (``truncated-gzip``…); the suffix to add to the file name."""
    if how == "plain":
        return "", data
    suffix, pack = PACKERS[how.removeprefix("truncated-")]
    packed = pack(data)
    if how.startswith("truncated-"):  # always short of the end
        packed = packed[: max(1, min(len(packed) - 1, int(len(packed) * cut)))]
    return suffix, packed


compressions = st.tuples(
    st.sampled_from(["plain", "gzip", "bz2", "xz", "truncated-gzip", "truncated-bz2", "truncated-xz"]),
    st.floats(0.0, 1.0),
)
