"""Test support for the market: publish offers and requests in one line each on a ``World``."""

from __future__ import annotations

from typing import Any

from support import World, qty

from reflow.market.taxonomy import default_concepts

C = {c.uri.rsplit(":", 1)[-1]: c.uri for c in default_concepts()}


def hours(value: str | int) -> dict[str, str]:
    return qty(value, "om2:hour")


class Market:
    """Offers, requests and acceptances signed as real records through the world's ledger."""

    def __init__(self, world: World) -> None:
        self.world = world

    def publish(
        self,
        by: str,
        purpose: str,
        *,
        quantity: dict[str, str] | None = None,
        radius: str | None = None,
        reciprocal: list[dict[str, Any]] | None = None,
        proposal: dict[str, Any] | None = None,
        **intent: Any,
    ) -> str:
        side = "provider" if purpose == "offer" else "receiver"
        action = intent.pop("action", "transfer")
        key = "effortQuantity" if action == "work" else "resourceQuantity"
        primary = {"action": action, side: by, key: quantity or qty(40), **intent}
        body: dict[str, Any] = {
            "proposal": {"purpose": purpose, **(proposal or {})},
            "intents": [primary, *(reciprocal or [])],
        }
        if radius is not None:
            body["radiusKm"] = radius
        return self.world.submit(self.world.keys[by], "market.publish", body)["Proposal"]

    def offer(self, by: str, **kw: Any) -> str:
        return self.publish(by, "offer", **kw)

    def request(self, by: str, **kw: Any) -> str:
        return self.publish(by, "request", **kw)

    def accept(
        self, by: str, proposal: str, quantity: dict[str, str], **more: Any
    ) -> dict[str, str]:
        body = {"proposal": proposal, "quantity": quantity, **more}
        return self.world.submit(self.world.keys[by], "market.accept", body)

    def withdraw(self, by: str, proposal: str) -> None:
        self.world.submit(self.world.keys[by], "market.withdraw", {"proposal": proposal})
