"""Key rotation and revocation: an agent keeps its id while the keys that sign for it change.

Decision: a rotation retires the old key — its records after the rotation are refused
(``key-rotated``); the new key writes for the agent from its own chain.
"""

from __future__ import annotations

import pytest
from govern_support import Governed
from support import World, qty

from reflow.errors import AuthorisationError, ConflictError, SignatureError
from reflow.govern.network import keys_of, rotation_body
from reflow.ledger.keys import KeyPair
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.store.sqlstore import SqlStore


def _rotate(world: World, agent: str, old: KeyPair) -> KeyPair:
    new = KeyPair.generate()
    world.keys[new.public] = new
    world.submit(old, "key.rotate", rotation_body(old, new, world.ledger.network, agent))
    return new


def test_new_key_records_events_for_the_agent_after_rotation(world: World) -> None:
    anna = world.agent("Anna")
    new = _rotate(world, anna, world.keys[anna])
    cotton = world.submit(
        new, "vf.create", {"type": "ResourceSpecification", "data": {"name": "cotton"}}
    )["ResourceSpecification"]
    made = world.submit(new, "vf.event", {"event": {
        "action": "raise", "provider": anna, "receiver": anna,
        "resourceConformsTo": cotton, "resourceQuantity": qty(5)}, "newInventoriedResource":
        {"name": "bale"}})  # fmt: skip
    res = world.ledger.store.resource(made["EconomicResource"])
    assert res.primary_accountable == anna  # the agent's id did not change
    assert world.ledger.store.object(cotton).author == new.public  # the signer is the new key
    assert [k["status"] for k in keys_of(world.ledger.store, anna)] in (
        ["active", "rotated"], ["rotated", "active"])  # fmt: skip


def test_old_key_is_refused_after_rotation(world: World) -> None:
    anna = world.agent("Anna")
    _rotate(world, anna, world.keys[anna])
    with pytest.raises(AuthorisationError) as err:
        world.spec(anna, "late")
    assert err.value.rule == "key-rotated"


def test_rotation_needs_proof_of_possession_by_the_new_key(world: World) -> None:
    anna = world.agent("Anna")
    new, other = KeyPair.generate(), KeyPair.generate()
    body = rotation_body(world.keys[anna], other, world.ledger.network, anna)
    body["new_key"] = new.public  # proof signed by another key
    with pytest.raises(SignatureError) as err:
        world.submit(world.keys[anna], "key.rotate", body)
    assert err.value.rule == "proof-of-possession"


def test_rotation_to_a_key_in_use_is_refused(world: World) -> None:
    anna, bob = world.agent("Anna"), world.agent("Bob")
    bob_key = world.keys[bob]
    body = rotation_body(world.keys[anna], bob_key, world.ledger.network, anna)
    with pytest.raises(ConflictError) as err:
        world.submit(world.keys[anna], "key.rotate", body)
    assert err.value.rule == "new-key-unused"


def test_revoked_key_records_are_rejected(world: World) -> None:
    anna = world.agent("Anna")
    new = _rotate(world, anna, world.keys[anna])
    newer = KeyPair.generate()
    world.keys[newer.public] = newer
    # the agent binds a second key, then revokes the first rotated one with it
    world.submit(new, "key.rotate", rotation_body(new, newer, world.ledger.network, anna))
    world.submit(newer, "key.revoke", {"key": new.public, "reason": "laptop stolen"})
    with pytest.raises(AuthorisationError) as err:
        world.submit(new, "vf.create", {"type": "SpatialThing", "data": {"name": "x"}})
    assert err.value.rule in ("key-revoked", "key-rotated")
    world.submit(newer, "vf.create", {"type": "SpatialThing", "data": {"name": "ok"}})


def test_self_revocation_refuses_the_key_from_its_next_record(world: World) -> None:
    anna = world.agent("Anna")
    world.submit(world.keys[anna], "key.revoke", {"key": anna, "reason": "compromised"})
    with pytest.raises(AuthorisationError) as err:
        world.spec(anna, "after")
    assert err.value.rule == "key-revoked"


def test_another_agent_cannot_revoke_my_key(world: World) -> None:
    anna, bob = world.agent("Anna"), world.agent("Bob")
    with pytest.raises(AuthorisationError) as err:
        world.submit(world.keys[bob], "key.revoke", {"key": anna, "reason": "spite"})
    assert err.value.rule == "own-key-revokes"


def test_rebuild_after_rotation_gives_the_same_digest(world: World) -> None:
    anna = world.agent("Anna")
    new = _rotate(world, anna, world.keys[anna])
    world.submit(new, "vf.create", {"type": "SpatialThing", "data": {"name": "depot"}})
    store = world.ledger.store
    before = state_digest(store)
    rebuild(store, world.ledger.network)
    assert state_digest(store) == before


def test_record_signed_by_sign_zen_is_accepted_by_the_ledger(world: World) -> None:
    from reflow.identity.zenroom_compat import zencode_sign
    from reflow.ledger.canonical import canonical_bytes
    from reflow.ledger.records import now, record_from_dict

    key = KeyPair.generate()
    unsigned = {
        "network": world.ledger.network, "author": key.public, "seq": 1, "prev": None,
        "deps": [], "kind": "agent.declare", "created": now(),
        "body": {"type": "Person", "data": {"name": 'Zoë "Zen" Roomer'}},
    }  # fmt: skip
    sig = zencode_sign(key, canonical_bytes(unsigned).decode("utf-8"))
    receipt = world.ledger.append(record_from_dict({**unsigned, "sig": sig}))
    assert receipt.status == "applied"
    assert world.ledger.store.object(key.public).data["name"] == 'Zoë "Zen" Roomer'


def test_rotated_key_records_as_the_member_in_a_governed_network(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    anna = city.invite_in(city.founder, "Anna")
    new = _rotate(city, anna, city.keys[anna])
    city.submit(new, "vf.create", {"type": "SpatialThing", "data": {"name": "depot"}})
