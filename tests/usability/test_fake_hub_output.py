"""A drop=True fault of the fake Hub prints no uvicorn traceback into the user's output."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import flame_hub
    from flame_hub.testing import FakeHub

    with FakeHub() as hub:
        hub.add_fault("GET", "/core/nodes", drop=True)
        with flame_hub.Session(hub.url, retries=0) as session:
            try:
                session.request("core", "GET", "nodes")
            except flame_hub.TransportError as error:
                print("dropped:", type(error).__name__)
""")


def test_drop_fault_prints_no_traceback():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "dropped: TransportError" in result.stdout
    assert "Exception in ASGI application" not in result.stderr
    assert "Traceback" not in result.stderr
