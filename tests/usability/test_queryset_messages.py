"""Two lookups on one field get advice that fits them, and Manager methods carry docstrings."""

from __future__ import annotations

import pytest

from flame_hub.models import Node, Realm


def test_two_prefix_lookups_advice(hub_session):
    with pytest.raises(ValueError) as info:
        Node.objects.filter(name__startswith="lab-").filter(name__endswith="-1")

    assert "__in" not in str(info.value)
    assert "in Python" in str(info.value)


def test_two_exact_lookups_suggest_in(hub_session):
    with pytest.raises(ValueError) as info:
        Node.objects.filter(name="lab-1").filter(name="lab-2")

    assert "name__in=[...]" in str(info.value)


def test_manager_filter_has_docstring():
    assert Node.objects.filter.__doc__
    assert "startswith" in Node.objects.filter.__doc__
    assert "_lookups" not in Node.objects.filter.__doc__


def test_evaluated_count_is_cached(hub_session):
    nodes = Node.objects.filter(name__startswith="cache-")
    assert len(nodes) == 0
    Node.objects.create(name="cache-1", realm=Realm.objects.get(name="master"))

    assert nodes.count() == 0
    assert nodes.all().count() == 1
