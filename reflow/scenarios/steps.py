"""The scenario steps that go through a service: market offers, recipes, plans, value, territory.

A mixin of ``Scenario`` (``reflow.scenarios.builder``): each step calls the service's own
function with the scenario's clocked view of the node (``self.services``), so the service's
records are signed at the story's time like every other record of the scenario.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Receipt


class ServiceSteps:
    """Steps of a scenario that call the market, planning, value and report services."""

    ids: dict[str, str]
    keys: dict[str, KeyPair]
    services: Any
    clock: datetime

    def a(self, role: str) -> str:
        raise NotImplementedError

    def now(self) -> str:
        raise NotImplementedError

    def remember(self, key: str, value: str) -> str:
        raise NotImplementedError

    def submit(self, role: str, kind: str, body: dict[str, Any]) -> Receipt:
        raise NotImplementedError

    def offer(
        self,
        role: str,
        key: str,
        name: str,
        spec: str,
        amount: dict[str, str],
        at: str,
        purpose: str = "offer",
        **more: Any,
    ) -> str:
        """Publish an offer (or a request) of ``amount`` of ``spec`` through the market."""
        from reflow.market import service as market

        intent = market.intent(
            purpose, self.a(role), amount, spec=self.ids[spec], atLocation=self.ids[at], **more
        )
        proposal = {
            "purpose": purpose,
            "name": name,
            "eligibleLocation": self.ids[at],
            "hasBeginning": self.now(),
        }
        out = market.publish(self.services, self.keys[role], proposal, [intent], stream=None)
        return self.remember(key, out["proposal"])

    def accept(self, role: str, key: str, proposal: str, amount: dict[str, str]) -> str:
        """Accept (part of) someone's proposal through the market: an agreement."""
        from reflow.market import service as market

        out = market.accept(self.services, self.keys[role], self.ids[proposal], amount)
        return self.remember(key, out["agreement"])

    def recipe(self, role: str, key: str, body: dict[str, Any]) -> str:
        from reflow.plan import service as planning

        return self.remember(
            key, planning.define_recipe(self.services, self.keys[role], body)["recipe"]
        )

    def plan(
        self, role: str, key: str, spec: str, amount: dict[str, str], days: int, at: str, name: str
    ) -> dict[str, Any]:
        """Plan ``amount`` of ``spec`` due ``days`` from now, delivered at place ``at``."""
        from reflow.plan import service as planning

        out = planning.plan_from_demand(
            self.services,
            self.keys[role],
            self.ids[spec],
            amount,
            self.clock + timedelta(days=days),
            self.ids[at],
            name=name,
            now=self.clock,
            publish=False,
            seconds=1.0,
        )
        self.remember(key, out["plan"])
        return out

    def share_income(self, role: str, key: str, income: str, equation: dict[str, Any]) -> str:
        """Record ``equation`` and distribute the income event ``income`` by it."""
        from reflow.value import service as value

        eq = value.create_equation(self.services, self.keys[role], equation)
        self.remember(f"{key}_equation", eq)
        _plan, created = value.distribute(self.services, self.keys[role], self.ids[income], eq)
        self.remember(key, next(iter(created.values()), ""))
        return eq

    def territory(
        self, role: str, name: str, districts: list[tuple[str, str, tuple[str, ...]]]
    ) -> None:
        """Define the territory: districts as (id, name, (west, south, east, north)) boxes."""
        from reflow.report.territory import for_record

        features = []
        for did, dname, (w, s, e, n) in districts:
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            features.append(
                {
                    "type": "Feature",
                    "id": did,
                    "properties": {"name": dname},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
        doc = {"type": "FeatureCollection", "features": features}
        self.submit(role, "territory.define", {"name": name, "districts": for_record(doc)})
