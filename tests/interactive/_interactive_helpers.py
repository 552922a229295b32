"""Helpers of the interactive-use tests: counting the fake Hub's requests, and running ``flame-hub``."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def request_count(hub: Any) -> int:
    """Return the number of logged requests once the log has caught up with the responses received.

    The fake Hub appends a request to its log as the response leaves, so the last entry can
    arrive a moment after the client has returned.
    """
    previous = -1
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        current = len(hub.requests)
        if current == previous:
            return current
        previous = current
        time.sleep(0.02)
    return len(hub.requests)


FLAME_HUB_SCRIPT = Path(sys.executable).parent / "flame-hub"

# Seconds a command may take before the test fails, generous for slow CI machines.
COMMAND_TIMEOUT = 60


def cli_environment(hub: Any, config: Path, **variables: str) -> dict[str, str]:
    """Return an environment for ``flame-hub`` with the admin of ``hub`` and no FLAME_HUB_* of the caller.

    ``config`` is the config file, so the caller's own ~/.config/flame-hub/config.toml never
    leaks in. ``variables`` override entries, and an empty value removes one.
    """
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FLAME_HUB_")}
    environment.update(
        FLAME_HUB_URL=hub.url,
        FLAME_HUB_USERNAME=hub.admin_username,
        FLAME_HUB_PASSWORD=hub.admin_password,
        FLAME_HUB_CONFIG=str(config),
    )
    for key, value in variables.items():
        if value == "":
            environment.pop(key, None)
        else:
            environment[key] = value
    return environment


def run_cli(environment: dict[str, str], *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``flame-hub ARGS`` as a subprocess with ``environment`` and return the finished process."""
    return subprocess.run(
        [str(FLAME_HUB_SCRIPT), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        env=environment,
    )


def read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    """Return what the terminal printed until ``marker`` appeared (or the time ran out)."""
    output = b""
    deadline = time.monotonic() + timeout
    while marker not in output and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    return output
