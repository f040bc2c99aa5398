"""What every format shares: decoding bytes, turning a record into a Document, and problems.

With ``on_error="skip"`` problems are collected and reading goes on; with ``"fail"`` the
first one raises :class:`~dedup.errors.InputError`. A bad line never costs the lines around it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from dedup.document import Document, Problem, ProblemKind
from dedup.errors import InputError
from dedup.io.options import OPTIONAL_FIELDS, ReadOptions


class Records:
    """Decodes, maps fields and checks documents for one read; keeps the problems found."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.problems: list[Problem] = []
        self._seen: dict[str, str] = {}
        self._utf8 = options.encoding.lower().replace("_", "-") in ("utf-8", "utf8")

    def problem(self, location: str, kind: ProblemKind, message: str) -> None:
        """Record a problem at ``location`` (file, or file:line); raise it under ``on_error="fail"``."""
        problem = Problem(location, kind, message)
        if self.options.on_error == "fail":
            raise InputError(message, location)
        self.problems.append(problem)

    def decode(self, raw: bytes, location: str) -> str | None:
        """The text of ``raw`` in the configured encoding, or None after reporting why not."""
        try:
            if self._utf8:
                # What the utf-8-sig codec does (error offsets included), by the faster built-in
                # utf-8 decoder: this runs once per JSONL line.
                return (raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw).decode("utf-8")
            return raw.decode(self.options.encoding)
        except UnicodeDecodeError as exc:
            self.problem(
                location,
                "encoding",
                f"not valid {self.options.encoding} at byte {exc.start} ({exc.reason}); "
                "re-encode the file or pass --encoding",
            )
            return None

    def record(self, record: dict, location: str) -> Document | None:
        """The document a JSON object or CSV row describes, by the configured field names."""
        fields = self.options.fields
        if fields.id not in record or record[fields.id] is None:
            self.problem(location, "missing_field", f"no {fields.id!r} field")
            return None
        if fields.text not in record or not isinstance(record[fields.text], str):
            self.problem(location, "missing_field", f"no text in field {fields.text!r}")
            return None
        optional = {}
        for name in OPTIONAL_FIELDS:
            value = record.get(getattr(fields, name))
            optional[name] = None if value in (None, "") else str(value)
        return Document(str(record[fields.id]), record[fields.text], location=location, **optional)

    def checked(self, documents: Iterable[Document]) -> Iterator[Document]:
        """The documents that have an id and text, fit the size limit and repeat no earlier id."""
        for doc in documents:
            if not doc.doc_id:
                self.problem(doc.location, "missing_field", "empty document id")
            elif not doc.text.strip():
                self.problem(doc.location, "empty", f"document {doc.doc_id!r} has no text")
            elif len(doc.text) > self.options.max_chars:
                self.problem(
                    doc.location,
                    "too_large",
                    f"document {doc.doc_id!r} has {len(doc.text):,} characters, over the limit of "
                    f"{self.options.max_chars:,} (raise it with --max-chars)",
                )
            elif doc.doc_id in self._seen:
                self.problem(
                    doc.location, "duplicate_id", f"duplicate id {doc.doc_id!r}, first seen at {self._seen[doc.doc_id]}"
                )
            else:
                self._seen[doc.doc_id] = doc.location
                yield doc
