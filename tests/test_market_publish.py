"""Publishing a proposal: a Proposal and its Intents in one record, or nothing at all.

Every refusal names the field and the rule; a refused record changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from market_world import C, Market, hours
from support import World, qty

from reflow.errors import AuthorisationError, NotFound, RuleViolation
from reflow.store.digest import state_digest


def test_a_published_offer_holds_its_intents(world: World) -> None:
    market = Market(world)
    mill = world.agent("Mill")
    eur = {"hasNumericalValue": "3", "hasUnit": "iso4217:EUR"}
    offer = market.offer(
        mill, resourceClassifiedAs=[C["wool"]], quantity=qty(12),
        reciprocal=[{"role": "reciprocal", "action": "transfer", "receiver": mill,
                     "resourceQuantity": eur}],
    )  # fmt: skip
    store = world.ledger.store
    data = store.object(offer).data
    primary, recip = store.object(data["publishes"][0]), store.object(data["reciprocal"][0])
    assert (data["purpose"], primary.type, primary.data["provider"]) == ("offer", "Intent", mill)
    assert recip.data["receiver"] == mill


def _bad_publish(world: World, body: dict[str, Any], exc: type[Exception], rule: str | None,
                 field: str, by: str) -> None:  # fmt: skip
    before = state_digest(world.ledger.store)
    with pytest.raises(exc) as err:
        world.submit(world.keys[by], "market.publish", body)
    if rule is not None:
        assert err.value.rule == rule  # type: ignore[attr-defined]
    assert err.value.field == field  # type: ignore[attr-defined]
    assert state_digest(world.ledger.store) == before


def test_publishing_is_refused_for_every_broken_rule(world: World) -> None:
    me, other = world.agent("Me"), world.agent("Other")
    ok = {"action": "transfer", "provider": me, "resourceClassifiedAs": [C["wool"]],
          "resourceQuantity": qty(10)}  # fmt: skip

    def offer(**change: Any) -> dict[str, Any]:
        intent = {k: v for k, v in {**ok, **change}.items() if v is not None}
        return {"proposal": {"purpose": "offer"}, "intents": [intent]}

    cases = [
        (offer(receiver=other), RuleViolation, "one-side", "body.intents[0].provider"),
        (offer(provider=None, receiver=me), RuleViolation, "publisher-side",
         "body.intents[0].provider"),
        (offer(minimumQuantity=qty(11)), RuleViolation, "minimum-within-available",
         "body.intents[0].minimumQuantity"),
        (offer(minimumQuantity=hours(1)), RuleViolation, "consistent-units",
         "body.intents[0].minimumQuantity"),
        (offer(availableQuantity=hours(1)), RuleViolation, "consistent-units",
         "body.intents[0].availableQuantity"),
        (offer(resourceClassifiedAs=None), RuleViolation, "what",
         "body.intents[0].resourceConformsTo"),
        (offer(resourceQuantity=None), RuleViolation, "required",
         "body.intents[0].resourceQuantity"),
        (offer(action="work"), RuleViolation, "work-effort", "body.intents[0].resourceQuantity"),
        (offer(provider=other), AuthorisationError, "acting", "body.intents[0]"),
        (offer(hasBeginning="2030-01-02T00:00:00Z", hasEnd="2030-01-01T00:00:00Z"),
         RuleViolation, "time-window", "body.intents[0].hasEnd"),
        (offer(atLocation="nowhere"), NotFound, None, "body.intents[0].atLocation"),
        (offer(role="gift"), RuleViolation, "role", "body.intents[0].role"),
        ({**offer(), "proposal": {}}, RuleViolation, "required", "body.proposal.purpose"),
        ({**offer(), "proposal": {"purpose": "swap"}}, RuleViolation, "type",
         "body.proposal.purpose"),
        ({**offer(), "proposal": {"purpose": "offer", "publishes": ["x"]}}, RuleViolation,
         "derived", "body.proposal.publishes"),
        ({**offer(), "intents": []}, RuleViolation, "required", "body.intents"),
        ({**offer(), "intents": [{**ok, "role": "reciprocal", "provider": None, "receiver": me}]},
         RuleViolation, "primary-intent", "body.intents"),
        ({**offer(), "radiusKm": "-3"}, RuleViolation, "radius", "body.radiusKm"),
        ({**offer(), "radiusKm": "3"}, RuleViolation, "radius-needs-place", "body.radiusKm"),
        ({**offer(), "extra": 1}, RuleViolation, "known-fields", "body.extra"),
    ]  # fmt: skip
    for body, exc, rule, field in cases:
        _bad_publish(world, body, exc, rule, field, me)


def test_market_objects_change_only_through_market_records(world: World) -> None:
    market = Market(world)
    me = world.agent("Me")
    offer = market.offer(me, resourceClassifiedAs=[C["wool"]], quantity=qty(10))
    intent = world.ledger.store.object(offer).data["publishes"][0]
    for kind, body in (
        ("vf.update", {"id": intent, "data": {"availableQuantity": qty(1000)}}),
        ("vf.delete", {"id": offer}),
    ):
        before = state_digest(world.ledger.store)
        with pytest.raises(RuleViolation) as err:
            world.submit(world.keys[me], kind, body)
        assert (err.value.rule, err.value.field) == ("market-owned", "body.id")
        assert state_digest(world.ledger.store) == before
