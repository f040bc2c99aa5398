"""``python -m dedup`` and the ``dedup`` command: the command-line interface.

Where the command line asks for worker processes (``--jobs N``, N > 1), their fork server
starts before the commands are imported (:func:`dedup.workers.start_server`): the server
loads the pipeline and the compiled kernels while this process imports the commands and
reads the inputs, on another core, where it used to start only once the scan opened its
pool, a quarter of a second later.

The BLAS libraries that numpy and scipy load start one thread per core by default, and
those threads spin as they start: in each of the two processes that import numpy at once
(this one and the server), that cost a tenth of a second of a core the other needed, for
nothing, since dedup works in processes and multiplies sparse matrices, which BLAS does
not. The command line asks them for one thread, unless the user's environment says
otherwise (:func:`one_blas_thread`).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping, Sequence

# What OpenBLAS (numpy's and scipy's wheels) and MKL (other builds) read for their threads.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def jobs_asked(args: Sequence[str]) -> int:
    """The worker processes ``args`` ask for with ``-j``/``--jobs`` (the last one given),
    or 1. Read before click reads the command line, so as to start the workers' server
    early: a value it does not understand is click's to refuse, and counts as 1 here."""
    jobs = 1
    for k, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("-j", "--jobs"):
            value = args[k + 1] if k + 1 < len(args) else ""
        elif arg.startswith("--jobs="):
            value = arg[len("--jobs=") :]
        elif arg.startswith("-j"):
            value = arg[2:]
        else:
            continue
        jobs = int(value) if value.isascii() and value.isdigit() else 1
    return jobs


def one_blas_thread(environ: MutableMapping[str, str]) -> None:
    """Ask the BLAS libraries for one thread each in ``environ``, where it names no count:
    read when numpy and scipy load them, so set before either is imported."""
    for name in BLAS_THREADS:
        environ.setdefault(name, "1")


def run() -> None:
    import gc
    import sys

    one_blas_thread(os.environ)  # before the server starts: it inherits the environment
    if jobs_asked(sys.argv[1:]) > 1:
        from dedup.workers import start_server

        start_server()
    from dedup.cli import main

    # What the imports made (modules, functions, compiled patterns) lives as long as the
    # process: set aside, the collector's full passes over a scan's objects do not walk it.
    gc.freeze()
    main(prog_name="dedup")


if __name__ == "__main__":
    run()
