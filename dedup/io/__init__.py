"""Readers: files, folders and streams in, checked :class:`~dedup.document.Document` records out.

``reader`` lists the inputs and picks a format; each format is one module (``jsonl``,
``delimited``) that turns bytes into records through the shared ``records`` helpers.
"""

from dedup.io.options import FieldMap, ReadOptions
from dedup.io.reader import InputReader

__all__ = ["FieldMap", "InputReader", "ReadOptions"]
