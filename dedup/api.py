"""The public Python API; ``dedup`` re-exports every name in ``__all__``.

    >>> import dedup
    >>> result = dedup.scan(["seeds/"])                       # doctest: +SKIP
    >>> [len(cluster.members) for cluster in result.clusters]  # doctest: +SKIP
    [3]
"""

from __future__ import annotations

from dedup.document import Document, Problem
from dedup.errors import DedupError, IncompatibleDataError, InputError, ParameterError
from dedup.index import StoryIndex, open_index
from dedup.io import FieldMap, ReadOptions
from dedup.pipeline import compare, scan, scan_documents
from dedup.report import render
from dedup.story.result import Cluster, Member, ScanConfig, ScanResult

__all__ = [
    "Cluster", "DedupError", "Document", "FieldMap", "IncompatibleDataError", "InputError", "Member",
    "ParameterError", "Problem", "ReadOptions", "ScanConfig", "ScanResult", "StoryIndex", "compare",
    "open_index", "render", "scan", "scan_documents",
]
