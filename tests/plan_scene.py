"""Test support for the planner: a node with a textile recipe, inventory, offers and a van.

The textile scenario of the planning issue: insulation panels pressed from fibre, fibre shredded
from sorted textile, sorted textile from collected used garments. All numbers are per unit of
output: a panel takes 4 kg fibre and 0.4 h of pressing; 4 kg fibre take 5 kg sorted textile;
1 kg sorted textile takes 1 kg collected garments and 0.1 h of sorting. (50 panels are 20 h of
pressing: one press operator's block within the one-day pressing process.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reflow.ledger.keys import KeyPair
from reflow.market import service as market
from reflow.node import Node
from reflow.settings import Settings

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HUB = ("52.3700", "4.9000")


def qty(value: str | int, unit: str = "om2:kilogram") -> dict[str, str]:
    return {"hasNumericalValue": str(value), "hasUnit": unit}


def hours(value: str | int) -> dict[str, str]:
    return qty(value, "om2:hour")


def days(value: str | int) -> dict[str, str]:
    return qty(value, "om2:day")


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Scene:
    """One coordinator and helpers to create specs, places, inventory, offers and vehicles."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.keys: dict[str, KeyPair] = {}
        self.coord = self.agent("Coordinator", "Organization")
        self.hub = self.place(self.coord, "hub", *HUB)

    def agent(self, name: str, type_name: str = "Person") -> str:
        key = self.node.new_agent(type_name, {"name": name})
        self.keys[key.public] = key
        return key.public

    def create(self, by: str, type_name: str, **data: Any) -> str:
        body = {"type": type_name, "data": data}
        return self.node.submit(self.keys[by], "vf.create", body).created[type_name]

    def place(self, by: str, name: str, lat: str, long: str) -> str:
        return self.create(by, "SpatialThing", name=name, lat=lat, long=long)

    def spec(self, name: str, **data: Any) -> str:
        return self.create(self.coord, "ResourceSpecification", name=name, **data)

    def stock(
        self,
        by: str,
        spec: str,
        amount: str | int,
        at: str,
        unit: str = "om2:kilogram",
        classes: list[str] | None = None,
    ) -> str:
        new: dict[str, Any] = {"name": f"stock of {amount}", "currentLocation": at}
        if classes:
            new["classifiedAs"] = classes
        event = {
            "action": "raise",
            "provider": by,
            "receiver": by,
            "resourceConformsTo": spec,
            "resourceQuantity": qty(amount, unit),
            "atLocation": at,
        }
        body = {"event": event, "newInventoriedResource": new}
        return self.node.submit(self.keys[by], "vf.event", body).created["EconomicResource"]

    def offer_work(
        self, by: str, skill: str, amount: int, at: str, begins: datetime, ends: datetime
    ) -> str:
        intent = market.intent(
            "offer",
            by,
            hours(amount),
            spec=skill,
            skill=True,
            atLocation=at,
            hasBeginning=iso(begins),
            hasEnd=iso(ends),
        )
        return market.publish(
            self.node, self.keys[by], {"purpose": "offer"}, [intent], stream=None
        )["proposal"]

    def van(self, by: str, capacity_kg: int, at: str) -> str:
        spec = self.spec("van", resourceClassifiedAs=["reflow:vehicle"])
        return self.stock(
            by,
            spec,
            1,
            at,
            "om2:one",
            ["reflow:vehicle", f"reflow:vehicle-capacity-kg:{capacity_kg}"],
        )


def textile_recipe(s: Scene) -> dict[str, str]:
    """Specs and the recipe: collect → sort → shred → press; returns the ids by name."""
    ids = {
        "panel": s.spec("insulation panel", defaultUnitOfResource="om2:one"),
        "fibre": s.spec("textile fibre"),
        "sorted": s.spec("sorted textile"),
        "garments": s.spec("used garments"),
        "sorting": s.spec("sorting (skill)"),
        "pressing": s.spec("pressing (skill)"),
        "collecting": s.create(s.coord, "ProcessSpecification", name="collecting"),
    }
    body = {
        "recipe": {"name": "insulation panels from used garments", "primaryOutput": ids["panel"]},
        "processes": [
            {
                "key": "collect",
                "name": "collect used garments",
                "hasDuration": days(1),
                "processConformsTo": ids["collecting"],
            },
            {"key": "sort", "name": "sort", "hasDuration": days(2)},
            {"key": "shred", "name": "shred into fibre", "hasDuration": days(1)},
            {"key": "press", "name": "press panels", "hasDuration": days(1)},
        ],
        "flows": [
            {
                "action": "pickup",
                "recipeInputOf": "collect",
                "resourceConformsTo": ids["garments"],
                "resourceQuantity": qty(1),
            },
            {
                "action": "dropoff",
                "recipeOutputOf": "collect",
                "resourceConformsTo": ids["garments"],
                "resourceQuantity": qty(1),
            },
            {
                "action": "consume",
                "recipeInputOf": "sort",
                "resourceConformsTo": ids["garments"],
                "stage": ids["collecting"],
                "resourceQuantity": qty(1),
            },
            {
                "action": "work",
                "recipeInputOf": "sort",
                "resourceConformsTo": ids["sorting"],
                "effortQuantity": hours("0.1"),
            },
            {
                "action": "produce",
                "recipeOutputOf": "sort",
                "resourceConformsTo": ids["sorted"],
                "resourceQuantity": qty(1),
            },
            {
                "action": "consume",
                "recipeInputOf": "shred",
                "resourceConformsTo": ids["sorted"],
                "resourceQuantity": qty(5),
            },
            {
                "action": "produce",
                "recipeOutputOf": "shred",
                "resourceConformsTo": ids["fibre"],
                "resourceQuantity": qty(4),
            },
            {
                "action": "consume",
                "recipeInputOf": "press",
                "resourceConformsTo": ids["fibre"],
                "resourceQuantity": qty(4),
            },
            {
                "action": "work",
                "recipeInputOf": "press",
                "resourceConformsTo": ids["pressing"],
                "effortQuantity": hours("0.4"),
            },
            {
                "action": "produce",
                "recipeOutputOf": "press",
                "resourceConformsTo": ids["panel"],
                "resourceQuantity": qty(1, "om2:one"),
            },
        ],
    }
    ids["recipe"] = s.node.submit(s.keys[s.coord], "recipe.define", body).created["Recipe"]
    return ids


def textile(node: Node) -> tuple[Scene, dict[str, str]]:
    """The whole scenario: 80 kg fibre in a warehouse, 100 kg garments in two bins, two sorters
    (10 h and 8 h), one press operator (30 h), one van of 300 kg."""
    s = Scene(node)
    ids = textile_recipe(s)
    store_ = s.agent("Fibre store", "Organization")
    ids["fibre_stock"] = s.stock(
        store_, ids["fibre"], 80, s.place(store_, "depot", "52.3900", "4.9000")
    )
    bins = s.agent("Charity shop", "Organization")
    ids["bin_a"] = s.stock(bins, ids["garments"], 60, s.place(bins, "bin A", "52.3600", "4.8800"))
    ids["bin_b"] = s.stock(bins, ids["garments"], 40, s.place(bins, "bin B", "52.3500", "4.9200"))
    window = (NOW, NOW + timedelta(days=14))
    for name, h, lat in (("Sara", 10, "52.3710"), ("Omar", 8, "52.3800")):
        a = s.agent(name)
        ids[f"sorter_{name}"] = a
        ids[f"offer_{name}"] = s.offer_work(
            a, ids["sorting"], h, s.place(a, name, lat, "4.9"), *window
        )
    p = s.agent("Pia")
    ids["presser"] = p
    ids["offer_Pia"] = s.offer_work(
        p, ids["pressing"], 30, s.place(p, "Pia", "52.3650", "4.9"), *window
    )
    d = s.agent("Dan")
    ids["driver"] = d
    ids["van"] = s.van(d, 300, s.place(d, "garage", "52.3700", "4.9100"))
    return s, ids


def sqlite_node_at(tmp_path: Path) -> Iterator[Node]:
    """A node on SQLite only, for refusals that do not depend on the backend."""
    url = f"sqlite:///{tmp_path / 'plan.sqlite'}"
    n = Node.init(Settings.from_env({}, data_dir=tmp_path / "node", database_url=url),
                  network_name="test")  # fmt: skip
    yield n
    n.close()
