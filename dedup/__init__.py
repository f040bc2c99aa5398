"""dedup: near-duplicate wire-story deduplicator."""

__version__ = "0.1.0"
