"""Errors for an unreachable Hub and for a wrong service URL name the URL to check."""

from __future__ import annotations

import socket

import pytest

import flame_hub
from flame_hub.auth import PasswordAuth


def _closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_login_names_hub_url():
    url = f"http://127.0.0.1:{_closed_port()}"

    with flame_hub.Session(url, auth=PasswordAuth("admin", "start123"), retries=0) as session:
        with pytest.raises(flame_hub.TransportError) as info:
            session.request("core", "GET", "nodes")

    assert f"Is a Hub running at {url}?" in str(info.value)
    assert "FLAME_HUB_URL" in str(info.value)


def test_refused_request_names_hub_url():
    url = f"http://127.0.0.1:{_closed_port()}"

    with flame_hub.Session(url, retries=0) as session:
        with pytest.raises(flame_hub.TransportError) as info:
            session.request("core", "GET", "nodes")

    assert f"Is a Hub running at {url}?" in str(info.value)


def test_route_404_names_url(fake_hub):
    auth = PasswordAuth("admin", "start123", base_url=f"{fake_hub.url}/auth/")
    client = flame_hub.CoreClient(base_url=f"{fake_hub.url}/", auth=auth)

    with pytest.raises(flame_hub.NotFound) as info:
        client.get_nodes()

    assert f"GET {fake_hub.url}/nodes" in str(info.value)
    assert "/core/" in str(info.value)


def test_missing_record_404_unchanged(fake_hub, hub_session):
    from flame_hub.models import Node

    with pytest.raises(Node.DoesNotExist) as info:
        Node.objects.get("00000000-0000-4000-8000-000000000000")

    assert "No route" not in str(info.value)
