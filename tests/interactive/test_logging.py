"""Logging through the ``flame_hub`` logger: one DEBUG line per request, a WARNING per retry, no setup at import."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

from flame_hub import Retry, Session
from flame_hub.auth import PasswordAuth
from flame_hub.cli import main
from flame_hub.models import Node

REQUEST_LINE = re.compile(r"^(GET|POST|DELETE) (http://\S+) -> (\d{3}) \((\d+\.\d) ms\)$")


def test_one_debug_line_per_request(fake_hub, caplog):
    with caplog.at_level(logging.DEBUG, logger="flame_hub"):
        with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as session:
            Node.objects.using(session).create(name="lab-1")
            list(Node.objects.using(session).filter(name="lab-1"))

    lines = [record.getMessage() for record in caplog.records if REQUEST_LINE.match(record.getMessage())]
    assert [REQUEST_LINE.match(line).group(1) for line in lines] == ["POST", "POST", "GET"]
    assert lines[0].startswith(f"POST {fake_hub.url}/auth/token -> 200 (")
    assert lines[1].startswith(f"POST {fake_hub.url}/core/nodes -> 201 (")
    assert lines[2].startswith(f"GET {fake_hub.url}/core/nodes?filter[name]=lab-1")
    assert all(record.levelno == logging.DEBUG for record in caplog.records if REQUEST_LINE.match(record.getMessage()))


def test_warning_per_retry_with_reason(fake_hub, caplog):
    fake_hub.add_fault("GET", "/core/nodes", status=503, times=2)
    retry = Retry(total=3, backoff_factor=0.01, jitter=False)

    with caplog.at_level(logging.DEBUG, logger="flame_hub"):
        with Session(fake_hub.url, auth=PasswordAuth("admin", "start123"), retries=retry) as session:
            assert list(Node.objects.using(session).all()) == []

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all(message.startswith(f"Retrying GET {fake_hub.url}/core/nodes") for message in warnings)
    assert all(message.endswith("503 Service Unavailable") for message in warnings)


def test_import_configures_no_logging():
    script = (
        "import logging, flame_hub, flame_hub.cli, flame_hub.models\n"
        "package = logging.getLogger('flame_hub')\n"
        "print(len(logging.getLogger().handlers), len(package.handlers), package.level, package.propagate)\n"
    )

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0", "0", "True"]


def test_cli_main_restores_logging(fake_hub, monkeypatch, capsys, tmp_path):
    for name, value in (
        ("FLAME_HUB_URL", fake_hub.url),
        ("FLAME_HUB_USERNAME", "admin"),
        ("FLAME_HUB_PASSWORD", "start123"),
        ("FLAME_HUB_CONFIG", str(tmp_path / "config.toml")),
    ):
        monkeypatch.setenv(name, value)
    package = logging.getLogger("flame_hub")
    handlers, level = list(package.handlers), package.level

    status = main(["list", "realms", "-v"])

    assert status == 0
    assert "flame-hub: GET " in capsys.readouterr().err
    assert package.handlers == handlers
    assert package.level == level
