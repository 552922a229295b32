"""Reprs, IPython pretty printing and Jupyter HTML of models and QuerySets: no requests, no secrets."""

from __future__ import annotations

import logging

import pytest
from _interactive_helpers import request_count

from flame_hub import errors
from flame_hub._display import MAX_ROWS
from flame_hub.models import Client, Node, Realm, Registry, User

pretty = pytest.importorskip("IPython.lib.pretty").pretty


# -- models ------------------------------------------------------------------------------------------


def test_model_repr_one_line_unsaved():
    node = Node(name="lab-1")

    assert repr(node) == "Node(name='lab-1') (unsaved)"
    assert "\n" not in repr(node)


def test_model_repr_long_value_fits_line(session):
    node = Node.objects.create(name="lab-" + "x" * 120)

    text = repr(node)

    assert "\n" not in text
    assert "x" * 120 not in text
    # Two UUIDs and a shortened name: one line of a common 160-column terminal.
    assert len(text) < 160
    assert text.startswith(f"Node(id='{node.id}', name=")


def test_model_pretty_lists_fields(fake_hub, session):
    node = Node.objects.create(name="lab-1", hidden=True)
    session.clear()
    node = Node.objects.get(node.id)
    before = request_count(fake_hub)

    lines = pretty(node).splitlines()

    assert lines[0] == repr(node)
    assert any(line.split() == ["name", "'lab-1'"] for line in lines)
    assert any(line.split() == ["hidden", "True"] for line in lines)
    assert any(line.split()[:2] == ["realm", "Realm"] and line.endswith("(not loaded)") for line in lines)
    assert request_count(fake_hub) == before


def test_model_pretty_shows_loaded_relation(session):
    node = Node.objects.create(name="lab-1")
    realm = node.realm

    lines = pretty(node).splitlines()

    assert any(line.split()[0] == "realm" and line.endswith(repr(realm)) for line in lines)


def test_model_html_is_escaped_table(fake_hub, session):
    node = Node.objects.create(name="lab-<b>")
    before = request_count(fake_hub)

    page = node._repr_html_()

    assert page.startswith("<table>")
    assert "Node (saved)" in page
    assert "lab-&lt;b&gt;" in page
    assert "lab-<b>" not in page
    assert request_count(fake_hub) == before


def test_model_html_marks_unsaved_and_modified(session):
    assert "Node (unsaved)" in Node(name="lab-1")._repr_html_()

    node = Node.objects.create(name="lab-1")
    node.hidden = True
    assert "Node (modified: hidden)" in node._repr_html_()


def test_hidden_field_shown_as_not_loaded(session):
    registry = Registry.objects.create(name="reg-1", host="reg.example.org", account_name="robot")

    text = pretty(registry)

    assert "account_secret" not in text
    user = User.objects.create(name="someone", email="someone@example.org")
    session.clear()
    assert "(not loaded; request it with fields())" in pretty(User.objects.get(user.id))


def test_ipython_formatter_uses_both_forms(fake_hub, session):
    from IPython.core.interactiveshell import InteractiveShell

    node = Node.objects.create(name="lab-1")
    queryset = Node.objects.filter(name="lab-1")
    before = request_count(fake_hub)

    shell = InteractiveShell.instance()
    try:
        node_data, _ = shell.display_formatter.format(node)
        queryset_data, _ = shell.display_formatter.format(queryset)
    finally:
        InteractiveShell.clear_instance()

    assert node_data["text/plain"] == pretty(node)
    assert node_data["text/html"] == node._repr_html_()
    assert "not evaluated" in queryset_data["text/plain"]
    assert request_count(fake_hub) == before


# -- QuerySets ---------------------------------------------------------------------------------------


def test_queryset_repr_before_evaluation(fake_hub, session):
    before = request_count(fake_hub)
    queryset = Node.objects.filter(name__startswith="lab-").order_by("-created_at")

    assert repr(queryset) == "<QuerySet Node filter(name__startswith='lab-') order_by('-created_at')>"
    assert "not evaluated" in pretty(queryset)
    assert "not evaluated" in queryset._repr_html_()
    assert request_count(fake_hub) == before


def test_queryset_repr_after_evaluation(session):
    nodes = [Node.objects.create(name=f"lab-{index}") for index in range(2)]
    queryset = Node.objects.filter(name__startswith="lab-").order_by("name")
    list(queryset)

    assert repr(queryset) == (
        f"<QuerySet Node filter(name__startswith='lab-') order_by('name') [{nodes[0]!r}, {nodes[1]!r}]>"
    )


def test_queryset_repr_caps_rows(fake_hub, session):
    for index in range(MAX_ROWS + 3):
        Node.objects.create(name=f"lab-{index:02}")
    queryset = Node.objects.filter(name__startswith="lab-").order_by("name")
    rows = list(queryset)
    before = request_count(fake_hub)

    text = repr(queryset)
    printed = pretty(queryset).splitlines()
    page = queryset._repr_html_()

    assert text.endswith(f"{rows[MAX_ROWS - 1]!r}, …]>")
    assert repr(rows[MAX_ROWS]) not in text
    assert printed[0].endswith(f"({MAX_ROWS + 3} rows, showing the first {MAX_ROWS})")
    assert printed[1:-1] == [f"  {row!r}" for row in rows[:MAX_ROWS]]
    assert printed[-1] == "  … 3 more"
    assert page.count("<tr>") == 1 + MAX_ROWS + 1
    assert f"{MAX_ROWS + 3} rows" in page
    assert request_count(fake_hub) == before


def test_queryset_pretty_gives_hub_total(session):
    for index in range(5):
        Node.objects.create(name=f"lab-{index}")
    queryset = Node.objects.order_by("name")[:3]
    list(queryset)

    assert pretty(queryset).splitlines()[0].endswith("(3 rows of 5 on the Hub)")
    assert "3 rows of 5 on the Hub" in queryset._repr_html_()


def test_queryset_html_escapes_values(session):
    Node.objects.create(name="lab-<i>")
    queryset = Node.objects.filter(name__startswith="lab-")
    list(queryset)

    page = queryset._repr_html_()

    assert "lab-&lt;i&gt;" in page
    assert "<th style='text-align:left'>name</th>" in page


def test_manager_repr_without_request(fake_hub, session):
    before = request_count(fake_hub)

    assert repr(Node.objects) == "<Manager Node>"
    assert pretty(Node.objects) == "<Manager Node>"
    assert request_count(fake_hub) == before


# -- lazy="raise" ------------------------------------------------------------------------------------


def test_lazy_raise_names_prefetch_for_realm(fake_hub, session):
    from flame_hub import Session
    from flame_hub.auth import PasswordAuth
    from flame_hub.models import RelationNotLoaded

    node = Node.objects.create(name="lab-1")
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123"), lazy="raise") as strict:
        loaded = Node.objects.using(strict).get(node.id)
        before = request_count(fake_hub)

        with pytest.raises(RelationNotLoaded) as info:
            loaded.realm  # noqa: B018

        # The Hub cannot embed a node's realm, so only prefetch() can load it.
        assert "include('realm')" not in str(info.value)
        assert "prefetch('realm')" in str(info.value)
        assert not hasattr(loaded, "realm")
        assert "not loaded" in pretty(loaded)
        assert request_count(fake_hub) == before


def test_lazy_raise_names_include_where_embeddable(fake_hub, session):
    from flame_hub import Session
    from flame_hub.auth import PasswordAuth
    from flame_hub.models import Project, ProjectNode, RelationNotLoaded

    node = Node.objects.create(name="lab-1")
    project_node = ProjectNode.objects.create(project=Project.objects.create(name="proj-1"), node=node)
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123"), lazy="raise") as strict:
        loaded = ProjectNode.objects.using(strict).get(project_node.id)

        with pytest.raises(RelationNotLoaded) as info:
            loaded.node  # noqa: B018

    assert "include('node')" in str(info.value)
    assert "prefetch('node')" in str(info.value)


# -- secrets -----------------------------------------------------------------------------------------

SECRETS = {
    "client": "client-secret-4f1c",
    "registry": "registry-secret-9a2b",
    "password": "User-pass-77c3",
    "node_client": "node-client-secret-3d8e",
}


def renderings(obj):
    """Return every text form a person can see of ``obj``: repr, str, IPython, Jupyter and rich/devtools args."""
    texts = [repr(obj), str(obj), pretty(obj)]
    html = getattr(obj, "_repr_html_", None)
    if html is not None:
        texts.append(html())
    args = getattr(obj, "__repr_args__", None)
    if args is not None:
        texts.append(repr(list(args())))
    return texts


def test_secrets_absent_from_every_rendering(fake_hub, caplog):
    from flame_hub import Session
    from flame_hub.auth import PasswordAuth

    auth = PasswordAuth("admin", "start123")
    with caplog.at_level(logging.DEBUG, logger="flame_hub"), Session(fake_hub.url, auth=auth) as session:
        client = Client.objects.using(session).create(name="svc-client", secret=SECRETS["client"])
        registry = Registry.objects.using(session).create(
            name="reg-1", host="reg.example.org", account_name="robot", account_secret=SECRETS["registry"]
        )
        user = User.objects.using(session).create(
            name="someone", email="someone@example.org", password=SECRETS["password"]
        )
        node = Node.objects.using(session).create(name="lab-1")
        credentials = node.set_client_secret(SECRETS["node_client"])
        token = auth.access_token(session)

        loaded_client = Client.objects.using(session).fields("secret").get(id=client.id)
        registries = Registry.objects.using(session).fields("account_secret").filter(id=registry.id)
        list(registries)
        clients = Client.objects.using(session).fields("secret").filter(id=client.id)
        list(clients)

        with pytest.raises(errors.HubError) as info:
            Client.objects.using(session).create(name="svc-client", secret=SECRETS["client"])

    assert loaded_client.secret == SECRETS["client"]
    assert registries[0].account_secret == SECRETS["registry"]
    assert credentials.secret == SECRETS["node_client"]

    objects = [client, loaded_client, registry, registries[0], user, node, credentials, registries, clients]
    texts = [text for obj in objects for text in renderings(obj)]
    texts += [str(info.value), repr(info.value), repr(session), repr(auth)]
    texts.append(caplog.text)
    for secret in [*SECRETS.values(), "start123", token]:
        for text in texts:
            assert secret not in text


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Registry, {"name": "reg-1", "host": "reg.example.org", "account_secret": "xy"}),
        (Registry, {"name": "reg-1", "host": "reg.example.org", "account_secret": "s" * 300}),
    ],
)
def test_rejected_secret_not_in_error(model, fields):
    with pytest.raises(ValueError) as info:
        model(**fields)

    assert "account_secret must have 3 to 256 characters" in str(info.value)
    assert fields["account_secret"][:10] not in str(info.value)


def test_wrong_type_secret_not_in_error():
    with pytest.raises(ValueError) as info:
        Client(name="svc-client", secret=81726354)

    assert "secret" in str(info.value)
    assert "81726354" not in str(info.value)


def test_secret_shown_as_hidden_marker(session):
    client = Client.objects.create(name="svc-client", secret=SECRETS["client"])

    assert any(line.split() == ["secret", "<hidden>"] for line in pretty(client).splitlines())


def test_realm_repr_has_identifying_fields(session):
    realm = Realm.objects.get(name="master")

    assert repr(realm) == f"Realm(id='{realm.id}', name='master')"
