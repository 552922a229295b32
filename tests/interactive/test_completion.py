"""Tab completion with IPython's own completer sends no request: on models, relations, QuerySets and managers."""

from __future__ import annotations

import pytest
from _interactive_helpers import request_count

from flame_hub.models import Node, Project, Realm

IPython = pytest.importorskip("IPython")


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ipython = InteractiveShell.instance()
    yield ipython
    InteractiveShell.clear_instance()


def complete(shell, text):
    """Return the completion texts IPython offers after ``text`` (the whole line, cursor at its end)."""
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        completions = list(shell.Completer.completions(text, len(text)))
    return {completion.text for completion in completions}


@pytest.fixture
def loaded(fake_hub, session, shell):
    """Put a node (its realm not loaded), an unsaved node, an evaluated and an unevaluated QuerySet into the shell."""
    node = Node.objects.create(name="lab-1")
    Project.objects.create(name="proj-1")
    session.clear()

    node = Node.objects.get(node.id)
    evaluated = Node.objects.filter(name__startswith="lab-")
    list(evaluated)
    shell.user_ns.update(
        node=node,
        unsaved=Node(name="lab-9"),
        evaluated=evaluated,
        lazy=Node.objects.order_by("-created_at"),
        Node=Node,
        Project=Project,
        Realm=Realm,
    )
    return node


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("node.", {"name", "realm_id", "realm", "save", "project_nodes"}),
        ("node.reg", {"registry", "registry_id", "registry_project", "registry_project_id"}),
        ("node.realm.", set()),
        ("unsaved.", {"name", "save", "project_nodes"}),
        ("unsaved.project_nodes.", set()),
        ("evaluated.", {"filter", "order_by", "first", "count"}),
        ("evaluated[0].", set()),
        ("lazy.", {"filter", "include", "prefetch"}),
        ("lazy.first().", set()),
        ("lazy[0].", set()),
        ("list(lazy)[0].", set()),
        ("Node.objects.", {"filter", "get", "create"}),
        ("Node.objects.get().", set()),
        ("Project.objects.all().", {"filter"}),
    ],
)
def test_completer_sends_no_request(fake_hub, shell, loaded, text, expected):
    before = request_count(fake_hub)

    offered = complete(shell, text)

    assert expected <= offered
    assert request_count(fake_hub) == before


def test_completion_lists_no_class_only_names(shell, loaded):
    offered = complete(shell, "node.")

    assert "objects" not in offered
    assert "model_fields" not in offered


def test_dir_lists_fields_relations_methods(loaded):
    names = dir(loaded)

    assert {"name", "realm_id", "created_at"} <= set(names)
    assert {"realm", "registry", "client"} <= set(names)
    assert {"project_nodes", "analysis_nodes"} <= set(names)
    assert {"save", "delete", "refresh", "changed_fields", "client_credentials", "model_dump"} <= set(names)
    assert "objects" not in names
    assert "__class__" in names


def test_relation_still_loads_outside_completion(fake_hub, loaded):
    before = request_count(fake_hub)

    assert loaded.realm.name == "master"
    assert request_count(fake_hub) == before + 1
