"""Encoding of filter() and exclude() lookups as the Hub's bracket filters, and what is rejected locally."""

import uuid

import pytest

from flame_hub._lookups import build_filter, check_id, to_camel
from flame_hub.models import Analysis, AnalysisNode, Node, Project, Realm
from flame_hub.types import NodeType

NODE_ID = "0dd7b864-98d0-4302-a601-bc4a6121cf14"
OTHER_ID = "b4cfee7c-02c0-486c-83a3-b383cf0598ad"


def encoded(model, negate=False, **kwargs):
    [(key, value)] = kwargs.items()
    condition = build_filter(model._meta, key, value, negate=negate)
    return condition.key, condition.value


@pytest.mark.parametrize(
    ("lookup", "value", "wire"),
    [
        ("name", "lab-1", "lab-1"),
        ("name__exact", "lab-1", "lab-1"),
        ("name__ne", "lab-1", "!lab-1"),
        ("name__lt", "lab-b", "<lab-b"),
        ("name__lte", "lab-b", "<=lab-b"),
        ("name__gt", "lab-b", ">lab-b"),
        ("name__gte", "lab-b", ">=lab-b"),
        ("name__contains", "ab-", "~ab-~"),
        ("name__startswith", "lab-", "lab-~"),
        ("name__endswith", "-1", "~-1"),
        ("name__isnull", True, "null"),
        ("name__isnull", False, "!null"),
        ("hidden", True, "true"),
        ("online", False, "false"),
        ("name__in", ["lab-1", "lab-2"], "lab-1,lab-2"),
        ("id__in", [NODE_ID, uuid.UUID(OTHER_ID)], f"{NODE_ID},{OTHER_ID}"),
    ],
)
def test_filter_wire_values(lookup, value, wire):
    key, sent = encoded(Node, **{lookup: value})
    assert key == f"filter[{to_camel(lookup.split('__')[0])}]"
    assert sent == wire


@pytest.mark.parametrize(
    ("lookup", "value", "wire"),
    [
        ("name", "lab-1", "!lab-1"),
        ("hidden", True, "!true"),
        ("name__in", ["a-1", "b-2"], "!a-1,b-2"),
        ("name__contains", "ab", "!~ab~"),
        ("name__startswith", "lab", "!lab~"),
        ("name__endswith", "b-1", "!~b-1"),
        ("name__isnull", True, "!null"),
        ("name__isnull", False, "null"),
    ],
)
def test_exclude_wire_values(lookup, value, wire):
    assert encoded(Node, negate=True, **{lookup: value})[1] == wire


@pytest.mark.parametrize("lookup", ["name__ne", "name__lt", "name__lte", "name__gt", "name__gte"])
def test_exclude_comparison_rejected(lookup):
    with pytest.raises(ValueError, match="opposite comparison"):
        encoded(Node, negate=True, **{lookup: "lab"})


def test_relation_object_as_value():
    realm = Realm._from_hub({"id": NODE_ID, "name": "master"}, None)
    assert encoded(Node, realm=realm) == ("filter[realmId]", NODE_ID)
    assert encoded(Node, realm_id=realm) == ("filter[realmId]", NODE_ID)


def test_relation_id_forms():
    assert encoded(Analysis, project=uuid.UUID(NODE_ID)) == ("filter[projectId]", NODE_ID)
    assert encoded(Analysis, project=NODE_ID.upper()) == ("filter[projectId]", NODE_ID)


def test_enum_values():
    assert encoded(AnalysisNode, execution_status="executed")[1] == "executed"
    with pytest.raises(ValueError, match="not a value the Hub accepts"):
        encoded(AnalysisNode, execution_status="done")


def test_enum_member_value():
    assert encoded(AnalysisNode, approval_status__in=["approved", "rejected"])[1] == "approved,rejected"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a,b", "comma"),
        ("!lab", "operator"),
        ("<lab", "operator"),
        (">lab", "operator"),
        ("~lab", "operator"),
        ("lab~", "ends with"),
        ("null", "null or boolean"),
        ("NULL", "null or boolean"),
        ("true", "null or boolean"),
        ("123", "number"),
        ("1.5", "number"),
        ("", "empty"),
    ],
)
def test_inexpressible_text_rejected(value, reason):
    with pytest.raises(ValueError, match=reason):
        encoded(Node, name=value)


def test_inexpressible_item_in_list_rejected():
    with pytest.raises(ValueError, match="comma"):
        encoded(Node, name__in=["ok-1", "x,y"])


def test_empty_in_rejected():
    with pytest.raises(ValueError, match="empty"):
        encoded(Node, name__in=[])


def test_in_takes_a_list():
    with pytest.raises(TypeError, match="list"):
        encoded(Node, name__in="lab-1")


def test_disallowed_key_rejected():
    with pytest.raises(ValueError, match="cannot be filtered by 'external_name'") as caught:
        encoded(Node, external_name="x-1")
    assert "Filterable fields: client_id, hidden, id, name, online, realm_id, robot_id" in str(caught.value)


def test_unknown_lookup_rejected():
    with pytest.raises(ValueError, match="Unsupported lookup 'like'"):
        encoded(Node, name__like="lab")


def test_none_value_rejected():
    with pytest.raises(ValueError, match="name__isnull=True"):
        encoded(Node, name=None)


@pytest.mark.parametrize("value", ["not-a-uuid", "", None, 42])
def test_bad_ids_rejected(value):
    with pytest.raises((ValueError, TypeError)):
        encoded(Node, id=value)


def test_bool_field_takes_bool():
    with pytest.raises(TypeError, match="True or False"):
        encoded(Node, hidden="yes")


def test_text_lookup_on_bool_rejected():
    with pytest.raises(TypeError, match="text fields"):
        encoded(Node, hidden__contains=True)


def test_over_long_value_rejected():
    with pytest.raises(ValueError, match="limit of 128"):
        encoded(Project, name="x" * 129)


def test_isnull_takes_bool():
    with pytest.raises(TypeError):
        encoded(Node, name__isnull="yes")


def test_unfilterable_enum_field_rejected():
    with pytest.raises(ValueError, match="cannot be filtered by 'type'"):
        encoded(Node, type=NodeType.AGGREGATOR)


def test_check_id_unsaved_model():
    with pytest.raises(ValueError, match="save\\(\\) it"):
        check_id(Node(name="lab-1"))


def test_to_camel():
    assert to_camel("registry_project_id") == "registryProjectId"
    assert to_camel("name") == "name"


def test_text_match_keeps_number_like_text():
    assert encoded(Node, name__startswith="123")[1] == "123~"
    assert encoded(Node, name__contains="null")[1] == "~null~"
