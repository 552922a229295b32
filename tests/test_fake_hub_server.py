"""The fake Hub's server: start, stop, addresses, request log and faults."""

import httpx2
import pytest

from flame_hub.testing import FakeHub


def test_fake_hub_serves_on_loopback():
    with FakeHub() as hub:
        assert hub.url.startswith("http://127.0.0.1:")
        assert hub.core_url == hub.url + "/core/"
        response = httpx2.get(hub.url + "/nowhere")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Not Found"}


def test_fake_hub_logs_requests():
    with FakeHub() as hub:
        httpx2.get(hub.url + "/nowhere?a=1")
        records = hub.requests_to("/nowhere")
    assert len(records) == 1
    assert records[0].query == "a=1"
    assert records[0].status == 404


def test_fault_status_with_retry_after():
    with FakeHub() as hub:
        hub.add_fault("GET", "/core/*", status=503, retry_after=2, times=1)
        first = httpx2.get(hub.url + "/core/nodes")
        second = httpx2.get(hub.url + "/core/nodes")
    assert first.status_code == 503
    assert first.headers["retry-after"] == "2"
    assert second.status_code != 503


def test_fault_drop_breaks_connection():
    with FakeHub() as hub:
        hub.add_fault("GET", "/core/*", drop=True)
        with pytest.raises(httpx2.TransportError):
            httpx2.get(hub.url + "/core/nodes")


def test_fake_hub_start_twice_rejected():
    hub = FakeHub().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            hub.start()
    finally:
        hub.stop()
