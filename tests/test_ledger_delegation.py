"""Delegation: an agent lets a node key write records in the agent's own chain.

The agent signs a ``delegation.grant`` (the node key, the kinds, an expiry) in its chain; a
record signed by that key in the agent's chain is accepted only while the grant is live and
covers its kind, and only with the agent's signed request kept in it as proof of intent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import World, qty

from reflow.errors import AuthorisationError, RuleViolation, SignatureError
from reflow.ledger.delegation import DelegatedKey
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import DELEGATION, Record, record_from_dict, sign_record


def request_by(key: KeyPair, what: str = "mutation { x }") -> tuple[str, str]:
    request = json.dumps({"query": what, "variables": {}})
    return request, key.sign(request.encode())


def under(
    agent: KeyPair, node: KeyPair, grant: str, *, signer: KeyPair | None = None
) -> DelegatedKey:
    """The node key writing for ``agent`` under ``grant``; the request signed by ``signer``."""
    request, sig = request_by(signer or agent)
    return DelegatedKey(node.secret, agent=agent.public, key=node.public,
                        grants=((grant, frozenset({"vf.create", "vf.event"})),),
                        request=request, request_sig=sig)  # fmt: skip


def grant(world: World, agent: str, key: str, kinds: list[str], **more: Any) -> str:
    rec = world.chain.sign(world.keys[agent], "delegation.grant",
                           {"key": key, "kinds": kinds, **more})  # fmt: skip
    world.ledger.append(rec)
    world.chain.accepted(rec)
    return rec.hash


def place_body(name: str = "depot") -> dict[str, Any]:
    return {"type": "SpatialThing", "data": {"name": name, "lat": "52.3", "long": "4.9"}}


@pytest.fixture
def anna(world: World) -> str:
    return world.agent("Anna")


@pytest.fixture
def node_key() -> KeyPair:
    return KeyPair.generate()


def test_a_delegated_record_is_written_in_the_agents_chain_and_keeps_its_proof(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create", "vf.event"])
    key = under(world.keys[anna], node_key, g)
    rec = world.chain.sign(key, "vf.create", place_body())
    receipt = ledger.append(rec)
    assert receipt.status == "applied"
    assert rec.author == anna and rec.seq == 3  # declare, grant, this
    assert DELEGATION not in rec.body  # the rules judge the plain body
    proof = rec.to_dict()["body"][DELEGATION]
    assert proof == {"grant": g, "key": node_key.public, "request": key.request,
                     "requestSig": key.request_sig}  # fmt: skip
    stored = ledger.store.get_record(rec.hash)  # type: ignore[attr-defined]
    assert stored.delegation == proof and stored.hash == rec.hash
    assert record_from_dict(rec.to_dict()).hash == rec.hash


def test_the_agents_own_records_continue_the_same_chain(
    world: World, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"])
    world.submit(under(world.keys[anna], node_key, g), "vf.create", place_body("by the node"))
    spec = world.spec(anna, "wood")  # signed by Anna herself, after the node's record
    world.event(anna, {"name": "lot"}, action="raise", provider=anna, receiver=anna,
                resourceConformsTo=spec, resourceQuantity=qty(3))  # fmt: skip


def _refusal(ledger: Ledger, rec: Record) -> Exception:
    with pytest.raises(Exception) as err:
        ledger.append(rec)
    return err.value


def test_a_record_signed_by_a_key_without_a_grant_is_refused(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    fake_grant = "ab" * 32
    rec = world.chain.sign(under(world.keys[anna], node_key, fake_grant), "vf.create", place_body())
    err = _refusal(ledger, rec)
    assert isinstance(err, AuthorisationError)
    assert (err.code, err.field, err.rule) == (
        "FORBIDDEN",
        f"body.{DELEGATION}.grant",
        "delegation-exists",
    )


def test_another_agents_grant_does_not_open_this_chain(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    bob = world.agent("Bob")
    bobs = grant(world, bob, node_key.public, ["vf.create"])
    rec = world.chain.sign(under(world.keys[anna], node_key, bobs), "vf.create", place_body())
    err = _refusal(ledger, rec)
    assert isinstance(err, AuthorisationError) and err.rule == "delegation-own"


def test_a_grant_serves_only_the_key_it_names(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"])
    other = KeyPair.generate()
    rec = world.chain.sign(under(world.keys[anna], other, g), "vf.create", place_body())
    err = _refusal(ledger, rec)
    assert isinstance(err, AuthorisationError) and err.rule == "delegation-key"


def test_a_grant_covers_only_its_kinds(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.event"])
    rec = world.chain.sign(under(world.keys[anna], node_key, g), "vf.create", place_body())
    err = _refusal(ledger, rec)
    assert isinstance(err, AuthorisationError) and err.rule == "delegation-scope"
    assert "'vf.create'" in str(err)


@pytest.mark.parametrize("kind", ["delegation.grant", "delegation.revoke", "key.revoke"])
def test_a_delegate_cannot_sign_the_agents_grants_or_keys(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair, kind: str
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"])
    body = {"key": node_key.public, "kinds": ["vf.event"]} if kind == "delegation.grant" else {}
    rec = world.chain.sign(under(world.keys[anna], node_key, g), kind, body)
    err = _refusal(ledger, rec)
    assert isinstance(err, AuthorisationError) and err.rule == "delegation-scope"


def test_an_expired_grant_is_refused_by_the_records_own_time(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"], expires="2999-01-01T00:00:00Z")
    key = under(world.keys[anna], node_key, g)
    seq, prev = world.chain.heads[anna]

    def at(created: str) -> Record:
        return sign_record(key, network=ledger.network, seq=seq + 1, prev=prev, kind="vf.create",
                           body=place_body(), created=created)  # fmt: skip

    err = _refusal(ledger, at("2999-01-01T00:00:00.000000Z"))
    assert isinstance(err, AuthorisationError) and err.rule == "delegation-expired"
    assert ledger.append(at("2998-12-31T23:59:59.000000Z")).status == "applied"


def test_a_revoked_grant_refuses_later_records_and_keeps_earlier_ones(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"])
    key = under(world.keys[anna], node_key, g)
    before = world.submit(key, "vf.create", place_body("before"))["SpatialThing"]
    world.submit(world.keys[anna], "delegation.revoke", {"grant": g})
    err = _refusal(ledger, world.chain.sign(key, "vf.create", place_body("after")))
    assert isinstance(err, AuthorisationError) and err.rule == "delegation-revoked"
    assert ledger.store.object(before) is not None


def test_only_the_granting_agent_revokes(world: World, anna: str, node_key: KeyPair) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"])
    bob = world.agent("Bob")
    with pytest.raises(AuthorisationError) as err:
        world.submit(world.keys[bob], "delegation.revoke", {"grant": g})
    assert err.value.rule == "delegation-own"


def test_the_proof_must_be_the_authors_signed_request(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"])
    forged = under(world.keys[anna], node_key, g, signer=KeyPair.generate())
    err = _refusal(ledger, world.chain.sign(forged, "vf.create", place_body()))
    assert isinstance(err, SignatureError)
    assert (err.field, err.rule) == (f"body.{DELEGATION}.requestSig", "delegation-proof")


def test_the_record_must_be_signed_by_the_key_its_proof_names(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    g = grant(world, anna, node_key.public, ["vf.create"])
    honest = under(world.keys[anna], node_key, g)
    thief = DelegatedKey(KeyPair.generate().secret, agent=anna, key=node_key.public,
                         grants=honest.grants, request=honest.request,
                         request_sig=honest.request_sig)  # fmt: skip
    err = _refusal(ledger, world.chain.sign(thief, "vf.create", place_body()))
    assert isinstance(err, SignatureError) and err.field == "sig"


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"kinds": ["vf.create"]}, "body.key", "required"),
        ({"key": "not a key", "kinds": ["vf.create"]}, "body.key", "key"),
        ({"key": "NODE", "kinds": []}, "body.kinds", "delegation-scope"),
        ({"key": "NODE", "kinds": ["key.rotate"]}, "body.kinds[0]", "delegation-scope"),
        ({"key": "NODE", "kinds": ["vf create"]}, "body.kinds[0]", "delegation-scope"),
        ({"key": "NODE", "kinds": ["vf.create"], "expires": "2001-01-01T00:00:00Z"},
         "body.expires", "expires-later"),
        ({"key": "NODE", "kinds": ["vf.create"], "expires": "2999-01-01T00:00:00"},
         "body.expires", "datetime"),
        ({"key": "NODE", "kinds": ["vf.create"], "scope": "all"}, "body.scope", "known-fields"),
    ],
)  # fmt: skip
def test_a_grant_says_exactly_what_it_allows(
    world: World, anna: str, node_key: KeyPair, body: dict[str, Any], field: str, rule: str
) -> None:
    if body.get("key") == "NODE":
        body = {**body, "key": node_key.public}
    with pytest.raises(RuleViolation) as err:
        world.submit(world.keys[anna], "delegation.grant", body)
    assert (err.value.field, err.value.rule) == (field, rule)


@pytest.mark.parametrize(
    ("proof", "field"),
    [
        ("text", "body.@delegation"),
        ({"grant": "ab" * 32, "key": "k", "request": "r"}, "body.@delegation.requestSig"),
        ({"grant": "xyz", "key": "k", "request": "r", "requestSig": "s"}, "body.@delegation.grant"),
        ({"grant": "ab" * 32, "key": "k", "request": "r", "requestSig": "s", "x": 1},
         "body.@delegation.x"),
    ],
)  # fmt: skip
def test_a_malformed_proof_is_refused_by_its_shape(proof: Any, field: str) -> None:
    rec = sign_record(KeyPair.generate(), network="n", seq=1, prev=None, kind="vf.create",
                      body={})  # fmt: skip
    raw = rec.to_dict()
    raw["body"] = {DELEGATION: proof}
    with pytest.raises(RuleViolation) as err:
        record_from_dict(raw)
    assert (err.value.field, err.value.rule) == (field, "record-shape")


def test_each_record_names_the_grant_that_covers_its_kind(
    world: World, ledger: Ledger, anna: str, node_key: KeyPair
) -> None:
    places = grant(world, anna, node_key.public, ["vf.create"])
    events = grant(world, anna, node_key.public, ["vf.event"])
    request, sig = request_by(world.keys[anna])
    key = DelegatedKey(node_key.secret, agent=anna, key=node_key.public,
                       grants=((events, frozenset({"vf.event"})),
                               (places, frozenset({"vf.create"}))),
                       request=request, request_sig=sig)  # fmt: skip
    rec = world.chain.sign(key, "vf.create", place_body())
    assert rec.delegation is not None and rec.delegation["grant"] == places
    assert ledger.append(rec).status == "applied"
