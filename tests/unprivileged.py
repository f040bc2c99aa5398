"""Run a check as a user that permissions apply to.

``chmod 000`` does not stop root, and CI often runs as root. :func:`run_unprivileged`
runs a function in a forked child that has given up root (user ``nobody``) when the
tests run as root, and in this process otherwise, so that an unreadable file or folder
really is unreadable. :func:`open_folder` makes a temporary folder that such a child can
reach (pytest's ``tmp_path`` sits under a folder only its owner may enter).
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
NOBODY = 65534


@contextmanager
def open_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="dedup-test-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for root, dirs, _ in os.walk(folder):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(folder, ignore_errors=True)


def run_unprivileged(func: Callable[[], T]) -> T:
    """``func()``, run without root's power to read anything."""
    if os.geteuid() != 0:
        return func()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, run, send the result back, and leave at once
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                payload = pickle.dumps(("ok", func()))
            except BaseException as exc:  # noqa: BLE001 - sent back to the parent, which raises it
                payload = pickle.dumps(("error", repr(exc)))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        payload = source.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(payload)
    if status == "error":
        raise AssertionError(f"the unprivileged check failed: {value}")
    return value
