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


def test_empty_response_logged_before_client_returns():
    # A 202 with no body is complete for the client as soon as its headers arrive.
    with FakeHub() as hub:
        token = hub.issue_admin_token()
        with httpx2.Client(headers={"authorization": f"Bearer {token}"}) as client:
            for attempt in range(1, 101):
                response = client.delete(
                    hub.url + "/core/analysis-logs",
                    params={"filter[analysisId]": "00000000-0000-4000-8000-000000000000"},
                )
                assert response.status_code == 202
                assert len(hub.requests_to("/core/analysis-logs", "DELETE")) == attempt
