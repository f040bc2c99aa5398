"""HTML pages: the article's main text, title, date and URL, without the page's furniture.

Navigation, menus, cookie banners, "most read" lists, share buttons and footers are the
same on every page of a site: left in, they would make two unrelated articles of one site
look alike. :func:`extract_page` keeps only the main text, with trafilatura's
``bare_extraction`` (imported when the first page is read; ``pip install "dedup[html]"``).
Paragraphs become lines, so segmentation sees the article's own paragraph breaks.

Feed entries hold HTML fragments, not pages: :func:`fragment_text` turns one into plain
text with the standard library (block elements become line breaks, scripts and styles go).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from dedup.document import Document
from dedup.io.optional import require

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dedup.io.records import Records

# A page this many times over the text limit is not parsed (a hostile or broken file).
MAX_PAGE_FACTOR = 10


@dataclass(frozen=True)
class Page:
    """What an HTML page holds besides its furniture; absent parts are None."""

    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    source: str | None = None  # the site's name, else the URL's host


def extract_page(page: str | bytes, url: str | None = None) -> Page | None:
    """The main text and metadata of ``page``, or None when it holds no article text.

    ``url`` is where the page came from (a WARC header, a record field); the page's own
    canonical URL wins when it declares one. Bytes are decoded by trafilatura, which
    follows the page's declared charset.
    """
    trafilatura = require("trafilatura", "HTML extraction", "html")
    found = trafilatura.bare_extraction(
        page, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, include_links=False, deduplicate=False,
    )
    if found is None:
        return None
    fields = found if isinstance(found, dict) else found.as_dict()  # trafilatura 1.x gives a dict
    text = fields.get("text") or fields.get("raw_text") or ""
    if not text.strip():
        return None
    page_url = fields.get("url") or url
    site = fields.get("sitename") or fields.get("hostname") or (urlsplit(page_url).hostname if page_url else None)
    return Page(text, fields.get("title") or None, page_url or None, fields.get("date") or None, site or None)


def page_document(records: Records, page: Page | None, doc_id: str, location: str) -> Document | None:
    """The document of an extracted page (fields a record gave win), or None after reporting why not."""
    if page is None:
        records.problem(location, "empty", f"document {doc_id!r}: no article text found in the HTML")
        return None
    return Document(doc_id, page.text, page.title, page.source, page.url, page.published, location)


def read_html_page(records: Records, raw: bytes, doc_id: str, location: str) -> Iterator[Document]:
    """The document of one saved page (a ``.html`` file), id ``doc_id``."""
    if len(raw) > records.options.max_chars * MAX_PAGE_FACTOR:
        records.problem(location, "too_large", f"HTML page of {len(raw):,} bytes, over {MAX_PAGE_FACTOR}x --max-chars")
        return
    doc = page_document(records, extract_page(raw), doc_id, location)
    if doc is not None:
        yield doc


_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li "
    "main nav ol p pre section table td th tr ul".split()
)
_SKIPPED = frozenset({"script", "style", "template", "noscript", "iframe", "svg", "head"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


class _FragmentText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def fragment_text(fragment: str) -> str:
    """Plain text of an HTML fragment: one line per paragraph or block, tags and scripts gone.

    >>> fragment_text("<p>One &amp; two.</p><p>Three<script>x()</script></p>")
    'One & two.\\nThree'
    """
    if "<" not in fragment:
        return html.unescape(fragment).strip()
    parser = _FragmentText()
    parser.feed(fragment)
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


__all__ = ["Page", "extract_page", "fragment_text", "page_document", "read_html_page"]
