"""Time the library's per-object steps without HTTP: building a Node from a record, change checks, merges.

Run from the repository root: ``python benchmarks/object_steps.py [--calls 2000] [--runs 5]``. It
takes one real node record from a fake Hub, then times each step over ``--calls`` calls and prints
the best of ``--runs`` runs of ``time.process_time()`` as a Markdown table. Not a test.
"""

from __future__ import annotations

import argparse
import copy
import platform
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx2

import flame_hub
from flame_hub.models import Node
from flame_hub.testing import FakeHub


def node_record() -> tuple[dict[str, Any], str]:
    """Return a node record as the fake Hub sends it after a create, and the master realm's id."""
    with FakeHub() as hub:
        realm_id = hub.run_in_loop(lambda: hub.state.known["master_realm_id"])
        headers = {"authorization": f"Bearer {hub.issue_admin_token()}"}
        with httpx2.Client(headers=headers) as client:
            response = client.post(f"{hub.core_url}nodes", json={"name": "object-steps", "realmId": realm_id})
            response.raise_for_status()
            return response.json()["data"], realm_id


def best_time(step: Callable[[int], Any], calls: int, runs: int) -> float:
    """Return the lowest CPU time per call, in seconds, over ``runs`` runs of ``calls`` calls."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        for index in range(calls):
            step(index)
        best = min(best, (time.process_time() - began) / calls)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="Calls of each step per run (default: 2000).")
    parser.add_argument("--runs", type=int, default=5, help="Runs of each step; the best one counts (default: 5).")
    args = parser.parse_args()

    record, realm_id = node_record()
    # Distinct ids, so that every record makes a new object instead of updating the identity map's one.
    records = []
    for _ in range(args.calls):
        copied = copy.deepcopy(record)
        copied["id"] = str(uuid.uuid4())
        records.append(copied)
    # The session only needs its identity map here; no request is sent.
    session = flame_hub.Session("http://127.0.0.1:9", auth=flame_hub.auth.StaticAuth("unused"))

    loaded = Node._from_hub(record, session)

    def build(index: int) -> None:
        Node._from_hub(records[index], session)

    def create_and_apply(index: int) -> None:
        node = Node(name=f"object-steps-{index}", realm_id=realm_id)
        node._apply_hub_data(record, session, keep_dirty=False)

    def merge(index: int) -> None:
        loaded._apply_hub_data(record, session, keep_dirty=True)

    steps = [
        ("`Node._from_hub()`: a new object from a record", build),
        ("`Node(name=..., realm_id=...)` and applying the create response", create_and_apply),
        ("`changed_fields()` of a loaded node", lambda index: loaded.changed_fields()),
        ("merging a record into a loaded node (`keep_dirty=True`)", merge),
    ]
    print(f"Python {platform.python_version()}, flame-hub {flame_hub.__version__} from {flame_hub.__file__}")
    print(f"Command: python benchmarks/object_steps.py --calls {args.calls} --runs {args.runs}")
    print()
    print("| step | best µs per call |")
    print("|---|---|")
    for label, step in steps:
        print(f"| {label} | {best_time(step, args.calls, args.runs) * 1e6:.1f} |")
    session.close()


if __name__ == "__main__":
    main()
