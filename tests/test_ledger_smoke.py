"""The ledger end to end on every backend: records in, projections out, rebuild agrees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import NETWORK, World, qty

from reflow.errors import RuleViolation
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild


def test_raise_then_transfer_part_keeps_both_sides_exact(world: World) -> None:
    anna, clinic = world.agent("Anna"), world.agent("Clinic", "Organization")
    cotton = world.spec(anna, "cotton")
    made = world.event(
        anna,
        {"name": "bale"},
        action="raise",
        provider=anna,
        receiver=anna,
        resourceConformsTo=cotton,
        resourceQuantity=qty(10),
    )
    bale = made["EconomicResource"]
    moved = world.event(
        anna,
        action="transfer",
        provider=anna,
        receiver=clinic,
        resourceInventoriedAs=bale,
        resourceQuantity=qty(2500, "om2:gram"),
    )
    store = world.ledger.store
    assert store.resource(bale).accounting_quantity == Decimal("7.5")
    given = store.resource(moved["toEconomicResource"])
    assert (given.accounting_quantity, given.primary_accountable, given.custodian) == (
        Decimal("2.5"),
        clinic,
        clinic,
    )
    with pytest.raises(RuleViolation) as err:
        world.event(
            anna,
            action="consume",
            provider=anna,
            receiver=anna,
            resourceInventoriedAs=bale,
            resourceQuantity=qty(8),
        )
    assert err.value.rule == "no-negative-quantity"
    before = state_digest(store)
    rebuild(store, NETWORK)
    assert state_digest(store) == before
