"""The input reader: lists inputs (folders, files, stdin), picks each file's format and
decompresses it as it reads; the formats themselves live in one module each.

Every reader yields :class:`~dedup.document.Document` records and reports each record it
cannot use as a :class:`~dedup.document.Problem` naming the file and line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from dedup.document import Document, Problem
from dedup.io.compression import DECOMPRESSION_ERRORS, InputTooLarge, open_input, read_input, strip_compression
from dedup.io.delimited import read_delimited
from dedup.io.formats import EXTRA_FORMATS, FOLDER_SUFFIXES, format_of, read_extra_format
from dedup.io.jsonl import read_jsonl
from dedup.io.listing import folder_entries, folder_prefixes, not_a_file
from dedup.io.memory import RecordSource
from dedup.io.options import InputFormat, ReadOptions
from dedup.io.records import Records

# A text file is read whole, up to this many bytes per character of --max-chars (no
# encoding needs more than 4): a larger file, or a small archive expanding past it, is
# reported without being read further.
BYTES_PER_CHAR = 4


class InputReader:
    """Reads inputs in order, checks each record and keeps the list of problems."""

    def __init__(self, options: ReadOptions | None = None) -> None:
        self.options = options or ReadOptions()
        self._records = Records(self.options)

    @property
    def problems(self) -> list[Problem]:
        """Every record skipped so far, with its file and line."""
        return self._records.problems

    def read(self, inputs: Iterable[str | Path | RecordSource]) -> Iterator[Document]:
        """Yield the valid documents of every input, in input order.

        The id of a file found in a folder is its path inside the folder. When several
        folders are given, the folder's name comes first (``fa/story.txt``), so that two
        folders holding files of the same name do not clash (two folders of the same name
        are told apart by their paths as given).
        """
        inputs = list(inputs)
        prefixes = folder_prefixes([Path(item) for item in inputs if _is_folder(item)])
        for item in inputs:
            if isinstance(item, RecordSource):
                yield from self._records.checked(item.documents(self._records))
                continue
            if str(item) == "-":
                yield from self._guarded("<stdin>", read_jsonl(self._records, sys.stdin.buffer, "<stdin>"))
                continue
            path = Path(item)
            if path.is_dir():
                yield from self._read_folder(path, prefixes.get(path, ""))
                continue
            problem = not_a_file(path)
            if problem:
                self._records.problem(str(path), "unreadable", problem)
            else:
                yield from self._read_file(path, path.name)

    def skipped_summary(self) -> dict[str, int]:
        """How many records were skipped for each kind of problem."""
        summary: dict[str, int] = {}
        for problem in self.problems:
            summary[problem.kind] = summary.get(problem.kind, 0) + 1
        return dict(sorted(summary.items()))

    def _read_folder(self, folder: Path, prefix: str) -> Iterator[Document]:
        # text and HTML pages (one document each), Parquet, WARC and feed files; see formats
        for entry in folder_entries(folder, FOLDER_SUFFIXES):
            if entry.problem:
                self._records.problem(str(entry.path), "unreadable", entry.problem)
            else:
                yield from self._read_file(entry.path, prefix + entry.relative, by_suffix=True)

    def _format_of(self, path: Path) -> InputFormat:
        if self.options.input_format != "auto":
            return self.options.input_format
        return format_of(path.name)

    def read_file(
        self, path: Path, doc_id: str, *, location: str | None = None, by_suffix: bool = False
    ) -> Iterator[Document]:
        """The checked documents of one file, as :meth:`read` reads it.

        For engines that fetch files themselves (the Spark scan copies each file it reads to
        the executor's disk first): ``location`` is what documents and problems name (the
        path by default), ``doc_id`` the id of a one-document file (a text or HTML page), and
        ``by_suffix`` picks the format by suffix whatever ``input_format`` says, as for the
        files of a folder.
        """
        return self._read_file(path, doc_id, by_suffix, location)

    def _read_file(
        self, path: Path, doc_id: str, by_suffix: bool = False, location: str | None = None
    ) -> Iterator[Document]:
        kind = format_of(path.name) if by_suffix else self._format_of(path)
        location = str(path) if location is None else location
        if kind in EXTRA_FORMATS:
            yield from self._records.checked(read_extra_format(self._records, path, doc_id, kind, location))
        elif kind == "jsonl":
            # JSONL is streamed line by line, so a feed larger than memory can be scanned.
            yield from self._stream(path, lambda stream: read_jsonl(self._records, stream, location))
        elif kind == "csv":
            delimiter = "\t" if ".tsv" in path.name.lower() else ","
            yield from self._stream(path, lambda stream: read_delimited(self._records, stream, location, delimiter))
        else:
            yield from self._records.checked(self._read_text(path, strip_compression(doc_id), location))

    def _read_text(self, path: Path, doc_id: str, location: str) -> Iterator[Document]:
        limit = BYTES_PER_CHAR * self.options.max_chars + 4
        try:
            raw = read_input(path, limit)
        except InputTooLarge:
            self._records.problem(
                location, "too_large",
                f"holds more than {limit:,} bytes (decompressed), so its text would be over the limit of "
                f"{self.options.max_chars:,} characters (raise it with --max-chars); not read further",
            )
            return
        except DECOMPRESSION_ERRORS as exc:
            self._records.problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
            return
        text = self._records.decode(raw, location)
        if text is not None:
            yield Document(doc_id, text, location=location)

    def _stream(self, path: Path, read: Callable[[IO[bytes]], Iterator[Document]]) -> Iterator[Document]:
        """The documents ``read`` finds in ``path`` opened as a (decompressing) stream."""
        location = str(path)
        try:
            stream = open_input(path)
        except DECOMPRESSION_ERRORS as exc:
            self._records.problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
            return
        with stream:
            yield from self._guarded(location, read(stream))

    def _guarded(self, location: str, documents: Iterator[Document]) -> Iterator[Document]:
        """The checked ``documents`` of a stream; a stream that breaks off is reported, not raised."""
        try:
            yield from self._records.checked(documents)
        except UnicodeError as exc:  # what a decoder raises past its error handler ("no BOM")
            self._records.problem(location, "encoding", f"cannot read the rest as {self.options.encoding}: {exc} "
                                  "(pass the right --encoding)")
        except DECOMPRESSION_ERRORS as exc:
            self._records.problem(
                location, "unreadable", f"cannot read the rest of the file: {getattr(exc, 'strerror', None) or exc}"
            )


def _is_folder(item: object) -> bool:
    return not isinstance(item, RecordSource) and str(item) != "-" and Path(str(item)).is_dir()


__all__ = ["InputReader"]
