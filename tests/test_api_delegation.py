"""Zenflows-signed mutations of agents whose keys the node does not hold, under their delegation.

The agent keeps its key. It declares itself and grants the node's key a delegation with records
it signs (``submitRecord``); from then on its Zenflows-signed mutations are written in its own
chain with the node key, and each record keeps the request's bytes and signature as proof. No
delegation, an expired or a revoked one: the mutation is refused and says why. A replica judges
the records, proof included, the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, qty

from reflow.client import Client
from reflow.federation.inbox import Inbox
from reflow.ledger.delegation import DelegatedKey
from reflow.ledger.keys import KeyPair, verify
from reflow.ledger.records import DELEGATION, Record, record_from_dict, sign_record
from reflow.node import Node
from reflow.settings import Settings

CREATE_PLACE = """mutation($p: SpatialThingCreateParams!) {
  createSpatialThing(spatialThing: $p) { spatialThing { id name } } }"""
RAISE = """mutation($e: EconomicEventCreateParams!, $r: EconomicResourceCreateParams) {
  createEconomicEvent(event: $e, newInventoriedResource: $r) {
    economicEvent { id provider { id } }
    economicResource { id primaryAccountable { id } accountingQuantity { hasNumericalValue } }
  } }"""


@pytest.fixture
def api(node: Node) -> Api:
    return Api(node)


@pytest.fixture
def own_key() -> KeyPair:
    return KeyPair.generate()  # the node never sees this secret


@pytest.fixture
def agent(api: Api, own_key: KeyPair) -> Client:
    """An agent that keeps its own key and has declared itself (a record it signed)."""
    client = api.client(own_key)
    client.sign_and_submit("agent.declare", {"type": "Person", "data": {"name": "Self-keeper"}})
    return client


def zenflows_post(api: Api, key: KeyPair, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """A request signed as Zenflows clients sign it; the answer and what was sent."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    sig = key.sign(body)
    headers = {"zenflows-user": key.public, "zenflows-sign": sig,
               "content-type": "application/json"}  # fmt: skip
    response = api.http.post("/api", content=body, headers=headers)
    return {"status": response.status_code, **response.json(), "body": body, "sig": sig}


def record_of(node: Node, object_id: str) -> Record:
    obj = node.store.object(object_id)
    assert obj is not None
    rec = node.store.get_record(obj.record)
    assert rec is not None
    return rec


def error_of(out: dict[str, Any]) -> dict[str, Any]:
    assert out.get("errors"), out
    first: dict[str, Any] = out["errors"][0]
    return first


def test_a_delegated_mutation_is_written_in_the_agents_chain_with_its_proof(
    api: Api, own_key: KeyPair, agent: Client
) -> None:
    node_key = api.node.info.node_key
    agent.delegate(node_key, ["vf.create", "vf.event"])
    out = zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "depot"}})
    place = out["data"]["createSpatialThing"]["spatialThing"]
    assert place["name"] == "depot"
    rec = record_of(api.node, place["id"])
    assert (rec.author, rec.seq, rec.kind) == (own_key.public, 3, "vf.create")
    assert rec.delegation is not None
    assert rec.delegation["key"] == node_key
    assert rec.delegation["request"].encode() == out["body"]  # the exact bytes the agent signed
    assert rec.delegation["requestSig"] == out["sig"]
    verify(node_key, rec.payload, rec.sig)  # signed by the node's key...
    verify(own_key.public, out["body"], rec.delegation["requestSig"])  # ...asked by the agent
    assert rec.to_dict()["body"][DELEGATION] == rec.delegation  # travels with the record


def test_a_delegated_event_acts_as_the_agent(api: Api, own_key: KeyPair, agent: Client) -> None:
    me = own_key.public
    agent.delegate(api.node.info.node_key, ["vf.create", "vf.event"])
    spec = zenflows_post(api, own_key, """mutation($s: ResourceSpecificationCreateParams!) {
      createResourceSpecification(resourceSpecification: $s) { resourceSpecification { id } } }""",
                         {"s": {"name": "wool"}})  # fmt: skip
    spec_id = spec["data"]["createResourceSpecification"]["resourceSpecification"]["id"]
    event = {"action": "raise", "provider": me, "receiver": me, "resourceConformsTo": spec_id,
             "resourceQuantity": qty(7)}  # fmt: skip
    out = zenflows_post(api, own_key, RAISE, {"e": event, "r": {"name": "fleece"}})
    made = out["data"]["createEconomicEvent"]
    assert made["economicEvent"]["provider"] == {"id": me}
    assert made["economicResource"]["primaryAccountable"] == {"id": me}
    assert made["economicResource"]["accountingQuantity"] == {"hasNumericalValue": "7"}


def test_the_agent_continues_its_chain_after_the_nodes_records(
    api: Api, own_key: KeyPair, agent: Client
) -> None:
    agent.delegate(api.node.info.node_key, ["vf.create"])
    zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "by the node"}})
    receipt = agent.sign_and_submit(
        "vf.create", {"type": "SpatialThing", "data": {"name": "signed by me"}}
    )
    assert receipt["status"] == "applied"
    assert api.node.store.head(own_key.public)[0] == 4  # type: ignore[index]


def test_without_a_delegation_the_mutation_is_refused_and_says_what_to_do(
    api: Api, own_key: KeyPair, agent: Client
) -> None:
    out = zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "depot"}})
    err = error_of(out)
    assert err["extensions"]["code"] == "FORBIDDEN"
    assert err["extensions"]["rule"] == "node-held-key"
    assert api.node.info.node_key in err["message"] and "delegation.grant" in err["message"]
    assert api.node.store.head(own_key.public)[0] == 1  # type: ignore[index]  # nothing written


def test_an_unsigned_or_badly_signed_request_stays_unauthenticated(
    api: Api, own_key: KeyPair, agent: Client
) -> None:
    agent.delegate(api.node.info.node_key, ["vf.create"])
    body = json.dumps({"query": CREATE_PLACE, "variables": {"p": {"name": "x"}}}).encode()
    headers = {"zenflows-user": own_key.public, "zenflows-sign": own_key.sign(body + b" "),
               "content-type": "application/json"}  # fmt: skip
    response = api.http.post("/api", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_delegation_that_does_not_cover_the_kind_is_refused(
    api: Api, own_key: KeyPair, agent: Client
) -> None:
    agent.delegate(api.node.info.node_key, ["vf.event"])
    err = error_of(zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "depot"}}))
    assert (err["extensions"]["code"], err["extensions"]["rule"]) == (
        "FORBIDDEN",
        "delegation-scope",
    )
    assert "'vf.create'" in err["message"]


def test_an_expired_delegation_is_refused(
    api: Api, own_key: KeyPair, agent: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent.delegate(api.node.info.node_key, ["vf.create"], expires="2999-01-01T00:00:00Z")
    ok = zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "in time"}})
    assert ok["data"]["createSpatialThing"]["spatialThing"]["name"] == "in time"
    monkeypatch.setattr("reflow.api.delegation.now", lambda: "2999-01-01T00:00:01.000000Z")
    err = error_of(zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "too late"}}))
    assert (err["extensions"]["code"], err["extensions"]["rule"]) == (
        "FORBIDDEN",
        "delegation-expired",
    )
    assert "2999-01-01T00:00:00Z" in err["message"]


def test_a_revoked_delegation_is_refused(api: Api, own_key: KeyPair, agent: Client) -> None:
    grant = agent.delegate(api.node.info.node_key, ["vf.create"])["hash"]
    zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "before"}})
    assert agent.sign_and_submit("delegation.revoke", {"grant": grant})["status"] == "applied"
    err = error_of(zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "after"}}))
    assert (err["extensions"]["code"], err["extensions"]["rule"]) == (
        "FORBIDDEN",
        "delegation-revoked",
    )


def test_a_delegation_to_another_nodes_key_does_not_serve_this_node(
    api: Api, own_key: KeyPair, agent: Client
) -> None:
    agent.delegate(KeyPair.generate().public, ["vf.create"])
    err = error_of(zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "depot"}}))
    assert err["extensions"]["rule"] == "node-held-key"


# -- a replica judges the same records the same way ---------------------------------------------


@pytest.fixture
def replica(
    tmp_path: Path, database_url: str, node: Node, request: pytest.FixtureRequest
) -> Iterator[Node]:
    if database_url.startswith("postgresql"):
        url = request.getfixturevalue("pg_database_factory")()
    else:
        url = f"sqlite:///{tmp_path / 'replica.sqlite'}"
    settings = Settings.from_env({}, data_dir=tmp_path / "replica", database_url=url)
    other = Node.init(settings, network_name="test", network=node.info.network)
    yield other
    other.close()


def test_a_replica_verifies_delegated_records_and_their_proof(
    api: Api, own_key: KeyPair, agent: Client, replica: Node
) -> None:
    agent.delegate(api.node.info.node_key, ["vf.create"])
    out = zenflows_post(api, own_key, CREATE_PLACE, {"p": {"name": "depot"}})
    place = out["data"]["createSpatialThing"]["spatialThing"]["id"]
    records = [r.to_dict() for r in api.node.store.iter_records()]
    delegated = record_of(api.node, place).to_dict()

    # A forged copy: another request in the proof, re-signed with the node's key (the node
    # could do that; only the agent's signature of the request tells it apart).
    forged = json.loads(json.dumps(delegated))
    forged["body"][DELEGATION]["request"] = forged["body"][DELEGATION]["request"] + " "
    node_pair = api.node.keystore.get(api.node.info.node_key)
    unsigned = record_from_dict({**forged, "sig": "x"}).payload
    forged["sig"] = node_pair.sign(unsigned)

    inbox = Inbox(replica.ledger)
    first = inbox.offer([r for r in records if r["sig"] != delegated["sig"]] + [forged])
    assert first.applied == len(records) - 1
    assert [e.rule for _, e in first.forged] == ["delegation-proof"]
    assert replica.store.object(place) is None

    second = inbox.offer([delegated])
    assert second.applied == 1
    copy = record_of(replica, place)
    assert copy.hash == record_from_dict(delegated).hash
    assert copy.delegation == record_of(api.node, place).delegation


def test_a_replica_refuses_a_record_written_after_the_revocation(
    api: Api, own_key: KeyPair, agent: Client, replica: Node
) -> None:
    grant = agent.delegate(api.node.info.node_key, ["vf.create"])["hash"]
    agent.sign_and_submit("delegation.revoke", {"grant": grant})
    # A node that ignores the revocation signs anyway, after it in the agent's chain.
    node_pair = api.node.keystore.get(api.node.info.node_key)
    request = json.dumps({"query": CREATE_PLACE, "variables": {"p": {"name": "x"}}})
    rogue_key = DelegatedKey(node_pair.secret, agent=own_key.public, key=node_pair.public,
                             grants=((grant, frozenset({"vf.create"})),), request=request,
                             request_sig=own_key.sign(request.encode()))  # fmt: skip
    seq, prev = api.node.store.head(own_key.public)  # type: ignore[misc]
    rogue = sign_record(rogue_key, network=api.node.info.network, seq=seq + 1, prev=prev,
                        kind="vf.create", body={"type": "SpatialThing",
                                                "data": {"name": "rogue"}})  # fmt: skip
    outcome = Inbox(replica.ledger).offer(
        [r.to_dict() for r in api.node.store.iter_records()] + [rogue.to_dict()]
    )
    assert [e.rule for _, e in outcome.rejected] == ["delegation-revoked"]
