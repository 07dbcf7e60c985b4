"""Errors and limits: one error shape, 4xx for bad input, never a stack trace or a 5xx.

Every error carries ``extensions.code`` and, where it applies, the ``field`` and the ``rule``.
"""

from __future__ import annotations

import json

import pytest
from api_support import Api, qty

from reflow.api.limits import LIMITS
from reflow.client import ApiError
from reflow.node import Node


@pytest.fixture
def api(node: Node) -> Api:
    return Api(node)


def _post(api: Api, body: bytes) -> tuple[int, dict[str, object]]:
    response = api.http.post("/api", content=body, headers={"content-type": "application/json"})
    assert "Traceback" not in response.text
    return response.status_code, response.json()


def _ext(out: dict[str, object]) -> dict[str, str]:
    errors = out["errors"]
    assert isinstance(errors, list)
    ext: dict[str, str] = errors[0]["extensions"]
    return ext


@pytest.mark.parametrize(
    ("body", "code", "rule"),
    [
        (b"{not json", "BAD_REQUEST", "json"),
        (b"\xff\xfe", "BAD_REQUEST", "json"),
        (b"[1, 2]", "BAD_REQUEST", "graphql-request"),
        (b'{"query": 5}', "BAD_REQUEST", "graphql-request"),
        (b'{"query": "{ actions { id } }", "variables": [1]}', "BAD_REQUEST", "graphql-request"),
    ],
)
def test_malformed_bodies_get_400_with_the_error_shape(
    api: Api, body: bytes, code: str, rule: str
) -> None:
    status, out = _post(api, body)
    assert status == 400
    assert _ext(out)["code"] == code and _ext(out)["rule"] == rule


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ actions { id ", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
        ("query A { actions { id } } query B { units { edges { cursor } } }", "BAD_REQUEST"),
    ],
)
def test_bad_documents_get_400(api: Api, query: str, code: str) -> None:
    status, out = _post(api, json.dumps({"query": query}).encode())
    assert status == 400 and _ext(out)["code"] == code


def test_wrong_variables_get_400(api: Api) -> None:
    q = "query($id: ID!) { economicResource(id: $id) { id } }"
    status, out = _post(api, json.dumps({"query": q, "variables": {"id": [1]}}).encode())
    assert status == 400 and _ext(out)["code"] == "BAD_USER_INPUT"


def test_a_too_large_body_is_refused_before_parsing(api: Api) -> None:
    body = json.dumps({"query": "{ actions { id } }", "pad": "x" * LIMITS.max_body_bytes})
    status, out = _post(api, body.encode())
    assert status == 413 and _ext(out)["rule"] == "max-body"


def test_a_too_deep_query_is_refused(api: Api) -> None:
    nested = "id"
    for _ in range(LIMITS.max_depth + 1):
        nested = f"containedIn {{ {nested} }}"
    status, out = _post(
        api, json.dumps({"query": f'{{ economicResource(id: "x") {{ {nested} }} }}'}).encode()
    )
    assert status == 400 and _ext(out)["rule"] == "max-depth"


def test_a_too_complex_query_is_refused(api: Api) -> None:
    fields = " ".join(f"a{i}: actions {{ id }}" for i in range(LIMITS.max_fields // 2 + 1))
    status, out = _post(api, json.dumps({"query": f"{{ {fields} }}"}).encode())
    assert status == 400 and _ext(out)["rule"] == "max-complexity"


def test_fragments_count_towards_depth(api: Api) -> None:
    q = 'query { economicResource(id: "x") { ...F } } fragment F on EconomicResource { id ...F }'
    status, out = _post(api, json.dumps({"query": q}).encode())
    assert status == 400 and _ext(out)["code"] == "GRAPHQL_VALIDATION_FAILED"  # cycle


@pytest.mark.parametrize(("args", "field"), [({"first": 101}, "first"), ({"last": -1}, "last")])
def test_page_sizes_are_bounded(api: Api, args: dict[str, int], field: str) -> None:
    q = "query($first: Int, $last: Int) { units(first: $first, last: $last) { edges { cursor } } }"
    with pytest.raises(ApiError) as err:
        api.client().query(q, args)
    ext = err.value.errors[0]["extensions"]
    assert (ext["code"], ext["field"], ext["rule"]) == ("RULE_VIOLATION", field, "page-size")


def test_a_foreign_cursor_is_refused(api: Api) -> None:
    with pytest.raises(ApiError) as err:
        api.client().query('{ economicResources(after: "%%%") { edges { cursor } } }')
    assert err.value.errors[0]["extensions"]["rule"] == "cursor"


def test_rule_violations_name_the_field_and_the_rule(api: Api) -> None:
    anna = api.agent("Anna")
    wood = api.spec(anna, "wood")
    plank = api.event(
        anna, {"name": "plank"}, action="raise", provider=anna, receiver=anna,
        resourceConformsTo=wood, resourceQuantity=qty(1),
    )["economicResource"]["id"]  # fmt: skip
    with pytest.raises(ApiError) as err:
        api.event(anna, action="consume", provider=anna, receiver=anna,
                  resourceInventoriedAs=plank, resourceQuantity=qty(2))  # fmt: skip
    error = err.value.errors[0]
    assert error["extensions"]["code"] == "RULE_VIOLATION"
    assert error["extensions"]["rule"] == "no-negative-quantity"
    assert error["path"] == ["createEconomicEvent"]
    with pytest.raises(ApiError) as err:
        api.event(anna, action="raise", provider=anna, receiver=anna, resourceConformsTo=wood,
                  resourceQuantity={"hasNumericalValue": "lots", "hasUnit": "kg"})  # fmt: skip
    assert err.value.status == 400  # the decimal scalar refused the variable


def test_unknown_references_are_not_found(api: Api) -> None:
    anna = api.agent("Anna")
    with pytest.raises(ApiError) as err:
        api.create(anna, "Process", "process", {"name": "p", "basedOn": "nope"})
    ext = err.value.errors[0]["extensions"]
    assert (ext["code"], ext["field"]) == ("NOT_FOUND", "body.data.basedOn")


def test_only_post_serves_graphql(api: Api) -> None:
    assert api.http.get("/api").status_code == 405


def test_text_no_database_can_store_is_refused_at_the_edge(api: Api) -> None:
    q = 'query { agreementBundle(id: "\\u0000") { id } }'
    status, out = _post(api, json.dumps({"query": q}).encode())
    assert status == 400 and _ext(out)["rule"] == "valid-text"
    q = "query($id: ID!) { economicResource(id: $id) { id } }"
    status, out = _post(api, json.dumps({"query": q, "variables": {"id": "a\x00b"}}).encode())
    assert status == 400 and (_ext(out)["field"], _ext(out)["rule"]) == ("variables", "valid-text")
    status, out = _post(api, b'{"query": "{ actions { id } }", "variables": {"x": "\\ud800"}}')
    assert status == 400 and _ext(out)["rule"] == "valid-text"


@pytest.mark.parametrize("value", ["1e999999", "1" * 61, "NaN", "Infinity", "1e-99"])
def test_decimals_are_bounded(api: Api, value: str) -> None:
    q = """query($d: Decimal) {
      economicResources(filter: {nearLat: $d, nearLong: "1"}) { edges { cursor } } }"""
    status, out = _post(api, json.dumps({"query": q, "variables": {"d": value}}).encode())
    assert status == 400 and _ext(out)["code"] == "BAD_USER_INPUT"
