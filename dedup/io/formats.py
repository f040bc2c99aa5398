"""Which format a file is in, by its name, and the readers of the formats beyond text,
JSONL and CSV (Parquet, HTML pages, WARC, feeds), each in a module of its own.

A compression suffix (``.gz``, ``.bz2``, ``.xz``, ``.zst``) is looked through:
``feed.jsonl.zst`` is JSONL, ``crawl.warc.gz`` is WARC. The heavy libraries these formats
need are imported by their modules when a file of that format is read.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from dedup.document import Document
from dedup.io.compression import SUFFIXES as COMPRESSION_SUFFIXES
from dedup.io.compression import (
    DECOMPRESSION_ERRORS,
    InputTooLarge,
    codec_of,
    open_input,
    read_input,
    strip_compression,
)
from dedup.io.feeds import read_feed
from dedup.io.html import MAX_PAGE_FACTOR, read_html_page
from dedup.io.options import (
    CSV_SUFFIXES,
    FEED_SUFFIXES,
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    WARC_SUFFIXES,
    InputFormat,
)
from dedup.io.parquet import read_parquet
from dedup.io.records import Records
from dedup.io.warc import read_warc

# Formats this module reads; text, JSONL and CSV stay with the reader.
EXTRA_FORMATS: tuple[InputFormat, ...] = ("parquet", "html", "warc", "feed")
# suffix -> format, for a file named on the command line
_BY_SUFFIX: tuple[tuple[tuple[str, ...], InputFormat], ...] = (
    (JSONL_SUFFIXES, "jsonl"), (CSV_SUFFIXES, "csv"), (PARQUET_SUFFIXES, "parquet"), (HTML_SUFFIXES, "html"),
    (WARC_SUFFIXES, "warc"), (FEED_SUFFIXES, "feed"),
)
# Files a folder is searched for: those whose suffix names their format without doubt.
# JSONL, CSV and .xml files are read when named, not when they sit in a folder (a folder
# may hold reports, configs or sitemaps beside the articles).
_FOLDER_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PARQUET_SUFFIXES + WARC_SUFFIXES + (".rss", ".atom")
FOLDER_SUFFIXES = _FOLDER_SUFFIXES + tuple(s + c for s in _FOLDER_SUFFIXES for c in COMPRESSION_SUFFIXES)


def format_of(name: str) -> InputFormat:
    """The format of a file called ``name`` by its suffix, compression looked through; ``txt`` by default.

    >>> format_of("crawl.warc.gz"), format_of("feed.jsonl.zst"), format_of("notes.txt")
    ('warc', 'jsonl', 'txt')
    """
    plain = strip_compression(name.lower())
    for suffixes, kind in _BY_SUFFIX:
        if plain.endswith(suffixes):
            return kind
    return "txt"


def read_extra_format(
    records: Records, path: Path, doc_id: str, kind: InputFormat, location: str | None = None
) -> Iterator[Document]:
    """The documents of a Parquet, HTML, WARC or feed file (unchecked: the caller checks them).

    ``doc_id`` is the id of a saved page (one document per file); the other formats
    carry their own ids. ``location`` names the file in documents and problems (its path by default).
    """
    location = str(path) if location is None else location
    if kind == "parquet" and codec_of(path.name) is None:
        yield from read_parquet(records, path, location)  # by path: pyarrow reads only the columns it needs
        return
    try:
        if kind == "warc":
            # warcio inflates WARC.gz record by record itself; other codecs are undone here
            stream = open(path, "rb") if path.name.lower().endswith(".gz") else open_input(path)
        else:
            # a page or a feed is read up to its bound (a Parquet file holds a whole corpus)
            raw = read_input(path, None if kind == "parquet" else records.options.max_chars * MAX_PAGE_FACTOR)
    except InputTooLarge as exc:
        records.problem(location, "too_large", f"holds more than {exc.limit:,} bytes (decompressed), over "
                        f"{MAX_PAGE_FACTOR}x --max-chars; not read further")
        return
    except DECOMPRESSION_ERRORS as exc:
        records.problem(location, "unreadable", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
        return
    if kind == "warc":
        with stream:
            yield from read_warc(records, stream, location)
    elif kind == "parquet":
        yield from read_parquet(records, io.BytesIO(raw), location)
    elif kind == "html":
        yield from read_html_page(records, raw, strip_compression(doc_id), location)
    else:
        yield from read_feed(records, raw, location)


__all__ = ["EXTRA_FORMATS", "FOLDER_SUFFIXES", "format_of", "read_extra_format"]
