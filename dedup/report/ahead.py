"""Report pieces made ahead, in a thread, while the writer waits for the workers.

With worker processes, the main process of a scan spends the cluster records mostly
waiting: the workers make them, and it only writes what they send. The pieces that follow
the clusters (the pairs, a few hundred bytes each and millions in a large corpus) do not
depend on them, so a thread makes them meanwhile, up to a budget of bytes, and the writer
takes them as it reaches them. What is written, and in what order, is what the pieces
iterator gives; only when it is made changes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator

from dedup.story.provenance import Provenance
from dedup.story.result import ScanResult

# Bytes of pieces made ahead and not yet written, at most (the thread then waits).
AHEAD_BYTES = 64 << 20


class Ahead:
    """The pieces of ``pieces`` (bytes or text), made in a thread from :meth:`start` on.

    Iterating gives them in order; an error the iterator raised is raised there, where it
    would have been without the thread. :meth:`close` (or the end of iteration) stops the
    thread; it is a daemon, so a run that ends otherwise is never kept waiting for it.
    """

    def __init__(self, pieces: Iterator[bytes | str], budget: int = AHEAD_BYTES) -> None:
        self._pieces = pieces
        self._budget = budget
        self._made: deque[bytes | str] = deque()
        self._size = 0
        self._done = False
        self._error: BaseException | None = None
        self._stopped = False
        self._turn = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> Ahead:
        if self._thread is None:
            self._thread = threading.Thread(target=self._make, name="dedup-report-ahead", daemon=True)
            self._thread.start()
        return self

    def _make(self) -> None:
        try:
            for piece in self._pieces:
                with self._turn:
                    while self._size >= self._budget and not self._stopped:
                        self._turn.wait()
                    if self._stopped:
                        return
                    self._made.append(piece)
                    self._size += len(piece)
                    self._turn.notify_all()
        except BaseException as exc:  # handed to the reader, who raises it in its own thread
            with self._turn:
                self._error = exc
        finally:
            with self._turn:
                self._done = True
                self._turn.notify_all()

    def __iter__(self) -> Iterator[bytes | str]:
        if self._thread is None:  # never started: made here, as they are read
            yield from self._pieces
            return
        try:
            while True:
                with self._turn:
                    while not self._made and not self._done:
                        self._turn.wait()
                    if self._made:
                        piece = self._made.popleft()
                        self._size -= len(piece)
                        self._turn.notify_all()
                    elif self._error is not None:
                        raise self._error
                    else:
                        return
                yield piece
        finally:
            self.close()

    def close(self) -> None:
        """Stop making pieces (those made are dropped)."""
        with self._turn:
            self._stopped = True
            self._made.clear()
            self._size = 0
            self._turn.notify_all()


def ahead_of_clusters(
    result: ScanResult, provenances: list[Provenance] | None, pieces: Iterator[bytes | str]
) -> tuple[Ahead, Callable[[], object] | None]:
    """The ``pieces`` that follow the clusters in a report, and what starts making them.

    Where worker processes write the clusters' records, the pieces are made in a thread
    once a worker has no record left to make (the second value, :meth:`Ahead.start`, for
    :func:`cluster_records` to pass on): on two cores, a thread started with the records
    held up the task-making of this process, then the workers. Otherwise (None) they are
    made as they are read. They must read nothing the clusters change: the pairs read ids
    and scores."""
    ahead = Ahead(pieces)
    if provenances is None and result.records is not None and result.records_in_workers:
        return ahead, ahead.start
    return ahead, None
