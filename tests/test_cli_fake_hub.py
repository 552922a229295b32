"""The ``flame-hub fake-hub`` command and ``python -m flame_hub.testing``, run as real subprocesses."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx2
import pytest

from flame_hub.cli import build_parser, main

# Seconds to wait for the server banner or for the process to exit, generous for slow CI machines.
PROCESS_TIMEOUT = 30

FLAME_HUB_SCRIPT = Path(sys.executable).parent / "flame-hub"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(command: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``command`` and return the process with the banner lines it printed up to the Ctrl-C hint."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner: list[str] = []
    done = threading.Event()

    def read_banner() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            banner.append(line.rstrip("\n"))
            if "Press Ctrl-C" in line:
                break
        done.set()

    threading.Thread(target=read_banner, daemon=True).start()
    if not done.wait(PROCESS_TIMEOUT):
        process.kill()
        raise AssertionError(f"{command} printed no banner within {PROCESS_TIMEOUT} s: {banner}")
    return process, banner


def stop_server(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Send SIGINT, as Ctrl-C does, and return the exit status and the rest of the output."""
    process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=PROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, rest


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a subprocess is POSIX only")
@pytest.mark.parametrize(
    "prefix",
    [[str(FLAME_HUB_SCRIPT), "fake-hub"], [sys.executable, "-m", "flame_hub.testing"]],
    ids=["flame-hub fake-hub", "python -m flame_hub.testing"],
)
def test_cli_serves_until_interrupted(prefix):
    port = free_port()
    process, banner = start_server([*prefix, "--port", str(port), "--token-lifetime", "60"])
    try:
        url = f"http://127.0.0.1:{port}"
        root = httpx2.get(f"{url}/storage/")
        token = httpx2.post(
            f"{url}/auth/token", json={"grant_type": "password", "username": "admin", "password": "start123"}
        )
    finally:
        status, rest = stop_server(process)

    assert banner[0] == f"Fake FLAME Hub serving at {url}"
    assert f"  core:    {url}/core/" in banner
    assert "Admin user:    admin / start123 (password grant)" in banner
    assert "System client: system / start123 (client_credentials grant)" in banner
    assert "Access tokens live 60 s. Press Ctrl-C to stop." in banner
    assert root.status_code == 200
    assert token.status_code == 200
    assert token.json()["expires_in"] in (59, 60)
    assert status == 0
    assert "Fake Hub stopped." in rest


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to a subprocess is POSIX only")
def test_cli_stops_on_sigterm():
    port = free_port()
    process, _ = start_server([str(FLAME_HUB_SCRIPT), "fake-hub", "--port", str(port)])

    process.terminate()
    rest, _ = process.communicate(timeout=PROCESS_TIMEOUT)

    assert process.returncode == 0
    assert "Fake Hub stopped." in rest


def test_cli_port_in_use_fails():
    with socket.socket() as occupied:
        occupied.bind(("127.0.0.1", 0))
        occupied.listen()
        port = occupied.getsockname()[1]
        result = subprocess.run(
            [str(FLAME_HUB_SCRIPT), "fake-hub", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
        )

    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


def test_cli_rejects_bad_token_lifetime(capsys):
    status = main(["fake-hub", "--token-lifetime", "0"])

    assert status == 2
    assert "Invalid --token-lifetime 0.0" in capsys.readouterr().err


def test_cli_without_command_prints_help(capsys):
    status = main([])

    assert status == 2
    assert "fake-hub" in capsys.readouterr().out


def test_cli_fake_hub_defaults():
    args = build_parser().parse_args(["fake-hub"])

    assert args.host == "127.0.0.1"
    assert args.port == 3000
    assert args.token_lifetime == 900.0
    assert args.legacy_robots is False
