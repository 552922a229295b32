"""Resources of the auth service (Authup, ``/auth/``): realms, users, roles, permissions, clients and their links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from flame_hub._queryset import Manager, QuerySet
from flame_hub.models._base import ClientAuthMethodValue, Model, RealmScopeValue, Relation, Reverse, _unwrap
from flame_hub.types import ClientAuthMethod

__all__ = [
    "Client",
    "ClientPermission",
    "ClientRole",
    "Permission",
    "Realm",
    "Robot",
    "Role",
    "RolePermission",
    "User",
    "UserPermission",
    "UserRole",
]

_LINK_OPERATIONS = ("list", "get", "create", "delete")


class SelfQuerySet(QuerySet[Any]):
    """QuerySet of users or clients, with ``me()`` for the identity the session is logged in as."""

    def me(self) -> Any:
        """Return the user or client the session is logged in as (GET ``users/@me`` or ``clients/@me``)."""
        meta = self.model._meta
        session = self._get_session()
        body = session.request_json(meta.service, "GET", f"{meta.path}/@me", params=self._common_params() or None)
        return self.model._from_hub(_unwrap(body), session)


class SelfManager(Manager[Any]):
    """Manager of users or clients, with ``me()``."""

    queryset_class = SelfQuerySet

    def me(self) -> Any:
        """Return the user or client the default session is logged in as."""
        return self.get_queryset().me()  # type: ignore[attr-defined]


class Realm(Model):
    """An Authup realm; the ``master`` realm is built in and cannot be renamed or deleted."""

    class Meta:
        service = "auth"
        path = "realms"
        singular = "realm"
        plural = "realms"
        updatable = ("name", "display_name", "description")
        required = ("name",)
        filters = ("id", "built_in", "display_name", "name")
        sorts = ("id", "name", "created_at", "updated_at")
        limits = {"name": (3, 128), "display_name": (3, 256), "description": (5, 4096)}

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    built_in: bool | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    users = Reverse("User", "realm_id")
    roles = Reverse("Role", "realm_id")
    permissions = Reverse("Permission", "realm_id")
    clients = Reverse("Client", "realm_id")
    nodes = Reverse("Node", "realm_id")
    projects = Reverse("Project", "realm_id")
    buckets = Reverse("Bucket", "realm_id")


class User(Model):
    """An Authup user; ``email`` is only loaded with ``fields("email")``, and ``password`` is write-only."""

    class Meta:
        service = "auth"
        path = "users"
        singular = "user"
        plural = "users"
        create_only = ("realm_id",)
        updatable = (
            "name",
            "email",
            "display_name",
            "first_name",
            "last_name",
            "active",
            "name_locked",
            "password",
            "status",
            "status_message",
        )
        required = ("name",)
        hidden = ("email",)
        secret = ("password", "reset_hash", "activate_hash")
        filters = ("id", "name", "display_name", "realm_id", "active")
        sorts = ("id", "name", "display_name", "created_at", "updated_at")
        includes = ("realm",)
        limits = {"name": (3, 128), "display_name": (3, 256), "first_name": (3, 128), "last_name": (3, 128)}
        manager = SelfManager
        # Authup resets a display name set to null to the name.
        normalized = ("display_name",)

    name: str | None = None
    email: str | None = None
    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    active: bool | None = None
    name_locked: bool | None = None
    password: str | None = Field(default=None, repr=False)
    status: str | None = None
    status_message: str | None = None
    avatar: str | None = None
    cover: str | None = None
    realm_id: str | None = None
    reset_hash: str | None = Field(default=None, repr=False)
    activate_hash: str | None = Field(default=None, repr=False)
    reset_at: Any = None
    reset_expires: Any = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    realm = Relation("realm_id", "Realm")
    user_roles = Reverse("UserRole", "user_id")
    user_permissions = Reverse("UserPermission", "user_id")


class Role(Model):
    """An Authup role; ``realm_id`` is set on create only (absent means the caller's realm)."""

    class Meta:
        service = "auth"
        path = "roles"
        singular = "role"
        plural = "roles"
        create_only = ("realm_id",)
        updatable = ("name", "display_name", "description", "client_id")
        required = ("name",)
        filters = ("id", "built_in", "name", "display_name", "target", "client_id", "realm_id")
        sorts = ("id", "name", "updated_at", "created_at")
        includes = ("realm",)
        limits = {"name": (3, 128), "display_name": (3, 256), "description": (5, 4096)}

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    client_id: str | None = None
    realm_id: str | None = None
    built_in: bool | None = None
    target: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    realm = Relation("realm_id", "Realm")
    client = Relation("client_id", "Client")
    role_permissions = Reverse("RolePermission", "role_id")
    user_roles = Reverse("UserRole", "role_id")


class Permission(Model):
    """An Authup permission such as ``node_create``."""

    class Meta:
        service = "auth"
        path = "permissions"
        singular = "permission"
        plural = "permissions"
        create_only = ("realm_id",)
        updatable = ("name", "display_name", "description", "client_id", "decision_strategy")
        required = ("name",)
        filters = ("id", "display_name", "name", "built_in", "realm_id", "client_id")
        sorts = ("id", "name", "created_at", "updated_at")
        limits = {"name": (3, 128), "display_name": (3, 256), "description": (5, 4096)}

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    client_id: str | None = None
    decision_strategy: str | None = None
    realm_id: str | None = None
    built_in: bool | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    realm = Relation("realm_id", "Realm")
    client = Relation("client_id", "Client")


class RolePermission(Model):
    """The grant of a permission to a role; it cannot be updated, only created and deleted."""

    class Meta:
        service = "auth"
        path = "role-permissions"
        singular = "role_permission"
        plural = "role_permissions"
        operations = _LINK_OPERATIONS
        create_only = ("role_id", "permission_id", "policy_id", "realm_scope")
        required = ("role_id", "permission_id")
        filters = ("id", "role_id", "permission_id", "role_realm_id", "permission_realm_id", "policy_id")
        sorts = ("id", "created_at", "updated_at")
        includes = ("role", "permission")
        repr_fields = ("id", "role_id", "permission_id")

    role_id: str | None = None
    permission_id: str | None = None
    policy_id: str | None = None
    realm_scope: RealmScopeValue = None
    role_realm_id: str | None = None
    permission_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    role = Relation("role_id", "Role")
    permission = Relation("permission_id", "Permission")


class UserPermission(Model):
    """The grant of a permission to a user; it cannot be updated, only created and deleted."""

    class Meta:
        service = "auth"
        path = "user-permissions"
        singular = "user_permission"
        plural = "user_permissions"
        operations = _LINK_OPERATIONS
        create_only = ("user_id", "permission_id", "policy_id", "realm_scope")
        required = ("user_id", "permission_id")
        filters = ("id", "user_id", "permission_id", "user_realm_id", "permission_realm_id", "policy_id")
        sorts = ("id", "created_at", "updated_at")
        includes = ("user", "permission")
        repr_fields = ("id", "user_id", "permission_id")

    user_id: str | None = None
    permission_id: str | None = None
    policy_id: str | None = None
    realm_scope: RealmScopeValue = None
    user_realm_id: str | None = None
    permission_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    user = Relation("user_id", "User")
    permission = Relation("permission_id", "Permission")


class UserRole(Model):
    """The assignment of a role to a user; Authup has no update route for it."""

    class Meta:
        service = "auth"
        path = "user-roles"
        singular = "user_role"
        plural = "user_roles"
        operations = _LINK_OPERATIONS
        create_only = ("user_id", "role_id")
        required = ("user_id", "role_id")
        filters = ("id", "role_id", "user_id", "role_realm_id", "user_realm_id")
        sorts = ("id", "created_at", "updated_at")
        includes = ("user", "role")
        repr_fields = ("id", "user_id", "role_id")

    user_id: str | None = None
    role_id: str | None = None
    user_realm_id: str | None = None
    role_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    user = Relation("user_id", "User")
    role = Relation("role_id", "Role")


class Client(Model):
    """An Authup client (service account); ``secret`` is only loaded with ``fields("secret")``."""

    class Meta:
        service = "auth"
        path = "clients"
        singular = "client"
        plural = "clients"
        create_only = ("realm_id",)
        updatable = (
            "name",
            "active",
            "auth_method",
            "token_binding_method",
            "display_name",
            "description",
            "secret",
            "redirect_uri",
            "post_logout_redirect_uri",
            "base_url",
            "root_url",
            "grant_types",
            "scope",
            "access_policy_id",
        )
        required = ("name",)
        hidden = ("secret",)
        secret = ("secret", "secret_hashed", "secret_encrypted")
        filters = ("id", "name", "display_name", "realm_id", "active", "built_in")
        sorts = ("id", "created_at", "updated_at")
        includes = ("realm",)
        limits = {"name": (3, 256), "display_name": (3, 256), "description": (5, 4096)}
        manager = SelfManager
        normalized = ("display_name",)

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    active: bool | None = None
    auth_method: ClientAuthMethodValue = None
    token_binding_method: str | None = None
    secret: str | None = Field(default=None, repr=False)
    secret_hashed: bool | None = None
    secret_encrypted: bool | None = None
    redirect_uri: str | None = None
    post_logout_redirect_uri: str | None = None
    base_url: str | None = None
    root_url: str | None = None
    grant_types: str | None = None
    scope: str | None = None
    access_policy_id: str | None = None
    realm_id: str | None = None
    built_in: bool | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    realm = Relation("realm_id", "Realm")
    client_permissions = Reverse("ClientPermission", "client_id")
    client_roles = Reverse("ClientRole", "client_id")

    def _create(self, session: Any, update_fields: Any) -> None:
        # Authup makes a client created without authMethod a public one ("none"), which cannot log in
        # with client_credentials. With "secret" it keeps the given secret or generates one.
        if "auth_method" not in self._user_set:
            self.auth_method = ClientAuthMethod.SECRET
        super()._create(session, update_fields)


class ClientPermission(Model):
    """The grant of a permission to a client; it cannot be updated, only created and deleted."""

    class Meta:
        service = "auth"
        path = "client-permissions"
        singular = "client_permission"
        plural = "client_permissions"
        operations = _LINK_OPERATIONS
        create_only = ("client_id", "permission_id", "policy_id", "realm_scope")
        required = ("client_id", "permission_id")
        filters = ("id", "client_id", "permission_id", "client_realm_id", "permission_realm_id", "policy_id")
        sorts = ("id", "created_at", "updated_at")
        includes = ("client", "permission")
        repr_fields = ("id", "client_id", "permission_id")

    client_id: str | None = None
    permission_id: str | None = None
    policy_id: str | None = None
    realm_scope: RealmScopeValue = None
    client_realm_id: str | None = None
    permission_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    client = Relation("client_id", "Client")
    permission = Relation("permission_id", "Permission")


class ClientRole(Model):
    """The assignment of a role to a client; it cannot be updated, only created and deleted."""

    class Meta:
        service = "auth"
        path = "client-roles"
        singular = "client_role"
        plural = "client_roles"
        operations = _LINK_OPERATIONS
        create_only = ("client_id", "role_id")
        required = ("client_id", "role_id")
        filters = ("id", "client_id", "role_id", "client_realm_id", "role_realm_id")
        sorts = ("id", "created_at", "updated_at")
        includes = ("client", "role")
        repr_fields = ("id", "client_id", "role_id")

    client_id: str | None = None
    role_id: str | None = None
    client_realm_id: str | None = None
    role_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    client = Relation("client_id", "Client")
    role = Relation("role_id", "Role")


class Robot(Model):
    """A robot account of Authup before 1.0.0-beta.54, which removed robots; use a ``Client`` instead.

    Kept so that records of older deployments parse; every operation raises ``UnsupportedOperation``.
    """

    class Meta:
        service = "auth"
        path = "robots"
        singular = "robot"
        plural = "robots"
        operations = ()
        secret = ("secret",)

    name: str | None = None
    display_name: str | None = None
    secret: str | None = Field(default=None, repr=False)
    active: bool | None = None
    user_id: str | None = None
    realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
