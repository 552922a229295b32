"""The Hub the integration tests run against: ``FLAME_HUB_TEST_URL`` when set, else a fake Hub."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class HubTarget:
    """Where the integration tests send requests, and as whom."""

    url: str
    username: str
    password: str
    is_fake: bool

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth/"

    @property
    def core_url(self) -> str:
        return f"{self.url}/core/"

    @property
    def storage_url(self) -> str:
        return f"{self.url}/storage/"


@pytest.fixture(scope="session")
def hub_target() -> Iterator[HubTarget]:
    url = os.environ.get("FLAME_HUB_TEST_URL")
    if url:
        username = os.environ.get("FLAME_HUB_TEST_USERNAME", "admin")
        password = os.environ.get("FLAME_HUB_TEST_PASSWORD")
        if not password:
            pytest.fail("FLAME_HUB_TEST_URL is set but FLAME_HUB_TEST_PASSWORD is not; set both to test a real Hub.")
        yield HubTarget(url.rstrip("/"), username, password, is_fake=False)
        return

    from flame_hub.testing import FakeHub

    with FakeHub() as hub:
        yield HubTarget(hub.url, FakeHub.admin_username, FakeHub.admin_password, is_fake=True)


@pytest.fixture
def unique_name() -> str:
    """Return a name no other test run uses, so tests can share a real Hub."""
    return f"it-{uuid.uuid4().hex[:10]}"
