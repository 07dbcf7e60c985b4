"""Signed requests: mutations need an Ed25519 signature of the exact body by the acting agent.

Zenflows' headers and ReflowOS' own are both accepted; a missing or wrong signature is refused
with ``UNAUTHENTICATED``; a signed request acts only as its signer; agents that keep their own
keys sign records themselves and send them with ``submitRecord``.
"""

from __future__ import annotations

import json

import pytest
from api_support import Api, qty

from reflow.client import ApiError
from reflow.ledger.keys import KeyPair
from reflow.ledger.records import sign_record
from reflow.node import Node

CREATE_PLACE = """mutation($p: SpatialThingCreateParams!) {
  createSpatialThing(spatialThing: $p) { spatialThing { id name } } }"""


@pytest.fixture
def api(node: Node) -> Api:
    return Api(node)


def _body(query: str, variables: dict[str, object]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def test_unsigned_mutation_is_refused(api: Api) -> None:
    with pytest.raises(ApiError) as err:
        api.client().query(CREATE_PLACE, {"p": {"name": "depot"}})
    assert err.value.code == "UNAUTHENTICATED"
    assert err.value.status == 401


def test_zenflows_headers_sign_a_mutation(api: Api) -> None:
    anna = api.agent("Anna")
    key = api.node.keystore.get(anna)
    body = _body(CREATE_PLACE, {"p": {"name": "depot"}})
    headers = {"zenflows-user": anna, "zenflows-sign": key.sign(body),
               "content-type": "application/json"}  # fmt: skip
    out = api.http.post("/api", content=body, headers=headers).json()
    assert out["data"]["createSpatialThing"]["spatialThing"]["name"] == "depot"


@pytest.mark.parametrize(
    "tamper",
    ["other-body", "other-key", "garbage-signature", "missing-signature"],
)
def test_wrong_signatures_are_unauthenticated(api: Api, tamper: str) -> None:
    anna = api.agent("Anna")
    key = api.node.keystore.get(anna)
    body = _body(CREATE_PLACE, {"p": {"name": "depot"}})
    signature = {
        "other-body": key.sign(body + b" "),
        "other-key": KeyPair.generate().sign(body),
        "garbage-signature": "not base64!",
        "missing-signature": "",
    }[tamper]
    headers = {"zenflows-user": anna, "content-type": "application/json"}
    if signature:
        headers["zenflows-sign"] = signature
    response = api.http.post("/api", content=body, headers=headers)
    out = response.json()
    assert response.status_code == 401
    assert out["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Traceback" not in response.text


def test_a_signed_request_acts_only_as_its_signer(api: Api) -> None:
    anna, bob = api.agent("Anna"), api.agent("Bob")
    wood = api.spec(anna, "wood")
    with pytest.raises(ApiError) as err:
        api.event(
            bob, {"name": "not mine"}, action="raise", provider=anna, receiver=anna,
            resourceConformsTo=wood, resourceQuantity=qty(5),
        )  # fmt: skip
    assert err.value.code in ("FORBIDDEN", "RULE_VIOLATION")
    assert api.client().query("{ economicResources { pageInfo { totalCount } } }") == {
        "economicResources": {"pageInfo": {"totalCount": 0}}
    }


def test_an_agent_without_a_node_held_key_submits_its_own_records(api: Api) -> None:
    own = KeyPair.generate()  # the node never sees this secret
    network = api.node.info.network
    declare = sign_record(own, network=network, seq=1, prev=None, kind="agent.declare",
                          body={"type": "Person", "data": {"name": "Self-keeper"}})  # fmt: skip
    receipt = api.client(own).submit_record(declare)
    assert receipt["status"] == "applied"
    with pytest.raises(ApiError) as err:  # the node cannot sign for it
        api.client(own).query(CREATE_PLACE, {"p": {"name": "depot"}})
    assert err.value.errors[0]["extensions"]["rule"] == "node-held-key"
    place = sign_record(own, network=network, seq=2, prev=declare.hash, kind="vf.create",
                        body={"type": "SpatialThing", "data": {"name": "own depot"}})  # fmt: skip
    created = api.client(own).submit_record(place)["created"]["SpatialThing"]
    q = "query($id: ID!) { spatialThing(id: $id) { name } }"
    assert api.client().query(q, {"id": created}) == {"spatialThing": {"name": "own depot"}}


def test_a_record_must_be_submitted_by_its_author(api: Api) -> None:
    anna = api.agent("Anna")
    other = KeyPair.generate()
    body = {"type": "Person", "data": {"name": "X"}}
    network = api.node.info.network
    rec = sign_record(other, network=network, seq=1, prev=None, kind="agent.declare", body=body)
    with pytest.raises(ApiError) as err:
        api.as_(anna).submit_record(rec)
    assert err.value.errors[0]["extensions"]["rule"] == "signer-is-author"


def test_my_agent_is_the_signer(api: Api) -> None:
    anna = api.agent("Anna")
    assert api.as_(anna).query("{ myAgent { id name } }") == {
        "myAgent": {"id": anna, "name": "Anna"}
    }
    assert api.client().query("{ myAgent { id } }") == {"myAgent": None}
