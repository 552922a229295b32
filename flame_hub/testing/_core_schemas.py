"""Query schemas of the fake Hub's core resources, as hub 0.14.0 describes them in ``meta.schema``."""

from __future__ import annotations

from ._query import ResourceSchema

NODE = ResourceSchema(
    name="node",
    fields_default=(
        "id", "name", "clientId", "externalName", "hidden", "type", "online", "publicKey", "robotId", "realmId",
        "registryId", "registryProjectId", "createdAt", "updatedAt",
    ),
    fields_allowed=(
        "id", "name", "clientId", "externalName", "hidden", "type", "online", "publicKey", "robotId", "realmId",
        "registryId", "registryProjectId", "createdAt", "updatedAt",
    ),
    filters=("id", "name", "online", "hidden", "clientId", "realmId", "robotId"),
    sorts=("name", "updatedAt", "createdAt"),
    relations={"registryProject": "registryProject", "registry": "registry"},
)  # fmt: skip

REGISTRY = ResourceSchema(
    name="registry",
    fields_default=("id", "name", "host", "accountName", "createdAt", "updatedAt"),
    fields_allowed=("id", "name", "host", "accountName", "createdAt", "updatedAt", "accountSecret"),
    filters=("id", "name"),
    sorts=("id", "updatedAt", "createdAt"),
)

REGISTRY_PROJECT = ResourceSchema(
    name="registryProject",
    fields_default=(
        "id", "name", "type", "public", "externalName", "externalId", "accountId", "accountName", "webhookName",
        "webhookExists", "registryId", "realmId", "createdAt", "updatedAt",
    ),
    fields_allowed=(
        "id", "name", "type", "public", "externalName", "externalId", "accountId", "accountName", "webhookName",
        "webhookExists", "registryId", "realmId", "createdAt", "updatedAt", "accountSecret",
    ),
    filters=("id", "name", "registryId", "externalName", "type"),
    sorts=("id", "updatedAt", "createdAt"),
    relations={"registry": "registry"},
)  # fmt: skip

_PROJECT_FIELDS = (
    "id", "name", "displayName", "description", "nodes", "analyses", "createdAt", "updatedAt", "realmId", "clientId",
    "robotId", "userId", "masterImageId",
)  # fmt: skip

PROJECT = ResourceSchema(
    name="project",
    fields_default=_PROJECT_FIELDS,
    fields_allowed=_PROJECT_FIELDS,
    filters=("id", "name", "displayName", "realmId", "userId"),
    sorts=("id", "name", "displayName", "updatedAt", "createdAt"),
    relations={"masterImage": "masterImage"},
)

PROJECT_NODE = ResourceSchema(
    name="projectNode",
    fields_default=(
        "id", "approvalStatus", "comment", "createdAt", "updatedAt", "projectId", "projectRealmId", "nodeId",
        "nodeRealmId",
    ),
    filters=("approvalStatus", "projectRealmId", "projectId", "nodeRealmId", "nodeId"),
    sorts=("createdAt", "updatedAt"),
    relations={"node": "node", "project": "project"},
)  # fmt: skip

_ANALYSIS_FIELDS = (
    "id", "name", "displayName", "description", "nodes", "nodesApproved", "configurationLocked",
    "configurationEntrypointValid", "configurationImageValid", "configurationNodeAggregatorValid",
    "configurationNodeDefaultValid", "configurationNodesValid", "distributionStatus", "distributionProgress",
    "buildNodesValid", "buildStatus", "buildProgress", "buildHash", "buildOs", "buildSize", "executionStatus",
    "executionProgress", "createdAt", "updatedAt", "registryId", "clientId", "realmId", "userId", "projectId",
    "masterImageId", "imageCommandArguments",
)  # fmt: skip

ANALYSIS = ResourceSchema(
    name="analysis",
    fields_default=_ANALYSIS_FIELDS,
    fields_allowed=_ANALYSIS_FIELDS,
    filters=(
        "id", "name", "displayName", "description", "projectId", "realmId", "buildStatus", "executionStatus",
        "configurationLocked",
    ),
    sorts=("name", "displayName", "createdAt", "updatedAt"),
    default_sort=(("updatedAt", "DESC"),),
    relations={"project": "project", "masterImage": "masterImage"},
)  # fmt: skip

ANALYSIS_NODE = ResourceSchema(
    name="analysisNode",
    fields_default=(
        "id", "approvalStatus", "executionStatus", "executionProgress", "comment", "artifactTag", "artifactDigest",
        "createdAt", "updatedAt", "analysisId", "analysisRealmId", "nodeId", "nodeRealmId",
    ),
    filters=("executionStatus", "approvalStatus", "analysisId", "analysisRealmId", "nodeId", "nodeRealmId"),
    sorts=("createdAt", "updatedAt"),
    relations={"node": "node", "analysis": "analysis"},
)  # fmt: skip

_ANALYSIS_BUCKET_FIELDS = ("id", "type", "bucketId", "analysisId", "realmId", "createdAt", "updatedAt")

ANALYSIS_BUCKET = ResourceSchema(
    name="analysisBucket",
    fields_default=_ANALYSIS_BUCKET_FIELDS,
    fields_allowed=_ANALYSIS_BUCKET_FIELDS,
    filters=("analysisId", "type"),
    sorts=("type", "createdAt", "updatedAt"),
    relations={"analysis": "analysis"},
)

_ANALYSIS_BUCKET_FILE_FIELDS = (
    "id", "path", "root", "bucketId", "bucketFileId", "clientId", "robotId", "userId", "realmId", "analysisId",
    "analysisBucketId", "createdAt", "updatedAt",
)  # fmt: skip

ANALYSIS_BUCKET_FILE = ResourceSchema(
    name="analysisBucketFile",
    fields_default=_ANALYSIS_BUCKET_FILE_FIELDS,
    fields_allowed=_ANALYSIS_BUCKET_FILE_FIELDS,
    filters=("path", "root", "analysisBucketId", "analysisId"),
    sorts=("path", "createdAt", "updatedAt"),
    relations={"analysis": "analysis", "analysisBucket": "analysisBucket"},
)

ANALYSIS_NODE_EVENT = ResourceSchema(
    name="analysisNodeEvent",
    fields_default=(
        "id", "eventId", "createdAt", "updatedAt", "analysisId", "analysisRealmId", "nodeId", "nodeRealmId",
    ),
    filters=("analysisId", "nodeId"),
    sorts=("createdAt", "updatedAt"),
    relations={"analysis": "analysis", "node": "node"},
)  # fmt: skip

ANALYSIS_LOG = ResourceSchema(name="analysisLog", filters=("level", "analysisId"), sorts=("time",))

ANALYSIS_NODE_LOG = ResourceSchema(name="analysisNodeLog", filters=("level", "analysisId", "nodeId"), sorts=("time",))

MASTER_IMAGE = ResourceSchema(
    name="masterImage",
    fields_default=(
        "id", "name", "path", "virtualPath", "groupVirtualPath", "command", "commandArguments", "buildStatus",
        "buildProgress", "buildHash", "buildSize", "createdAt", "updatedAt",
    ),
    filters=("id", "name", "path", "virtualPath", "groupVirtualPath"),
    sorts=("path",),
    default_sort=(("path", "ASC"),),
)  # fmt: skip

MASTER_IMAGE_GROUP = ResourceSchema(
    name="masterImageGroup",
    fields_default=("id", "name", "path", "virtualPath", "createdAt", "updatedAt"),
    filters=("id", "name", "path", "virtualPath"),
)

# Authup's client-permission relation, listed by ``GET /analyses/{id}/client/permissions``.
CLIENT_PERMISSION = ResourceSchema(
    name="clientPermission",
    fields_default=(
        "id", "policyId", "realmScope", "permissionId", "permissionRealmId", "clientId", "clientRealmId", "createdAt",
        "updatedAt",
    ),
    filters=("clientId", "permissionId", "id", "clientRealmId", "permissionRealmId", "policyId"),
    sorts=("id", "createdAt", "updatedAt"),
    relations={"client": "client", "permission": "permission"},
    strict=False,
    indexes=(
        ("id",), ("clientId", "permissionId"), ("permissionId",), ("clientRealmId",), ("permissionRealmId",),
        ("policyId",), ("createdAt",), ("updatedAt",),
    ),
    flavour="authup",
)  # fmt: skip

PERMISSION = ResourceSchema(
    name="permission",
    fields_allowed=(
        "id", "builtIn", "name", "displayName", "description", "decisionStrategy", "clientId", "realmId", "createdAt",
        "updatedAt",
    ),
    filters=("id", "displayName", "name", "builtIn", "realmId", "clientId"),
    sorts=("id", "name", "createdAt", "updatedAt"),
    relations={},
    strict=False,
    indexes=(
        ("id",), ("name", "clientId", "realmId"), ("displayName",), ("builtIn",), ("realmId",), ("clientId",),
        ("createdAt",), ("updatedAt",),
    ),
    flavour="authup",
)  # fmt: skip

SCHEMAS = {
    schema.name: schema
    for schema in (
        NODE,
        REGISTRY,
        REGISTRY_PROJECT,
        PROJECT,
        PROJECT_NODE,
        ANALYSIS,
        ANALYSIS_NODE,
        ANALYSIS_BUCKET,
        ANALYSIS_BUCKET_FILE,
        ANALYSIS_NODE_EVENT,
        ANALYSIS_LOG,
        ANALYSIS_NODE_LOG,
        MASTER_IMAGE,
        MASTER_IMAGE_GROUP,
        CLIENT_PERMISSION,
        PERMISSION,
    )
}

# State table of each schema's records.
TABLES = {
    "node": "core.nodes",
    "registry": "core.registries",
    "registryProject": "core.registry_projects",
    "project": "core.projects",
    "projectNode": "core.project_nodes",
    "analysis": "core.analyses",
    "analysisNode": "core.analysis_nodes",
    "analysisBucket": "core.analysis_buckets",
    "analysisBucketFile": "core.analysis_bucket_files",
    "analysisNodeEvent": "core.analysis_node_events",
    "masterImage": "core.master_images",
    "masterImageGroup": "core.master_image_groups",
    "clientPermission": "auth.client_permissions",
    "permission": "auth.permissions",
    "client": "auth.clients",
}
