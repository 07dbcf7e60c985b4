"""Edges of the VF rules found after the conformance tables: each was a bug, each has its rule."""

from __future__ import annotations

from typing import Any

import pytest
from support import World, qty

from reflow.errors import AuthorisationError, RuleViolation
from reflow.store.digest import state_digest
from reflow.vf.event import parse_event


def _bale(world: World, who: str, kg: int = 10, place: str | None = None) -> str:
    spec = world.spec(who, "cotton")
    extra = {"toLocation": place} if place else {}
    made = world.event(
        who,
        {"name": "bale"},
        action="raise",
        provider=who,
        receiver=who,
        resourceConformsTo=spec,
        resourceQuantity=qty(kg),
        **extra,
    )
    return made["EconomicResource"]


def test_transfer_all_rights_leaves_the_goods_where_they_are(world: World) -> None:
    alice, bob = world.agent("Alice"), world.agent("Bob")
    here, there = world.place(alice, "here"), world.place(alice, "there")
    bale = _bale(world, alice, place=here)
    out = world.event(
        alice,
        action="transferAllRights",
        provider=alice,
        receiver=bob,
        resourceInventoriedAs=bale,
        resourceQuantity=qty(4),
        toLocation=there,
    )
    given = world.ledger.store.resource(out["toEconomicResource"])
    assert given.current_location == here  # rights moved; nothing was carried anywhere


def test_work_is_measured_in_time(world: World) -> None:
    alice = world.agent("Alice")
    proc = world.process(alice, "sewing")
    before = state_digest(world.ledger.store)
    with pytest.raises(RuleViolation) as err:
        world.event(
            alice,
            action="work",
            provider=alice,
            receiver=alice,
            inputOf=proc,
            effortQuantity=qty(3, "om2:kilogram"),
        )
    assert (err.value.field, err.value.rule) == ("event.effortQuantity.hasUnit", "effort-is-time")
    assert state_digest(world.ledger.store) == before
    world.event(
        alice,
        action="work",
        provider=alice,
        receiver=alice,
        inputOf=proc,
        effortQuantity=qty(90, "om2:minute-Time"),
    )


def test_nobody_packs_into_a_container_someone_else_keeps(world: World) -> None:
    alice, bob = world.agent("Alice"), world.agent("Bob")
    bale = _bale(world, alice)
    box_spec = world.spec(bob, "box")
    box = world.event(
        bob,
        {"name": "Bob's box"},
        action="raise",
        provider=bob,
        receiver=bob,
        resourceConformsTo=box_spec,
        resourceQuantity=qty(1, "om2:one"),
    )
    proc = world.process(alice, "packing")
    before = state_digest(world.ledger.store)
    with pytest.raises(AuthorisationError) as err:
        world.event(
            alice,
            action="combine",
            provider=alice,
            receiver=alice,
            inputOf=proc,
            resourceInventoriedAs=bale,
            resourceQuantity=qty(10),
            toResourceInventoriedAs=box["EconomicResource"],
        )
    assert (err.value.field, err.value.rule) == ("event.toResourceInventoriedAs", "custodian-packs")
    assert state_digest(world.ledger.store) == before


@pytest.mark.parametrize("value", ["1e40", "1" + "0" * 40, "0." + "0" * 39 + "1", "1e-999999"])
def test_quantities_stay_in_a_sane_range(world: World, value: str) -> None:
    alice = world.agent("Alice")
    spec = world.spec(alice, "cotton")
    with pytest.raises(RuleViolation) as err:
        world.event(
            alice,
            action="raise",
            provider=alice,
            receiver=alice,
            resourceConformsTo=spec,
            resourceQuantity=qty(value),
        )
    assert err.value.rule == "quantity-range"
    assert err.value.field == "event.resourceQuantity.hasNumericalValue"


@pytest.mark.parametrize(
    ("event", "field", "rule"),
    [
        ({"action": "juggle", "provider": "a", "receiver": "a", "inputOf": 5},
         "event.action", "vf-action"),
        ({"action": "raise", "provider": "", "receiver": "a", "inputOf": 5},
         "event.provider", "type"),
        ({"action": "raise", "provider": "a", "receiver": "a", "hasEnd": "soon", "note": 3},
         "event.hasEnd", "datetime"),
        ({"action": "raise", "provider": "a", "receiver": "a", "inputOf": [],
          "resourceQuantity": {"hasNumericalValue": "x", "hasUnit": "om2:kilogram"}},
         "event.resourceQuantity.hasNumericalValue", "decimal-string"),
        ({"action": "raise", "provider": "a", "receiver": "a", "outputOf": " ", "image": 1},
         "event.outputOf", "type"),
        ({"provider": "a", "receiver": 7}, "event.action", "required"),
    ],
    ids=["action-first", "provider-before-inputOf", "times-before-note",
         "quantities-before-references", "outputOf-before-image", "missing-action-first"],
)  # fmt: skip
def test_an_event_with_several_faults_always_gets_the_same_first_error(
    event: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(RuleViolation) as err:
        parse_event(event)
    assert (err.value.field, err.value.rule) == (field, rule)
