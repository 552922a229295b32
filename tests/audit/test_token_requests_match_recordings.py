"""Token requests of each credential kind match the bodies a real Hub's token endpoint was sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flame_hub import Session
from flame_hub.auth import ClientAuth, PasswordAuth, RobotAuth
from flame_hub.errors import AuthenticationError

CONTRACT = Path(__file__).resolve().parent.parent / "contract"
ROBOT_ID = "00000000-0000-4000-8000-000000000000"


def recorded_request(scenario: str, index: int) -> dict:
    steps = json.loads((CONTRACT / f"{scenario}.json").read_text())["steps"]
    [step] = [step for step in steps if step["index"] == index]
    return step["request"]


def sent_token_request(hub):
    [request] = hub.requests_to("/auth/token", "POST")
    return request


@pytest.mark.parametrize(
    ("credentials", "scenario", "index"),
    [
        (PasswordAuth("admin", "start123"), "06-token-password-json", 0),
        (ClientAuth("system", "start123"), "10-token-client-credentials", 0),
    ],
    ids=["password", "client_credentials"],
)
def test_login_body_matches_recording(fake_hub, credentials, scenario, index):
    recorded = recorded_request(scenario, index)

    with Session(fake_hub.url, auth=credentials) as session:
        session.request_json("core", "GET", "nodes")

    sent = sent_token_request(fake_hub)
    assert sent.body == recorded["json"]
    assert sent.headers["content-type"] == recorded["headers"]["content-type"]


def test_robot_body_matches_recording(fake_hub):
    recorded = recorded_request("09-token-grant-types", 4)

    with Session(fake_hub.url, auth=RobotAuth(ROBOT_ID, "start123")) as session:
        with pytest.raises(AuthenticationError, match="ClientAuth"):
            session.request_json("core", "GET", "nodes")

    sent = sent_token_request(fake_hub)
    assert sent.body == recorded["json"]
