"""The fake Hub's command line, shared by ``flame-hub fake-hub`` and ``python -m flame_hub.testing``.

It lives in the testing package so that serving the fake Hub needs nothing from the ORM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._server import FakeHub

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000


def add_fake_hub_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the fake Hub server to ``parser`` (shared with ``python -m flame_hub.testing``)."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"Address to listen on (default: {DEFAULT_HOST}).")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"TCP port to listen on, 0 for any free port (default: {DEFAULT_PORT}).",
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="Lifetime of issued access tokens in seconds (default: 900).",
    )
    parser.add_argument(
        "--legacy-robots",
        action="store_true",
        help="Also serve /auth/robots and the robot_credentials grant, like Hubs before Authup 1.0.0-beta.54.",
    )


def run_fake_hub(args: argparse.Namespace) -> int:
    """Serve a fake Hub with the options in ``args`` until SIGINT or SIGTERM, then return the exit status."""
    try:
        from ._server import FakeHub
    except ImportError as error:
        print(
            f"The fake Hub needs the optional 'fake' extra ({error}); install it with: pip install 'flame-hub[fake]'",
            file=sys.stderr,
        )
        return 2

    if args.token_lifetime <= 0:
        print(f"Invalid --token-lifetime {args.token_lifetime}: give a positive number of seconds.", file=sys.stderr)
        return 2

    hub = FakeHub(
        host=args.host,
        port=args.port,
        access_token_lifetime=args.token_lifetime,
        legacy_robots=args.legacy_robots,
    )
    try:
        hub.start()
    except OSError as error:
        print(
            f"Cannot listen on {args.host}:{args.port} ({error.strerror or error}); choose another port with --port.",
            file=sys.stderr,
        )
        return 1

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        print_banner(hub)
        # A timeout keeps the main thread responsive to signals on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        hub.stop()
    print("Fake Hub stopped.", flush=True)
    return 0


def print_banner(hub: FakeHub) -> None:
    """Print the addresses of a started fake Hub and the credentials of its seeded identities."""
    lines = [
        f"Fake FLAME Hub serving at {hub.url}",
        f"  auth:    {hub.auth_url}",
        f"  core:    {hub.core_url}",
        f"  storage: {hub.storage_url}",
        f"Admin user:    {hub.admin_username} / {hub.admin_password} (password grant)",
        f"System client: {hub.system_client_name} / {hub.system_client_secret} (client_credentials grant)",
        f"Access tokens live {hub.state.access_token_lifetime:g} s. Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
