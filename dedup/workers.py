"""Running batches in worker processes, and keeping texts on disk while a scan runs.

Nothing here knows the pipeline's stages: :class:`WorkerPool` maps a top-level function
over tasks, in order, in this process (``jobs=1``) or in ``jobs`` worker processes, with
a bounded number of tasks in flight so that memory stays flat however long the input is.
On Linux, workers are forked from a clean server process (multiprocessing's forkserver)
that imported the pipeline and loaded the compiled kernels once, so they inherit no locks
or thread pools from the parent and start without loading them each (elsewhere they are
spawned); tasks and results travel by multiprocessing's own IPC.

:class:`TextSpool` is an append-only temporary file of UTF-8 texts. The scan writes each
article there as it is read and keeps only its offset; later stages, in any process,
read back the few texts they need. :class:`SetSpool` does the same for the exact shingle
sets that fingerprinting computes, so that verification reads them back instead of
normalising and shingling each candidate again.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from dedup.errors import ParameterError, TemporaryFilesError

Task = TypeVar("Task")
Result = TypeVar("Result")

# Texts may hold lone surrogates (JSON allows "\ud800"); they must survive the round trip.
_ERRORS = "surrogatepass"
WRITE_BUFFER = 1 << 20


class WorkerPool:
    """Ordered, bounded ``map`` over ``jobs`` processes (``jobs=1``: in this process)."""

    def __init__(self, jobs: int = 1) -> None:
        if jobs < 1:
            raise ParameterError(f"jobs must be at least 1, not {jobs}")
        self.jobs = jobs
        self._executor: ProcessPoolExecutor | None = None
        self._starting: list[Future[None]] = []  # one per worker: done once it is up
        self._opener: threading.Thread | None = None
        self._open_error: BaseException | None = None

    def __enter__(self) -> WorkerPool:
        if self.jobs > 1:
            # The workers start now, from a thread: the server they are forked from imports
            # the pipeline and loads the compiled kernels first (0.7-1 s), and this
            # process reads meanwhile. Until one
            # is up, map() runs tasks in this process.
            self._opener = threading.Thread(target=self._open, name="dedup-pool-open", daemon=True)
            self._opener.start()
        return self

    def _open(self) -> None:
        try:
            executor = ProcessPoolExecutor(self.jobs, mp_context=_context(), initializer=_leave_interrupts_to_parent)
            self._starting = [executor.submit(_up) for _ in range(self.jobs)]
            self._executor = executor
        except BaseException as exc:  # raised where the pool is next used
            self._open_error = exc

    def _opened(self) -> ProcessPoolExecutor:
        """The workers' executor, once the opening thread is done (waiting for it)."""
        if self._opener is not None:
            self._opener.join()
            self._opener = None
        if self._open_error is not None:
            raise self._open_error
        assert self._executor is not None
        return self._executor

    def _workers_up(self) -> bool:
        if self._opener is not None and self._opener.is_alive():
            return False
        self._opened()
        if self._starting and not any(started.done() for started in self._starting):
            return False
        self._starting = []
        return True

    def __exit__(self, *exc: object) -> None:
        if self._opener is not None:
            self._opener.join()
            self._opener = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def map(
        self, func: Callable[[Task], Result], tasks: Iterable[Task], idle: Callable[[], object] | None = None
    ) -> Iterator[Result]:
        """``func(task)`` for every task, yielded in task order.

        At most ``2 * jobs`` tasks are submitted ahead of the one being yielded, so a lazy
        ``tasks`` iterable is consumed only as fast as the workers keep up. Where there
        are fewer tasks than worker processes, ``idle()`` (a module-level function) is
        submitted after them, once per worker, and not waited for: a worker that got no
        task runs it while the others work (it prepares what a later stage needs, and
        costs nothing the second time in a process). Until a worker is up (they start
        when the pool opens), a task with none in flight before it runs in this process.
        """
        if self.jobs == 1:
            for task in tasks:
                yield run_collector_paused(func, task)
            return
        pending: deque[Future[Result]] = deque()
        submitted = 0
        for task in tasks:
            if not pending and not self._workers_up():  # the next result in order, made here
                submitted += 1
                yield run_collector_paused(func, task)
                continue
            pending.append(self._opened().submit(run_collector_paused, func, task))
            submitted += 1
            if len(pending) >= 2 * self.jobs:
                yield pending.popleft().result()
        if idle is not None and submitted < self.jobs:
            self.prepare(idle)
        while pending:
            yield pending.popleft().result()

    def prepare(self, func: Callable[[], object]) -> None:
        """Submit ``func`` (a module-level function that prepares what a later stage needs,
        at no cost the second time in a process) once per worker, and do not wait for it:
        the workers run it while this process works alone."""
        if self.jobs > 1:
            executor = self._opened()
            for _ in range(self.jobs):
                executor.submit(func)  # its failure, if any, is the later stage's to meet


def run_collector_paused(func: Callable[[Task], Result], task: Task) -> Result:
    """``func(task)`` with Python's cyclic garbage collector paused, as every task of a pool runs.

    A task makes objects that live until it ends: a large cluster's passages, counterparts
    and records are hundreds of thousands. The collector runs every 700 new objects and
    walks the young ones each time, and the older ones every tenth and hundredth time, so
    it walked these again and again: a third of the report of a 161-member cluster. Paused,
    the task keeps its garbage cycles (few: its objects are freed by reference counts) until
    it ends, and the collector takes them up from there.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return func(task)
    finally:
        if enabled:
            gc.enable()


def _context() -> multiprocessing.context.BaseContext:
    """On Linux, workers are forked from a fork server once it has imported the pipeline's
    modules and loaded the compiled kernels (:mod:`dedup.forked`; they are not loaded again
    in each worker); elsewhere they are spawned, and each imports them (macOS's system
    libraries are not safe to use in a process forked after they were loaded, which is why
    Python spawns there by default). The server is started once per process, by the first
    pool, and serves the later ones."""
    if not sys.platform.startswith("linux") or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dedup.forked"])
    return context


def start_server() -> None:
    """Start the workers' fork server now (Linux; elsewhere nothing happens), so that it
    loads what the workers need while this process does something else; the first pool
    forks its workers from it. A process that asks for no pool in the end leaves the
    server behind it, which exits with it."""
    context = _context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _up() -> None:
    """A task that does nothing: done once a worker has started (and imported what it needs)."""


def _leave_interrupts_to_parent() -> None:
    """Set up a worker: it ignores Ctrl-C, which the terminal sends to every process of the
    job (the parent stops the run and cleans up, instead of each worker printing a
    traceback), and it exits when its parent is gone (killed outright, the parent cannot
    stop it, and it would wait for tasks forever). A forked worker's parent is the fork
    server, which exits when the process that started it is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="dedup-parent-watch", daemon=True).start()


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
