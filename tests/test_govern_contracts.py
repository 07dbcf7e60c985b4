"""Zencode contracts a network attaches to record kinds, run on every record they concern.

The example: "a transfer of more than 100 kg needs a second signature from a steward"
(``reflow/govern/contracts/cosign.zen``).
"""

from __future__ import annotations

from typing import Any

import pytest
from govern_support import Governed
from support import qty

from reflow.errors import RuleViolation
from reflow.govern.network import cosign_body, heavy_transfer_contract, network_info
from reflow.govern.zencontracts import approval_document
from reflow.store.sqlstore import SqlStore


def _city(
    store: SqlStore, contracts: list[dict[str, Any]] | None
) -> tuple[Governed, str, str, str]:
    city = Governed(store, policy="invitation", stewards=1, contracts=contracts)
    anna, bob = city.invite_in(city.founder, "Anna"), city.invite_in(city.founder, "Bob")
    spec = city.spec(anna, "cotton")
    made = city.event(
        anna,
        {"name": "bale"},
        action="raise",
        provider=anna,
        receiver=anna,
        resourceConformsTo=spec,
        resourceQuantity=qty(500),
    )
    return city, anna, bob, made["EconomicResource"]


def _transfer(
    anna: str, bob: str, bale: str, kg: str, unit: str = "om2:kilogram"
) -> dict[str, Any]:
    return {
        "event": {
            "action": "transfer",
            "provider": anna,
            "receiver": bob,
            "resourceInventoriedAs": bale,
            "resourceQuantity": qty(kg, unit),
        }
    }


def _cosign(city: Governed, steward_key: Any, anna: str, body: dict[str, Any]) -> str:
    seq = city.chain.heads[anna][0] + 1
    city.submit(
        steward_key,
        "network.cosign",
        cosign_body(steward_key, city.network, anna, seq, "vf.event", body),
    )
    return city.chain.heads[steward_key.public][1]


def test_heavy_transfer_without_steward_cosignature_is_refused(store: SqlStore) -> None:
    city, anna, bob, bale = _city(store, [heavy_transfer_contract("100")])
    with pytest.raises(RuleViolation) as err:
        city.submit(city.keys[anna], "vf.event", _transfer(anna, bob, bale, "150"))
    assert err.value.rule == "contract:cosign"
    assert "needs a second signature from a steward" in err.value.message


def test_heavy_transfer_with_steward_cosignature_is_accepted(store: SqlStore) -> None:
    city, anna, bob, bale = _city(store, [heavy_transfer_contract("100")])
    body = _transfer(anna, bob, bale, "150")
    dep = _cosign(city, city.steward_keys[0], anna, body)
    city.submit(city.keys[anna], "vf.event", body, deps=(dep,))
    assert str(store.resource(bale).accounting_quantity) == "350"


def test_light_transfer_needs_no_cosignature(store: SqlStore) -> None:
    city, anna, bob, bale = _city(store, [heavy_transfer_contract("100")])
    city.submit(city.keys[anna], "vf.event", _transfer(anna, bob, bale, "80000", "om2:gram"))
    with pytest.raises(RuleViolation):  # 0.2 t is over 100 kg whatever the unit
        city.submit(city.keys[anna], "vf.event", _transfer(anna, bob, bale, "0.2", "om2:tonne"))


def test_cosignature_by_a_non_steward_is_refused(store: SqlStore) -> None:
    city, anna, bob, bale = _city(store, [heavy_transfer_contract("100")])
    body = _transfer(anna, bob, bale, "150")
    seq = city.chain.heads[anna][0] + 2  # anna publishes bob's co-signature first
    city.submit(
        city.keys[anna],
        "network.cosign",
        cosign_body(city.keys[bob], city.network, anna, seq, "vf.event", body),
    )
    with pytest.raises(RuleViolation) as err:
        city.submit(city.keys[anna], "vf.event", body)
    assert err.value.rule == "contract:cosign"
    assert "not found inside: stewards" in err.value.message


def test_cosignature_of_another_body_does_not_count(store: SqlStore) -> None:
    city, anna, bob, bale = _city(store, [heavy_transfer_contract("100")])
    _cosign(city, city.steward_keys[0], anna, _transfer(anna, bob, bale, "120"))
    with pytest.raises(RuleViolation) as err:
        city.submit(city.keys[anna], "vf.event", _transfer(anna, bob, bale, "150"))
    assert err.value.rule == "contract:cosign"


def test_stewards_attach_a_contract_later(store: SqlStore) -> None:
    city, anna, bob, bale = _city(store, None)
    att = heavy_transfer_contract("100")
    city.submit(city.founder_key, "network.contract", att)  # k = 1: the founder suffices
    info = network_info(store)
    assert info is not None and [c["name"] for c in info["contracts"]] == ["cosign"]
    with pytest.raises(RuleViolation) as err:
        city.submit(city.keys[anna], "vf.event", _transfer(anna, bob, bale, "150"))
    assert err.value.rule == "contract:cosign"


def test_approval_document_names_network_action_subject_and_role() -> None:
    doc = approval_document("net", "member.approve", "KEY", "member")
    assert doc == (
        b'{"action":"member.approve","network":"net","purpose":"reflow approval",'
        b'"role":"member","subject":"KEY"}'
    )


def test_only_author_or_steward_publishes_a_cosignature(store: SqlStore) -> None:
    from reflow.errors import AuthorisationError

    city, anna, bob, bale = _city(store, [heavy_transfer_contract("100")])
    body = _transfer(anna, bob, bale, "150")
    seq = city.chain.heads[anna][0] + 1
    forged = cosign_body(city.keys[bob], city.network, anna, seq, "vf.event", body)
    with pytest.raises(AuthorisationError) as err:
        city.submit(city.keys[bob], "network.cosign", forged)  # bob would block anna's transfer
    assert err.value.rule == "cosign-publisher"
