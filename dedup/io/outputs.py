"""Output files that appear whole or not at all.

A report is written to a hidden file beside its destination (``.NAME.OWNER.XXXX.partial``)
and renamed over the destination once it is complete. A run that fails, is stopped
(Ctrl-C, SIGTERM) or is killed midway leaves the file that was there before as it was:
never a truncated report in its place, and never an old one half overwritten.

The partial file holds article text, so it does not outlive the run: it is removed on
an error, Ctrl-C and SIGTERM. A process killed outright (SIGKILL, the out-of-memory
killer) cannot clean up, so the partial file's name says which process wrote it, and
the next run that writes the same destination removes those whose process is gone.

The rename is atomic (``os.replace``, same folder) but the data is not forced to disk
first: the promise is about the run, not about a power cut. A destination that is not
a regular file (``/dev/null``, a named pipe) is written in place; a symbolic link keeps
pointing where it did, at the new file. A new file gets the permissions ``open`` would
give it (``0666`` less the umask); a replaced one keeps its own, and one that could not
be written (read-only) is not replaced.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from dedup.spools import process_alive, process_started

PARTIAL_SUFFIX = ".partial"
# The destination's name is cut to this many characters in a partial file's name, which
# must stay under the usual 255-byte limit with the owner and the random part added.
_NAME_CHARS = 96


def _owner_tag() -> str:
    """This process as a partial file's name tells it: pid, start time and a hash of the host."""
    host = hashlib.blake2b(socket.gethostname().encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    pid = os.getpid()
    return f"{pid}-{process_started(pid) or 0}-{host}"


def _partial_prefix(target: str) -> str:
    return f".{os.path.basename(target)[:_NAME_CHARS]}."


def check_writable(path: str) -> None:
    """Raise :class:`OSError` (naming ``path``) unless a file can be written there: checked
    before a long run, so that it does not end on a folder that is missing or read-only."""
    target = os.path.realpath(path)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if os.path.exists(target):
        # a file that could not be written is not replaced either (a read-only report stays)
        if not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        if not stat.S_ISREG(os.stat(target).st_mode):
            return  # a device or a pipe: written in place
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)


def remove_abandoned_partials(path: str) -> list[str]:
    """Remove the partial files of ``path`` left by processes of this machine that are gone;
    returns their paths."""
    target = os.path.realpath(path)
    folder, prefix = os.path.dirname(target) or ".", _partial_prefix(target)
    host = _owner_tag().rsplit("-", 1)[1]
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(PARTIAL_SUFFIX)):
            continue
        owner = name[len(prefix) :].split(".", 1)[0].split("-")
        if len(owner) != 3 or owner[2] != host or not owner[0].isdigit():
            continue  # not ours to judge: another machine's, or not a name this module makes
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            if not process_alive(int(owner[0]), "" if owner[1] == "0" else owner[1]):
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue
    return removed


def _new_file_mode() -> int:
    """The mode ``open`` gives a new file: 0666 less the umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def replacing(path: str, mode: str = "wb", encoding: str | None = None) -> Iterator[IO[Any]]:
    """A file opened with ``mode`` (``"wb"`` or ``"w"``) that becomes ``path`` when the
    block ends without an exception; otherwise it is removed and ``path`` is left as it was."""
    check_writable(path)
    target = os.path.realpath(path)
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        with open(target, mode, encoding=encoding) as special:  # a device or a pipe: no rename there
            yield special
        return
    remove_abandoned_partials(target)
    folder = os.path.dirname(target) or "."
    try:
        existing = os.stat(target).st_mode & 0o7777
    except OSError:
        existing = None
    try:
        descriptor, partial = tempfile.mkstemp(
            prefix=f"{_partial_prefix(target)}{_owner_tag()}.", suffix=PARTIAL_SUFFIX, dir=folder
        )
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, path) from None
    try:
        os.chmod(partial, existing if existing is not None else _new_file_mode())
        with os.fdopen(descriptor, mode, encoding=encoding) as out:
            yield out
        os.replace(partial, target)
    except BaseException:
        try:
            os.unlink(partial)
        except OSError:
            pass
        raise


__all__ = ["PARTIAL_SUFFIX", "check_writable", "remove_abandoned_partials", "replacing"]
