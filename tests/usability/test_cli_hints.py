"""The shell's suggested command prints rows, CLI field lists fit the command, examples name unset variables."""

from __future__ import annotations

import code
import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

from flame_hub import Session
from flame_hub._config import ConnectionSettings
from flame_hub._shell import build_banner, build_namespace
from flame_hub.auth import PasswordAuth
from flame_hub.cli import main
from flame_hub.models import Node, Realm

ROOT = Path(__file__).resolve().parents[2]


def _cli_environment(fake_hub, tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("FLAME_HUB_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("FLAME_HUB_URL", fake_hub.url)
    monkeypatch.setenv("FLAME_HUB_USERNAME", "admin")
    monkeypatch.setenv("FLAME_HUB_PASSWORD", "start123")
    monkeypatch.setenv("FLAME_HUB_CONFIG", str(tmp_path / "config.toml"))


def test_shell_suggestion_prints_rows(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as session:
        Node.objects.using(session).create(name="shell-node", realm=Realm.objects.using(session).get(name="master"))
        banner = build_banner(session, "user 'admin'", ConnectionSettings())
        suggestion = re.search(r"Try:\s+(.+)", banner).group(1)
        console = code.InteractiveConsole(build_namespace(session))
        output = io.StringIO()
        with redirect_stdout(output), session.activate():
            console.push(suggestion)

    assert "Node(id=" in output.getvalue()
    assert "not evaluated" not in output.getvalue()


def test_update_lists_updatable_fields(fake_hub, tmp_path, monkeypatch, capsys):
    _cli_environment(fake_hub, tmp_path, monkeypatch)
    assert main(["create", "node", "name=cli-2", "realm=master"]) == 0
    capsys.readouterr()

    status = main(["update", "node", "cli-2", "nmae=foo"])
    error = capsys.readouterr().err

    assert status == 2
    fields = error.split("fields you can set: ", 1)[1]
    assert "realm" not in fields
    assert "hidden" in fields


def test_create_lists_realm(fake_hub, tmp_path, monkeypatch, capsys):
    _cli_environment(fake_hub, tmp_path, monkeypatch)

    status = main(["create", "node", "nmae=foo"])
    error = capsys.readouterr().err

    assert status == 2
    assert "realm" in error.split("fields you can set: ", 1)[1]


def test_quickstart_names_unset_username(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FLAME_HUB_")}
    environment["FLAME_HUB_URL"] = "http://127.0.0.1:9"

    for script in ("quickstart.py", "quickstart_orm.py"):
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / script)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )

        assert result.returncode == 1
        assert "FLAME_HUB_USERNAME too" in result.stderr
        assert "password of FLAME_HUB_USERNAME" not in result.stderr
