"""The two quickstart examples run as scripts, each against the fake Hub it starts itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run an example script with no ``FLAME_HUB_*`` variables set except ``variables``."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FLAME_HUB_")}
    environment.update(variables)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def json_documents(output: str) -> list[dict]:
    """Return the JSON objects printed in ``output``, each starting at a line that is just ``{``."""
    decoder = json.JSONDecoder()
    documents = []
    lines = output.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.rstrip("\n") == "{":
            document, _ = decoder.raw_decode("".join(lines[index:]))
            documents.append(document)
    return documents


@pytest.mark.parametrize("name", ["quickstart.py", "quickstart_orm.py"])
def test_example_runs_on_fake_hub(name):
    result = run_example(name)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FLAME_HUB_URL is not set, so a fake Hub was started at http://127.0.0.1:")

    realm, node = json_documents(result.stdout)
    assert realm["name"] == "master"
    assert node["name"].startswith("quickstart-")
    assert node["realm_id"] == realm["id"]
    assert lines[-1] == f"Created, hid and deleted the node {node['id']}."


def test_example_needs_password_with_url():
    result = run_example("quickstart.py", FLAME_HUB_URL="http://127.0.0.1:9")

    assert result.returncode != 0
    assert "FLAME_HUB_PASSWORD" in result.stderr


@pytest.mark.parametrize("name", ["quickstart.py", "quickstart_orm.py"])
def test_example_uses_flame_hub_url(name, fake_hub):
    result = run_example(name, FLAME_HUB_URL=fake_hub.url, FLAME_HUB_USERNAME="admin", FLAME_HUB_PASSWORD="start123")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Using the Hub at {fake_hub.url}."
    node = json_documents(result.stdout)[1]
    assert len(fake_hub.requests_to(f"/core/nodes/{node['id']}", "DELETE")) == 1
