"""How inputs are read: the field names, the error policy, the encoding and the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dedup.errors import ParameterError

InputFormat = Literal["auto", "txt", "jsonl", "csv", "parquet", "html", "warc", "feed"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("auto", "txt", "jsonl", "csv", "parquet", "html", "warc", "feed")
OnError = Literal["skip", "fail"]

DEFAULT_MAX_CHARS = 2_000_000
TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
WARC_SUFFIXES = (".warc",)
FEED_SUFFIXES = (".rss", ".atom", ".xml")
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
    # A field of JSONL, CSV or Parquet records holding an HTML page: its main text, title,
    # date and URL are extracted (trafilatura) and the text field is not read.
    html_field: str | None = None

    def __post_init__(self) -> None:
        if self.on_error not in ("skip", "fail"):
            raise ParameterError(f"on_error must be 'skip' or 'fail', not {self.on_error!r}")
        if self.input_format not in INPUT_FORMATS:
            raise ParameterError(f"input format must be one of {', '.join(INPUT_FORMATS)}, not {self.input_format!r}")
        if self.html_field is not None and not self.html_field:
            raise ParameterError("html_field must name a field, or be None")
        if self.max_chars < 1:
            raise ParameterError(f"max_chars must be positive, not {self.max_chars}")
        try:
            "".encode(self.encoding)
        except LookupError as exc:
            raise ParameterError(f"unknown encoding {self.encoding!r}") from exc
