"""Incremental story index: add articles as they arrive, keep stable story ids.

    >>> from dedup.index import open_index
    >>> with open_index("stories.db") as index:            # doctest: +SKIP
    ...     for assignment in index.add(documents):
    ...         print(assignment.doc_id, assignment.story)

``open_index(name)`` opens (or creates) a SQLite file; ``open_index(name, store=
"redis://host:6379/0")`` keeps the index named ``name`` in that Redis server instead.
"""

from __future__ import annotations

from dedup.index.core import StoryIndex
from dedup.index.records import Assignment, Match, PruneReport, parse_time
from dedup.index.store import FORMAT_VERSION, EdgeRecord, MergeRecord, Store
from dedup.story.result import ScanConfig

__all__ = [
    "FORMAT_VERSION", "Assignment", "EdgeRecord", "Match", "MergeRecord", "PruneReport", "StoryIndex",
    "open_index", "open_store", "parse_time",
]


def open_store(name: str, store: str | None = None) -> Store:
    """The store behind an index: a SQLite file at ``name``, or ``name`` inside Redis ``store``."""
    if store is None or store in ("", "sqlite"):
        from dedup.index.sqlite_store import SQLiteStore

        return SQLiteStore(name)
    if store.startswith(("redis://", "rediss://", "unix://")):
        from dedup.index.redis_store import RedisStore

        return RedisStore(store, name)
    from dedup.errors import ParameterError

    raise ParameterError(f"unknown store {store!r}: give a redis://host:port/db URL, or leave it out for SQLite")


def open_index(name: str, store: str | None = None, config: ScanConfig | None = None) -> StoryIndex:
    """Open the index ``name``; ``config``, when given, must match the index's parameters."""
    return StoryIndex(open_store(name, store), config)
