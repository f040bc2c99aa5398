"""dedup: near-duplicate wire-story deduplicator.

The public API lives in :mod:`dedup.api` and is re-exported here.
"""

from dedup._version import __version__
from dedup.api import *  # noqa: F403  (the public names, listed in dedup.api.__all__)
from dedup.api import __all__ as _api_all

__all__ = ["__version__", *_api_all]
