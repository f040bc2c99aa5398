"""JSON Lines: one JSON object per line, streamed, so a feed larger than memory can be read.

Lines are read with a bound (:func:`line_limit`): a line too long to hold a text within
``max_chars`` is reported and skipped without ever being held whole, so a "gzip bomb"
of one endless line costs no memory. In an encoding where the newline is the byte
``\\n`` (UTF-8, Latin-1, the CJK legacy encodings…) lines are split as bytes and each is
decoded on its own, so one badly encoded line costs only itself. In UTF-16 and UTF-32 the
byte ``\\n`` is half of some other character: there the stream is decoded as it is read,
then split, and a badly encoded line is reported by its number just the same.

A UTF-8 line is parsed by orjson where it can (:func:`_quick_object`): it reads the bytes
as they are, without decoding them first, in less than half the time the standard
library's parser takes over the decoded line. It gives the same object wherever it
accepts a line, with one exception that is checked: an integer beyond 64 bits comes back
as a float. Whatever it refuses (bad UTF-8, a byte order mark, a lone surrogate, NaN, an
infinite number, deep nesting, any malformed line) takes the general path, which reads
or reports it as it always did.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO

from dedup.document import Document
from dedup.io.options import OPTIONAL_FIELDS
from dedup.io.records import DECODE_MARK, Records, field_value, first_surrogate

try:
    import orjson
except ImportError:  # a dependency; without it, every line takes the general path
    orjson = None  # type: ignore[assignment]

_READ_PIECE = 1 << 20


def line_limit(max_chars: int) -> int:
    """The longest JSONL line read, in bytes (or characters): JSON may write a character as
    ``\\ud83d\\ude00`` (12 bytes), and other fields get a megabyte besides."""
    return 12 * max_chars + (1 << 20)


def splits_on_newline_byte(encoding: str) -> bool:
    """Whether ``encoding`` writes the newline as the byte ``\\n`` and ASCII as ASCII."""
    return "{\n".encode(encoding).endswith(b"{\n")


def read_jsonl(records: Records, stream: IO[bytes], name: str) -> Iterator[Document]:
    """The documents of the JSON objects in ``stream``; each bad line is reported as ``name:line``."""
    options = records.options
    limit = line_limit(options.max_chars)
    if splits_on_newline_byte(options.encoding):
        lines: Iterator[bytes | str | None] = _bounded_lines(stream, limit, b"\n")
    else:
        lines = _decoded_lines(stream, options.encoding, limit)
    fields = options.fields
    read_fields = (fields.id, fields.text, *(getattr(fields, name) for name in OPTIONAL_FIELDS),
                   *([options.html_field] if options.html_field is not None else []))
    quick = records.utf8 and orjson is not None
    for line_number, raw in enumerate(lines, start=1):
        location = f"{name}:{line_number}"
        if raw is None:
            records.problem(
                location, "too_large",
                f"line longer than {limit:,} bytes, so its text would be over the limit of "
                f"{options.max_chars:,} characters (raise it with --max-chars); not read",
            )
            continue
        if not raw.strip():
            continue
        record = _quick_object(raw, read_fields) if quick and isinstance(raw, bytes) else None
        if record is None:
            line = records.decode(raw, location) if isinstance(raw, bytes) else _checked_line(records, raw, location)
            if line is None:
                continue
            record = _parse(records, line, location)
        if record is not None:
            doc = records.record(record, location)
            if doc is not None:
                yield doc


def _quick_object(raw: bytes, read_fields: tuple[str, ...]) -> dict | None:
    """The JSON object of the UTF-8 line ``raw`` by orjson, or None where the line takes the
    general path: orjson refuses it, it is not an object, or a field dedup reads holds a
    float, which may be an integer beyond 64 bits that the standard library keeps whole."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(record) is not dict:
        return None
    for name in read_fields:
        value = record.get(name) if name in record or "." not in name else field_value(record, name)
        if type(value) is float:
            return None
    return record


def _parse(records: Records, line: str, location: str) -> dict | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        records.problem(location, "malformed", f"malformed JSON ({exc.msg} at column {exc.colno})")
        return None
    except RecursionError:
        records.problem(location, "malformed", "malformed JSON (arrays or objects nested too deeply)")
        return None
    if not isinstance(record, dict):
        records.problem(location, "malformed", f"expected a JSON object, got {type(record).__name__}")
        return None
    return record


def _checked_line(records: Records, line: str, location: str) -> str | None:
    """A line decoded from the stream, unless the decoder marked bytes it could not read."""
    if first_surrogate(line) is not None:
        records.problem(location, "encoding", f"not valid {records.options.encoding} on this line; "
                        "re-encode the file or pass the right --encoding")
        return None
    return line


def _bounded_lines(stream: IO, limit: int, newline: bytes | str) -> Iterator[bytes | str | None]:
    """The lines of ``stream``; None for a line longer than ``limit``, whose rest is skipped."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit:
            yield line
            continue
        while line and not line.endswith(newline):  # skip to the end of the long line
            line = stream.readline(_READ_PIECE)
        yield None


def _decoded_lines(stream: IO[bytes], encoding: str, limit: int) -> Iterator[str | None]:
    """The lines of ``stream`` decoded as they are read (UTF-16, UTF-32…), bounded like bytes."""
    text = io.TextIOWrapper(stream, encoding=encoding, errors=DECODE_MARK, newline="\n")
    try:
        yield from _bounded_lines(text, limit, "\n")  # type: ignore[misc]
    finally:
        text.detach()  # the caller owns, and closes, the byte stream
