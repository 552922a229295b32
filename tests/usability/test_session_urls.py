"""Session() and connect() reject a Hub URL without http:// or https:// before any request."""

from __future__ import annotations

import pytest

import flame_hub
from flame_hub.auth import PasswordAuth


@pytest.mark.parametrize("argument", ["url", "core_url"])
def test_session_rejects_url_without_scheme(argument):
    with pytest.raises(flame_hub.ConfigurationError) as info:
        flame_hub.Session(**{argument: "127.0.0.1:3000"})

    assert "'127.0.0.1:3000'" in str(info.value)
    assert "http://127.0.0.1:3000" in str(info.value)


def test_connect_rejects_url_without_scheme(clean_environment):
    with pytest.raises(flame_hub.ConfigurationError) as info:
        flame_hub.connect("localhost:3000", auth=PasswordAuth("admin", "start123"))

    assert "http:// or https://" in str(info.value)
