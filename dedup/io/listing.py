"""Which files an input names: a folder's files, and what cannot be read as a file.

Nothing is skipped in silence. A folder that cannot be listed, a symbolic link that
points nowhere, and a FIFO, socket or device whose name would make it an input are each
reported; only files whose names no reader takes are passed over. Reading a FIFO would
block until some other process writes to it (forever, in a scan of a folder someone
left one in), so only regular files are ever opened; standard input is ``-``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """A file found in a folder (``problem`` empty), or why a name found there is not read."""

    relative: str  # the path inside the folder, with "/" separators
    path: Path
    problem: str = ""


def not_a_file(path: Path) -> str:
    """Why ``path`` cannot be read as a file, or ``""`` when it is a regular file (links followed)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a symbolic link to nothing" if path.is_symlink() else "no such file or folder"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"not a regular file ({kind}); give - to read standard input"


def folder_entries(folder: Path, suffixes: tuple[str, ...]) -> list[Entry]:
    """The files under ``folder`` (recursively) whose names end with ``suffixes``, and every
    problem met on the way, sorted by path so that runs agree whatever the file system's order.

    Symbolic links to files are read; links to folders are not followed, as before.
    """
    entries: list[Entry] = []

    def unreadable(error: OSError) -> None:
        where = Path(error.filename or folder)
        entries.append(Entry(_relative(where, folder), where, f"cannot read the folder: {error.strerror or error}"))

    for root, _, names in os.walk(folder, onerror=unreadable):
        for name in names:
            if not name.lower().endswith(suffixes):
                continue
            path = Path(root, name)
            entries.append(Entry(_relative(path, folder), path, not_a_file(path)))
    return sorted(entries, key=lambda e: (e.relative, e.problem))


def folder_prefixes(folders: list[Path]) -> dict[Path, str]:
    """What the ids of each folder's files start with: nothing for one folder (its files'
    paths inside it), else the folder's name, or its path as given where names repeat.

    >>> folder_prefixes([Path("a/news"), Path("b/news/"), Path("wire")])
    {PosixPath('a/news'): 'a/news/', PosixPath('b/news'): 'b/news/', PosixPath('wire'): 'wire/'}
    """
    if len(set(folders)) < 2:
        return {}
    names = {folder: folder.resolve().name or folder.resolve().as_posix() for folder in folders}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {folder: (name if counts[name] == 1 else folder.as_posix()) + "/" for folder, name in names.items()}


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.as_posix()
