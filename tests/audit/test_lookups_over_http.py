"""Every lookup over real HTTP: the query string the fake Hub receives and the rows it selects."""

from __future__ import annotations

import pytest

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import Node, Realm

NAMES = ("lab-a1", "lab-b2", "other-c3")


@pytest.fixture
def session(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as opened:
        for name in NAMES:
            Node.objects.using(opened).create(name=name, hidden=name == "lab-b2")
        fake_hub.clear_requests()
        yield opened


def selected_names(queryset):
    """Return the names of the created nodes that ``queryset`` selects, in the order received."""
    return [node.name for node in queryset if node.name in NAMES]


def sent_filters(hub):
    """Return the filter parameters of the one list request sent to the nodes endpoint."""
    [request] = hub.requests_to("/core/nodes", "GET")
    return [(key, value) for key, value in request.query_params if key.startswith("filter[")]


@pytest.mark.parametrize(
    ("lookups", "wire", "expected"),
    [
        ({"name": "lab-a1"}, [("filter[name]", "lab-a1")], {"lab-a1"}),
        ({"name__exact": "lab-a1"}, [("filter[name]", "lab-a1")], {"lab-a1"}),
        ({"name__ne": "lab-a1"}, [("filter[name]", "!lab-a1")], {"lab-b2", "other-c3"}),
        ({"name__in": ["lab-a1", "other-c3"]}, [("filter[name]", "lab-a1,other-c3")], {"lab-a1", "other-c3"}),
        ({"name__lt": "lab-b2"}, [("filter[name]", "<lab-b2")], {"lab-a1"}),
        ({"name__lte": "lab-b2"}, [("filter[name]", "<=lab-b2")], {"lab-a1", "lab-b2"}),
        ({"name__gt": "lab-b2"}, [("filter[name]", ">lab-b2")], {"other-c3"}),
        ({"name__gte": "lab-b2"}, [("filter[name]", ">=lab-b2")], {"lab-b2", "other-c3"}),
        ({"name__contains": "b-b"}, [("filter[name]", "~b-b~")], {"lab-b2"}),
        ({"name__startswith": "lab-"}, [("filter[name]", "lab-~")], {"lab-a1", "lab-b2"}),
        ({"name__endswith": "-c3"}, [("filter[name]", "~-c3")], {"other-c3"}),
        ({"hidden": True}, [("filter[hidden]", "true")], {"lab-b2"}),
        ({"realm_id__isnull": False}, [("filter[realmId]", "!null")], set(NAMES)),
        ({"realm_id__isnull": True}, [("filter[realmId]", "null")], set()),
    ],
)
def test_filter_lookup_selects_rows(fake_hub, session, lookups, wire, expected):
    names = selected_names(Node.objects.using(session).filter(**lookups))

    assert sent_filters(fake_hub) == wire
    assert set(names) == expected


@pytest.mark.parametrize(
    ("lookups", "wire", "expected"),
    [
        ({"hidden": True}, [("filter[hidden]", "!true")], {"lab-a1", "other-c3"}),
        ({"name__in": ["lab-a1", "lab-b2"]}, [("filter[name]", "!lab-a1,lab-b2")], {"other-c3"}),
        ({"name__startswith": "lab-"}, [("filter[name]", "!lab-~")], {"other-c3"}),
    ],
)
def test_exclude_lookup_selects_rows(fake_hub, session, lookups, wire, expected):
    names = selected_names(Node.objects.using(session).exclude(**lookups))

    assert sent_filters(fake_hub) == wire
    assert set(names) == expected


def test_relation_object_as_filter_value(fake_hub, session):
    realm = Realm.objects.using(session).get(name="master")
    fake_hub.clear_requests()

    names = selected_names(Node.objects.using(session).filter(realm=realm))

    assert sent_filters(fake_hub) == [("filter[realmId]", realm.id)]
    assert set(names) == set(NAMES)


def test_readme_chain_query_string(fake_hub, session):
    names = selected_names(
        Node.objects.using(session).filter(name__startswith="lab-").exclude(hidden=True).order_by("-created_at")[:10]
    )

    [request] = fake_hub.requests_to("/core/nodes", "GET")
    assert request.query_params == [
        ("filter[name]", "lab-~"),
        ("filter[hidden]", "!true"),
        ("sort", "-createdAt"),
        ("page[limit]", "10"),
        ("page[offset]", "0"),
    ]
    assert names == ["lab-a1"]


@pytest.mark.parametrize(
    "lookups",
    [{"name": "a,b"}, {"name": "!lab"}, {"name": "<lab"}, {"name": "~lab"}, {"type": "default"}, {"name__in": []}],
)
def test_inexpressible_filter_sends_nothing(fake_hub, session, lookups):
    with pytest.raises((ValueError, TypeError)):
        Node.objects.using(session).filter(**lookups)

    assert fake_hub.requests_to("/core/nodes", "GET") == []
