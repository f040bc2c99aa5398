"""RSS and Atom feeds (feedparser): one document per entry.

The text is the entry's full content where the feed carries it (``content:encoded``,
Atom ``content``), else its summary, as plain text (:func:`~dedup.io.html.fragment_text`).
The id is the entry's ``guid``/``id``, else its link; the outlet is the entry's
``<source>`` where an aggregator names one, else the feed's title. The date is the
entry's published (else updated) time, in UTC. A problem names the file and the entry,
counted from 1 (``feed.rss:3``). The feed is parsed from its bytes, never fetched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from dedup.document import Document
from dedup.io.html import fragment_text
from dedup.io.optional import require
from dedup.io.records import Records


def _entry_text(entry: Mapping) -> str:
    parts = [c for c in entry.get("content") or () if c.get("value")]
    if not parts and entry.get("summary"):
        parts = [entry.get("summary_detail") or {"value": entry["summary"], "type": "text/html"}]
    texts = []
    for part in parts:
        value = part.get("value") or ""
        texts.append(fragment_text(value) if "html" in (part.get("type") or "text/html") else value.strip())
    return "\n".join(t for t in texts if t)


def _utc(moment: time.struct_time | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", moment) if moment else None


def read_feed(records: Records, raw: bytes, location: str) -> Iterator[Document]:
    """The documents of the entries of an RSS or Atom feed."""
    feedparser = require("feedparser", "RSS and Atom input", "feeds")
    # bytes, never a string: feedparser takes a string for a URL or a file name to open
    parsed = feedparser.parse(raw)
    if not parsed.entries:
        reason = f" ({parsed.get('bozo_exception')})" if parsed.get("bozo") else ""
        records.problem(location, "malformed", f"no RSS or Atom entries found{reason}")
        return
    feed_title = parsed.feed.get("title") or None
    for number, entry in enumerate(parsed.entries, start=1):
        where = f"{location}:{number}"
        doc_id = entry.get("id") or entry.get("link")
        if not doc_id:
            records.problem(where, "missing_field", "feed entry without an id or a link")
            continue
        source = (entry.get("source") or {}).get("title") or feed_title
        published = _utc(entry.get("published_parsed") or entry.get("updated_parsed"))
        yield Document(str(doc_id), _entry_text(entry), entry.get("title") or None, source, entry.get("link") or None,
                       published, where)


__all__ = ["read_feed"]
