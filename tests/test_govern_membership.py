"""Membership policies and roles, judged by ``Ledger.append``; each refusal names its rule."""

from __future__ import annotations

import pytest
from govern_support import Governed
from support import World

from reflow.errors import AuthorisationError, ConflictError, RuleViolation, SignatureError
from reflow.govern.network import members, network_info, sign_approval
from reflow.ledger.keys import KeyPair
from reflow.store.sqlstore import SqlStore


def test_network_id_is_the_hash_of_the_genesis_body(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    info = network_info(store)
    assert info is not None and info["id"] == city.network and info["policy"] == "invitation"
    assert info["stewards"] == [city.founder]


def test_a_genesis_for_another_network_is_refused(world: World) -> None:
    key = KeyPair.generate()
    with pytest.raises(RuleViolation) as err:
        world.submit(key, "network.genesis", {"name": "x", "membership": {"policy": "open"}})
    assert err.value.rule == "genesis-names-network"


def test_network_without_genesis_behaves_as_open(world: World) -> None:
    anna = world.agent("Anna")
    world.spec(anna, "cotton")  # no membership needed
    assert network_info(world.ledger.store) is None


def test_open_network_lets_any_declared_agent_record(store: SqlStore) -> None:
    city = Governed(store, policy="open")
    anna = city.newcomer("Anna")
    city.spec(anna, "cotton")
    city.submit(city.keys[anna], "member.join", {})
    assert any(m["agent"] == anna and m["via"] == "open" for m in members(store))


def test_non_member_record_is_refused_in_invitation_network(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    stranger = city.newcomer("Stranger")
    with pytest.raises(RuleViolation) as err:
        city.spec(stranger, "cotton")
    assert err.value.rule == "member-only"


def test_invited_key_joins_and_may_record(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    anna = city.invite_in(city.founder, "Anna")
    bob = city.invite_in(anna, "Bob")  # any member may invite
    city.spec(bob, "wool")
    roles = {m["agent"]: m["role"] for m in members(store)}
    assert roles == {city.founder: "steward", anna: "member", bob: "member"}


def test_invitation_is_for_its_invitee_only_and_once(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    anna, eve = city.newcomer("Anna"), city.newcomer("Eve")
    inv = city.submit(city.keys[city.founder], "member.invite", {"key": anna})["invitation"]
    with pytest.raises(AuthorisationError) as err:
        city.submit(city.keys[eve], "member.join", {"invitation": inv})
    assert err.value.rule == "invitee-joins"
    city.submit(city.keys[anna], "member.join", {"invitation": inv})
    with pytest.raises(ConflictError):
        city.submit(city.keys[anna], "member.join", {"invitation": inv})


def test_non_member_cannot_invite(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    eve = city.newcomer("Eve")
    with pytest.raises(RuleViolation) as err:
        city.submit(city.keys[eve], "member.invite", {"key": KeyPair.generate().public})
    assert err.value.rule == "member-only"


def test_observer_cannot_record_events_or_create_objects(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    olga = city.invite_in(city.founder, "Olga", role="observer")
    with pytest.raises(AuthorisationError) as err:
        city.spec(olga, "cotton")
    assert err.value.rule == "role-permits"
    with pytest.raises(AuthorisationError) as err:
        city.event(
            olga,
            action="work",
            provider=olga,
            receiver=olga,
            effortQuantity={"hasNumericalValue": "1", "hasUnit": "om2:hour"},
        )
    assert err.value.rule == "role-permits"


def test_member_may_not_attach_contracts(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    anna = city.invite_in(city.founder, "Anna")
    with pytest.raises(AuthorisationError) as err:
        city.submit(
            city.keys[anna],
            "network.contract",
            {"name": "x", "kind": "vf.event", "message": "m", "zencode": "Given nothing"},
        )
    assert err.value.rule == "role-permits"


def _approval_city(store: SqlStore) -> Governed:
    return Governed(store, policy="approval", k=2, stewards=2)


def test_k_of_n_stewards_approve_a_member(store: SqlStore) -> None:
    city = _approval_city(store)
    anna = city.newcomer("Anna")
    approvals = [
        sign_approval(k, city.network, "member.approve", anna, "member") for k in city.steward_keys
    ]
    city.submit(
        city.keys[anna], "member.approve", {"key": anna, "role": "member", "approvals": approvals}
    )
    city.spec(anna, "cotton")


def test_approval_with_one_forged_signature_fails(store: SqlStore) -> None:
    city = _approval_city(store)
    anna = city.newcomer("Anna")
    forger = KeyPair.generate()
    good = sign_approval(city.steward_keys[0], city.network, "member.approve", anna, "member")
    forged = sign_approval(forger, city.network, "member.approve", anna, "member")
    forged["steward"] = city.stewards[1]  # claims to be the second steward
    with pytest.raises(SignatureError) as err:
        city.submit(
            city.keys[anna],
            "member.approve",
            {"key": anna, "role": "member", "approvals": [good, forged]},
        )
    assert err.value.rule == "steward-approval"
    with pytest.raises(RuleViolation) as err2:
        city.spec(anna, "cotton")
    assert err2.value.rule == "member-only"


def test_approval_by_fewer_than_k_stewards_fails(store: SqlStore) -> None:
    city = _approval_city(store)
    anna = city.newcomer("Anna")
    one = sign_approval(city.steward_keys[0], city.network, "member.approve", anna, "member")
    with pytest.raises(RuleViolation) as err:
        city.submit(
            city.keys[anna], "member.approve", {"key": anna, "role": "member", "approvals": [one]}
        )
    assert err.value.rule == "k-of-n-stewards"


def test_approval_of_another_role_does_not_count(store: SqlStore) -> None:
    city = _approval_city(store)
    anna = city.newcomer("Anna")
    approvals = [
        sign_approval(k, city.network, "member.approve", anna, "member") for k in city.steward_keys
    ]
    with pytest.raises(SignatureError):
        city.submit(
            city.keys[anna],
            "member.approve",
            {"key": anna, "role": "steward", "approvals": approvals},
        )


def test_member_leaves_and_is_then_refused(store: SqlStore) -> None:
    city = Governed(store, policy="invitation")
    anna = city.invite_in(city.founder, "Anna")
    city.submit(city.keys[anna], "member.leave", {})
    with pytest.raises(RuleViolation) as err:
        city.spec(anna, "cotton")
    assert err.value.rule == "member-only"


def test_stewards_remove_a_member_k_of_n(store: SqlStore) -> None:
    city = _approval_city(store)
    anna = city.newcomer("Anna")
    city.submit(city.keys[anna], "member.approve", {"key": anna, "role": "member", "approvals": [
        sign_approval(k, city.network, "member.approve", anna, "member")
        for k in city.steward_keys]})  # fmt: skip
    # the founder (a steward) signs the record; one more steward approves: 2 of 3
    city.submit(
        city.founder_key,
        "member.remove",
        {
            "key": anna,
            "approvals": [sign_approval(city.steward_keys[0], city.network, "member.remove", anna)],
        },
    )
    with pytest.raises(RuleViolation) as err:
        city.spec(anna, "cotton")
    assert err.value.rule == "member-only"
    assert all(m["agent"] != anna for m in members(store))


def test_last_stewards_cannot_leave_below_k(store: SqlStore) -> None:
    city = Governed(store, policy="approval", k=2, stewards=1)
    with pytest.raises(RuleViolation) as err:
        city.submit(city.founder_key, "member.leave", {})
    assert err.value.rule == "stewards-quorum"


def test_approval_signed_by_sign_zen_holds_in_approve_zen(store: SqlStore) -> None:
    from reflow.govern.zencontracts import approval_document
    from reflow.identity.zenroom_compat import zencode_sign

    city = Governed(store, policy="approval", k=1)
    anna = city.newcomer("Anna")
    doc = approval_document(city.network, "member.approve", anna, "observer").decode()
    approval = {"steward": city.founder, "signature": zencode_sign(city.founder_key, doc)}
    city.submit(
        city.keys[anna],
        "member.approve",
        {"key": anna, "role": "observer", "approvals": [approval]},
    )
    assert {m["agent"]: m["role"] for m in members(store)}[anna] == "observer"


def test_removed_member_cannot_rejoin_an_open_network(store: SqlStore) -> None:
    city = Governed(store, policy="open")
    anna = city.newcomer("Anna")
    city.submit(city.keys[anna], "member.join", {})
    city.submit(city.founder_key, "member.remove", {"key": anna})  # k = 1: the founder
    with pytest.raises(RuleViolation) as err:
        city.spec(anna, "cotton")
    assert err.value.rule == "member-only"
    with pytest.raises(AuthorisationError) as err2:
        city.submit(city.keys[anna], "member.join", {})
    assert err2.value.rule == "removed-member"


def test_second_genesis_is_refused(store: SqlStore) -> None:
    city = Governed(store, policy="open")
    with pytest.raises(ConflictError) as err:
        city.submit(city.founder_key, "network.genesis", city.body)
    assert err.value.rule == "one-genesis"


@pytest.mark.parametrize(
    ("policy", "kind", "body"),
    [
        ("open", "member.invite", {"key": KeyPair.generate().public}),
        ("approval", "member.invite", {"key": KeyPair.generate().public}),
        ("approval", "member.join", {}),
    ],
)
def test_records_of_another_membership_policy_are_refused(
    sqlite_store: SqlStore, policy: str, kind: str, body: dict[str, str]
) -> None:
    city = Governed(sqlite_store, policy=policy)
    signer = city.founder_key if kind == "member.invite" else city.keys[city.newcomer("Anna")]
    with pytest.raises(RuleViolation) as err:
        city.submit(signer, kind, body)
    assert err.value.rule == "membership-policy"


def test_attaching_a_contract_needs_k_stewards(store: SqlStore) -> None:
    import hashlib

    from reflow.govern.network import heavy_transfer_contract
    from reflow.ledger.canonical import canonical_bytes

    city = Governed(store, policy="approval", k=2, stewards=1)
    att = heavy_transfer_contract("100")
    with pytest.raises(RuleViolation) as err:
        city.submit(city.founder_key, "network.contract", att)
    assert err.value.rule == "k-of-n-stewards"
    subject = hashlib.sha256(canonical_bytes(att)).hexdigest()
    second = sign_approval(city.steward_keys[0], city.network, "network.contract", subject)
    city.submit(city.founder_key, "network.contract", {**att, "approvals": [second]})


def test_another_node_judges_the_same_records_alike(store: SqlStore, tmp_path) -> None:
    from reflow.ledger.ledger import Ledger
    from reflow.store.digest import state_digest

    city = _approval_city(store)
    anna = city.newcomer("Anna")
    city.submit(city.keys[anna], "member.approve", {"key": anna, "role": "member", "approvals": [
        sign_approval(k, city.network, "member.approve", anna, "member")
        for k in city.steward_keys]})  # fmt: skip
    city.spec(anna, "cotton")
    other = SqlStore.open(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        receipts = Ledger(other, city.network).append_many(list(store.iter_records()))
        assert {r.status for r in receipts} == {"applied"}
        assert state_digest(other)["digest"] == state_digest(store)["digest"]
    finally:
        other.close()
