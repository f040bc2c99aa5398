"""Optional dependencies: imported only when their format is read, with a clear error when missing.

Parquet (pyarrow), HTML extraction (trafilatura), WARC (warcio), feeds (feedparser) and
zstd (zstandard) are extras, so that ``pip install dedup`` stays small for text and JSONL.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from dedup.errors import MissingDependencyError


def require(module: str, feature: str, extra: str, input_format: bool = True) -> ModuleType:
    """Import ``module`` for ``feature``; raise :class:`MissingDependencyError` naming ``extra`` when absent.

    >>> require("json", "JSON", "io").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        every = ' (or "dedup[io]" for every input format)' if input_format else ""
        raise MissingDependencyError(
            f"{feature} needs the {module.split('.')[0]} package: pip install \"dedup[{extra}]\"{every}"
        ) from exc


__all__ = ["require"]
