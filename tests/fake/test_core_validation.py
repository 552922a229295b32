"""Request body validation of the fake Hub's core service, without a server."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flame_hub.testing._core_analyses import ANALYSIS_ATTRIBUTES, NODE_LOG_ATTRIBUTES
from flame_hub.testing._core_nodes import NODE_ATTRIBUTES, PROJECT_ATTRIBUTES, REGISTRY_PROJECT_ATTRIBUTES
from flame_hub.testing._core_validation import Attribute, is_uuid_v4, validate
from flame_hub.testing._errors import FakeHubError

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)

BODY_KEYS = st.sampled_from(
    ["name", "type", "hidden", "imageCommandArguments", "labels", "projectId", "level", "message", "displayName", "x"]
)
BODIES = st.dictionaries(BODY_KEYS, JSON_VALUES, max_size=5) | JSON_VALUES


def rejection(body, attributes, *, creating=True) -> FakeHubError:
    with pytest.raises(FakeHubError) as caught:
        validate(body, attributes, creating=creating, relation="nodes")
    return caught.value


def test_validate_drops_unmounted_keys():
    cleaned = validate({"name": "alpha", "online": True, "foo": 1}, NODE_ATTRIBUTES, creating=True)
    assert cleaned == {"name": "alpha"}


def test_validate_create_only_key_dropped_on_update():
    cleaned = validate({"realmId": "not-a-uuid", "hidden": True}, NODE_ATTRIBUTES, creating=False)
    assert cleaned == {"hidden": True}


def test_validate_required_issue_has_no_meta():
    error = rejection({}, NODE_ATTRIBUTES)
    assert error.message == "Property name is invalid"
    assert error.issues == [
        {
            "type": "item",
            "path": ["name"],
            "message": "Invalid input: expected string, received undefined",
            "code": "required",
            "expected": "string",
        }
    ]


def test_validate_optional_issue_has_meta():
    error = rejection({"name": "alpha", "hidden": "yes"}, NODE_ATTRIBUTES)
    assert error.issues[0]["meta"] == {"optional": True}
    assert error.issues[0]["message"] == "Invalid input: expected boolean, received string"


def test_validate_several_issues_message():
    error = rejection({}, REGISTRY_PROJECT_ATTRIBUTES)
    assert error.message == "Properties registryId, name, externalName, type are invalid."
    assert error.issues[3]["code"] == "one_of_failed"
    assert "expected" not in error.issues[3]


def test_validate_pattern_issue():
    error = rejection({"name": "alpha", "externalName": "Bad Name"}, NODE_ATTRIBUTES)
    assert error.issues[0]["data"] == {"pattern": "/^[a-z0-9-_]*$/"}


def test_validate_slug_normalised():
    assert validate({"name": "  Rec-Name  "}, PROJECT_ATTRIBUTES, creating=True) == {"name": "rec-name"}


def test_validate_explicit_null():
    assert validate({"displayName": None}, PROJECT_ATTRIBUTES, creating=False) == {"displayName": None}
    error = rejection({"name": None}, NODE_ATTRIBUTES, creating=False)
    assert error.status == 500
    assert error.message == 'null value in column "name" of relation "nodes" violates not-null constraint'


def test_validate_integer_range():
    attribute = Attribute("progress", kind="integer", minimum=0, maximum=100)
    assert rejection({"progress": 101}, [attribute]).issues[0]["code"] == "max_value"
    assert rejection({"progress": -1}, [attribute]).issues[0]["code"] == "min_value"
    assert rejection({"progress": True}, [attribute]).issues[0]["code"] == "value_invalid"


def test_uuid_v4_check():
    assert is_uuid_v4("6b0c1a3e-8a0e-4d4c-9c0e-2f6c1a3e8a0e")
    assert not is_uuid_v4("6b0c1a3e-8a0e-1d4c-9c0e-2f6c1a3e8a0e")
    assert not is_uuid_v4("not-a-uuid")


@pytest.mark.parametrize("attributes", [NODE_ATTRIBUTES, ANALYSIS_ATTRIBUTES, NODE_LOG_ATTRIBUTES, PROJECT_ATTRIBUTES])
@settings(max_examples=150, deadline=None)
@given(body=BODIES)
def test_validate_create_never_fails_as_server(attributes, body):
    try:
        validate(body, attributes, creating=True)
    except FakeHubError as error:
        assert error.status == 400
        assert error.issues
