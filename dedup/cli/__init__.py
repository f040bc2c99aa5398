"""Command-line interface: click commands only, one module per command group.

Only this package imports click, and nothing outside it imports this package.

Exit codes: 0 done (skipped records are summarised on stderr), 1 nothing useful was done
(no document could be read) or the run stopped on an error (``--on-error fail``, bad
data, SIGTERM or Ctrl-C), 2 a usage error.
"""

from __future__ import annotations

import logging

import click

from dedup._version import __version__
from dedup.cli.console import SafeGroup, configure_logging, stop_on_sigterm
from dedup.cli.eval import eval_command
from dedup.cli.index import index_group
from dedup.cli.scan import compare_command, scan_command
from dedup.cli.spark import spark_group


@click.group(cls=SafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
@click.option("-v", "--verbose", count=True, help="Log more to stderr (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Group republished rewrites of one wire story and show what each version changes.

    Example:

        dedup scan seeds/
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    configure_logging(ctx, level)
    stop_on_sigterm(ctx)


main.add_command(scan_command)
main.add_command(compare_command)
main.add_command(index_group)
main.add_command(eval_command)
main.add_command(spark_group)

__all__ = ["main"]
