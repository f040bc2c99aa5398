"""What the workers' fork server loads before it forks them (Linux; :mod:`dedup.workers`).

The pipeline's modules, scipy's sparse matrices, and the compiled kernels: numba's first
use in a process sets up its compiler's tables and imports most of numba (0.3-0.5 s),
then each kernel's cached code is loaded. Done once here, every worker starts with all of
it; done in each worker, it held up verification. The cost: the first pool of a process
waits that much longer for its server, which a scan too small to need workers notices
(its tasks run in the main process meanwhile; at the end, the pool waits for its workers
to start before it closes them).

The collector is paused while this loads (its passes over the imports freed little and
took a tenth of their time), and what was loaded is then set aside (``gc.freeze``): it
lives as long as the workers, and their collections, walking it no more, touch none of
the pages they share with the server. (The imports leave about a thousand objects in
cycles, which stay; collecting them would cost 50 ms.) The main process keeps its
collector on while it imports: paused there, its imports took 0.02 s less, and ``index
add`` ran no faster (3% slower on average over five alternated runs, within the noise).

A worker that fails as it starts, before any of dedup's code runs in it, says why in one
line (:func:`_one_line`), where the fork server would print a traceback. It can happen
when the process that asked for the worker stops at that moment (SIGTERM or Ctrl-C): the
semaphores of its pool's queues are removed as it exits, and a worker that loads them
afterwards finds them gone (``FileNotFoundError``, seen once in the test that stops a
scan with SIGTERM).
"""

import gc
import sys
from types import TracebackType


def _one_line(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    """What the fork server and the workers it forks write for an exception nothing caught:
    in a worker, one raised before it runs a task (loading what its parent sent)."""
    sys.stderr.write(f"dedup: a worker process could not start: {kind.__name__}: {error}\n")


sys.excepthook = _one_line
gc.disable()

import scipy.sparse  # noqa: E402, F401

import dedup.batches  # noqa: E402, F401
from dedup.match.kernels import warm  # noqa: E402

warm()
gc.freeze()
gc.enable()
