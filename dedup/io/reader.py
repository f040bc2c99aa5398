"""The input reader: lists inputs (folders, files, stdin), picks each file's format and
decompresses it; the formats themselves live in one module each.

Every reader yields :class:`~dedup.document.Document` records and reports each record it
cannot use as a :class:`~dedup.document.Problem` naming the file and line.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from dedup.document import Document, Problem
from dedup.io.delimited import read_delimited
from dedup.io.jsonl import read_jsonl
from dedup.io.options import (
    CSV_SUFFIXES,
    JSONL_SUFFIXES,
    TEXT_SUFFIXES,
    InputFormat,
    ReadOptions,
)
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

    def read(self, inputs: Iterable[str | Path]) -> Iterator[Document]:
        """Yield the valid documents of every input, in input order."""
        for item in inputs:
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
        suffixes = TEXT_SUFFIXES + tuple(s + ".gz" for s in TEXT_SUFFIXES)
        files = sorted(
            (p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes)),
            key=lambda p: p.relative_to(folder).as_posix(),
        )
        for path in files:
            yield from self._read_file(path, path.relative_to(folder).as_posix(), force_text=True)

    def _format_of(self, path: Path) -> InputFormat:
        if self.options.input_format != "auto":
            return self.options.input_format
        name = path.name.lower().removesuffix(".gz")
        if name.endswith(JSONL_SUFFIXES):
            return "jsonl"
        if name.endswith(CSV_SUFFIXES):
            return "csv"
        return "txt"

    def _read_file(self, path: Path, doc_id: str, force_text: bool = False) -> Iterator[Document]:
        kind = "txt" if force_text else self._format_of(path)
        location = str(path)
        if kind == "jsonl":
            # JSONL is streamed line by line, so a feed larger than memory can be scanned.
            yield from self._stream_jsonl(path, location)
            return
        try:
            raw = path.read_bytes()
            if path.name.lower().endswith(".gz"):
                raw = gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            self._records.problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
            return
        if kind == "csv":
            delimiter = "\t" if ".tsv" in path.name.lower() else ","
            yield from self._records.checked(read_delimited(self._records, raw, location, delimiter))
        else:
            text = self._records.decode(raw, location)
            if text is not None:
                yield from self._records.checked([Document(doc_id.removesuffix(".gz"), text, location=location)])

    def _stream_jsonl(self, path: Path, location: str) -> Iterator[Document]:
        try:
            stream = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")
        except OSError as exc:
            self._records.problem(location, "unreadable", f"cannot read file: {exc.strerror or exc}")
            return
        with stream:
            try:
                yield from self._records.checked(read_jsonl(self._records, stream, location))
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                self._records.problem(
                    location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}"
                )


__all__ = ["InputReader"]
