"""Resources of the core service (``/core/``): nodes, registries, projects, analyses, master images and their links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flame_hub._lookups import check_id, to_camel
from flame_hub._queryset import Manager, QuerySet
from flame_hub.models._base import (
    AnalysisBucketTypeValue,
    ApprovalStatusValue,
    Model,
    NodeTypeValue,
    ProcessStatusValue,
    RegistryProjectTypeValue,
    Relation,
    Reverse,
    _unwrap,
)
from flame_hub.types import AnalysisCommand, RegistryCommand

__all__ = [
    "Analysis",
    "AnalysisBucket",
    "AnalysisBucketFile",
    "AnalysisNode",
    "AnalysisNodeEvent",
    "ClientCredentials",
    "MasterImage",
    "MasterImageGroup",
    "Node",
    "Project",
    "ProjectNode",
    "Registry",
    "RegistryCredentials",
    "RegistryProject",
]


class ClientCredentials(BaseModel):
    """The Authup client of a node or analysis with its plaintext ``secret`` (kept out of ``repr()``)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    id: str | None = None
    name: str | None = None
    display_name: str | None = None
    secret: str | None = Field(default=None, repr=False)


class RegistryCredentials(BaseModel):
    """The registry host and robot account of a node's registry project (``account_secret`` kept out of ``repr()``)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    host: str | None = None
    external_name: str | None = None
    account_name: str | None = None
    account_secret: str | None = Field(default=None, repr=False)


def _credentials(model: Model, kind: str, method: str, json: Any = None) -> ClientCredentials:
    meta = model._meta
    record_id = model._require_id(f"{kind} credentials")
    session = model._bind_session(None)
    body = session.request_json(meta.service, method, f"{meta.path}/{record_id}/client/credentials", json=json)
    return ClientCredentials.model_validate(body)


class Node(Model):
    """A FLAME node; the Hub provisions its Authup client (``client_id``) and, with a registry, a registry project."""

    class Meta:
        service = "core"
        path = "nodes"
        singular = "node"
        plural = "nodes"
        create_only = ("realm_id",)
        updatable = ("name", "external_name", "public_key", "hidden", "type", "registry_id")
        required = ("name",)
        filters = ("id", "name", "online", "hidden", "client_id", "realm_id", "robot_id")
        sorts = ("name", "updated_at", "created_at")
        includes = ("registry", "registry_project")
        limits = {"name": (3, 128), "external_name": (1, 64), "public_key": (5, 4096)}
        patterns = {"external_name": r"[a-z0-9_-]*"}

    name: str | None = None
    external_name: str | None = None
    public_key: str | None = None
    hidden: bool | None = None
    type: NodeTypeValue = None
    online: bool | None = None
    registry_id: str | None = None
    registry_project_id: str | None = None
    client_id: str | None = None
    robot_id: str | None = None
    realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    realm = Relation("realm_id", "Realm", service="auth")
    registry = Relation("registry_id", "Registry")
    registry_project = Relation("registry_project_id", "RegistryProject")
    client = Relation("client_id", "Client", service="auth")
    project_nodes = Reverse("ProjectNode", "node_id")
    analysis_nodes = Reverse("AnalysisNode", "node_id")

    def client_credentials(self) -> ClientCredentials:
        """Return the node's Authup client with its secret (GET ``nodes/{id}/client/credentials``)."""
        return _credentials(self, "client", "GET")

    def set_client_secret(self, secret: str | None = None) -> ClientCredentials:
        """Set the node client's secret (the Hub generates one when ``secret`` is ``None``); return the credentials."""
        return _credentials(self, "client", "POST", json={"secret": secret})

    def registry_credentials(self) -> RegistryCredentials:
        """Return the host and robot account of the node's registry project."""
        record_id = self._require_id("registry_credentials()")
        session = self._bind_session(None)
        body = session.request_json("core", "GET", f"nodes/{record_id}/registry/credentials")
        return RegistryCredentials.model_validate(body)


class Registry(Model):
    """A container registry (Harbor); ``account_secret`` is only loaded with ``fields("account_secret")``."""

    class Meta:
        service = "core"
        path = "registries"
        singular = "registry"
        plural = "registries"
        updatable = ("name", "host", "account_name", "account_secret")
        required = ("name", "host")
        hidden = ("account_secret",)
        secret = ("account_secret",)
        filters = ("id", "name")
        sorts = ("id", "updated_at", "created_at")
        limits = {"name": (3, 128), "host": (3, 512), "account_name": (3, 256), "account_secret": (3, 256)}
        # The Hub stores the bare host name of a URL such as https://host:8443/.
        normalized = ("host",)
        repr_fields = ("id", "name", "host")

    name: str | None = None
    host: str | None = None
    account_name: str | None = None
    account_secret: str | None = Field(default=None, repr=False)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    projects = Reverse("RegistryProject", "registry_id")

    def command(self, command: RegistryCommand | str) -> None:
        """Run a registry service command for this registry (POST ``services/registry/command``, 202)."""
        name = RegistryCommand(command)
        if name in (RegistryCommand.PROJECT_LINK, RegistryCommand.PROJECT_UNLINK):
            raise ValueError(f"{name.value!r} targets a registry project; use RegistryProject.link()/unlink().")
        _registry_command(self, name.value, self._require_id("command()"))

    def setup(self) -> None:
        """Create the Hub's projects and accounts in the registry."""
        self.command(RegistryCommand.SETUP)

    def cleanup(self) -> None:
        """Remove the Hub's projects and accounts from the registry."""
        self.command(RegistryCommand.CLEANUP)


def _registry_command(model: Model, command: str, target_id: str, secret: str | None = None) -> None:
    session = model._bind_session(None)
    body: dict[str, Any] = {"command": command, "id": target_id}
    if secret is not None:
        body["secret"] = secret
    session.request_json("core", "POST", "services/registry/command", json=body)


class RegistryProject(Model):
    """A project in a registry; the Hub's registry worker fills the ``external_id`` and account fields."""

    class Meta:
        service = "core"
        path = "registry-projects"
        singular = "registry_project"
        plural = "registry_projects"
        create_only = ("type", "registry_id")
        updatable = ("name", "external_name")
        required = ("name", "type", "registry_id", "external_name")
        hidden = ("account_secret",)
        secret = ("account_secret",)
        text_ids = ("external_id", "account_id")
        filters = ("id", "name", "registry_id", "external_name", "type")
        sorts = ("id", "updated_at", "created_at")
        includes = ("registry",)
        limits = {"name": (5, 128), "external_name": (3, 64)}
        patterns = {"external_name": r"[a-z0-9_-]*"}

    name: str | None = None
    type: RegistryProjectTypeValue = None
    registry_id: str | None = None
    external_name: str | None = None
    public: bool | None = None
    external_id: str | int | None = None
    account_id: str | int | None = None
    account_name: str | None = None
    account_secret: str | None = Field(default=None, repr=False)
    webhook_name: str | None = None
    webhook_exists: bool | None = None
    realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    registry = Relation("registry_id", "Registry")

    def link(self, secret: str | None = None) -> None:
        """Link the project in the registry (registry command ``projectLink``)."""
        _registry_command(self, RegistryCommand.PROJECT_LINK.value, self._require_id("link()"), secret)

    def unlink(self) -> None:
        """Unlink the project from the registry (registry command ``projectUnlink``)."""
        _registry_command(self, RegistryCommand.PROJECT_UNLINK.value, self._require_id("unlink()"))


class MasterImageGroup(Model):
    """A group of master images from the Hub's image catalogue (read-only, deletable)."""

    class Meta:
        service = "core"
        path = "master-image-groups"
        singular = "master_image_group"
        plural = "master_image_groups"
        operations = ("list", "get", "delete")
        filters = ("id", "name", "path", "virtual_path")
        repr_fields = ("id", "name", "virtual_path")

    name: str | None = None
    path: str | None = None
    virtual_path: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class MasterImageQuerySet(QuerySet["MasterImage"]):
    """QuerySet of master images, with the catalogue ``sync()`` command."""

    def sync(self) -> None:
        """Start a sync of the Hub's master-image catalogue (POST ``master-images/command``), run in the background."""
        self._get_session().request_json("core", "POST", "master-images/command", json={"command": "sync"})


class MasterImageManager(Manager["MasterImage"]):
    """Manager of master images, with the catalogue ``sync()`` command."""

    queryset_class = MasterImageQuerySet

    def sync(self, *, using: Any = None) -> None:
        """Start a sync of the Hub's master-image catalogue through ``using`` or the default session."""
        queryset = self.get_queryset()
        if using is not None:
            queryset = queryset.using(using)
        queryset.sync()  # type: ignore[attr-defined]


class MasterImage(Model):
    """An analysis base image from the Hub's catalogue; created by ``MasterImage.objects.sync()``, not by hand."""

    class Meta:
        service = "core"
        path = "master-images"
        singular = "master_image"
        plural = "master_images"
        operations = ("list", "get", "delete")
        filters = ("id", "name", "path", "virtual_path", "group_virtual_path")
        sorts = ("path",)
        manager = MasterImageManager
        repr_fields = ("id", "name", "virtual_path")

    name: str | None = None
    path: str | None = None
    virtual_path: str | None = None
    group_virtual_path: str | None = None
    command: str | None = None
    command_arguments: list[dict[str, Any]] | None = None
    build_status: ProcessStatusValue = None
    build_progress: int | None = None
    build_hash: str | None = None
    build_size: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def build(self) -> None:
        """Start building this image (master-image command ``build``); ``build_status`` becomes ``starting``."""
        record_id = self._require_id("build()")
        session = self._bind_session(None)
        body = session.request_json("core", "POST", "master-images/command", json={"command": "build", "id": record_id})
        self._command_response(body)


class Project(Model):
    """A project: the nodes that take part (``project_nodes``) and its analyses."""

    class Meta:
        service = "core"
        path = "projects"
        singular = "project"
        plural = "projects"
        updatable = ("name", "display_name", "description", "master_image_id")
        filters = ("id", "name", "display_name", "realm_id", "user_id")
        sorts = ("id", "name", "display_name", "updated_at", "created_at")
        includes = ("master_image",)
        limits = {"name": (3, 128), "display_name": (3, 256), "description": (5, 4096)}

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    master_image_id: str | None = None
    # The Hub's counters; ``nodes`` and ``analyses`` on the wire.
    node_count: int | None = Field(default=None, alias="nodes")
    analysis_count: int | None = Field(default=None, alias="analyses")
    realm_id: str | None = None
    user_id: str | None = None
    client_id: str | None = None
    robot_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    master_image = Relation("master_image_id", "MasterImage")
    realm = Relation("realm_id", "Realm", service="auth")
    user = Relation("user_id", "User", service="auth")
    project_nodes = Reverse("ProjectNode", "project_id")
    analyses = Reverse("Analysis", "project_id")


class ProjectNode(Model):
    """A node taking part in a project, with its approval."""

    class Meta:
        service = "core"
        path = "project-nodes"
        singular = "project_node"
        plural = "project_nodes"
        create_only = ("project_id", "node_id")
        updatable = ("approval_status", "comment")
        required = ("project_id", "node_id")
        filters = ("approval_status", "project_realm_id", "project_id", "node_realm_id", "node_id")
        sorts = ("created_at", "updated_at")
        includes = ("node", "project")
        limits = {"comment": (3, 4096)}
        repr_fields = ("id", "project_id", "node_id", "approval_status")

    project_id: str | None = None
    node_id: str | None = None
    approval_status: ApprovalStatusValue = None
    comment: str | None = None
    project_realm_id: str | None = None
    node_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    project = Relation("project_id", "Project")
    node = Relation("node_id", "Node")


class Analysis(Model):
    """An analysis of a project; the Hub derives its ``configuration_*``, ``build_*`` and execution fields."""

    class Meta:
        service = "core"
        path = "analyses"
        singular = "analysis"
        plural = "analyses"
        create_only = ("project_id",)
        updatable = (
            "name",
            "display_name",
            "description",
            "master_image_id",
            "registry_id",
            "image_command_arguments",
        )
        required = ("project_id",)
        filters = (
            "id",
            "name",
            "display_name",
            "description",
            "project_id",
            "realm_id",
            "build_status",
            "execution_status",
            "configuration_locked",
        )
        sorts = ("name", "display_name", "created_at", "updated_at")
        includes = ("project", "master_image")
        limits = {"name": (3, 128), "display_name": (3, 256), "description": (5, 4096)}

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    project_id: str | None = None
    master_image_id: str | None = None
    registry_id: str | None = None
    image_command_arguments: list[dict[str, Any]] | None = None
    # The Hub's counter of analysis nodes; ``nodes`` on the wire.
    node_count: int | None = Field(default=None, alias="nodes")
    nodes_approved: int | None = None
    configuration_locked: bool | None = None
    configuration_entrypoint_valid: bool | None = None
    configuration_image_valid: bool | None = None
    configuration_node_aggregator_valid: bool | None = None
    configuration_node_default_valid: bool | None = None
    configuration_nodes_valid: bool | None = None
    build_nodes_valid: bool | None = None
    build_status: ProcessStatusValue = None
    build_progress: int | None = None
    build_hash: str | None = None
    build_os: str | None = None
    build_size: int | None = None
    distribution_status: ProcessStatusValue = None
    distribution_progress: int | None = None
    execution_status: ProcessStatusValue = None
    execution_progress: int | None = None
    client_id: str | None = None
    realm_id: str | None = None
    user_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    project = Relation("project_id", "Project")
    master_image = Relation("master_image_id", "MasterImage")
    registry = Relation("registry_id", "Registry")
    realm = Relation("realm_id", "Realm", service="auth")
    user = Relation("user_id", "User", service="auth")
    analysis_nodes = Reverse("AnalysisNode", "analysis_id")
    buckets = Reverse("AnalysisBucket", "analysis_id")
    bucket_files = Reverse("AnalysisBucketFile", "analysis_id")
    node_events = Reverse("AnalysisNodeEvent", "analysis_id")
    logs = Reverse("AnalysisLog", "analysis_id")

    def command(self, command: AnalysisCommand | str) -> None:
        """Run an analysis command such as ``"buildStart"`` (POST ``analyses/{id}/command``) and reload the fields."""
        try:
            name = AnalysisCommand(command)
        except ValueError:
            allowed = ", ".join(member.value for member in AnalysisCommand)
            raise ValueError(f"Unknown analysis command {command!r}; use one of: {allowed}.") from None

        record_id = self._require_id("command()")
        session = self._bind_session(None)
        body = session.request_json("core", "POST", f"analyses/{record_id}/command", json={"command": name.value})
        self._command_response(body)

    def lock(self) -> None:
        """Lock the configuration (``configurationLock``)."""
        self.command(AnalysisCommand.CONFIGURATION_LOCK)

    def unlock(self) -> None:
        """Unlock the configuration (``configurationUnlock``); resets the build and non-aggregator approvals."""
        self.command(AnalysisCommand.CONFIGURATION_UNLOCK)

    def build_start(self) -> None:
        self.command(AnalysisCommand.BUILD_START)

    def build_check(self) -> None:
        self.command(AnalysisCommand.BUILD_CHECK)

    def distribution_start(self) -> None:
        self.command(AnalysisCommand.DISTRIBUTION_START)

    def distribution_check(self) -> None:
        self.command(AnalysisCommand.DISTRIBUTION_CHECK)

    def storage_check(self) -> None:
        """Ask the Hub to (re)create missing storage buckets (``storageCheck``)."""
        self.command(AnalysisCommand.STORAGE_CHECK)

    def client_credentials(self) -> ClientCredentials:
        """Return the analysis' Authup client with its secret (GET ``analyses/{id}/client/credentials``)."""
        return _credentials(self, "client", "GET")

    def set_client_secret(self, secret: str | None = None) -> ClientCredentials:
        """Set the analysis client's secret, or let the Hub generate one when ``secret`` is ``None``."""
        return _credentials(self, "client", "POST", json={"secret": secret})

    def client_permissions(self) -> list[Any]:
        """Return the ``ClientPermission`` grants of the analysis' client, each with its ``permission`` loaded."""
        from flame_hub.models.auth import ClientPermission

        record_id = self._require_id("client_permissions()")
        session = self._bind_session(None)
        body = session.request_json("core", "GET", f"analyses/{record_id}/client/permissions")
        return [ClientPermission._from_hub(row, session) for row in _unwrap(body) or []]

    def add_client_permission(self, permission: Any) -> Any:
        """Grant a permission (object or id) to the analysis' client; the Hub allows only ``analysis_self_*`` ones."""
        from flame_hub.models.auth import ClientPermission

        record_id = self._require_id("add_client_permission()")
        session = self._bind_session(None)
        body = {"permissionId": check_id(permission, what="permission")}
        response = session.request_json("core", "POST", f"analyses/{record_id}/client/permissions", json=body)
        return ClientPermission._from_hub(_unwrap(response), session)

    def remove_client_permission(self, permission: Any) -> None:
        """Revoke a permission (object or id) from the analysis' client."""
        record_id = self._require_id("remove_client_permission()")
        permission_id = check_id(permission, what="permission")
        session = self._bind_session(None)
        session.request_json("core", "DELETE", f"analyses/{record_id}/client/permissions/{permission_id}")


class AnalysisNode(Model):
    """A node taking part in an analysis, with its approval and execution state."""

    class Meta:
        service = "core"
        path = "analysis-nodes"
        singular = "analysis_node"
        plural = "analysis_nodes"
        create_only = ("analysis_id", "node_id")
        updatable = ("approval_status", "comment", "execution_status", "execution_progress")
        required = ("analysis_id", "node_id")
        filters = (
            "execution_status",
            "approval_status",
            "analysis_id",
            "analysis_realm_id",
            "node_id",
            "node_realm_id",
        )
        sorts = ("created_at", "updated_at")
        includes = ("node", "analysis")
        repr_fields = ("id", "analysis_id", "node_id", "approval_status", "execution_status")

    analysis_id: str | None = None
    node_id: str | None = None
    approval_status: ApprovalStatusValue = None
    comment: str | None = None
    execution_status: ProcessStatusValue = None
    execution_progress: int | None = None
    artifact_tag: str | None = None
    artifact_digest: str | None = None
    analysis_realm_id: str | None = None
    node_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    analysis = Relation("analysis_id", "Analysis")
    node = Relation("node_id", "Node")

    def _check_user_value(self, name: str, value: Any) -> None:
        super()._check_user_value(name, value)
        if name == "execution_progress" and value is not None and not 0 <= value <= 100:
            raise ValueError(f"AnalysisNode.execution_progress must be 0 to 100, got {value!r}.")


class AnalysisBucket(Model):
    """The link of an analysis to a storage bucket of type CODE, RESULT or TEMP; nothing in it can be updated."""

    class Meta:
        service = "core"
        path = "analysis-buckets"
        singular = "analysis_bucket"
        plural = "analysis_buckets"
        operations = ("list", "get", "create", "delete")
        create_only = ("type", "bucket_id", "analysis_id")
        required = ("type", "bucket_id", "analysis_id")
        filters = ("analysis_id", "type")
        sorts = ("type", "created_at", "updated_at")
        includes = ("analysis",)
        repr_fields = ("id", "type", "analysis_id", "bucket_id")

    type: AnalysisBucketTypeValue = None
    bucket_id: str | None = None
    analysis_id: str | None = None
    realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    analysis = Relation("analysis_id", "Analysis")
    bucket = Relation("bucket_id", "Bucket", service="storage")
    files = Reverse("AnalysisBucketFile", "analysis_bucket_id")


class AnalysisBucketFile(Model):
    """A file of an analysis bucket; ``root=True`` marks the entrypoint."""

    class Meta:
        service = "core"
        path = "analysis-bucket-files"
        singular = "analysis_bucket_file"
        plural = "analysis_bucket_files"
        create_only = ("analysis_bucket_id", "bucket_id", "bucket_file_id")
        updatable = ("path", "root")
        required = ("analysis_bucket_id", "bucket_id", "bucket_file_id", "path")
        filters = ("path", "root", "analysis_bucket_id", "analysis_id")
        sorts = ("path", "created_at", "updated_at")
        includes = ("analysis", "analysis_bucket")
        limits = {"path": (1, 256)}
        repr_fields = ("id", "path", "root", "analysis_id")

    analysis_bucket_id: str | None = None
    bucket_id: str | None = None
    bucket_file_id: str | None = None
    path: str | None = None
    root: bool | None = None
    analysis_id: str | None = None
    realm_id: str | None = None
    user_id: str | None = None
    client_id: str | None = None
    robot_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    analysis = Relation("analysis_id", "Analysis")
    analysis_bucket = Relation("analysis_bucket_id", "AnalysisBucket")
    bucket = Relation("bucket_id", "Bucket", service="storage")
    bucket_file = Relation("bucket_file_id", "BucketFile", service="storage")


class AnalysisNodeEvent(Model):
    """An event of a node in an analysis (read-only)."""

    class Meta:
        service = "core"
        path = "analysis-node-events"
        singular = "analysis_node_event"
        plural = "analysis_node_events"
        operations = ("list", "get")
        filters = ("analysis_id", "node_id")
        sorts = ("created_at", "updated_at")
        includes = ("analysis", "node")
        repr_fields = ("id", "event_id", "analysis_id", "node_id")

    event_id: str | None = None
    analysis_id: str | None = None
    analysis_realm_id: str | None = None
    node_id: str | None = None
    node_realm_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    analysis = Relation("analysis_id", "Analysis")
    node = Relation("node_id", "Node")
