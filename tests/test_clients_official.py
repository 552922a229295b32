"""One script for the official flame-hub-client, run with it and with this library against the fake Hub.

Set ``FLAME_HUB_OFFICIAL_PYTHON`` to a Python interpreter of a separate virtual environment with
``flame-hub-client`` installed (both packages import as ``flame_hub``, so they cannot share one),
for example ``python3 -m venv /tmp/official && /tmp/official/bin/pip install flame-hub-client``.
Without it the test is skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flame_hub.testing import FakeHub

SCENARIO = Path(__file__).resolve().parent / "official" / "scenario.py"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def run_scenario(python: str) -> list[tuple[str, str, int]]:
    """Run the scenario with ``python`` against a new fake Hub; return its requests as (method, path, status)."""
    with FakeHub() as hub:
        # Run outside the repository, so the official interpreter imports its own flame_hub.
        result = subprocess.run(
            [python, str(SCENARIO), hub.url], capture_output=True, text=True, cwd="/", timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith("done")
        return [
            (request.method, UUID.sub("{id}", request.path), request.status)
            for request in hub.requests
            if request.path != "/auth/token"
        ]


@pytest.mark.skipif(not os.environ.get("FLAME_HUB_OFFICIAL_PYTHON"), reason="FLAME_HUB_OFFICIAL_PYTHON is not set")
def test_same_requests_as_official_client():
    official = run_scenario(os.environ["FLAME_HUB_OFFICIAL_PYTHON"])
    ours = run_scenario(sys.executable)

    assert ours == official
