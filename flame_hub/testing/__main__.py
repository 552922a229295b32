"""Serve the fake Hub in the foreground: ``python -m flame_hub.testing [--host H] [--port P] ...``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._cli import add_fake_hub_arguments, run_fake_hub


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the fake Hub options from ``argv``, serve until Ctrl-C and return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m flame_hub.testing",
        description="Serve an in-memory fake FLAME Hub (auth, core, storage) until Ctrl-C.",
    )
    add_fake_hub_arguments(parser)
    return run_fake_hub(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
