"""Install the official flame-hub-client into its own virtual environment and drive it in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

# The release the published numbers were measured with; --official-version picks another.
OFFICIAL_VERSION = "1.1.0"
VENV_DIR = Path(__file__).resolve().parents[1] / ".benchmarks" / "official-venv"
DRIVER = Path(__file__).with_name("_official_driver.py")


def venv_python(venv_dir: Path) -> Path:
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def ensure_official_venv(version: str, venv_dir: Path = VENV_DIR) -> Path:
    """Create ``venv_dir`` with ``flame-hub-client==version`` unless it already has that version; return its python."""
    python = venv_python(venv_dir)
    if not python.exists():
        print(f"Creating {venv_dir} for flame-hub-client {version} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)

    installed = subprocess.run(
        [str(python), "-I", "-c", "import importlib.metadata as m; print(m.version('flame-hub-client'))"],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0 or installed.stdout.strip() != version:
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"flame-hub-client=={version}",
            ],
            check=True,
        )
    return python


class OfficialDriver:
    """The official client's workloads (``_official_driver.py``) running under the virtual environment's python."""

    def __init__(self, python: Path) -> None:
        # Isolated mode (-I) keeps this repository's flame_hub and PYTHONPATH out of the child's imports.
        self._process = subprocess.Popen(
            [str(python), "-I", str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._read()
        self.version: str = hello["version"]
        self.python_version: str = hello["python"]

    def run(
        self, workload: str, target: dict[str, Any], params: dict[str, Any], measure: str = "time"
    ) -> dict[str, Any]:
        """Run ``workload`` once in the child and return its measurement; raise ``RuntimeError`` when it failed."""
        assert self._process.stdin is not None
        request = {"workload": workload, "measure": measure, "target": target, "params": params}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        reply = self._read()
        if not reply.pop("ok", False):
            raise RuntimeError(f"The official client failed the {workload!r} workload: {reply.get('error')}")
        return reply

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait(timeout=10)
            raise RuntimeError(f"The official client's driver exited with status {code}; its error output is above.")
        return dict(json.loads(line))

    def stop(self) -> None:
        if self._process.poll() is not None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
