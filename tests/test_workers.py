"""Spools and the worker pool: what goes in comes back, in order, in any process."""

from __future__ import annotations

import functools
import gc
import os
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.spools import SetSpool, TextSpool
from dedup.workers import Aside, WorkerPool

sets_strategy = st.lists(
    st.lists(st.integers(min_value=0, max_value=2**64 - 1), unique=True, max_size=30).map(sorted), max_size=25
)


def _csr(sets: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=offsets[1:])
    values = np.array([v for s in sets for v in s], dtype=np.uint64)
    return values, offsets


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(sets_strategy, min_size=1, max_size=4), data=st.data())
def test_set_spool_gives_back_any_selection_of_the_sets_added(batches: list[list[list[int]]], data: st.DataObject) -> None:
    added = [s for batch in batches for s in batch]
    with SetSpool() as spool:
        for batch in batches:
            spool.add_many(*_csr(batch))
        assert len(spool) == len(added)
        chosen = data.draw(st.lists(st.integers(0, max(len(added) - 1, 0)), max_size=10)) if added else []
        values, offsets = spool.select(np.array(chosen, dtype=np.int64)).load()
    assert values.dtype == np.uint64 and len(offsets) == len(chosen) + 1
    assert [values[offsets[k] : offsets[k + 1]].tolist() for k in range(len(chosen))] == [added[i] for i in chosen]


def _load(selection: object) -> object:
    return selection.load()  # type: ignore[attr-defined]


def test_spooled_sets_and_texts_load_in_worker_processes() -> None:
    sets = [[1, 5, 2**63 + 7], [], [42]]
    texts = ["Le ministre a parlé.", "", "lone surrogate \ud800 kept"]
    with SetSpool() as set_spool, TextSpool() as text_spool, WorkerPool(2) as pool:
        set_spool.add_many(*_csr(sets))
        for text in texts:
            text_spool.add(text)
        order = np.array([2, 0, 1], dtype=np.int64)
        loaded_sets, loaded_texts = pool.map(_load, [set_spool.select(order), text_spool.select(order)])
        folder = os.path.dirname(set_spool.path)
    values, offsets = loaded_sets
    assert [values[offsets[k] : offsets[k + 1]].tolist() for k in range(3)] == [sets[i] for i in order]
    assert loaded_texts == [texts[i] for i in order]
    assert not os.path.exists(folder)  # closing a spool removes its folder


def test_set_spool_takes_a_slice_of_a_larger_csr_batch() -> None:
    values = np.array([9, 1, 2, 3, 4, 5, 99], dtype=np.uint64)
    with SetSpool() as spool:
        spool.add_many(values, np.array([1, 3, 3, 6]))  # sets [1, 2], [], [3, 4, 5]
        spool.add_many(values, np.array([6, 7]))  # set [99]
        loaded, offsets = spool.select(np.array([3, 0, 1, 2])).load()
    assert [loaded[offsets[k] : offsets[k + 1]].tolist() for k in range(4)] == [[99], [1, 2], [], [3, 4, 5]]


def _pid(_: object) -> int:
    return os.getpid()


def _mark_idle(folder: str) -> None:
    with open(os.path.join(folder, str(os.getpid())), "w", encoding="utf-8"):
        pass


def test_idle_work_runs_in_the_workers_after_the_tasks(tmp_path) -> None:
    mark_idle = functools.partial(_mark_idle, str(tmp_path))
    with WorkerPool(3) as pool:
        pool._opened()
        for started in pool._starting:  # every worker up: no task runs here meanwhile
            started.result()
        assert list(pool.map(_pid, range(3), idle=mark_idle)) != []
        assert not os.listdir(tmp_path)  # a task for every worker: none is left idle
        pids = list(pool.map(_pid, range(2), idle=mark_idle))
        # the idle work is not waited for (the pool's end cancels what has not started): wait here
        deadline = time.monotonic() + 60
        while not os.listdir(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = set(pool._executor._processes)  # type: ignore[union-attr]
    # it ran in the workers, never here
    marked = {int(name) for name in os.listdir(tmp_path)}
    assert marked and marked <= workers and os.getpid() not in workers
    assert set(pids) <= workers and len(pids) == 2
    with WorkerPool(1) as pool:  # in this process, there is no idle worker: it is not run
        assert list(pool.map(_pid, range(3), idle=mark_idle)) == [os.getpid()] * 3
    assert os.getpid() not in {int(name) for name in os.listdir(tmp_path)}


def _spool_pieces(task: tuple[object, list[bytes]]) -> object:
    from dedup.spools import SpooledPieces

    texts, pieces = task
    return SpooledPieces.beside(texts, pieces)  # type: ignore[arg-type]


def test_pieces_left_beside_spooled_texts_are_taken_back_once() -> None:
    pieces = [b'{"cluster_id":"c-1"}', b"", "passage \u00e9\u202e \U0001f600".encode("utf-8"), bytes(range(256)) * 50]
    with TextSpool() as text_spool, WorkerPool(2) as pool:
        text_spool.add("a text")
        texts = text_spool.select(np.array([0], dtype=np.int64))
        (spooled,) = pool.map(_spool_pieces, [(texts, pieces)])
        assert os.path.dirname(spooled.path) == os.path.dirname(texts.path)
        assert spooled.take() == pieces
        assert not os.path.exists(spooled.path)  # taken once: the file is gone
        again = _spool_pieces((texts, pieces))
        folder = os.path.dirname(texts.path)
    assert not os.path.exists(again.path) and not os.path.exists(folder)  # an untaken file goes with the spool


def test_tasks_run_here_until_a_worker_is_up_and_come_back_in_order() -> None:
    from concurrent.futures import Future

    with WorkerPool(2) as pool:
        pool._opened()
        starting = pool._starting
        assert len(starting) == 2
        never: Future[None] = Future()
        pool._starting = [never]  # no worker is up yet: each task runs here, in order
        assert list(pool.map(_pid, range(4))) == [os.getpid()] * 4
        pool._starting = [never]  # unless the tasks wait for the workers
        assert os.getpid() not in pool.map(_pid, range(4), wait=True)
        up: Future[None] = Future()
        pool._starting = [up]

        def tasks():  # a worker comes up once three tasks were taken
            for k in range(12):
                if k == 3:
                    up.set_result(None)
                yield k

        pids = list(pool.map(_pid, tasks()))
        workers = set(pool._executor._processes)  # type: ignore[union-attr]
        assert pids[:3] == [os.getpid()] * 3 and set(pids[3:]) <= workers and os.getpid() not in workers
        up = Future()
        pool._starting = [up]
        assert list(pool.map(_square, tasks())) == [k * k for k in range(12)]
        for started in starting:  # the real workers came up meanwhile
            started.result(timeout=60)


def _square(k: int) -> int:
    return k * k


def test_a_pool_that_cannot_start_raises_where_it_is_next_used(monkeypatch) -> None:
    import dedup.workers as workers

    def no_processes() -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(workers, "_context", no_processes)
    with WorkerPool(2) as pool, pytest.raises(OSError, match="no processes here"):
        pool.prepare(_up_here)  # raises, or leaves it to the pool's next use if the pool is still opening
        list(pool.map(_square, range(3)))


def test_work_prepared_while_the_server_starts_runs_in_the_workers_once_they_are_up(tmp_path, monkeypatch) -> None:
    import threading

    import dedup.workers as workers

    server_up = threading.Event()
    context = workers._context

    def slow_context():  # type: ignore[no-untyped-def]  # the pool opens only once told
        assert server_up.wait(timeout=60)
        return context()

    monkeypatch.setattr(workers, "_context", slow_context)
    with WorkerPool(2) as pool:
        pool.prepare(functools.partial(_mark_idle, str(tmp_path)))  # does not wait for the pool to open
        assert pool._opener is not None and pool._opener.is_alive() and not os.listdir(tmp_path)
        server_up.set()
        pool._opened()
        for started in pool._starting:  # every worker up: the tasks run there, after the prepared work
            started.result(timeout=60)
        assert list(pool.map(_square, range(4))) == [0, 1, 4, 9]
        workers_started = set(pool._opened()._processes)  # type: ignore[union-attr]
    marked = {int(name) for name in os.listdir(tmp_path)}
    assert marked and marked <= workers_started and os.getpid() not in marked


def _up_here() -> None:
    """Nothing to prepare."""


def test_workers_are_forked_from_a_server_on_linux_and_spawned_elsewhere(monkeypatch) -> None:
    import multiprocessing
    import sys

    import dedup.workers as workers

    forked = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    monkeypatch.setattr(sys, "platform", "linux")
    assert workers._context().get_start_method() == forked
    monkeypatch.setattr(sys, "platform", "darwin")
    assert workers._context().get_start_method() == "spawn"
    with WorkerPool(2) as pool:  # spawned workers import the package and work as forked ones do
        pool._opened()
        for started in pool._starting:
            started.result(timeout=120)
        assert list(pool.map(_square, range(6))) == [k * k for k in range(6)]
        assert set(pool.map(_pid, range(4))) <= set(pool._executor._processes)  # type: ignore[union-attr]


def _collector_state(task: int) -> tuple[int, bool, int]:
    return task, gc.isenabled(), os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_tasks_run_with_the_collector_paused_and_leave_it_running(jobs: int) -> None:
    assert gc.isenabled()
    with WorkerPool(jobs) as pool:
        if jobs > 1:
            pool._opened()
            for started in pool._starting:  # every worker up: no task runs here meanwhile
                started.result()
        states = list(pool.map(_collector_state, range(6)))
        assert gc.isenabled()  # here too, where jobs=1 ran the tasks
        # a worker, asked outside a task once the tasks are done
        later = [pool._opened().submit(_collector_state, 0).result() for _ in range(4)] if jobs > 1 else []
    assert [task for task, _, _ in states] == list(range(6))
    assert not any(enabled for _, enabled, _ in states)
    assert (jobs == 1) == all(pid == os.getpid() for _, _, pid in states)
    assert all(enabled for _, enabled, _ in later)


def _parent(_: object) -> int:
    return os.getppid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked from a server on Linux only")
def test_a_server_started_early_is_the_one_the_workers_are_forked_from() -> None:
    from multiprocessing import forkserver

    from dedup.workers import start_server

    start_server()
    server = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    assert server is not None and server != os.getpid()
    start_server()  # once per process
    assert forkserver._forkserver._forkserver_pid == server  # type: ignore[attr-defined]
    with WorkerPool(2) as pool:
        pool._opened()
        for started in pool._starting:
            started.result(timeout=60)
        assert set(pool.map(_parent, range(4))) == {server}


@pytest.mark.parametrize(
    "args,jobs",
    [
        ([], 1), (["scan", "seeds/"], 1), (["scan", "-j", "2", "seeds/"], 2), (["scan", "--jobs", "3"], 3),
        (["scan", "--jobs=4"], 4), (["scan", "-j5"], 5), (["-j", "2", "-j", "1"], 1), (["scan", "-j"], 1),
        (["scan", "-j", "two"], 1), (["scan", "-j", "-1"], 1), (["scan", "--", "-j", "2"], 1), (["scan", "-j", "²"], 1),
    ],
)
def test_the_jobs_a_command_line_asks_for_are_read_before_click(args: list[str], jobs: int) -> None:
    from dedup.__main__ import jobs_asked

    assert jobs_asked(args) == jobs


_BLAS_THREADS_AFTER_RUN = """
import sys
from dedup.__main__ import run
sys.argv = ["dedup", "--version"]
try:
    run()
except SystemExit:
    pass
import scipy.linalg  # scipy's own BLAS, loaded after the command line's imports
from threadpoolctl import threadpool_info
print(sorted({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}))
"""


@pytest.mark.parametrize(("given", "threads"), [(None, "[1]"), ("2", "[2]")])
def test_the_command_line_asks_blas_for_one_thread_unless_told(given: str | None, threads: str) -> None:
    """numpy's and scipy's BLAS run one thread each under the command line (their threads
    spin as they start, on the cores dedup's processes need), or as many as the user set."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = env["MKL_NUM_THREADS"] = given
    done = subprocess.run([sys.executable, "-c", _BLAS_THREADS_AFTER_RUN], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == threads


_WORKER_THAT_CANNOT_START = """
import os
from dedup.workers import _context

class Gone:  # what a worker loads when its parent's semaphores were removed as it stopped
    def __reduce__(self):
        return (os.stat, ("/nonexistent/dedup-worker",))

if __name__ == "__main__":
    process = _context().Process(target=print, args=(Gone(),))
    process.start()
    process.join()
    print("exit", process.exitcode)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked from the fork server on Linux")
def test_a_worker_that_cannot_start_says_why_in_one_line() -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-c", _WORKER_THAT_CANNOT_START], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["exit", "1"]
    assert done.stderr == (
        "dedup: a worker process could not start: FileNotFoundError: [Errno 2] No such file or directory: "
        "'/nonexistent/dedup-worker'\n"
    )


@pytest.fixture(params=["copy_file_range", "sendfile", "neither"])
def kernel_copy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How a spooled piece is copied into an output: the kernel's copy_file_range, else
    sendfile, else read and write (the kernel refusing the others, as across file systems)."""
    import errno

    from dedup import spools

    def refused(*args: object) -> int:
        raise OSError(errno.EXDEV, "not between these files")

    if request.param != "copy_file_range":
        monkeypatch.setattr(spools, "_copy_file_range", refused)
    if request.param == "neither":
        monkeypatch.setattr(spools, "_sendfile", refused)
    return request.param


def test_pieces_left_in_a_file_are_copied_into_an_output_and_the_file_goes_with_the_last(
    tmp_path, kernel_copy: str
) -> None:
    from dedup.report.encode import joined, write_pieces

    pieces = [b'{"cluster_id":"c-1"}', b"", "passage \u00e9\u202e \U0001f600".encode("utf-8"), bytes(range(256)) * 5000]
    with TextSpool() as text_spool:
        text_spool.add("a text")
        texts = text_spool.select(np.array([0], dtype=np.int64))
        spooled = _spool_pieces((texts, pieces))
        in_file = spooled.in_file()
        assert [piece.last for piece in in_file] == [False, False, False, True]
        with open(tmp_path / "out", "wb") as out:
            out.write(b"head ")
            write_pieces(out, ["text \u00e9 ", in_file[0], b" bytes ", *in_file[1:3]])
            assert os.path.exists(spooled.path)  # until its last piece is taken
            write_pieces(out, [in_file[3], " tail"])
        assert not os.path.exists(spooled.path)
        assert (tmp_path / "out").read_bytes() == b"head " + "text \u00e9 ".encode() + pieces[0] + b" bytes " + \
            b"".join(pieces[1:]) + b" tail"
        again = _spool_pieces((texts, pieces[:3])).in_file()
        assert joined(again) == b"".join(pieces[:3]).decode("utf-8")  # read in, as text
        assert not os.path.exists(again[-1].path)


def test_a_piece_copied_into_a_pipe_arrives_whole(tmp_path) -> None:
    pieces = [b"x" * 100_000, b"y" * 70_000]
    read_end, write_end = os.pipe()
    with TextSpool() as text_spool, os.fdopen(read_end, "rb") as reader:
        text_spool.add("a text")
        spooled = _spool_pieces((text_spool.select(np.array([0], dtype=np.int64)), pieces))
        received: list[bytes] = []
        thread = threading.Thread(target=lambda: received.append(reader.read()))
        thread.start()
        with os.fdopen(write_end, "wb") as out:
            from dedup.report.encode import write_pieces

            write_pieces(out, [b"<", *spooled.in_file(), b">"])
        thread.join(timeout=60)
    assert received == [b"<" + b"".join(pieces) + b">"]


def _nap(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


def test_spare_is_called_once_when_a_worker_has_no_task_left() -> None:
    import time

    calls: list[float] = []
    with WorkerPool(2) as pool:
        pool._opened()
        for started in pool._starting:
            started.result(timeout=60)
        began = time.monotonic()
        results = list(pool.map(_nap, [1.5, 0.1], spare=lambda: calls.append(time.monotonic() - began)))
        took = time.monotonic() - began
        assert results == [1.5, 0.1]
        # once the short task ended, long before the long one
        assert len(calls) == 1 and 0.05 < calls[0] < took - 0.5
        calls.clear()  # as many tasks left as workers, all the time: only at the end
        assert list(pool.map(_nap, [0.2, 0.2, 0.2, 0.2], spare=lambda: calls.append(1))) == [0.2] * 4
        assert calls == [1]
    with WorkerPool(1) as pool:  # no worker: nothing is spare
        assert list(pool.map(_nap, [0.0], spare=lambda: calls.append(2))) == [0.0]
    assert calls == [1]


def test_a_piece_whose_file_ends_early_is_an_error_not_a_short_report(tmp_path, kernel_copy: str) -> None:
    from dedup import spools

    cut = tmp_path / "pieces"
    cut.write_bytes(b"0123456789")
    (piece,) = spools.SpooledPieces(str(cut), (25,)).in_file()
    with open(tmp_path / "out", "wb") as out, pytest.raises(OSError, match="cut short"):
        piece.copy_to(out)
    assert not cut.exists()  # the last piece was taken, if badly


def test_aside_makes_its_value_once_in_a_thread_or_where_it_is_asked_for() -> None:
    threads: list[str] = []

    def made() -> int:
        threads.append(threading.current_thread().name)
        return 42

    started = Aside(made)
    started.start()
    started.start()  # once only
    assert started.result() == 42
    assert threads == ["dedup-aside"]

    threads.clear()
    asked = Aside(made)
    assert asked.result() == 42  # never started: made here
    asked.start()  # too late: nothing more is made
    assert threads == [threading.current_thread().name]

    def fails() -> int:
        raise ValueError("bad input")

    failing = Aside(fails)
    failing.start()
    with pytest.raises(ValueError, match="bad input"):
        failing.result()
