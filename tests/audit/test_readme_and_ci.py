"""The README's two set-up commands, the CI script that runs them, and the packaging they rely on."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
MAIN_COMMAND = 'python -m pip install -e ".[fake]" && python examples/quickstart.py'
TEST_COMMAND = 'python -m pip install -e ".[test]" && python -m pytest'

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def setup_commands() -> list[str]:
    """Return the bash commands of the README's "Set up and run" section, one per code block."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)]


def test_readme_has_exactly_two_setup_commands():
    assert setup_commands() == [MAIN_COMMAND, TEST_COMMAND]


def test_ci_runs_readme_test_command_verbatim():
    script = (ROOT / ".ci" / "run").read_text()

    assert f"{TEST_COMMAND} || status=$?" in script


def test_ci_fails_when_no_tests_collected():
    script = (ROOT / ".ci" / "run").read_text()

    # pytest exits with 5 when it collected no tests; the script turns that into a failure.
    assert re.search(r'if \[ "\$status" -eq 5 \]; then\n\s+echo .*\n\s+exit 1\n', script)
    assert re.search(r'if \[ "\$status" -ne 0 \]; then\n\s+exit "\$status"', script)


def test_ci_uses_fresh_environment_and_checks():
    script = (ROOT / ".ci" / "run").read_text()

    assert "python3 -m venv --clear .ci-venv" in script
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert "python -m ruff check flame_hub tests" in script
    assert "python -m ruff format --check flame_hub tests" in script
    assert "python -m mypy" in script


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_pyproject_is_pep621_with_standard_backend(pyproject):
    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    assert pyproject["project"]["name"] == "flame-hub"
    assert pyproject["project"]["requires-python"] == ">=3.10"


def test_pyproject_runtime_dependencies(pyproject):
    names = {
        re.split(r"[<>=;\s\[]", requirement, maxsplit=1)[0] for requirement in pyproject["project"]["dependencies"]
    }

    assert {"httpx2", "pydantic", "cachetools"} <= names


@pytest.mark.parametrize("extra", ["fake", "test", "docs"])
def test_pyproject_declares_extra(pyproject, extra):
    assert pyproject["project"]["optional-dependencies"][extra]


def test_fake_extra_has_server_packages(pyproject):
    fake = " ".join(pyproject["project"]["optional-dependencies"]["fake"])

    for name in ("starlette", "uvicorn", "python-multipart"):
        assert name in fake


def test_package_is_typed():
    assert (ROOT / "flame_hub" / "py.typed").is_file()


def test_changelog_follows_keep_a_changelog():
    changelog = (ROOT / "CHANGELOG.md").read_text()

    assert "Keep a Changelog" in changelog
    assert "## [Unreleased]" in changelog
    assert "### Added" in changelog


def test_readme_explains_real_hub_targets():
    readme = (ROOT / "README.md").read_text()

    for variable in ("FLAME_HUB_URL", "FLAME_HUB_USERNAME", "FLAME_HUB_PASSWORD", "FLAME_HUB_TEST_URL"):
        assert variable in readme
    assert "python -m pytest -m integration" in readme
