"""Participation per district: active and new agents, roles, and how claimed value spreads.

In the test city (``report_world``) the events placed in A involve the collector, the sorter,
the shop, Anna, the repair café and Ben (6 agents); those in B the collector and the sorter (2);
Ben's buttons have no place (1). From 5 March on, A sees the sorter, the shop, Anna, the café and
Ben, of whom all but the sorter (first seen 2 March) are new.

Claims triggered by the panel sale (placed in A): Anna 10, café 30, shop 60 EUR.
Gini = 2·(1·10 + 2·30 + 3·60)/(3·100) − 4/3 = 1/3; top 10 % = the top receiver = 60 %.
"""

from __future__ import annotations

import pytest
from report_world import (
    City,
    build,
    city_fixture,  # noqa: F401  (the module-scoped fixture)
)
from support import World, qty

from reflow.report.participation import gini, participation, top_share
from reflow.report.scope import Scope


def _by_district(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["district"]: r for r in rows}


def test_active_agents_per_district(city: City) -> None:
    rows = _by_district(participation(city.engine, Scope.make()))
    assert {d: r["active_agents"] for d, r in rows.items()} == {"A": 6, "B": 2, None: 1}


def test_new_agents_are_first_seen_in_the_period(city: City) -> None:
    rows = _by_district(participation(city.engine, Scope.make(start="2026-03-05")))
    assert rows["A"]["active_agents"] == 5
    assert rows["A"]["new_agents"] == 4


def test_agents_per_role(city: City) -> None:
    roles = _by_district(participation(city.engine, Scope.make(district="B")))["B"]
    assert roles["agents_per_role"] == {
        "provider:consume": 1, "provider:produce": 1, "provider:transfer": 1,
        "receiver:consume": 1, "receiver:produce": 1, "receiver:transfer": 1,
    }  # fmt: skip


def test_value_spread_is_zero_without_claims(city: City) -> None:
    value = _by_district(participation(city.engine, Scope.make()))["A"]["value"]
    assert value == [{"unit": None, "receivers": 0, "total": 0, "top10_share": 0.0, "gini": 0.0}]


def test_value_spread_from_claims(world: World) -> None:
    city = build(world)
    w, ids = city.world, city.ids
    for who, amount in (("anna", 10), ("cafe", 30), ("shop", 60)):
        w.create(
            ids["shop"], "Claim", action="transfer", provider=ids["shop"], receiver=ids[who],
            resourceQuantity=qty(amount, "iso4217:EUR"), triggeredBy=ids["sell_panels"],
        )  # fmt: skip
    rows = _by_district(participation(city.engine, Scope.make()))
    (eur,) = rows["A"]["value"]
    assert eur == {
        "unit": "iso4217:EUR", "receivers": 3, "total": 100.0, "top10_share": 0.6,
        "gini": pytest.approx(1 / 3, abs=1e-6),
    }  # fmt: skip
    assert rows["B"]["value"][0]["gini"] == 0.0


@pytest.mark.parametrize(
    ("values", "g", "top"),
    [([], 0.0, 0.0), ([5, 5, 5, 5], 0.0, 0.25), ([0, 0, 0, 10], 0.0, 1.0), ([1, 3], 0.25, 0.75)],
)
def test_gini_and_top_share(values: list[float], g: float, top: float) -> None:
    assert gini(values) == pytest.approx(g)
    assert top_share(values) == pytest.approx(top)
