"""The ``flame-hub`` command line: one subcommand per task, each registered by an ``add_*_command`` function."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__
from ._commands import add_resource_commands, join_dash_values
from ._shell import add_shell_command
from .testing._cli import add_fake_hub_arguments, run_fake_hub


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``flame-hub`` with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="flame-hub",
        description="Work with a FLAME Hub from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_resource_commands(subcommands)
    add_shell_command(subcommands)
    add_fake_hub_command(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``flame-hub`` with ``argv`` (default: the process arguments) and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(join_dash_values(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help()
        return 2
    try:
        status: int = args.handler(args)
        sys.stdout.flush()
    except BrokenPipeError:
        return _end_on_closed_pipe()
    return status


def _end_on_closed_pipe() -> int:
    """Stop writing after the reader of standard output has gone (``flame-hub list nodes | head``).

    Standard output is pointed at the null device so that the interpreter's final flush does not
    print a second error, and the exit status is 141 (128 + SIGPIPE), as for other Unix tools.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + 13


# -- fake-hub -------------------------------------------------------------------------------------


def add_fake_hub_command(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "fake-hub",
        help="Serve an in-memory fake FLAME Hub in the foreground.",
        description="Serve an in-memory fake FLAME Hub (auth, core, storage) until Ctrl-C.",
    )
    add_fake_hub_arguments(parser)
    parser.set_defaults(handler=run_fake_hub)


if __name__ == "__main__":
    sys.exit(main())
