"""Run the benchmark workloads with the official flame-hub-client, inside its own virtual environment.

The official client is also imported as ``flame_hub``, so this script runs under that environment's
interpreter in isolated mode and imports nothing from this repository. It reads one JSON request per
line on stdin (``{"workload", "measure", "target", "params"}``) and writes one JSON reply per line.
"""

from __future__ import annotations

import gc
import json
import sys
import time
import tracemalloc
from typing import Any

import flame_hub
from flame_hub import AuthClient, CoreClient, StorageClient

PAGE_SIZE = 50
CHUNK_SIZE = 64 * 1024


class Clients:
    """The official client's service clients with the benchmark's shared token, each created on first use.

    Creating a client is part of a measured run, as it is for the other ways, and a run creates only
    the clients it uses.
    """

    def __init__(self, target: dict[str, Any]) -> None:
        self._url = target["url"]
        self._auth = flame_hub.auth.StaticAuth(target["token"])
        self._clients: dict[str, Any] = {}

    def _client(self, service: str, cls: Any) -> Any:
        if service not in self._clients:
            self._clients[service] = cls(base_url=f"{self._url}/{service}/", auth=self._auth)
        return self._clients[service]

    @property
    def core(self) -> CoreClient:
        return self._client("core", CoreClient)

    @property
    def auth(self) -> AuthClient:
        return self._client("auth", AuthClient)

    @property
    def storage(self) -> StorageClient:
        return self._client("storage", StorageClient)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def _pages(find: Any) -> Any:
    """Yield every row of a list, one ``find_*(page=..., meta=True)`` call per page."""
    offset = 0
    while True:
        rows, meta = find(page={"limit": PAGE_SIZE, "offset": offset}, meta=True)
        yield from rows
        offset += len(rows)
        if not rows or offset >= meta.total:
            return


def list_nodes(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> int:
    return sum(1 for node in _pages(clients.core.find_nodes) if node.name)


def get_node(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> int:
    found = 0
    for _ in range(params["times"]):
        found += str(clients.core.get_node(target["node_id"]).id) == target["node_id"]
    return found


def walk_naive(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> int:
    # find_analyses embeds each analysis' project by default; the realm is read with one GET each.
    walked = 0
    for analysis in _pages(clients.core.find_analyses):
        project = analysis.project or clients.core.get_project(analysis.project_id)
        walked += bool(clients.auth.get_realm(project.realm_id).name)
    return walked


def walk_batched(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> int:
    walked = 0
    offset = 0
    while True:
        analyses, meta = clients.core.find_analyses(page={"limit": PAGE_SIZE, "offset": offset}, meta=True)
        realm_ids = sorted({str(analysis.project.realm_id) for analysis in analyses})
        realms = {}
        if realm_ids:
            found = clients.auth.find_realms(filter={"id": ",".join(realm_ids)}, page={"limit": PAGE_SIZE})
            realms = {str(realm.id): realm for realm in found}
        for analysis in analyses:
            walked += bool(realms[str(analysis.project.realm_id)].name)
        offset += len(analyses)
        if not analyses or offset >= meta.total:
            return walked


def crud_nodes(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> int:
    done = 0
    for index in range(params["count"]):
        node = clients.core.create_node(name=f"{params['prefix']}-{index:05d}", realm_id=target["master_realm_id"])
        clients.core.update_node(node.id, hidden=True)
        clients.core.delete_node(node.id)
        done += 1
    return done


def upload_file(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> int:
    with open(params["path"], "rb") as handle:
        upload = {"file_name": params["name"], "content": handle, "content_type": "application/octet-stream"}
        uploaded = clients.storage.upload_to_bucket(target["bucket_id"], upload)
    return int(uploaded[0].size or 0)


def download_file(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> int:
    written = 0
    # The official client streams in 1 KiB chunks by default, so pass the 64 KiB that the other ways use.
    chunks = clients.storage.stream_bucket_file(target["file_ids"][params["file"]], chunk_size=CHUNK_SIZE)
    with open(params["destination"], "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
    return written


def hold_nodes(clients: Clients, target: dict[str, Any], params: dict[str, Any]) -> Any:
    return list(_pages(clients.core.find_nodes))


WORKLOADS = {
    "list": list_nodes,
    "get": get_node,
    "walk_naive": walk_naive,
    "walk_batched": walk_batched,
    "crud": crud_nodes,
    "upload": upload_file,
    "download": download_file,
    "hold": hold_nodes,
}


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Run one workload once and measure what ``request["measure"]`` names: time, peak or held memory."""
    workload = WORKLOADS[request["workload"]]
    target, params, measure = request["target"], request.get("params", {}), request.get("measure", "time")
    if measure == "time":
        began, cpu_began = time.perf_counter(), time.process_time()
        clients = Clients(target)
        try:
            result = workload(clients, target, params)
        finally:
            clients.close()
        return {"wall": time.perf_counter() - began, "cpu": time.process_time() - cpu_began, "result": result}

    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        clients = Clients(target)
        try:
            held = workload(clients, target, params)
        finally:
            clients.close()
        if measure == "peak":
            return {"bytes": tracemalloc.get_traced_memory()[1] - baseline, "result": held}
        gc.collect()
        return {"bytes": tracemalloc.get_traced_memory()[0] - baseline, "result": len(held)}
    finally:
        tracemalloc.stop()


def main() -> None:
    version = getattr(flame_hub, "__version__", "unknown")
    print(json.dumps({"ok": True, "version": version, "python": sys.version.split()[0]}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = {"ok": True, **run(request)}
        except Exception as exc:  # noqa: BLE001 - the runner reports the failure of this way and goes on
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
