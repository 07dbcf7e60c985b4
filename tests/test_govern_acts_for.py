"""Acting for an organisation: a person records events for it only with its grant.

A grant (``member.grant``) is VF 0.x's AgentRelationship: the person (subject) acts for the
organisation (object). The event's provider is the organisation; its signer, the person.
"""

from __future__ import annotations

from typing import Any

import pytest
from govern_support import Governed
from support import qty

from reflow.errors import AuthorisationError
from reflow.govern.network import agent_relationships
from reflow.store.sqlstore import SqlStore


def _city(store: SqlStore) -> tuple[Governed, str, str, str]:
    city = Governed(store, policy="invitation")
    repair = city.invite_in(city.founder, "Repair Café", type_name="Organization")
    anna = city.invite_in(city.founder, "Anna")
    wool = city.spec(city.founder, "wool")
    return city, repair, anna, wool


def _raise_for(city: Governed, signer: str, org: str, spec: str) -> dict[str, str]:
    return city.event(
        signer,
        {"name": "sack"},
        action="raise",
        provider=org,
        receiver=org,
        resourceConformsTo=spec,
        resourceQuantity=qty(3),
    )


def test_person_with_grant_records_for_the_organisation(store: SqlStore) -> None:
    city, repair, anna, wool = _city(store)
    city.submit(
        city.keys[repair], "member.grant", {"agent": anna, "organization": repair, "role": "member"}
    )
    made = _raise_for(city, anna, repair, wool)
    event = store.event(made["EconomicEvent"])
    assert (event.provider, event.author) == (repair, anna)
    assert store.resource(made["EconomicResource"]).primary_accountable == repair
    assert agent_relationships(store) == [{
        "id": agent_relationships(store)[0]["id"], "subject": anna, "object": repair,
        "relationship": {"roleLabel": "member of", "inverseRoleLabel": "has member",
                         "note": "may record events for the organisation"}}]  # fmt: skip


def test_acting_for_an_organisation_without_grant_is_refused(store: SqlStore) -> None:
    city, repair, anna, wool = _city(store)
    with pytest.raises(AuthorisationError) as err:
        _raise_for(city, anna, repair, wool)
    assert err.value.rule == "acts-for-grant"


def test_only_the_organisation_or_its_stewards_grant(store: SqlStore) -> None:
    city, repair, anna, _ = _city(store)
    bob = city.invite_in(city.founder, "Bob")
    with pytest.raises(AuthorisationError) as err:
        city.submit(
            city.keys[anna],
            "member.grant",
            {"agent": anna, "organization": repair, "role": "steward"},
        )
    assert err.value.rule == "organization-grants"
    city.submit(
        city.keys[repair],
        "member.grant",
        {"agent": anna, "organization": repair, "role": "steward"},
    )
    city.submit(
        city.keys[anna], "member.grant", {"agent": bob, "organization": repair, "role": "member"}
    )
    with pytest.raises(AuthorisationError):  # a member of the organisation cannot grant
        city.submit(
            city.keys[bob],
            "member.grant",
            {"agent": city.founder, "organization": repair, "role": "member"},
        )


def test_ended_grant_no_longer_lets_the_person_act(store: SqlStore) -> None:
    city, repair, anna, wool = _city(store)
    city.submit(
        city.keys[repair], "member.grant", {"agent": anna, "organization": repair, "role": "member"}
    )
    _raise_for(city, anna, repair, wool)
    city.submit(city.keys[repair], "member.ungrant", {"agent": anna, "organization": repair})
    with pytest.raises(AuthorisationError) as err:
        _raise_for(city, anna, repair, wool)
    assert err.value.rule == "acts-for-grant"
    assert agent_relationships(store) == []


def test_rebuild_of_a_governed_network_gives_the_same_digest(store: SqlStore) -> None:
    from reflow.store.digest import state_digest
    from reflow.store.rebuild import rebuild

    city, repair, anna, wool = _city(store)
    city.submit(
        city.keys[repair], "member.grant", {"agent": anna, "organization": repair, "role": "member"}
    )
    _raise_for(city, anna, repair, wool)
    city.submit(city.keys[repair], "member.ungrant", {"agent": anna, "organization": repair})
    before = state_digest(store)
    assert rebuild(store, city.network) == before["tables"]["records"]
    assert state_digest(store) == before


def test_my_agent_shows_role_and_organisations(store: SqlStore) -> None:
    from reflow.govern.network import my_agent

    city, repair, anna, _ = _city(store)
    city.submit(
        city.keys[repair], "member.grant", {"agent": anna, "organization": repair, "role": "member"}
    )
    me = my_agent(store, anna)
    assert (me["name"], me["role"], me["actsFor"]) == ("Anna", "member", [repair])


def test_a_grant_and_its_end_count_at_once_inside_one_batch(store: SqlStore) -> None:
    """The ledger reads who an author may act as once per author while only events are
    applied; a grant or its end in the same batch counts for the records after it."""
    city, repair, anna, wool = _city(store)
    chain, keys = city.chain, city.keys

    def signed(key: str, kind: str, body: dict[str, object]) -> Any:
        rec = chain.sign(keys[key], kind, body)
        chain.accepted(rec)
        return rec

    def raise_by_anna() -> Any:
        return signed(anna, "vf.event", {"event": {
            "action": "raise", "provider": repair, "receiver": repair,
            "resourceConformsTo": wool, "resourceQuantity": qty(3)}})  # fmt: skip

    before = raise_by_anna()
    chain.heads[keys[anna].public] = store.head(anna)  # type: ignore[assignment]  # refused
    grant = signed(repair, "member.grant", {"agent": anna, "organization": repair,
                                            "role": "member"})  # fmt: skip
    during = raise_by_anna()
    ungrant = signed(repair, "member.ungrant", {"agent": anna, "organization": repair})
    after = raise_by_anna()
    statuses = [r.status for r in city.ledger.append_many([before, grant, during, ungrant, after])]
    assert statuses == ["rejected", "applied", "applied", "applied", "rejected"]
