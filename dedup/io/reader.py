"""Readers: folders of text files, single files, JSONL, CSV, stdin, gzip.

Every reader yields :class:`~dedup.document.Document` records and reports each record it
cannot use as a :class:`~dedup.document.Problem` naming the file and line. With
``on_error="skip"`` problems are collected and reading goes on; with ``"fail"`` the first
one raises :class:`~dedup.errors.InputError`. A bad line never costs the lines around it.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from dedup.document import Document, Problem, ProblemKind
from dedup.errors import InputError, ParameterError

InputFormat = Literal["auto", "txt", "jsonl", "csv"]
OnError = Literal["skip", "fail"]

DEFAULT_MAX_CHARS = 2_000_000
TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv", ".tsv")
OPTIONAL_FIELDS = ("title", "source", "url", "published")


@dataclass(frozen=True)
class FieldMap:
    """Names of the input fields that hold each document attribute."""

    id: str = "id"
    text: str = "text"
    title: str = "title"
    source: str = "source"
    url: str = "url"
    published: str = "published"


@dataclass(frozen=True)
class ReadOptions:
    """How inputs are read. Recorded in every output."""

    input_format: InputFormat = "auto"
    fields: FieldMap = field(default_factory=FieldMap)
    on_error: OnError = "skip"
    encoding: str = "utf-8"
    max_chars: int = DEFAULT_MAX_CHARS

    def __post_init__(self) -> None:
        if self.on_error not in ("skip", "fail"):
            raise ParameterError(f"on_error must be 'skip' or 'fail', not {self.on_error!r}")
        if self.input_format not in ("auto", "txt", "jsonl", "csv"):
            raise ParameterError(f"input format must be auto, txt, jsonl or csv, not {self.input_format!r}")
        if self.max_chars < 1:
            raise ParameterError(f"max_chars must be positive, not {self.max_chars}")
        try:
            "".encode(self.encoding)
        except LookupError as exc:
            raise ParameterError(f"unknown encoding {self.encoding!r}") from exc


class InputReader:
    """Reads inputs in order, checks each record and keeps the list of problems."""

    def __init__(self, options: ReadOptions | None = None) -> None:
        self.options = options or ReadOptions()
        self.problems: list[Problem] = []
        self._seen: dict[str, str] = {}
        self._utf8 = self.options.encoding.lower().replace("_", "-") in ("utf-8", "utf8")

    # -- public -----------------------------------------------------------------
    def read(self, inputs: Iterable[str | Path]) -> Iterator[Document]:
        """Yield the valid documents of every input, in input order."""
        for item in inputs:
            if str(item) == "-":
                yield from self._checked(self._read_jsonl(sys.stdin.buffer, "<stdin>"))
                continue
            path = Path(item)
            if path.is_dir():
                yield from self._read_folder(path)
            elif path.exists():
                yield from self._read_file(path, path.name)
            else:
                self._problem(str(path), "unreadable", "no such file or folder")

    def skipped_summary(self) -> dict[str, int]:
        """How many records were skipped for each kind of problem."""
        summary: dict[str, int] = {}
        for problem in self.problems:
            summary[problem.kind] = summary.get(problem.kind, 0) + 1
        return dict(sorted(summary.items()))

    # -- problems -----------------------------------------------------------------
    def _problem(self, location: str, kind: ProblemKind, message: str) -> None:
        problem = Problem(location, kind, message)
        if self.options.on_error == "fail":
            raise InputError(message, location)
        self.problems.append(problem)

    def _checked(self, documents: Iterable[Document]) -> Iterator[Document]:
        for doc in documents:
            if not doc.doc_id:
                self._problem(doc.location, "missing_field", "empty document id")
            elif not doc.text.strip():
                self._problem(doc.location, "empty", f"document {doc.doc_id!r} has no text")
            elif len(doc.text) > self.options.max_chars:
                self._problem(
                    doc.location,
                    "too_large",
                    f"document {doc.doc_id!r} has {len(doc.text):,} characters, over the limit of "
                    f"{self.options.max_chars:,} (raise it with --max-chars)",
                )
            elif doc.doc_id in self._seen:
                self._problem(
                    doc.location, "duplicate_id", f"duplicate id {doc.doc_id!r}, first seen at {self._seen[doc.doc_id]}"
                )
            else:
                self._seen[doc.doc_id] = doc.location
                yield doc

    # -- files ----------------------------------------------------------------------
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
            self._problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
            return
        if kind == "jsonl":
            yield from self._checked(self._read_jsonl(io.BytesIO(raw), location))
        elif kind == "csv":
            yield from self._checked(self._read_csv(raw, location, delimiter="\t" if ".tsv" in path.name.lower() else ","))
        else:
            text = self._decode(raw, location)
            if text is not None:
                yield from self._checked([Document(doc_id.removesuffix(".gz"), text, location=location)])

    def _stream_jsonl(self, path: Path, location: str) -> Iterator[Document]:
        try:
            stream = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")
        except OSError as exc:
            self._problem(location, "unreadable", f"cannot read file: {exc.strerror or exc}")
            return
        with stream:
            try:
                yield from self._checked(self._read_jsonl(stream, location))
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                self._problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")

    def _decode(self, raw: bytes, location: str) -> str | None:
        try:
            if self._utf8:
                # What the utf-8-sig codec does (error offsets included), by the faster built-in
                # utf-8 decoder: this runs once per JSONL line.
                return (raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw).decode("utf-8")
            return raw.decode(self.options.encoding)
        except UnicodeDecodeError as exc:
            self._problem(
                location,
                "encoding",
                f"not valid {self.options.encoding} at byte {exc.start} ({exc.reason}); "
                "re-encode the file or pass --encoding",
            )
            return None

    def _record(self, record: dict, location: str) -> Document | None:
        fields = self.options.fields
        if fields.id not in record or record[fields.id] is None:
            self._problem(location, "missing_field", f"no {fields.id!r} field")
            return None
        if fields.text not in record or not isinstance(record[fields.text], str):
            self._problem(location, "missing_field", f"no text in field {fields.text!r}")
            return None
        optional = {}
        for name in OPTIONAL_FIELDS:
            value = record.get(getattr(fields, name))
            optional[name] = None if value in (None, "") else str(value)
        return Document(str(record[fields.id]), record[fields.text], location=location, **optional)

    def _read_jsonl(self, stream: IO[bytes], name: str) -> Iterator[Document]:
        for line_number, raw in enumerate(stream, start=1):
            location = f"{name}:{line_number}"
            if not raw.strip():
                continue
            line = self._decode(raw, location)
            if line is None:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                self._problem(location, "malformed", f"malformed JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                self._problem(location, "malformed", "malformed JSON (arrays or objects nested too deeply)")
                continue
            if not isinstance(record, dict):
                self._problem(location, "malformed", f"expected a JSON object, got {type(record).__name__}")
                continue
            doc = self._record(record, location)
            if doc is not None:
                yield doc

    def _read_csv(self, raw: bytes, name: str, delimiter: str) -> Iterator[Document]:
        text = self._decode(raw, name)
        if text is None:
            return
        csv.field_size_limit(max(self.options.max_chars * 4, 1 << 20))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            self._problem(name, "malformed", "empty CSV file (no header)")
            return
        except csv.Error as exc:
            self._problem(f"{name}:1", "malformed", f"malformed CSV header ({exc})")
            return
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self._problem(f"{name}:{start}", "malformed", f"malformed CSV line ({exc})")
                line = reader.line_num
                continue
            line = reader.line_num
            location = f"{name}:{start}"
            if not row:
                continue
            if len(row) != len(header):
                self._problem(location, "malformed", f"expected {len(header)} columns as in the header, got {len(row)}")
                continue
            doc = self._record(dict(zip(header, row)), location)
            if doc is not None:
                yield doc
