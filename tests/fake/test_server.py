"""``FakeHub`` itself: request log, fault injection, reset and the server's start, stop and restart."""

from __future__ import annotations

import socket

import httpx2
import pytest

from flame_hub.testing import FakeHub


def admin_headers(hub: FakeHub) -> dict[str, str]:
    return {"authorization": f"Bearer {hub.issue_admin_token()}"}


# -- request log ----------------------------------------------------------------------------------


def test_request_log_records_json_request(fake_hub):
    headers = admin_headers(fake_hub)

    httpx2.post(f"{fake_hub.storage_url}buckets?x=1", json={"name": "logged"}, headers=headers)

    [record] = fake_hub.requests_to("/storage/buckets")
    assert record.method == "POST"
    assert record.path == "/storage/buckets"
    assert record.query == "x=1"
    assert record.body == {"name": "logged"}
    assert record.status == 201
    assert record.headers["content-type"] == "application/json"
    assert record.headers["authorization"] == headers["authorization"]


def test_request_log_keeps_raw_bytes(fake_hub):
    httpx2.post(f"{fake_hub.url}/nowhere", content=b"\xffnot json")

    [record] = fake_hub.requests_to("/nowhere")
    assert record.body == b"\xffnot json"
    assert record.status == 404


def test_request_log_query_params_decoded(fake_hub):
    httpx2.get(f"{fake_hub.url}/nowhere?filter[name]=a%2Cb&fields=%2Bemail&q=two+words&flag")

    [record] = fake_hub.requests_to("/nowhere")
    assert record.query_params == [("filter[name]", "a,b"), ("fields", "+email"), ("q", "two words"), ("flag", "")]


def test_requests_to_glob_and_method(fake_hub):
    headers = admin_headers(fake_hub)
    httpx2.get(f"{fake_hub.storage_url}buckets", headers=headers)
    httpx2.post(f"{fake_hub.storage_url}buckets", json={"name": "one"}, headers=headers)
    httpx2.get(f"{fake_hub.core_url}nodes", headers=headers)

    storage = fake_hub.requests_to("/storage/*")
    posts = fake_hub.requests_to("/storage/*", method="POST")

    assert [record.method for record in storage] == ["GET", "POST"]
    assert [record.body for record in posts] == [{"name": "one"}]


def test_clear_requests(fake_hub):
    httpx2.get(f"{fake_hub.url}/nowhere")

    fake_hub.clear_requests()

    assert fake_hub.requests == []


# -- faults ---------------------------------------------------------------------------------------


def test_fault_status_with_retry_after_header(fake_hub):
    fake_hub.add_fault("GET", "/storage/buckets", status=429, retry_after=3)

    response = httpx2.get(f"{fake_hub.storage_url}buckets")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["code"] == "fault_injected"
    assert fake_hub.requests_to("/storage/buckets")[0].status == 429


def test_fault_custom_body(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", status=502, body=b"<html>bad gateway</html>")

    response = httpx2.get(f"{fake_hub.core_url}nodes")

    assert response.status_code == 502
    assert response.content == b"<html>bad gateway</html>"
    assert "retry-after" not in response.headers


def test_fault_times_counts_matches(fake_hub):
    fake_hub.add_fault("GET", "/storage/", status=503, times=2)

    statuses = [httpx2.get(fake_hub.storage_url).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_fault_any_method(fake_hub):
    fake_hub.add_fault("*", "/storage/buckets*", status=500, times=3)

    post = httpx2.post(f"{fake_hub.storage_url}buckets", json={})
    delete = httpx2.delete(f"{fake_hub.storage_url}buckets/00000000-0000-4000-8000-000000000000")
    get = httpx2.get(f"{fake_hub.storage_url}buckets")

    assert [post.status_code, delete.status_code, get.status_code] == [500, 500, 500]
    assert post.json()["code"] == "fault_injected"


def test_fault_other_method_not_matched(fake_hub):
    fake_hub.add_fault("post", "/storage/", status=500)

    response = httpx2.get(fake_hub.storage_url)

    assert response.status_code == 200


def test_fault_delay_then_normal_response(fake_hub):
    fake_hub.add_fault("GET", "/storage/", delay=0.2)

    delayed = httpx2.get(fake_hub.storage_url)

    assert delayed.status_code == 200
    assert delayed.json()["version"] == "0.14.0"


def test_fault_delay_exceeds_client_timeout(fake_hub):
    fake_hub.add_fault("GET", "/storage/", delay=3.0)

    with pytest.raises(httpx2.TimeoutException):
        httpx2.get(fake_hub.storage_url, timeout=0.1)


def test_fault_drop_closes_connection(fake_hub):
    fake_hub.add_fault("POST", "/storage/buckets", drop=True)

    with pytest.raises(httpx2.TransportError):
        httpx2.post(f"{fake_hub.storage_url}buckets", json={"name": "never"})
    after = httpx2.get(fake_hub.storage_url)

    assert after.status_code == 200


def test_fault_needs_an_effect(fake_hub):
    with pytest.raises(ValueError, match="needs a status, a delay or drop=True"):
        fake_hub.add_fault("GET", "/storage/")


def test_clear_faults(fake_hub):
    fake_hub.add_fault("GET", "/storage/", status=500)

    fake_hub.clear_faults()

    assert httpx2.get(fake_hub.storage_url).status_code == 200


# -- reset ------------------------------------------------------------------------------------------


def test_reset_restores_seed_and_clears_log_and_faults(fake_hub):
    headers = admin_headers(fake_hub)
    httpx2.post(f"{fake_hub.storage_url}buckets", json={"name": "temporary"}, headers=headers)
    fake_hub.add_fault("GET", "/core/*", status=500)
    master_realm_id = fake_hub.state.known["master_realm_id"]

    fake_hub.reset()

    assert fake_hub.state.table("storage.buckets") == {}
    assert fake_hub.requests == []
    assert httpx2.get(fake_hub.core_url).status_code != 500
    assert fake_hub.state.known["master_realm_id"] != master_realm_id


def test_reset_invalidates_tokens(fake_hub):
    headers = admin_headers(fake_hub)

    fake_hub.reset()
    response = httpx2.get(f"{fake_hub.storage_url}buckets", headers=headers)

    assert response.status_code == 500
    assert response.json()["message"] == "The JWT is not active."


# -- lifecycle ------------------------------------------------------------------------------------


def test_stop_then_restart_keeps_port_and_state():
    hub = FakeHub().start()
    try:
        headers = admin_headers(hub)
        httpx2.post(f"{hub.storage_url}buckets", json={"name": "survivor"}, headers=headers)
        url = hub.url

        hub.stop()
        with pytest.raises(httpx2.ConnectError):
            httpx2.get(hub.storage_url)
        hub.start()
        listed = httpx2.get(f"{hub.storage_url}buckets", headers=headers)
    finally:
        hub.stop()

    assert hub.url == url
    assert [bucket["name"] for bucket in listed.json()["data"]] == ["survivor"]


def test_stop_when_not_running_is_noop():
    hub = FakeHub()

    hub.stop()

    assert hub.port == 0


def test_context_manager_stops_server():
    with FakeHub() as hub:
        inside = httpx2.get(hub.storage_url)

    assert inside.status_code == 200
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(hub.storage_url)


def test_two_hubs_are_independent():
    with FakeHub() as first, FakeHub() as second:
        httpx2.post(f"{first.storage_url}buckets", json={"name": "only-first"}, headers=admin_headers(first))
        in_second = httpx2.get(f"{second.storage_url}buckets", headers=admin_headers(second))

    assert first.port != second.port
    assert in_second.json()["data"] == []


def test_given_port_is_used():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with FakeHub(port=port) as hub:
        response = httpx2.get(f"http://127.0.0.1:{port}/core/")

    assert hub.port == port
    assert hub.url == f"http://127.0.0.1:{port}"
    assert (hub.auth_url, hub.core_url, hub.storage_url) == (
        f"{hub.url}/auth/",
        f"{hub.url}/core/",
        f"{hub.url}/storage/",
    )
    assert response.status_code == 200
