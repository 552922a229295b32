"""Measure how long a FakeHub takes to start and to serve a simple authenticated GET.

Run from the repository root: ``python benchmarks/fake_hub.py [--starts 20] [--requests 500]``.
It prints a Markdown table for the "Fake Hub" section of ``docs/benchmarks.md``. Not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import httpx2

from flame_hub.testing import FakeHub


def measure_start(count: int) -> list[float]:
    """Return the seconds from ``FakeHub()`` to a server that accepts connections, once per start."""
    durations = []
    for _ in range(count):
        began = time.perf_counter()
        hub = FakeHub().start()
        durations.append(time.perf_counter() - began)
        hub.stop()
    return durations


def measure_get(count: int) -> tuple[list[float], list[float]]:
    """Return the seconds of ``count`` GETs of the storage root and of a one-bucket list, on one kept-alive client."""
    with FakeHub() as hub:
        headers = {"authorization": f"Bearer {hub.issue_admin_token()}"}
        with httpx2.Client(headers=headers) as client:
            client.post(f"{hub.storage_url}buckets", json={"name": "benchmark"}).raise_for_status()
            root, listing = [], []
            for _ in range(count):
                began = time.perf_counter()
                client.get(hub.storage_url).raise_for_status()
                root.append(time.perf_counter() - began)

                began = time.perf_counter()
                client.get(f"{hub.storage_url}buckets").raise_for_status()
                listing.append(time.perf_counter() - began)
    return root, listing


def row(label: str, durations: list[float]) -> str:
    median = statistics.median(durations) * 1000
    spread = statistics.quantiles(durations, n=10)
    return f"| {label} | {len(durations)} | {median:.2f} | {spread[0] * 1000:.2f} | {spread[-1] * 1000:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=20, help="Number of FakeHub starts to time (default: 20).")
    parser.add_argument("--requests", type=int, default=500, help="Number of GETs of each kind to time (default: 500).")
    args = parser.parse_args()

    starts = measure_start(args.starts)
    root, listing = measure_get(args.requests)

    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(
        f"Python {platform.python_version()}; command: python benchmarks/fake_hub.py "
        f"--starts {args.starts} --requests {args.requests}"
    )
    print()
    print("| measurement | runs | median ms | p10 ms | p90 ms |")
    print("|---|---|---|---|---|")
    print(row("FakeHub start (construct, seed, listen)", starts))
    print(row("GET /storage/ (token introspected)", root))
    print(row("GET /storage/buckets (1 bucket)", listing))


if __name__ == "__main__":
    main()
