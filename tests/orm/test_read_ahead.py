"""Read-ahead: later pages of a list are requested while earlier ones are turned into objects."""

import threading
import time

import pytest
from _orm_helpers import logged, make_session, settle

from flame_hub import errors
from flame_hub.errors import ConfigurationError
from flame_hub.models import Realm

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


def read_ahead_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("flame-hub-read-ahead")]


def wait_for_no_read_ahead_threads():
    deadline = time.monotonic() + 5.0
    while read_ahead_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return read_ahead_threads()


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
        # One row of page 1 is consumed, and page 2 is already on its way.
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
    assert not wait_for_no_read_ahead_threads()


def test_page_error_leaves_queryset_unevaluated(fake_hub):
    seed_realms(fake_hub, 60)
    fake_hub.add_fault("GET", "/auth/realms", status=404, query={"page[offset]": "50"})

    with make_session(fake_hub) as session:
        queryset = Realm.objects.using(session).order_by("name")
        with pytest.raises(errors.NotFound):
            list(queryset)
        # The fault is used up, so evaluating again reads every page.
        assert len(queryset) == 61


def test_early_stop_ends_thread(fake_hub):
    seed_realms(fake_hub, 220)
    fake_hub.clear_requests()

    with make_session(fake_hub) as session:
        for realm in Realm.objects.using(session).order_by("name").iterator():
            if realm.name == "realm-010":
                break
        assert not wait_for_no_read_ahead_threads()
        # Page 1 was in use, page 2 waited for it, and page 3 may have been on its way.
        assert realm_queries(fake_hub) in ([PAGE_1, PAGE_2], [PAGE_1, PAGE_2, PAGE_3])


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
    assert not wait_for_no_read_ahead_threads()
    if read_ahead:
        # The fake Hub logs the delayed page 2 when it sends the response, which must happen before
        # the next test starts.
        logged(fake_hub, "/auth/realms", "GET", count=2)


def test_closed_iterator_stops_retries(fake_hub):
    seed_realms(fake_hub, 60)
    fake_hub.add_fault("GET", "/auth/realms", status=503, retry_after=2, times=3, query={"page[offset]": "50"})

    with make_session(fake_hub) as session:
        rows = Realm.objects.using(session).order_by("name").iterator()
        next(rows)
        rows.close()

        # Three retries would keep the worker for 6 s; it ends at its next check instead.
        deadline = time.monotonic() + 3.0
        while read_ahead_threads() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not read_ahead_threads()
        assert len(fake_hub.requests_to("/auth/realms", "GET")) <= 2


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
