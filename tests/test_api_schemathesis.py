"""Property-based: queries and mutations generated from the schema never break the server.

schemathesis turns the SDL into GraphQL documents with arbitrary arguments; every answer must
be a 2xx/4xx with the API's one error shape — never a 5xx, never an ``INTERNAL_ERROR`` (an
exception that is not a ReflowOS error), never a stack trace. Mutations are signed by a
node-held agent so they reach the resolvers and the ledger.
"""

from __future__ import annotations

import json

import schemathesis
from api_support import Api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from reflow.api.auth import sign_headers
from reflow.api.schema import type_defs
from reflow.node import Node

schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        st.text(max_size=8),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), st.text(max_size=8)).map(
        nodes.String
    ),
)
for _name in ("URI", "AnyType", "JSON"):
    schemathesis.graphql.scalar(_name, st.text(max_size=12).map(nodes.String))

SCHEMA = schemathesis.graphql.from_file(type_defs())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def test_generated_operations_get_no_server_errors(node: Node) -> None:
    api = Api(node)
    agent = api.agent("Fuzz")
    key = node.keystore.get(agent)
    cases = st.sampled_from(OPERATIONS).flatmap(lambda op: op.as_strategy())
    answered: dict[str, int] = {}

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(cases)
    def check(case: schemathesis.Case) -> None:
        body = json.dumps({"query": case.body}).encode()
        headers = {"content-type": "application/json", **sign_headers(key, body)}
        response = api.http.post("/api", content=body, headers=headers)
        assert response.status_code < 500, response.text
        assert "Traceback" not in response.text
        out = response.json()
        kind = "mutation" if case.body.lstrip().startswith("mutation") else "query"
        outcome = "ok" if out.get("data") and not out.get("errors") else "refused"
        answered[f"{kind} {outcome}"] = answered.get(f"{kind} {outcome}", 0) + 1
        for error in out.get("errors") or []:
            assert error["extensions"]["code"] != "INTERNAL_ERROR", (case.body, error)

    check()
    # the generator reached both kinds of operation, and some of each were carried out
    assert all(answered.get(k) for k in ("query ok", "mutation refused")), answered
