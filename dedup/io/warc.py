"""WARC and WARC.gz: the HTML responses of a web crawl, extracted like saved pages.

Read with warcio as a stream, record by record. Only ``response`` and ``resource``
records whose content type is HTML become documents; requests, metadata, images and the
rest are passed over. The id is the record's ``WARC-Record-ID`` (unique by the standard),
the URL its ``WARC-Target-URI``. The date is the page's own publication date when it
states one, else the ``WARC-Date`` (when it was fetched): copies are told from their
source by publication, not crawl, time. A problem names the file and the record id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from dedup.document import Document
from dedup.io.html import MAX_PAGE_FACTOR, extract_page, page_document
from dedup.io.optional import require
from dedup.io.records import Records

PAGE_RECORDS = ("response", "resource")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _page_source(payload: bytes, content_type: str) -> str | bytes:
    """The page as text: UTF-8 first, then the declared charset; else the bytes, for trafilatura to sniff."""
    for encoding in ("utf-8", _charset(content_type)):
        if encoding:
            try:
                return payload.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    return payload


def read_warc(records: Records, stream: IO[bytes], location: str) -> Iterator[Document]:
    """The documents of the HTML pages in a WARC stream (gzipped per record or not)."""
    archive = require("warcio.archiveiterator", "WARC input", "warc")
    exceptions = require("warcio.exceptions", "WARC input", "warc")
    limit = records.options.max_chars * MAX_PAGE_FACTOR
    where = location
    try:
        for record in archive.ArchiveIterator(stream):
            if record.rec_type not in PAGE_RECORDS:
                continue
            headers = record.http_headers if record.http_headers is not None else record.rec_headers
            content_type = headers.get_header("Content-Type") or ""
            if "html" not in content_type.lower():
                continue
            record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
            where = f"{location}:{record_id}"
            if not record_id:
                records.problem(where, "missing_field", "WARC record without a WARC-Record-ID")
                continue
            payload = record.content_stream().read(limit + 1)
            if len(payload) > limit:
                records.problem(where, "too_large", f"HTML page over {MAX_PAGE_FACTOR}x --max-chars")
                continue
            if getattr(record.raw_stream, "limit", 0) > 0:  # the file ended inside this record
                records.problem(where, "unreadable", "the WARC file ends inside this record (truncated)")
                return
            url = record.rec_headers.get_header("WARC-Target-URI")
            page = extract_page(_page_source(payload, content_type), url)
            doc = page_document(records, page, record_id, where)
            if doc is not None:
                crawled = record.rec_headers.get_header("WARC-Date")
                yield Document(record_id, doc.text, doc.title, doc.source, url or doc.url, doc.published or crawled,
                               where)
    except (exceptions.ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        records.problem(where, "unreadable", f"cannot read the WARC file past here ({exc})")


__all__ = ["read_warc"]
