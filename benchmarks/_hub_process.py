"""Serve a fake Hub for the benchmarks in its own process, seeded and inspected through JSON lines on stdin.

The benchmarked clients run in other processes, so the server's work does not show up in their
CPU time and the two do not compete for one interpreter lock. Run as ``python -m benchmarks._hub_process``;
the first output line describes the server, and every input line gets exactly one output line.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from typing import Any

import httpx2

from flame_hub.testing import FakeHub
from flame_hub.testing._core_schemas import TABLES
from flame_hub.testing._state import HubState, new_id, now_iso

# Names of the records the benchmarks seed, so that drop commands find them again.
NODE_PREFIX = "bench-node-"
PROJECT_PREFIX = "bench-project-"
ANALYSIS_PREFIX = "bench-analysis-"
REALM_PREFIX = "bench-realm-"

# Lifetime of the one access token all benchmark clients share: long enough for a full run.
TOKEN_LIFETIME = 24 * 3600.0


class BenchmarkHub:
    """A running FakeHub with commands that seed and drop benchmark records directly in its state."""

    def __init__(self) -> None:
        self.hub = FakeHub(access_token_lifetime=TOKEN_LIFETIME).start()
        self.token = self.hub.issue_admin_token()
        self.http = httpx2.Client(headers={"authorization": f"Bearer {self.token}"}, timeout=30)
        self.master_realm_id = self.hub.run_in_loop(lambda: self.hub.state.known["master_realm_id"])

    def describe(self) -> dict[str, Any]:
        return {"url": self.hub.url, "token": self.token, "master_realm_id": self.master_realm_id}

    def _template(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create one record over HTTP, so that clones have exactly the shape the fake Hub gives new records."""
        response = self.http.post(f"{self.hub.core_url}{path}", json=body)
        response.raise_for_status()
        return dict(response.json()["data"])

    # -- commands ---------------------------------------------------------------------------------

    def seed_nodes(self, count: int) -> dict[str, Any]:
        """Insert ``count`` nodes of the master realm; return the id of the first one and the size of the table."""
        template = self._template("nodes", {"name": f"{NODE_PREFIX}template", "realmId": self.master_realm_id})
        template.pop("registry", None)

        def insert() -> list[str]:
            table = _core_table(self.hub.state, "node")
            ids = []
            for index in range(count):
                record = copy.deepcopy(template)
                record.update(id=new_id(), name=f"{NODE_PREFIX}{index:06d}", clientId=None, externalName=None)
                record["createdAt"] = record["updatedAt"] = now_iso()
                table[record["id"]] = record
                ids.append(record["id"])
            return ids, len(table)

        ids, total = self.hub.run_in_loop(insert)
        return {"first_id": ids[0] if ids else None, "count": len(ids), "total": total}

    def seed_analyses(self, count: int, projects: int, realms: int) -> dict[str, Any]:
        """Insert ``projects`` projects over ``realms`` new realms and ``count`` analyses, assigned round-robin."""
        realm_ids = [self.hub.create_realm(f"{REALM_PREFIX}{index:03d}")["id"] for index in range(realms)]
        project_template = self._template("projects", {"name": f"{PROJECT_PREFIX}template"})
        analysis_template = self._template(
            "analyses", {"projectId": project_template["id"], "name": f"{ANALYSIS_PREFIX}template"}
        )
        analysis_template.pop("project", None)

        def insert() -> int:
            project_table = _core_table(self.hub.state, "project")
            analysis_table = _core_table(self.hub.state, "analysis")
            # The templates themselves stay out of the walked analyses.
            del analysis_table[analysis_template["id"]]
            del project_table[project_template["id"]]

            project_records = []
            for index in range(projects):
                record = copy.deepcopy(project_template)
                record.update(id=new_id(), name=f"{PROJECT_PREFIX}{index:04d}", realmId=realm_ids[index % realms])
                record["analyses"] = 0
                project_table[record["id"]] = record
                project_records.append(record)

            for index in range(count):
                project = project_records[index % projects]
                record = copy.deepcopy(analysis_template)
                record.update(
                    id=new_id(),
                    name=f"{ANALYSIS_PREFIX}{index:05d}",
                    projectId=project["id"],
                    realmId=project["realmId"],
                    clientId=None,
                )
                analysis_table[record["id"]] = record
                project["analyses"] += 1
            return count

        return {"count": self.hub.run_in_loop(insert)}

    def drop(self) -> dict[str, Any]:
        """Remove every seeded node, project, analysis and realm."""

        def remove() -> int:
            removed = 0
            prefixes = {
                "node": NODE_PREFIX,
                "analysis": ANALYSIS_PREFIX,
                "project": PROJECT_PREFIX,
            }
            for schema_name, prefix in prefixes.items():
                table = _core_table(self.hub.state, schema_name)
                for key in [key for key, record in table.items() if str(record.get("name", "")).startswith(prefix)]:
                    del table[key]
                    removed += 1
            realms = self.hub.state.table("auth.realms")
            for key in [key for key, record in realms.items() if str(record.get("name", "")).startswith(REALM_PREFIX)]:
                del realms[key]
                removed += 1
            return removed

        return {"removed": self.hub.run_in_loop(remove)}

    def drop_files(self) -> dict[str, Any]:
        """Forget stored file contents and logged requests, which hold every uploaded byte."""

        def remove() -> int:
            count = len(self.hub.state.file_contents)
            self.hub.state.file_contents.clear()
            return count

        removed = self.hub.run_in_loop(remove)
        self.hub.clear_requests()
        return {"removed": removed}

    def clear_requests(self) -> dict[str, Any]:
        self.hub.clear_requests()
        return {}

    def count_requests(self) -> dict[str, Any]:
        requests = list(self.hub.requests)
        by_path: dict[str, int] = {}
        for record in requests:
            key = f"{record.method} {_collapse_ids(record.path)}"
            by_path[key] = by_path.get(key, 0) + 1
        return {"count": len(requests), "by_path": by_path}

    def stop(self) -> None:
        self.http.close()
        self.hub.stop()


def _core_table(state: HubState, schema_name: str) -> dict[str, dict[str, Any]]:
    """Return the fake Hub's table of a core resource (``"node"``, ``"project"``, ``"analysis"``)."""
    return state.table(TABLES[schema_name])


def _collapse_ids(path: str) -> str:
    parts = ["{id}" if len(part) == 36 and part.count("-") == 4 else part for part in path.split("/")]
    return "/".join(parts)


def main() -> None:
    hub = BenchmarkHub()
    commands: dict[str, Callable[..., dict[str, Any]]] = {
        "seed_nodes": hub.seed_nodes,
        "seed_analyses": hub.seed_analyses,
        "drop": hub.drop,
        "drop_files": hub.drop_files,
        "clear_requests": hub.clear_requests,
        "count_requests": hub.count_requests,
    }
    print(json.dumps(hub.describe()), flush=True)
    try:
        for line in sys.stdin:
            message = json.loads(line)
            name = message.pop("command")
            if name == "stop":
                break
            try:
                reply = {"ok": True, **commands[name](**message)}
            except Exception as exc:  # noqa: BLE001 - the runner shows the error instead of hanging
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(reply), flush=True)
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
