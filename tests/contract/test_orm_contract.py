"""Replay the recorded Hub exchanges against the ORM: parsing, error mapping, query strings and write bodies.

Query strings are compared as a multiset of percent-encoded ``key=value`` pairs: the Hub reads
each key once, so the order of different keys carries no meaning, while the encoding of every
pair must match the recording exactly. Select one scenario with ``-k``, as in ``-k 26-nodes``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import warnings
from collections import Counter
from typing import Any

import httpx2
import pytest
from contract_compare import REDACTED_PATTERN, issue_pairs
from orm_replay import (
    HUB_DEFAULT_LIMIT,
    HUB_DEFAULT_OFFSET,
    NotExpressible,
    RecordedStep,
    build_queryset,
    decoded_pairs,
    encoded_pairs,
    error_content,
    iter_records,
    model_for_path,
    recorded_steps,
    wire_fields,
    wire_relations,
)

from flame_hub import errors
from flame_hub._session import Session
from flame_hub.auth import StaticAuth
from flame_hub.models import Model, RelationNotLoaded

STEPS = recorded_steps()
CAMEL_CASE = re.compile(r"^[a-z][A-Za-z0-9]*$")

# The error class for each status; other 5xx statuses raise ServerError and other 4xx ones HubAPIError.
ERROR_CLASSES: dict[int, type[errors.HubAPIError]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    429: errors.RateLimited,
}

# Recorded queries the ORM must reject before sending anything, because the Hub ignores or rejects them.
REFUSED = {
    "26-nodes-filter-operators#15": "the Hub ignores '!' before a comparison",
    "28-nodes-filter-disallowed#3": "type is not in the Hub's filter allow-list of nodes",
    "28-nodes-filter-disallowed#4": "externalName is not in the Hub's filter allow-list of nodes",
    "28-nodes-filter-disallowed#6": "createdAt is not in the Hub's filter allow-list of nodes",
    "28-nodes-filter-disallowed#7": "createdAt is not in the Hub's filter allow-list of nodes",
    "28-nodes-filter-disallowed#8": "updatedAt is not in the Hub's filter allow-list of nodes",
    "28-nodes-filter-disallowed#9": "the Hub has no filters on related records",
    "28-nodes-filter-disallowed#10": "the Hub has no filters on related records",
    "28-nodes-filter-disallowed#11": "__proto__ is not a field",
    "30-nodes-sort#5": "hidden is not in the Hub's sort allow-list of nodes",
    "30-nodes-sort#7": "type is not in the Hub's sort allow-list of nodes",
    "30-nodes-sort#8": "the Hub has no sorts on related records",
    "31-nodes-pagination#8": "a negative page size",
    "31-nodes-pagination#9": "a page size that is not a number",
    "31-nodes-pagination#10": "a negative offset",
    "31-nodes-pagination#12": "an offset that is not a number",
    "31-nodes-pagination#13": "a page size that is not an integer",
    "32-nodes-include#5": "realm lives in the auth service, which the core service cannot include",
    "32-nodes-include#6": "the Hub includes only direct relations",
    "32-nodes-include#7": "the Hub includes only direct relations",
    "37-registries-query#5": "host is not in the Hub's filter allow-list of registries",
    "44-projects-query#6": "nodes (node_count) is not in the Hub's filter allow-list of projects",
    "54-analysis-buckets#10": "bucketId is not in the Hub's filter allow-list of analysis buckets",
    "60-analysis-logs#5": "the Hub reads log filters as equality only (it answered 400)",
    "61-analysis-node-logs#3": "node logs need node_id as well (the Hub answered 400)",
    "68-bucket-files-query#4": "path is not in the Hub's filter allow-list of bucket files",
    "68-bucket-files-query#9": "hash is always loaded, so it is not a hidden field to request",
    "74-users-fields-email#5": "password is never readable, so it is not a hidden field to request",
}

# Recorded queries in forms the QuerySet API has no call for; there is nothing of the ORM's to compare.
NOT_EXPRESSIBLE = {
    "17-nodes-get#5": "fields=name selects columns",
    "17-nodes-get#7": "a filter on a record GET",
    "28-nodes-filter-disallowed#5": "filter[realm_id] in snake_case",
    "28-nodes-filter-disallowed#12": "filter=name without brackets",
    "30-nodes-sort#9": "sort[name]=desc",
    "31-nodes-pagination#5": "page[limit]=0",
    "37-registries-query#6": "an RSQL filter",
    "44-projects-query#7": "fields=name,nodes selects columns",
    "44-projects-query#8": "an RSQL filter",
    "60-analysis-logs#6": "an RSQL filter",
    "62-buckets-crud#4": "fields=id,name selects columns",
    "68-bucket-files-query#8": "fields=name,size selects columns",
    "68-bucket-files-query#10": "an RSQL filter",
    "74-users-fields-email#4": "fields=email selects columns",
}


def _is_model_get_with_query(step: RecordedStep) -> bool:
    request = step.request
    if request["method"] != "GET" or not request.get("query_string"):
        return False
    return model_for_path(request["path"]) is not None


def _parse_steps() -> list[RecordedStep]:
    return [
        step
        for step in STEPS
        if 200 <= step.status < 300
        and model_for_path(step.request["path"]) is not None
        and any(True for _ in iter_records(step.response.get("body")))
    ]


def _error_steps() -> list[RecordedStep]:
    return [step for step in STEPS if step.status >= 400 and error_content(step.response.get("body")) is not None]


def _query_steps() -> list[RecordedStep]:
    return [step for step in STEPS if _is_model_get_with_query(step) and step.id not in NOT_EXPRESSIBLE]


def _write_steps() -> list[RecordedStep]:
    steps = []
    for step in STEPS:
        request = step.request
        found = model_for_path(request["path"])
        if request["method"] != "POST" or not 200 <= step.status < 300 or found is None:
            continue
        if not isinstance(request.get("json"), dict) or not any(True for _ in iter_records(step.response["body"])):
            continue
        model, record_id = found
        if model._meta.supports("update" if record_id is not None else "create"):
            steps.append(step)
    return steps


def _ids(steps: list[RecordedStep]) -> list[str]:
    return [step.id for step in steps]


def _session(hub: Any) -> Session:
    return Session(hub.url, auth=StaticAuth(hub.issue_admin_token()), retries=0)


def _last_body(hub: Any, method: str, path: str) -> Any:
    """Return the body of the last logged ``method`` request to ``path``, once the log has it."""
    for _ in range(200):
        records = hub.requests_to(path, method)
        if records:
            return records[-1].body
        # The fake Hub logs a request before its status line, so this loop only bounds a failure.
        time.sleep(0.01)
    raise AssertionError(f"The fake Hub logged no {method} {path}.")


# -- parsing of records ----------------------------------------------------------------------------


def _same_value(parsed: Any, recorded: Any) -> bool:
    if isinstance(parsed, dt.datetime) and isinstance(recorded, str):
        return parsed == dt.datetime.fromisoformat(recorded.replace("Z", "+00:00"))
    return bool(parsed == recorded)


def _check_record(model: type[Model], obj: Any, record: dict[str, Any], where: str) -> None:
    """Assert that every key of ``record`` is reachable on ``obj`` with the recorded value."""
    assert isinstance(obj, model), f"{where}: parsed as {type(obj).__name__}, not {model.__name__}"
    fields = wire_fields(model)
    relations = wire_relations(model)

    for key, value in record.items():
        if isinstance(value, str) and REDACTED_PATTERN.fullmatch(value):
            continue
        if key in relations:
            relation = relations[key]
            if isinstance(value, dict):
                related = getattr(obj, relation.name)
                _check_record(relation.target, related, value, f"{where}.{key}")
            elif value is None and obj.__dict__.get(relation.field) is None:
                assert getattr(obj, relation.name) is None, f"{where}: {relation.name} is not None"
            else:
                with pytest.raises(RelationNotLoaded):
                    getattr(obj, relation.name)
        elif key in fields:
            parsed = getattr(obj, fields[key])
            message = f"{where}: {model.__name__}.{fields[key]} is {parsed!r}, recorded {value!r}"
            assert _same_value(parsed, value), message
        else:
            extra = obj.model_extra or {}
            assert key in extra, f"{where}: unknown key {key!r} was not kept in model_extra"
            assert extra[key] == value, f"{where}: model_extra[{key!r}] is {extra[key]!r}, recorded {value!r}"

    texts = (repr(obj), str(obj), repr(list(obj.__repr_args__())))
    for name in model._meta.secret:
        secret = obj.__dict__.get(name)
        if isinstance(secret, str) and secret:
            for text in texts:
                assert secret not in text, f"{where}: the value of {name} appears in {text!r}"
    for key, value in record.items():
        if isinstance(value, str) and REDACTED_PATTERN.fullmatch(value):
            for text in texts:
                assert value not in text, f"{where}: the secret {key} appears in {text!r}"


@pytest.mark.parametrize("step", _parse_steps(), ids=_ids(_parse_steps()))
def test_recorded_records_parse(step: RecordedStep) -> None:
    found = model_for_path(step.request["path"])
    assert found is not None
    model = found[0]
    # No connection is made: every relation that would need a request raises RelationNotLoaded instead.
    session = Session("http://127.0.0.1:9", lazy="raise", retries=0)

    for number, record in enumerate(iter_records(step.response["body"])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = model._from_hub(record, session)
        _check_record(model, obj, record, f"{step.id} record {number}")


# -- error bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", _error_steps(), ids=_ids(_error_steps()))
def test_recorded_errors_parse(step: RecordedStep) -> None:
    body = step.response["body"]
    content = error_content(body)
    assert content is not None
    headers = step.response.get("headers") or {}
    request = httpx2.Request(step.request["method"], "http://hub.test" + step.request["path"])
    response = httpx2.Response(step.status, headers=headers, content=content, request=request)

    error = errors.error_from_response(response)

    expected_class = ERROR_CLASSES.get(step.status, errors.ServerError if step.status >= 500 else errors.HubAPIError)
    if step.status == 400 and _reports_missing_permission(body):
        # The core and storage services respond to a missing permission with 400 and a permission issue.
        expected_class = errors.PermissionDenied
    assert type(error) is expected_class
    assert error.status_code == step.status
    assert isinstance(error.code, str) and error.code
    assert error.message

    if not isinstance(body, dict) or body.get("_empty") or "_text" in body:
        return
    code = body.get("code") if isinstance(body.get("code"), str) and body.get("code") else body.get("error")
    if isinstance(code, str) and code:
        assert error.code == code
    if isinstance(body.get("message"), str) and body["message"]:
        assert error.message == body["message"]
    if isinstance(body.get("error"), str):
        assert error.error == body["error"]
    assert error.issues == (body.get("issues") if isinstance(body.get("issues"), list) else [])
    assert issue_pairs(error.issues) == issue_pairs(body.get("issues"))

    # The message lists the innermost issues, each with its path; groups only hold them together.
    rendered = str(error)
    for issue in _leaf_issues(body.get("issues")):
        path = issue.get("path")
        if isinstance(path, list) and path:
            dotted = ".".join(str(part) for part in path)
            assert f"(path: {dotted})" in rendered, f"issue {issue.get('code')} at {dotted} is not in the message"


def _reports_missing_permission(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    codes = {code for code, _ in issue_pairs(body.get("issues"))} | {body.get("code")}
    return bool(codes & {"permission_not_found", "permission_evaluation_failed"})


def _leaf_issues(issues: Any) -> list[dict[str, Any]]:
    leaves: list[dict[str, Any]] = []
    for item in issues if isinstance(issues, list) else []:
        if isinstance(item, dict) and item.get("type") == "group" and item.get("issues"):
            leaves.extend(_leaf_issues(item["issues"]))
        elif isinstance(item, dict):
            leaves.append(item)
    return leaves


# -- query strings -----------------------------------------------------------------------------------


def _expected_pairs(step: RecordedStep, model: type[Model], record_id: str | None) -> Counter[str]:
    """Return the recorded query as the ORM sends it: the encoded pairs with the paging the Hub applied.

    The ORM names the page of every list request. Where the recording left ``page[limit]`` or
    ``page[offset]`` out, or the Hub clamped it, the expected value is the one in ``meta`` of the
    recorded response. The Hub's default page is 50 rows from offset 0.
    """
    pairs = encoded_pairs(step.request["query_string"])
    if record_id is not None:
        return Counter(pairs)

    body = step.response.get("body")
    meta = body.get("meta") if isinstance(body, dict) and isinstance(body.get("meta"), dict) else {}
    recorded = dict(decoded_pairs(step.request["query_string"]))
    # An error response has no meta, so the page stays as sent.
    limit = meta.get("limit", recorded.get("page[limit]", HUB_DEFAULT_LIMIT))
    offset = meta.get("offset", recorded.get("page[offset]", HUB_DEFAULT_OFFSET))
    pairs = [pair for pair in pairs if not pair.startswith(("page[limit]=", "page[offset]="))]
    pairs += [f"page[limit]={limit}", f"page[offset]={offset}"]

    # The ORM adds an id tie-break to the sort of core and storage resources that sort by id, so
    # pages stay stable while rows change. Authup drops a multi-key sort that is not a prefix of
    # one of its indexes, so auth sorts go out as given.
    meta_decl = model._meta
    if "id" in meta_decl.sorts and meta_decl.service != "auth":
        sort = recorded.get("sort")
        if sort is None:
            pairs.append("sort=id")
        elif "id" not in [key.lstrip("-") for key in sort.split(",")]:
            pairs = [pair + "%2Cid" if pair.startswith("sort=") else pair for pair in pairs]
    return Counter(pairs)


def _run(queryset: Any, record_id: str | None) -> None:
    """Evaluate ``queryset`` once; the fake Hub has none of the recorded records."""
    if record_id is None:
        list(queryset)
        return
    with pytest.raises(errors.NotFound):
        queryset.get(id=record_id)


@pytest.mark.parametrize("step", _query_steps(), ids=_ids(_query_steps()))
def test_recorded_query_rebuilt(fake_hub: Any, step: RecordedStep) -> None:
    path = step.request["path"]
    found = model_for_path(path)
    assert found is not None
    model, record_id = found
    pairs = decoded_pairs(step.request["query_string"])

    with _session(fake_hub) as session:
        if step.id in REFUSED:
            with pytest.raises((ValueError, TypeError)):
                _run(build_queryset(model, record_id, pairs, session), record_id)
            assert fake_hub.requests_to(path) == []
            return

        _run(build_queryset(model, record_id, pairs, session), record_id)

    for _ in range(200):
        sent = fake_hub.requests_to(path, "GET")
        if sent:
            break
        time.sleep(0.01)
    assert sent, f"the ORM sent no GET {path}"
    assert Counter(encoded_pairs(sent[0].query)) == _expected_pairs(step, model, record_id)


def test_unexpressible_queries_listed() -> None:
    unexpressible = set()
    for step in STEPS:
        if not _is_model_get_with_query(step):
            continue
        found = model_for_path(step.request["path"])
        assert found is not None
        try:
            build_queryset(found[0], found[1], decoded_pairs(step.request["query_string"]), None)
        except NotExpressible:
            unexpressible.add(step.id)
        except (ValueError, TypeError):
            pass
    assert unexpressible == set(NOT_EXPRESSIBLE)


def test_required_query_scenarios_covered() -> None:
    compared = {step.scenario for step in _query_steps() if step.id not in REFUSED}
    for scenario in (
        "26-nodes-filter-operators",
        "30-nodes-sort",
        "31-nodes-pagination",
        "32-nodes-include",
        "37-registries-query",
        "44-projects-query",
        "68-bucket-files-query",
        "74-users-fields-email",
    ):
        assert scenario in compared
    assert "74-users-fields-email#3" in _ids(_query_steps())


# -- create and update bodies ------------------------------------------------------------------------


def _accepted_keys(model: type[Model], updating: bool) -> set[str]:
    """Return the body keys of every recorded create (or update) of ``model`` that the Hub accepted."""
    keys: set[str] = set()
    for step in _write_steps():
        found = model_for_path(step.request["path"])
        if found is not None and found[0] is model and (found[1] is not None) == updating:
            keys |= set(step.request["json"])
    return keys


def _check_sent_body(sent: Any, recorded: dict[str, Any], accepted: set[str], where: str) -> None:
    assert isinstance(sent, dict), f"{where}: the ORM sent {sent!r}"
    for key, value in sent.items():
        assert CAMEL_CASE.match(key), f"{where}: {key!r} is not camelCase"
        assert key in accepted, f"{where}: the ORM sent {key!r}, which no accepted recorded request had"
        if key in recorded:
            assert value == recorded[key], f"{where}: the ORM sent {key}={value!r}, recorded {recorded[key]!r}"


@pytest.mark.parametrize("step", _write_steps(), ids=_ids(_write_steps()))
def test_recorded_write_body(fake_hub: Any, step: RecordedStep) -> None:
    path = step.request["path"]
    found = model_for_path(path)
    assert found is not None
    model, record_id = found
    meta = model._meta
    recorded_json: dict[str, Any] = step.request["json"]
    fields = wire_fields(model)
    # The fake Hub returns the recorded response to the ORM's request, and logs what the ORM sent.
    fake_hub.add_fault("POST", path, status=step.status, body=step.response["body"])

    with _session(fake_hub) as session, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if record_id is None:
            values = {
                fields[key]: value for key, value in recorded_json.items() if fields.get(key) in meta.writable_on_create
            }
            obj = model(**values)
            obj.save(using=session)
        else:
            fake_hub.add_fault("GET", path, status=200, body=step.response["body"])
            obj = model.objects.using(session).get(record_id)
            names = []
            for key, value in recorded_json.items():
                name = fields.get(key, key)
                if name in meta.updatable:
                    setattr(obj, name, value)
                    names.append(name)
                else:
                    # The Hub ignores these on update, so the ORM raises instead of sending them.
                    with pytest.raises(AttributeError):
                        setattr(obj, name, value)
            if not names:
                return
            obj.save(update_fields=names)

    accepted = _accepted_keys(model, updating=record_id is not None)
    _check_sent_body(_last_body(fake_hub, "POST", path), recorded_json, accepted, step.id)
    # Log records have no id.
    assert obj.id == next(iter_records(step.response["body"])).get("id")
