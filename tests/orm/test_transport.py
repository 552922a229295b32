"""Retries, timeouts, request logging and URL building of a Session, against the fake Hub's fault injection."""

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from _request_log import logged

import flame_hub
from flame_hub import Retry, errors

NODE_ID = "00000000-0000-4000-8000-000000000000"

# Small waits keep the suite fast; jitter off keeps the order of events fixed.
FAST_RETRY = Retry(total=3, backoff_factor=0.01, backoff_max=0.05, max_elapsed=5.0, jitter=False)


def retry_warnings(caplog):
    """Return the messages of the retry warnings the transport logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "flame_hub._transport" and record.levelno == logging.WARNING
    ]


@pytest.fixture
def session(fake_hub):
    with flame_hub.Session(fake_hub.url, retries=FAST_RETRY) as session:
        yield session


def test_get_retried_after_503_with_retry_after(fake_hub, session, caplog):
    fake_hub.add_fault("GET", "/core/nodes", status=503, retry_after="0.1", times=1)

    with caplog.at_level(logging.WARNING, logger="flame_hub"):
        with pytest.raises(errors.HubAPIError) as info:
            session.request("core", "GET", "nodes")

    # The second response comes from the fake Hub itself, which rejects the missing token with 401.
    assert info.value.status_code != 503
    sent = logged(fake_hub, "/core/nodes", "GET", 2)
    assert sent[0].status == 503
    assert len(sent) == 2
    [message] = retry_warnings(caplog)
    assert "503" in message
    assert "Retry-After 0.1 s" in message


def test_retry_after_http_date_honoured(fake_hub, session, caplog):
    # HTTP dates have whole seconds, so 2 s ahead is still in the future after rounding down.
    moment = datetime.now(timezone.utc) + timedelta(seconds=2)
    fake_hub.add_fault("GET", "/core/nodes", status=503, retry_after=format_datetime(moment, usegmt=True))

    with caplog.at_level(logging.WARNING, logger="flame_hub"):
        with pytest.raises(errors.HubAPIError):
            session.request("core", "GET", "nodes")

    assert len(logged(fake_hub, "/core/nodes", "GET", 2)) == 2
    [message] = retry_warnings(caplog)
    assert "Retry-After" in message


def test_retry_after_body_field(fake_hub, session, caplog):
    body = {"statusCode": 429, "code": "too_many_requests", "message": "Slow down.", "issues": [], "retryAfter": 0.05}
    fake_hub.add_fault("GET", "/core/nodes", status=429, body=body)

    with caplog.at_level(logging.WARNING, logger="flame_hub"):
        with pytest.raises(errors.HubAPIError):
            session.request("core", "GET", "nodes")

    assert len(logged(fake_hub, "/core/nodes", "GET", 2)) == 2
    [message] = retry_warnings(caplog)
    assert "Retry-After 0.05 s" in message


def test_retry_after_beyond_budget_not_waited(fake_hub, session):
    fake_hub.add_fault("GET", "/core/nodes", status=503, retry_after=3600)

    with pytest.raises(errors.ServerError) as info:
        session.request("core", "GET", "nodes")

    assert info.value.status_code == 503
    assert len(logged(fake_hub, "/core/nodes", "GET", 1)) == 1


def test_dropped_connection_on_get_retried(fake_hub, session, caplog):
    fake_hub.add_fault("GET", "/core/nodes", drop=True, times=1)

    with caplog.at_level(logging.WARNING, logger="flame_hub"):
        with pytest.raises(errors.HubAPIError):
            session.request("core", "GET", "nodes")

    assert len(logged(fake_hub, "/core/nodes", "GET", 2)) == 2
    [message] = retry_warnings(caplog)
    assert "Retrying GET" in message


def test_delete_of_record_retried(fake_hub, session):
    fake_hub.add_fault("DELETE", "/core/nodes/*", status=502, times=1)

    with pytest.raises(errors.HubAPIError):
        session.request("core", "DELETE", f"nodes/{NODE_ID}")

    assert len(logged(fake_hub, "/core/nodes/*", "DELETE", 2)) == 2


def test_delete_of_collection_not_retried(fake_hub, session):
    fake_hub.add_fault("DELETE", "/core/analysis-logs", status=503, times=1)

    with pytest.raises(errors.ServerError):
        session.request("core", "DELETE", "analysis-logs")

    assert len(logged(fake_hub, "/core/analysis-logs", "DELETE", 1)) == 1


def test_post_not_retried_on_503(fake_hub, session):
    fake_hub.add_fault("POST", "/core/nodes", status=503, retry_after="0", times=1)

    with pytest.raises(errors.ServerError) as info:
        session.request("core", "POST", "nodes", json={"name": "lab-1"})

    assert info.value.status_code == 503
    assert len(logged(fake_hub, "/core/nodes", "POST", 1)) == 1


def test_post_not_retried_on_drop(fake_hub, session):
    fake_hub.add_fault("POST", "/core/nodes", drop=True, times=1)

    with pytest.raises(errors.TransportError) as info:
        session.request("core", "POST", "nodes", json={"name": "lab-1"})

    assert len(logged(fake_hub, "/core/nodes", "POST", 1)) == 1
    assert info.value.url == fake_hub.url + "/core/nodes"
    assert "may have processed" in str(info.value)


def test_retries_exhausted_raise(fake_hub, session, caplog):
    fake_hub.add_fault("GET", "/core/nodes", status=503, times=10)

    with caplog.at_level(logging.WARNING, logger="flame_hub"):
        with pytest.raises(errors.ServerError) as info:
            session.request("core", "GET", "nodes")

    assert info.value.status_code == 503
    assert len(logged(fake_hub, "/core/nodes", "GET", 4)) == 4
    warnings = retry_warnings(caplog)
    assert len(warnings) == 3
    assert "retry 3 of 3" in warnings[-1]


def test_retries_off(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", status=503, times=10)

    with flame_hub.Session(fake_hub.url, retries=False) as session:
        with pytest.raises(errors.ServerError):
            session.request("core", "GET", "nodes")

    assert len(logged(fake_hub, "/core/nodes", "GET", 1)) == 1


def test_retries_as_count(fake_hub):
    with flame_hub.Session(fake_hub.url, retries=5) as session:
        assert session.retry.total == 5
    with flame_hub.Session(fake_hub.url, retries=0) as session:
        assert session.retry.total == 0


def test_retries_invalid_rejected(fake_hub):
    with pytest.raises(errors.ConfigurationError, match="retries="):
        flame_hub.Session(fake_hub.url, retries="many")


def test_connection_refused_raises_transport_error():
    with flame_hub.Session("http://127.0.0.1:9", retries=0) as session:
        with pytest.raises(errors.TransportError) as info:
            session.request("core", "GET", "nodes")

    assert info.value.url == "http://127.0.0.1:9/core/nodes"
    assert "127.0.0.1:9" in str(info.value)


def test_get_timeout_raises(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", delay=1.0, times=1)

    with flame_hub.Session(fake_hub.url, retries=0, timeout=0.2) as session:
        with pytest.raises(errors.Timeout) as info:
            session.request("core", "GET", "nodes")

    assert info.value.url == fake_hub.url + "/core/nodes"
    assert "timed out after 0.2 s" in str(info.value)


def test_get_timeout_retried(fake_hub, caplog):
    fake_hub.add_fault("GET", "/core/nodes", delay=1.0, times=1)

    with flame_hub.Session(fake_hub.url, retries=FAST_RETRY, timeout=0.2) as session:
        with caplog.at_level(logging.WARNING, logger="flame_hub"):
            with pytest.raises(errors.HubAPIError):
                session.request("core", "GET", "nodes")

    [message] = retry_warnings(caplog)
    assert "timed out" in message


def test_post_timeout_says_record_may_exist(fake_hub):
    fake_hub.add_fault("POST", "/core/nodes", delay=1.0, times=1)

    with flame_hub.Session(fake_hub.url, retries=FAST_RETRY, timeout=0.2) as session:
        with pytest.raises(errors.Timeout) as info:
            session.request("core", "POST", "nodes", json={"name": "lab-1"})

    assert "may have processed the request" in str(info.value)
    assert "check before sending it again" in str(info.value)


def test_timeout_per_call_overrides(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", delay=0.5, times=1)

    with flame_hub.Session(fake_hub.url, retries=0, timeout=0.1) as session:
        with pytest.raises(errors.HubAPIError) as info:
            session.request("core", "GET", "nodes", timeout=5.0)

    assert not isinstance(info.value, errors.Timeout)


def test_default_timeouts(fake_hub):
    with flame_hub.Session(fake_hub.url) as session:
        assert session.timeout.connect == 5.0
        assert session.timeout.read == 30.0
    with flame_hub.Session(fake_hub.url, timeout=(2, 7)) as session:
        assert session.timeout.connect == 2
        assert session.timeout.read == 7


def test_debug_line_per_request(fake_hub, session, caplog):
    with caplog.at_level(logging.DEBUG, logger="flame_hub"):
        with pytest.raises(errors.HubAPIError):
            session.request("core", "GET", "nodes", params=[("page[limit]", 1)])

    lines = [record.getMessage() for record in caplog.records if record.name == "flame_hub._transport"]
    assert len(lines) == 1
    assert lines[0].startswith(f"GET {fake_hub.url}/core/nodes?page[limit]=1 -> ")
    assert " ms)" in lines[0]


def test_nothing_configured_at_import():
    logger = logging.getLogger("flame_hub")

    assert logger.handlers == []
    assert logger.level == logging.NOTSET


def test_query_encoding_sent(fake_hub, session):
    params = [("filter[name]", "!~lab,x"), ("fields", "+accountSecret"), ("filter[hidden]", False), ("page[limit]", 5)]

    with pytest.raises(errors.HubAPIError):
        session.request("core", "GET", "nodes", params=params)

    sent = logged(fake_hub, "/core/nodes", "GET", 1)[-1]
    assert sent.query == "filter[name]=%21~lab%2Cx&fields=%2BaccountSecret&filter[hidden]=false&page[limit]=5"
    assert sent.query_params[1] == ("fields", "+accountSecret")


def test_base_url_path_prefix_kept(fake_hub):
    with flame_hub.Session(core_url=fake_hub.url + "/hub/core", retries=0) as session:
        assert session.build_url("core", "nodes") == fake_hub.url + "/hub/core/nodes"
        assert session.build_url("core", "/nodes/x") == fake_hub.url + "/hub/core/nodes/x"
        with pytest.raises(errors.NotFound):
            session.request("core", "GET", "nodes")

    assert len(logged(fake_hub, "/hub/core/nodes", "GET", 1)) == 1


def test_service_urls_derived(fake_hub):
    with flame_hub.Session(fake_hub.url + "/") as session:
        assert session.auth_url == fake_hub.url + "/auth/"
        assert session.core_url == fake_hub.url + "/core/"
        assert session.storage_url == fake_hub.url + "/storage/"


def test_service_url_override(fake_hub):
    with flame_hub.Session("https://hub.example/prefix", storage_url="https://files.example/s") as session:
        assert session.core_url == "https://hub.example/prefix/core/"
        assert session.storage_url == "https://files.example/s/"


def test_missing_service_url_named():
    with flame_hub.Session(core_url="https://hub.example/core/") as session:
        with pytest.raises(errors.ConfigurationError, match="storage"):
            session.request("storage", "GET", "buckets")


def test_closed_session_rejects_requests(fake_hub):
    session = flame_hub.Session(fake_hub.url)
    session.close()

    with pytest.raises(errors.HubError, match="closed"):
        session.request("core", "GET", "nodes")


def test_retry_backoff_grows_and_caps():
    retry = Retry(total=5, backoff_factor=1.0, backoff_max=3.0, jitter=False)

    assert [retry.backoff(n) for n in range(1, 5)] == [1.0, 2.0, 3.0, 3.0]


def test_retry_rejects_negative_values():
    with pytest.raises(errors.ConfigurationError, match="total=-1"):
        Retry(total=-1)
    with pytest.raises(errors.ConfigurationError, match="must not be negative"):
        Retry(backoff_factor=-0.5)


def test_timeout_invalid_rejected(fake_hub):
    with pytest.raises(errors.ConfigurationError, match="timeout="):
        flame_hub.Session(fake_hub.url, timeout="slow")
    with pytest.raises(errors.ConfigurationError, match="timeout="):
        flame_hub.Session(fake_hub.url, timeout=(1, 2, 3))


def test_stream_retried_then_returned_unread(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", status=503, times=1)
    auth = flame_hub.auth.PasswordAuth("admin", "start123")

    with flame_hub.Session(fake_hub.url, auth=auth, retries=FAST_RETRY) as session:
        response = session.request("core", "GET", "nodes", stream=True)
        try:
            assert not response.is_stream_consumed
            body = response.read()
        finally:
            response.close()

    assert response.status_code == 200
    assert b'"data"' in body
    assert [record.status for record in logged(fake_hub, "/core/nodes", "GET", 2)] == [503, 200]


def test_stream_error_body_read(fake_hub):
    fake_hub.add_fault(
        "GET",
        "/core/nodes",
        status=404,
        body={"statusCode": 404, "code": "entity_not_found", "message": "The node was not found.", "issues": []},
    )

    with flame_hub.Session(fake_hub.url, retries=0) as session:
        with pytest.raises(errors.NotFound) as info:
            session.request("core", "GET", "nodes", stream=True)

    assert info.value.message == "The node was not found."
