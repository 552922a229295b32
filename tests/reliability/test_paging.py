"""Reading lists page by page through retries, short pages and values this library does not know yet."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from _reliability_helpers import admin_session, logged, settle

from flame_hub.models import Node, Realm, UnknownEnumValueWarning

NODE_ID = "6f1c3a52-8f0e-4d1b-9a55-1b2f1c0de003"


def realm_offsets(hub: Any) -> list[tuple[int, int]]:
    """Return ``(offset, status)`` of every logged realm page request, in order, without count() requests."""
    settle(hub)
    offsets = []
    for record in hub.requests_to("/auth/realms", "GET"):
        params = dict(record.query_params)
        if "page[offset]" in params and params.get("page[limit]") != "1":
            offsets.append((int(params["page[offset]"]), record.status))
    return offsets


def add_realms(hub: Any, count: int) -> None:
    for index in range(count):
        hub.create_realm(f"paged-realm-{index:03d}")


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_get_retried_on_status(fake_hub: Any, status: int, caplog: pytest.LogCaptureFixture) -> None:
    fake_hub.add_fault("GET", "/core/nodes", status=status, times=1)

    with admin_session(fake_hub) as session, caplog.at_level(logging.WARNING, logger="flame_hub"):
        nodes = list(Node.objects.using(session).all())

    sent = logged(fake_hub, "/core/nodes", "GET", 2)
    assert [record.status for record in sent] == [status, 200]
    assert isinstance(nodes, list)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(status) in warnings[0].getMessage()


def test_retry_inside_iteration_continues(fake_hub: Any) -> None:
    add_realms(fake_hub, 60)
    with admin_session(fake_hub) as session:
        total = Realm.objects.using(session).count()
        # The request for the second page fails once. The fault names that page, because read-ahead
        # may request it before the first row is used.
        fake_hub.add_fault("GET", "/auth/realms", status=503, times=1, query={"page[offset]": "50"})
        rows = Realm.objects.using(session).iterator()
        first = next(rows)
        realms = [first, *rows]

    assert len(realms) == total
    assert len({realm.id for realm in realms}) == total
    assert realm_offsets(fake_hub) == [(0, 200), (50, 503), (50, 200)]


def test_short_page_advances_by_rows(fake_hub: Any) -> None:
    add_realms(fake_hub, 10)
    with admin_session(fake_hub) as session:
        total = Realm.objects.using(session).count()
        short_page = session.request_json("auth", "GET", "realms", params=[("page[limit]", "3")])
        # A Hub that returns fewer rows than requested: the next page starts after the rows received.
        fake_hub.add_fault("GET", "/auth/realms", status=200, body=short_page)
        fake_hub.clear_requests()
        realms = list(Realm.objects.using(session).all())

    assert len(short_page["data"]) == 3
    assert len(realms) == total
    assert len({realm.id for realm in realms}) == total
    assert realm_offsets(fake_hub) == [(0, 200), (3, 200)]


def test_unknown_status_in_list_kept(fake_hub: Any) -> None:
    record = {"id": NODE_ID, "name": "future-node", "type": "quantum", "online": False}
    fake_hub.add_fault("GET", "/core/nodes", status=200, body={"data": [record], "meta": {"total": 1}})

    with admin_session(fake_hub) as session, pytest.warns(UnknownEnumValueWarning, match="quantum"):
        nodes = list(Node.objects.using(session).all())

    assert [node.id for node in nodes] == [NODE_ID]
    assert nodes[0].type == "quantum"


@pytest.mark.parametrize("enveloped", [True, False], ids=["enveloped", "flat"])
def test_record_body_forms(fake_hub: Any, enveloped: bool) -> None:
    record = {"id": NODE_ID, "name": "single-node", "clientId": None, "robotId": None}
    body = {"data": record, "meta": {}} if enveloped else record
    fake_hub.add_fault("GET", f"/core/nodes/{NODE_ID}", status=200, body=body)

    with admin_session(fake_hub) as session:
        node = Node.objects.using(session).get(NODE_ID)

    assert node.name == "single-node"
    assert node.client_id is None
    assert node.robot_id is None
