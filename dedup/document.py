"""The records that flow between stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Document:
    """One article as read from the input. ``location`` is ``file`` or ``file:line``."""

    doc_id: str
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    location: str = ""

    def with_text(self, text: str) -> Document:
        """The same record holding ``text`` (a cheaper ``dataclasses.replace``, which a scan calls per article)."""
        return Document(self.doc_id, text, self.title, self.source, self.url, self.published, self.location)


ProblemKind = Literal[
    "unreadable", "encoding", "malformed", "missing_field", "empty", "too_large", "duplicate_id"
]


@dataclass(frozen=True)
class Problem:
    """An input record that was skipped, and why."""

    location: str
    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
