"""``flame-hub shell``: an interactive Python session connected to a Hub, with every model imported."""

from __future__ import annotations

import argparse
import code
import platform
import sys
from typing import Any

import flame_hub

from . import errors, models, types
from ._commands import EXIT_OK, add_connection_arguments, guarded, open_session
from ._config import ConnectionSettings
from ._session import Session, connect, set_default_session

__all__ = ["add_shell_command", "build_banner", "build_namespace", "run_shell"]


def build_namespace(session: Session) -> dict[str, Any]:
    """Return the names of the shell: every model, the session, and the flame_hub modules."""
    namespace: dict[str, Any] = {
        "flame_hub": flame_hub,
        "session": session,
        "Session": Session,
        "connect": connect,
        "errors": errors,
        "types": types,
    }
    for model in models.RESOURCES:
        namespace[model.__name__] = model
    return namespace


def whoami(session: Session, settings: ConnectionSettings) -> str:
    """Return the identity of the session as the Hub reports it (``GET /auth/userinfo``)."""
    info = session.request_json("auth", "GET", "userinfo") or {}
    name = info.get("name") if isinstance(info, dict) else None
    record_id = info.get("id") if isinstance(info, dict) else None
    kind = settings.kind or "anonymous"
    if name:
        return f"{kind} {name!r} (id {record_id})"
    return settings.describe_identity()


def build_banner(session: Session, identity: str, settings: ConnectionSettings) -> str:
    """Return the banner of the shell: versions, Hub URL, identity and the names ready to use."""
    model_names = [model.__name__ for model in models.RESOURCES]
    lines = [
        f"flame-hub {flame_hub.__version__} shell on Python {platform.python_version()}",
        f"Hub:      {session.url}",
        f"Identity: {identity}",
    ]
    if settings.profile:
        lines.append(f"Profile:  {settings.profile}")
    lines += [
        "Names:    session (the default Session), flame_hub, errors, types, "
        f"and {len(model_names)} models: {', '.join(model_names[:6])}, …",
        "Try:      list(Node.objects.order_by('-created_at')[:5])",
    ]
    return "\n".join(lines)


def use_ipython(requested_off: bool) -> bool:
    """Return whether to start IPython: installed, not turned off, and standard input is a terminal."""
    if requested_off or not sys.stdin.isatty():
        return False
    try:
        import IPython  # noqa: F401
    except ImportError:
        return False
    return True


def run_shell(args: argparse.Namespace) -> int:
    """Connect, print the banner and run IPython or the standard console until it exits."""
    session, settings = open_session(args)
    with session:
        identity = whoami(session, settings)
        set_default_session(session)
        namespace = build_namespace(session)
        print(build_banner(session, identity, settings), flush=True)

        try:
            if use_ipython(args.no_ipython):
                from IPython import start_ipython

                start_ipython(argv=["--no-banner"], user_ns=namespace)
            else:
                _enable_tab_completion(namespace)
                code.interact(banner="", local=namespace, exitmsg="")
        finally:
            set_default_session(None)
    return EXIT_OK


def _enable_tab_completion(namespace: dict[str, Any]) -> None:
    # Python before 3.13 has no completion in code.interact(); readline is missing on Windows.
    if not sys.stdin.isatty():
        return
    try:
        import readline
        import rlcompleter
    except ImportError:
        return
    readline.set_completer(rlcompleter.Completer(namespace).complete)
    readline.parse_and_bind("tab: complete")


def add_shell_command(subcommands: argparse._SubParsersAction) -> None:
    """Register ``flame-hub shell``."""
    parser = subcommands.add_parser(
        "shell",
        help="Start Python connected to a Hub, with every model imported.",
        description="Start IPython (or the standard Python console) with a Session to the Hub as the default "
        "Session and every model imported. The banner shows the Hub URL and who is logged in.",
    )
    parser.add_argument(
        "--no-ipython",
        action="store_true",
        help="Use the standard Python console even when IPython is installed (it is used when standard input "
        "is not a terminal anyway).",
    )
    add_connection_arguments(parser)
    parser.set_defaults(handler=guarded(run_shell))
