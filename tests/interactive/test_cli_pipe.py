"""``flame-hub`` writing into a pipe whose reader goes away early, as with ``| head``."""

from __future__ import annotations

import subprocess

from _interactive_helpers import COMMAND_TIMEOUT, FLAME_HUB_SCRIPT

from flame_hub.models import Node


def test_closed_pipe_ends_quietly(fake_hub, session, cli_env):
    for number in range(400):
        Node.objects.create(name=f"pipe-{number:03d}")

    process = subprocess.Popen(
        [str(FLAME_HUB_SCRIPT), "list", "nodes", "--format", "json", "--limit", "400"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
    )
    assert process.stdout is not None
    first = process.stdout.read(10)
    process.stdout.close()
    _, stderr = process.communicate(timeout=COMMAND_TIMEOUT)

    assert first
    assert process.returncode == 141
    assert b"Broken pipe" not in stderr
    assert b"error" not in stderr
