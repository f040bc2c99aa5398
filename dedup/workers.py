"""Running batches in worker processes.

Nothing here knows the pipeline's stages: :class:`WorkerPool` maps a top-level function
over tasks, in order, in this process (``jobs=1``) or in ``jobs`` worker processes, with
a bounded number of tasks in flight so that memory stays flat however long the input is.
On Linux, workers are forked from a clean server process (multiprocessing's forkserver)
that imported the pipeline and loaded the compiled kernels once, so they inherit no locks
or thread pools from the parent and start without loading them each (elsewhere they are
spawned); tasks and results travel by multiprocessing's own IPC. What the tasks read and
leave on disk lies in spools (:mod:`dedup.spools`).
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Generic, TypeVar

from dedup.errors import ParameterError

Task = TypeVar("Task")
Result = TypeVar("Result")


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
        self._lock = threading.Lock()  # the executor's setting, and what waits for it
        self._later: list[Callable[[], object]] = []  # prepare()'s while the workers' server starts

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
            with self._lock:
                self._executor = executor
                later, self._later = self._later, []
            for func in later:
                for _ in range(self.jobs):
                    executor.submit(func)
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
        self, func: Callable[[Task], Result], tasks: Iterable[Task], idle: Callable[[], object] | None = None,
        spare: Callable[[], object] | None = None, wait: bool = False,
    ) -> Iterator[Result]:
        """``func(task)`` for every task, yielded in task order.

        At most ``2 * jobs`` tasks are submitted ahead of the one being yielded, so a lazy
        ``tasks`` iterable is consumed only as fast as the workers keep up. Where there
        are fewer tasks than worker processes, ``idle()`` (a module-level function) is
        submitted after them, once per worker, and not waited for: a worker that got no
        task runs it while the others work (it prepares what a later stage needs, and
        costs nothing the second time in a process). Until a worker is up (they start
        when the pool opens), a task with none in flight before it runs in this process.
        ``spare()`` is called once (with ``jobs`` > 1), when this process waits for a
        result and fewer tasks are left to run than there are workers: work it starts in a
        thread then takes a core that the tasks leave free, rather than one they need.
        With ``wait``, no task runs in this process: the tasks wait for the workers (a
        batch they share is theirs: run here, its first part would hold up the others).
        """
        if self.jobs == 1:
            for task in tasks:
                yield run_collector_paused(func, task)
            return
        pending: deque[Future[Result]] = deque()
        submitted = 0
        spared = threading.Lock()

        def when_spare(futures: list[Future[Result]], _: object = None) -> None:
            nonlocal spare
            with spared:
                if spare is None or sum(not future.done() for future in futures) >= self.jobs:
                    return
                started, spare = spare, None
            started()

        def first_out() -> Result:
            if spare is not None:  # checked again as each task in flight ends
                futures = list(pending)
                for future in futures:
                    future.add_done_callback(functools.partial(when_spare, futures))
                when_spare(futures)
            return pending.popleft().result()

        for task in tasks:
            if not wait and not pending and not self._workers_up():  # the next result in order, made here
                submitted += 1
                yield run_collector_paused(func, task)
                continue
            pending.append(self._opened().submit(run_collector_paused, func, task))
            submitted += 1
            if len(pending) >= 2 * self.jobs:
                yield first_out()
        if idle is not None and submitted < self.jobs:
            self.prepare(idle)
        while pending:
            yield first_out()

    def prepare(self, func: Callable[[], object]) -> None:
        """Submit ``func`` (a module-level function that prepares what a later stage needs,
        at no cost the second time in a process) once per worker, and do not wait for it:
        the workers run it while this process works alone. While the workers' server still
        starts, the thread that opens the pool submits it once it is up: this process does
        not wait for the server (about a second) to go on."""
        if self.jobs == 1:
            return
        with self._lock:
            if self._executor is None and self._opener is not None and self._open_error is None:
                self._later.append(func)
                return
        executor = self._opened()
        for _ in range(self.jobs):
            executor.submit(func)  # its failure, if any, is the later stage's to meet


class Aside(Generic[Result]):
    """``func()``, made once in a thread from :meth:`start` on (``spare`` of :meth:`WorkerPool.map`:
    on a core the workers leave free), or here by :meth:`result` if nothing started it."""

    def __init__(self, func: Callable[[], Result]) -> None:
        self._func = func
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._value: list[Result] = []
        self._error: BaseException | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="dedup-aside", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self._value.append(self._func())
        except BaseException as exc:  # raised by result(), in the thread that asks
            self._error = exc

    def result(self) -> Result:
        with self._lock:
            here = self._thread is None
            if here:  # a later start() does nothing
                self._thread = threading.current_thread()
        if here:
            return self._func()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value[0]


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
