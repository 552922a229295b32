"""Paging of a core resource past the Hub's 50-row cap, and slices sent as limit and offset."""

from __future__ import annotations

import pytest

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import Node

ROWS = 120


@pytest.fixture
def session(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as opened:
        for index in range(ROWS):
            Node.objects.using(opened).create(name=f"lab-{index:03d}")
        fake_hub.clear_requests()
        yield opened


def test_iteration_reads_every_row_once(fake_hub, session):
    names = [node.name for node in Node.objects.using(session).filter(name__startswith="lab-")]

    assert sorted(names) == [f"lab-{index:03d}" for index in range(ROWS)]
    queries = [request.query for request in fake_hub.requests_to("/core/nodes", "GET")]
    assert queries == [f"filter[name]=lab-~&page[limit]=50&page[offset]={offset}" for offset in (0, 50, 100)]


def test_slice_becomes_limit_and_offset(fake_hub, session):
    names = [node.name for node in Node.objects.using(session).order_by("name")[10:20]]

    assert names == [f"lab-{index:03d}" for index in range(10, 20)]
    [request] = fake_hub.requests_to("/core/nodes", "GET")
    assert request.query == "sort=name&page[limit]=10&page[offset]=10"


def test_slice_past_the_cap_pages(fake_hub, session):
    names = [node.name for node in Node.objects.using(session).order_by("-name")[5:115]]

    assert names == [f"lab-{index:03d}" for index in range(ROWS - 6, 4, -1)]
    queries = [request.query for request in fake_hub.requests_to("/core/nodes", "GET")]
    assert queries == [
        "sort=-name&page[limit]=50&page[offset]=5",
        "sort=-name&page[limit]=50&page[offset]=55",
        "sort=-name&page[limit]=10&page[offset]=105",
    ]


def test_len_and_count_agree(fake_hub, session):
    queryset = Node.objects.using(session).filter(name__startswith="lab-")

    assert queryset.count() == ROWS
    assert fake_hub.requests_to("/core/nodes", "GET")[-1].query == "filter[name]=lab-~&page[limit]=1&page[offset]=0"
    assert len(queryset) == ROWS
