"""Names of the official client's ``flame_hub.models`` that scripts import keep working here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flame_hub.models

CONTRACT = Path(__file__).resolve().parent.parent / "contract"

# The names of flame-hub-client 1.1's flame_hub.models that are not Create*/Update* payload classes
# (those do not exist here, because the ORM's models are created and updated in place).
OFFICIAL_MODEL_NAMES = (
    "AccessToken",
    "Analysis",
    "AnalysisBucket",
    "AnalysisBucketFile",
    "AnalysisBucketType",
    "AnalysisCommand",
    "AnalysisNode",
    "Bucket",
    "BucketFile",
    "Client",
    "ClientCredentials",
    "Log",
    "MasterImage",
    "MasterImageGroup",
    "Node",
    "NodeRegistryCredentials",
    "NodeType",
    "Permission",
    "Project",
    "ProjectNode",
    "ProjectNodeApprovalStatus",
    "Realm",
    "RefreshToken",
    "Registry",
    "RegistryProject",
    "Role",
    "RolePermission",
    "UNSET",
    "User",
    "UserPermission",
    "UserRole",
)


@pytest.mark.parametrize("name", OFFICIAL_MODEL_NAMES)
def test_official_model_name_importable(name):
    assert name in flame_hub.models.__all__
    assert getattr(flame_hub.models, name) is not None


def recorded_token_response(scenario: str) -> dict:
    steps = json.loads((CONTRACT / f"{scenario}.json").read_text())["steps"]
    return steps[0]["response"]["body"]


def test_refresh_token_parses_password_grant_response():
    body = recorded_token_response("06-token-password-json")

    token = flame_hub.models.RefreshToken.model_validate(body)

    assert token.refresh_token == body["refresh_token"]
    assert token.expires_in == body["expires_in"]
    assert token.model_extra == {"refresh_token_expires_in": body["refresh_token_expires_in"]}


def test_access_token_parses_client_credentials_response():
    body = recorded_token_response("10-token-client-credentials")

    token = flame_hub.models.AccessToken.model_validate(body)

    assert token.token_type == "Bearer"
    assert token.access_token == body["access_token"]
    assert not isinstance(token, flame_hub.models.RefreshToken)


def test_access_token_without_refresh_token_is_not_refresh_token():
    body = recorded_token_response("10-token-client-credentials")

    with pytest.raises(ValueError, match="refresh_token"):
        flame_hub.models.RefreshToken.model_validate(body)
