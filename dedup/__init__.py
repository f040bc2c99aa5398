"""dedup: near-duplicate wire-story deduplicator.

The public API lives in :mod:`dedup.api` and is re-exported here. It is imported on the
first use of one of its names: a process that only needs part of the package (the
command line, or a worker of the scan) does not import all of it first.
"""

from __future__ import annotations

from typing import Any

from dedup._version import __version__

# dedup.api.__all__ (tests/test_api.py checks that the two agree)
_API = (
    "Assignment", "Cluster", "ClusterRecord", "DedupError", "Document", "FieldMap", "IncompatibleDataError",
    "Index", "InputError", "Member", "MemberRecord", "MissingDependencyError", "PairRecord", "ParameterError",
    "Problem", "PruneReport", "ReadOptions", "Records", "ScanConfig", "ScanReport", "ScanResult", "StoryIndex",
    "compare", "open_index", "render", "scan", "scan_documents",
)

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from dedup import api

        return getattr(api, name)
    raise AttributeError(f"module 'dedup' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
