"""CSV and TSV with a header row, streamed; each bad record is reported with the line it starts on.

The file is decoded as it is read and parsed strictly (a quote inside a quoted field
must be doubled). Where the quoting breaks, the record ends where its quotes balance
again: counting quotes line by line (``""`` counts twice) finds the end a writer meant,
so the lines of a broken record are reported with it and never read as records of their
own. A quote that never closes is the exception: the record it opens is reported at the
line where it opened, and the lines after that line are read again as records, since
they are what an unterminated quote swallowed. A record is bounded (``max_chars`` plus a
megabyte), so neither a huge field nor a quote left open holds more than that in memory.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from typing import IO

from dedup.document import Document
from dedup.io.records import DECODE_MARK, Records, first_surrogate


class _TooLong(Exception):
    """The record being read passed the bound."""


class _Lines:
    """Physical lines of a text stream, numbered, with the lines of the current record kept
    (so that they can be read again) and a bound on the record's length."""

    def __init__(self, stream: IO[str], limit: int) -> None:
        self.stream, self.limit = stream, limit
        self.number = 0  # lines read from the stream so far
        self.pending: deque[tuple[int, str]] = deque()  # lines to read again
        self.record: list[tuple[int, str]] = []
        self.size = 0
        self.dropped = False  # some lines of the record were read past the bound and let go
        self.exhausted = False

    def __iter__(self) -> _Lines:
        return self

    def _read(self) -> tuple[int, str] | None:
        if self.pending:
            return self.pending.popleft()
        line = self.stream.readline(self.limit + 1)
        if not line:
            self.exhausted = True
            return None
        self.number += 1
        return self.number, line

    def __next__(self) -> str:
        read = self._read()
        if read is None:
            raise StopIteration
        self.record.append(read)
        self.size += len(read[1])
        if self.size > self.limit:
            raise _TooLong
        return read[1]

    def start_record(self) -> None:
        self.record, self.size, self.dropped = [], 0, False

    def read_again_after_first(self) -> None:
        """Put the current record's lines after its first back in front, to be read again."""
        self.pending.extendleft(reversed(self.record[1:]))
        self.record = self.record[:1]

    def skip_to_balanced_quotes(self) -> int | None:
        """Read on until the record's quotes balance; the record's last line, or None at the end
        of the file. The lines read are kept while the record stays within the bound (so that
        they can be read again), and ``dropped`` says whether some had to be let go.
        """
        odd = sum(line.count('"') for _, line in self.record) % 2 == 1
        last = self.record[-1][0] if self.record else self.number
        partial = bool(self.record) and not self.record[-1][1].endswith(("\n", "\r"))
        self.dropped = self.dropped or partial
        while odd or partial:
            if partial:  # the rest of a line too long to read at once, in pieces
                piece = self.stream.readline(1 << 20)
                if not piece:
                    return None
            else:
                read = self._read()
                if read is None:
                    return None
                last, piece = read
                self.size += len(piece)
                if self.size <= self.limit and not self.dropped:
                    self.record.append(read)
                else:
                    self.dropped = True
            odd ^= piece.count('"') % 2 == 1
            partial = not piece.endswith(("\n", "\r"))
        return last


def record_limit(max_chars: int) -> int:
    """The longest CSV record read, in characters: the text, and a megabyte for the other fields."""
    return max_chars + (1 << 20)


def read_delimited(records: Records, stream: IO[bytes], name: str, delimiter: str) -> Iterator[Document]:
    """The documents of the rows of ``stream``, fields named by the header row."""
    encoding = "utf-8-sig" if records.utf8 else records.options.encoding
    text = io.TextIOWrapper(stream, encoding=encoding, errors=DECODE_MARK, newline="")
    limit = record_limit(records.options.max_chars)
    csv.field_size_limit(max(csv.field_size_limit(), limit + 1))  # the bound above is the one that acts
    try:
        yield from _documents(records, _Lines(text, limit), name, delimiter)
    finally:
        text.detach()  # the caller owns, and closes, the byte stream


def _documents(records: Records, lines: _Lines, name: str, delimiter: str) -> Iterator[Document]:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    while True:
        lines.start_record()
        try:
            row = next(reader)
        except StopIteration:
            if header is None:
                records.problem(name, "malformed", "empty CSV file (no header)")
            return
        except csv.Error as exc:
            _broken_record(records, lines, name, str(exc))
            if header is None:
                return
            continue
        except _TooLong:
            _long_record(records, lines, name)
            if header is None:
                return
            continue
        start, end = lines.record[0][0], lines.record[-1][0]
        location = f"{name}:{start}"
        if any(first_surrogate(field) is not None for field in row):
            records.problem(location, "encoding", f"not valid {records.options.encoding} in this record; "
                            "re-encode the file or pass the right --encoding")
            if header is None:
                return
        elif header is None:
            header = row or None  # blank lines before the header are skipped
        elif row and len(row) != len(header):
            lines_note = f" (a record of lines {start}-{end})" if end > start else ""
            records.problem(location, "malformed",
                            f"expected {len(header)} columns as in the header, got {len(row)}{lines_note}")
        elif row:
            doc = records.record(dict(zip(header, row)), location)
            if doc is not None:
                yield doc


def _quote_line(lines: _Lines) -> int:
    """The line of the current record where its last unbalanced quote opened."""
    odd, opened = False, lines.record[0][0]
    for number, line in lines.record:
        if line.count('"') % 2 == 1:
            odd = not odd
            if odd:
                opened = number
    return opened


def _broken_record(records: Records, lines: _Lines, name: str, reason: str) -> None:
    """Report a record whose quoting is broken, and go on after it (see the module's notes)."""
    start = lines.record[0][0]
    last = None if lines.exhausted else lines.skip_to_balanced_quotes()
    opened = _quote_line(lines)
    if last is None and lines.dropped:
        records.problem(f"{name}:{start}", "malformed",
                        f"unterminated quote: the quote opened at line {opened} is not closed within the "
                        f"limit of {records.options.max_chars:,} characters (--max-chars); the rest of the file "
                        "is not read")
        return
    if last is None:
        records.problem(f"{name}:{start}", "malformed",
                        f"unterminated quote: the quote opened at line {opened} is never closed; "
                        "this record is skipped and the lines after it are read again")
        lines.exhausted = False
        lines.read_again_after_first()
        return
    span = f"lines {start}-{last}" if last > start else f"line {start}"
    records.problem(f"{name}:{start}", "malformed", f"malformed CSV record at {span} ({reason})")


def _long_record(records: Records, lines: _Lines, name: str) -> None:
    """Report a record over the bound, and go on after it."""
    start = lines.record[0][0]
    last = lines.skip_to_balanced_quotes()
    if last is None:
        _broken_record(records, lines, name, "")
        return
    records.problem(f"{name}:{start}", "too_large",
                    f"record at lines {start}-{last} is longer than the limit of "
                    f"{records.options.max_chars:,} characters (raise it with --max-chars)")
