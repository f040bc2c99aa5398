"""JSON text of report records, written by orjson where it gives the standard library's bytes.

Reports are the text ``json.dumps(value, ensure_ascii=False, indent=2)`` writes (and JSON
lines the text of ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``). With
``indent`` the standard library falls back to its pure-Python encoder, which is most of the
time a large report takes to write; orjson writes the same text about ten times faster,
except in these cases, where :func:`dumps` hands the whole value to the standard library:

* floats outside ``[1e-4, 1e16)``: the two spell exponents differently (Python ``1e-05``
  and ``1e+16``; orjson ``0.00001`` or ``1e-5`` by version, and ``1e16``). Report scores
  are rounded to 4 decimals, so they never are; a parameter may be;
* NaN and infinities: Python writes ``NaN`` and ``Infinity``, orjson ``null``;
* anything but ``dict``, ``list``, ``tuple``, ``str``, ``int``, ``float``, ``bool`` and
  ``None`` (subclasses, dataclasses, numpy scalars, enums...), which orjson may write where
  the standard library would refuse, or write otherwise;
* what orjson refuses: integers beyond 64 bits, keys that are not strings, lone surrogates,
  nesting deeper than 255.

Control characters, quotes and backslashes are escaped alike, and non-ASCII text (RTL,
emoji and other non-BMP characters) is written as UTF-8 by both; tests/report/test_encode.py
compares the two on reports and on generated values. At import a few values near the
float boundaries are written both ways: an orjson that disagrees on any is not used.
orjson is optional: without it every report goes through the standard library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, Union

from dedup.spools import FilePiece

try:  # optional: the standard library writes the same text, more slowly
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

# Floats whose shortest form orjson and Python spell alike: zero, and [1e-4, 1e16).
_LOW, _HIGH = 1e-4, 1e16
_SCALARS = frozenset({str, int, bool, type(None)})


class Plain(dict):  # type: ignore[type-arg]
    """A record whose maker puts in it only what :func:`plain` finds plain: strings, ints,
    bools, None, floats rounded to four places from [0, 1], and lists and dicts of those.
    :func:`plain` takes it as it is, without walking it (a cluster's record holds hundreds
    of thousands of them); both encoders write it as the dict it is."""

    __slots__ = ()


def dumps(value: Any, *, indent: bool = True, nested: int = 0) -> str:
    """``value`` as JSON text, exactly as the standard library writes it.

    With ``indent`` (a report) as ``json.dumps(value, ensure_ascii=False, indent=2)``;
    without (a JSON line) as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``.
    ``nested`` spaces more begin every line but the first, for a value written inside
    another (a line break is only ever the layout's: strings escape theirs).

    >>> dumps({"score": 0.5, "ids": ["a", "b"]}, indent=False)
    '{"score":0.5,"ids":["a","b"]}'
    """
    raw = _fast(value, indent, nested)
    return raw.decode("utf-8") if raw is not None else _standard(value, indent, nested)


def dumps_utf8(value: Any, *, indent: bool = True, nested: int = 0) -> bytes:
    """:func:`dumps`'s text as UTF-8, without decoding what orjson wrote: what a worker
    sends back for the main process to write (bytes cross processes at the speed of a
    copy; a long non-ASCII ``str`` is encoded and decoded again on the way)."""
    raw = _fast(value, indent, nested)
    return raw if raw is not None else _standard(value, indent, nested).encode("utf-8")


def dumps_utf8_nested(value: Any, nested: int) -> bytes | memoryview:
    """``dumps_utf8(value, nested=nested)`` without a second copy of the text.

    Indenting orjson's text afterwards copies it whole (a cluster's record of a few hundred
    MB held twice). Written inside ``nested // 2`` lists instead, orjson indents the value
    as it would be inside them, and the value's text is a view of that output between the
    lists' brackets. Odd ``nested`` and the standard library's text are indented as usual.
    """
    depth, odd = divmod(nested, 2)
    if odd or not depth or not _ORJSON_AGREES:
        return dumps_utf8(value, nested=nested)
    wrapped: Any = value
    for _ in range(depth):
        wrapped = [wrapped]
    raw = _orjson(wrapped, value, orjson.OPT_INDENT_2)
    if raw is None:
        return dumps_utf8(value, nested=nested)
    opening = b"".join(b"[\n" + b" " * (2 * level) for level in range(1, depth + 1))
    closing = b"".join(b"\n" + b" " * (2 * level) + b"]" for level in reversed(range(depth)))
    return memoryview(raw)[len(opening) : len(raw) - len(closing)]


def lines_utf8(values: list[Any]) -> bytes:
    """Each of ``values`` as a JSON line in UTF-8: ``dumps(value, indent=False)`` and a
    newline, one after the other, with one walk of :func:`plain` over them all."""
    if _ORJSON_AGREES:
        try:
            lines = [orjson.dumps(value) for value in values]
        except (TypeError, orjson.JSONEncodeError):
            lines = None
        if lines is not None and plain(values):
            return b"".join(line + b"\n" for line in lines)
    return "".join(dumps(value, indent=False) + "\n" for value in values).encode("utf-8")


def _fast(value: Any, indent: bool, nested: int) -> bytes | None:
    """orjson's UTF-8 text of ``value`` where it is the standard library's, or None."""
    if not _ORJSON_AGREES:
        return None
    raw = _orjson(value, value, orjson.OPT_INDENT_2 if indent else 0)
    if raw is None or not nested:
        return raw
    return raw.replace(b"\n", b"\n" + b" " * nested)


def _orjson(written: Any, value: Any, option: int) -> bytes | None:
    """orjson's text of ``written`` (``value``, or ``value`` inside lists), or None where
    orjson refuses it or ``value`` is not :func:`plain`: the standard library decides then
    (and raises what it raises)."""
    try:
        raw = orjson.dumps(written, option=option)
    except (TypeError, orjson.JSONEncodeError):
        return None
    # orjson has written it, so the value holds no cycle and the walk ends
    return raw if plain(value) else None


def _standard(value: Any, indent: bool, nested: int) -> str:
    if indent:
        text = json.dumps(value, ensure_ascii=False, indent=2)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\n", "\n" + " " * nested) if nested else text


# A piece of a report: text, UTF-8 bytes, or UTF-8 bytes a worker left in a file.
Piece = Union[str, bytes, memoryview, FilePiece]


def utf8_pieces(pieces: Iterable[Piece]) -> Iterator[bytes | memoryview]:
    """A report's pieces as UTF-8: text encoded (strictly, as a text file writes it), bytes
    as they are, and what a worker left in a file read in."""
    for piece in pieces:
        if isinstance(piece, str):
            yield piece.encode("utf-8")
        else:
            yield piece.read() if isinstance(piece, FilePiece) else piece


def write_pieces(out: BinaryIO, pieces: Iterable[Piece]) -> None:
    """:func:`utf8_pieces` written to the file ``out``; what a worker left in a file is
    copied there by the kernel, without passing through this process."""
    for piece in pieces:
        if isinstance(piece, FilePiece):
            piece.copy_to(out)
        else:
            out.write(piece.encode("utf-8") if isinstance(piece, str) else piece)


def text_of(piece: Piece) -> str:
    """A report's piece as text."""
    if isinstance(piece, str):
        return piece
    return str(piece.read() if isinstance(piece, FilePiece) else piece, "utf-8")


def joined(pieces: Iterable[Piece]) -> str:
    """A report's pieces as one text."""
    return "".join(map(text_of, pieces))


def plain(value: Any) -> bool:
    """Whether ``value`` holds only JSON types, and floats both encoders spell alike.

    The value must be free of cycles (orjson has written it before this is asked).
    """
    stack = [[value]]  # only containers go on the stack
    pop, push = stack.pop, stack.append
    seen: set[int] = set()  # containers found plain, by id: a report may hold one many times
    while stack:
        node = pop()
        for item in node.values() if type(node) is dict else node:
            kind = type(item)
            if kind in _SCALARS:
                continue
            if kind is float:
                # NaN fails every comparison, so it is not plain either
                if not (item == 0.0 or _LOW <= abs(item) < _HIGH):
                    return False
            elif kind is Plain:
                continue
            elif kind is dict or kind is list or kind is tuple:
                if id(item) not in seen:  # the value is alive throughout: ids are not reused
                    seen.add(id(item))
                    push(item)
            else:
                return False
    return True


def _orjson_agrees() -> bool:
    """Whether the installed orjson writes, near the float boundaries and for every
    escaped character, what the standard library writes."""
    if orjson is None:
        return False
    probes: list[object] = [
        _LOW, math.nextafter(_LOW, 1.0), 0.00012345, 0.1, 1 / 3, 2 / 3, 0.9999, 1.0, 123456.789,
        1e15, 9999999999999998.0, math.nextafter(_HIGH, 0.0), -0.0, -0.5, 0.0,
        "".join(chr(c) for c in range(0x20)) + "\x7f\"\\/\u2028\u2029\u200f\u05d0\U0001f600",
        {"a": [], "b": {}, "c": [1, [2, {}]], "d": None, "e": True},
    ]
    for probe in probes:
        for indent in (True, False):
            try:
                fast = orjson.dumps(probe, option=orjson.OPT_INDENT_2 if indent else 0).decode("utf-8")
            except (TypeError, orjson.JSONEncodeError):  # pragma: no cover - a broken orjson
                return False
            if indent:
                slow = json.dumps(probe, ensure_ascii=False, indent=2)
            else:
                slow = json.dumps(probe, ensure_ascii=False, separators=(",", ":"))
            if fast != slow:
                return False
    return True


_ORJSON_AGREES = _orjson_agrees()
