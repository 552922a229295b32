"""The fake Hub is an independent implementation of the Hub's API: it loads nothing of the ORM."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import flame_hub.testing

# The parent package's __init__ imports the ORM, so the script replaces it with an empty package
# of the same path: every flame_hub module that is loaded afterwards was imported by the fake Hub.
LOADED_MODULES = """
import importlib.util, json, sys, types
import httpx2

location = importlib.util.find_spec("flame_hub").submodule_search_locations
package = types.ModuleType("flame_hub")
package.__path__ = list(location)
sys.modules["flame_hub"] = package

import flame_hub.testing
import flame_hub.testing.pytest_plugin
from flame_hub.testing import FakeHub

with FakeHub() as hub:
    headers = {"Authorization": "Bearer " + hub.issue_admin_token()}
    for url in (hub.core_url + "nodes", hub.storage_url + "buckets", hub.auth_url + "users"):
        assert httpx2.get(url, headers=headers).status_code == 200
    hub.reset()
print(json.dumps(sorted(sys.modules)))
"""


def test_fake_hub_loads_no_orm_module():
    result = subprocess.run([sys.executable, "-c", LOADED_MODULES], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.splitlines()[-1])
    own = [name for name in modules if name.startswith("flame_hub.")]

    assert "flame_hub.testing._server" in own
    assert [name for name in own if not name.startswith("flame_hub.testing")] == []


def flame_hub_imports(source: Path) -> list[tuple[int, str]]:
    """Return the line and module of every import in ``source`` that leaves ``flame_hub.testing``."""
    tree = ast.parse(source.read_text(), filename=str(source))
    # Imports under `if TYPE_CHECKING:` serve the type checker only and never run.
    type_only = {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [node.module or ""]
        elif isinstance(node, ast.ImportFrom):
            # One leading dot stays inside flame_hub.testing; two or more reach the ORM's package.
            modules = ["flame_hub." + (node.module or "")] if node.level > 1 else []
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found.extend(
            (node.lineno, module)
            for module in modules
            if module.startswith("flame_hub") and not module.startswith("flame_hub.testing")
        )
    return found


def test_fake_hub_imports_only_itself():
    package = Path(flame_hub.testing.__file__).parent
    plugin = package / "pytest_plugin.py"
    fixture = next(
        node
        for node in ast.walk(ast.parse(plugin.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == "hub_session"
    )
    fixture_lines = range(fixture.lineno, (fixture.end_lineno or fixture.lineno) + 1)

    for source in sorted(package.glob("*.py")):
        for line, module in flame_hub_imports(source):
            if source == plugin:
                assert line in fixture_lines, f"{source.name}:{line} imports {module} outside the hub_session fixture"
            else:
                raise AssertionError(f"{source.name}:{line} imports {module}, but the fake Hub must not use the ORM")
