"""The fake Hub's query engine: decoding and applying Rapiq-style queries, without a server."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flame_hub.testing._errors import FakeHubError
from flame_hub.testing._query import (
    RECORD_PARAMETERS,
    Condition,
    Group,
    ResourceSchema,
    apply_query,
    decode_query,
    describe,
    list_body,
    parse_query_string,
    parse_wire_value,
    record_body,
)

NODE_FIELDS = ("id", "name", "hidden", "type", "registryId", "createdAt")
NODE = ResourceSchema(
    name="node",
    fields_default=NODE_FIELDS,
    fields_allowed=NODE_FIELDS,
    filters=("id", "name", "hidden"),
    sorts=("name", "createdAt"),
    relations={"registry": "registry"},
)
REGISTRY = ResourceSchema(
    name="registry",
    fields_default=("id", "name"),
    fields_allowed=("id", "name", "accountSecret"),
    filters=("id", "name"),
    sorts=("id",),
    relations=None,
)
ANALYSIS = ResourceSchema(
    name="analysis",
    fields_default=("id", "name", "updatedAt"),
    fields_allowed=("id", "name", "updatedAt"),
    filters=("id", "name"),
    sorts=("name", "updatedAt"),
    default_sort=(("updatedAt", "DESC"),),
)
USER = ResourceSchema(
    name="user",
    fields_default=("id", "name"),
    fields_allowed=("email",),
    filters=("id", "name"),
    sorts=("id", "name", "createdAt"),
    relations={"realm": "realm"},
    strict=False,
    indexes=(("id",), ("name", "createdAt")),
    flavour="authup",
)
SCHEMAS = {schema.name: schema for schema in (NODE, REGISTRY, ANALYSIS, USER)}

REGISTRIES = {"r1": {"id": "r1", "name": "Harbor", "accountSecret": "s3cret"}}
NODES = [
    {"id": "n1", "name": "Alpha", "hidden": False, "type": "default", "registryId": "r1", "createdAt": "2026-01-02"},
    {"id": "n2", "name": "beta", "hidden": True, "type": "default", "registryId": None, "createdAt": "2026-01-01"},
    {"id": "n3", "name": "gamma", "hidden": False, "type": "aggregator", "registryId": None, "createdAt": "2026-01-03"},
    {"id": "n4", "name": None, "hidden": False, "type": "default", "registryId": None, "createdAt": "2026-01-04"},
]


def load_relation(schema, relation, record):
    if schema.name == "node" and relation == "registry":
        return REGISTRIES.get(record.get("registryId"))
    return None


def names(raw: str, schema: ResourceSchema = NODE, records=NODES) -> list:
    data, _ = apply_query(records, decode_query(raw, schema, SCHEMAS), schema, SCHEMAS, load_relation)
    return [item.get("name") for item in data]


def rejection(raw: str, schema: ResourceSchema = NODE) -> FakeHubError:
    with pytest.raises(FakeHubError) as caught:
        decode_query(raw, schema, SCHEMAS)
    return caught.value


# -- query string -----------------------------------------------------------------------------------


def test_parse_nested_brackets():
    parsed = parse_query_string("filter[registry.name]=x&page[limit]=5&fields[$root]=id")
    assert parsed == {"filter": {"registry.name": "x"}, "page": {"limit": "5"}, "fields": {"$root": "id"}}


def test_parse_plus_and_encoded_plus():
    parsed = parse_query_string("fields=%2Bemail&filter[name]=a+b")
    assert parsed["fields"] == "+email"
    assert parsed["filter"]["name"] == "a b"


def test_parse_bare_string_replaces_brackets():
    assert parse_query_string("filter[id]=1&filter=name") == {"filter": "name"}


def test_parse_repeated_key_joins_values():
    assert parse_query_string("include=a&include=b") == {"include": "a,b"}


# -- wire values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("x", Condition("k", "eq", "x")),
        ("!x", Condition("k", "eq", "x", True)),
        ("<5", Condition("k", "lt", 5)),
        ("<=5", Condition("k", "lte", 5)),
        (">x", Condition("k", "gt", "x")),
        (">=1.5", Condition("k", "gte", 1.5)),
        ("!>x", Condition("k", "gt", "x")),
        ("~x~", Condition("k", "contains", "x")),
        ("x~", Condition("k", "startsWith", "x")),
        ("~x", Condition("k", "endsWith", "x")),
        ("!~x~", Condition("k", "contains", "x", True)),
        ("!x~", Condition("k", "startsWith", "x", True)),
        ("!~x", Condition("k", "endsWith", "x", True)),
        ("a,b,3", Condition("k", "in", ["a", "b", 3])),
        ("!a,b", Condition("k", "in", ["a", "b"], True)),
        ("null", Condition("k", "null")),
        ("!null", Condition("k", "null", None, True)),
        ("true", Condition("k", "eq", True)),
        ("false", Condition("k", "eq", False)),
        ("42", Condition("k", "eq", 42)),
    ],
)
def test_wire_value_operators(raw, expected):
    assert parse_wire_value("k", raw) == expected


@pytest.mark.parametrize("raw", ["", "!", "~~", "<", "!~"])
def test_wire_value_empty_dropped(raw):
    assert parse_wire_value("k", raw) is None


# -- filters -----------------------------------------------------------------------------------------------


def test_filter_equality_case_insensitive():
    assert names("filter[name]=ALPHA") == ["Alpha"]


def test_filter_not_equal_matches_null():
    assert names("filter[name]=!alpha") == ["beta", "gamma", None]


def test_filter_contains_starts_ends():
    assert names("filter[name]=~et~") == ["beta"]
    assert names("filter[name]=gam~") == ["gamma"]
    assert names("filter[name]=~mma") == ["gamma"]
    assert names("filter[name]=~gam") == []


def test_filter_negated_contains_matches_null():
    assert names("filter[name]=!~a~") == [None]


def test_filter_in_and_not_in():
    assert names("filter[id]=n1,n3") == ["Alpha", "gamma"]
    assert names("filter[id]=!n1,n3") == ["beta", None]


def test_filter_null_and_not_null():
    assert names("filter[name]=null") == [None]
    assert names("filter[name]=!null") == ["Alpha", "beta", "gamma"]


def test_filter_boolean_and_comparison():
    assert names("filter[hidden]=true") == ["beta"]
    assert names("filter[hidden]=false&filter[name]=>b") == ["gamma"]


def test_filter_disallowed_key_dropped():
    assert names("filter[type]=aggregator") == ["Alpha", "beta", "gamma", None]


def test_filter_relation_without_include():
    assert names("filter[registry.name]=harbor") == ["Alpha"]
    assert names("filter[registry.name]=nothing") == []


def test_filter_relation_disallowed_field_dropped():
    assert len(names("filter[registry.accountSecret]=x")) == 4


def test_filter_bare_string_means_no_filter():
    assert len(names("filter[id]=n1&filter=name")) == 4


def test_filter_forbidden_filter_key_dropped():
    assert len(names("filter[__proto__]=x")) == 4


@pytest.mark.parametrize("raw", ["__proto__[x]=1", "constructor=1", "fields[prototype]=id", "page[__proto__]=1"])
def test_forbidden_keys_rejected(raw):
    error = rejection(raw)
    assert error.status == 400
    assert error.code == "bad_request"


# -- expression filters ------------------------------------------------------------------------------------


def test_expression_and_or_not():
    assert names("filter=and(eq(hidden,false),or(eq(name,'alpha'),eq(name,'GAMMA')))") == ["Alpha", "gamma"]
    assert names("filter=not(eq(hidden,false))") == ["beta"]


def test_expression_in_nin_and_strings():
    assert names("filter=in(id,'n1','n2')") == ["Alpha", "beta"]
    assert names("filter=nin(id,'n1','n2')") == ["gamma", None]
    assert names("filter=contains(name,'et')") == ["beta"]
    assert names("filter=startsWith(name,'al')") == ["Alpha"]
    assert names("filter=endsWith(name,'ta')") == ["beta"]


def test_expression_comparisons():
    assert names("filter=gte(name,'beta')") == ["beta", "gamma"]
    assert names("filter=lt(name,'beta')") == ["Alpha"]


def test_expression_quote_escape():
    records = [{"id": "x", "name": "o'neil"}]
    assert names("filter=eq(name,'o''neil')", records=records) == ["o'neil"]


def test_expression_commas_not_split():
    records = [{"id": "x", "name": "a,b"}]
    assert names("filter=eq(name,'a,b')", records=records) == ["a,b"]


def test_expression_disallowed_key():
    error = rejection("filter=eq(type,'x')")
    assert error.status == 400
    assert error.issues == [
        {
            "type": "item",
            "code": "keyNotAllowed",
            "path": ["type"],
            "message": "The key type is not permitted.",
            "meta": {"parameter": "filters", "key": "type"},
        }
    ]


def test_expression_function_named_field():
    error = rejection("filter=and(eq(id,'1'),eq(size,'3'))")
    assert error.issues[0]["code"] == "syntaxInvalid"
    assert error.issues[0]["path"] == []
    assert error.issues[0]["message"] == "The input syntax is invalid: Expected FIELD, got size"
    assert error.issues[0]["meta"] == {"parameter": "filters"}


@pytest.mark.parametrize("raw", ["filter=eq(name,'x'", "filter=eq(name)", "filter=foo(name,'x')", "filter=eq(name,x)"])
def test_expression_syntax_errors(raw):
    assert rejection(raw).issues[0]["code"] == "syntaxInvalid"


# -- sort, page, include, fields -------------------------------------------------------------------------------


def test_sort_asc_desc_and_nulls():
    assert names("sort=name") == ["Alpha", "beta", "gamma", None]
    assert names("sort=-name") == [None, "gamma", "beta", "Alpha"]


def test_sort_multi_and_bracket_form():
    assert names("sort=-createdAt,name") == [None, "gamma", "Alpha", "beta"]
    assert names("sort[createdAt]=desc") == [None, "gamma", "Alpha", "beta"]


def test_sort_disallowed_key_dropped():
    assert names("sort=type") == ["Alpha", "beta", "gamma", None]


def test_sort_default_applies():
    records = [{"id": "1", "name": "a", "updatedAt": "1"}, {"id": "2", "name": "b", "updatedAt": "2"}]
    assert names("", ANALYSIS, records) == ["b", "a"]
    assert names("sort=name", ANALYSIS, records) == ["a", "b"]


def test_sort_relation_needs_include():
    query = decode_query("sort=registry.id", NODE, SCHEMAS)
    assert query.sort == []
    query = decode_query("sort=registry.id&include=registry", NODE, SCHEMAS)
    assert query.sort == [("registry.id", "ASC")]


def test_sort_authup_index_prefix():
    assert decode_query("sort=name,createdAt", USER, SCHEMAS).sort == [("name", "ASC"), ("createdAt", "ASC")]
    assert decode_query("sort=createdAt,name", USER, SCHEMAS).sort == []


@pytest.mark.parametrize(
    ("raw", "limit", "offset"),
    [
        ("", 50, 0),
        ("page[limit]=2", 2, 0),
        ("page[limit]=500", 50, 0),
        ("page[limit]=0", 50, 0),
        ("page[limit]=-1", 50, 0),
        ("page[limit]=abc", 50, 0),
        ("page[limit]=1.5", 1, 0),
        ("page[offset]=10", 50, 10),
        ("page[offset]=-1", 50, 0),
        ("page[offset]=abc", 50, 0),
    ],
)
def test_page_decoding(raw, limit, offset):
    query = decode_query(raw, NODE, SCHEMAS)
    assert (query.limit, query.offset) == (limit, offset)


def test_page_counts_total():
    body = list_body(NODES, decode_query("page[limit]=2&page[offset]=1", NODE, SCHEMAS), NODE, SCHEMAS)
    assert body["meta"]["total"] == 4
    assert [item["id"] for item in body["data"]] == ["n2", "n3"]


def test_include_attaches_projected_relation():
    body = list_body(NODES, decode_query("include=registry", NODE, SCHEMAS), NODE, SCHEMAS, load_relation)
    assert body["data"][0]["registry"] == {"id": "r1", "name": "Harbor"}
    assert body["data"][1]["registry"] is None


def test_include_disallowed_and_nested_dropped():
    assert decode_query("include=realm", NODE, SCHEMAS).include == []
    assert decode_query("include=registry.projects", NODE, SCHEMAS).include == ["registry"]


def test_fields_replace_add_remove():
    query = decode_query("fields=name,type,nope", NODE, SCHEMAS)
    data, _ = apply_query(NODES[:1], query, NODE, SCHEMAS)
    assert data == [{"name": "Alpha", "type": "default"}]
    query = decode_query("fields=-type", NODE, SCHEMAS)
    data, _ = apply_query(NODES[:1], query, NODE, SCHEMAS)
    assert "type" not in data[0]
    assert "name" in data[0]


def test_fields_hidden_field_needs_plus():
    records = [{"id": "u1", "name": "alice", "email": "a@example.org"}]
    data, _ = apply_query(records, decode_query("", USER, SCHEMAS), USER, SCHEMAS)
    assert data == [{"id": "u1", "name": "alice"}]
    data, _ = apply_query(records, decode_query("fields=%2Bemail", USER, SCHEMAS), USER, SCHEMAS)
    assert data == [{"id": "u1", "name": "alice", "email": "a@example.org"}]


def test_fields_on_relation():
    query = decode_query("include=registry&fields[registry]=%2BaccountSecret", NODE, SCHEMAS)
    data, _ = apply_query(NODES[:1], query, NODE, SCHEMAS, load_relation)
    assert data[0]["registry"] == {"id": "r1", "name": "Harbor", "accountSecret": "s3cret"}


def test_record_read_ignores_filter_and_page():
    query = decode_query("filter[name]=zzz&page[limit]=1&include=registry", NODE, SCHEMAS, parameters=RECORD_PARAMETERS)
    assert query.filter is None
    assert query.limit == 50
    body = record_body(NODES[0], query, NODE, SCHEMAS, load_relation)
    assert body["data"]["registry"]["name"] == "Harbor"
    assert set(body["meta"]["schema"]) == {"name", "strict", "indexes", "fields", "relations"}


# -- describe -------------------------------------------------------------------------------------------------


def test_describe_hub_list():
    description = describe(NODE)
    assert set(description) == {"name", "strict", "indexes", "fields", "filters", "pagination", "relations", "sorts"}
    assert description["filters"] == {"allowed": ["id", "name", "hidden"], "caseSensitive": None, "indexed": False}
    assert description["relations"] == {"allowed": ["registry"], "schemas": {"registry": "registry"}}
    assert description["sorts"] == {"allowed": ["name", "createdAt"], "default": None, "indexed": False}
    assert description["pagination"] == {"maxLimit": 50}
    assert description["indexes"] is None


def test_describe_declared_nulls_and_default_sort():
    assert describe(REGISTRY)["relations"] == {"allowed": None, "schemas": None}
    assert describe(ANALYSIS)["sorts"]["default"] == {"updatedAt": "DESC"}


def test_describe_authup_flavour():
    description = describe(USER)
    assert description["strict"] is False
    assert description["indexes"] == [["id"], ["name", "createdAt"]]
    assert description["filters"]["indexed"] == "anchor"
    assert description["sorts"]["indexed"] is True
    assert description["fields"] == {"default": ["id", "name"], "allowed": ["email"]}


def test_group_type():
    query = decode_query("filter[id]=n1&filter[name]=x", NODE, SCHEMAS)
    assert isinstance(query.filter, Group)
    assert query.filter.operator == "and"


# -- robustness ----------------------------------------------------------------------------------------------

_QUERY_ALPHABET = "abcfilter[]=&,!~<>()'.%2B+-_ 0123456789namesortpageincludefields"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_QUERY_ALPHABET, max_size=60))
def test_decode_arbitrary_query(raw):
    try:
        query = decode_query(raw, NODE, SCHEMAS)
    except FakeHubError as error:
        assert error.status == 400
        return
    data, total = apply_query(NODES, query, NODE, SCHEMAS, load_relation)
    assert len(data) <= total
