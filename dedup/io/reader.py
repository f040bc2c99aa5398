"""The input reader: lists inputs (folders, files, stdin), picks each file's format and
decompresses it; the formats themselves live in one module each.

Every reader yields :class:`~dedup.document.Document` records and reports each record it
cannot use as a :class:`~dedup.document.Problem` naming the file and line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from dedup.document import Document, Problem
from dedup.io.compression import DECOMPRESSION_ERRORS, open_input, read_input, strip_compression
from dedup.io.delimited import read_delimited
from dedup.io.formats import EXTRA_FORMATS, FOLDER_SUFFIXES, format_of, read_extra_format
from dedup.io.jsonl import read_jsonl
from dedup.io.memory import RecordSource
from dedup.io.options import InputFormat, ReadOptions
from dedup.io.records import Records


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
        """Yield the valid documents of every input, in input order."""
        for item in inputs:
            if isinstance(item, RecordSource):
                yield from self._records.checked(item.documents(self._records))
                continue
            if str(item) == "-":
                yield from self._records.checked(read_jsonl(self._records, sys.stdin.buffer, "<stdin>"))
                continue
            path = Path(item)
            if path.is_dir():
                yield from self._read_folder(path)
            elif path.exists():
                yield from self._read_file(path, path.name)
            else:
                self._records.problem(str(path), "unreadable", "no such file or folder")

    def skipped_summary(self) -> dict[str, int]:
        """How many records were skipped for each kind of problem."""
        summary: dict[str, int] = {}
        for problem in self.problems:
            summary[problem.kind] = summary.get(problem.kind, 0) + 1
        return dict(sorted(summary.items()))

    def _read_folder(self, folder: Path) -> Iterator[Document]:
        # text and HTML pages (one document each), Parquet, WARC and feed files; see formats
        files = sorted(
            (p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(FOLDER_SUFFIXES)),
            key=lambda p: p.relative_to(folder).as_posix(),
        )
        for path in files:
            yield from self._read_file(path, path.relative_to(folder).as_posix(), by_suffix=True)

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
            return
        if kind == "jsonl":
            # JSONL is streamed line by line, so a feed larger than memory can be scanned.
            yield from self._stream_jsonl(path, location)
            return
        try:
            raw = read_input(path)
        except DECOMPRESSION_ERRORS as exc:
            self._records.problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
            return
        if kind == "csv":
            delimiter = "\t" if ".tsv" in path.name.lower() else ","
            yield from self._records.checked(read_delimited(self._records, raw, location, delimiter))
        else:
            text = self._records.decode(raw, location)
            if text is not None:
                yield from self._records.checked([Document(strip_compression(doc_id), text, location=location)])

    def _stream_jsonl(self, path: Path, location: str) -> Iterator[Document]:
        try:
            stream = open_input(path)
        except DECOMPRESSION_ERRORS as exc:
            self._records.problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
            return
        with stream:
            try:
                yield from self._records.checked(read_jsonl(self._records, stream, location))
            except DECOMPRESSION_ERRORS as exc:
                self._records.problem(
                    location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}"
                )


__all__ = ["InputReader"]
