"""Token lifetimes as the token endpoint states them, large gzip streams, and rows that shift between pages."""

from __future__ import annotations

import hashlib
import random
import time
from typing import Any

import pytest
from _reliability_helpers import admin_session, logged, settle

from flame_hub.models import Bucket, Node, Realm


@pytest.mark.parametrize(("expires_in", "renewed"), [(900, False), (60, False), (1, True)])
def test_token_lifetime_from_response(fake_hub: Any, expires_in: int, renewed: bool) -> None:
    # A token response without scope and refresh token, valid for expires_in seconds from the request.
    body = {"access_token": fake_hub.issue_admin_token(), "token_type": "Bearer", "expires_in": expires_in}
    fake_hub.add_fault("POST", "/auth/token", status=200, body=body)

    with admin_session(fake_hub) as session:
        Node.objects.using(session).count()
        # Past the renewal time of a one-second token (a quarter of its lifetime before it expires).
        time.sleep(0.8)
        Node.objects.using(session).count()

    settle(fake_hub)
    assert len(fake_hub.requests_to("/auth/token", "POST")) == (2 if renewed else 1)
    assert all(record.status == 200 for record in fake_hub.requests_to("/core/nodes", "GET"))


def test_large_gzip_stream_exact(fake_hub: Any) -> None:
    # Text-like content that gzip compresses, several megabytes long.
    generator = random.Random(7)
    words = [bytes(generator.choices(b"abcdefghij", k=6)) for _ in range(512)]
    content = b" ".join(generator.choice(words) for _ in range(600_000))
    assert len(content) > 4_000_000

    with admin_session(fake_hub) as session:
        bucket = Bucket.objects.using(session).create(name="large-bucket")
        [bucket_file] = bucket.upload(("large.txt", content))
        chunks = list(bucket_file.stream())

    request = logged(fake_hub, f"/storage/bucket-files/{bucket_file.id}/stream", "GET")[-1]
    assert "gzip" in request.headers.get("accept-encoding", "")
    assert len(chunks) > 1
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == hashlib.sha256(content).hexdigest()


def test_shifted_rows_visited_once(fake_hub: Any) -> None:
    for index in range(60):
        fake_hub.create_realm(f"shifted-realm-{index:03d}")

    with admin_session(fake_hub) as session:
        total = Realm.objects.using(session).count()
        overlapping = session.request_json(
            "auth", "GET", "realms", params=[("page[limit]", "50"), ("page[offset]", "45")]
        )
        # The second page repeats five rows of the first, as when rows were inserted before it meanwhile.
        # The fault names that page, because read-ahead may request it before the first row is used.
        fake_hub.add_fault("GET", "/auth/realms", status=200, body=overlapping, query={"page[offset]": "50"})
        rows = Realm.objects.using(session).iterator()
        first = next(rows)
        realms = [first, *rows]

    ids = [realm.id for realm in realms]
    assert len(ids) == len(set(ids))
    assert len(ids) == total


def test_list_contains_other_realms(fake_hub: Any) -> None:
    other = fake_hub.create_realm("other-realm")
    with admin_session(fake_hub) as session:
        Node.objects.using(session).create(name="master-node")
        Node.objects.using(session).create(name="other-node", realm_id=other["id"])
        nodes = list(Node.objects.using(session).filter(name__endswith="-node"))

    realm_by_name = {node.name: node.realm_id for node in nodes}
    assert realm_by_name["other-node"] == other["id"]
    assert realm_by_name["master-node"] != other["id"]
