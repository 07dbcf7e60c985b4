"""The assignment model on its own: hours within offers and windows, loads within capacity,
the nearest chosen, and a usable answer even when the solver gets no time at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from reflow.plan.assign import Item, Load, WorkNeed, solve
from reflow.plan.data import Offer, Vehicle

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
HUB = (52.37, 4.90)


def _need(i: int, hours: str, skill: str = "sorting") -> WorkNeed:
    return WorkNeed(f"n{i}", f"p{i}", skill, set(), Decimal(hours), T0, T0 + timedelta(days=1), HUB)


def _offer(i: str, hours: str, lat: float, begins: datetime = T0, skill: str = "sorting") -> Offer:
    return Offer(
        i, f"agent-{i}", skill, set(), Decimal(hours), begins, T0 + timedelta(days=9), lat, 4.90
    )


def _load(i: int, kg: int, lat: float) -> Load:
    item = Item("garments", f"r{i}", "shop", Decimal(kg), "om2:kilogram", Decimal(kg))
    return Load(f"l{i}", f"leg:{i}", None, [item], (lat, 4.90), HUB)


def test_work_goes_to_the_nearest_within_their_hours() -> None:
    res = solve([_need(1, "6")], [_offer("far", "40", 52.50), _offer("near", "4", 52.371)], [], [])
    got = {o.intent: h for o, h, _km, _late in res.work["n1"]}
    assert got == {"near": Decimal(4), "far": Decimal(2)}
    assert res.status == "OPTIMAL" and not res.short


def test_an_offer_outside_the_window_or_of_another_skill_is_not_used() -> None:
    late = _offer("late", "40", 52.37, begins=T0 + timedelta(days=2))
    other = _offer("welder", "40", 52.37, skill="welding")
    res = solve([_need(1, "3")], [late, other], [], [])
    assert res.work["n1"] == [] and res.short == {"n1": Decimal(3)}


def test_loads_fit_the_vehicles_capacity_and_the_rest_is_dropped() -> None:
    vans = [Vehicle("van", "dan", Decimal(300), 52.37, 4.91)]
    res = solve([], [], [_load(1, 200, 52.36), _load(2, 150, 52.35)], vans)
    carried = {k for k, v in res.carried.items() if v is not None}
    assert len(carried) == 1  # 350 kg do not fit in 300
    assert res.carried["l1"] is not None  # the heavier one: fewer kilograms left behind


@pytest.mark.parametrize("seconds", [0.0001, 2.0])
def test_even_without_time_the_answer_is_at_least_the_greedy_one(seconds: float) -> None:
    needs = [_need(i, "2") for i in range(30)]
    offers = [_offer(f"o{i}", "8", 52.30 + i / 1000) for i in range(10)]
    res = solve(
        needs,
        offers,
        [_load(i, 50, 52.3 + i / 100) for i in range(10)],
        [Vehicle("van", "dan", Decimal(300), 52.37, 4.91)],
        seconds=seconds,
    )
    assigned = sum(h for got in res.work.values() for _o, h, _k, _l in got)
    assert assigned == 60  # every hour needed is covered: 60 h needed, 80 h offered
    assert sum(1 for v in res.carried.values() if v is not None) == 6  # 6 × 50 kg = 300 kg
    assert res.status in ("OPTIMAL", "FEASIBLE", "FEASIBLE (greedy)")
