"""The two-district territory of the report tests, built from real signed records.

District A (west) and B (east) share the meridian 4.90 as border::

    A: long 4.80–4.90, lat 52.30–52.40        B: long 4.90–5.00, lat 52.30–52.40

Story (all in March 2026): a collector raises 100 kg of collected cotton in A and sells it to a
sorter in B (6.8 km east); the sorter shreds it into 80 kg of felt panels and 20 kg of scraps
(waste), recycles 5 kg of scraps into 5 kg of cushion filling, and sells the panels back to a
shop in A. A citizen raises 3 shirts (0.2 kg each) in A, has them repaired at a repair café
standing exactly on the border (so in A), wears them and gives one away (reuse). Boundary
cases: 2 kg of buttons raised with no place at all, and 5 bags (a unit with no mass) raised in A.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from support import NETWORK, World, qty

from reflow.ledger.ledger import Ledger
from reflow.report.territory import for_record
from reflow.store.sqlstore import SqlStore

TEXTILE = "https://reflowos.eu/ns/material#textile"
PLASTIC = "https://reflowos.eu/ns/material#plastic"
WASTE = "https://reflowos.eu/ns/material#waste"
MARCH = "2026-03-{:02d}T10:00:00Z"


def square(did: str, name: str, west: str, east: str) -> dict[str, object]:
    ring = [[west, "52.30"], [east, "52.30"], [east, "52.40"], [west, "52.40"], [west, "52.30"]]
    return {
        "type": "Feature",
        "id": did,
        "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


DISTRICTS = {
    "type": "FeatureCollection",
    "features": [square("A", "West", "4.80", "4.90"), square("B", "East", "4.90", "5.00")],
}


@dataclass
class City:
    world: World
    ids: dict[str, str] = field(default_factory=dict)  # name -> event/object id

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.world.ledger.store.engine


def load_territory(world: World, by: str) -> None:
    world.submit(
        world.keys[by], "territory.define", {"name": "Testcity", "districts": for_record(DISTRICTS)}
    )


def build(world: World, *, territory: bool = True) -> City:
    w, city = world, City(world)
    ids = city.ids
    collector = w.agent("Collector", "Organization")
    sorter = w.agent("Sorter", "Organization")
    shop = w.agent("Shop", "Organization")
    cafe = w.agent("Repair cafe", "Organization")
    anna, ben = w.agent("Anna"), w.agent("Ben")
    ids.update(collector=collector, sorter=sorter, shop=shop, cafe=cafe, anna=anna, ben=ben)
    if territory:
        load_territory(w, collector)
    in_a = w.place(collector, "depot A", lat="52.35", long="4.85")
    in_b = w.place(sorter, "plant B", lat="52.35", long="4.95")
    border = w.place(cafe, "cafe on the border", lat="52.35", long="4.90")
    cotton = w.spec(collector, "collected cotton", resourceClassifiedAs=[TEXTILE])
    panel = w.spec(sorter, "felt panel", resourceClassifiedAs=[TEXTILE])
    scraps = w.spec(sorter, "scraps", resourceClassifiedAs=[TEXTILE, WASTE])
    filling = w.spec(sorter, "cushion filling", resourceClassifiedAs=[TEXTILE])
    shirt = w.spec(
        anna, "shirt", resourceClassifiedAs=[TEXTILE], defaultUnitOfResource="om2:one",
        massPerUnit=qty("0.2"),
    )  # fmt: skip
    bag = w.spec(ben, "bag", resourceClassifiedAs=[PLASTIC], defaultUnitOfResource="om2:one")
    buttons = w.spec(ben, "buttons", resourceClassifiedAs=[PLASTIC])
    ids.update({"spec.panel": panel, "spec.filling": filling, "spec.shirt": shirt})
    ids["spec.scraps"] = scraps

    def ev(by: str, name: str, day: int, new: dict[str, object] | None = None, **kw: object):
        out = w.event(by, new, hasPointInTime=MARCH.format(day), **kw)
        ids[name] = out["EconomicEvent"]
        for role in ("EconomicResource", "toEconomicResource"):
            if role in out:
                ids[f"{name}.{role}"] = out[role]
        return out

    # cotton: raised in A, sold to B
    ev(
        collector,
        "collect",
        1,
        {"name": "bale"},
        action="raise",
        provider=collector,
        receiver=collector,
        resourceConformsTo=cotton,
        resourceQuantity=qty(100),
        toLocation=in_a,
    )
    ev(
        collector,
        "sell_cotton",
        2,
        action="transfer",
        provider=collector,
        receiver=sorter,
        resourceInventoriedAs=ids["collect.EconomicResource"],
        resourceQuantity=qty(100),
        toLocation=in_b,
    )
    # shredding in B: 100 kg in, 80 kg panels + 20 kg scraps out
    shred = w.process(sorter, "shred", atLocation=in_b)
    ev(
        sorter,
        "shred_in",
        3,
        action="consume",
        provider=sorter,
        receiver=sorter,
        inputOf=shred,
        resourceInventoriedAs=ids["sell_cotton.toEconomicResource"],
        resourceQuantity=qty(100),
    )
    ev(
        sorter,
        "panels",
        3,
        {"name": "panels"},
        action="produce",
        provider=sorter,
        receiver=sorter,
        outputOf=shred,
        resourceConformsTo=panel,
        resourceQuantity=qty(80),
    )
    ev(
        sorter,
        "scraps",
        3,
        {"name": "scraps"},
        action="produce",
        provider=sorter,
        receiver=sorter,
        outputOf=shred,
        resourceConformsTo=scraps,
        resourceQuantity=qty(20000, "om2:gram"),
    )
    # recycling 5 kg of scraps into cushion filling, in B
    stuff = w.process(sorter, "stuffing", atLocation=in_b)
    ev(
        sorter,
        "recycle",
        4,
        action="consume",
        provider=sorter,
        receiver=sorter,
        inputOf=stuff,
        resourceInventoriedAs=ids["scraps.EconomicResource"],
        resourceQuantity=qty(5),
    )
    ev(
        sorter,
        "filling",
        4,
        {"name": "filling"},
        action="produce",
        provider=sorter,
        receiver=sorter,
        outputOf=stuff,
        resourceConformsTo=filling,
        resourceQuantity=qty(5),
    )
    # panels sold back to A
    ev(
        sorter,
        "sell_panels",
        5,
        action="transfer",
        provider=sorter,
        receiver=shop,
        resourceInventoriedAs=ids["panels.EconomicResource"],
        resourceQuantity=qty(80),
        toLocation=in_a,
    )
    # shirts: raised, repaired on the border (A), worn, one given away (reuse)
    ev(
        anna,
        "shirts",
        6,
        {"name": "shirts"},
        action="raise",
        provider=anna,
        receiver=anna,
        resourceConformsTo=shirt,
        resourceQuantity=qty(3, "om2:one"),
        toLocation=in_a,
    )
    shirts = ids["shirts.EconomicResource"]
    repair = w.process(cafe, "repair", atLocation=border)
    ev(
        anna,
        "accept",
        7,
        action="accept",
        provider=anna,
        receiver=cafe,
        inputOf=repair,
        resourceInventoriedAs=shirts,
        resourceQuantity=qty(3, "om2:one"),
    )
    ev(
        cafe,
        "modify",
        8,
        action="modify",
        provider=cafe,
        receiver=anna,
        outputOf=repair,
        resourceInventoriedAs=shirts,
        resourceQuantity=qty(3, "om2:one"),
    )
    wear = w.process(anna, "wearing", atLocation=in_a)
    ev(
        anna,
        "wear",
        9,
        action="use",
        provider=anna,
        receiver=anna,
        inputOf=wear,
        resourceInventoriedAs=shirts,
        effortQuantity=qty(30, "om2:hour"),
    )
    ev(
        anna,
        "give_shirt",
        10,
        action="transfer",
        provider=anna,
        receiver=ben,
        resourceInventoriedAs=shirts,
        resourceQuantity=qty(1, "om2:one"),
    )
    # boundary cases: no place at all; a unit with no mass
    ev(
        ben,
        "buttons",
        11,
        {"name": "buttons"},
        action="raise",
        provider=ben,
        receiver=ben,
        resourceConformsTo=buttons,
        resourceQuantity=qty(2),
    )
    ev(
        ben,
        "bags",
        12,
        {"name": "bags"},
        action="raise",
        provider=ben,
        receiver=ben,
        resourceConformsTo=bag,
        resourceQuantity=qty(5, "om2:one"),
        toLocation=in_a,
    )
    return city


@pytest.fixture(
    name="city",
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def city_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[City]:
    """The city built once per test module and backend, for tests that only read it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('city') / 'city.sqlite'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    store = SqlStore.open(url)
    yield build(World(Ledger(store, NETWORK)))
    store.close()
