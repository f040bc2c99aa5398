"""Texts, shingle sets and report pieces kept on disk while a scan runs.

:class:`TextSpool` is an append-only temporary file of UTF-8 texts. The scan writes each
article there as it is read and keeps only its offset; later stages, in any process,
read back the few texts they need. :class:`SetSpool` does the same for the exact shingle
sets that fingerprinting computes, so that verification reads them back instead of
normalising and shingling each candidate again. A worker leaves the report's text it
wrote beside them (:class:`SpooledPieces`), for the main process to copy into its output.
"""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

import numpy as np

from dedup.errors import TemporaryFilesError

# Texts may hold lone surrogates (JSON allows "\ud800"); they must survive the round trip.
_ERRORS = "surrogatepass"
WRITE_BUFFER = 1 << 20


# -- spool folders ------------------------------------------------------------------------
# Spools hold full article texts, so each lives in a private folder (mode 0700, made by
# mkdtemp) under the temporary folder (TMPDIR), removed when the spool closes: on a normal
# end, an error, Ctrl-C and SIGTERM (which the CLI turns into an exception). A process
# killed outright (SIGKILL, the out-of-memory killer) cannot clean up, so every folder
# holds an owner file naming its process; the next spool made on the machine removes the
# folders whose process is gone.
SPOOL_PREFIX = "dedup-spool-"
OWNER_FILE = "owner"


def process_started(pid: int) -> str:
    """When process ``pid`` started, as the kernel counts it (Linux), so that a pid reused by
    another process is told apart; ``""`` where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def _owner_alive(owner: str) -> bool:
    """Whether the process an owner file names still runs (or cannot be known not to)."""
    try:
        pid_text, started, host = owner.split(" ", 2)
        pid = int(pid_text)
    except ValueError:
        return True  # not a file this code wrote: leave the folder alone
    if host.strip() != socket.gethostname():
        return True  # a temporary folder shared with another machine
    return process_alive(pid, started)


def process_alive(pid: int, started: str) -> bool:
    """Whether process ``pid`` of this machine, started at ``started`` (:func:`process_started`;
    ``""``: unknown), still runs, or cannot be known not to."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by another user
    return not started or process_started(pid) in ("", started)


def remove_abandoned_spools(directory: str | None = None) -> list[str]:
    """Remove the spool folders of this user whose process is gone; returns their paths."""
    base = directory or tempfile.gettempdir()
    removed = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(SPOOL_PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            with open(os.path.join(entry.path, OWNER_FILE), encoding="utf-8") as owner_file:
                owner = owner_file.read()
        except OSError:
            continue  # being made right now (no owner file yet), or not ours to judge
        if not _owner_alive(owner):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


def _make_spool_folder(directory: str | None) -> str:
    remove_abandoned_spools(directory)
    folder = tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=directory)  # mode 0700
    with open(os.path.join(folder, OWNER_FILE), "w", encoding="utf-8") as owner:
        owner.write(f"{os.getpid()} {process_started(os.getpid())} {socket.gethostname()}")
    return folder


@dataclass(frozen=True)
class SpooledTexts:
    """Where some texts lie in a spool file: enough for any process to read them back."""

    path: str
    starts: np.ndarray  # int64 byte offsets
    lengths: np.ndarray  # int64 byte lengths

    def subset(self, rows: np.ndarray) -> SpooledTexts:
        """Where the texts at positions ``rows`` of this selection lie."""
        return SpooledTexts(self.path, self.starts[rows], self.lengths[rows])

    def load(self) -> list[str]:
        texts = []
        with open(self.path, "rb") as spool:
            for start, length in zip(self.starts.tolist(), self.lengths.tolist()):
                spool.seek(start)
                texts.append(spool.read(length).decode("utf-8", _ERRORS))
        return texts


@dataclass(frozen=True)
class SpooledPieces:
    """Byte strings a worker left in a file beside some spooled texts, for the main process
    to take: a file is read back at the speed of a copy, where a large result sent back
    through the pool's pipe crawls (about 400 MB/s) and is copied once more to unpickle."""

    path: str
    lengths: tuple[int, ...]

    @classmethod
    def beside(cls, texts: SpooledTexts, pieces: Sequence[bytes]) -> SpooledPieces:
        """``pieces`` written to a new file in the folder of ``texts`` (removed with it)."""
        folder = os.path.dirname(texts.path)
        try:
            descriptor, path = tempfile.mkstemp(prefix="pieces-", dir=folder)
        except OSError as exc:
            raise temporary_files_error(exc, os.path.dirname(folder)) from exc
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.writelines(pieces)
        except OSError as exc:
            os.unlink(path)
            raise temporary_files_error(exc, os.path.dirname(folder)) from exc
        return cls(path, tuple(len(piece) for piece in pieces))

    def take(self) -> list[bytes]:
        """The pieces, read back; the file is removed."""
        try:
            with open(self.path, "rb") as spool:
                return [spool.read(length) for length in self.lengths]
        finally:
            os.unlink(self.path)

    def in_file(self) -> list[FilePiece]:
        """The pieces where they lie, for the caller to copy into its output
        (:meth:`FilePiece.copy_to`) without reading them in; the last one taken removes the file."""
        starts = itertools.accumulate(self.lengths, initial=0)
        last = len(self.lengths) - 1
        return [
            FilePiece(self.path, start, length, k == last) for k, (start, length) in enumerate(zip(starts, self.lengths))
        ]


@dataclass(frozen=True)
class FilePiece:
    """``length`` bytes at ``offset`` in the file ``path`` (:meth:`SpooledPieces.in_file`).

    Whoever takes a piece, by :meth:`read` or :meth:`copy_to`, takes it before asking for
    the next one; taking the ``last`` piece of the file removes the file (and with it the
    report's text it held, which would otherwise stay on disk until the scan ends).
    """

    path: str
    offset: int
    length: int
    last: bool

    def read(self) -> bytes:
        try:
            with open(self.path, "rb") as spool:
                spool.seek(self.offset)
                return spool.read(self.length)
        finally:
            self._done()

    def copy_to(self, out: BinaryIO) -> None:
        """Append the piece to the file ``out`` (its buffer flushed first) by the kernel:
        a report's largest cluster is a few hundred MB, which read in and written out
        again cost the main process a copy each way."""
        out.flush()
        try:
            with open(self.path, "rb") as spool:
                _copy_range(spool.fileno(), out.fileno(), self.offset, self.length)
        finally:
            self._done()
        if out.seekable():  # the file object learns where its file now ends
            out.seek(0, os.SEEK_END)

    def _done(self) -> None:
        if self.last:
            os.unlink(self.path)


def _copy_range(source: int, target: int, offset: int, length: int) -> None:
    """``length`` bytes of ``source`` from ``offset`` appended to ``target`` at its position:
    ``copy_file_range`` where the kernel copies between the two files, else ``sendfile``,
    else read and write."""
    done = 0
    for copy in (_copy_file_range, _sendfile):
        try:
            while done < length:
                moved = copy(source, target, offset + done, length - done)
                if not moved:
                    break  # the file ends early: the reads below say so
                done += moved
            if done == length:
                return
            break
        except OSError as exc:  # not between these files (another file system, a pipe, an old kernel)
            if done or exc.errno not in _NO_KERNEL_COPY:
                raise
    os.lseek(source, offset + done, os.SEEK_SET)
    while done < length:
        chunk = memoryview(os.read(source, min(length - done, 1 << 24)))
        if not chunk:
            raise OSError(f"a spooled piece was cut short ({done} of {length} bytes)")
        done += len(chunk)
        while chunk:  # a pipe may take part of it at a time
            chunk = chunk[os.write(target, chunk) :]


def _copy_file_range(source: int, target: int, offset: int, count: int) -> int:
    if not hasattr(os, "copy_file_range"):
        raise OSError(errno.ENOSYS, "no copy_file_range")
    return os.copy_file_range(source, target, count, offset)


def _sendfile(source: int, target: int, offset: int, count: int) -> int:
    return os.sendfile(target, source, offset, count)


# What the kernel answers where it cannot copy between two files itself.
_NO_KERNEL_COPY = frozenset(
    code for code in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF) if code
)


Spool = TypeVar("Spool", bound="_Spool")


class _Spool:
    """An append-only temporary file in a folder of its own, removed when the spool is closed."""

    FILE_NAME = "spool"

    def __init__(self, directory: str | None = None) -> None:
        try:
            self._folder = _make_spool_folder(directory)
        except OSError as exc:
            raise temporary_files_error(exc, directory) from exc
        self.path = os.path.join(self._folder, self.FILE_NAME)
        # Articles are a few kB each: a large buffer makes one write call per many of them.
        self._file = open(self.path, "wb", buffering=WRITE_BUFFER)

    def __enter__(self: Spool) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, data: bytes | memoryview) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            raise temporary_files_error(exc, os.path.dirname(self._folder)) from exc

    def _flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            raise temporary_files_error(exc, os.path.dirname(self._folder)) from exc

    def close(self) -> None:
        try:
            if not self._file.closed:
                self._file.close()  # flushes: on a full disk that fails again, and nothing is lost
        except OSError:
            pass
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)


def temporary_files_error(exc: OSError, directory: str | None) -> TemporaryFilesError:
    """The error a failed write to a temporary file of the run becomes (``directory``: its
    folder, None for the temporary folder)."""
    folder = directory or tempfile.gettempdir()
    return TemporaryFilesError(
        f"cannot write the run's temporary files in {folder}: {exc.strerror or exc}"
        " (make room there, or set TMPDIR to a folder with room)"
    )


class TextSpool(_Spool):
    """Append-only temporary file of texts, removed when the spool is closed."""

    FILE_NAME = "texts.utf8"

    def __init__(self, directory: str | None = None) -> None:
        super().__init__(directory)
        self._position = 0
        self._starts: list[int] = []
        self._lengths: list[int] = []
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, text: str) -> None:
        data = text.encode("utf-8", _ERRORS)
        self._write(data)
        self._starts.append(self._position)
        self._lengths.append(len(data))
        self._position += len(data)
        self._arrays = None

    def __len__(self) -> int:
        return len(self._starts)

    def select(self, indices: np.ndarray) -> SpooledTexts:
        """The texts added as numbers ``indices`` (flushes what was written so far)."""
        self._flush()
        if self._arrays is None:
            self._arrays = (np.asarray(self._starts, dtype=np.int64), np.asarray(self._lengths, dtype=np.int64))
        starts, lengths = self._arrays
        return SpooledTexts(self.path, starts[indices], lengths[indices])


@dataclass(frozen=True)
class SpooledSets:
    """Where some uint64 sets lie in a set spool: enough for any process to read them back."""

    path: str
    starts: np.ndarray  # int64 offsets, in values
    lengths: np.ndarray  # int64 lengths, in values

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """The sets in CSR form: their concatenated values and ``len + 1`` offsets."""
        offsets = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=offsets[1:])
        if offsets[-1] == 0:
            return np.zeros(0, dtype=np.uint64), offsets
        stored = np.memmap(self.path, dtype=np.uint64, mode="r")
        values = np.concatenate(
            [stored[start : start + length] for start, length in zip(self.starts.tolist(), self.lengths.tolist())]
        )
        return values, offsets


class SetSpool(_Spool):
    """Append-only temporary file of uint64 sets (a scan's exact shingle sets), in native byte order.

    The file lives only while one scan runs, on one machine, and holds raw numbers: nothing
    in it is ever unpickled or kept.
    """

    FILE_NAME = "sets.u64"

    def __init__(self, directory: str | None = None) -> None:
        super().__init__(directory)
        self._position = 0
        self._starts: list[np.ndarray] = []  # per add_many call
        self._lengths: list[np.ndarray] = []
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def add_many(self, values: np.ndarray, offsets: np.ndarray) -> None:
        """Append the sets ``values[offsets[k]:offsets[k + 1]]``, one per ``k``."""
        offsets = np.asarray(offsets, dtype=np.int64)
        first, last = int(offsets[0]), int(offsets[-1])
        self._write(np.ascontiguousarray(values[first:last], dtype=np.uint64).data)
        self._starts.append(self._position + offsets[:-1] - first)
        self._lengths.append(np.diff(offsets))
        self._position += last - first
        self._arrays = None

    def __len__(self) -> int:
        return sum(len(lengths) for lengths in self._lengths)

    def select(self, indices: np.ndarray) -> SpooledSets:
        """The sets added as numbers ``indices`` (flushes what was written so far)."""
        self._flush()
        if self._arrays is None:
            empty = [np.zeros(0, dtype=np.int64)]
            self._arrays = (np.concatenate(self._starts + empty), np.concatenate(self._lengths + empty))
        starts, lengths = self._arrays
        return SpooledSets(self.path, starts[indices], lengths[indices])
