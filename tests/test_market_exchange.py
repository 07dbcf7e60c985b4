"""The exchange cycle from the pilots: match, agreement, transfer, fulfilment, what remains.

A textile workshop offers 40 kg of cotton scraps; an insulation maker 3 km away asks for 25 kg
of textile fibre within 10 km. They match (cotton is a textile fibre), the maker accepts, the
workshop transfers in two parts that each fulfil the commitment, and 15 kg stay on offer.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from market_world import C, Market, hours
from sqlalchemy import select
from support import NETWORK, World, qty

from reflow.errors import AuthorisationError, NotFound, RuleViolation
from reflow.market.matching import matches, open_proposals
from reflow.market.service import accept, agreement_status, intent, publish
from reflow.market.tables import intents
from reflow.node import Node
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild


def _pilot(world: World) -> tuple[Market, dict[str, str]]:
    market = Market(world)
    workshop = world.agent("Textile workshop", "Organization")
    maker = world.agent("Insulation maker", "Organization")
    scraps = world.spec(workshop, "cotton scraps", resourceClassifiedAs=[C["cotton"]])
    here = world.place(workshop, "workshop", "52.3700", "4.8900")
    there = world.place(maker, "factory", "52.3900", "4.9200")
    offer = market.offer(workshop, resourceConformsTo=scraps, quantity=qty(40), atLocation=here)
    request = market.request(
        maker,
        resourceClassifiedAs=[C["textile-fibre"]],
        quantity=qty(25),
        atLocation=there,
        radius="10",
    )
    names = dict(workshop=workshop, maker=maker, scraps=scraps, offer=offer, request=request)
    return market, names


def _available(world: World, intent_proposal: str) -> str:
    with world.ledger.store.engine.connect() as conn:
        return conn.execute(
            select(intents.c.available).where(
                intents.c.proposal == intent_proposal, intents.c.role == "primary"
            )
        ).scalar_one()


def test_cotton_scraps_match_the_insulation_request_with_reasons(world: World) -> None:
    _, n = _pilot(world)
    store = world.ledger.store
    (found,) = matches(store, n["request"])
    assert found.proposal == n["offer"]
    assert found.reasons["what"] == "cotton is a kind of textile fibre"
    assert "within 10 km" in found.reasons["distance"]
    assert found.reasons["quantity"].startswith(
        "quantity: 40 kg available for 25 kg asked (100% covered)"
    )
    assert 2 < found.distance_km < 4
    (back,) = matches(store, n["offer"])
    assert back.proposal == n["request"]
    assert [p["id"] for p in open_proposals(store, n["workshop"])] == [n["offer"]]


def test_accepting_then_transferring_fulfils_and_leaves_15_kg_on_offer(world: World) -> None:
    market, n = _pilot(world)
    store = world.ledger.store
    made = market.accept(n["maker"], n["offer"], qty(25), own=n["request"])
    agreement, commitment = made["Agreement"], made["Commitment:0"]
    c = store.object(commitment).data
    assert (c["provider"], c["receiver"], c["resourceQuantity"]["hasNumericalValue"]) == (
        n["workshop"], n["maker"], "25",
    )  # fmt: skip
    assert sorted(c["satisfies"]) == sorted(
        [
            store.object(n["offer"]).data["publishes"][0],
            store.object(n["request"]).data["publishes"][0],
        ]
    )
    assert store.object(agreement).data["stipulates"] == [commitment]
    assert _available(world, n["offer"]) == "15"
    assert _available(world, n["request"]) == "0"
    assert matches(store, n["request"]) == []  # the request is fully satisfied

    bale = world.event(
        n["workshop"], {"name": "scraps"}, action="raise", provider=n["workshop"],
        receiver=n["workshop"], resourceConformsTo=n["scraps"], resourceQuantity=qty(40),
    )["EconomicResource"]  # fmt: skip
    transfer = dict(
        action="transfer", provider=n["workshop"], receiver=n["maker"],
        resourceInventoriedAs=bale, fulfills=[commitment],
    )  # fmt: skip
    world.event(n["workshop"], resourceQuantity=qty(10), **transfer)
    status = agreement_status(store, agreement)
    assert (status["commitments"][0]["fulfilled"], status["complete"]) == ("10", False)
    world.event(n["workshop"], resourceQuantity=qty(15000, "om2:gram"), **transfer)
    assert agreement_status(store, agreement)["complete"] is True
    assert store.resource(bale).accounting_quantity == Decimal(15)

    # 15 kg remain on offer: a new request for 15 kg finds it, one for 20 kg does not.
    other = world.agent("Upholsterer", "Organization")
    small = market.request(other, resourceClassifiedAs=[C["cotton"]], quantity=qty(15),
                           minimumQuantity=qty(15))  # fmt: skip
    large = market.request(other, resourceClassifiedAs=[C["cotton"]], quantity=qty(20),
                           minimumQuantity=qty(20))  # fmt: skip
    assert [m.proposal for m in matches(store, small)] == [n["offer"]]
    assert matches(store, large) == []

    before = state_digest(store)
    rebuild(store, NETWORK)
    assert state_digest(store) == before


def test_a_unit_based_price_is_scaled_by_what_is_accepted(world: World) -> None:
    market = Market(world)
    seller, buyer = world.agent("Mill"), world.agent("Buyer")
    eur = {"hasNumericalValue": "2", "hasUnit": "iso4217:EUR"}
    offer = market.offer(
        seller, resourceClassifiedAs=[C["wool"]], quantity=qty(1), availableQuantity=qty(40),
        proposal={"unitBased": True},
        reciprocal=[{"role": "reciprocal", "action": "transfer", "receiver": seller,
                     "resourceClassifiedAs": ["urn:reflow:class:money"], "resourceQuantity": eur}],
    )  # fmt: skip
    made = market.accept(buyer, offer, qty(25))
    price = world.ledger.store.object(made["Commitment:1"]).data
    assert (price["provider"], price["receiver"]) == (buyer, seller)
    assert price["resourceQuantity"] == {"hasNumericalValue": "50", "hasUnit": "iso4217:EUR"}
    assert world.ledger.store.object(made["Agreement"]).data["stipulatesReciprocal"] == [
        made["Commitment:1"]
    ]


def _refused(world: World, exc: type[Exception], rule: str | None, field: str, act) -> None:  # type: ignore[no-untyped-def]
    before = state_digest(world.ledger.store)
    with pytest.raises(exc) as err:
        act()
    if rule is not None:
        assert err.value.rule == rule  # type: ignore[attr-defined]
    assert err.value.field == field  # type: ignore[attr-defined]
    assert state_digest(world.ledger.store) == before  # nothing changed


def test_accepting_is_refused_for_every_broken_rule(world: World) -> None:
    market, n = _pilot(world)
    outsider = world.agent("Outsider")
    past = market.offer(n["workshop"], resourceClassifiedAs=[C["wool"]],
                        proposal={"hasEnd": "2020-01-01T00:00:00Z"})  # fmt: skip
    private = market.offer(n["workshop"], resourceClassifiedAs=[C["linen"]],
                           proposal={"proposedTo": [n["maker"]]})  # fmt: skip
    ended = market.offer(n["workshop"], resourceClassifiedAs=[C["pp"]],
                         hasEnd="2020-01-01T00:00:00Z")  # fmt: skip
    gone = market.offer(n["workshop"], resourceClassifiedAs=[C["pet"]])
    market.withdraw(n["workshop"], gone)
    minimal = market.offer(n["workshop"], resourceClassifiedAs=[C["hdpe"]], minimumQuantity=qty(10))
    offer_to_accept = market.offer_to_accept
    # Refused when offered: rules that no record of another chain can change.
    cases = [
        (RuleViolation, "not-own-proposal", "body.proposal",
         lambda: offer_to_accept(n["workshop"], n["offer"], qty(1))),
        (RuleViolation, "not-more-than-available", "body.own",
         lambda: offer_to_accept(n["maker"], n["offer"], qty(30), own=n["request"])),
        (RuleViolation, "not-expired", "body.proposal",
         lambda: offer_to_accept(outsider, past, qty(1))),
        (RuleViolation, "not-expired", "body.proposal",
         lambda: offer_to_accept(outsider, ended, qty(1))),
        (AuthorisationError, "proposed-to", "body.proposal",
         lambda: offer_to_accept(outsider, private, qty(1))),
        (RuleViolation, "same-dimension", "body.quantity",
         lambda: offer_to_accept(outsider, n["offer"], qty(2, "om2:hour"))),
        (RuleViolation, "positive-quantity", "body.quantity",
         lambda: offer_to_accept(outsider, n["offer"], qty(0))),
        (RuleViolation, "opposite-purpose", "body.own",
         lambda: offer_to_accept(n["maker"], n["offer"], qty(1), own=n["offer"])),
        (AuthorisationError, "acting", "body.own",
         lambda: offer_to_accept(outsider, n["offer"], qty(1), own=n["request"])),
        (NotFound, None, "body.proposal", lambda: offer_to_accept(outsider, "nope", qty(1))),
        (AuthorisationError, "publisher", "body.proposal",
         lambda: market.withdraw(outsider, n["offer"])),
    ]  # fmt: skip
    for exc, rule, field, act in cases:
        _refused(world, exc, rule, field, act)
    # Refused when the publisher confirms: what depends on the publisher's own chain.
    too_much = offer_to_accept(outsider, n["offer"], qty(41))
    too_little = offer_to_accept(outsider, minimal, qty(5))
    late = offer_to_accept(outsider, gone, qty(1))  # withdrawn on another chain: not a rule here
    shop = n["workshop"]
    cases = [
        (RuleViolation, "not-more-than-available", "body.acceptance",
         lambda: market.confirm(shop, too_much)),
        (RuleViolation, "at-least-minimum", "body.acceptance",
         lambda: market.confirm(shop, too_little)),
        (RuleViolation, "open-proposal", "body.acceptance", lambda: market.confirm(shop, late)),
        (NotFound, None, "body.acceptance", lambda: market.confirm(shop, "nope")),
    ]  # fmt: skip
    for exc, rule, field, act in cases:
        _refused(world, exc, rule, field, act)
    market.accept(n["maker"], private, qty(1))  # the invited agent may


def test_an_event_cannot_fulfil_what_it_does_not_carry_out(world: World) -> None:
    market, n = _pilot(world)
    commitment = market.accept(n["maker"], n["offer"], qty(25))["Commitment:0"]
    bale = world.event(
        n["workshop"], {"name": "scraps"}, action="raise", provider=n["workshop"],
        receiver=n["workshop"], resourceConformsTo=n["scraps"], resourceQuantity=qty(40),
    )["EconomicResource"]  # fmt: skip
    stranger = world.agent("Stranger")

    def transfer(fulfills: list[str], receiver: str, action: str = "transfer"):  # type: ignore[no-untyped-def]
        return lambda: world.event(
            n["workshop"], action=action, provider=n["workshop"], receiver=receiver,
            resourceInventoriedAs=bale, resourceQuantity=qty(1), fulfills=fulfills,
        )  # fmt: skip

    _refused(world, NotFound, None, "event.fulfills[0]", transfer(["nope"], n["maker"]))
    _refused(world, RuleViolation, "fulfils-same-agents", "event.receiver",
             transfer([commitment], stranger))  # fmt: skip
    _refused(world, RuleViolation, "fulfils-same-action", "event.action",
             transfer([commitment], n["maker"], "transfer-custody"))  # fmt: skip


def test_answering_a_request_directly_commits_the_acceptor_to_give(world: World) -> None:
    market = Market(world)
    cafe, tailor = world.agent("Repair café"), world.agent("Tailor")
    eur = {"hasNumericalValue": "15", "hasUnit": "iso4217:EUR"}
    ask = market.request(
        cafe, action="work", resourceClassifiedAs=[C["sewing"]], quantity=hours(3),
        reciprocal=[{"role": "reciprocal", "action": "transfer", "provider": cafe,
                     "resourceQuantity": eur}],
    )  # fmt: skip
    made = market.accept(tailor, ask, hours(3))
    work, pay = (world.ledger.store.object(made[f"Commitment:{i}"]).data for i in (0, 1))
    assert (work["action"], work["provider"], work["receiver"]) == ("work", tailor, cafe)
    assert work["resourceClassifiedAs"] == [C["sewing"]]
    assert (pay["provider"], pay["receiver"], pay["resourceQuantity"]) == (cafe, tailor, eur)
    assert matches(world.ledger.store, ask) == []  # nothing more is needed


def test_an_acceptance_names_the_records_it_was_judged_against(node: Node) -> None:
    shop = node.new_agent("Organization", {"name": "Workshop"})
    maker = node.new_agent("Organization", {"name": "Maker"})
    given = intent("offer", shop.public, qty(40), classes=[C["cotton"]])
    offer = publish(node, shop, {"purpose": "offer"}, [given], stream=None)["proposal"]
    first = accept(node, maker, offer, qty(5), stream=None)
    second = accept(node, maker, offer, qty(5), stream=None)
    assert (first["status"], second["status"]) == ("confirmed", "confirmed")  # node holds both
    *_, last = (r for r in node.store.iter_records() if r.kind == "market.accept")
    *_, confirmed = (r for r in node.store.iter_records() if r.kind == "market.confirm")
    # the publication, and the first confirmation (the last to change the intent's quantity)
    assert set(last.deps) == {
        node.store.object(offer).record,
        node.store.object(first["agreement"]).record,
    }
    # the confirmation is signed by the publisher and applied after the acceptance it confirms
    assert confirmed.author == shop.public and last.hash in confirmed.deps
    assert node.store.object(second["agreement"]).record == confirmed.hash
    assert first["agreement"] != second["agreement"]
