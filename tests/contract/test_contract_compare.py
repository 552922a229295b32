"""The contract replay's own machinery: comparison rules, selectors, placeholders and the response form."""

import gzip
import io
import tarfile

import pytest
from contract_compare import Normaliser, Reply, compare_step, redact, represent, select
from contract_replay import encode_query, fill, load_scenario, scenario_paths

JSON_HEADERS = {"content-type": "application/json; charset=utf-8"}


def make_step(status, body, *, compare="full", values=None, headers=None):
    return {
        "index": 0,
        "compare": compare,
        "response": {"status": status, "headers": headers or JSON_HEADERS, "body": body},
        "values": values or [],
    }


def differences(step, reply_body, *, status=None, headers=None, normaliser=None):
    reply = Reply(status or step["response"]["status"], headers or JSON_HEADERS, reply_body)
    return compare_step(step, reply, normaliser or Normaliser())


def test_identical_bodies_match():
    body = {"data": {"id": "a", "size": 3, "tags": ["x"]}, "meta": {}}

    assert differences(make_step(200, body), body) == []


def test_key_set_difference_fails():
    step = make_step(200, {"data": {"id": "a", "name": "n"}})

    found = differences(step, {"data": {"id": "a", "label": "n"}})

    assert any("keys missing in the replay: name" in line for line in found)
    assert any("keys not in the recording: label" in line for line in found)


def test_type_difference_fails():
    step = make_step(200, {"data": {"size": 3}})

    found = differences(step, {"data": {"size": "3"}})

    assert found == ["data.size: recorded number, replayed string"]


def test_issue_code_difference_fails():
    recorded = {
        "statusCode": 400,
        "code": "bad_request",
        "message": "Property name is invalid",
        "issues": [{"type": "item", "code": "required", "path": ["name"], "message": "m"}],
    }
    replayed = {**recorded, "issues": [{"type": "item", "code": "min_length", "path": ["name"], "message": "m"}]}

    found = differences(make_step(400, recorded), replayed)

    assert len(found) == 1
    assert "issues (code, path)" in found[0]


def test_error_code_difference_fails():
    recorded = {"statusCode": 404, "code": "entity_not_found", "message": "m", "issues": []}

    found = differences(make_step(404, recorded), {**recorded, "code": "not_found"})

    assert found == ["error code: recorded 'entity_not_found', replayed 'not_found'"]


def test_group_issues_flattened_in_order():
    nested = {"type": "group", "code": "g", "path": ["a"], "issues": [{"type": "item", "code": "x", "path": ["b"]}]}
    recorded = {"name": "E", "message": "m", "code": "c", "issues": [nested]}
    replayed_issues = [{**nested, "issues": [{"type": "item", "code": "y", "path": ["b"]}]}]

    found = differences(make_step(403, recorded), {**recorded, "issues": replayed_issues})

    assert any("issues (code, path)" in line for line in found)


def test_status_mismatch_stops_comparison():
    step = make_step(201, {"data": {"id": "a"}})

    found = differences(step, {"other": 1}, status=500)

    assert found == ["status: recorded 201, replayed 500"]


def test_status_mode_ignores_body():
    step = make_step(200, {"data": {"id": "a"}}, compare="status")

    assert differences(step, {"other": 1}) == []


def test_null_rejected_in_full_mode():
    step = make_step(200, {"data": {"name": "n"}})

    assert differences(step, {"data": {"name": None}}) == ["data.name: recorded string, replayed null"]


def test_null_accepted_in_keys_mode():
    step = make_step(200, {"data": {"name": "n"}}, compare="keys")

    assert differences(step, {"data": {"name": None}}) == []


def test_list_items_follow_recorded_profile():
    recorded = {"data": [{"id": "a", "region": None}, {"id": "b", "region": "eu", "extra": 1}]}
    step = make_step(200, recorded)

    assert differences(step, {"data": [{"id": "c", "region": "us"}, {"id": "d", "region": None}]}) == []
    assert differences(step, {"data": [{"region": "us"}]}) == ["data[0]: keys missing in the replay: id"]
    assert differences(step, {"data": [{"id": "c", "region": None, "other": 1}]}) == [
        "data[0]: keys not in the recording: other"
    ]


def test_empty_lists_not_compared_itemwise():
    step = make_step(200, {"data": []})

    assert differences(step, {"data": [{"anything": 1}]}) == []


def test_meta_schema_compared_by_key_set():
    step = make_step(200, {"meta": {"schema": {"name": "node", "filters": {"allowed": ["id"]}}}})

    assert differences(step, {"meta": {"schema": {"name": "node", "filters": None}}}) == []
    assert differences(step, {"meta": {"schema": {"name": "node"}}}) == [
        "meta.schema: keys missing in the replay: filters"
    ]


def test_headers_compared_by_media_type_and_presence():
    step = make_step(200, {"_text": "hi"}, headers={"content-type": "text/plain; charset=utf-8"})

    same = differences(step, {"_text": "hi"}, headers={"content-type": "text/plain"})
    other = differences(step, {"_text": "hi"}, headers={"content-type": "text/html", "content-disposition": "x"})

    assert same == []
    assert "content-type: recorded 'text/plain', replayed 'text/html'" in other
    assert "content-disposition: absent in the recording, present in the replay" in other


def test_values_compared_after_normalisation():
    step = make_step(200, {"data": {"name": "rec-node-0afcd8fe", "realmId": "R-recorded-id"}}, values=["data.name"])
    normaliser = Normaliser()
    normaliser.add("1234abcd", "0afcd8fe")

    assert differences(step, {"data": {"name": "rec-node-1234abcd", "realmId": "x"}}, normaliser=normaliser) == []
    assert differences(step, {"data": {"name": "rec-node-ffffffff", "realmId": "x"}}, normaliser=normaliser) == [
        "value data.name: recorded 'rec-node-0afcd8fe', replayed 'rec-node-ffffffff'"
    ]


def test_selectors():
    body = {"data": [{"name": "b", "p": {"name": "y"}}, {"name": "a", "p": {"name": "x"}}], "meta": {"total": 2}}

    assert select(body, "meta.total") == 2
    assert select(body, "data#") == 2
    assert select(body, "data[*].name") == ["b", "a"]
    assert select(body, "data[*].name|sorted") == ["a", "b"]
    assert select(body, "data[*].p.name") == ["y", "x"]
    assert select(body, "data.1.name") == "a"
    assert select(body, "data.5.name") == "<missing>"


def test_binary_compares_lengths_and_tar_members():
    recorded = {
        "_binary": True,
        "length": 2048,
        "sha256": "s",
        "tar_members": [{"name": "a.txt", "size": 3, "type": "file"}],
    }
    step = make_step(200, recorded, headers={"content-type": "application/x-tar"})
    other_member = {**recorded, "sha256": "t", "tar_members": [{"name": "b.txt", "size": 3, "type": "file"}]}

    assert differences(step, {**recorded, "sha256": "t"}, headers={"content-type": "application/x-tar"}) == []
    assert len(differences(step, other_member, headers={"content-type": "application/x-tar"})) == 1


def test_represent_gzip_tar_and_secrets():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("dir/a.txt")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"abc"))
    packed = gzip.compress(buffer.getvalue())

    tar_reply = represent(200, {"content-type": "application/x-tar", "content-encoding": "gzip"}, packed)
    json_reply = represent(200, JSON_HEADERS, b'{"access_token": "abc", "clientSecret": null, "n": 1}')
    empty_reply = represent(202, {}, b"")

    assert tar_reply.body["decoded_length"] == len(buffer.getvalue())
    assert tar_reply.body["tar_members"] == [{"name": "dir/a.txt", "size": 3, "type": "file"}]
    assert json_reply.body == {"access_token": "<redacted:len=3>", "clientSecret": None, "n": 1}
    assert json_reply.raw_json["access_token"] == "abc"
    assert empty_reply.body == {"_empty": True}


def test_empty_tar_has_no_members():
    reply = represent(200, {"content-type": "application/x-tar"}, b"\0" * 1024)

    assert reply.body["tar_members"] == []


@pytest.mark.parametrize("scenario_path", scenario_paths(), ids=lambda path: path.stem)
def test_recording_matches_itself(scenario_path):
    scenario = load_scenario(scenario_path)

    for step in scenario["steps"]:
        if "response" not in step:
            continue
        response = step["response"]
        reply = Reply(response["status"], response["headers"], response["body"])
        assert compare_step(step, reply, Normaliser()) == [], f"step {step['index']}"


@pytest.mark.parametrize("scenario_path", scenario_paths(), ids=lambda path: path.stem)
def test_templates_fill_to_recorded_requests(scenario_path):
    scenario = load_scenario(scenario_path)
    placeholders = {"rand": scenario["rand"], "RAND": scenario["rand"].upper(), **scenario["globals"]}

    for step in scenario["steps"]:
        if "request" not in step:
            continue
        template, request = step["template"], step["request"]
        label = f"step {step['index']}"
        assert fill(template["path"], placeholders) == request["path"], label
        assert encode_query(fill(template.get("query") or [], placeholders)) == request["query_string"], label
        for key in ("json", "form", "files"):
            if key in template:
                # The recorder redacted secrets in requests too, so both sides are compared redacted.
                assert redact(fill(template[key], placeholders)) == redact(request[key]), label
        placeholders.update(step.get("captures") or {})
