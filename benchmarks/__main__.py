"""Run the benchmarks side by side: raw httpx2, this library and the official flame-hub-client.

Usage: ``python -m benchmarks [--size tiny|full] [--only WORKLOAD] [--output docs/benchmarks.md]``.
A fake Hub runs in a child process on 127.0.0.1; the official client runs in another child process
from its own virtual environment under ``.benchmarks/``. Benchmarks are not tests: nothing here fails
on timing, only on a way that returns a wrong result.
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2

from . import _workloads as local
from ._hub import HubProcess
from ._official import OFFICIAL_VERSION, VENV_DIR, OfficialDriver, ensure_official_venv
from ._report import OFFICIAL, RAW, Measurement, machine_lines, memory_table, workload_table, write_section

WORKLOAD_NAMES = {1: "list", 2: "get", 3: "walk", 4: "crud", 5: "files", 6: "memory"}


@dataclass(frozen=True)
class Size:
    """How much work each workload does, and how many measured runs of each way it takes the median of."""

    nodes: int
    gets: int
    analyses: int
    projects: int
    realms: int
    crud: int
    file_mib: int
    medium_mib: int
    repeats: int
    warmups: int


SIZES = {
    # Small enough for the smoke test to finish in seconds; the numbers mean nothing.
    "tiny": Size(
        nodes=120, gets=20, analyses=60, projects=12, realms=3, crud=5, file_mib=2, medium_mib=1, repeats=1, warmups=0
    ),
    "full": Size(
        nodes=10_000,
        gets=1_000,
        analyses=500,
        projects=100,
        realms=10,
        crud=500,
        file_mib=50,
        medium_mib=5,
        repeats=5,
        warmups=1,
    ),
}

LIBRARY = "flame-hub"
# The files of the peak-memory measurement of workload 5.
PEAK_FILES = ("one byte", "medium", "large")


@dataclass
class Way:
    """One way of doing a workload: a local function, or a workload name of the official client's driver."""

    name: str
    local: Callable[[local.Target, dict[str, Any]], Any] | None = None
    official: str | None = None
    raw_baseline: str | None = None
    official_baseline: str | None = None


class Runner:
    """Seed the fake Hub, run every way of each selected workload, and collect the measurements."""

    def __init__(self, hub: HubProcess, official: OfficialDriver | None, size: Size, workdir: Path) -> None:
        self.hub = hub
        self.official = official
        self.size = size
        self.workdir = workdir
        self.target = local.Target(url=hub.url, token=hub.token, master_realm_id=hub.master_realm_id)
        self.results: dict[int, list[Measurement]] = {}
        # Nodes on the fake Hub while workloads 1, 2 and 6 run: the seeded ones and those it had before.
        self.rows = 0
        self.notes: dict[int, list[str]] = {}
        # Peak-memory measurements of workload 5, by file (the keys of PEAK_FILES).
        self.peaks: dict[str, list[Measurement]] = {}

    # -- running ways -------------------------------------------------------------------------------

    def _ways(self, ways: list[Way]) -> list[Way]:
        return [way for way in ways if way.local is not None or self.official is not None]

    def _run_once(self, way: Way, params: dict[str, Any], measure: str = "time") -> dict[str, Any]:
        if way.official is not None:
            assert self.official is not None
            return self.official.run(way.official, asdict(self.target), params, measure)

        assert way.local is not None
        if measure == "time":
            began, cpu_began = time.perf_counter(), time.process_time()
            result = way.local(self.target, params)
            return {"wall": time.perf_counter() - began, "cpu": time.process_time() - cpu_began, "result": result}

        gc.collect()
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            if measure == "peak":
                result = way.local(self.target, params)
                return {"bytes": tracemalloc.get_traced_memory()[1] - baseline, "result": result}
            held = way.local(self.target, params)
            gc.collect()
            held_bytes = tracemalloc.get_traced_memory()[0] - baseline
            count = len(held) if isinstance(held, list) else params["rows"]
            # The library's way returns its open Session, which is closed once measured.
            close = getattr(held, "close", None)
            if close is not None:
                close()
            del held
            return {"bytes": held_bytes, "result": count}
        finally:
            tracemalloc.stop()

    def time_ways(
        self,
        workload: int,
        ways: list[Way],
        params: dict[str, Any] | Callable[[Way, int], dict[str, Any]],
        *,
        count_requests: bool = False,
        after_run: Callable[[], None] | None = None,
    ) -> list[Measurement]:
        """Run the ways in turn, ``warmups + repeats`` rounds, and keep the measured rounds.

        Interleaving the ways spreads slow drifts of the machine over all of them alike.
        """
        ways = self._ways(ways)
        measurements = {
            way.name: Measurement(
                workload, way.name, raw_baseline=way.raw_baseline, official_baseline=way.official_baseline
            )
            for way in ways
        }
        for round_number in range(self.size.warmups + self.size.repeats):
            for way in ways:
                measurement = measurements[way.name]
                if measurement.error:
                    continue
                run_params = params(way, round_number) if callable(params) else params
                if count_requests:
                    self.hub.command("clear_requests")
                try:
                    reply = self._run_once(way, run_params)
                except Exception as exc:  # noqa: BLE001 - one failing way is reported, the others still run
                    measurement.error = f"{type(exc).__name__}: {exc}"
                    continue
                finally:
                    if after_run is not None:
                        after_run()
                if round_number < self.size.warmups:
                    continue
                measurement.walls.append(reply["wall"])
                measurement.cpus.append(reply["cpu"])
                measurement.result = reply["result"]
                if count_requests:
                    measurement.requests.append(self.hub.count_requests())
        self._check_results(workload, list(measurements.values()))
        return list(measurements.values())

    def measure_memory(self, workload: int, ways: list[Way], params: dict[str, Any], measure: str) -> list[Measurement]:
        results = []
        for way in self._ways(ways):
            measurement = Measurement(workload, way.name)
            try:
                reply = self._run_once(way, params, measure)
                measurement.memory = int(reply["bytes"])
                measurement.result = reply["result"]
            except Exception as exc:  # noqa: BLE001 - one failing way is reported, the others still run
                measurement.error = f"{type(exc).__name__}: {exc}"
            results.append(measurement)
        self._check_results(workload, results)
        return results

    @staticmethod
    def _check_results(workload: int, measurements: list[Measurement]) -> None:
        """Raise when two ways disagree about the result, because a fast wrong result measures nothing."""
        results = {measurement.way: measurement.result for measurement in measurements if not measurement.error}
        if len(set(map(repr, results.values()))) > 1:
            raise RuntimeError(
                f"Workload {workload}: the ways returned different results: {results}. At least one way is broken; "
                f"run it alone with --only {WORKLOAD_NAMES.get(workload, workload)} to find which."
            )

    # -- workloads ----------------------------------------------------------------------------------

    def list_nodes(self) -> None:
        ways = [
            Way(RAW, local=local.list_raw),
            Way(LIBRARY, local=local.list_library, raw_baseline=RAW, official_baseline=OFFICIAL),
            Way(OFFICIAL, official="list", raw_baseline=RAW),
        ]
        self.results[1] = self.time_ways(1, ways, {})

    def get_node(self) -> None:
        params = {"times": self.size.gets}
        ways = [
            Way(RAW, local=local.get_raw),
            Way(
                f"{LIBRARY}, cache_ttl=0",
                local=local.get_library_no_cache,
                raw_baseline=RAW,
                official_baseline=OFFICIAL,
            ),
            Way(
                f"{LIBRARY}, cache_ttl=60", local=local.get_library_cache, raw_baseline=RAW, official_baseline=OFFICIAL
            ),
            Way(OFFICIAL, official="get", raw_baseline=RAW),
        ]
        self.results[2] = self.time_ways(2, ways, params, count_requests=True)

    def walk_analyses(self) -> None:
        size = self.size
        self.hub.command("seed_analyses", count=size.analyses, projects=size.projects, realms=size.realms)
        naive, batched = f"{RAW}, one GET per relation", f"{RAW}, include + filter[id]"
        official_naive, official_batched = f"{OFFICIAL}, one GET per realm", f"{OFFICIAL}, filter[id] per page"
        ways = [
            Way(naive, local=local.walk_raw_naive),
            Way(batched, local=local.walk_raw_batched),
            Way(
                f"{LIBRARY}, lazy relations",
                local=local.walk_library_lazy,
                raw_baseline=naive,
                official_baseline=official_naive,
            ),
            Way(
                f"{LIBRARY}, include + prefetch",
                local=local.walk_library_include,
                raw_baseline=batched,
                official_baseline=official_batched,
            ),
            Way(official_naive, official="walk_naive", raw_baseline=naive),
            Way(official_batched, official="walk_batched", raw_baseline=batched),
        ]
        self.results[3] = self.time_ways(3, ways, {}, count_requests=True)
        self.notes[3] = [
            f"{size.analyses} analyses in {size.projects} projects spread over {size.realms} realms. Analyses are "
            f"assigned to projects round-robin, so each page of 50 touches {min(50, size.projects)} projects."
        ]
        self.hub.command("drop")

    def crud_nodes(self) -> None:
        def params(way: Way, round_number: int) -> dict[str, Any]:
            tag = "".join(character for character in way.name if character.isalnum())[:12].lower()
            return {"count": self.size.crud, "prefix": f"crud-{tag}-{round_number}"}

        ways = [
            Way(RAW, local=local.crud_raw),
            Way(LIBRARY, local=local.crud_library, raw_baseline=RAW, official_baseline=OFFICIAL),
            Way(OFFICIAL, official="crud", raw_baseline=RAW),
        ]
        self.results[4] = self.time_ways(4, ways, params)

    def files(self) -> None:
        paths = self._prepare_files()
        destination = str(self.workdir / "copy.bin")

        def upload_params(way: Way, round_number: int, path: Path = paths["large"]) -> dict[str, Any]:
            # Names must differ: the storage service rejects a second file of the same path in a bucket.
            tag = "".join(character for character in way.name if character.isalnum()).lower()
            return {"path": str(path), "name": f"{path.stem}-{tag}-{round_number}.bin"}

        def forget_uploads() -> None:
            # The fake Hub logs request bodies; without this every upload would stay in its memory.
            self.hub.command("clear_requests")

        upload_ways = [
            Way(f"upload, {RAW}", local=local.upload_raw),
            Way(
                f"upload, {LIBRARY}",
                local=local.upload_library,
                raw_baseline=f"upload, {RAW}",
                official_baseline=f"upload, {OFFICIAL}",
            ),
            Way(f"upload, {OFFICIAL}", official="upload", raw_baseline=f"upload, {RAW}"),
        ]
        download_ways = [
            Way(f"download, {RAW}", local=local.download_raw),
            Way(
                f"download, {LIBRARY}",
                local=local.download_library,
                raw_baseline=f"download, {RAW}",
                official_baseline=f"download, {OFFICIAL}",
            ),
            Way(f"download, {OFFICIAL}", official="download", raw_baseline=f"download, {RAW}"),
        ]
        timed = self.time_ways(5, upload_ways, upload_params, after_run=forget_uploads)
        timed += self.time_ways(5, download_ways, {"file": "large", "destination": destination})
        self.results[5] = timed

        # Peak memory of one transfer per file size. The one-byte file shows the cost of a request without a body.
        # The step from the medium to the large file shows what grows with the size.
        for key, path in paths.items():
            peaks = []
            for way in upload_ways:
                peaks += self.measure_memory(5, [way], upload_params(way, 1000 + len(self.peaks), path), "peak")
                forget_uploads()
            peaks += self.measure_memory(5, download_ways, {"file": key, "destination": destination}, "peak")
            self.peaks[key] = peaks
        self.hub.command("drop_files")

    def _prepare_files(self) -> dict[str, Path]:
        """Write a one-byte, a medium and a large file, create a bucket and upload each once for the downloads."""
        paths = {key: self.workdir / f"{key.replace(' ', '-')}.bin" for key in PEAK_FILES}
        chunk = os.urandom(1024 * 1024)
        for key, mib in (("medium", self.size.medium_mib), ("large", self.size.file_mib)):
            with open(paths[key], "wb") as handle:
                for _ in range(mib):
                    handle.write(chunk)
        paths["one byte"].write_bytes(b"x")

        with httpx2.Client(headers=self.target.headers, timeout=60) as client:
            response = client.post(f"{self.hub.storage_url}buckets", json={"name": f"bench-{os.getpid()}"})
            response.raise_for_status()
            self.target.bucket_id = response.json()["data"]["id"]
            for key, path in paths.items():
                with open(path, "rb") as handle:
                    files = {"file": (f"download-{path.stem}.bin", handle, "application/octet-stream")}
                    uploaded = client.post(f"{self.hub.storage_url}buckets/{self.target.bucket_id}/upload", files=files)
                    uploaded.raise_for_status()
                self.target.file_ids[key] = uploaded.json()["data"][0]["id"]
        self.hub.command("clear_requests")
        return paths

    def hold_objects(self) -> None:
        ways = [
            Way(f"{RAW} (parsed JSON dicts)", local=local.hold_raw),
            Way(f"{LIBRARY} (objects in the identity-map cache)", local=local.hold_library),
            Way(f"{OFFICIAL} (pydantic models in a list)", official="hold"),
        ]
        self.results[6] = self.measure_memory(6, ways, {"rows": self.rows}, "held")


RESULTS_HEADING = "## Results: this library, raw httpx2 and the official client"


def render(
    runner: Runner, command: str, official_version: str | None, selected: list[int], load: tuple[float, float]
) -> str:
    """Return the generated Markdown section: set-up, one table per workload, and the targets."""
    size = runner.size
    lines = [
        RESULTS_HEADING,
        "",
        f"Command: `{command}` (run from the repository root).",
        "",
        *machine_lines(official_version),
        "- The fake Hub (uvicorn, in-memory state) runs in its own process on the same 2-core machine, so wall "
        "time includes the server's work and the two processes share the cores. Client CPU is "
        "`time.process_time()` of the client's process only, so it leaves the server out.",
        f"- Medians of {size.repeats} measured runs after {size.warmups} warm-up run(s); the ways take turns. "
        "All ways send the same access token, so no login is measured.",
        f"- Load average (1 minute) at the start and the end of the run: {load[0]:.2f} and {load[1]:.2f}. "
        "Above about 1, other programs competed for the 2 cores and the wall times are less reliable.",
        "",
    ]
    sections = {
        1: _list_section,
        2: _get_section,
        3: _walk_section,
        4: _crud_section,
        5: _files_section,
        6: _memory_section,
    }
    for number, section in sections.items():
        if number in selected and number in runner.results:
            lines += section(runner, runner.results[number])
    lines += target_lines(runner, selected)
    return "\n".join(lines)


def _list_section(runner: Runner, results: list[Measurement]) -> list[str]:
    return [
        f"### 1. List and iterate {runner.rows:,} nodes (every page of 50)",
        "",
        *workload_table(results, per=("row", runner.rows)),
        "",
        "The official client's `find_nodes()` returns one page per call, so its way pages by hand with "
        "`page={limit, offset}`. It also always sends `include=registry,registryProject`.",
        "",
    ]


def _get_section(runner: Runner, results: list[Measurement]) -> list[str]:
    gets = runner.size.gets
    return [
        f"### 2. Get one node by id {gets:,} times",
        "",
        *workload_table(results, per=("get", gets)),
        "",
        "The official client's `get_node()` also always sends `include=registry,registryProject`.",
        "",
    ]


def _walk_section(runner: Runner, results: list[Measurement]) -> list[str]:
    analyses = runner.size.analyses
    per_50 = [
        f"{measurement.way}: {measurement.request_count * 50 / analyses:.1f}"
        for measurement in results
        if measurement.request_count is not None
    ]
    return [
        f"### 3. Walk {analyses} analyses with their project and the project's realm",
        "",
        *workload_table(results),
        "",
        *runner.notes.get(3, []),
        "",
        "Requests per 50 analyses: " + "; ".join(per_50) + ".",
        "",
    ]


def _crud_section(runner: Runner, results: list[Measurement]) -> list[str]:
    count = runner.size.crud
    return [
        f"### 4. Create, update and delete {count} nodes (three requests each)",
        "",
        *workload_table(results, per=("node", count)),
        "",
    ]


def _files_section(runner: Runner, results: list[Measurement]) -> list[str]:
    size = runner.size
    throughput = [
        f"{measurement.way}: {size.file_mib / measurement.wall:,.0f} MiB/s"
        for measurement in results
        if measurement.wall
    ]
    return [
        f"### 5. Upload and download a {size.file_mib} MiB file",
        "",
        *workload_table(results),
        "",
        "Throughput: " + "; ".join(throughput) + ".",
        "",
        "Peak memory of one transfer: tracemalloc's peak of Python allocations in the client's process, above "
        "what it held before the client was created. A peak that stays the same from the medium to the large "
        "file is a constant, so the file is streamed, not held.",
        "",
        *peak_table(runner.peaks, size),
        "",
    ]


def _memory_section(runner: Runner, results: list[Measurement]) -> list[str]:
    return [
        f"### 6. Memory of {runner.rows:,} nodes held by the client",
        "",
        *memory_table(results, "Held (tracemalloc)", per_count=runner.rows),
        "",
    ]


def peak_table(peaks: dict[str, list[Measurement]], size: Size) -> list[str]:
    """Return a table of the peak memory of each way for the three file sizes, and the step from medium to large."""
    by_file = {key: {m.way: m for m in peaks.get(key, [])} for key in PEAK_FILES}
    lines = [
        f"| Way | One-byte file | {size.medium_mib} MiB file | {size.file_mib} MiB file | Medium to large |",
        "|---|---|---|---|---|",
    ]
    for way in by_file["large"]:
        cells = [by_file[key].get(way) for key in PEAK_FILES]
        failed = [m.error or "not measured" for m in cells if m is None or m.error or m.memory is None]
        if failed:
            lines.append(f"| {way} | failed: {failed[0]} | | | |")
            continue
        small, medium, large = (m.memory for m in cells)  # type: ignore[union-attr]
        lines.append(
            f"| {way} | {small / 1024:,.0f} KiB | {medium / 1024:,.0f} KiB | {large / 1024:,.0f} KiB"
            f" | {(large - medium) / 1024:+,.0f} KiB |"
        )
    return lines


def target_lines(runner: Runner, selected: list[int]) -> list[str]:
    """Return a table of the targets: what was measured against each and whether it was met."""
    results = {(m.workload, m.way): m for measurements in runner.results.values() for m in measurements}
    rows: list[tuple[str, str, bool | None]] = []

    def ratio(workload: int, way: str, baseline: str, cpu: bool = False) -> float | None:
        mine, other = results.get((workload, way)), results.get((workload, baseline))
        if mine is None or other is None:
            return None
        top, bottom = (mine.cpu, other.cpu) if cpu else (mine.wall, other.wall)
        return None if top is None or not bottom else top / bottom

    def add_ratio(label: str, workload: int, way: str, baseline: str, limit: float) -> None:
        wall, cpu = ratio(workload, way, baseline), ratio(workload, way, baseline, cpu=True)
        if wall is None:
            return
        measured = f"wall {wall:.2f}×, client CPU {cpu:.2f}×" if cpu is not None else f"wall {wall:.2f}×"
        rows.append((label, measured, wall <= limit))

    if 1 in selected:
        add_ratio("1: ≤ 1.10× raw httpx2", 1, LIBRARY, RAW, 1.10)
        add_ratio("1: ≤ 0.5× the official client per row", 1, LIBRARY, OFFICIAL, 0.5)
    if 2 in selected:
        add_ratio("2: ≤ 1.10× raw httpx2 without the cache", 2, f"{LIBRARY}, cache_ttl=0", RAW, 1.10)
    if 3 in selected:
        walk = results.get((3, f"{LIBRARY}, include + prefetch"))
        if walk is not None and walk.request_count is not None:
            per_50 = walk.request_count * 50 / runner.size.analyses
            rows.append(("3: include/prefetch ≤ 3 requests per 50 analyses", f"{per_50:.1f}", per_50 <= 3))
    if 4 in selected:
        add_ratio("4: ≤ 1.10× raw httpx2", 4, LIBRARY, RAW, 1.10)
    if 5 in selected:
        chunk = local.CHUNK_SIZE
        medium = {m.way: m.memory for m in runner.peaks.get("medium", []) if not m.error}
        large = {m.way: m.memory for m in runner.peaks.get("large", []) if not m.error}
        for direction in ("upload", "download"):
            way = f"{direction}, {LIBRARY}"
            peak, constant = large.get(way), medium.get(way)
            if peak is None or constant is None:
                continue
            rows.append(
                (
                    f"5: {direction} peak < 1.5 × {chunk // 1024} KiB chunk + a constant "
                    f"(the {runner.size.medium_mib} MiB file's peak)",
                    f"{peak / 1024:,.0f} KiB against {(1.5 * chunk + constant) / 1024:,.0f} KiB",
                    peak < 1.5 * chunk + constant,
                )
            )

    lines = ["### Targets", "", "| Target | Measured | Met |", "|---|---|---|"]
    for label, measured, met in rows:
        verdict = "–"
        if met is not None:
            verdict = "yes" if met else "no"
        lines.append(f"| {label} | {measured} | {verdict} |")
    lines += [
        "",
        "Ratios compare medians of wall time; the client-CPU ratio shows the library's own share of the work.",
        "",
    ]
    return lines


def parse_only(value: str) -> int:
    for number, name in WORKLOAD_NAMES.items():
        if value in (str(number), name):
            return number
    choices = ", ".join(f"{number} ({name})" for number, name in WORKLOAD_NAMES.items())
    raise argparse.ArgumentTypeError(f"unknown workload {value!r}; choose one of {choices}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="full",
        help="Amount of work: tiny (seconds, for the smoke test) or full (10 000 nodes, a 50 MiB file; default).",
    )
    parser.add_argument(
        "--only",
        type=parse_only,
        action="append",
        metavar="WORKLOAD",
        help="Run only this workload, by number or name (list, get, walk, crud, files, memory); repeatable.",
    )
    parser.add_argument("--output", type=Path, help="Markdown page whose generated section is rewritten.")
    parser.add_argument("--skip-official", action="store_true", help="Leave out the official flame-hub-client.")
    parser.add_argument(
        "--official-version",
        default=OFFICIAL_VERSION,
        help=f"flame-hub-client release to install into .benchmarks/official-venv (default: {OFFICIAL_VERSION}).",
    )
    args = parser.parse_args(argv)
    selected = sorted(set(args.only or WORKLOAD_NAMES))
    size = SIZES[args.size]
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])

    load_at_start = os.getloadavg()[0]
    official = None
    if not args.skip_official:
        try:
            python = ensure_official_venv(args.official_version)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(
                f"Installing flame-hub-client {args.official_version} into {VENV_DIR} failed: {exc} "
                "Check access to PyPI, or run with --skip-official.",
                file=sys.stderr,
            )
            return 1
        official = OfficialDriver(python)

    try:
        with HubProcess() as hub, tempfile.TemporaryDirectory(prefix="flame-hub-bench-") as workdir:
            runner = Runner(hub, official, size, Path(workdir))
            if {1, 2, 6} & set(selected):
                reply = hub.command("seed_nodes", count=size.nodes)
                runner.target.node_id = reply["first_id"]
                runner.rows = reply["total"]
            steps = {1: runner.list_nodes, 2: runner.get_node, 6: runner.hold_objects}
            for number in (1, 2, 6):
                if number in selected:
                    print(f"workload {number} ({WORKLOAD_NAMES[number]}) ...", file=sys.stderr, flush=True)
                    steps[number]()
            hub.command("drop")
            later = {3: runner.walk_analyses, 4: runner.crud_nodes, 5: runner.files}
            for number in (3, 4, 5):
                if number in selected:
                    print(f"workload {number} ({WORKLOAD_NAMES[number]}) ...", file=sys.stderr, flush=True)
                    later[number]()
    finally:
        if official is not None:
            official.stop()

    load = (load_at_start, os.getloadavg()[0])
    section = render(runner, command, official.version if official else None, selected, load)
    print(section)
    if args.output is not None:
        write_section(args.output, section, "Benchmarks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
