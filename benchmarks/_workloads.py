"""The benchmark workloads written twice: with raw httpx2 calls (the floor) and with this library.

Each function does one run of a workload and returns a small result (a row count, the bytes moved)
that the runner checks, so that a broken way cannot pass as a fast one. The official client's
versions live in ``_official_driver.py``, which runs in its own virtual environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

import flame_hub
from flame_hub.models import Analysis, Bucket, BucketFile, Node

# The Hub's maximum page size, used by every way that pages through a list.
PAGE_SIZE = 50
# Chunk size for streamed downloads; the same as the library's own streaming chunk size.
CHUNK_SIZE = 64 * 1024


@dataclass
class Target:
    """Address, shared access token and record ids of the benchmark fake Hub, as the workloads use them."""

    url: str
    token: str
    master_realm_id: str
    node_id: str = ""
    bucket_id: str = ""
    file_ids: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


def raw_client(target: Target) -> httpx2.Client:
    return httpx2.Client(headers=target.headers, timeout=60)


@contextmanager
def library_session(target: Target, **options: Any) -> Iterator[flame_hub.Session]:
    session = flame_hub.Session(target.url, auth=flame_hub.auth.StaticAuth(target.token), timeout=60, **options)
    try:
        yield session
    finally:
        session.close()


# -- 1. list and iterate every node --------------------------------------------------------------------


def list_raw(target: Target, params: dict[str, Any]) -> int:
    rows = 0
    offset = 0
    with raw_client(target) as client:
        while True:
            query = {"page[limit]": PAGE_SIZE, "page[offset]": offset}
            response = client.get(f"{target.url}/core/nodes", params=query)
            response.raise_for_status()
            body = response.json()
            for row in body["data"]:
                if row["name"]:
                    rows += 1
            offset += len(body["data"])
            if not body["data"] or offset >= body["meta"]["total"]:
                return rows


def list_library(target: Target, params: dict[str, Any]) -> int:
    rows = 0
    with library_session(target) as session:
        for node in Node.objects.using(session):
            if node.name:
                rows += 1
    return rows


# -- 2. get one node by id, many times ---------------------------------------------------------------------


def get_raw(target: Target, params: dict[str, Any]) -> int:
    found = 0
    with raw_client(target) as client:
        for _ in range(params["times"]):
            response = client.get(f"{target.url}/core/nodes/{target.node_id}")
            response.raise_for_status()
            found += response.json()["data"]["id"] == target.node_id
    return found


def _get_library(target: Target, params: dict[str, Any], cache_ttl: float) -> int:
    found = 0
    with library_session(target, cache_ttl=cache_ttl) as session:
        nodes = Node.objects.using(session)
        for _ in range(params["times"]):
            found += nodes.get(id=target.node_id).id == target.node_id
    return found


def get_library_no_cache(target: Target, params: dict[str, Any]) -> int:
    return _get_library(target, params, cache_ttl=0)


def get_library_cache(target: Target, params: dict[str, Any]) -> int:
    return _get_library(target, params, cache_ttl=60)


# -- 3. walk analyses with their project and the project's realm ------------------------------------------


def walk_raw_naive(target: Target, params: dict[str, Any]) -> int:
    """Read each analysis' project and that project's realm with one GET each, as a script written quickly would."""
    walked = 0
    offset = 0
    with raw_client(target) as client:
        while True:
            query = {"page[limit]": PAGE_SIZE, "page[offset]": offset}
            body = _get_json(client, f"{target.url}/core/analyses", query)
            for analysis in body["data"]:
                project = _get_json(client, f"{target.url}/core/projects/{analysis['projectId']}")["data"]
                realm = _get_json(client, f"{target.url}/auth/realms/{project['realmId']}")["data"]
                walked += bool(realm["name"])
            offset += len(body["data"])
            if not body["data"] or offset >= body["meta"]["total"]:
                return walked


def walk_raw_batched(target: Target, params: dict[str, Any]) -> int:
    """Embed the projects with ``include=project`` and read the page's realms with one ``filter[id]`` list."""
    walked = 0
    offset = 0
    with raw_client(target) as client:
        while True:
            query = {"page[limit]": PAGE_SIZE, "page[offset]": offset, "include": "project"}
            body = _get_json(client, f"{target.url}/core/analyses", query)
            realm_ids = sorted({analysis["project"]["realmId"] for analysis in body["data"]})
            realms: dict[str, Any] = {}
            if realm_ids:
                realm_query = {"filter[id]": ",".join(realm_ids), "page[limit]": PAGE_SIZE}
                realms = {row["id"]: row for row in _get_json(client, f"{target.url}/auth/realms", realm_query)["data"]}
            for analysis in body["data"]:
                walked += bool(realms[analysis["project"]["realmId"]]["name"])
            offset += len(body["data"])
            if not body["data"] or offset >= body["meta"]["total"]:
                return walked


def walk_library_lazy(target: Target, params: dict[str, Any]) -> int:
    walked = 0
    with library_session(target) as session:
        for analysis in Analysis.objects.using(session):
            walked += bool(analysis.project.realm.name)
    return walked


def walk_library_include(target: Target, params: dict[str, Any]) -> int:
    # An analysis lives in its project's realm, so prefetching the analyses' realms puts the
    # projects' realms into the identity map, where project.realm finds them without a request.
    walked = 0
    with library_session(target) as session:
        for analysis in Analysis.objects.using(session).include("project").prefetch("realm"):
            walked += bool(analysis.project.realm.name)
    return walked


def _get_json(client: httpx2.Client, url: str, params: dict[str, Any] | None = None) -> Any:
    response = client.get(url, params=params)
    response.raise_for_status()
    return response.json()


# -- 4. create, update and delete nodes ----------------------------------------------------------------------


def crud_raw(target: Target, params: dict[str, Any]) -> int:
    done = 0
    with raw_client(target) as client:
        for index in range(params["count"]):
            name = f"{params['prefix']}-{index:05d}"
            response = client.post(f"{target.url}/core/nodes", json={"name": name, "realmId": target.master_realm_id})
            response.raise_for_status()
            node_id = response.json()["data"]["id"]
            client.post(f"{target.url}/core/nodes/{node_id}", json={"hidden": True}).raise_for_status()
            client.delete(f"{target.url}/core/nodes/{node_id}").raise_for_status()
            done += 1
    return done


def crud_library(target: Target, params: dict[str, Any]) -> int:
    done = 0
    with library_session(target) as session:
        for index in range(params["count"]):
            node = Node(name=f"{params['prefix']}-{index:05d}", realm_id=target.master_realm_id)
            node.save(using=session)
            node.hidden = True
            node.save()
            node.delete()
            done += 1
    return done


# -- 5. upload and download a large file ---------------------------------------------------------------------


def upload_raw(target: Target, params: dict[str, Any]) -> int:
    with raw_client(target) as client, open(params["path"], "rb") as handle:
        files = {"file": (params["name"], handle, "application/octet-stream")}
        response = client.post(f"{target.url}/storage/buckets/{target.bucket_id}/upload", files=files)
        response.raise_for_status()
        return int(response.json()["data"][0]["size"])


def upload_library(target: Target, params: dict[str, Any]) -> int:
    with library_session(target) as session:
        bucket = Bucket.objects.using(session).get(id=target.bucket_id)
        uploaded = bucket.upload((params["name"], Path(params["path"]), "application/octet-stream"))
        return int(uploaded[0].size or 0)


def download_raw(target: Target, params: dict[str, Any]) -> int:
    written = 0
    url = f"{target.url}/storage/bucket-files/{target.file_ids[params['file']]}/stream"
    with raw_client(target) as client, client.stream("GET", url) as response, open(params["destination"], "wb") as out:
        response.raise_for_status()
        for chunk in response.iter_bytes(CHUNK_SIZE):
            out.write(chunk)
            written += len(chunk)
    return written


def download_library(target: Target, params: dict[str, Any]) -> int:
    with library_session(target) as session:
        bucket_file = BucketFile.objects.using(session).get(id=target.file_ids[params["file"]])
        return bucket_file.download(params["destination"])


# -- 6. objects held in memory ------------------------------------------------------------------------------


def hold_raw(target: Target, params: dict[str, Any]) -> Any:
    """Return every node as the parsed JSON dict; the caller measures what the list holds."""
    rows: list[dict[str, Any]] = []
    offset = 0
    with raw_client(target) as client:
        while True:
            body = _get_json(client, f"{target.url}/core/nodes", {"page[limit]": PAGE_SIZE, "page[offset]": offset})
            rows.extend(body["data"])
            offset += len(body["data"])
            if not body["data"] or offset >= body["meta"]["total"]:
                return rows


def hold_library(target: Target, params: dict[str, Any]) -> Any:
    """Return an open session whose identity-map cache contains every node; no list of them is kept.

    The session stays open because closing it empties the identity map. The runner closes it once
    it has measured what the session holds.
    """
    session = flame_hub.Session(
        target.url, auth=flame_hub.auth.StaticAuth(target.token), cache_ttl=3600, cache_size=params["rows"] * 2
    )
    loaded = sum(1 for _ in Node.objects.using(session).iterator())
    if loaded != params["rows"]:
        session.close()
        raise RuntimeError(f"Expected {params['rows']} nodes in the identity map, loaded {loaded}.")
    return session


Workload = Callable[[Target, dict[str, Any]], Any]
