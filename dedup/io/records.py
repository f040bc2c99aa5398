"""What every format shares: decoding bytes, turning a record into a Document, and problems.

With ``on_error="skip"`` problems are collected and reading goes on; with ``"fail"`` the
first one raises :class:`~dedup.errors.InputError`. A bad line never costs the lines around it.
"""

from __future__ import annotations

import codecs
import numbers
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from dedup.document import Document, Problem, ProblemKind
from dedup.errors import InputError
from dedup.io.options import OPTIONAL_FIELDS, ReadOptions

# The decoding error handler of streamed text: bytes a decoder cannot read become a lone
# surrogate, which no codec ever yields, so that the record holding them is reported
# (by :func:`first_surrogate`) and the rest of the stream is still read.
DECODE_MARK = "dedup-mark"
codecs.register_error(DECODE_MARK, lambda error: ("\udcff", error.end))  # type: ignore[arg-type,return-value]


def first_surrogate(text: str) -> int | None:
    """Where ``text`` holds a lone surrogate, or None.

    JSON may write ``"\\ud800"``, which decodes to half of a UTF-16 pair: no valid
    Unicode text holds one, UTF-8 cannot encode it, and every later stage (shingles,
    spools, reports) would fail on it. Readers refuse such records, so that no later
    stage ever sees one.
    """
    if text.isascii():
        return None
    try:  # UTF-8 encodes every code point but the surrogates: six times the regex's speed
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def id_text(value: object) -> str | None:
    """An id as text: a string as it is, an integer as its decimal digits; None for other types.

    Lists, objects, floats (``1.0`` and ``1`` would be two spellings of one id) and
    booleans are refused rather than turned into ``"['a', 'b']"`` or ``"True"``.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):  # numpy's integers too
        return str(int(value))
    return None


class Records:
    """Decodes, maps fields and checks documents for one read; keeps the problems found."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.problems: list[Problem] = []
        self._seen: dict[str, str] = {}
        self.utf8 = options.encoding.lower().replace("_", "-") in ("utf-8", "utf8")

    def problem(self, location: str, kind: ProblemKind, message: str) -> None:
        """Record a problem at ``location`` (file, or file:line); raise it under ``on_error="fail"``."""
        problem = Problem(location, kind, message)
        if self.options.on_error == "fail":
            raise InputError(message, location)
        self.problems.append(problem)

    def decode(self, raw: bytes, location: str) -> str | None:
        """The text of ``raw`` in the configured encoding, or None after reporting why not."""
        try:
            if self.utf8:
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

    def record(self, record: Mapping, location: str) -> Document | None:
        """The document a JSON object, CSV row or Parquet row describes, by the configured field names.

        Field names may be dotted paths into nested objects (``_source.text``). With
        ``html_field`` the text, and any title, URL and date the record lacks, come from
        the page in that field.
        """
        fields = self.options.fields
        doc_id = field_value(record, fields.id)
        if doc_id is None:
            self.problem(location, "missing_field", f"no {fields.id!r} field")
            return None
        key = id_text(doc_id)
        if key is None:
            kind = "boolean" if isinstance(doc_id, bool) else type(doc_id).__name__
            self.problem(location, "malformed", f"field {fields.id!r} must be a string or an integer, not a {kind}")
            return None
        optional = {name: _text_of(field_value(record, getattr(fields, name))) for name in OPTIONAL_FIELDS}
        if self.options.html_field is not None:
            return self._page_record(record, key, optional, location)
        text = field_value(record, fields.text)
        if not isinstance(text, str):
            self.problem(location, "missing_field", f"no text in field {fields.text!r}")
            return None
        return Document(key, text, location=location, **optional)

    def _page_record(self, record: Mapping, doc_id: str, optional: dict, location: str) -> Document | None:
        from dedup.io.html import MAX_PAGE_FACTOR, extract_page, page_document  # needs trafilatura

        page = field_value(record, self.options.html_field or "")
        if not isinstance(page, (str, bytes)) or not page:
            self.problem(location, "missing_field", f"no HTML in field {self.options.html_field!r}")
            return None
        if len(page) > self.options.max_chars * MAX_PAGE_FACTOR:
            self.problem(location, "too_large", f"HTML page of {len(page):,} characters, over {MAX_PAGE_FACTOR}x --max-chars")
            return None
        doc = page_document(self, extract_page(page, optional["url"]), doc_id, location)
        if doc is None:
            return None
        # what the record says wins over what the page says
        return Document(
            doc_id, doc.text, optional["title"] or doc.title, optional["source"] or doc.source,
            optional["url"] or doc.url, optional["published"] or doc.published, location,
        )

    def checked(self, documents: Iterable[Document]) -> Iterator[Document]:
        """The documents that have an id and text, fit the size limit and repeat no earlier id."""
        for doc in documents:
            unreadable = _surrogate_field(doc)
            if unreadable:
                self.problem(doc.location, "encoding", unreadable)
            elif not doc.doc_id:
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


def field_value(record: Mapping, name: str) -> object:
    """The value of field ``name`` in ``record``, or None when it has none.

    A key spelled ``name`` wins; otherwise a dotted name is a path into nested objects
    (``_source.text``), where a number picks an item of a list (``authors.0.name``).

    >>> field_value({"_source": {"text": "Hello"}}, "_source.text")
    'Hello'
    """
    if name in record:
        return record[name]
    if "." not in name:
        return None
    value: object = record
    for part in name.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, (list, tuple)) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text_of(value: object) -> str | None:
    """An optional field as text: None for absent or empty values, ISO 8601 for dates."""
    if value is None or value == "":
        return None
    if isinstance(value, date):  # Parquet timestamps, pandas Timestamps
        return value.isoformat()
    return str(value)


def _surrogate_field(doc: Document) -> str | None:
    """Why ``doc`` cannot be used because a field holds a lone surrogate, or None."""
    for name in ("doc_id", "text", "title", "source", "url", "published"):
        value = getattr(doc, name)
        position = first_surrogate(value) if value else None
        if position is not None:
            field = "id" if name == "doc_id" else name
            return (f"the {field} holds a lone surrogate (U+{ord(value[position]):04X} at character {position}), "
                    "which is not valid Unicode text")
    return None
