"""Login flows, token renewal and refresh rotation of flame_hub.auth, against the fake Hub's token endpoint."""

import logging
import threading
import time

import httpx2
import pytest
from _request_log import logged

import flame_hub
from flame_hub import errors
from flame_hub.auth import ClientAuth, PasswordAuth, RobotAuth, StaticAuth
from flame_hub.testing import FakeHub

ADMIN = ("admin", "start123")
SYSTEM = ("system", "start123")


def token_requests(hub, count=1):
    return logged(hub, "/auth/token", "POST", count)


def revoke_tokens(hub, kind):
    """Revoke every token of ``kind`` ("access" or "refresh") that the fake Hub has issued."""

    def revoke():
        for record in hub.state.tokens.values():
            if record.kind == kind:
                record.revoked = True

    hub.run_in_loop(revoke)


def list_nodes(session):
    return session.request_json("core", "GET", "nodes", params=[("page[limit]", 1)])


def whoami(session):
    return session.request_json("auth", "GET", "users/@me")


def log_in(session):
    return session.auth.access_token(session)


@pytest.fixture
def short_token_hub():
    """A fake Hub of its own whose access tokens live two seconds."""
    with FakeHub(access_token_lifetime=2.0) as hub:
        yield hub


@pytest.fixture
def one_second_hub():
    """A fake Hub of its own whose access tokens live one second, renewed after 0.75 s."""
    with FakeHub(access_token_lifetime=1.0) as hub:
        yield hub


# -- login flows and their token requests ------------------------------------------------------


def test_password_token_body(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        body = whoami(session)

    assert body["data"]["name"] == "admin"
    sent = token_requests(fake_hub)
    assert len(sent) == 1
    assert sent[0].body == {"grant_type": "password", "username": "admin", "password": "start123"}
    assert sent[0].headers["content-type"] == "application/json"
    assert "authorization" not in sent[0].headers


def test_bearer_header_sent(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        list_nodes(session)

    header = logged(fake_hub, "/core/nodes", "GET", 1)[-1].headers["authorization"]
    assert header.startswith("Bearer ")
    assert header.removeprefix("Bearer ") in fake_hub.state.tokens


def test_password_realm_name(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN, realm="master")) as session:
        log_in(session)

    assert token_requests(fake_hub)[0].body["realm_name"] == "master"
    assert "realm_id" not in token_requests(fake_hub)[0].body


def test_password_realm_id(fake_hub):
    realm_id = fake_hub.state.known["master_realm_id"]

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN, realm=realm_id)) as session:
        log_in(session)

    assert token_requests(fake_hub)[0].body["realm_id"] == realm_id
    assert "realm_name" not in token_requests(fake_hub)[0].body


def test_client_token_body(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=ClientAuth(*SYSTEM)) as session:
        log_in(session)

    assert token_requests(fake_hub)[0].body == {
        "grant_type": "client_credentials",
        "client_id": "system",
        "client_secret": "start123",
    }


def test_official_keyword_spelling(fake_hub):
    auth_url = fake_hub.url + "/auth"
    password = PasswordAuth(username="admin", password="start123", base_url=auth_url)
    client = ClientAuth(client_id="system", client_secret="start123", base_url=auth_url)
    robot = RobotAuth(robot_id="r", robot_secret="s", base_url=auth_url)
    static = StaticAuth(access_token="abc")

    assert password.base_url == auth_url + "/"
    assert client.client_id == "system"
    assert robot.robot_id == "r"
    assert static.access_token(None) == "abc"


def test_auth_base_url_used(fake_hub):
    auth = PasswordAuth(*ADMIN, base_url=fake_hub.auth_url)
    # The Session's own auth URL points nowhere: the token request must use the auth's base_url.
    with flame_hub.Session(core_url=fake_hub.core_url, auth_url="http://127.0.0.1:9/auth/", auth=auth) as session:
        log_in(session)

    assert len(token_requests(fake_hub)) == 1


def test_static_token_sent(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        token = session.auth.access_token(session)

    with flame_hub.Session(fake_hub.url, auth=StaticAuth(token)) as session:
        whoami(session)

    assert len(token_requests(fake_hub)) == 1
    assert logged(fake_hub, "/auth/users/@me", "GET", 1)[-1].headers["authorization"] == f"Bearer {token}"


# -- failed logins -------------------------------------------------------------------------------


def test_wrong_password_raises(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth("admin", "wrong-password-77")) as session:
        with pytest.raises(errors.AuthenticationError) as info:
            whoami(session)

    message = str(info.value)
    assert "user 'admin'" in message
    assert "invalid_credentials" in message
    assert "wrong-password-77" not in message
    assert info.value.status_code == 400
    assert info.value.request is None
    assert info.value.response is None
    assert len(token_requests(fake_hub)) == 1
    assert fake_hub.requests_to("/auth/users/@me") == []


def test_token_endpoint_401_not_looped(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=ClientAuth("system", "wrong-secret-55")) as session:
        with pytest.raises(errors.AuthenticationError) as info:
            whoami(session)

    assert info.value.status_code == 401
    assert info.value.code == "invalid_client"
    assert "wrong-secret-55" not in str(info.value)
    assert len(logged(fake_hub, "/auth/token", "POST", 1)) == 1


def test_robot_on_new_hub_names_client_auth(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=RobotAuth("00000000-0000-4000-8000-000000000000", "s3cr3t-r0b0t")) as s:
        with pytest.raises(errors.AuthenticationError) as info:
            whoami(s)

    message = str(info.value)
    assert "no longer supports robots" in message
    assert "ClientAuth" in message
    assert "s3cr3t-r0b0t" not in message
    assert token_requests(fake_hub)[0].body == {
        "grant_type": "robot_credentials",
        "id": "00000000-0000-4000-8000-000000000000",
        "secret": "s3cr3t-r0b0t",
    }


def test_robot_on_legacy_hub_logs_in():
    with FakeHub(legacy_robots=True) as hub:
        with flame_hub.Session(hub.url, auth=PasswordAuth(*ADMIN)) as admin:
            realm_id = hub.state.known["master_realm_id"]
            robot = admin.request_json(
                "auth", "POST", "robots", json={"name": "robot-1", "secret": "robot-secret-123", "realmId": realm_id}
            )["data"]

        with flame_hub.Session(hub.url, auth=RobotAuth(robot["id"], "robot-secret-123")) as session:
            token = session.auth.access_token(session)

        sent = token_requests(hub, 2)[-1]

    assert token in hub.state.tokens
    assert sent.body == {"grant_type": "robot_credentials", "id": robot["id"], "secret": "robot-secret-123"}
    assert sent.status == 200


def test_throttled_login_not_hammered(fake_hub):
    fake_hub.add_fault("POST", "/auth/token", status=429, retry_after=30, times=5)

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        with pytest.raises(errors.AuthenticationError) as first:
            whoami(session)
        with pytest.raises(errors.AuthenticationError) as second:
            whoami(session)

    assert first.value.retry_after == 30
    assert "retry after 30 s" in str(first.value)
    assert second.value.status_code == 429
    assert len(logged(fake_hub, "/auth/token", "POST", 1)) == 1


def test_throttled_login_body_retry_after(fake_hub):
    body = {
        "name": "TooManyRequestsError",
        "message": "Too many requests.",
        "code": "too_many_requests",
        "retryAfter": 12,
    }
    fake_hub.add_fault("POST", "/auth/token", status=429, body=body)

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        with pytest.raises(errors.AuthenticationError) as info:
            whoami(session)

    assert info.value.retry_after == 12


# -- renewal ---------------------------------------------------------------------------------------


def test_short_tokens_renewed(short_token_hub):
    with flame_hub.Session(short_token_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        whoami(session)
        time.sleep(1.6)
        whoami(session)

    sent = token_requests(short_token_hub, 2)
    assert [record.body["grant_type"] for record in sent] == ["password", "refresh_token"]
    # Renewed before expiry: the Hub never had to reject a token.
    assert all(record.status == 200 for record in short_token_hub.requests_to("/auth/users/@me", "GET"))


def test_refresh_tokens_rotate(one_second_hub):
    with flame_hub.Session(one_second_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        for _ in range(3):
            whoami(session)
            time.sleep(0.8)
        whoami(session)

    refreshes = [record for record in token_requests(one_second_hub) if record.body["grant_type"] == "refresh_token"]
    sent_tokens = [record.body["refresh_token"] for record in refreshes]
    assert len(sent_tokens) == 3
    assert len(set(sent_tokens)) == 3
    assert all(record.status == 200 for record in refreshes)


def test_rejected_refresh_falls_back_to_password(one_second_hub):
    with flame_hub.Session(one_second_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        whoami(session)
        revoke_tokens(one_second_hub, "refresh")
        time.sleep(0.8)
        whoami(session)

    sent = token_requests(one_second_hub, 3)
    assert [record.body["grant_type"] for record in sent] == ["password", "refresh_token", "password"]
    assert [record.status for record in sent] == [200, 400, 200]


def test_inactive_jwt_renews_once(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        list_nodes(session)
        revoke_tokens(fake_hub, "access")
        body = list_nodes(session)

    assert isinstance(body["data"], list)
    statuses = [record.status for record in logged(fake_hub, "/core/nodes", "GET", 3)]
    assert statuses == [200, 500, 200]
    assert [record.body["grant_type"] for record in token_requests(fake_hub, 2)] == ["password", "refresh_token"]


def test_authup_401_renews_once(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        session.request_json("auth", "GET", "users/@me")
        revoke_tokens(fake_hub, "access")
        body = session.request_json("auth", "GET", "users/@me")

    assert body["data"]["name"] == "admin"
    statuses = [record.status for record in logged(fake_hub, "/auth/users/@me", "GET", 3)]
    assert statuses == [200, 401, 200]


def test_repeated_rejection_raises(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", status=401, times=5)

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        with pytest.raises(errors.Unauthorized):
            list_nodes(session)

    assert len(logged(fake_hub, "/core/nodes", "GET", 2)) == 2


def test_static_token_rejected_clearly(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        token = session.auth.access_token(session)
    revoke_tokens(fake_hub, "access")

    with flame_hub.Session(fake_hub.url, auth=StaticAuth(token)) as session:
        with pytest.raises(errors.AuthenticationError) as info:
            list_nodes(session)

    assert "StaticAuth cannot renew" in str(info.value)
    assert token not in str(info.value)
    assert len(logged(fake_hub, "/core/nodes", "GET", 1)) == 1


def test_post_resent_after_token_rejection(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        list_nodes(session)
        revoke_tokens(fake_hub, "access")
        body = session.request_json("core", "POST", "nodes", json={"name": "lab-renewed"})

    assert body["data"]["name"] == "lab-renewed"
    statuses = [record.status for record in logged(fake_hub, "/core/nodes", "POST", 2)]
    assert statuses == [500, 201]


# -- threads -----------------------------------------------------------------------------------------


def run_threads(count, work):
    failures = []

    def run():
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - every failure is reported by the assert below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_threads_log_in_once(fake_hub):
    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        failures = run_threads(16, lambda: [whoami(session) for _ in range(5)])

    assert failures == []
    assert len(token_requests(fake_hub)) == 1
    assert len(logged(fake_hub, "/auth/users/@me", "GET", 80)) == 80


def test_threads_renew_together(one_second_hub):
    def work():
        for _ in range(4):
            whoami(session)
            time.sleep(0.3)

    with flame_hub.Session(one_second_hub.url, auth=PasswordAuth(*ADMIN)) as session:
        failures = run_threads(16, work)

    assert failures == []
    sent = token_requests(one_second_hub)
    # 64 requests over about 1.2 s of 1-second tokens: one login and a few renewals, never one per thread.
    assert 1 <= len(sent) <= 4
    assert all(record.status == 200 for record in sent)
    assert all(record.status == 200 for record in one_second_hub.requests_to("/auth/users/@me", "GET"))


# -- secrets ----------------------------------------------------------------------------------------


def test_secrets_absent_from_reprs(fake_hub):
    password = PasswordAuth("admin", "start123", realm="master")
    client = ClientAuth("system", "client-secret-42")
    robot = RobotAuth("robot-1", "robot-secret-42")
    static = StaticAuth("static-token-42")

    with flame_hub.Session(fake_hub.url, auth=password) as session:
        session_text = repr(session) + str(session)

    assert "start123" not in repr(password) + str(password)
    assert "client-secret-42" not in repr(client) + str(client)
    assert "robot-secret-42" not in repr(robot) + str(robot)
    assert "static-token-42" not in repr(static) + str(static)
    assert "start123" not in session_text
    assert fake_hub.url in session_text
    assert "identity=user" in session_text


def test_secrets_absent_from_logs(fake_hub, caplog):
    with caplog.at_level(logging.DEBUG, logger="flame_hub"):
        with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN)) as session:
            whoami(session)
            token = session.auth.access_token(session)
            revoke_tokens(fake_hub, "access")
            whoami(session)
            new_token = session.auth.access_token(session)

    assert caplog.records
    assert "start123" not in caplog.text
    assert token not in caplog.text
    assert new_token not in caplog.text
    for refresh in [record.body.get("refresh_token") for record in token_requests(fake_hub)]:
        if refresh:
            assert refresh not in caplog.text


def test_secrets_absent_from_error_reprs(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", status=403)

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN), retries=0) as session:
        with pytest.raises(errors.PermissionDenied) as info:
            list_nodes(session)
        token = session.auth.access_token(session)

    error = info.value
    texts = [str(error), repr(error), repr(error.request), repr(error.response), repr(error.request.headers)]
    assert all(token not in text for text in texts)


# -- as an httpx2.Auth outside a Session --------------------------------------------------------------


def test_httpx2_auth_flow(fake_hub):
    auth = PasswordAuth("admin", "start123", base_url=fake_hub.auth_url)

    with httpx2.Client(auth=auth) as client:
        first = client.get(fake_hub.core_url + "nodes")
        second = client.get(fake_hub.core_url + "nodes")

    assert first.status_code == 200
    assert second.status_code == 200
    assert len(token_requests(fake_hub)) == 1
    assert token_requests(fake_hub)[0].body["grant_type"] == "password"


def test_httpx2_auth_flow_renews_rejected_token(fake_hub):
    auth = ClientAuth("system", "start123", base_url=fake_hub.auth_url)

    with httpx2.Client(auth=auth) as client:
        client.get(fake_hub.core_url + "nodes")
        revoke_tokens(fake_hub, "access")
        response = client.get(fake_hub.core_url + "nodes")

    assert response.status_code == 200
    assert [record.status for record in logged(fake_hub, "/core/nodes", "GET", 3)] == [200, 500, 200]
    assert len(token_requests(fake_hub, 2)) == 2


def test_token_client_used(fake_hub):
    with httpx2.Client(base_url=fake_hub.auth_url, headers={"X-Token-Client": "yes"}) as token_client:
        auth = PasswordAuth("admin", "start123", client=token_client)
        with flame_hub.Session(fake_hub.url, auth=auth) as session:
            whoami(session)

    assert token_requests(fake_hub)[0].headers["x-token-client"] == "yes"


def test_auth_flow_without_base_url_rejected(fake_hub):
    with httpx2.Client(auth=PasswordAuth("admin", "start123")) as client:
        with pytest.raises(errors.ConfigurationError, match="base_url="):
            client.get(fake_hub.core_url + "nodes")


def test_failed_renewal_keeps_valid_token(caplog):
    # 3-second tokens renew after 2.25 s, which leaves 0.75 s in which the old token still works.
    with FakeHub(access_token_lifetime=3.0) as hub:
        with flame_hub.Session(hub.url, auth=PasswordAuth(*ADMIN)) as session:
            whoami(session)
            hub.add_fault("POST", "/auth/token", status=503, times=1)
            time.sleep(2.3)
            with caplog.at_level(logging.WARNING, logger="flame_hub"):
                whoami(session)
            whoami(session)

        sent = token_requests(hub, 3)
        statuses = [record.status for record in logged(hub, "/auth/users/@me", "GET", 3)]

    assert [(record.body["grant_type"], record.status) for record in sent] == [
        ("password", 200),
        ("refresh_token", 503),
        ("refresh_token", 200),
    ]
    assert statuses == [200, 200, 200]
    assert "using the current token until it expires" in caplog.text


def test_token_request_timeout_message(fake_hub):
    fake_hub.add_fault("POST", "/auth/token", delay=0.5)

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth(*ADMIN), timeout=0.1) as session:
        with pytest.raises(errors.Timeout) as info:
            whoami(session)

    message = str(info.value)
    assert message.startswith(f"The token request for user 'admin' to {fake_hub.url}/auth/token failed: ")
    assert "timed out after 0.1 s" in message
    assert "start123" not in message
    assert "record" not in message
