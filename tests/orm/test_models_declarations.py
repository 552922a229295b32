"""Each resource's declaration (Model._meta), parsing of Hub records, and local checks on assignment."""

import json
import warnings

import pytest

from flame_hub import models
from flame_hub.models import (
    RESOURCES,
    Analysis,
    AnalysisNode,
    Bucket,
    BucketFile,
    Client,
    MasterImage,
    Node,
    Project,
    Registry,
    RegistryProject,
    Robot,
    User,
    UserRole,
)
from flame_hub.models._base import IgnoredFieldWarning, UnknownEnumValueWarning, UnsupportedOperation
from flame_hub.types import NodeType

NODE_ID = "0dd7b864-98d0-4302-a601-bc4a6121cf14"
REALM_ID = "cc799b45-ba12-449f-b637-93de42fc4d7c"

# (model, service, path, singular, plural, operations, includes)
DECLARATIONS = [
    ("Realm", "auth", "realms", "realm", "realms", "CRUD", ()),
    ("User", "auth", "users", "user", "users", "CRUD", ("realm",)),
    ("Role", "auth", "roles", "role", "roles", "CRUD", ("realm",)),
    ("Permission", "auth", "permissions", "permission", "permissions", "CRUD", ()),
    (
        "RolePermission",
        "auth",
        "role-permissions",
        "role_permission",
        "role_permissions",
        "CRD",
        ("role", "permission"),
    ),
    (
        "UserPermission",
        "auth",
        "user-permissions",
        "user_permission",
        "user_permissions",
        "CRD",
        ("user", "permission"),
    ),
    ("UserRole", "auth", "user-roles", "user_role", "user_roles", "CRD", ("user", "role")),
    ("Client", "auth", "clients", "client", "clients", "CRUD", ("realm",)),
    (
        "ClientPermission",
        "auth",
        "client-permissions",
        "client_permission",
        "client_permissions",
        "CRD",
        ("client", "permission"),
    ),
    ("ClientRole", "auth", "client-roles", "client_role", "client_roles", "CRD", ("client", "role")),
    ("Robot", "auth", "robots", "robot", "robots", "", ()),
    ("Node", "core", "nodes", "node", "nodes", "CRUD", ("registry", "registry_project")),
    ("Registry", "core", "registries", "registry", "registries", "CRUD", ()),
    ("RegistryProject", "core", "registry-projects", "registry_project", "registry_projects", "CRUD", ("registry",)),
    ("Project", "core", "projects", "project", "projects", "CRUD", ("master_image",)),
    ("ProjectNode", "core", "project-nodes", "project_node", "project_nodes", "CRUD", ("node", "project")),
    ("Analysis", "core", "analyses", "analysis", "analyses", "CRUD", ("project", "master_image")),
    ("AnalysisNode", "core", "analysis-nodes", "analysis_node", "analysis_nodes", "CRUD", ("node", "analysis")),
    ("AnalysisBucket", "core", "analysis-buckets", "analysis_bucket", "analysis_buckets", "CRD", ("analysis",)),
    (
        "AnalysisBucketFile",
        "core",
        "analysis-bucket-files",
        "analysis_bucket_file",
        "analysis_bucket_files",
        "CRUD",
        ("analysis", "analysis_bucket"),
    ),
    (
        "AnalysisNodeEvent",
        "core",
        "analysis-node-events",
        "analysis_node_event",
        "analysis_node_events",
        "R",
        ("analysis", "node"),
    ),
    ("MasterImage", "core", "master-images", "master_image", "master_images", "RD", ()),
    ("MasterImageGroup", "core", "master-image-groups", "master_image_group", "master_image_groups", "RD", ()),
    ("Bucket", "storage", "buckets", "bucket", "buckets", "CRD", ()),
    ("BucketFile", "storage", "bucket-files", "bucket_file", "bucket_files", "RD", ("bucket",)),
    ("AnalysisLog", "core", "analysis-logs", "analysis_log", "analysis_logs", "LD", ()),
    ("AnalysisNodeLog", "core", "analysis-node-logs", "analysis_node_log", "analysis_node_logs", "LCD", ()),
]

LETTERS = {
    "C": {"create"},
    "R": {"list", "get"},
    "U": {"update"},
    "D": {"delete"},
    "L": {"list"},
}


def operations_of(letters):
    result = set()
    for letter in letters:
        result |= LETTERS[letter]
    return result


@pytest.mark.parametrize(("name", "service", "path", "singular", "plural", "ops", "includes"), DECLARATIONS)
def test_resource_declaration(name, service, path, singular, plural, ops, includes):
    meta = getattr(models, name)._meta
    assert meta.service == service
    assert meta.path == path
    assert meta.singular == singular
    assert meta.plural == plural
    assert set(meta.operations) == operations_of(ops)
    assert meta.includes == includes


def test_every_resource_declared():
    assert {model.__name__ for model in RESOURCES} == {row[0] for row in DECLARATIONS}


def test_include_wire_names():
    assert [Node._meta.wire_name(name) for name in Node._meta.includes] == ["registry", "registryProject"]


def test_field_groups_of_node():
    meta = Node._meta
    assert meta.create_only == {"realm_id"}
    assert meta.updatable == {"name", "external_name", "public_key", "hidden", "type", "registry_id"}
    assert {"id", "online", "client_id", "registry_project_id", "created_at"} <= meta.server_set
    assert meta.filters == {"id", "name", "online", "hidden", "client_id", "realm_id", "robot_id"}
    assert meta.sorts == ("name", "updated_at", "created_at")


def test_hidden_and_secret_fields():
    assert User._meta.hidden == {"email"}
    assert Client._meta.hidden == {"secret"}
    assert Registry._meta.hidden == {"account_secret"}
    assert RegistryProject._meta.hidden == {"account_secret"}
    assert "password" in User._meta.secret


def test_relations_declared():
    relations = Node._meta.relations
    assert relations["realm"].field == "realm_id"
    assert relations["realm"].target_name == "Realm"
    assert relations["realm"].service == "auth"
    assert relations["registry_project"].field == "registry_project_id"
    assert Analysis._meta.relations["project"].target is Project
    assert set(Project._meta.reverse) == {"project_nodes", "analyses"}


def test_counter_fields_use_wire_names():
    project = Project._from_hub({"id": NODE_ID, "name": "p-1", "nodes": 2, "analyses": 3}, None)
    assert project.node_count == 2
    assert project.analysis_count == 3
    assert Project._meta.wire_name("analysis_count") == "analyses"


def test_unknown_fields_kept():
    node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "futureField": {"a": 1}}, None)
    assert node.model_extra == {"futureField": {"a": 1}}
    assert json.loads(node.model_dump_json(indent=2))["futureField"] == {"a": 1}


def test_unknown_enum_value_kept_with_warning():
    with pytest.warns(UnknownEnumValueWarning, match="'relay'"):
        node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "type": "relay"}, None)
    assert node.type == "relay"


def test_known_enum_value_becomes_member():
    node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "type": "aggregator"}, None)
    assert node.type is NodeType.AGGREGATOR


def test_big_integers_parse():
    image = MasterImage._from_hub({"id": NODE_ID, "name": "python", "buildSize": 2**70}, None)
    assert image.build_size == 2**70


def test_null_and_absent_fields_parse():
    node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "publicKey": None}, None)
    assert node.public_key is None
    assert node.registry_id is None


def test_server_values_outside_limits_parse():
    node = Node._from_hub({"id": NODE_ID, "name": "x"}, None)
    assert node.name == "x"


def test_secrets_not_in_repr():
    user = User._from_hub(
        {"id": NODE_ID, "name": "alice", "password": "$2b$10$hash", "resetHash": "r-hash", "activateHash": "a-h"}, None
    )
    client = Client._from_hub({"id": NODE_ID, "name": "svc", "secret": "s3cr3t-value"}, None)
    registry = Registry._from_hub({"id": NODE_ID, "name": "reg", "host": "h.org", "accountSecret": "acc-s3cr3t"}, None)
    for obj, secret in ((user, "$2b$10$hash"), (user, "r-hash"), (client, "s3cr3t-value"), (registry, "acc-s3cr3t")):
        assert secret not in repr(obj)
        assert secret not in str(obj)


def test_secret_extras_not_in_repr_args():
    user = User._from_hub({"id": NODE_ID, "name": "alice", "someToken": "tok-123"}, None)
    assert "tok-123" not in repr(list(user.__repr_args__()))


def test_repr_marks_unsaved():
    assert repr(Node(name="lab-1")) == "Node(name='lab-1') (unsaved)"


def test_repr_identifying_fields_first():
    node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "realmId": REALM_ID}, None)
    assert repr(node) == f"Node(id='{NODE_ID}', name='lab-1', realm_id='{REALM_ID}')"


def test_repr_marks_modified():
    node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "hidden": False}, None)
    node.hidden = True
    assert repr(node).endswith(" (modified: hidden)")


def test_unknown_attribute_rejected():
    node = Node(name="lab-1")
    with pytest.raises(AttributeError, match="Node has no field 'nmae'; its fields are: .*name"):
        node.nmae = "lab-2"


def test_unknown_constructor_argument_rejected():
    with pytest.raises(AttributeError, match="no field 'colour'"):
        Node(name="lab-1", colour="red")


def test_server_set_field_rejected():
    node = Node(name="lab-1")
    with pytest.raises(AttributeError, match="Node.online is set by the Hub"):
        node.online = True


def test_create_only_field_on_saved_object_rejected():
    node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "realmId": REALM_ID}, None)
    with pytest.raises(AttributeError, match="realm_id can only be set when the record is created"):
        node.realm_id = NODE_ID


def test_create_only_relation_on_saved_object_rejected():
    analysis = Analysis._from_hub({"id": NODE_ID, "projectId": REALM_ID}, None)
    with pytest.raises(AttributeError, match="project_id can only be set"):
        analysis.project = NODE_ID


def test_enum_value_checked_on_assignment():
    node = Node(name="lab-1")
    with pytest.raises(ValueError, match="'relay' is not accepted by the Hub"):
        node.type = "relay"
    node.type = "aggregator"
    assert node.type is NodeType.AGGREGATOR


def test_length_checked_on_assignment():
    with pytest.raises(ValueError, match="3 to 128 characters"):
        Node(name="ab")
    with pytest.raises(ValueError, match="3 to 128 characters"):
        Node(name="x" * 129)


def test_type_validated_on_assignment():
    node = Node(name="lab-1")
    with pytest.raises(ValueError):
        node.hidden = "not a bool"


def test_id_field_checked_on_assignment():
    with pytest.raises(ValueError, match="must be a UUID"):
        Node(name="lab-1", registry_id="not-a-uuid")


def test_equality_and_hash_by_type_and_id():
    first = Node._from_hub({"id": NODE_ID, "name": "lab-1"}, None)
    second = Node._from_hub({"id": NODE_ID, "name": "lab-2"}, None)
    other_type = Project._from_hub({"id": NODE_ID, "name": "p-1"}, None)
    assert first == second
    assert hash(first) == hash(second)
    assert first != other_type
    assert len({first, second, other_type}) == 2


def test_unsaved_objects_unhashable():
    with pytest.raises(TypeError, match="cannot be hashed"):
        hash(Node(name="lab-1"))


def test_manager_not_reachable_from_instances():
    with pytest.raises(AttributeError, match="Manager isn't accessible via Node instances"):
        Node(name="lab-1").objects  # noqa: B018


def test_read_only_resource_fields_rejected():
    image = MasterImage._from_hub({"id": NODE_ID, "name": "python"}, None)
    with pytest.raises(AttributeError, match="set by the Hub"):
        image.name = "other"


def test_read_only_resource_save_unsupported():
    image = MasterImage._from_hub({"id": NODE_ID, "name": "python"}, None)
    with pytest.raises(UnsupportedOperation, match="does not support 'update' for MasterImage"):
        image.save(using=object())


def test_robot_operations_unsupported():
    with pytest.raises(UnsupportedOperation, match="does not support 'list' for Robot"):
        list(Robot.objects.using(object()).all())


def test_no_update_resource_rejects_save():
    user_role = UserRole._from_hub({"id": NODE_ID, "userId": REALM_ID, "roleId": REALM_ID}, None)
    with pytest.raises(UnsupportedOperation, match="does not support 'update' for UserRole"):
        user_role.save(update_fields=["role_id"], using=object())


def test_bucket_file_has_no_create():
    with pytest.raises(AttributeError, match="set by the Hub"):
        BucketFile(name="x.txt")


def test_bucket_update_unsupported():
    assert not Bucket._meta.supports("update")


def test_analysis_node_progress_range():
    node = AnalysisNode(analysis_id=NODE_ID, node_id=REALM_ID)
    with pytest.raises(ValueError, match="0 to 100"):
        node.execution_progress = 101


def test_model_dump_json_uses_camel_aliases():
    node = Node(name="lab-1", hidden=True)
    dumped = json.loads(node.model_dump_json(indent=2, by_alias=True))
    assert dumped["name"] == "lab-1"
    assert dumped["hidden"] is True
    assert "registryProjectId" in dumped


def test_ignored_field_warning_class():
    assert issubclass(IgnoredFieldWarning, UserWarning)


def test_no_warning_for_clean_parse():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Node._from_hub({"id": NODE_ID, "name": "lab-1", "type": "default"}, None)


def test_model_validate_parses_hub_records():
    node = Node.model_validate({"id": NODE_ID, "name": "lab-1", "online": True, "registryProjectId": None})
    assert node.id == NODE_ID
    assert node.online is True
    assert not node.is_saved


def test_wrong_type_kept_aside_with_warning():
    from flame_hub.models import HubDataWarning

    with pytest.warns(HubDataWarning, match="hidden"):
        node = Node._from_hub({"id": NODE_ID, "name": "lab-1", "hidden": "sometimes"}, None)
    assert node.hidden is None
    assert node.model_extra["hidden"] == "sometimes"
    assert node.name == "lab-1"


def test_relation_services():
    from flame_hub.models import AnalysisBucket, BucketFile

    assert Node._meta.relations["registry"].service == "core"
    assert AnalysisBucket._meta.relations["bucket"].service == "storage"
    assert BucketFile._meta.relations["bucket"].service == "storage"
    for model in RESOURCES:
        for relation in model._meta.relations.values():
            assert relation.service == relation.target._meta.service


def test_pattern_checked_on_assignment():
    with pytest.raises(ValueError, match=r"external_name must match \[a-z0-9_-\]\*"):
        Node(name="lab-1", external_name="Lab One")
    assert Node(name="lab-1", external_name="lab_one-1").external_name == "lab_one-1"
    with pytest.raises(ValueError, match="external_name must match"):
        RegistryProject(name="proj-one", external_name="UPPER")
