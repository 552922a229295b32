"""The Python examples in docs/testing.md run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)
# A block whose first line names a test file is a pytest module. The others are scripts.
TEST_FILE = re.compile(r"# (test_\w+\.py)\n")


def test_guide_has_examples():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_guide_example_runs(index, tmp_path):
    block = BLOCKS[index]
    test_file = TEST_FILE.match(block)

    if test_file is None:
        exec(compile(block, f"{GUIDE.name} example {index}", "exec"), {"__name__": f"guide_example_{index}"})
        return

    path = tmp_path / test_file.group(1)
    path.write_text(block, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
