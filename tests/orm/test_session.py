"""Session construction, connect() from the environment and the default Session."""

import asyncio
import threading

import httpx2
import pytest
from _request_log import logged

import flame_hub
from flame_hub import errors
from flame_hub._session import set_default_session
from flame_hub.auth import ClientAuth, PasswordAuth, StaticAuth

ENV_NAMES = (
    "FLAME_HUB_URL",
    "FLAME_HUB_USERNAME",
    "FLAME_HUB_PASSWORD",
    "FLAME_HUB_REALM",
    "FLAME_HUB_CLIENT_ID",
    "FLAME_HUB_CLIENT_SECRET",
    "FLAME_HUB_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    yield
    set_default_session(None)


def test_connect_with_arguments(fake_hub):
    session = flame_hub.connect(fake_hub.url, auth=PasswordAuth("admin", "start123"))

    with session:
        body = session.request_json("auth", "GET", "users/@me")
        assert flame_hub.get_default_session() is session

    assert body["data"]["name"] == "admin"


def test_connect_from_password_environment(fake_hub, monkeypatch):
    monkeypatch.setenv("FLAME_HUB_URL", fake_hub.url)
    monkeypatch.setenv("FLAME_HUB_USERNAME", "admin")
    monkeypatch.setenv("FLAME_HUB_PASSWORD", "start123")
    monkeypatch.setenv("FLAME_HUB_REALM", "master")

    with flame_hub.connect() as session:
        session.request_json("auth", "GET", "users/@me")

    assert isinstance(session.auth, PasswordAuth)
    assert session.auth.realm == "master"
    assert logged(fake_hub, "/auth/token", "POST", 1)[0].body == {
        "grant_type": "password",
        "username": "admin",
        "password": "start123",
        "realm_name": "master",
    }


def test_connect_from_client_environment(fake_hub, monkeypatch):
    monkeypatch.setenv("FLAME_HUB_URL", fake_hub.url)
    monkeypatch.setenv("FLAME_HUB_CLIENT_ID", "system")
    monkeypatch.setenv("FLAME_HUB_CLIENT_SECRET", "start123")

    with flame_hub.connect() as session:
        session.auth.access_token(session)

    assert isinstance(session.auth, ClientAuth)
    assert logged(fake_hub, "/auth/token", "POST", 1)[0].body["grant_type"] == "client_credentials"


def test_connect_from_token_environment(monkeypatch):
    monkeypatch.setenv("FLAME_HUB_URL", "https://hub.example")
    monkeypatch.setenv("FLAME_HUB_TOKEN", "token-from-env")
    monkeypatch.setenv("FLAME_HUB_USERNAME", "admin")
    monkeypatch.setenv("FLAME_HUB_PASSWORD", "start123")

    with flame_hub.connect() as session:
        assert isinstance(session.auth, StaticAuth)
        assert session.core_url == "https://hub.example/core/"


def test_connect_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("FLAME_HUB_URL", "https://env.example")
    monkeypatch.setenv("FLAME_HUB_TOKEN", "token-from-env")

    with flame_hub.connect("https://arg.example") as session:
        assert session.url == "https://arg.example"


def test_connect_without_url_names_variable():
    with pytest.raises(errors.ConfigurationError, match="FLAME_HUB_URL"):
        flame_hub.connect(auth=StaticAuth("t"))


def test_connect_without_credentials_names_variables(monkeypatch):
    monkeypatch.setenv("FLAME_HUB_URL", "https://hub.example")

    with pytest.raises(errors.ConfigurationError) as info:
        flame_hub.connect()

    for name in (
        "FLAME_HUB_USERNAME",
        "FLAME_HUB_PASSWORD",
        "FLAME_HUB_CLIENT_ID",
        "FLAME_HUB_CLIENT_SECRET",
        "FLAME_HUB_TOKEN",
    ):
        assert name in str(info.value)


def test_connect_half_credentials_names_missing(monkeypatch):
    monkeypatch.setenv("FLAME_HUB_URL", "https://hub.example")
    monkeypatch.setenv("FLAME_HUB_USERNAME", "admin")

    with pytest.raises(errors.ConfigurationError, match="FLAME_HUB_PASSWORD is not set"):
        flame_hub.connect()


def test_connect_half_client_names_missing(monkeypatch):
    monkeypatch.setenv("FLAME_HUB_URL", "https://hub.example")
    monkeypatch.setenv("FLAME_HUB_CLIENT_SECRET", "s")

    with pytest.raises(errors.ConfigurationError, match="FLAME_HUB_CLIENT_ID is not set"):
        flame_hub.connect()


def test_no_default_session_names_connect():
    with pytest.raises(errors.HubError, match=r"flame_hub\.connect"):
        flame_hub.get_default_session()


def test_activate_switches_default():
    first = flame_hub.connect("https://one.example", auth=StaticAuth("t1"))
    second = flame_hub.Session("https://two.example")

    with second.activate() as active:
        assert active is second
        assert flame_hub.get_default_session() is second

    assert flame_hub.get_default_session() is first


def test_activate_nests():
    outer = flame_hub.Session("https://outer.example")
    inner = flame_hub.Session("https://inner.example")

    with outer.activate(), inner.activate():
        assert flame_hub.get_default_session() is inner

    with outer.activate():
        assert flame_hub.get_default_session() is outer


def test_activate_stays_in_its_thread():
    default = flame_hub.connect("https://global.example", auth=StaticAuth("t"))
    local = flame_hub.Session("https://local.example")
    seen = []

    with local.activate():
        thread = threading.Thread(target=lambda: seen.append(flame_hub.get_default_session()))
        thread.start()
        thread.join()
        assert flame_hub.get_default_session() is local

    assert seen == [default]


def test_session_needs_url():
    with pytest.raises(errors.ConfigurationError, match="Hub URL"):
        flame_hub.Session()


def test_session_rejects_bad_lazy():
    with pytest.raises(errors.ConfigurationError, match="lazy="):
        flame_hub.Session("https://hub.example", lazy="eager")


def test_session_rejects_bad_auth():
    with pytest.raises(errors.ConfigurationError, match="auth="):
        flame_hub.Session("https://hub.example", auth=("admin", "start123"))


def test_session_repr_without_secret():
    session = flame_hub.Session("https://hub.example", auth=ClientAuth("system", "very-secret-99"))

    assert repr(session) == "<Session url='https://hub.example' identity=client>"


def test_context_manager_closes(fake_hub):
    with flame_hub.Session(fake_hub.url) as session:
        pass

    with pytest.raises(errors.HubError, match="closed"):
        session.request("core", "GET", "")


def test_request_json_empty_body(fake_hub):
    fake_hub.add_fault("DELETE", "/core/analysis-logs", status=202, body=b"")

    with flame_hub.Session(fake_hub.url) as session:
        assert session.request_json("core", "DELETE", "analysis-logs") is None


def test_request_json_not_json(fake_hub):
    fake_hub.add_fault("GET", "/core/nodes", status=200, body=b"<html>login page</html>")

    with flame_hub.Session(fake_hub.url) as session:
        with pytest.raises(errors.HubError, match="not JSON"):
            session.request_json("core", "GET", "nodes")


def test_identity_map_from_settings(fake_hub):
    with flame_hub.Session(fake_hub.url, cache_ttl=5.0, cache_size=10) as session:
        identity_map = session.identity_map

        assert session.identity_map is identity_map
        session.clear()


def test_existing_client_used_and_kept_open(fake_hub):
    with httpx2.Client(headers={"X-Test": "kept"}) as client:
        with flame_hub.Session(fake_hub.url, client=client, retries=0) as session:
            with pytest.raises(errors.HubAPIError):
                session.request("core", "GET", "nodes")

        assert not client.is_closed
        assert logged(fake_hub, "/core/nodes", "GET", 1)[-1].headers["x-test"] == "kept"


def test_activate_per_asyncio_task():
    first = flame_hub.Session("https://first.example")
    second = flame_hub.Session("https://second.example")

    async def use(session, started, other_started):
        with session.activate():
            started.set()
            await other_started.wait()
            return flame_hub.get_default_session()

    async def main():
        first_started, second_started = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(
            use(first, first_started, second_started), use(second, second_started, first_started)
        )

    seen_first, seen_second = asyncio.run(main())

    assert seen_first is first
    assert seen_second is second
