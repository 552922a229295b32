"""The model declarations checked against the recorded exchanges with a real Hub in tests/contract/."""

import json
import warnings
from pathlib import Path

import pytest

from flame_hub.models import RESOURCES

CONTRACT = Path(__file__).resolve().parents[1] / "contract"
BY_PATH = {(model._meta.service, model._meta.path): model for model in RESOURCES}

# Relations the Hub allows that no model of this library represents.
UNMODELLED_RELATIONS = {("Client", "accessPolicy")}


def recorded_steps():
    for scenario in sorted(CONTRACT.glob("*.json")):
        for step in json.loads(scenario.read_text())["steps"]:
            if "request" in step:
                yield scenario.name, step


def recorded_records():
    """Yield (scenario, model, record) for every record in a successful response of a resource route."""
    for scenario, step in recorded_steps():
        parts = step["request"]["path"].strip("/").split("/")
        if step["response"]["status"] >= 400 or not 2 <= len(parts) <= 3:
            continue
        if len(parts) == 3 and parts[2] in ("command", "stream", "upload"):
            continue
        model = BY_PATH.get((parts[0], parts[1]))
        body = step["response"].get("body")
        if model is None or not isinstance(body, dict) or "data" not in body:
            continue
        rows = body["data"] if isinstance(body["data"], list) else [body["data"]]
        for row in rows:
            if isinstance(row, dict):
                yield scenario, model, row


def recorded_schemas():
    """Return {model: meta.schema} from the recorded list reads."""
    schemas = {}
    for _, step in recorded_steps():
        parts = step["request"]["path"].strip("/").split("/")
        body = step["response"].get("body")
        if len(parts) != 2 or step["request"]["method"] != "GET" or not isinstance(body, dict):
            continue
        model = BY_PATH.get((parts[0], parts[1]))
        schema = (body.get("meta") or {}).get("schema")
        if model is not None and schema:
            schemas[model] = schema
    return schemas


RECORDS = list(recorded_records())
SCHEMAS = recorded_schemas()


def test_recordings_found():
    assert len(RECORDS) > 100
    assert len(SCHEMAS) >= 20


def test_recorded_records_parse_cleanly():
    for scenario, model, row in RECORDS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            obj = model._from_hub(row, None)
        assert obj.model_extra == {}, f"{scenario}: {model.__name__} has undeclared keys {sorted(obj.model_extra)}"


def test_declared_fields_recorded():
    seen = {}
    for _, model, row in RECORDS:
        seen.setdefault(model, set()).update(row)
    for model, keys in seen.items():
        if model.__name__ == "AnalysisNodeLog":
            continue  # Its ids are request fields; a stored log carries them as labels.
        declared = {model._meta.wire_name(name) for name in model.model_fields}
        assert declared - keys == set(), model.__name__


@pytest.mark.parametrize("model", sorted(SCHEMAS, key=lambda model: model.__name__), ids=lambda model: model.__name__)
def test_allow_lists_match_schema(model):
    schema = SCHEMAS[model]
    meta = model._meta
    allowed_filters = set((schema.get("filters") or {}).get("allowed") or [])
    allowed_sorts = set((schema.get("sorts") or {}).get("allowed") or [])
    allowed_relations = set((schema.get("relations") or {}).get("allowed") or [])
    allowed_relations -= {name for owner, name in UNMODELLED_RELATIONS if owner == model.__name__}

    assert {meta.wire_name(name) for name in meta.filters} == allowed_filters
    assert {meta.wire_name(name) for name in meta.sorts} == allowed_sorts
    assert {meta.wire_name(name) for name in meta.includes} == allowed_relations


@pytest.mark.parametrize("model", sorted(SCHEMAS, key=lambda model: model.__name__), ids=lambda model: model.__name__)
def test_hidden_fields_match_schema(model):
    fields = SCHEMAS[model].get("fields") or {}
    default, allowed = fields.get("default"), set(fields.get("allowed") or [])
    # Without a default set every allowed field is returned. Hub schemas list every field in
    # "allowed", Authup lists only the extra ones there.
    if not default:
        hidden = set()
    elif allowed & set(default):
        hidden = allowed - set(default)
    else:
        hidden = allowed
    assert {model._meta.wire_name(name) for name in model._meta.hidden} == hidden
