"""Claims are settled by payments (transfers that ``settles`` them); partial payments count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import NETWORK, World, qty
from value_scene import EUR, Shirt, build_shirt, pay, shirt_equation

from reflow.errors import NotFound, RuleViolation, UnitError
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.value.distribute import plan_distribution
from reflow.value.service import claim_status, claims

D = Decimal


def _distributed(world: World, **more: object) -> tuple[Shirt, dict[str, str]]:
    s = build_shirt(world)
    eq = world.submit(world.keys[s.fund], "value.equation", shirt_equation(s, **more))
    plan = plan_distribution(world.ledger.store, s.income, eq["ValueEquation"])
    world.submit(world.keys[s.makerspace], "value.distribute", plan.body())
    by_receiver = {c.receiver: c.id for c in claims(world.ledger.store, income=s.income)}
    return s, by_receiver


def test_claims_settle_after_partial_then_full_payment(world: World) -> None:
    s, claim = _distributed(world)
    store = world.ledger.store
    assert claim_status(store, claim[s.anna]).status == "open"

    pay(world, s.makerspace, s.anna, s.till, "20", settles=[claim[s.anna]])
    anna = claim_status(store, claim[s.anna])
    assert (anna.status, anna.settled, anna.remaining) == ("partial", D(20), D("20.30"))

    paid = pay(world, s.makerspace, s.anna, s.till, "20.30", settles=[claim[s.anna]])
    anna = claim_status(store, claim[s.anna])
    assert (anna.status, anna.settled, anna.remaining) == ("settled", D("40.30"), D(0))
    assert paid["EconomicEvent"] in anna.events

    pay(world, s.makerspace, s.ben, s.till, "8.06", settles=[claim[s.ben]])
    pay(world, s.makerspace, s.collector, s.till, "3", settles=[claim[s.collector]])
    assert {c.receiver: c.status for c in claims(store, agent=s.makerspace)} == {
        s.anna: "settled", s.ben: "settled", s.collector: "partial", s.fund: "open",
    }  # fmt: skip
    assert claim_status(store, claim[s.collector]).remaining == D("0.22")

    # Settlements are a projection: rebuilding from the log gives the same state.
    before = state_digest(store)
    rebuild(store, NETWORK)
    assert state_digest(store) == before
    assert claim_status(store, claim[s.anna]).status == "settled"


def test_a_payment_settles_only_a_claim_between_its_own_agents(world: World) -> None:
    s, claim = _distributed(world)
    buyer_wallet = s.wallet
    with pytest.raises(RuleViolation) as err:  # the buyer does not owe Anna anything
        pay(world, s.buyer, s.anna, buyer_wallet, "5", settles=[claim[s.anna]])
    assert (err.value.field, err.value.rule) == ("event.provider", "settles-same-agents")
    with pytest.raises(NotFound) as nf:
        pay(world, s.makerspace, s.anna, s.till, "5", settles=["no-such-claim"])
    assert nf.value.field == "event.settles[0]"
    fabric = world.event(s.makerspace, {"name": "rags"}, action="raise", provider=s.makerspace,
                         receiver=s.makerspace, resourceConformsTo=s.fabric,
                         resourceQuantity=qty(5))["EconomicResource"]  # fmt: skip
    with pytest.raises(UnitError):  # paid in kind, in kilograms: not what the claim is in
        world.event(s.makerspace, action="transfer", provider=s.makerspace, receiver=s.anna,
                    resourceInventoriedAs=fabric, resourceQuantity=qty(1),
                    settles=[claim[s.anna]])  # fmt: skip
    assert claim_status(world.ledger.store, claim[s.anna]).settled == 0


def test_an_overpayment_settles_the_claim_and_no_more(world: World) -> None:
    s, claim = _distributed(world)
    pay(world, s.makerspace, s.ben, s.till, "10", settles=[claim[s.ben]])
    ben = claim_status(world.ledger.store, claim[s.ben])
    assert (ben.status, ben.settled, ben.remaining) == ("settled", D("8.06"), D(0))


def test_a_point_equation_gives_whole_points(world: World) -> None:
    s, _claims = _distributed(world, currency="reflow:point", name="points")
    # 60 points: fund 6; 54 by value: Anna 40.29…, Ben 8.05…, collector 3.22…, makerspace
    # 2.41… round down to 40 + 8 + 3 + 2 = 53, and the point left goes to the largest remainder,
    # the makerspace's .41…, which keeps its 3 points (no claim on itself).
    got = {c.receiver: (c.quantity, c.unit) for c in claims(world.ledger.store)}
    assert got == {
        s.fund: (D(6), "reflow:point"), s.anna: (D(40), "reflow:point"),
        s.ben: (D(8), "reflow:point"), s.collector: (D(3), "reflow:point"),
    }  # fmt: skip
    assert EUR not in {u for _q, u in got.values()}


def test_one_payment_settles_several_claims_in_their_order(world: World) -> None:
    s, first = _distributed(world)
    again = world.submit(world.keys[s.fund], "value.equation", shirt_equation(s, name="again"))
    plan = plan_distribution(world.ledger.store, s.income, again["ValueEquation"])
    world.submit(world.keys[s.makerspace], "value.distribute", plan.body())
    store = world.ledger.store
    second = next(c.id for c in claims(store, agent=s.anna) if c.id != first[s.anna])
    pay(world, s.makerspace, s.anna, s.till, "50", settles=[first[s.anna], second])
    assert claim_status(store, first[s.anna]).status == "settled"
    rest = claim_status(store, second)
    assert (rest.status, rest.settled) == ("partial", D("9.70"))


def test_a_distributed_claim_is_settled_never_edited(world: World) -> None:
    s, claim = _distributed(world)
    key = world.keys[s.makerspace]
    for kind, body in (
        ("vf.update", {"id": claim[s.anna], "data": {"resourceQuantity": qty("1", EUR)}}),
        ("vf.delete", {"id": claim[s.anna]}),
    ):
        with pytest.raises(RuleViolation) as err:
            world.submit(key, kind, body)
        assert err.value.rule == "value-owned"
    assert claim_status(world.ledger.store, claim[s.anna]).quantity == D("40.30")
    # A claim made by hand stays the author's to change.
    own = world.create(s.makerspace, "Claim", action="transfer", provider=s.makerspace,
                       receiver=s.anna, resourceQuantity=qty("5", EUR))  # fmt: skip
    world.submit(key, "vf.update", {"id": own, "data": {"resourceQuantity": qty("6", EUR)}})
    assert claim_status(world.ledger.store, own).quantity == D(6)
