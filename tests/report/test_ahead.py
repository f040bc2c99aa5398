"""Report pieces made ahead in a thread: the same pieces, in order, within a byte budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from dedup.report.ahead import Ahead


class Counted:
    """Pieces ``b"piece 0"``, ``b"piece 1"``...: how many were taken, and by which thread."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.taken = 0
        self.threads: set[str] = set()

    def __iter__(self) -> Iterator[bytes]:
        for k in range(self.count):
            if k == self.fail_at:
                raise OSError(f"cannot read piece {k}")
            self.taken += 1
            self.threads.add(threading.current_thread().name)
            yield f"piece {k}".encode()


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the thread never got there"
        time.sleep(0.005)


def test_pieces_made_ahead_are_the_pieces_in_order() -> None:
    pieces = Counted(5000)
    ahead = Ahead(iter(pieces)).start()
    _wait_for(lambda: pieces.taken == 5000)  # made before anyone reads them
    assert list(ahead) == [f"piece {k}".encode() for k in range(5000)]
    assert pieces.threads == {"dedup-report-ahead"}


def test_the_thread_waits_once_its_budget_is_made() -> None:
    pieces = Counted(1000)
    ahead = Ahead(iter(pieces), budget=20).start()  # 3 pieces of 7 bytes fill it
    _wait_for(lambda: pieces.taken >= 4)
    time.sleep(0.1)
    assert pieces.taken == 4  # three kept, the fourth taken and waiting for room
    assert len(list(ahead)) == 1000


def test_an_error_comes_after_the_pieces_before_it() -> None:
    ahead = Ahead(iter(Counted(10, fail_at=6))).start()
    read = []
    with pytest.raises(OSError, match="cannot read piece 6"):
        for piece in ahead:
            read.append(piece)
    assert read == [f"piece {k}".encode() for k in range(6)]


def test_closing_stops_the_thread() -> None:
    pieces = Counted(10_000)
    ahead = Ahead(iter(pieces), budget=100).start()
    _wait_for(lambda: pieces.taken > 0)
    ahead.close()
    assert ahead._thread is not None
    ahead._thread.join(10)
    assert not ahead._thread.is_alive()
    assert pieces.taken < 10_000


def test_pieces_never_started_are_made_as_they_are_read() -> None:
    pieces = Counted(3)
    ahead = Ahead(iter(pieces))
    assert pieces.taken == 0
    assert list(ahead) == [b"piece 0", b"piece 1", b"piece 2"]
    assert pieces.threads == {threading.current_thread().name}
