"""Read-ahead: a list requests its next page before it returns the rows of the current one.

The rows of the current page are turned into objects while that request waits for the Hub.
"""

import logging
import re
import threading
import time
import warnings

import pytest
from _orm_helpers import logged, make_session, settle

from flame_hub import errors
from flame_hub.errors import ConfigurationError
from flame_hub.models import Node, Realm

NODE_ID = "5b0c1f62-9d4e-4e8a-8f3e-2a7c6d1b9e40"

PAGE_1 = "sort=name&page[limit]=50&page[offset]=0"
PAGE_2 = "sort=name&page[limit]=50&page[offset]=50"
PAGE_3 = "sort=name&page[limit]=50&page[offset]=100"


def seed_realms(hub, count):
    # With the seeded "master" realm, the Hub then contains count + 1 realms.
    for index in range(count):
        hub.create_realm(f"realm-{index:03d}")


def realm_queries(hub):
    settle(hub)
    return [record.query for record in hub.requests_to("/auth/realms", "GET")]


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    return condition()


@pytest.mark.parametrize("read_ahead", [True, False])
def test_same_pages_either_way(fake_hub, read_ahead):
    seed_realms(fake_hub, 120)
    fake_hub.clear_requests()

    with make_session(fake_hub, read_ahead=read_ahead) as session:
        names = [realm.name for realm in Realm.objects.using(session).order_by("name")]

    assert names == ["master"] + [f"realm-{index:03d}" for index in range(120)]
    assert realm_queries(fake_hub) == [PAGE_1, PAGE_2, PAGE_3]


def test_next_page_requested_early(fake_hub):
    seed_realms(fake_hub, 60)
    fake_hub.clear_requests()

    with make_session(fake_hub) as session:
        rows = Realm.objects.using(session).order_by("name").iterator()
        assert next(rows).name == "master"
        # The first row of page 1 is returned once page 2 has been received.
        queries = [record.query for record in logged(fake_hub, "/auth/realms", "GET", count=2)]
        assert queries == [PAGE_1, PAGE_2]
        assert len(list(rows)) == 60
        assert realm_queries(fake_hub) == [PAGE_1, PAGE_2]


def test_no_read_ahead_one_page(fake_hub):
    seed_realms(fake_hub, 60)
    fake_hub.clear_requests()

    with make_session(fake_hub, read_ahead=False) as session:
        rows = Realm.objects.using(session).order_by("name").iterator()
        next(rows)
        assert realm_queries(fake_hub) == [PAGE_1]
        rows.close()


def test_last_page_no_read_ahead(fake_hub):
    seed_realms(fake_hub, 10)
    fake_hub.clear_requests()

    with make_session(fake_hub) as session:
        assert len(list(Realm.objects.using(session).order_by("name"))) == 11
        # meta.total is 11, so the first page contains every row.
        assert realm_queries(fake_hub) == [PAGE_1]


def test_slice_limits_read_ahead(fake_hub):
    seed_realms(fake_hub, 120)
    fake_hub.clear_requests()

    with make_session(fake_hub) as session:
        rows = list(Realm.objects.using(session).order_by("name")[5:75])

    assert len(rows) == 70
    assert realm_queries(fake_hub) == [
        "sort=name&page[limit]=50&page[offset]=5",
        "sort=name&page[limit]=20&page[offset]=55",
    ]


def test_page_error_raised_at_its_rows(fake_hub):
    seed_realms(fake_hub, 60)
    fake_hub.add_fault("GET", "/auth/realms", status=404, query={"page[offset]": "50"})

    with make_session(fake_hub) as session:
        rows = Realm.objects.using(session).order_by("name").iterator()
        received = [next(rows) for _ in range(50)]
        # Page 2 has failed by now, and its error is raised when its first row is requested.
        logged(fake_hub, "/auth/realms", "GET", count=2)
        with pytest.raises(errors.NotFound):
            next(rows)

    assert [realm.name for realm in received[:2]] == ["master", "realm-000"]


def test_page_error_leaves_queryset_unevaluated(fake_hub):
    seed_realms(fake_hub, 60)
    fake_hub.add_fault("GET", "/auth/realms", status=404, query={"page[offset]": "50"})

    with make_session(fake_hub) as session:
        queryset = Realm.objects.using(session).order_by("name")
        with pytest.raises(errors.NotFound):
            list(queryset)
        # The fault is used up, so evaluating again reads every page.
        assert len(queryset) == 61


def test_early_stop_requests_no_more(fake_hub):
    seed_realms(fake_hub, 220)
    fake_hub.clear_requests()

    with make_session(fake_hub) as session:
        for realm in Realm.objects.using(session).order_by("name").iterator():
            if realm.name == "realm-010":
                break
        # Page 1 was in use, and page 2 had been received before its first row was returned.
        assert realm_queries(fake_hub) == [PAGE_1, PAGE_2]


def test_listing_starts_no_thread(fake_hub):
    seed_realms(fake_hub, 120)
    before = set(threading.enumerate())

    with make_session(fake_hub) as session:
        rows = Realm.objects.using(session).order_by("name").iterator()
        next(rows)
        during = set(threading.enumerate())
        assert len(list(rows)) == 120

    assert during == before


@pytest.mark.parametrize("read_ahead", [True, False])
def test_rows_built_while_next_page_waits(fake_hub, read_ahead):
    # Page 1 has one node with a type this library does not know, whose warning marks when page 1
    # is turned into objects. The response to page 2 comes after a delay.
    record = {"id": NODE_ID, "name": "future-node", "type": "quantum", "online": False}
    page_1 = {"data": [record], "meta": {"total": 2}}
    fake_hub.add_fault("GET", "/core/nodes", status=200, body=page_1, query={"page[offset]": "0"})
    page_2 = fake_hub.add_fault("GET", "/core/nodes", delay=0.5, query={"page[offset]": "1"})
    seen_while_building = []

    def note_warning(*args, **kwargs):
        # The fake Hub counts a fault down when the request arrives, and logs it as its response starts.
        received = wait_until(lambda: page_2.times == 0, seconds=0.3)
        responded = len(fake_hub.requests_to("/core/nodes", "GET")) == 2
        seen_while_building.append((received, responded))

    with make_session(fake_hub, read_ahead=read_ahead) as session, warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = note_warning
        nodes = list(Node.objects.using(session))

    assert [node.id for node in nodes] == [NODE_ID]
    # With read-ahead, page 2 was received but had no response yet. Without it, page 2 was not requested yet.
    assert seen_while_building == [(read_ahead, False)]


def test_read_ahead_rejects_non_bool(fake_hub):
    with pytest.raises(ConfigurationError, match="read_ahead='yes' is invalid"):
        make_session(fake_hub, read_ahead="yes")


def test_close_empties_identity_map(fake_hub):
    seed_realms(fake_hub, 3)
    session = make_session(fake_hub)
    realms = list(Realm.objects.using(session).order_by("name"))
    assert len(session.identity_map) == 4

    session.close()

    assert len(session.identity_map) == 0
    assert [realm.name for realm in realms] == ["master", "realm-000", "realm-001", "realm-002"]


@pytest.mark.parametrize("read_ahead", [True, False])
def test_close_mid_listing_raises(fake_hub, read_ahead):
    seed_realms(fake_hub, 120)
    fake_hub.add_fault("GET", "/auth/realms", delay=0.3, query={"page[offset]": "50"})
    session = make_session(fake_hub, read_ahead=read_ahead)
    rows = Realm.objects.using(session).order_by("name").iterator()
    received = [next(rows)]

    session.close()
    with pytest.raises(errors.HubError, match="This Session is closed") as info:
        received.extend(rows)

    # The same rows either way: the rest of page 1, and nothing of the pages read ahead.
    assert len(received) == 50
    assert type(info.value) is errors.HubError
    assert len(session.identity_map) == 0


@pytest.mark.parametrize("read_ahead", [True, False])
def test_close_from_other_thread_mid_request(fake_hub, read_ahead):
    seed_realms(fake_hub, 120)
    fake_hub.add_fault("GET", "/auth/realms", delay=1.0, query={"page[offset]": "50"})
    session = make_session(fake_hub, read_ahead=read_ahead)
    received = []
    closer = threading.Timer(0.2, session.close)

    closer.start()
    with pytest.raises(errors.HubError, match="This Session is closed"):
        for realm in Realm.objects.using(session).order_by("name").iterator():
            received.append(realm.name)
    closer.join()

    # Page 1 arrived before the close, so its rows are returned. Page 2 arrived after it and is dropped.
    assert len(received) == 50
    assert received[:2] == ["master", "realm-000"]
    assert len(session.identity_map) == 0


def test_logged_time_leaves_out_task(fake_hub, caplog):
    with make_session(fake_hub) as session:
        session.auth.access_token(session)
        with caplog.at_level(logging.DEBUG, logger="flame_hub._transport"):
            session.request("auth", "GET", "realms", while_waiting=lambda: time.sleep(0.5))

    [message] = [record.getMessage() for record in caplog.records if "/auth/realms" in record.getMessage()]
    milliseconds = float(re.search(r"\((\d+\.\d) ms\)", message).group(1))
    # The task slept 0.5 s during the request. The logged time is the request's own.
    assert milliseconds < 400


def test_while_waiting_runs_once(fake_hub):
    fake_hub.add_fault("GET", "/auth/realms", status=503, times=1)
    calls = []

    with make_session(fake_hub, retries=1) as session:
        session.request("auth", "GET", "realms", while_waiting=lambda: calls.append("run"))

    # The first attempt and its retry were sent, and the function ran during the first one only.
    assert len(fake_hub.requests_to("/auth/realms", "GET")) == 2
    assert calls == ["run"]


def test_close_ends_retry_wait(fake_hub):
    fake_hub.add_fault("GET", "/auth/realms", status=503, retry_after=3, times=3)
    session = make_session(fake_hub)
    outcome = []

    def read():
        try:
            list(Realm.objects.using(session))
        except Exception as exc:  # noqa: BLE001 - the test checks which error it is
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    logged(fake_hub, "/auth/realms", "GET", count=1)
    began = time.monotonic()
    session.close()
    reader.join(timeout=5)

    assert not reader.is_alive()
    # The wait of 3 s before the retry ends when the Session closes.
    assert time.monotonic() - began < 2.5
    assert len(outcome) == 1
    assert type(outcome[0]) is errors.HubError
    assert "This Session is closed" in str(outcome[0])


def test_while_waiting_error_raised_after_request(fake_hub):
    def fail():
        raise ValueError("task failed")

    with make_session(fake_hub) as session:
        with pytest.raises(ValueError, match="task failed"):
            session.request("auth", "GET", "realms", while_waiting=fail)
        # The request itself completed, and the Session keeps working.
        assert session.request("auth", "GET", "realms").status_code == 200

    assert len(fake_hub.requests_to("/auth/realms", "GET")) == 2
