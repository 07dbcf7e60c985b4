"""The assignment model on its own: hours within offers and windows, nobody in two places at
once — at work or at the wheel —, loads within capacity, the nearest chosen, the same answer for
the same inputs, and a usable answer even when the solver gets no time at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    got = {a.offer.intent: a.hours for a in res.work["n1"]}
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
    assigned = sum(a.hours for got in res.work.values() for a in got)
    assert assigned == 60  # every hour needed is covered: 60 h needed, 80 h offered
    assert sum(1 for v in res.carried.values() if v is not None) == 6  # 6 × 50 kg = 300 kg
    assert res.status in ("OPTIMAL", "FEASIBLE", "FEASIBLE (greedy)")


def _window_need(i: int, hours: str, begins: datetime, span_h: int, skill: str = "sorting"):
    return WorkNeed(
        f"n{i}", f"p{i}", skill, set(), Decimal(hours), begins, begins + timedelta(hours=span_h),
        HUB,
    )  # fmt: skip


def _blocks(res, agent: str) -> list[tuple[datetime, datetime]]:
    return sorted(
        (a.begins, a.ends) for got in res.work.values() for a in got if a.offer.agent == agent
    )


def _disjoint(blocks: list[tuple[datetime, datetime]]) -> bool:
    return all(a[1] <= b[0] for a, b in pairwise(blocks))


def test_one_person_is_not_booked_twice_at_the_same_time() -> None:
    """Two processes run in the same 8 hours and each needs 6 hours: the one sorter, with 40
    hours offered, can give 8 hours in all (not 12); the other 4 are short."""
    needs = [_window_need(1, "6", T0, 8), _window_need(2, "6", T0, 8)]
    res = solve(needs, [_offer("sara", "40", 52.371)], [], [])
    blocks = _blocks(res, "agent-sara")
    assert sum((e - b for b, e in blocks), timedelta()) == timedelta(hours=8)
    assert _disjoint(blocks)
    assert all(b >= T0 and e <= T0 + timedelta(hours=8) for b, e in blocks)
    assert sum(res.short.values()) == 4
    assert res.status == "OPTIMAL"


def test_a_persons_offers_of_two_skills_share_one_time() -> None:
    """One person offers sorting and pressing; a sorting and a pressing process run at once."""
    needs = [_window_need(1, "5", T0, 6), _window_need(2, "5", T0, 6, skill="pressing")]
    offers = [
        Offer("o-sort", "pia", "sorting", set(), Decimal(20), T0, None, 52.37, 4.9),
        Offer("o-press", "pia", "pressing", set(), Decimal(20), T0, None, 52.37, 4.9),
    ]
    res = solve(needs, offers, [], [])
    blocks = _blocks(res, "pia")
    assert _disjoint(blocks) and sum((e - b for b, e in blocks), timedelta()) == timedelta(hours=6)
    assert sum(res.short.values()) == 4


def test_a_persons_existing_commitments_are_kept_free() -> None:
    """The sorter is booked from 10:00 to 14:00 by another plan: a 6-hour need in 08:00–16:00
    gets the 4 free hours, in two stretches around the booking; 2 are short."""
    need = _window_need(1, "6", T0, 8)
    busy = {"agent-sara": [(T0 + timedelta(hours=2), T0 + timedelta(hours=6))]}
    res = solve([need], [_offer("sara", "40", 52.371)], [], [], busy=busy)
    assert [(a.begins, a.ends) for a in res.work["n1"]] == [
        (T0, T0 + timedelta(hours=2)),
        (T0 + timedelta(hours=6), T0 + timedelta(hours=8)),
    ]
    assert res.short == {"n1": Decimal(2)}


def test_work_is_laid_out_by_deadline_and_never_overlaps() -> None:
    """Three processes with nested windows for one person with 24 hours: the urgent one first,
    the others around it, every stretch inside its own window, all 14 hours placed."""
    needs = [
        _window_need(1, "6", T0, 12),
        _window_need(2, "4", T0 + timedelta(hours=2), 4),
        _window_need(3, "4", T0 + timedelta(hours=1), 14),
    ]
    res = solve(needs, [_offer("sara", "24", 52.371)], [], [])
    blocks = _blocks(res, "agent-sara")
    assert _disjoint(blocks) and not res.short
    assert sum((e - b for b, e in blocks), timedelta()) == timedelta(hours=14)
    for n in needs:
        assert all(n.begins <= a.begins and a.ends <= n.ends for a in res.work[n.id])
    [urgent] = res.work["n2"]
    assert (urgent.begins, urgent.ends) == (T0 + timedelta(hours=2), T0 + timedelta(hours=6))


def test_the_same_inputs_give_the_same_assignment() -> None:
    """A fixed seed and a deterministic budget: twice the same answer, even a starved one."""
    needs = [_window_need(i, "3", T0 + timedelta(hours=i % 5), 6) for i in range(40)]
    offers = [_offer(f"o{i}", "16", 52.30 + i / 997) for i in range(15)]
    loads = [_load(i, 40 + i, 52.3 + i / 100) for i in range(12)]
    vans = [Vehicle(f"van{i}", f"d{i}", Decimal(300), 52.37 + i / 50, 4.91) for i in range(3)]

    def run() -> tuple:
        res = solve(needs, offers, loads, vans, seconds=0.05)
        work = sorted(
            (n, a.offer.intent, a.hours, a.begins, a.ends)
            for n, got in res.work.items()
            for a in got
        )
        carried = sorted((k, v[0].id if v else None) for k, v in res.carried.items())
        return res.status, res.objective, work, carried, sorted(res.short.items())

    assert run() == run()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 24), st.integers(1, 12)),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 6)), max_size=3),
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 6)), max_size=3),
)
def test_whatever_the_windows_and_bookings_nobody_is_in_two_places(
    raw_needs: list[tuple[int, int, int]],
    raw_busy: list[tuple[int, int]],
    raw_trips: list[tuple[int, int]],
) -> None:
    """Needs (start hour, window hours, hours), three sorters (one of them with two offers,
    bookings, and a van to drive for loads in their own windows): every stretch lies in its
    need's window, every trip in its load's, no two stretches or trips of one person overlap nor
    meet a booking, and the hours placed plus the hours short are the need."""
    offers = [
        Offer(f"o{i}", f"p{i}", "sorting", set(), Decimal(30), T0, None, 52.37 + i / 100, 4.9)
        for i in range(3)
    ] + [Offer("o3", "p0", "sorting", set(), Decimal(10), T0, None, 52.37, 4.9)]
    needs = [
        _window_need(i, str(hours), T0 + timedelta(hours=start), span, skill="sorting")
        for i, (start, span, hours) in enumerate(raw_needs)
    ]
    booked = [(T0 + timedelta(hours=b), T0 + timedelta(hours=b + d)) for b, d in raw_busy]
    loads = [
        _timed_load(i, 10, 52.36, T0 + timedelta(hours=start), span)
        for i, (start, span) in enumerate(raw_trips)
    ]
    van = Vehicle("van", "p0", Decimal(300), 52.37, 4.91)
    res = solve(needs, offers, loads, [van], busy={"p0": booked}, seconds=1.0)
    for person in ("p0", "p1", "p2"):
        assert _disjoint(_blocks(res, person))
    p0 = sorted(_blocks(res, "p0") + _trips(res, "p0"))
    assert _disjoint(p0)
    assert all(e <= b2 or e2 <= b for b, e in p0 for b2, e2 in booked)
    for n in needs:
        got = res.work.get(n.id, [])
        assert all(n.begins <= a.begins < a.ends <= n.ends for a in got)
        assert sum(a.hours for a in got) + res.short.get(n.id, Decimal(0)) == n.hours
    for ld in loads:
        assert ld.window is not None
        assert all(ld.window[0] <= b < e <= ld.window[1] for b, e in res.driving[ld.id])
        assert (res.carried[ld.id] is None) == (res.driving[ld.id] == [])


def _timed_load(i: int, kg: int, lat: float, begins: datetime, span_h: int) -> Load:
    load = _load(i, kg, lat)
    load.window = (begins, begins + timedelta(hours=span_h))
    return load


def _trips(res, driver: str) -> list[tuple[datetime, datetime]]:
    return sorted(
        t
        for load, carried in res.carried.items()
        if carried is not None and carried[0].custodian == driver
        for t in res.driving[load]
    )


def _hours(blocks: list[tuple[datetime, datetime]]) -> Decimal:
    return sum((Decimal((e - b) / timedelta(minutes=6)) / 10 for b, e in blocks), Decimal(0))


def test_a_driver_is_not_on_two_trips_at_once() -> None:
    """Two loads travel in the same two hours, each a trip of more than an hour. Dan's van is
    nearest and has room for both, but Dan cannot drive both: one goes to Eva's van."""
    loads = [_timed_load(1, 50, 52.36, T0, 2), _timed_load(2, 50, 52.36, T0, 2)]
    vans = [
        Vehicle("van-dan", "dan", Decimal(300), 52.37, 4.91),
        Vehicle("van-eva", "eva", Decimal(300), 52.45, 4.91),
    ]
    res = solve([], [], loads, vans)
    assert sorted(c[0].id for c in res.carried.values() if c) == ["van-dan", "van-eva"]
    for driver in ("dan", "eva"):
        [(b, e)] = _trips(res, driver)
        assert T0 <= b < e <= T0 + timedelta(hours=2)


def test_a_driver_works_and_drives_in_one_time() -> None:
    """Dan offers 7 hours of sorting in the 8 hours a load must also travel in his van: he drives
    (a load left behind weighs more than an hour of sorting) and sorts the rest of the time, never
    both at once; what he cannot sort is short."""
    dan = Offer("o-dan", "dan", "sorting", set(), Decimal(40), T0, None, 52.37, 4.9)
    need = _window_need(1, "7", T0, 8)
    load = _timed_load(1, 50, 52.36, T0, 8)
    res = solve([need], [dan], [load], [Vehicle("van", "dan", Decimal(300), 52.37, 4.91)])
    assert res.carried["l1"] is not None
    trips, work = _trips(res, "dan"), _blocks(res, "dan")
    assert _disjoint(sorted(trips + work))
    assert _hours(trips) + _hours(work) == 8
    assert res.short["n1"] == 7 - _hours(work) > 0


def test_a_drivers_bookings_and_offered_hours_are_kept_free() -> None:
    """Dan is booked by another plan from 08:00 to 10:00 and offers his time only from 08:00 to
    16:00: a load to carry between 08:00 and 10:00 finds no driver, one between 14:00 and 17:00
    is driven inside his hours (before 16:00), and one after 17:00 not at all."""
    van = Vehicle("van", "dan", Decimal(300), 52.37, 4.91)
    busy = {"dan": [(T0, T0 + timedelta(hours=2))]}
    hours = {"dan": [(T0, T0 + timedelta(hours=8))]}
    loads = [
        _timed_load(1, 20, 52.372, T0, 2),
        _timed_load(2, 20, 52.372, T0 + timedelta(hours=6), 3),
        _timed_load(3, 20, 52.372, T0 + timedelta(hours=9), 3),
    ]
    res = solve([], [], loads, [van], busy=busy, available=hours)
    assert (res.carried["l1"], res.carried["l3"]) == (None, None)
    assert res.carried["l2"] is not None
    [(b, e)] = res.driving["l2"]
    assert T0 + timedelta(hours=6) <= b < e <= T0 + timedelta(hours=8)
    free = {c["vehicle"]: c["driverFree"] for c in res.candidates["l1"]}
    assert free == {"van": False}
