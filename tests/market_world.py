"""Test support for the market: publish offers and requests in one line each on a ``World``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from support import World, qty

from reflow.market.tables import acceptances
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

    def offer_to_accept(self, by: str, proposal: str, quantity: dict[str, str], **more: Any) -> str:
        """Only the acceptor's record: the acceptance stays pending."""
        body = {"proposal": proposal, "quantity": quantity, **more}
        return self.world.submit(self.world.keys[by], "market.accept", body)["Acceptance"]

    def confirm(
        self, by: str, acceptance: str, deps: tuple[str, ...] | None = None
    ) -> dict[str, str]:
        """Signed by ``by``; the deps name the accept record unless given."""
        body = {"acceptance": acceptance}
        if deps is None:
            row = self.row(acceptance)
            deps = (row["record"],) if row else ()
        return self.world.submit(self.world.keys[by], "market.confirm", body, deps)

    def decline(self, by: str, acceptance: str, reason: str | None = None) -> dict[str, str]:
        body = {"acceptance": acceptance, **({"reason": reason} if reason else {})}
        row = self.row(acceptance)
        deps = (row["record"],) if row else ()
        return self.world.submit(self.world.keys[by], "market.decline", body, deps)

    def release(self, by: str, acceptance: str, deps: tuple[str, ...]) -> dict[str, str]:
        body = {"acceptance": acceptance}
        return self.world.submit(self.world.keys[by], "market.release", body, deps)

    def accept(
        self, by: str, proposal: str, quantity: dict[str, str], **more: Any
    ) -> dict[str, str]:
        """Accept and have the publisher confirm: the agreement, as one step."""
        aid = self.offer_to_accept(by, proposal, quantity, **more)
        row = self.row(aid)
        assert row is not None
        return self.confirm(row["publisher"], aid)

    def row(self, acceptance: str) -> dict[str, Any] | None:
        with self.world.ledger.store.engine.connect() as conn:
            found = conn.execute(select(acceptances).where(acceptances.c.id == acceptance)).first()
        return dict(found._mapping) if found is not None else None

    def withdraw(self, by: str, proposal: str) -> None:
        self.world.submit(self.world.keys[by], "market.withdraw", {"proposal": proposal})
