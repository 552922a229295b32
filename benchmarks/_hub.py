"""Start the benchmark fake Hub in a child process and send it commands (seed, drop, count requests)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


class HubProcess:
    """A fake Hub in a child process (``benchmarks._hub_process``), driven over its stdin and stdout."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._hub_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        first = self._read_line()
        self.url: str = first["url"]
        self.token: str = first["token"]
        self.master_realm_id: str = first["master_realm_id"]

    @property
    def core_url(self) -> str:
        return f"{self.url}/core/"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth/"

    @property
    def storage_url(self) -> str:
        return f"{self.url}/storage/"

    def command(self, name: str, **arguments: Any) -> dict[str, Any]:
        """Send one command and return its reply; raise ``RuntimeError`` when the fake Hub reports a failure."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"command": name, **arguments}) + "\n")
        self._process.stdin.flush()
        reply = self._read_line()
        if not reply.pop("ok", False):
            raise RuntimeError(f"The benchmark fake Hub failed the command {name!r}: {reply.get('error')}")
        return reply

    def count_requests(self) -> int:
        return int(self.command("count_requests")["count"])

    def _read_line(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait(timeout=10)
            raise RuntimeError(f"The benchmark fake Hub exited with status {code}; its error output is above.")
        return dict(json.loads(line))

    def stop(self) -> None:
        """Ask the child process to stop the server and wait for it (killing it after 10 seconds)."""
        if self._process.poll() is not None:
            return
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps({"command": "stop"}) + "\n")
            self._process.stdin.close()
            self._process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> HubProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
