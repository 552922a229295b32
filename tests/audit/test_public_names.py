"""The public names the ORM's requirements fix: modules, classes, signatures and error attributes."""

from __future__ import annotations

import importlib
import inspect

import pytest

import flame_hub
from flame_hub import auth, errors

MODULES = ["flame_hub", "flame_hub.auth", "flame_hub.errors", "flame_hub.models", "flame_hub.types"]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_unique_and_importable(name):
    module = importlib.import_module(name)

    assert len(module.__all__) == len(set(module.__all__))
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"


def parameters(function):
    return {
        parameter.name: (parameter.kind, parameter.default)
        for parameter in inspect.signature(function).parameters.values()
    }


def test_session_signature():
    found = parameters(flame_hub.Session)

    assert found["url"] == (inspect.Parameter.POSITIONAL_OR_KEYWORD, None)
    for name in ("auth", "auth_url", "core_url", "storage_url", "timeout", "cache_ttl", "cache_size"):
        assert found[name][0] is inspect.Parameter.KEYWORD_ONLY, name


@pytest.mark.parametrize(
    ("credentials", "positional"),
    [
        (auth.PasswordAuth, ["username", "password", "base_url"]),
        (auth.ClientAuth, ["client_id", "client_secret", "base_url"]),
        (auth.RobotAuth, ["robot_id", "robot_secret", "base_url"]),
    ],
)
def test_auth_signatures(credentials, positional):
    found = parameters(credentials)

    assert [name for name, (kind, _) in found.items() if kind is inspect.Parameter.POSITIONAL_OR_KEYWORD] == positional
    assert found["base_url"][1] is None


def test_password_auth_realm_is_keyword_only():
    assert parameters(auth.PasswordAuth)["realm"] == (inspect.Parameter.KEYWORD_ONLY, None)


def test_static_auth_takes_token_positionally_or_by_keyword():
    assert auth.StaticAuth("abc").access_token(None) == "abc"
    assert auth.StaticAuth(access_token="abc").access_token(None) == "abc"


@pytest.mark.parametrize(
    ("error_class", "status"),
    [
        (errors.BadRequest, 400),
        (errors.Unauthorized, 401),
        (errors.PermissionDenied, 403),
        (errors.NotFound, 404),
        (errors.Conflict, 409),
        (errors.RateLimited, 429),
        (errors.ServerError, 500),
    ],
)
def test_error_classes(error_class, status):
    error = error_class("Something failed.", issues=[{"path": ["name"], "message": "too short"}])

    assert issubclass(error_class, errors.HubAPIError)
    assert issubclass(error_class, errors.HubError)
    assert getattr(flame_hub, error_class.__name__) is error_class
    assert error.status_code == status
    for attribute in ("code", "message", "issues", "request", "response"):
        assert hasattr(error, attribute), attribute
    assert "name: too short" in str(error)


def test_model_does_not_exist_subclasses_not_found():
    from flame_hub.models import RESOURCES

    for model in RESOURCES:
        assert issubclass(model.DoesNotExist, errors.NotFound), model.__name__
        assert issubclass(model.MultipleObjectsReturned, errors.MultipleObjectsReturned), model.__name__
        assert model.DoesNotExist is not errors.ObjectDoesNotExist
