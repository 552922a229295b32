"""``flame-hub shell`` as a subprocess: banner, names, the standard console on piped input, and config profiles."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest
from _interactive_helpers import COMMAND_TIMEOUT, FLAME_HUB_SCRIPT, read_until, run_cli

from flame_hub.models import Node


def test_banner_names_hub_and_identity(fake_hub, cli_env):
    result = run_cli(cli_env, "shell", input="")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("flame-hub ")
    assert f"Hub:      {fake_hub.url}" in lines
    assert any(line.startswith("Identity: user 'admin' (id ") for line in lines)


def test_commands_run_with_models_imported(session, cli_env):
    Node.objects.create(name="lab-1")
    commands = "\n".join(
        [
            "print('nodes:', Node.objects.count())",
            "print('default session:', flame_hub.get_default_session() is session)",
            "print('models:', all(name in globals() for name in ('Realm', 'Project', 'Bucket', 'AnalysisNode')))",
            "Node.objects.get(name='lab-1').name",
        ]
    )

    result = run_cli(cli_env, "shell", "--no-ipython", input=commands + "\n")

    assert result.returncode == 0, result.stderr
    assert "nodes: 1" in result.stdout
    assert "default session: True" in result.stdout
    assert "models: True" in result.stdout
    assert "'lab-1'" in result.stdout


def test_exception_keeps_console_running(cli_env):
    commands = "Node.objects.get(name='missing')\nprint('still here')\n"

    result = run_cli(cli_env, "shell", input=commands)

    assert result.returncode == 0
    assert "DoesNotExist" in result.stderr
    assert "still here" in result.stdout


def test_profile_from_config_file(fake_hub, cli_env, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "broken"\n\n'
        "[profiles.broken]\n"
        'url = "http://127.0.0.1:9"\n\n'
        "[profiles.fake]\n"
        f'url = "{fake_hub.url}"\n'
        'client_id = "system"\n'
        'client_secret = "start123"\n'
    )
    config.chmod(0o600)
    for name in ("FLAME_HUB_URL", "FLAME_HUB_USERNAME", "FLAME_HUB_PASSWORD"):
        del cli_env[name]
    cli_env["FLAME_HUB_CONFIG"] = str(config)

    result = run_cli(cli_env, "shell", "--profile", "fake", input="print(session.url)\n")

    assert result.returncode == 0, result.stderr
    assert "Identity: client 'system' (id " in result.stdout
    assert "Profile:  fake" in result.stdout
    assert result.stdout.count(fake_hub.url) == 2
    assert "start123" not in result.stdout + result.stderr


def test_wrong_credentials_exit_1(cli_env):
    cli_env["FLAME_HUB_PASSWORD"] = "wrong-pass-31"

    result = run_cli(cli_env, "shell", input="print('ran')\n")

    assert result.returncode == 1
    assert "ran" not in result.stdout
    assert result.stderr.startswith("flame-hub: error: Login of user 'admin'")


def test_ipython_in_terminal(cli_env):
    pytest.importorskip("IPython")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(FLAME_HUB_SCRIPT), "shell"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**cli_env, "TERM": "dumb", "IPYTHONDIR": str(cli_env["FLAME_HUB_CONFIG"]) + ".ipython"},
        close_fds=True,
    )
    os.close(terminal)
    try:
        banner = read_until(controller, b"In [1]", COMMAND_TIMEOUT)
        os.write(controller, b"print(40 + 2)\r")
        answer = read_until(controller, b"42", COMMAND_TIMEOUT)
        os.write(controller, b"exit\r")
        process.wait(timeout=COMMAND_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)

    assert b"Identity: user 'admin'" in banner
    assert b"In [1]" in banner
    assert b"42" in answer
    assert process.returncode == 0
