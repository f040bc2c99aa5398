"""Command-line interface: click commands only, one module per command group.

Only this package imports click, and nothing outside it imports this package.

Exit codes: 0 success (skipped records are summarised on stderr), 1 the run stopped on
an error (an unreadable input with ``--on-error fail``, bad data), 2 a usage error.
"""

from __future__ import annotations

import logging
import sys

import click

from dedup._version import __version__
from dedup.cli.eval import eval_command
from dedup.cli.index import index_group
from dedup.cli.scan import compare_command, scan_command
from dedup.cli.spark import spark_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
@click.option("-v", "--verbose", count=True, help="Log more to stderr (-vv for debug).")
def main(verbose: int) -> None:
    """Group republished rewrites of one wire story and show what each version changes.

    Example:

        dedup scan seeds/
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


main.add_command(scan_command)
main.add_command(compare_command)
main.add_command(index_group)
main.add_command(eval_command)
main.add_command(spark_group)

__all__ = ["main"]
