"""Matching: which proposals meet which, why, and which never do.

A request for a broad class is met by offers of narrower classes (cotton for textile fibre), never
the other way round; quantities, time windows and the request's radius must all agree; expired,
withdrawn, fully taken, private-to-others and one's own proposals never match.
"""

from __future__ import annotations

import asyncio

import pytest
from market_world import C, Market, hours
from support import NETWORK, World, qty

from reflow.errors import RuleViolation
from reflow.market.matching import bounding_box, haversine_km, matches
from reflow.market.search import find
from reflow.market.service import accept, intent, publish
from reflow.market.stream import MatchStream, announce_applied
from reflow.node import Node
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild

HERE = ("52.3700", "4.8900")


def _ids(world: World, proposal: str) -> list[str]:
    return [m.proposal for m in matches(world.ledger.store, proposal)]


def test_haversine_and_the_box_that_contains_the_circle() -> None:
    km = haversine_km(52.37, 4.89, 48.8566, 2.3522)  # Amsterdam - Paris
    assert 425 < km < 435
    lo_lat, hi_lat, lo_lon, hi_lon = bounding_box(52.37, 4.89, 10)
    assert haversine_km(52.37, 4.89, hi_lat, 4.89) == pytest.approx(10, rel=1e-6)
    assert haversine_km(52.37, 4.89, 52.37, hi_lon) == pytest.approx(10, rel=1e-3)
    assert lo_lat < 52.37 < hi_lat and lo_lon < 4.89 < hi_lon


def test_a_repairer_offering_sewing_meets_a_request_for_repair_hours(world: World) -> None:
    market = Market(world)
    repairer, cafe = world.agent("Repairer"), world.agent("Repair café")
    week = {"hasBeginning": "2030-03-04T00:00:00Z", "hasEnd": "2030-03-10T23:59:59Z"}
    skills = market.offer(
        repairer, action="work", resourceClassifiedAs=[C["sewing"]], quantity=hours(10),
        proposal={"name": "sewing, 10 h a week", **week},
    )  # fmt: skip
    ask = market.request(
        cafe, action="work", resourceClassifiedAs=[C["repair"]], quantity=hours(3),
        proposal={"hasBeginning": "2030-03-05T10:00:00Z"},
    )  # fmt: skip
    kilos = market.request(cafe, resourceClassifiedAs=[C["repair"]], quantity=qty(3))
    (found,) = matches(world.ledger.store, ask, at="2030-03-01T00:00:00Z")
    assert found.proposal == skills
    assert found.reasons["what"] == "sewing is a kind of repair"
    assert found.reasons["quantity"].startswith("skill hours: 10 h available for 3 h")
    assert matches(world.ledger.store, kilos, at="2030-03-01T00:00:00Z") == []  # kg ≠ hours
    agreed = market.accept(cafe, skills, hours(3), own=ask)
    data = world.ledger.store.object(agreed["Commitment:0"]).data
    assert (data["action"], data["effortQuantity"]["hasNumericalValue"]) == ("work", "3")


def test_what_must_agree_same_spec_class_or_narrower(world: World) -> None:
    market = Market(world)
    a, b = world.agent("A"), world.agent("B")
    denim = world.spec(a, "denim offcuts", resourceClassifiedAs=[C["cotton"]])
    by_spec = market.offer(a, resourceConformsTo=denim)
    narrower = market.offer(a, resourceClassifiedAs=[C["cotton"]])
    broader = market.offer(a, resourceClassifiedAs=[C["textile-fibre"]])
    unrelated = market.offer(a, resourceClassifiedAs=[C["steel"]])
    wants_cotton = market.request(b, resourceClassifiedAs=[C["cotton"]], quantity=qty(5))
    assert set(_ids(world, wants_cotton)) == {by_spec, narrower}
    assert broader not in _ids(world, wants_cotton) and unrelated not in _ids(world, wants_cotton)
    wants_denim = market.request(b, resourceConformsTo=denim, quantity=qty(5))
    (exact, *rest) = matches(world.ledger.store, wants_denim)
    assert exact.proposal == by_spec and exact.reasons["what"].startswith("same specification")
    assert rest == []  # the spec is not substitutable: cotton in general will not do
    sub = world.spec(b, "any cotton", resourceClassifiedAs=[C["cotton"]], substitutable=True)
    wants_any = market.request(b, resourceConformsTo=sub, quantity=qty(5))
    assert set(_ids(world, wants_any)) == {by_spec, narrower}


def test_a_network_extends_the_taxonomy_with_records(world: World) -> None:
    market = Market(world)
    a, b = world.agent("A"), world.agent("B")
    tencel = "urn:example:tencel"
    world.submit(world.keys[a], "market.taxonomy", {"scheme": "urn:example", "concepts": [
        {"uri": tencel, "label": "tencel", "broader": C["textile-fibre"]}]})  # fmt: skip
    offer = market.offer(a, resourceClassifiedAs=[tencel])
    ask = market.request(b, resourceClassifiedAs=[C["textile-fibre"]], quantity=qty(5))
    assert (
        matches(world.ledger.store, ask)[0].reasons["what"] == "tencel is a kind of textile fibre"
    )
    assert _ids(world, ask) == [offer]
    with pytest.raises(RuleViolation) as err:
        world.submit(world.keys[a], "market.taxonomy", {"concepts": [
            {"uri": "x:a", "broader": "x:b"}, {"uri": "x:b", "broader": "x:a"}]})  # fmt: skip
    assert err.value.rule == "no-cycle"


def test_proposals_that_must_never_match(world: World) -> None:
    market = Market(world)
    me, them, third = world.agent("Me"), world.agent("Them"), world.agent("Third")
    near = world.place(me, "near", *HERE)
    far = world.place(them, "far", "52.5200", "4.8900")  # ~17 km north
    close = world.place(them, "close", "52.3800", "4.8900")  # ~1 km
    wool = [C["wool"]]
    ask = market.request(me, resourceClassifiedAs=wool, quantity=qty(10), minimumQuantity=qty(5),
                         atLocation=near, radius="10",
                         proposal={"hasBeginning": "2030-01-01T00:00:00Z",
                                   "hasEnd": "2030-12-31T00:00:00Z"})  # fmt: skip
    good = market.offer(them, resourceClassifiedAs=wool, atLocation=close)
    never = [
        market.offer(me, resourceClassifiedAs=wool, atLocation=near),  # my own
        market.offer(them, resourceClassifiedAs=wool, atLocation=far),  # beyond the radius
        market.offer(them, resourceClassifiedAs=wool),  # no place to measure
        market.offer(them, resourceClassifiedAs=wool, atLocation=close, quantity=qty(4)),  # < min
        market.offer(them, resourceClassifiedAs=wool, atLocation=close,
                     minimumQuantity=qty(20), quantity=qty(30)),  # its minimum > what I want
        market.offer(them, resourceClassifiedAs=wool, atLocation=close,
                     proposal={"hasEnd": "2029-06-01T00:00:00Z"}),  # ends before my window
        market.offer(them, resourceClassifiedAs=wool, atLocation=close,
                     proposal={"proposedTo": [third]}),  # private to someone else
    ]  # fmt: skip
    gone = market.offer(them, resourceClassifiedAs=wool, atLocation=close)
    market.withdraw(them, gone)
    taken = market.offer(them, resourceClassifiedAs=wool, atLocation=close, quantity=qty(6))
    market.accept(third, taken, qty(6))
    at = "2029-01-01T00:00:00Z"
    assert [m.proposal for m in matches(world.ledger.store, ask, at=at)] == [good]
    assert never and gone not in never
    # once the request expires it matches nothing, and nothing matches it
    assert matches(world.ledger.store, ask, at="2031-01-01T00:00:00Z") == []
    assert ask not in [
        m.proposal for m in matches(world.ledger.store, good, at="2031-01-01T00:00:00Z")
    ]
    invited = market.offer(them, resourceClassifiedAs=wool, atLocation=close,
                           proposal={"proposedTo": [me]})  # fmt: skip
    assert invited in [m.proposal for m in matches(world.ledger.store, ask, at=at)]
    before = state_digest(world.ledger.store)
    rebuild(world.ledger.store, NETWORK)  # withdrawals and acceptances replay to the same state
    assert state_digest(world.ledger.store) == before


def test_publishing_notifies_the_agents_whose_proposals_match(node: Node) -> None:
    stream = MatchStream()
    maker = node.new_agent("Organization", {"name": "Insulation maker"})
    shop = node.new_agent("Organization", {"name": "Textile workshop"})
    wanted = intent("request", maker.public, qty(25), classes=[C["textile-fibre"]])
    request = publish(node, maker, {"purpose": "request"}, [wanted], stream=stream)["proposal"]

    async def scenario() -> list[dict[str, object]]:
        mine, everyone = stream.subscribe(maker.public), stream.subscribe()
        other = stream.subscribe(shop.public)
        offered = intent("offer", shop.public, qty(40), classes=[C["cotton"]])
        out = publish(node, shop, {"purpose": "offer"}, [offered], stream=stream)
        got = await asyncio.wait_for(mine.get(), 1)
        assert (await asyncio.wait_for(everyone.get(), 1)) == got
        assert other.queue.empty()
        mine.close()
        return [got.as_dict(), out]

    notice, out = asyncio.run(scenario())
    assert (notice["agent"], notice["proposal"], notice["matched"]) == (
        maker.public, request, out["proposal"],
    )  # fmt: skip
    assert out["notified"] == 1
    agreed = accept(node, maker, out["proposal"], qty(25), own=request)
    assert agreed["agreement"]


def test_browsing_open_offers_near_a_point_by_class(world: World) -> None:
    market = Market(world)
    a, b = world.agent("A"), world.agent("B")
    close = world.place(a, "close", "52.3750", "4.8900")
    far = world.place(a, "far", "52.5200", "4.8900")
    wool_near = market.offer(a, resourceClassifiedAs=[C["wool"]], atLocation=close)
    market.offer(a, resourceClassifiedAs=[C["wool"]], atLocation=far)
    market.offer(a, resourceClassifiedAs=[C["steel"]], atLocation=close)
    market.request(b, resourceClassifiedAs=[C["wool"]], quantity=qty(1))
    store = world.ledger.store
    near = (52.37, 4.89, 5.0)
    found = find(store, "offer", near=near, classified=C["textile-fibre"])
    assert [f["proposal"] for f in found] == [wool_near]
    assert 0.5 < found[0]["distanceKm"] < 0.6
    assert len(find(store, "offer")) == 3 and len(find(store, "request")) == 1


def test_proposals_arriving_by_replication_are_announced_too(world: World) -> None:
    market = Market(world)
    maker, shop = world.agent("Maker"), world.agent("Shop")
    asked = market.request(maker, resourceClassifiedAs=[C["textile-fibre"]], quantity=qty(5))
    body = {"proposal": {"purpose": "offer"}, "intents": [
        {"action": "transfer", "provider": shop, "resourceClassifiedAs": [C["wool"]],
         "resourceQuantity": qty(9)}]}  # fmt: skip
    rec = world.chain.sign(world.keys[shop], "market.publish", body)
    receipts = world.ledger.append_many([rec.to_dict()])
    (notice,) = announce_applied(world.ledger.store, [rec], receipts, MatchStream())
    assert (notice.agent, notice.proposal) == (maker, asked)
    assert notice.matched == receipts[0].created["Proposal"]
