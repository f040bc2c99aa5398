"""Compressed inputs: which suffix means which codec, and how to open such a file as a stream.

One table, :data:`CODECS`, maps a file-name suffix to the codec that reads it. gzip, bz2
and xz come with Python; zstd needs the ``zstandard`` package (``pip install
"dedup[zstd]"``), imported only when a ``.zst`` file is read. Every opener returns a
binary stream that decompresses as it is read, so nothing is ever decompressed whole: a
JSONL feed or CSV file is read record by record, each bounded (:mod:`dedup.io.jsonl`,
:mod:`dedup.io.delimited`), and a whole-file format reads at most its limit
(:func:`read_input`). A small "bomb" that would expand to gigabytes therefore costs at
most one limit of memory, and the file is reported instead of taking the run down.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from dedup.io.optional import require


def _open_gzip(path: Path) -> IO[bytes]:
    # a GzipFile is a binary stream, which typeshed does not spell as IO[bytes]
    return gzip.open(path, "rb")  # type: ignore[return-value]


def _open_bz2(path: Path) -> IO[bytes]:
    return bz2.open(path, "rb")


def _open_xz(path: Path) -> IO[bytes]:
    return lzma.open(path, "rb")


class _ZstdStream(io.RawIOBase):
    """A zstd decompression reader whose errors are ``OSError``, like the other codecs'."""

    def __init__(self, path: Path) -> None:
        zstandard = require("zstandard", "zstd-compressed input", "zstd")
        self._error = zstandard.ZstdError
        self._file = open(path, "rb")
        # read_across_frames: files written by several writers hold several frames
        self._reader = zstandard.ZstdDecompressor().stream_reader(self._file, read_across_frames=True)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            return self._reader.readinto(buffer)
        except self._error as exc:
            raise OSError(f"not a valid zstd stream ({exc})") from exc

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
            self._file.close()
        super().close()


def _open_zstd(path: Path) -> IO[bytes]:
    return io.BufferedReader(_ZstdStream(path))  # buffered: the bare reader has no readline


# suffix -> opener; a file whose name ends with none of these is read as it is
CODECS: dict[str, Callable[[Path], IO[bytes]]] = {
    ".gz": _open_gzip,
    ".bz2": _open_bz2,
    ".xz": _open_xz,
    ".zst": _open_zstd,
    ".zstd": _open_zstd,
}
SUFFIXES = tuple(CODECS)
# What a broken or truncated compressed file raises while it is read.
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, lzma.LZMAError, zlib.error)


def codec_of(name: str) -> str | None:
    """The compression suffix ``name`` ends with (``".gz"``…), or None for a plain file."""
    lower = name.lower()
    for suffix in CODECS:
        if lower.endswith(suffix):
            return suffix
    return None


def strip_compression(name: str) -> str:
    """``name`` without its compression suffix: ``feed.jsonl.zst`` -> ``feed.jsonl``."""
    suffix = codec_of(name)
    return name[: -len(suffix)] if suffix else name


def open_input(path: Path) -> IO[bytes]:
    """``path`` as a binary stream, decompressed as it is read when its suffix names a codec."""
    suffix = codec_of(path.name)
    return CODECS[suffix](path) if suffix else open(path, "rb")


class InputTooLarge(Exception):
    """A file holds more than the limit it was read with; nothing past the limit was read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"more than {limit:,} bytes")


def read_input(path: Path, limit: int | None = None) -> bytes:
    """The whole (decompressed) content of ``path``; :class:`InputTooLarge` past ``limit`` bytes.

    With a limit, at most ``limit + 1`` bytes are ever decompressed or held.
    """
    with open_input(path) as stream:
        data = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise InputTooLarge(limit)
    return data


__all__ = [
    "CODECS", "DECOMPRESSION_ERRORS", "SUFFIXES", "InputTooLarge", "codec_of", "open_input", "read_input",
    "strip_compression",
]
