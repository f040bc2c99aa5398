"""Exceptions raised by the library. The CLI turns each into a friendly message."""

from __future__ import annotations


class DedupError(Exception):
    """Base class for every error the library raises on purpose."""


class ParameterError(DedupError, ValueError):
    """A parameter is out of range or inconsistent with another one."""


class InputError(DedupError):
    """An input could not be read. ``location`` names the file and, where known, the line."""

    def __init__(self, message: str, location: str = "") -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class LabelError(InputError):
    """Evaluation labels are malformed or contradict each other; ``location`` names the file and line."""


class TemporaryFilesError(DedupError):
    """The temporary files a run keeps its texts in could not be written (a full disk, a
    file size limit, a missing or read-only ``TMPDIR``)."""


class IncompatibleDataError(DedupError):
    """Persisted data was made with another format version or other fingerprint parameters."""


class MissingDependencyError(DedupError, ImportError):
    """An optional package that a format or output needs is not installed; the message names the extra."""
