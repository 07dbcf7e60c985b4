"""Material flow accounts of the two-district test city, checked to the gram on both backends.

The story is in ``report_world``. Hand-computed figures (kg; A = west, B = east, textile):

==============  ======  =====  ====================================================
flow            A       B      why
==============  ======  =====  ====================================================
inflow          180.6   100    A: raise 100 cotton + 80 panels from B + 3 shirts × 0.2;
                               B: 100 cotton from A
outflow         100     80     A: cotton to B; B: panels to A
production      0       105    B: 80 panels + 20 kg (20 000 g) scraps + 5 filling
consumption     0       105    B: 100 cotton shredded + 5 scraps recycled
stock change    80.6    20     inflow + production − outflow − consumption
waste           0       20     the scraps
reuse           0.2     0      one worn shirt given away
repair          0.6     0      3 shirts accepted and modified at the café on the border
recycling       0       5      scraps consumed by the stuffing process
reuse rate      0.2/80.2  0    reuse / handed over (80 panels + 0.2 shirt into A)
repair rate     1       –      repair / accepted
recycling rate  –       0.25   5 / 20
local sourcing  –       1      all inputs were raised/produced inside the territory
km per kg       (80·d + 0.2·0)/80.2   d    d = 6.792199 km between the two places
==============  ======  =====  ====================================================
"""

from __future__ import annotations

from typing import Any

import pytest
from report_world import (
    PLASTIC,
    TEXTILE,
    City,
    city_fixture,  # noqa: F401  (the module-scoped fixture)
)

from reflow.errors import RuleViolation
from reflow.report.flows import explain_flow, flow_accounts
from reflow.report.scope import Scope

D = 6.792199  # haversine(52.35 N 4.85 E, 52.35 N 4.95 E) in km

EXPECTED = {
    ("A", TEXTILE): {
        "inflow_kg": 180.6, "outflow_kg": 100, "production_kg": 0, "consumption_kg": 0,
        "stock_change_kg": 80.6, "waste_kg": 0, "reuse_kg": 0.2, "repair_kg": 0.6,
        "recycling_kg": 0, "reuse_rate": 0.2 / 80.2, "repair_rate": 1.0, "recycling_rate": None,
        "local_sourcing_share": None, "distance_per_kg_km": 80 * D / 80.2,
    },
    ("B", TEXTILE): {
        "inflow_kg": 100, "outflow_kg": 80, "production_kg": 105, "consumption_kg": 105,
        "stock_change_kg": 20, "waste_kg": 20, "reuse_kg": 0, "repair_kg": 0,
        "recycling_kg": 5, "reuse_rate": 0.0, "repair_rate": None, "recycling_rate": 0.25,
        "local_sourcing_share": 1.0, "distance_per_kg_km": D,
    },
}  # fmt: skip


def _rows(city: City, **scope: Any) -> dict[Any, Any]:
    return {
        (r["district"], r["material"]): r for r in flow_accounts(city.engine, Scope.make(**scope))
    }


def test_every_flow_figure_matches_the_hand_computed_table(city: City) -> None:
    rows = _rows(city)
    for key, expected in EXPECTED.items():
        for name, value in expected.items():
            got = rows[key][name]
            if value is None:
                assert got is None, (key, name)
            else:
                assert got == pytest.approx(value, abs=1e-3 if name.endswith("_kg") else 1e-6), (
                    key,
                    name,
                )


def test_an_event_with_no_place_is_reported_under_no_district(city: City) -> None:
    rows = _rows(city)
    assert rows[(None, PLASTIC)]["inflow_kg"] == 2.0  # the buttons, raised nowhere


def test_a_unit_with_no_mass_is_reported_unconverted_not_dropped(city: City) -> None:
    row = _rows(city)[("A", PLASTIC)]
    assert row["inflow_kg"] == 0
    assert row["unconverted"] == [{"flow": "inflow", "unit": "om2:one", "events": 1}]


def test_an_event_exactly_on_the_border_falls_in_the_district_with_the_smaller_id(
    city: City,
) -> None:
    # the repair café stands on long 4.90, the border of A and B
    assert explain_flow(city.engine, "repair", "A", Scope.make()) == [city.ids["modify"]]
    assert explain_flow(city.engine, "repair", "B", Scope.make()) == []


def test_explain_lists_the_events_behind_a_figure(city: City) -> None:
    ids = city.ids
    got = explain_flow(city.engine, "inflow", "A", Scope.make(material=TEXTILE))
    assert got == sorted([ids["collect"], ids["sell_panels"], ids["shirts"]])
    rate = explain_flow(city.engine, "recycling_rate", "B", Scope.make())
    assert rate == sorted([ids["recycle"], ids["scraps"]])
    stock = explain_flow(city.engine, "stock_change", "B", Scope.make(material=TEXTILE))
    assert ids["sell_panels"] in stock and ids["shred_in"] in stock and ids["panels"] in stock


def test_the_period_window_and_monthly_grouping(city: City) -> None:
    early = _rows(city, start="2026-03-01", end="2026-03-01")  # to: inclusive day
    assert early[("A", TEXTILE)]["inflow_kg"] == 100  # only the collection (1 March)
    assert ("B", TEXTILE) not in early
    monthly = flow_accounts(city.engine, Scope.make(district="B", period="month"))
    assert [(r["district"], r["period"]) for r in monthly] == [("B", "2026-03")]
    assert _rows(city, start="2026-04-01") == {}


def test_unknown_indicator_and_period_are_refused(city: City) -> None:
    with pytest.raises(RuleViolation) as err:
        explain_flow(city.engine, "happiness", "A", Scope.make())
    assert err.value.field == "indicator"
    with pytest.raises(RuleViolation):
        Scope.make(period="fortnight")
