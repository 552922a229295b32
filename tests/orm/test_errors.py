"""Error classes and the parsing of every error body shape, over HTTP against the fake Hub."""

import httpx2
import pytest

import flame_hub
from flame_hub import errors
from flame_hub.errors import parse_error_body


@pytest.fixture
def session(fake_hub):
    with flame_hub.Session(fake_hub.url, retries=0) as session:
        yield session


def test_hub_body_parsed(fake_hub, session):
    body = {
        "statusCode": 400,
        "code": "bad_request",
        "message": "Property name is invalid",
        "issues": [{"type": "item", "path": ["name"], "message": "too short", "code": "min_length"}],
    }
    fake_hub.add_fault("POST", "/core/nodes", status=400, body=body)

    with pytest.raises(errors.BadRequest) as info:
        session.request("core", "POST", "nodes", json={"name": "x"})

    error = info.value
    assert error.status_code == 400
    assert error.code == "bad_request"
    assert error.message == "Property name is invalid"
    assert error.issues == body["issues"]
    assert "name: too short (path: name)" in str(error)
    assert error.response is not None
    assert error.request is not None
    assert error.request.method == "POST"


def test_error_response_compatibility(fake_hub, session):
    fake_hub.add_fault(
        "GET",
        "/core/nodes/*",
        status=404,
        body={
            "statusCode": 404,
            "code": "entity_not_found",
            "message": "The node was not found.",
            "issues": [],
        },
    )

    with pytest.raises(errors.NotFound) as info:
        session.request("core", "GET", "nodes/00000000-0000-4000-8000-000000000000")

    assert info.value.error_response.status_code == 404
    assert info.value.error_response.code == "entity_not_found"
    assert info.value.error_response.message == "The node was not found."
    assert info.value.error_response.issues == []


def test_authup_body_parsed(fake_hub, session):
    body = {
        "name": "OAuth2RequestError",
        "message": "username and password must be provided.",
        "code": "invalid_request",
        "@instanceof": ["@ebec/core/BaseError"],
        "error": "invalid_request",
        "hint": "Check that all parameters have been provided correctly",
    }
    fake_hub.add_fault("GET", "/auth/users", status=400, body=body)

    with pytest.raises(errors.BadRequest) as info:
        session.request("auth", "GET", "users")

    assert info.value.status_code == 400
    assert info.value.code == "invalid_request"
    assert info.value.error == "invalid_request"
    assert info.value.message == "username and password must be provided."
    assert info.value.issues == []


def test_code_falls_back_to_error(fake_hub, session):
    fake_hub.add_fault("GET", "/auth/users", status=400, body={"error": "invalid_grant", "message": "bad"})

    with pytest.raises(errors.BadRequest) as info:
        session.request("auth", "GET", "users")

    assert info.value.code == "invalid_grant"


def test_html_502_body(fake_hub, session):
    fake_hub.add_fault("GET", "/core/nodes", status=502, body=b"<html><body><h1>502 Bad Gateway</h1></body></html>")

    with pytest.raises(errors.ServerError) as info:
        session.request("core", "GET", "nodes")

    error = info.value
    assert error.status_code == 502
    assert error.code == "bad_gateway"
    assert "502 Bad Gateway" in error.message
    assert error.__cause__ is None
    assert error.__context__ is None


def test_empty_body(fake_hub, session):
    fake_hub.add_fault("DELETE", "/core/nodes/*", status=503, body=b"")

    with pytest.raises(errors.ServerError) as info:
        session.request("core", "DELETE", "nodes/00000000-0000-4000-8000-000000000000")

    assert info.value.status_code == 503
    assert info.value.code == "service_unavailable"
    assert "empty body" in info.value.message


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (403, errors.PermissionDenied),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (507, errors.ServerError),
        (418, errors.HubAPIError),
    ],
)
def test_status_selects_class(fake_hub, session, status, error_class):
    fake_hub.add_fault("POST", "/core/nodes", status=status)

    with pytest.raises(error_class) as info:
        session.request("core", "POST", "nodes", json={})

    assert type(info.value) is error_class
    assert info.value.status_code == status
    assert info.value.code == "fault_injected"


def test_rate_limited_retry_after(fake_hub, session):
    fake_hub.add_fault("POST", "/core/nodes", status=429, retry_after=7)

    with pytest.raises(errors.RateLimited) as info:
        session.request("core", "POST", "nodes", json={})

    assert info.value.retry_after == 7


def test_group_issues_flattened():
    content = (
        b'{"statusCode": 400, "code": "bad_request", "message": "Invalid", "issues": ['
        b'{"type": "group", "path": ["config"], "message": "group", "issues": ['
        b'{"type": "item", "path": ["config", "size"], "message": "too big", "code": "max"}]}]}'
    )
    parsed = parse_error_body(400, content)

    error = errors.BadRequest(parsed.message, status_code=400, code=parsed.code, issues=parsed.issues)

    assert "size: too big (path: config.size)" in str(error)


def test_not_json_object_body():
    parsed = parse_error_body(500, b'["not", "an", "object"]')

    assert parsed.code == "internal_server_error"
    assert parsed.issues == []


def test_object_does_not_exist_is_not_found():
    error = errors.ObjectDoesNotExist("No node matches name='x'.")

    assert isinstance(error, errors.NotFound)
    assert error.status_code == 404
    assert error.code == "not_found"
    assert error.response is None


def test_errors_exported_at_top_level():
    for name in (
        "HubError",
        "HubAPIError",
        "BadRequest",
        "Unauthorized",
        "PermissionDenied",
        "NotFound",
        "Conflict",
        "RateLimited",
        "ServerError",
        "TransportError",
        "Timeout",
        "AuthenticationError",
        "ObjectDoesNotExist",
        "MultipleObjectsReturned",
    ):
        assert getattr(flame_hub, name) is getattr(errors, name)
        assert name in flame_hub.__all__


def test_api_error_is_httpx2_error(fake_hub, session):
    fake_hub.add_fault(
        "POST",
        "/core/nodes",
        status=409,
        body={
            "statusCode": 409,
            "code": "entity_conflict",
            "message": "An entry already exists.",
            "issues": [],
        },
    )

    with pytest.raises(httpx2.HTTPError) as info:
        session.request("core", "POST", "nodes", json={"name": "lab-1"})

    assert isinstance(info.value, errors.Conflict)
    assert info.value.headers["content-type"].startswith("application/json")
    assert info.value.request.url.path == "/core/nodes"


def test_transport_error_is_httpx2_error():
    with flame_hub.Session("http://127.0.0.1:9", retries=0) as session:
        with pytest.raises(httpx2.TransportError) as info:
            session.request("core", "GET", "nodes")

    assert isinstance(info.value, errors.TransportError)
    assert info.value.request.url == "http://127.0.0.1:9/core/nodes"


def test_timeout_is_httpx2_timeout(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", delay=0.5)

    with flame_hub.Session(fake_hub.url, retries=0, timeout=0.1) as session:
        with pytest.raises(httpx2.TimeoutException) as info:
            session.request("core", "GET", "nodes")

    assert isinstance(info.value, errors.Timeout)


def test_error_without_response_has_no_request():
    error = errors.NotFound("gone")

    assert error.request is None
    assert error.headers == httpx2.Headers()
