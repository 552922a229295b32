"""The identity map under threads: one object per record even when threads load it at the same moment."""

from __future__ import annotations

import threading

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import Node

THREADS = 8
ROUNDS = 5


def test_threads_get_one_object_per_record(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123"), cache_ttl=0) as session:
        created = [Node.objects.using(session).create(name=f"lab-{index}") for index in range(3)]
        ids = [node.id for node in created]
        session.clear()
        del created
        start = threading.Barrier(THREADS)
        loaded: list[list[Node]] = [[] for _ in range(THREADS)]
        failures: list[BaseException] = []

        def work(number: int) -> None:
            try:
                start.wait()
                for _ in range(ROUNDS):
                    # Reads by id and by list both go through the identity map.
                    loaded[number].extend(Node.objects.using(session).get(id=record_id) for record_id in ids)
                    loaded[number].extend(Node.objects.using(session).filter(id__in=ids))
            except BaseException as exc:  # noqa: BLE001 - reported by the assert below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(number,)) for number in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        objects = [node for per_thread in loaded for node in per_thread]
        assert len(objects) == THREADS * ROUNDS * 2 * len(ids)
        for record_id in ids:
            assert len({id(node) for node in objects if node.id == record_id}) == 1
        assert len(session.identity_map) == len(ids)
