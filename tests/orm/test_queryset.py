"""QuerySet over HTTP: laziness, the exact query strings, paging past 50 rows, and the evaluating methods."""

import pytest
from _orm_helpers import logged, make_session, settle

from flame_hub import errors
from flame_hub.models import AnalysisLog, Node, Project, Realm, Registry


@pytest.fixture
def session(fake_hub):
    with make_session(fake_hub) as hub_session:
        yield hub_session


def make_nodes(session, *names, **fields):
    return [Node.objects.using(session).create(name=name, **fields) for name in names]


def last_query(hub, path="/core/nodes", method="GET"):
    settle(hub)
    return hub.requests_to(path, method)[-1].query


def test_queryset_is_lazy(fake_hub, session):
    settle(fake_hub)
    before = len(fake_hub.requests_to("/core/nodes", "GET"))
    Node.objects.using(session).filter(name__startswith="lab-").order_by("-created_at")[:10]
    settle(fake_hub)
    assert len(fake_hub.requests_to("/core/nodes", "GET")) == before


def test_query_string_of_chain(fake_hub, session):
    make_nodes(session, "lab-1", "lab-2", "other-1")
    queryset = Node.objects.using(session).filter(name__startswith="lab-").exclude(hidden=True).order_by("-created_at")
    names = [node.name for node in queryset[:10]]

    assert sorted(names) == ["lab-1", "lab-2"]
    assert last_query(fake_hub) == (
        "filter[name]=lab-~&filter[hidden]=%21true&sort=-createdAt&page[limit]=10&page[offset]=0"
    )


def test_order_by_several_keys(fake_hub, session):
    list(Node.objects.using(session).order_by("name", "-updated_at"))
    assert "sort=name%2C-updatedAt" in last_query(fake_hub)


def test_id_tie_break_where_sortable(fake_hub, session):
    list(Registry.objects.using(session).order_by("-created_at"))
    assert "sort=-createdAt%2Cid" in last_query(fake_hub, "/core/registries")


def test_no_tie_break_for_auth(fake_hub, session):
    list(Realm.objects.using(session).order_by("name"))
    assert last_query(fake_hub, "/auth/realms") == "sort=name&page[limit]=50&page[offset]=0"


def test_include_and_fields_params(fake_hub, session):
    list(Node.objects.using(session).include("registry", "registry_project"))
    assert "include=registry%2CregistryProject" in last_query(fake_hub)

    list(Registry.objects.using(session).fields("account_secret"))
    assert "fields=%2BaccountSecret" in last_query(fake_hub, "/core/registries")


def test_unknown_include_rejected(session):
    with pytest.raises(ValueError, match="cannot include 'realm' with nodes"):
        Node.objects.using(session).include("realm")


def test_unknown_sort_rejected(session):
    with pytest.raises(ValueError, match="cannot be sorted by 'hidden'"):
        Node.objects.using(session).order_by("hidden")


def test_visible_field_in_fields_rejected(session):
    with pytest.raises(ValueError, match="not a hidden field"):
        Node.objects.using(session).fields("name")


def test_same_field_twice_rejected(session):
    with pytest.raises(ValueError, match="already filtered"):
        Node.objects.using(session).filter(name__startswith="a").filter(name__endswith="b")


def test_chaining_clones(session):
    base = Node.objects.using(session).filter(hidden=False)
    narrowed = base.filter(name="lab-1")
    assert len(base._conditions) == 1
    assert len(narrowed._conditions) == 2


def test_repr_shows_query_without_requests(fake_hub, session):
    settle(fake_hub)
    before = len(fake_hub.requests)
    queryset = Node.objects.using(session).filter(name__startswith="lab-").order_by("-created_at")
    assert repr(queryset) == "<QuerySet Node filter(name__startswith='lab-') order_by('-created_at')>"
    settle(fake_hub)
    assert len(fake_hub.requests) == before


def test_repr_shows_slice(session):
    assert repr(Node.objects.using(session).all()[5:10]) == "<QuerySet Node [5:10]>"


def test_paging_past_fifty_rows(fake_hub, session):
    for index in range(57):
        fake_hub.create_realm(f"realm-{index:03d}")
    total = Realm.objects.using(session).count()

    realms = list(Realm.objects.using(session).all())
    settle(fake_hub)
    queries = [record.query for record in fake_hub.requests_to("/auth/realms", "GET")][-2:]

    assert len(realms) == total
    assert len({realm.id for realm in realms}) == total
    assert queries == ["page[limit]=50&page[offset]=0", "page[limit]=50&page[offset]=50"]


def test_slice_spanning_pages(fake_hub, session):
    for index in range(57):
        fake_hub.create_realm(f"realm-{index:03d}")
    names = [realm.name for realm in Realm.objects.using(session).order_by("name")[2:57]]
    settle(fake_hub)
    queries = [record.query for record in fake_hub.requests_to("/auth/realms", "GET")][-2:]

    # The seeded "master" realm sorts before "realm-000".
    assert names == [f"realm-{index:03d}" for index in range(1, 56)]
    assert queries == [
        "sort=name&page[limit]=50&page[offset]=2",
        "sort=name&page[limit]=5&page[offset]=52",
    ]


def test_count_uses_meta_total(fake_hub, session):
    make_nodes(session, "lab-1", "lab-2", "lab-3")
    assert Node.objects.using(session).filter(name__startswith="lab-").count() == 3
    assert last_query(fake_hub) == "filter[name]=lab-~&page[limit]=1&page[offset]=0"


def test_count_of_slice(session):
    make_nodes(session, "lab-1", "lab-2", "lab-3")
    queryset = Node.objects.using(session).filter(name__startswith="lab-")
    assert queryset[1:].count() == 2
    assert queryset[:2].count() == 2
    assert queryset[5:].count() == 0


def test_len_and_bool(session):
    make_nodes(session, "lab-1", "lab-2")
    queryset = Node.objects.using(session).filter(name__startswith="lab-")
    assert len(queryset) == 2
    assert queryset
    assert not Node.objects.using(session).filter(name="missing-node")


def test_exists(session):
    make_nodes(session, "lab-1")
    assert Node.objects.using(session).filter(name="lab-1").exists()
    assert not Node.objects.using(session).filter(name="lab-2").exists()


def test_negative_index_rejected(session):
    with pytest.raises(ValueError, match="Negative indexing is not supported."):
        Node.objects.using(session).all()[-1]
    with pytest.raises(ValueError, match="Negative indexing"):
        Node.objects.using(session).all()[-5:]


def test_slice_step_rejected(session):
    with pytest.raises(ValueError, match="step"):
        Node.objects.using(session).all()[::2]


def test_filter_after_slice_rejected(session):
    with pytest.raises(TypeError, match="Cannot filter a query once a slice has been taken."):
        Node.objects.using(session).all()[:5].filter(name="lab-1")


def test_index_out_of_range(session):
    with pytest.raises(IndexError):
        Node.objects.using(session).filter(name="missing-node")[0]


def test_index_returns_object(session):
    make_nodes(session, "lab-1", "lab-2")
    assert Node.objects.using(session).filter(name__startswith="lab-").order_by("name")[1].name == "lab-2"


def test_get_by_filters(fake_hub, session):
    make_nodes(session, "lab-1", "lab-2")
    node = Node.objects.using(session).get(name="lab-2")
    assert node.name == "lab-2"
    assert last_query(fake_hub) == "filter[name]=lab-2&page[limit]=2&page[offset]=0"


def test_get_by_id_reads_record(fake_hub, session):
    [node] = make_nodes(session, "lab-1")
    session.clear()
    loaded = Node.objects.using(session).get(id=node.id)
    assert loaded.name == "lab-1"
    assert logged(fake_hub, f"/core/nodes/{node.id}", "GET")[-1].query == ""


def test_get_missing_raises_does_not_exist(session):
    with pytest.raises(Node.DoesNotExist):
        Node.objects.using(session).get(name="missing-node")
    with pytest.raises(errors.ObjectDoesNotExist):
        Node.objects.using(session).get(id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(errors.NotFound):
        Node.objects.using(session).get(id="00000000-0000-4000-8000-000000000000")


def test_does_not_exist_is_per_model(session):
    with pytest.raises(Node.DoesNotExist):
        Node.objects.using(session).get(name="missing-node")
    assert not issubclass(Node.DoesNotExist, Project.DoesNotExist)


def test_get_several_raises(session):
    make_nodes(session, "lab-1", "lab-2")
    with pytest.raises(Node.MultipleObjectsReturned):
        Node.objects.using(session).get(name__startswith="lab-")
    with pytest.raises(errors.MultipleObjectsReturned):
        Node.objects.using(session).get(name__startswith="lab-")


def test_get_bad_id_raises_locally(fake_hub, session):
    settle(fake_hub)
    before = len(fake_hub.requests)
    for bad in ("nodes-1", "", None):
        with pytest.raises(ValueError):
            Node.objects.using(session).get(id=bad)
    settle(fake_hub)
    assert len(fake_hub.requests) == before


def test_get_or_none(session):
    make_nodes(session, "lab-1")
    assert Node.objects.using(session).get_or_none(name="lab-1").name == "lab-1"
    assert Node.objects.using(session).get_or_none(name="lab-2") is None


def test_first_and_last(session):
    make_nodes(session, "lab-b", "lab-a", "lab-c")
    queryset = Node.objects.using(session).filter(name__startswith="lab-")
    assert queryset.order_by("name").first().name == "lab-a"
    assert queryset.order_by("name").last().name == "lab-c"
    assert Node.objects.using(session).filter(name="missing-node").first() is None
    assert Node.objects.using(session).filter(name="missing-node").last() is None


def test_last_without_sortable_key(session):
    make_nodes(session, "lab-b", "lab-a")
    rows = list(Node.objects.using(session).filter(name__startswith="lab-"))
    assert Node.objects.using(session).filter(name__startswith="lab-").last() == rows[-1]


def test_values_and_values_list(session):
    make_nodes(session, "lab-1", "lab-2")
    queryset = Node.objects.using(session).filter(name__startswith="lab-").order_by("name")
    assert queryset.values("name", "hidden") == [
        {"name": "lab-1", "hidden": False},
        {"name": "lab-2", "hidden": False},
    ]
    assert queryset.values_list("name", flat=True) == ["lab-1", "lab-2"]
    assert queryset.values_list("name", "hidden") == [("lab-1", False), ("lab-2", False)]


def test_values_unknown_field(session):
    with pytest.raises(ValueError, match="no field 'colour'"):
        Node.objects.using(session).values("colour")


def test_values_list_flat_needs_one_field(session):
    with pytest.raises(TypeError, match="exactly one field"):
        Node.objects.using(session).values_list("name", "hidden", flat=True)


def test_in_bulk(fake_hub, session):
    nodes = make_nodes(session, "lab-1", "lab-2", "lab-3")
    found = Node.objects.using(session).in_bulk([nodes[0], nodes[2].id])
    assert set(found) == {nodes[0].id, nodes[2].id}
    assert found[nodes[0].id] is nodes[0]
    assert f"filter[id]={nodes[0].id}%2C{nodes[2].id}" in last_query(fake_hub)


def test_get_or_create(fake_hub, session):
    project, created = Project.objects.using(session).get_or_create(name="proj-1", defaults={"description": "First"})
    again, created_again = Project.objects.using(session).get_or_create(name="proj-1")
    assert created
    assert not created_again
    assert again is project
    assert logged(fake_hub, "/core/projects", "POST")[-1].body == {"name": "proj-1", "description": "First"}


def test_get_or_create_reconciles_conflict(fake_hub, session):
    existing = Project.objects.using(session).create(name="proj-1")
    empty_page = {"data": [], "meta": {"total": 0, "limit": 2, "offset": 0}}
    fake_hub.add_fault("GET", "/core/projects", status=200, body=empty_page)

    project, created = Project.objects.using(session).get_or_create(name="proj-1")
    assert not created
    assert project == existing
    assert logged(fake_hub, "/core/projects", "POST", count=2)[-1].status == 409


def test_get_or_create_rejects_non_exact(session):
    with pytest.raises(ValueError, match="exact lookups"):
        Project.objects.using(session).get_or_create(name__startswith="proj")


def test_update_or_create(fake_hub, session):
    project, created = Project.objects.using(session).update_or_create(
        name="proj-1", defaults={"description": "First one"}
    )
    assert created
    same, created_again = Project.objects.using(session).update_or_create(
        name="proj-1", defaults={"description": "Two words"}
    )
    assert not created_again
    assert same is project
    assert project.description == "Two words"
    assert logged(fake_hub, f"/core/projects/{project.id}", "POST")[-1].body == {"description": "Two words"}


def test_bulk_update(fake_hub, session):
    nodes = make_nodes(session, "lab-1", "lab-2", "other-1")
    count = Node.objects.using(session).filter(name__startswith="lab-").update(hidden=True)
    assert count == 2
    assert nodes[0].hidden is True
    assert nodes[2].hidden is False
    for node in nodes[:2]:
        assert logged(fake_hub, f"/core/nodes/{node.id}", "POST")[-1].body == {"hidden": True}


def test_bulk_update_rows_leaving_filter(session):
    make_nodes(session, "lab-1", "lab-2")
    assert Node.objects.using(session).filter(hidden=False).update(hidden=True) == 2
    assert Node.objects.using(session).filter(hidden=True).count() == 2


def test_bulk_delete(fake_hub, session):
    nodes = make_nodes(session, "lab-1", "lab-2", "other-1")
    assert Node.objects.using(session).filter(name__startswith="lab-").delete() == 2
    assert Node.objects.using(session).filter(name__startswith="lab-").count() == 0
    assert Node.objects.using(session).filter(name="other-1").count() == 1
    assert logged(fake_hub, f"/core/nodes/{nodes[1].id}", "DELETE")[-1].status == 202


def test_iterator_pages(fake_hub, session):
    for index in range(53):
        fake_hub.create_realm(f"realm-{index:03d}")
    assert len(list(Realm.objects.using(session).iterator())) == Realm.objects.using(session).count()


def test_required_log_filter(session):
    with pytest.raises(ValueError, match="only with an equality filter on analysis_id"):
        list(AnalysisLog.objects.using(session).all())


def test_log_filters_equality_only(session):
    with pytest.raises(ValueError, match="only equality filters"):
        AnalysisLog.objects.using(session).exclude(level="error")


def test_hidden_field_loaded_on_request(fake_hub, session):
    Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org", account_secret="acc-secret-1")
    session.clear()
    plain = Registry.objects.using(session).get(name="reg-1")
    assert plain.account_secret is None

    session.clear()
    with_secret = Registry.objects.using(session).fields("account_secret").get(name="reg-1")
    assert with_secret.account_secret == "acc-secret-1"
    assert "acc-secret-1" not in repr(with_secret)
    assert last_query(fake_hub, "/core/registries") == (
        "filter[name]=reg-1&sort=id&fields=%2BaccountSecret&page[limit]=2&page[offset]=0"
    )


def test_get_by_id_with_include(fake_hub, session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    node = Node.objects.using(session).create(name="lab-1", registry=registry)
    session.clear()
    loaded = Node.objects.using(session).include("registry", "registry_project").get(id=node.id)
    assert loaded.registry.name == "reg-1"
    assert last_query(fake_hub, f"/core/nodes/{node.id}") == "include=registry%2CregistryProject"


def test_in_bulk_without_id_filter(session):
    from flame_hub.models import ProjectNode

    project = Project.objects.using(session).create(name="proj-1")
    node = Node.objects.using(session).create(name="lab-1")
    project_node = ProjectNode.objects.using(session).create(project=project, node=node)
    missing = "00000000-0000-4000-8000-000000000000"
    session.clear()

    found = ProjectNode.objects.using(session).in_bulk([project_node.id, missing])
    assert list(found) == [project_node.id]


def test_last_reverses_tie_break(fake_hub, session):
    Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    Registry.objects.using(session).create(name="reg-2", host="reg-2.example.org")
    queryset = Registry.objects.using(session).order_by("created_at")
    last = queryset.last()
    assert "sort=-createdAt%2C-id" in last_query(fake_hub, "/core/registries")
    assert last == list(queryset)[-1]


def test_no_default_session_error():
    from flame_hub._session import _global_session, set_default_session

    previous = _global_session
    set_default_session(None)
    try:
        queryset = Node.objects.filter(name="lab-1")
        assert repr(queryset) == "<QuerySet Node filter(name='lab-1')>"
        with pytest.raises(errors.HubError, match=r"flame_hub.connect\(url, auth=...\)"):
            list(queryset)
        with pytest.raises(errors.HubError, match="No default Session"):
            Node(name="lab-1").save()
    finally:
        set_default_session(previous)


def test_using_overrides_default(fake_hub, session):
    with make_session(fake_hub) as other, other.activate():
        node = Node.objects.using(session).create(name="lab-1")
        assert node._session is session
        assert Node.objects.using(session).get(id=node.id) is node
        assert Node.objects.get(id=node.id) is not node
