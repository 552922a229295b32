"""Check that the benchmark runner works end to end on the tiny size, without the official client.

Timings are not checked: the runner's numbers on the tiny size mean nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

KEPT_SECTION = "## Fake Hub\n\nThis hand-written section stays when the runner rewrites the results.\n"


def run_benchmarks(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], str]:
    page = tmp_path_factory.mktemp("benchmarks") / "benchmarks.md"
    page.write_text(f"# Benchmarks\n\n{KEPT_SECTION}", encoding="utf-8")
    completed = run_benchmarks("--size", "tiny", "--skip-official", "--output", str(page))
    return completed, page.read_text(encoding="utf-8")


def test_runner_tiny_exits_zero(tiny_run: tuple[subprocess.CompletedProcess[str], str]) -> None:
    completed, _ = tiny_run
    assert completed.returncode == 0, completed.stderr


def test_runner_tiny_reports_every_workload(tiny_run: tuple[subprocess.CompletedProcess[str], str]) -> None:
    _, page = tiny_run
    for heading in ("### 1. List", "### 2. Get", "### 3. Walk", "### 4. Create", "### 5. Upload", "### 6. Memory"):
        assert heading in page
    assert "### Targets" in page
    assert "| flame-hub |" in page
    assert "| raw httpx2 |" in page


def test_runner_tiny_has_no_failed_way(tiny_run: tuple[subprocess.CompletedProcess[str], str]) -> None:
    _, page = tiny_run
    assert "failed:" not in page


def test_runner_tiny_counts_walk_requests(tiny_run: tuple[subprocess.CompletedProcess[str], str]) -> None:
    _, page = tiny_run
    walk_rows = [line for line in page.splitlines() if line.startswith("| flame-hub, include + prefetch |")]
    assert len(walk_rows) == 1
    requests = walk_rows[0].split("|")[5].strip()
    assert requests.isdigit()


def test_runner_output_keeps_other_sections(tiny_run: tuple[subprocess.CompletedProcess[str], str]) -> None:
    _, page = tiny_run
    assert KEPT_SECTION in page
    assert page.count("## Results: this library") == 1


def test_runner_only_rejects_unknown_workload() -> None:
    completed = run_benchmarks("--only", "nonsense")
    assert completed.returncode == 2
    assert "unknown workload 'nonsense'" in completed.stderr
