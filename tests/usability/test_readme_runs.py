"""The README's Python blocks print a row and can run twice against the same Hub."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from flame_hub._session import get_default_session, set_default_session

README = Path(__file__).resolve().parents[2] / "README.md"
LOCAL_HUB_URL = "http://localhost:3000"


def _run_readme(hub_url: str) -> str:
    """Run every python block of the README in one namespace, as a reader pasting them would; return the output."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    namespace: dict = {"__name__": "__readme__"}
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            for block in blocks:
                exec(compile(block.replace(LOCAL_HUB_URL, hub_url), str(README), "exec"), namespace)
    finally:
        get_default_session().close()
        set_default_session(None)
    return output.getvalue()


def test_readme_prints_created_node(fake_hub):
    output = _run_readme(fake_hub.url)

    assert "lab-1 master" in output.splitlines()


def test_readme_runs_twice(fake_hub):
    _run_readme(fake_hub.url)

    output = _run_readme(fake_hub.url)

    assert "lab-1 master" in output.splitlines()
