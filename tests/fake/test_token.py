"""The fake Hub's token endpoint: grants, errors, rotation, expiry, introspection and revocation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest

from flame_hub.testing import FakeHub

ADMIN = {"username": "admin", "password": "start123"}
SYSTEM = {"client_id": "system", "client_secret": "start123"}


@pytest.fixture
def hub(fake_hub: FakeHub) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=fake_hub.url) as client:
        yield client


def token(client: httpx2.Client, **parameters: str) -> httpx2.Response:
    return client.post("/auth/token", json=parameters)


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def me(client: httpx2.Client, access_token: str) -> httpx2.Response:
    return client.get("/auth/users/@me", headers=bearer(access_token))


# -- password grant ----------------------------------------------------------------------------


def test_password_grant_json(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="password", **ADMIN)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "token_type",
        "scope",
        "refresh_token",
        "refresh_token_expires_in",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token_expires_in"] == 259_200
    assert body["scope"] == "global"
    assert me(hub, body["access_token"]).json()["data"]["name"] == "admin"


def test_password_grant_form(hub: httpx2.Client) -> None:
    response = hub.post("/auth/token", data={"grant_type": "password", **ADMIN})

    assert response.status_code == 200
    assert "refresh_token" in response.json()


def test_password_grant_name_case_insensitive(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="password", username="ADMIN", password="start123")

    assert response.status_code == 200


def test_password_grant_unknown_realm_falls_back_to_master(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="password", realm_name="no-such-realm", **ADMIN)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "parameters",
    [
        {"username": "admin", "password": "wrong-password"},
        {"username": "nobody", "password": "start123"},
    ],
)
def test_password_grant_bad_credentials(hub: httpx2.Client, parameters: dict[str, str]) -> None:
    response = token(hub, grant_type="password", **parameters)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert body["name"] == "EntityCredentialsInvalidError"
    assert "statusCode" not in body


@pytest.mark.parametrize("missing", ["username", "password"])
def test_password_grant_missing_parameter(hub: httpx2.Client, missing: str) -> None:
    parameters = {key: value for key, value in ADMIN.items() if key != missing}

    response = token(hub, grant_type="password", **parameters)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request"
    assert body["error"] == "invalid_request"
    assert body["hint"] == "Check that all parameters have been provided correctly"


def test_password_grant_other_realm_needs_hint(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    realm = fake_hub.create_realm("tenant-a")
    fake_hub.create_user("alice", "alice-pass-123", realm="tenant-a")

    without_hint = token(hub, grant_type="password", username="alice", password="alice-pass-123")
    by_name = token(hub, grant_type="password", username="alice", password="alice-pass-123", realm_name="tenant-a")
    by_id = token(hub, grant_type="password", username="alice", password="alice-pass-123", realm_id=realm["id"])

    assert without_hint.status_code == 400
    assert by_name.status_code == 200
    assert by_id.status_code == 200
    assert me(hub, by_id.json()["access_token"]).json()["data"]["realmId"] == realm["id"]


def test_password_grant_inactive_user(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    user = fake_hub.create_user("bob", "bob-pass-1234")
    admin = fake_hub.issue_admin_token()
    hub.post(f"/auth/users/{user['id']}", json={"active": False}, headers=bearer(admin))

    response = token(hub, grant_type="password", username="bob", password="bob-pass-1234")

    assert response.status_code == 400
    assert response.json()["code"] == "entity_inactive"


# -- client credentials grant --------------------------------------------------------------------


def test_client_credentials_body(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="client_credentials", **SYSTEM)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    client = hub.get("/auth/clients/@me", headers=bearer(body["access_token"]))
    assert client.json()["data"]["name"] == "system"


def test_client_credentials_basic(hub: httpx2.Client) -> None:
    response = hub.post("/auth/token", json={"grant_type": "client_credentials"}, auth=("system", "start123"))

    assert response.status_code == 200


def test_client_credentials_basic_wrong_secret(hub: httpx2.Client) -> None:
    response = hub.post("/auth/token", json={"grant_type": "client_credentials"}, auth=("system", "wrong"))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_credentials_body_and_basic(hub: httpx2.Client) -> None:
    response = hub.post("/auth/token", json={"grant_type": "client_credentials", **SYSTEM}, auth=("system", "start123"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize(
    "parameters",
    [
        {"client_id": "system", "client_secret": "wrong-secret"},
        {"client_id": "no-such-client", "client_secret": "start123"},
        {"client_id": "system"},
    ],
)
def test_client_credentials_rejected(hub: httpx2.Client, parameters: dict[str, str]) -> None:
    response = token(hub, grant_type="client_credentials", **parameters)

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "invalid_client"
    assert body["message"] == "Client authentication failed"


def test_client_credentials_by_id_and_name(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    client = fake_hub.create_client("robot-like", "client-secret-123")

    by_id = token(hub, grant_type="client_credentials", client_id=client["id"], client_secret="client-secret-123")
    by_name = token(hub, grant_type="client_credentials", client_id="robot-like", client_secret="client-secret-123")

    assert by_id.status_code == 200
    assert by_name.status_code == 200


def test_uuid_named_client_login(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    name = "0b6c2a55-4bd7-4a44-9b0e-3c2d6f0e9a11"
    client = fake_hub.create_client(name, "client-secret-123")

    by_name = token(hub, grant_type="client_credentials", client_id=name, client_secret="client-secret-123")
    by_id = token(hub, grant_type="client_credentials", client_id=client["id"], client_secret="client-secret-123")

    assert by_name.status_code == 401
    assert by_id.status_code == 200


def test_client_credentials_inactive_client(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    client = fake_hub.create_client("sleepy", "client-secret-123")
    hub.post(f"/auth/clients/{client['id']}", json={"active": False}, headers=bearer(fake_hub.issue_admin_token()))

    response = token(hub, grant_type="client_credentials", client_id=client["id"], client_secret="client-secret-123")

    assert response.status_code == 401
    assert response.json()["message"] == "Client is inactive"


def test_client_credentials_generated_secret(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    client = fake_hub.create_client("generated", None)

    response = token(hub, grant_type="client_credentials", client_id=client["id"], client_secret=client["secret"])

    assert len(client["secret"]) == 64
    assert response.status_code == 200


# -- grant type guessing and unsupported grants ----------------------------------------------------


def test_grant_guessed_from_user_credentials(hub: httpx2.Client) -> None:
    response = token(hub, **ADMIN)

    assert response.status_code == 200
    assert "refresh_token" in response.json()


def test_grant_guessed_from_client_credentials(hub: httpx2.Client) -> None:
    response = token(hub, **SYSTEM)

    assert response.status_code == 200
    assert "refresh_token" not in response.json()


@pytest.mark.parametrize(
    "parameters",
    [{}, {"grant_type": "foo_bar"}, {"grant_type": "robot_credentials", "id": "x", "secret": "y"}],
)
def test_unsupported_grant_type(hub: httpx2.Client, parameters: dict[str, str]) -> None:
    response = token(hub, **parameters)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unsupported_token_grant_type"
    assert body["error"] == "unsupported_grant_type"


def test_authorization_code_without_client(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="authorization_code", code="nope")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_client"


# -- refresh tokens --------------------------------------------------------------------------------


def test_refresh_without_token(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="refresh_token")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_refresh_unknown_token(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="refresh_token", refresh_token="garbage")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_grant"


def test_refresh_rotates(hub: httpx2.Client) -> None:
    first = token(hub, grant_type="password", **ADMIN).json()

    second = token(hub, grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert second.status_code == 200
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert me(hub, body["access_token"]).status_code == 200


def test_refresh_replay_revokes_family(hub: httpx2.Client) -> None:
    first = token(hub, grant_type="password", **ADMIN).json()
    second = token(hub, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()

    replay = token(hub, grant_type="refresh_token", refresh_token=first["refresh_token"])
    after_replay = token(hub, grant_type="refresh_token", refresh_token=second["refresh_token"])

    assert replay.status_code == 400
    assert replay.json()["code"] == "invalid_grant"
    assert after_replay.status_code == 400
    assert me(hub, second["access_token"]).json()["code"] == "inactive_token"


def test_refresh_replay_spares_other_logins(hub: httpx2.Client) -> None:
    victim = token(hub, grant_type="password", **ADMIN).json()
    bystander = token(hub, grant_type="password", **ADMIN).json()
    token(hub, grant_type="refresh_token", refresh_token=victim["refresh_token"])

    token(hub, grant_type="refresh_token", refresh_token=victim["refresh_token"])

    assert me(hub, bystander["access_token"]).status_code == 200


def test_refresh_guessed_without_grant_type(hub: httpx2.Client) -> None:
    first = token(hub, grant_type="password", **ADMIN).json()

    response = token(hub, refresh_token=first["refresh_token"])

    assert response.status_code == 200


# -- expiry ------------------------------------------------------------------------------------------


def test_access_token_expires() -> None:
    with FakeHub(access_token_lifetime=1.0) as short_lived, httpx2.Client(base_url=short_lived.url) as client:
        login = token(client, grant_type="password", **ADMIN).json()
        assert login["expires_in"] == 1
        assert me(client, login["access_token"]).status_code == 200

        time.sleep(1.1)
        expired = me(client, login["access_token"])
        refreshed = token(client, grant_type="refresh_token", refresh_token=login["refresh_token"])

    assert expired.status_code == 401
    assert expired.json()["code"] == "expired_token"
    assert refreshed.status_code == 200


def test_refresh_token_expires() -> None:
    with FakeHub(refresh_token_lifetime=0.2) as short_lived, httpx2.Client(base_url=short_lived.url) as client:
        login = token(client, grant_type="password", **ADMIN).json()
        time.sleep(0.3)
        response = token(client, grant_type="refresh_token", refresh_token=login["refresh_token"])

    assert login["refresh_token_expires_in"] == 1
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_grant"


# -- bearer checks -----------------------------------------------------------------------------------


def test_bearer_missing(hub: httpx2.Client) -> None:
    response = hub.get("/auth/users/@me")

    assert response.status_code == 401
    assert response.json()["code"] == "identity_unauthorized"


def test_bearer_garbage(hub: httpx2.Client) -> None:
    response = me(hub, "invalid-garbage-token-0000")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_bearer_garbage_on_anonymous_route(hub: httpx2.Client) -> None:
    anonymous = hub.get("/auth/realms")
    garbage = hub.get("/auth/realms", headers=bearer("invalid-garbage-token-0000"))

    assert anonymous.status_code == 200
    assert garbage.status_code == 401


def test_refresh_token_is_no_bearer(hub: httpx2.Client) -> None:
    login = token(hub, grant_type="password", **ADMIN).json()

    response = me(hub, login["refresh_token"])

    assert response.status_code == 401


# -- introspection and revocation ---------------------------------------------------------------------


def test_introspect_live_token(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    admin = fake_hub.issue_admin_token()
    victim = token(hub, grant_type="password", **ADMIN).json()["access_token"]

    body = hub.post("/auth/token/introspect", json={"token": victim}, headers=bearer(admin)).json()

    assert body["active"] is True
    assert body["sub"] == fake_hub.state.known["admin_user_id"]
    assert body["sub_kind"] == "user"
    assert body["realm_name"] == "master"
    assert body["global_access"] == {"roles": ["admin"]}
    names = {permission["name"] for permission in body["permissions"]}
    assert {"node_create", "user_read", "analysis_update"} <= names


def test_introspect_garbage_describes_caller(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    system = token(hub, grant_type="client_credentials", **SYSTEM).json()["access_token"]

    body = hub.post("/auth/token/introspect", json={"token": "garbage"}, headers=bearer(system)).json()

    assert body["active"] is True
    assert body["sub_kind"] == "client"
    assert body["sub"] == fake_hub.state.known["system_client_id"]


def test_introspect_garbage_anonymous(hub: httpx2.Client) -> None:
    response = hub.post("/auth/token/introspect", json={"token": "garbage"})

    assert response.json() == {"active": False}


def test_revoke_ends_login(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    victim = token(hub, grant_type="password", **ADMIN).json()

    revoke = hub.post("/auth/token/revoke", json={"token": victim["access_token"]})
    introspection = hub.post(
        "/auth/token/introspect", json={"token": victim["access_token"]}, headers=bearer(fake_hub.issue_admin_token())
    ).json()
    refresh = token(hub, grant_type="refresh_token", refresh_token=victim["refresh_token"])

    assert revoke.status_code == 200
    assert revoke.content == b""
    assert "content-type" not in revoke.headers
    assert introspection["active"] is False
    assert "permissions" not in introspection
    assert me(hub, victim["access_token"]).json()["code"] == "inactive_token"
    assert refresh.status_code == 400


def test_revoke_unknown_token(hub: httpx2.Client) -> None:
    response = hub.post("/auth/token/revoke", json={"token": "garbage"})

    assert response.status_code == 200


# -- OpenID documents and status ------------------------------------------------------------------------


def test_userinfo_has_email(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    body = hub.get("/auth/userinfo", headers=bearer(fake_hub.issue_admin_token())).json()

    assert body["name"] == "admin"
    assert body["email"] == "admin@example.com"
    assert "password" not in body


def test_openid_configuration(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    body = hub.get("/auth/realms/master/.well-known/openid-configuration").json()

    assert body["token_endpoint"] == f"{fake_hub.url}/auth/token"
    assert body["issuer"] == f"{fake_hub.url}/auth/realms/master"
    assert body["introspection_endpoint"].endswith("/auth/token/introspect")


def test_jwks(hub: httpx2.Client) -> None:
    keys = hub.get("/auth/jwks").json()["keys"]

    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"


def test_status(hub: httpx2.Client) -> None:
    body = hub.get("/auth/").json()

    assert body["version"] == "1.0.0-beta.63"
    assert set(body["features"]) == {"registration", "passwordRecovery", "emailVerification", "accountConsole"}


def test_refresh_bound_to_client(fake_hub: FakeHub, hub: httpx2.Client) -> None:
    fake_hub.create_client("web-app", "web-app-secret")
    client = {"client_id": "web-app", "client_secret": "web-app-secret"}
    login = token(hub, grant_type="password", **ADMIN, **client).json()

    without_client = token(hub, grant_type="refresh_token", refresh_token=login["refresh_token"])
    other_client = token(hub, grant_type="refresh_token", refresh_token=login["refresh_token"], **SYSTEM)
    with_client = token(hub, grant_type="refresh_token", refresh_token=login["refresh_token"], **client)

    assert without_client.status_code == 401
    assert other_client.status_code == 400
    assert with_client.status_code == 200


def test_password_grant_wrong_client_secret(hub: httpx2.Client) -> None:
    response = token(hub, grant_type="password", client_id="system", client_secret="wrong", **ADMIN)

    assert response.status_code == 401
