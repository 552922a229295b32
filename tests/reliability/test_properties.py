"""Property-based tests: query encoding and response parsing raise nothing but the library's own errors.

Bad caller input raises ``ValueError`` or ``TypeError`` before any request, as the library documents;
everything that comes back from the Hub raises ``flame_hub.HubError`` subclasses only.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from typing import Any
from urllib.parse import unquote

import httpx2
from _reliability_helpers import settle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flame_hub
from flame_hub import errors
from flame_hub._lookups import LOOKUPS
from flame_hub._queryset import PAGE_SIZE
from flame_hub.auth import StaticAuth
from flame_hub.models import RESOURCES, Node, get_model

# Names of the resources the Hub lists without a required filter. Strategies draw names, not classes,
# because hypothesis prints drawn values with a printer that cannot print these classes.
LISTABLE = [model.__name__ for model in RESOURCES if model._meta.supports("list") and not model._meta.required_filters]
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
filter_values = st.one_of(
    json_scalars,
    st.uuids(),
    st.uuids().map(str),
    st.datetimes(timezones=st.just(dt.timezone.utc)),
    st.lists(st.one_of(st.text(max_size=10), st.uuids().map(str), st.integers()), max_size=4),
    st.sampled_from(["true", "null", "5", "a,b", "!x", "~x", "x~", "<x", "", " "]),
)


def _session(hub: Any) -> flame_hub.Session:
    return flame_hub.Session(hub.url, auth=StaticAuth(hub.issue_admin_token()), retries=0)


@st.composite
def lookups(draw: Any) -> tuple[str, str, Any, bool]:
    """Draw a listable model's name, a lookup key on one of its fields (or a made-up name), a value and a negation."""
    model = get_model(draw(st.sampled_from(LISTABLE)))
    names = sorted(model._meta.filters) + sorted(model.model_fields) + ["no_such_field", "registry.name"]
    name = draw(st.sampled_from(names))
    lookup = draw(st.sampled_from(("",) + LOOKUPS + ("regex",)))
    key = name if not lookup else f"{name}__{lookup}"
    return model.__name__, key, draw(filter_values), draw(st.booleans())


@SETTINGS
@given(case=lookups())
def test_filter_encoding_only_library_errors(fake_hub_server: Any, case: tuple[str, str, Any, bool]) -> None:
    model_name, key, value, negate = case
    model = get_model(model_name)
    manager = model.objects
    try:
        queryset = manager.exclude(**{key: value}) if negate else manager.filter(**{key: value})
    except (ValueError, TypeError):
        return

    condition = queryset._conditions[0]
    with _session(fake_hub_server) as session:
        try:
            queryset.using(session).count()
        except errors.HubError:
            return
    settle(fake_hub_server)

    path = f"/{model._meta.service}/{model._meta.path}"
    sent = [record for record in fake_hub_server.requests if record.path == path]
    pairs = [part.partition("=") for part in sent[-1].query.split("&")]
    decoded = {unquote(wire_key): unquote(wire_value) for wire_key, _, wire_value in pairs}
    assert decoded[condition.key] == condition.value


@SETTINGS
@given(
    model_name=st.sampled_from(LISTABLE),
    keys=st.lists(
        st.text(max_size=12) | st.sampled_from(["id", "-id", "name", "-created_at", "updated_at"]), max_size=3
    ),
    start=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6), st.floats(allow_nan=False)),
    stop=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6), st.floats(allow_nan=False)),
)
def test_sort_and_page_encoding(fake_hub_server: Any, model_name: str, keys: list[str], start: Any, stop: Any) -> None:
    model = get_model(model_name)
    try:
        queryset = model.objects.order_by(*keys)[start:stop]
    except (ValueError, TypeError):
        return

    settle(fake_hub_server)
    logged_before = len(fake_hub_server.requests)
    with _session(fake_hub_server) as session:
        try:
            rows = list(queryset.using(session))
        except errors.HubError:
            return
    settle(fake_hub_server)

    assert isinstance(rows, list)
    path = f"/{model._meta.service}/{model._meta.path}"
    sent = [record for record in fake_hub_server.requests[logged_before:] if record.path == path]
    if (stop is not None and stop <= (start or 0)) or not sent:
        return
    # The first page starts at the slice's start; later pages advance by the rows received.
    params = dict(sent[0].query_params)
    assert 1 <= int(params["page[limit]"]) <= PAGE_SIZE
    assert int(params["page[offset]"]) == (start or 0)
    sort = params.get("sort", "")
    for key in keys:
        wire = ("-" if key.startswith("-") else "") + model._meta.wire_name(key.lstrip("-"))
        assert wire in sort.split(",")


@st.composite
def records(draw: Any) -> tuple[str, dict[str, Any]]:
    """Draw a model's name and a record with some of its wire keys, some unknown keys and values of any JSON type."""
    model = get_model(draw(st.sampled_from([resource.__name__ for resource in RESOURCES])))
    wire_names = [model._meta.wire_name(name) for name in model.model_fields]
    wire_names += [relation.wire_name for relation in model._meta.relations.values()]
    keys = draw(st.lists(st.sampled_from(wire_names) | st.text(max_size=8), max_size=8, unique=True))
    record = {key: draw(json_values) for key in keys}
    if draw(st.booleans()):
        record["id"] = str(draw(st.uuids()))
    return model.__name__, record


@settings(max_examples=300, deadline=None)
@given(case=records())
def test_record_parsing_never_fails(case: tuple[str, dict[str, Any]]) -> None:
    model_name, record = case
    model = get_model(model_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = model._from_hub(record, None)

    assert isinstance(obj, model)
    assert isinstance(repr(obj), str)


@SETTINGS
@given(body=json_values, status=st.sampled_from([200, 201, 202]))
def test_list_bodies_raise_hub_errors_only(fake_hub_server: Any, body: Any, status: int) -> None:
    fake_hub_server.add_fault("GET", "/core/nodes", status=status, body=json.dumps(body).encode())
    with _session(fake_hub_server) as session, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rows = list(Node.objects.using(session)[:3])
        except errors.HubError:
            return
        finally:
            fake_hub_server.clear_faults()

    assert all(isinstance(row, Node) for row in rows)


@settings(max_examples=300, deadline=None)
@given(
    status=st.integers(min_value=400, max_value=599),
    content=st.one_of(st.binary(max_size=60), json_values.map(lambda value: json.dumps(value).encode())),
)
def test_error_bodies_always_parse(status: int, content: bytes) -> None:
    request = httpx2.Request("GET", "http://hub.test/core/nodes")
    response = httpx2.Response(status, content=content, request=request)

    error = errors.error_from_response(response)

    assert isinstance(error, errors.HubAPIError)
    assert error.status_code == status
    assert isinstance(error.code, str) and error.code
    assert isinstance(str(error), str)
