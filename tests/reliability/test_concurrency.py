"""Many threads on one Session while the fake Hub's access tokens expire every two seconds."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

import pytest
from _reliability_helpers import admin_session, settle

from flame_hub.auth import RENEWAL_MARGIN
from flame_hub.models import Node
from flame_hub.testing import FakeHub

THREADS = 16
REQUESTS_PER_THREAD = 200
TOKEN_LIFETIME = 2.0


@pytest.fixture
def two_second_hub() -> Iterator[FakeHub]:
    """A fake Hub of its own whose access tokens live two seconds."""
    with FakeHub(access_token_lifetime=TOKEN_LIFETIME) as hub:
        yield hub


def test_threads_share_one_session(two_second_hub: FakeHub) -> None:
    hub = two_second_hub
    failures: list[BaseException] = []
    counts = [0] * THREADS
    start = threading.Barrier(THREADS)

    with admin_session(hub) as session:
        node = Node.objects.using(session).create(name="shared-node")

        def work(number: int) -> None:
            start.wait()
            for index in range(REQUESTS_PER_THREAD):
                try:
                    # Alternate a record read that skips the identity map and a list read.
                    if index % 2:
                        Node.objects.using(session).filter(id=node.id).count()
                    else:
                        session.request_json("core", "GET", f"nodes/{node.id}")
                    counts[number] += 1
                except Exception as exc:  # noqa: BLE001 - every failure is reported by the asserts below
                    failures.append(exc)

        threads = [threading.Thread(target=work, args=(number,)) for number in range(THREADS)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    settle(hub)

    assert failures == []
    assert sum(counts) == THREADS * REQUESTS_PER_THREAD
    resource_requests = [record for record in hub.requests if record.path.startswith("/core/nodes")]
    assert all(record.status in (200, 201) for record in resource_requests)

    # One login, then at most one renewal per renewal interval (the lifetime less the margin),
    # plus one for a renewal that straddles the end: never one per thread or per request.
    token_requests = hub.requests_to("/auth/token", "POST")
    interval = TOKEN_LIFETIME - min(RENEWAL_MARGIN, TOKEN_LIFETIME / 4)
    assert all(record.status == 200 for record in token_requests)
    assert 1 <= len(token_requests) <= 2 + math.ceil(elapsed / interval)
    assert len(token_requests) < THREADS
    if elapsed > TOKEN_LIFETIME:
        # The run outlived the first token, so requests went on only because it was renewed.
        assert len(token_requests) >= 2
