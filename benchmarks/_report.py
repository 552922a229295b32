"""Turn benchmark measurements into the Markdown tables of ``docs/benchmarks.md``."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

# The runner rewrites only the text between these two lines, so hand-written sections of the page stay.
BEGIN_MARKER = "<!-- benchmark results: begin (written by python -m benchmarks) -->"
END_MARKER = "<!-- benchmark results: end -->"

RAW = "raw httpx2"
OFFICIAL = "official client"


@dataclass
class Measurement:
    """All runs of one way of doing one workload."""

    workload: int
    way: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    result: Any = None
    memory: int | None = None  # bytes: peak for workload 5, held for workload 6
    error: str | None = None
    # The way this one is compared with, for the "vs raw httpx2" and "vs official" columns.
    raw_baseline: str | None = None
    official_baseline: str | None = None

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus else None

    @property
    def request_count(self) -> int | None:
        return int(statistics.median(self.requests)) if self.requests else None


def machine_lines(official_version: str | None) -> list[str]:
    """Describe the machine, the interpreter and the package versions behind the numbers."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kib = int(next(line.split()[1] for line in handle if line.startswith("MemTotal")))
            memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass

    versions = []
    for package in ("flame-hub", "httpx2", "pydantic", "pydantic-core", "cachetools", "starlette", "uvicorn"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    if official_version:
        versions.append(f"flame-hub-client {official_version} (own virtual environment)")

    return [
        f"- Machine: {cpu}, {os.cpu_count()} CPUs{memory}; {platform.system()} {platform.release()}.",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); {', '.join(versions)}.",
    ]


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or not denominator:
        return "–"
    return f"{numerator / denominator:.2f}×"


def _kib(value: int | None) -> str:
    return "–" if value is None else f"{value / 1024:,.0f} KiB"


def workload_table(measurements: list[Measurement], *, per: tuple[str, int] | None = None) -> list[str]:
    """Return a Markdown table of the ways of one workload; ``per`` adds a column of time per unit (name, count)."""
    by_way = {measurement.way: measurement for measurement in measurements}
    per_header = f" | Median per {per[0]}" if per else ""
    lines = [
        f"| Way | Runs | Median wall time{per_header} | Median client CPU | Requests per run"
        " | Wall vs raw httpx2 | CPU vs raw httpx2 | Wall vs official |",
        "|---|---|---|---|---|---|---|---|" + ("---|" if per else ""),
    ]
    for measurement in measurements:
        if measurement.error:
            lines.append(f"| {measurement.way} | failed: {measurement.error} |" + " |" * (6 + bool(per)))
            continue
        raw = by_way.get(measurement.raw_baseline or "")
        official = by_way.get(measurement.official_baseline or "")
        per_cell = ""
        if per:
            per_value = None if measurement.wall is None else measurement.wall / max(per[1], 1)
            per_cell = f" | {per_value * 1e6:,.0f} µs" if per_value is not None else " | –"
        requests = "–" if measurement.request_count is None else str(measurement.request_count)
        lines.append(
            f"| {measurement.way} | {len(measurement.walls)} | {_seconds(measurement.wall)}{per_cell}"
            f" | {_seconds(measurement.cpu)} | {requests}"
            f" | {_ratio(measurement.wall, raw.wall if raw else None)}"
            f" | {_ratio(measurement.cpu, raw.cpu if raw else None)}"
            f" | {_ratio(measurement.wall, official.wall if official else None)} |"
        )
    return lines


def memory_table(measurements: list[Measurement], label: str, *, per_count: int | None = None) -> list[str]:
    """Return a Markdown table of memory measurements (bytes), optionally divided by ``per_count`` objects."""
    header = f"| Way | {label}" + (" | Per object |" if per_count else " |")
    lines = [header, "|---|---|" + ("---|" if per_count else "")]
    for measurement in measurements:
        if measurement.error:
            lines.append(f"| {measurement.way} | failed: {measurement.error} |" + (" |" if per_count else ""))
            continue
        row = f"| {measurement.way} | {_kib(measurement.memory)}"
        if per_count:
            per_object = "–" if measurement.memory is None else f"{measurement.memory / per_count:,.0f} B"
            row += f" | {per_object}"
        lines.append(row + " |")
    return lines


def write_section(path: Path, section: str, title: str) -> None:
    """Replace the generated section of ``path`` with ``section``; create the page when it does not exist."""
    block = f"{BEGIN_MARKER}\n{section.rstrip()}\n{END_MARKER}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {title}\n\n{block}\n", encoding="utf-8")
        return

    text = path.read_text(encoding="utf-8")
    begin = text.find(BEGIN_MARKER)
    end = text.find(END_MARKER)
    if begin == -1 or end == -1 or end < begin:
        text = text.rstrip() + f"\n\n{block}\n"
    else:
        text = text[:begin] + block + text[end + len(END_MARKER) :]
    path.write_text(text, encoding="utf-8")
