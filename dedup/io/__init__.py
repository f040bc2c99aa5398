"""Readers: files, folders and streams in, checked :class:`~dedup.document.Document` records out."""

from dedup.io.reader import FieldMap, InputReader, ReadOptions

__all__ = ["FieldMap", "InputReader", "ReadOptions"]
