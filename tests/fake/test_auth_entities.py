"""The fake Hub's Authup entities: realms, users, roles, permissions, clients and their relations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from flame_hub.testing import FakeHub


class Auth:
    """A small client for ``/auth`` requests as one identity."""

    def __init__(self, client: httpx2.Client, access_token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}

    def get(self, path: str, **params: str) -> httpx2.Response:
        return self.client.get(f"/auth/{path}", params=params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> httpx2.Response:
        return self.client.post(f"/auth/{path}", json=body, headers=self.headers)

    def put(self, path: str, body: dict[str, Any]) -> httpx2.Response:
        return self.client.put(f"/auth/{path}", json=body, headers=self.headers)

    def delete(self, path: str) -> httpx2.Response:
        return self.client.delete(f"/auth/{path}", headers=self.headers)


@pytest.fixture
def http(fake_hub: FakeHub) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=fake_hub.url) as client:
        yield client


@pytest.fixture
def admin(fake_hub: FakeHub, http: httpx2.Client) -> Auth:
    return Auth(http, fake_hub.issue_admin_token())


def login(http: httpx2.Client, username: str, password: str, realm: str | None = None) -> Auth:
    parameters = {"grant_type": "password", "username": username, "password": password}
    if realm is not None:
        parameters["realm_name"] = realm
    response = http.post("/auth/token", json=parameters)
    assert response.status_code == 200, response.text
    return Auth(http, response.json()["access_token"])


def issue_pairs(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(item["code"], item["path"]) for item in body.get("issues", [])]


# -- realms --------------------------------------------------------------------------------------


def test_realm_list_anonymous(http: httpx2.Client) -> None:
    body = Auth(http, None).get("realms").json()

    assert [realm["name"] for realm in body["data"]] == ["master"]
    assert body["data"][0]["builtIn"] is True
    assert body["meta"]["schema"]["name"] == "realm"
    assert body["meta"]["schema"]["strict"] is False


def test_realm_create_read_update_delete(admin: Auth) -> None:
    created = admin.post("realms", {"name": "Tenant-One", "displayName": "Tenant One", "description": "For tests."})
    realm_id = created.json()["data"]["id"]

    by_name = admin.get("realms/tenant-one")
    renamed = admin.post(f"realms/{realm_id}", {"name": "tenant-two", "displayName": None, "foo": 1})
    deleted = admin.delete(f"realms/{realm_id}")
    again = admin.delete(f"realms/{realm_id}")

    assert created.status_code == 201
    assert created.json()["data"]["name"] == "tenant-one"
    assert created.json()["meta"] == {}
    assert by_name.json()["data"]["id"] == realm_id
    assert renamed.status_code == 202
    assert renamed.json()["data"]["name"] == "tenant-two"
    assert renamed.json()["data"]["displayName"] is None
    assert "foo" not in renamed.json()["data"]
    assert deleted.status_code == 202
    assert again.status_code == 404
    assert again.json()["code"] == "entity_not_found"


def test_realm_master_protected(fake_hub: FakeHub, admin: Auth) -> None:
    master_id = fake_hub.state.known["master_realm_id"]

    renamed = admin.post(f"realms/{master_id}", {"name": "renamed-master"})
    deleted = admin.delete(f"realms/{master_id}")

    assert renamed.status_code == 400
    assert renamed.json()["message"] == "The name of the master can not be changed."
    assert deleted.status_code == 400
    assert deleted.json()["message"] == "A built-in realm can not be deleted."


def test_realm_duplicate_name(admin: Auth) -> None:
    admin.post("realms", {"name": "tenant-dup"})

    response = admin.post("realms", {"name": "TENANT-DUP"})

    assert response.status_code == 409
    assert response.json()["code"] == "entity_conflict"


@pytest.mark.parametrize(
    ("body", "issues"),
    [
        ({}, [("required", ["name"])]),
        ({"name": "ab"}, [("min_length", ["name"])]),
        ({"name": "has space"}, [("value_invalid", ["name"])]),
        ({"name": 5}, [("value_invalid", ["name"])]),
        ({"name": "tenant-x", "description": "abc"}, [("min_length", ["description"])]),
    ],
)
def test_realm_validation(admin: Auth, body: dict[str, Any], issues: list[tuple[str, list[str]]]) -> None:
    response = admin.post("realms", body)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert issue_pairs(response.json()) == issues


def test_realm_upsert(admin: Auth) -> None:
    created = admin.put("realms/tenant-put", {})
    updated = admin.put(f"realms/{created.json()['data']['id']}", {"name": "tenant-put2"})

    assert created.status_code == 201
    assert created.json()["data"]["name"] == "tenant-put"
    assert updated.status_code == 202
    assert updated.json()["data"]["name"] == "tenant-put2"


def test_realm_delete_removes_members(fake_hub: FakeHub, admin: Auth, http: httpx2.Client) -> None:
    realm = fake_hub.create_realm("tenant-gone")
    user = fake_hub.create_user("member", "member-pass-1", realm="tenant-gone")
    member = login(http, "member", "member-pass-1", realm="tenant-gone")

    admin.delete(f"realms/{realm['id']}")

    assert admin.get(f"users/{user['id']}").status_code == 404
    assert member.get("users/@me").json()["code"] == "inactive_token"


def test_create_realm_helper_rejects_duplicate(fake_hub: FakeHub) -> None:
    fake_hub.create_realm("tenant-once")

    with pytest.raises(ValueError, match="tenant-once"):
        fake_hub.create_realm("tenant-once")


# -- users --------------------------------------------------------------------------------------------


def test_user_create_normalises_and_hashes(admin: Auth) -> None:
    response = admin.post("users", {"name": "Rec-User", "email": "Rec-User@Example.com", "password": "Rec-pass-1234"})

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["name"] == "rec-user"
    assert data["email"] == "rec-user@example.com"
    assert data["displayName"] == "rec-user"
    assert isinstance(data["password"], str)
    assert data["password"] != "Rec-pass-1234"
    assert "Rec-pass-1234" not in response.text


def test_user_email_hidden(admin: Auth) -> None:
    user_id = admin.post("users", {"name": "hidden", "email": "hidden@example.com"}).json()["data"]["id"]

    default = admin.get(f"users/{user_id}").json()["data"]
    with_email = admin.get(f"users/{user_id}", fields="+email").json()["data"]
    only_email = admin.get("users", **{"filter[id]": user_id, "fields": "email"}).json()["data"][0]
    no_password = admin.get(f"users/{user_id}", fields="+password").json()["data"]

    assert "email" not in default
    assert "password" not in default
    assert with_email["email"] == "hidden@example.com"
    assert set(only_email) == {"id", "email", "realmId"}
    assert "password" not in no_password


def test_user_update(admin: Auth, http: httpx2.Client) -> None:
    created = admin.post("users", {"name": "changer", "email": "c@example.com", "displayName": "Changer"})
    user_id = created.json()["data"]["id"]

    cleared = admin.post(f"users/{user_id}", {"displayName": None, "realmId": "00000000-0000-4000-8000-000000000000"})
    password = admin.post(f"users/{user_id}", {"password": "Changed-pass-1"})

    assert cleared.status_code == 202
    assert cleared.json()["data"]["displayName"] == "changer"
    assert cleared.json()["data"]["password"] is None
    assert "email" not in cleared.json()["data"]
    assert cleared.json()["data"]["realmId"] == created.json()["data"]["realmId"]
    assert isinstance(password.json()["data"]["password"], str)
    assert login(http, "changer", "Changed-pass-1").get("users/@me").status_code == 200


@pytest.mark.parametrize(
    ("body", "issues"),
    [
        ({"name": "no-mail"}, [("required", ["email"])]),
        ({"name": "bad-mail", "email": "not-an-email"}, [("email", ["email"])]),
        ({"name": "ab", "email": "ab@example.com"}, [("min_length", ["name"])]),
        ({"email": "nn@example.com"}, [("required", ["name"])]),
        ({"name": "short-pw", "email": "z@example.com", "password": "x"}, [("min_length", ["password"])]),
    ],
)
def test_user_validation(admin: Auth, body: dict[str, Any], issues: list[tuple[str, list[str]]]) -> None:
    response = admin.post("users", body)

    assert response.status_code == 400
    assert issue_pairs(response.json()) == issues


def test_user_unknown_realm(admin: Auth) -> None:
    response = admin.post(
        "users", {"name": "lost", "email": "lost@example.com", "realmId": "00000000-0000-4000-8000-000000000000"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "entity_relation_invalid"


def test_user_create_with_realm_embeds_it(fake_hub: FakeHub, admin: Auth) -> None:
    realm = fake_hub.create_realm("tenant-embed")

    response = admin.post("users", {"name": "embedded", "email": "e@example.com", "realmId": realm["id"]})

    assert response.json()["data"]["realm"]["name"] == "tenant-embed"


def test_user_duplicate(admin: Auth) -> None:
    admin.post("users", {"name": "twice", "email": "t1@example.com"})

    response = admin.post("users", {"name": "twice", "email": "t2@example.com"})

    assert response.status_code == 409


def test_user_delete_by_name_fails(admin: Auth) -> None:
    user_id = admin.post("users", {"name": "stays", "email": "s@example.com"}).json()["data"]["id"]

    by_name = admin.delete("users/stays")
    still_there = admin.get(f"users/{user_id}")
    by_id = admin.delete(f"users/{user_id}")

    assert by_name.status_code == 500
    assert by_name.json()["code"] == "internal_error"
    assert still_there.status_code == 200
    assert by_id.status_code == 202
    assert "password" not in by_id.json()["data"]


def test_user_delete_ends_logins(fake_hub: FakeHub, admin: Auth, http: httpx2.Client) -> None:
    user = fake_hub.create_user("leaver", "leaver-pass-1")
    leaver = login(http, "leaver", "leaver-pass-1")

    admin.delete(f"users/{user['id']}")

    assert leaver.get("users/@me").status_code == 401


def test_users_anonymous(http: httpx2.Client) -> None:
    response = Auth(http, None).get("users")

    assert response.status_code == 401
    assert response.json()["code"] == "identity_unauthorized"


def test_users_without_permission(fake_hub: FakeHub, http: httpx2.Client) -> None:
    fake_hub.create_user("nobody", "nobody-pass-1")
    nobody = login(http, "nobody", "nobody-pass-1")

    listing = nobody.get("users")
    own = nobody.get("users/@me")

    assert listing.status_code == 403
    assert listing.json()["code"] == "permission_evaluation_failed"
    assert [issue["path"] for issue in listing.json()["issues"]] == [["user_read"], ["user_update"], ["user_delete"]]
    assert own.status_code == 200
    assert own.json()["data"]["name"] == "nobody"


def test_users_scoped_to_realm(fake_hub: FakeHub, http: httpx2.Client) -> None:
    fake_hub.create_realm("tenant-scope")
    fake_hub.create_user("reader", "reader-pass-1", realm="tenant-scope", permissions=("user_read",))
    fake_hub.create_user("neighbour", "neighbour-pass", realm="tenant-scope")
    reader = login(http, "reader", "reader-pass-1", realm="tenant-scope")

    names = sorted(user["name"] for user in reader.get("users").json()["data"])
    admin_read = reader.get(f"users/{fake_hub.state.known['admin_user_id']}")

    assert names == ["neighbour", "reader"]
    assert admin_read.status_code == 404


def test_users_of_realm_route(fake_hub: FakeHub, admin: Auth) -> None:
    master_id = fake_hub.state.known["master_realm_id"]
    fake_hub.create_realm("tenant-route")
    fake_hub.create_user("outsider", "outsider-pass", realm="tenant-route")

    body = admin.get(f"realms/{master_id}/users").json()

    assert [user["name"] for user in body["data"]] == ["admin"]


def test_user_page_limit_clamped(admin: Auth) -> None:
    body = admin.get("permissions", **{"page[limit]": "100"}).json()

    assert body["meta"]["limit"] == 50
    assert len(body["data"]) == 50
    assert body["meta"]["total"] > 50


# -- roles and permissions ----------------------------------------------------------------------------


def test_role_realm_default_and_global(fake_hub: FakeHub, admin: Auth) -> None:
    scoped = admin.post("roles", {"name": "Scoped-Role"}).json()["data"]
    global_role = admin.post("roles", {"name": "global-role", "realmId": None}).json()["data"]

    assert scoped["name"] == "scoped-role"
    assert scoped["realmId"] == fake_hub.state.known["master_realm_id"]
    assert global_role["realmId"] is None


def test_role_duplicate_is_database_conflict(admin: Auth) -> None:
    admin.post("roles", {"name": "dup-role"})

    response = admin.post("roles", {"name": "dup-role"})

    assert response.status_code == 409
    assert response.json()["name"] == "DatabaseConflictError"


def test_role_record_read_ignores_include(admin: Auth) -> None:
    role_id = admin.post("roles", {"name": "include-role"}).json()["data"]["id"]

    record = admin.get(f"roles/{role_id}", include="realm").json()["data"]
    listed = admin.get("roles", **{"filter[id]": role_id, "include": "realm"}).json()["data"][0]

    assert "realm" not in record
    assert listed["realm"]["name"] == "master"


def test_role_update_keeps_realm(admin: Auth) -> None:
    role = admin.post("roles", {"name": "keep-realm"}).json()["data"]

    updated = admin.post(f"roles/{role['id']}", {"displayName": "Kept", "realmId": None})

    assert updated.json()["data"]["realmId"] == role["realmId"]
    assert updated.json()["data"]["displayName"] == "Kept"


def test_permission_filters(admin: Auth) -> None:
    admin.post("permissions", {"name": "rec_perm_x1", "policyId": None})
    admin.post("permissions", {"name": "rec_gperm_x1", "realmId": None})

    ends_with = admin.get("permissions", **{"filter[name]": "~x1", "sort": "name"}).json()
    global_only = admin.get("permissions", **{"filter[realmId]": "null", "filter[name]": "~x1"}).json()
    built_in = admin.get("permissions", **{"filter[builtIn]": "true", "filter[name]": "node_create"}).json()

    assert [item["name"] for item in ends_with["data"]] == ["rec_gperm_x1", "rec_perm_x1"]
    assert [item["name"] for item in global_only["data"]] == ["rec_gperm_x1"]
    assert built_in["meta"]["total"] == 1
    assert "policyId" not in ends_with["data"][0]


def test_permission_check(admin: Auth) -> None:
    permission_id = admin.post("permissions", {"name": "rec_checked"}).json()["data"]["id"]
    granted = admin.get("permissions/node_create").json()["data"]["id"]

    missing = admin.post(f"permissions/{permission_id}/check", {})
    present = admin.post(f"permissions/{granted}/check", {})

    assert missing.status_code == 202
    assert missing.json()["status"] == "error"
    assert missing.json()["data"]["issues"][0]["code"] == "permission_not_found"
    assert present.json()["status"] == "success"


def test_permission_update_validation(admin: Auth) -> None:
    permission_id = admin.post("permissions", {"name": "rec_update"}).json()["data"]["id"]

    response = admin.post(f"permissions/{permission_id}", {"name": "x"})

    assert response.status_code == 400
    assert response.json()["issues"][0]["meta"] == {"optional": True}


def test_role_permission_grants_access(fake_hub: FakeHub, admin: Auth, http: httpx2.Client) -> None:
    user = fake_hub.create_user("granted", "granted-pass-1")
    role_id = admin.post("roles", {"name": "readers"}).json()["data"]["id"]
    permission_id = admin.get("permissions/user_read").json()["data"]["id"]
    granted = login(http, "granted", "granted-pass-1")
    before = granted.get("users").status_code

    link = admin.post("role-permissions", {"roleId": role_id, "permissionId": permission_id})
    admin.post("user-roles", {"userId": user["id"], "roleId": role_id})
    after = granted.get("users").status_code

    assert before == 403
    assert link.status_code == 201
    assert link.json()["data"]["role"]["name"] == "readers"
    assert link.json()["data"]["permission"]["name"] == "user_read"
    assert link.json()["data"]["realmScope"] == "own"
    assert after == 200


def test_role_permission_errors(admin: Auth) -> None:
    role_id = admin.post("roles", {"name": "err-role"}).json()["data"]["id"]
    permission_id = admin.post("permissions", {"name": "err_perm"}).json()["data"]["id"]
    admin.post("role-permissions", {"roleId": role_id, "permissionId": permission_id})

    duplicate = admin.post("role-permissions", {"roleId": role_id, "permissionId": permission_id})
    missing = admin.post("role-permissions", {"roleId": role_id})
    dangling = admin.post(
        "role-permissions", {"roleId": role_id, "permissionId": "00000000-0000-4000-8000-000000000000"}
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["message"] == "The role-permission already exists."
    assert issue_pairs(missing.json()) == [("required", ["permissionId"])]
    assert dangling.json()["code"] == "entity_relation_invalid"


def test_user_role_has_no_update_route(fake_hub: FakeHub, admin: Auth) -> None:
    user = fake_hub.create_user("linked", "linked-pass-1")
    role_id = admin.post("roles", {"name": "linked-role"}).json()["data"]["id"]
    link_id = admin.post("user-roles", {"userId": user["id"], "roleId": role_id}).json()["data"]["id"]

    update = admin.post(f"user-roles/{link_id}", {})
    deleted = admin.delete(f"user-roles/{link_id}")
    again = admin.delete(f"user-roles/{link_id}")

    assert update.status_code == 404
    assert update.json() == {"status": 404, "message": "Not Found"}
    assert deleted.status_code == 202
    assert again.status_code == 404


def test_permission_delete_removes_grants(fake_hub: FakeHub, admin: Auth) -> None:
    client = fake_hub.create_client("grantee", "grantee-secret-1")
    permission_id = admin.post("permissions", {"name": "temp_perm"}).json()["data"]["id"]
    admin.post("client-permissions", {"clientId": client["id"], "permissionId": permission_id})

    admin.delete(f"permissions/{permission_id}")
    links = admin.get("client-permissions", **{"filter[clientId]": client["id"]}).json()

    assert links["meta"]["total"] == 0


# -- clients --------------------------------------------------------------------------------------------


def test_client_secret_hidden(admin: Auth) -> None:
    created = admin.post(
        "clients", {"name": "Rec-Client", "authMethod": "secret", "secret": "rec-client-secret-1", "isConfidential": 1}
    )
    client_id = created.json()["data"]["id"]

    default = admin.get(f"clients/{client_id}").json()["data"]
    with_secret = admin.get(f"clients/{client_id}", fields="+secret").json()["data"]
    listed = admin.get("clients", **{"filter[name]": "rec-client", "fields": "+secret"}).json()["data"]

    assert created.status_code == 201
    assert created.json()["data"]["secret"] == "rec-client-secret-1"
    assert "isConfidential" not in created.json()["data"]
    assert "secret" not in default
    assert with_secret["secret"] == "rec-client-secret-1"
    assert listed[0]["secret"] == "rec-client-secret-1"


def test_client_generated_secret(admin: Auth, http: httpx2.Client) -> None:
    created = admin.post("clients", {"name": "gen-client", "authMethod": "secret"}).json()["data"]
    public = admin.post("clients", {"name": "pub-client"}).json()["data"]

    response = http.post(
        "/auth/token",
        json={"grant_type": "client_credentials", "client_id": created["id"], "client_secret": created["secret"]},
    )

    assert len(created["secret"]) == 64
    assert created["displayName"] == "gen-client"
    assert public["authMethod"] == "none"
    assert public["secret"] is None
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["system", "admin-console", "account-console"])
def test_client_reserved_name(admin: Auth, name: str) -> None:
    response = admin.post("clients", {"name": name})

    assert response.status_code == 400
    assert response.json()["message"] == f"The client name '{name}' is reserved."


def test_client_bad_auth_method(admin: Auth) -> None:
    response = admin.post("clients", {"name": "bad-method", "authMethod": "magic"})

    assert issue_pairs(response.json()) == [("one_of_failed", ["authMethod"])]


def test_client_update_shows_secret(admin: Auth) -> None:
    client = admin.post("clients", {"name": "upd-client", "authMethod": "secret"}).json()["data"]

    updated = admin.post(f"clients/{client['id']}", {"active": False, "displayName": None}).json()["data"]
    deleted = admin.delete(f"clients/{client['id']}").json()["data"]

    assert updated["active"] is False
    assert updated["displayName"] == "upd-client"
    assert updated["secret"] == client["secret"]
    assert "secret" not in deleted


def test_clients_anonymous(http: httpx2.Client) -> None:
    response = Auth(http, None).get("clients")

    assert response.status_code == 403
    nested = response.json()["issues"][0]["issues"][0]["issues"][0]["issues"][0]["issues"][0]["issues"][0]
    assert nested["code"] == "DATA_MISSING"


def test_client_self(fake_hub: FakeHub, http: httpx2.Client) -> None:
    client = fake_hub.create_client("selfish", "selfish-secret")
    response = http.post(
        "/auth/token",
        json={"grant_type": "client_credentials", "client_id": "selfish", "client_secret": "selfish-secret"},
    )
    own = Auth(http, response.json()["access_token"])

    assert own.get("clients/@me").json()["data"]["id"] == client["id"]
    assert own.get("users/@me").status_code == 404


# -- helpers --------------------------------------------------------------------------------------------


def test_create_user_helper_with_permissions(fake_hub: FakeHub, http: httpx2.Client) -> None:
    user = fake_hub.create_user("helper-user", "helper-pass-1", permissions=("role_read",))
    helper = login(http, "helper-user", "helper-pass-1")

    roles = helper.get("roles")
    users = helper.get("users")

    assert user["realmId"] == fake_hub.state.known["master_realm_id"]
    assert user["password"] != "helper-pass-1"
    assert roles.status_code == 200
    assert users.status_code == 403


def test_create_user_helper_unknown_permission(fake_hub: FakeHub) -> None:
    with pytest.raises(KeyError, match="no_such_permission"):
        fake_hub.create_user("bad-grant", "bad-grant-pass", permissions=("no_such_permission",))


def test_create_client_helper(fake_hub: FakeHub, http: httpx2.Client) -> None:
    fake_hub.create_realm("tenant-client")
    client = fake_hub.create_client(
        "helper-client", "helper-secret-1", realm="tenant-client", permissions=("node_create",)
    )

    response = http.post(
        "/auth/token",
        json={"grant_type": "client_credentials", "client_id": client["id"], "client_secret": "helper-secret-1"},
    )
    introspection = http.post(
        "/auth/token/introspect",
        json={"token": response.json()["access_token"]},
        headers={"Authorization": f"Bearer {fake_hub.issue_admin_token()}"},
    ).json()

    assert introspection["realm_name"] == "tenant-client"
    assert [permission["name"] for permission in introspection["permissions"]] == ["node_create"]


def test_issue_admin_token_helper(fake_hub: FakeHub, http: httpx2.Client) -> None:
    admin = Auth(http, fake_hub.issue_admin_token())

    assert admin.get("users/@me").json()["data"]["id"] == fake_hub.state.known["admin_user_id"]


# -- legacy robots -----------------------------------------------------------------------------------------


def test_robots_absent_by_default(admin: Auth) -> None:
    assert admin.get("robots").status_code == 404


def test_legacy_robots() -> None:
    with FakeHub(legacy_robots=True) as hub, httpx2.Client(base_url=hub.url) as http:
        admin = Auth(http, hub.issue_admin_token())
        created = admin.post("robots", {"name": "old-robot", "secret": "robot-secret-1"})
        robot_id = created.json()["data"]["id"]
        permission_id = admin.get("permissions/node_create").json()["data"]["id"]
        admin.post("robot-permissions", {"robotId": robot_id, "permissionId": permission_id})

        login_response = http.post(
            "/auth/token", json={"grant_type": "robot_credentials", "id": robot_id, "secret": "robot-secret-1"}
        )
        wrong = http.post("/auth/token", json={"grant_type": "robot_credentials", "id": robot_id, "secret": "nope"})
        introspection = http.post(
            "/auth/token/introspect",
            json={"token": login_response.json()["access_token"]},
            headers=admin.headers,
        ).json()

    assert created.status_code == 201
    assert created.json()["data"]["secret"] == "robot-secret-1"
    assert login_response.status_code == 200
    assert "refresh_token" not in login_response.json()
    assert wrong.status_code == 400
    assert introspection["sub_kind"] == "robot"
    assert [permission["name"] for permission in introspection["permissions"]] == ["node_create"]


def test_client_null_secret_generated(admin: Auth) -> None:
    created = admin.post("clients", {"name": "null-secret", "authMethod": "secret", "secret": None}).json()["data"]

    assert isinstance(created["secret"], str)
    assert len(created["secret"]) == 64


def test_realm_user_cannot_link_global_role(fake_hub: FakeHub, admin: Auth, http: httpx2.Client) -> None:
    fake_hub.create_realm("tenant-links")
    user = fake_hub.create_user("linker", "linker-pass-1", realm="tenant-links", permissions=("user_role_create",))
    global_role = admin.post("roles", {"name": "global-linked", "realmId": None}).json()["data"]
    linker = login(http, "linker", "linker-pass-1", realm="tenant-links")

    response = linker.post("user-roles", {"userId": user["id"], "roleId": global_role["id"]})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_evaluation_failed"


def test_realm_user_writes_own_realm_only(fake_hub: FakeHub, http: httpx2.Client) -> None:
    fake_hub.create_realm("tenant-writes")
    fake_hub.create_user("writer", "writer-pass-1", realm="tenant-writes", permissions=("role_create",))
    writer = login(http, "writer", "writer-pass-1", realm="tenant-writes")
    master_id = fake_hub.state.known["master_realm_id"]

    own = writer.post("roles", {"name": "own-role"})
    foreign = writer.post("roles", {"name": "foreign-role", "realmId": master_id})

    assert own.status_code == 201
    assert own.json()["data"]["realmId"] != master_id
    assert foreign.status_code == 403


def test_realm_user_passes_on_own_permissions(fake_hub: FakeHub, admin: Auth, http: httpx2.Client) -> None:
    fake_hub.create_realm("tenant-grants")
    fake_hub.create_user(
        "granter", "granter-pass-1", realm="tenant-grants", permissions=("client_permission_create", "node_create")
    )
    client = fake_hub.create_client("tenant-client", "tenant-secret-1", realm="tenant-grants")
    granter = login(http, "granter", "granter-pass-1", realm="tenant-grants")
    node_create = admin.get("permissions/node_create").json()["data"]["id"]
    node_delete = admin.get("permissions/node_delete").json()["data"]["id"]

    held = granter.post("client-permissions", {"clientId": client["id"], "permissionId": node_create})
    not_held = granter.post("client-permissions", {"clientId": client["id"], "permissionId": node_delete})

    assert held.status_code == 201
    assert not_held.status_code == 403


def test_user_upsert_by_id(fake_hub: FakeHub, admin: Auth) -> None:
    user_id = "5d8f3a41-2b7c-4c55-9a0e-6f1d2e3c4b5a"

    created = admin.put(f"users/{user_id}", {"name": "put-user", "email": "put@example.com"})
    updated = admin.put(f"users/{user_id}", {"firstName": "Put"})

    assert created.status_code == 201
    assert created.json()["data"]["id"] == user_id
    assert updated.status_code == 202
    assert updated.json()["data"]["firstName"] == "Put"


def test_user_self_routes(fake_hub: FakeHub, admin: Auth, http: httpx2.Client) -> None:
    master_id = fake_hub.state.known["master_realm_id"]
    admin_id = fake_hub.state.known["admin_user_id"]

    by_self = admin.get("users/@self").json()["data"]
    in_realm = admin.get(f"realms/{master_id}/users/{admin_id}").json()["data"]
    realm_by_name = admin.get(f"realms/master/users/{admin_id}").json()["data"]

    assert by_self["id"] == admin_id
    assert in_realm["name"] == "admin"
    assert realm_by_name["name"] == "admin"


def test_user_updates_itself(fake_hub: FakeHub, http: httpx2.Client) -> None:
    fake_hub.create_user("self-editor", "self-editor-1")
    editor = login(http, "self-editor", "self-editor-1")

    response = editor.post("users/@me", {"firstName": "Self"})

    assert response.status_code == 202
    assert response.json()["data"]["firstName"] == "Self"
