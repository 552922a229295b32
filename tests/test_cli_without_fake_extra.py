"""The command line without the ``fake`` extra: every command registers, ``fake-hub`` explains the extra."""

import subprocess
import sys
import textwrap

# Runs in a child interpreter where importing starlette or uvicorn fails, as without the extra.
SCRIPT = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class BlockFakeExtra(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"starlette", "uvicorn", "multipart", "python_multipart"}:
                raise ImportError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, BlockFakeExtra())

    from flame_hub.cli import build_parser, main

    build_parser().parse_args(["list", "nodes"])
    print("status", main(["fake-hub", "--port", "0"]))
    """
)


def test_fake_hub_command_names_missing_extra():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "status 2" in result.stdout
    assert "pip install 'flame-hub[fake]'" in result.stderr
