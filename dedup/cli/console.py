"""What the commands print on stderr, and how a run stops.

* Every message goes through :func:`dedup.report.terminal.terminal_safe`: ids, file
  names and texts come from the input, and a control sequence in one of them must not
  drive the terminal. :class:`SafeGroup` does the same for click's own error messages.
* One progress line (:class:`StderrProgress`) at a time; a log message first ends it, so
  that a warning never prints over it.
* SIGTERM stops a run the way Ctrl-C does: the exception unwinds every ``with`` block
  (temporary spools are removed) and the command exits with code 1.
"""

from __future__ import annotations

import io
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import click

from dedup.document import Problem
from dedup.report.terminal import plural, terminal_safe

# How many skipped records the summary on stderr lists before "... and N more".
LISTED_PROBLEMS = 20


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def say(message: str) -> None:
    """One line on stderr, control characters escaped."""
    _end_progress_line()
    click.echo(terminal_safe(message), err=True)


def report_problems(problems: Sequence[Problem], more: str = "") -> None:
    """The skipped records on stderr: a count, the first :data:`LISTED_PROBLEMS`, then how many more."""
    if not problems:
        return
    say(f"skipped {plural(len(problems), 'record')}:")
    for problem in problems[:LISTED_PROBLEMS]:
        say(f"  {problem}")
    if len(problems) > LISTED_PROBLEMS:
        say(f"  ... and {len(problems) - LISTED_PROBLEMS} more{more}")


def nothing_read(problems: list[Problem], verb: str) -> click.ClickException:
    """The error of a run that read no document: exit code 1, naming the first problem."""
    if not problems:
        return click.ClickException(f"nothing to {verb}: the inputs hold no documents")
    more = f" (and {plural(len(problems) - 1, 'other problem')})" if len(problems) > 1 else ""
    return click.ClickException(f"nothing to {verb}: no document could be read; {problems[0]}{more}")


class StderrProgress:
    """A one-line progress display on stderr: stage, documents (or pairs) done, rate and ETA.

    Updates are throttled to a few per second, and runs under ``min_items`` show nothing.
    Each stage starts its own line; its rate is measured from that first line on, so the
    first line of a stage shows none (it would divide by almost no time).
    """

    open_line: StderrProgress | None = None  # the instance whose line is on screen now

    def __init__(self, enabled: bool, interval: float = 0.25, min_items: int = 10_000) -> None:
        self.enabled = enabled
        self.interval = interval
        self.min_items = min_items
        self.stage = ""
        self.stage_started = self.last_shown = time.perf_counter()
        self.stage_done = 0
        self.unshown: tuple[int, int] | None = None  # the last count given, when it was not shown

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or (total or done) < self.min_items:
            return
        now = time.perf_counter()
        if stage != self.stage:
            self.close()
            self.stage, self.stage_started, self.stage_done = stage, now, done
        elif now - self.last_shown < self.interval and (done < total or not total):
            # A count without a total has no last call that is always shown: close() shows it.
            self.unshown = (done, total)
            return
        self._show(done, total, now)

    def _show(self, done: int, total: int, now: float) -> None:
        self.last_shown = now
        self.unshown = None
        elapsed = now - self.stage_started
        rate = (done - self.stage_done) / elapsed if elapsed > 0 else 0.0
        unit = "pairs" if self.stage == "verify" else "docs"  # verification counts candidate pairs
        line = f"\r{self.stage}: {done:,}" + (f"/{total:,}" if total else "") + f" {unit}"
        if rate > 0:
            line += f", {rate:,.0f} {unit}/s"
            if total:
                line += f", ETA {(total - done) / rate:,.0f}s"
        click.echo(line + "   ", err=True, nl=False)
        StderrProgress.open_line = self

    def close(self) -> None:
        """End the progress line, if one is on screen, with the last count it was given."""
        if StderrProgress.open_line is self:
            if self.unshown is not None:
                self._show(*self.unshown, time.perf_counter())
            click.echo(err=True)
            StderrProgress.open_line = None
        self.unshown = None


def _end_progress_line() -> None:
    if StderrProgress.open_line is not None:
        StderrProgress.open_line.close()


class _StderrHandler(logging.Handler):
    """Log records as safe lines on the current stderr, after ending any progress line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            say(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never break the run
            self.handleError(record)


def configure_logging(ctx: click.Context, level: int) -> None:
    """Send the library's log records to stderr for this command, at ``level``."""
    logger = logging.getLogger("dedup")
    handler = _StderrHandler(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]

    ctx.call_on_close(restore)


def quiet_logging() -> None:
    """``-q``: the library's warnings are not shown either (errors still stop the run)."""
    logging.getLogger("dedup").setLevel(logging.ERROR)


def stop_on_sigterm(ctx: click.Context) -> None:
    """Turn SIGTERM into :class:`Terminated` while the command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def terminate(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up short
        raise Terminated()

    signal.signal(signal.SIGTERM, terminate)
    ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


class SafeGroup(click.Group):
    """A click group whose error messages (usage errors too) are printed terminal-safe."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:  # type: ignore[override]
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            value = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            _end_progress_line()
            shown = io.StringIO()
            exc.show(file=shown)
            sys.stderr.write(terminal_safe(shown.getvalue(), keep_lines=True))
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt, EOFError) as exc:
            # click turns an interrupt into Abort, keeping the interrupt as the cause
            terminated = isinstance(exc, Terminated) or isinstance(exc.__cause__, Terminated)
            say("stopped: SIGTERM received" if terminated else "Aborted!")
            sys.exit(1)
        sys.exit(value if isinstance(value, int) else 0)
