"""Resource actions send what a real Hub was sent: compared with the recordings in tests/contract, not the fake Hub.

The fake Hub answers the requests, but the expected method, path, query keys and body keys come
from the recorded exchanges, so a mistake shared by the ORM and the fake Hub fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import Analysis, AnalysisLog, AnalysisNodeLog, Bucket, MasterImage, Node, Project, Registry

CONTRACT = Path(__file__).resolve().parent.parent / "contract"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def recorded_request(scenario: str, index: int) -> dict:
    """Return the request of step ``index`` of a recorded scenario."""
    steps = json.loads((CONTRACT / f"{scenario}.json").read_text())["steps"]
    [step] = [step for step in steps if step["index"] == index]
    return step["request"]


def shape(method: str, path: str, query: list[tuple[str, str]], body: object) -> tuple:
    """Return what must match: method, path with ids as {id}, query keys, and the JSON body's keys.

    Paging keys are left out: the ORM pages every list, the recordings often did not, and the
    recorded responses' ``meta.limit`` shows that the Hub pages those routes in any case.
    """
    keys = sorted(body) if isinstance(body, dict) else None
    query_keys = [key for key, _ in query if not key.startswith("page[")]
    return method, UUID.sub("{id}", path), query_keys, keys


def recorded_shape(scenario: str, index: int) -> tuple:
    request = recorded_request(scenario, index)
    return shape(
        request["method"], request["path"], [tuple(pair) for pair in request.get("query", [])], request.get("json")
    )


def sent_shape(hub, method: str, pattern: str) -> tuple:
    request = hub.requests_to(pattern, method)[-1]
    return shape(request.method, request.path, request.query_params, request.body)


@pytest.fixture
def session(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as opened:
        yield opened


def test_node_client_secret_matches_recording(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")

    node.client_credentials()
    assert sent_shape(fake_hub, "GET", "/core/nodes/*") == recorded_shape("24-nodes-client-credentials", 4)
    node.set_client_secret("s" * 24)
    assert sent_shape(fake_hub, "POST", "/core/nodes/*") == recorded_shape("24-nodes-client-credentials", 5)
    generated = node.set_client_secret()
    # A real Hub answered {"secret": null} with a generated secret (200), like an empty body.
    recorded = recorded_request("24-nodes-client-credentials", 13)
    assert recorded["json"]["secret"] is None
    assert fake_hub.requests_to("/core/nodes/*", "POST")[-1].body == {"secret": None}
    assert generated.secret


def test_analysis_client_credentials_match_recording(fake_hub, session):
    analysis = Analysis.objects.using(session).create(project=Project.objects.using(session).create(name="proj-1"))

    analysis.client_credentials()
    assert sent_shape(fake_hub, "GET", "/core/analyses/*") == recorded_shape("52-analysis-client-credentials", 3)
    analysis.set_client_secret("s" * 24)
    sent = sent_shape(fake_hub, "POST", "/core/analyses/*")
    recorded = recorded_shape("52-analysis-client-credentials", 4)
    assert sent[:3] == recorded[:3]
    # The recording also sent name and displayName, which the Hub ignores.
    assert set(sent[3]) <= set(recorded[3])
    assert sent[3] == ["secret"]


def test_registry_setup_matches_recording(fake_hub, session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")

    registry.setup()

    sent = fake_hub.requests_to("/core/services/registry/command", "POST")[-1]
    assert sent_shape(fake_hub, "POST", "/core/services/*") == recorded_shape("41-registry-service-command", 1)
    assert sent.body == {"command": "setup", "id": registry.id}


def test_master_image_commands_match_recording(fake_hub, session):
    MasterImage.objects.using(session).sync()
    assert sent_shape(fake_hub, "POST", "/core/master-images/command") == recorded_shape("59-master-image-commands", 4)

    image = MasterImage.objects.using(session).first()
    assert image is not None
    image.build()
    sent = fake_hub.requests_to("/core/master-images/command", "POST")[-1]
    assert sent_shape(fake_hub, "POST", "/core/master-images/command") == recorded_shape("59-master-image-commands", 1)
    assert sent.body == {"command": "build", "id": image.id}


def test_log_requests_match_recording(fake_hub, session):
    analysis = Analysis.objects.using(session).create(project=Project.objects.using(session).create(name="proj-1"))
    node = Node.objects.using(session).create(name="lab-1")

    list(AnalysisLog.objects.using(session).filter(analysis=analysis))
    assert sent_shape(fake_hub, "GET", "/core/analysis-logs") == recorded_shape("60-analysis-logs", 3)
    AnalysisLog.objects.using(session).filter(analysis=analysis).delete()
    assert sent_shape(fake_hub, "DELETE", "/core/analysis-logs") == recorded_shape("60-analysis-logs", 7)

    AnalysisNodeLog.objects.using(session).create(
        analysis=analysis, node=node, level="info", message="hello there", status="running", labels={"step": "one"}
    )
    assert sent_shape(fake_hub, "POST", "/core/analysis-node-logs") == recorded_shape("61-analysis-node-logs", 5)
    list(AnalysisNodeLog.objects.using(session).filter(analysis=analysis, node=node))
    assert sent_shape(fake_hub, "GET", "/core/analysis-node-logs") == recorded_shape("61-analysis-node-logs", 4)
    AnalysisNodeLog.objects.using(session).filter(analysis=analysis, node=node).delete()
    assert sent_shape(fake_hub, "DELETE", "/core/analysis-node-logs") == recorded_shape("61-analysis-node-logs", 10)


def test_upload_and_streams_match_recording(fake_hub, session):
    recorded = recorded_request("65-bucket-upload-single", 1)
    [part] = recorded["files"]
    bucket = Bucket.objects.using(session).create(name="bucket-1")

    [bucket_file] = bucket.upload((part["filename"], part["content"].encode(), part["content_type"]))

    sent = fake_hub.requests_to("/storage/buckets/*/upload", "POST")[-1]
    assert (
        sent_shape(fake_hub, "POST", "/storage/buckets/*/upload")[:3]
        == recorded_shape("65-bucket-upload-single", 1)[:3]
    )
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert f'name="{part["field"]}"; filename="{part["filename"]}"'.encode() in sent.body
    assert f"Content-Type: {part['content_type']}".encode() in sent.body

    assert bucket_file.read() == part["content"].encode()
    assert sent_shape(fake_hub, "GET", "/storage/bucket-files/*") == recorded_shape("65-bucket-upload-single", 5)
    assert b"".join(bucket.tarball())
    assert sent_shape(fake_hub, "GET", "/storage/buckets/*") == recorded_shape("65-bucket-upload-single", 7)


def test_update_body_matches_recording(fake_hub, session):
    analysis = Analysis.objects.using(session).create(project=Project.objects.using(session).create(name="proj-1"))

    analysis.name = "renamed-1"
    analysis.description = "Changed text."
    analysis.save()

    assert sent_shape(fake_hub, "POST", "/core/analyses/*") == recorded_shape("47-analyses-crud", 8)
