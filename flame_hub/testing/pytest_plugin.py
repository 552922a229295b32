"""pytest fixtures for testing code against the fake Hub (registered through the ``pytest11`` entry point).

pytest loads this module for every project that installs flame-hub, so it imports the fake Hub (and
its optional dependencies) only when a test requests a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flame_hub import Session
    from flame_hub.testing import FakeHub


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flame-hub", "fake FLAME Hub")
    group.addoption(
        "--fake-hub-token-lifetime",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="Lifetime of access tokens the fake Hub issues, in seconds (default: 900).",
    )
    group.addoption(
        "--fake-hub-legacy-robots",
        action="store_true",
        default=False,
        help="Also serve /auth/robots and the robot_credentials grant, like Hubs before Authup 1.0.0-beta.54.",
    )


@pytest.fixture(scope="session")
def fake_hub_server(pytestconfig: pytest.Config) -> Iterator[FakeHub]:
    """A fake Hub started once for the test session and stopped at its end. Tests should use ``fake_hub``."""
    from flame_hub.testing import FakeHub

    hub = FakeHub(
        access_token_lifetime=pytestconfig.getoption("--fake-hub-token-lifetime"),
        legacy_robots=pytestconfig.getoption("--fake-hub-legacy-robots"),
    )
    with hub:
        yield hub


@pytest.fixture
def fake_hub(fake_hub_server: FakeHub) -> Iterator[FakeHub]:
    """A running fake Hub shared by the test session, reset to its seeded state for each test.

    The reset also clears logged requests and planned faults, so every test starts clean.
    """
    fake_hub_server.reset()
    yield fake_hub_server
    fake_hub_server.clear_faults()


@pytest.fixture
def hub_session(fake_hub: FakeHub) -> Iterator[Session]:
    """An ORM Session logged in as the admin of ``fake_hub`` and made the default for the test.

    ``Model.objects`` uses it without ``using()``; the previous default comes back afterwards.
    """
    # The ORM is imported here, not at module level: the fake Hub itself never depends on it.
    from flame_hub import Session, get_default_session
    from flame_hub._session import set_default_session
    from flame_hub.auth import PasswordAuth
    from flame_hub.errors import HubError

    try:
        previous: Session | None = get_default_session()
    except HubError:
        previous = None

    session = Session(fake_hub.url, auth=PasswordAuth(fake_hub.admin_username, fake_hub.admin_password))
    set_default_session(session)
    try:
        with session, session.activate():
            yield session
    finally:
        set_default_session(previous)
