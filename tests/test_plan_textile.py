"""Planning the textile scenario: 50 insulation panels due in 10 days, from used garments.

The recipe: collect used garments → sort → shred into fibre → press panels. Inventory covers
part of the fibre and part of the garments; two sorters and one press operator offer hours; one
van carries 300 kg. The plan must net inventory at every level, schedule backwards from the due
date, assign work and loads, explain its choices, and ask the market for what is missing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from plan_scene import NOW, Scene, qty, textile
from sqlalchemy import select

from reflow.market.tables import intents
from reflow.node import Node
from reflow.plan import service
from reflow.plan.holds import parse_time


@pytest.fixture
def planned(node: Node) -> tuple[Scene, dict[str, str], dict, dict]:
    s, ids = textile(node)
    out = service.plan_from_demand(
        node,
        s.keys[s.coord],
        ids["panel"],
        qty(50, "om2:one"),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
    )
    return s, ids, out, service.show(node.store, out["plan"])


def _netting(out: dict, spec: str, stage: str | None = None) -> dict:
    return next(n for n in out["netting"] if n["spec"] == spec and n["stage"] == stage)


def test_netting_subtracts_inventory_at_every_level(planned) -> None:
    _s, ids, out, _show = planned
    fibre = _netting(out, ids["fibre"])
    assert (fibre["gross"], fibre["netted"], fibre["net"]) == ("200", "80", "120")
    assert _netting(out, ids["sorted"])["gross"] == "150"  # 120 kg fibre × 5/4
    collected = _netting(out, ids["garments"], ids["collecting"])
    assert (collected["net"], collected["madeBy"]) == ("150", "collect used garments")
    raw = _netting(out, ids["garments"])
    assert (raw["gross"], raw["netted"], raw["net"], raw["madeBy"]) == ("150", "100", "50", None)


def test_processes_are_scheduled_backwards_from_the_due_date(planned) -> None:
    _s, _ids, out, show = planned
    times = {p["name"]: (p["begins"][:16], p["ends"][:16]) for p in show["processes"]}
    assert times["press panels"] == ("2026-03-11T08:00", "2026-03-12T08:00")
    assert times["shred into fibre"] == ("2026-03-10T08:00", "2026-03-11T08:00")
    assert times["sort"] == ("2026-03-08T08:00", "2026-03-10T08:00")
    assert times["collect used garments"] == ("2026-03-07T08:00", "2026-03-08T08:00")
    assert out["lateByHours"] == "0"
    assert out["criticalPath"] == [
        "collect used garments",
        "sort",
        "shred into fibre",
        "press panels",
    ]


def _commitments(show: dict, role: str) -> list[dict]:
    procs = [c for p in show["processes"] for c in p["commitments"]]
    return [c for c in procs + show["loose"] if c["role"] == role]


def test_work_goes_to_who_offers_the_skill_within_their_hours(planned) -> None:
    _s, ids, out, show = planned
    assert out["solver"]["status"] == "OPTIMAL"
    work = _commitments(show, "work")
    sorting = {c["provider"]: Decimal(c["quantity"]) for c in work if c["spec"] == ids["sorting"]}
    assert sum(sorting.values()) == 15  # 150 kg × 0.1 h
    assert set(sorting) <= {ids["sorter_Sara"], ids["sorter_Omar"]}
    assert sorting.get(ids["sorter_Sara"], 0) <= 10 and sorting.get(ids["sorter_Omar"], 0) <= 8
    press = [c for c in work if c["spec"] == ids["pressing"]]
    assert [(c["provider"], c["quantity"]) for c in press] == [(ids["presser"], "20")]


def test_inputs_come_from_their_holders_and_loads_go_by_van(planned) -> None:
    _s, ids, _out, show = planned
    supplies = {c["resource"]: c["quantity"] for c in _commitments(show, "supply")}
    assert supplies == {ids["fibre_stock"]: "80", ids["bin_a"]: "60", ids["bin_b"]: "40"}
    pickups = [c for c in _commitments(show, "transport") if c["action"] == "pickup"]
    carried = {r for c in pickups for r in c["explanation"]["resources"]}
    assert carried == {ids["fibre_stock"], ids["bin_a"], ids["bin_b"]}
    assert len(pickups) == 3  # one per stop and specification
    assert {c["provider"] for c in pickups} == {ids["driver"]}
    assert sum(Decimal(c["quantity"]) for c in pickups) <= 300
    uses = _commitments(show, "use")
    assert {c["resource"] for c in uses} == {ids["van"]}


def test_every_commitment_explains_its_provider(planned) -> None:
    _s, ids, _out, show = planned
    for c in _commitments(show, "work"):
        why = c["explanation"]
        assert why["distanceKm"] is not None and "alternatives" in why
    press = next(c for c in _commitments(show, "work") if c["spec"] == ids["pressing"])
    assert press["explanation"]["hoursOffered"] == "30"
    bin_a = next(c for c in _commitments(show, "supply") if c["resource"] == ids["bin_a"])
    assert float(bin_a["explanation"]["distanceKm"]) > 0


def test_missing_garments_are_requested_on_the_market(planned) -> None:
    s, ids, out, _show = planned
    [proposal] = out["requests"]
    with s.node.store.engine.connect() as conn:
        rows = conn.execute(select(intents).where(intents.c.proposal == proposal)).all()
    assert [(r.spec, r.available, r.unit, r.receiver, r.purpose) for r in rows] == [
        (ids["garments"], "50", "om2:kilogram", s.coord, "request")
    ]


def test_a_tight_deadline_says_how_late_and_why(node: Node) -> None:
    s, ids = textile(node)
    out = service.plan_from_demand(
        node,
        s.keys[s.coord],
        ids["panel"],
        qty(50, "om2:one"),
        NOW + timedelta(days=3),
        s.hub,
        now=NOW,
        publish=False,
    )
    assert out["lateByHours"] == "48"
    assert out["criticalPath"][0] == "collect used garments"
    assert "critical path" in out["why"]
    assert out["projectedEnd"] == "2026-03-07T08:00:00Z"  # as early as possible: 2 days late
    show = service.show(node.store, out["plan"])
    first = min(p["begins"] for p in show["processes"])
    assert first[:16] == "2026-03-02T08:00"  # starting now
    assert out["solver"]["status"] == "OPTIMAL" and not out["unmet"][1:]  # only garments


def test_what_nobody_can_do_or_carry_becomes_requests(node: Node) -> None:
    s = Scene(node)
    from plan_scene import textile_recipe

    ids = textile_recipe(s)
    bins = s.agent("Charity shop", "Organization")
    s.stock(bins, ids["garments"], 250, s.place(bins, "bin", "52.3600", "4.8800"))
    d = s.agent("Dan")
    s.van(d, 100, s.place(d, "garage", "52.3700", "4.9100"))
    out = service.plan_from_demand(
        node,
        s.keys[s.coord],
        ids["panel"],
        qty(40, "om2:one"),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
    )
    assert out["solver"]["status"] == "OPTIMAL"
    unmet = {(u["what"], u.get("spec")): u for u in out["unmet"]}
    assert unmet[("work", ids["sorting"])]["quantity"] == "20"  # 200 kg × 0.1 h, nobody offers
    assert unmet[("work", ids["pressing"])]["quantity"] == "16"  # 40 panels × 0.4 h
    assert unmet[("transport", ids["garments"])]["massKg"] == "200"  # more than the van holds
    assert len(out["requests"]) == 1
    with node.store.engine.connect() as conn:
        rows = conn.execute(select(intents).where(intents.c.proposal == out["requests"][0])).all()
    assert sorted(r.action for r in rows) == ["dropoff", "work", "work"]
    assert all(json.loads(r.classes) is not None for r in rows)


def test_a_second_plan_does_not_count_what_the_first_reserved(planned) -> None:
    s, ids, _out, _show = planned
    second = service.plan_from_demand(
        s.node,
        s.keys[s.coord],
        ids["panel"],
        qty(10, "om2:one"),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
        publish=False,
    )
    assert _netting(second, ids["fibre"])["netted"] == "0"  # the 80 kg are the first plan's
    assert _netting(second, ids["garments"])["netted"] == "0"
    sorting = next(
        u for u in second["unmet"] if u["what"] == "work" and u["spec"] == ids["sorting"]
    )
    assert sorting["quantity"] == "2"  # 50 kg × 0.1 h = 5 h; 18 h offered − 15 h taken = 3 h


def test_fulfilled_supply_releases_its_reservation(planned) -> None:
    s, ids, _out, show = planned
    bin_b = next(c for c in _commitments(show, "supply") if c["resource"] == ids["bin_b"])
    event = {
        "action": "transfer",
        "provider": bin_b["provider"],
        "receiver": s.coord,
        "resourceInventoriedAs": ids["bin_b"],
        "resourceQuantity": qty(30),
        "fulfills": [bin_b["id"]],
    }
    s.node.submit(s.keys[bin_b["provider"]], "vf.event", {"event": event})
    from reflow.plan.data import load

    data = load(s.node.store, [ids["garments"]])
    assert data.reserved[ids["bin_b"]] == 10  # 40 reserved, 30 handed over


def test_inventory_at_the_stage_a_flow_asks_for_is_netted_there(node: Node) -> None:
    """30 kg of garments already collected (stage: collecting) at the hub shorten the collection;
    garments not yet collected do not count for the sorting, which asks that stage."""
    s, ids = textile(node)
    done = s.create(s.coord, "Process", name="earlier collection", basedOn=ids["collecting"])
    event = {
        "action": "produce",
        "provider": s.coord,
        "receiver": s.coord,
        "resourceConformsTo": ids["garments"],
        "resourceQuantity": qty(30),
        "outputOf": done,
        "atLocation": s.hub,
    }
    node.submit(
        s.keys[s.coord],
        "vf.event",
        {"event": event, "newInventoriedResource": {"name": "collected", "currentLocation": s.hub}},
    )
    out = service.plan_from_demand(
        node,
        s.keys[s.coord],
        ids["panel"],
        qty(50, "om2:one"),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
        publish=False,
    )
    collected = _netting(out, ids["garments"], ids["collecting"])
    assert (collected["gross"], collected["netted"], collected["net"]) == ("150", "30", "120")
    raw = _netting(out, ids["garments"])
    assert (raw["gross"], raw["netted"], raw["net"]) == ("120", "100", "20")


def test_a_van_on_another_plans_trips_is_used_around_them(planned) -> None:
    """The first plan uses the van for the collection on the morning of 7 March: a plan
    collecting a week later gets the van, and so does one collecting the same day — when the
    van and its driver are back from the first plan's trips."""
    s, ids, _out, show = planned
    shop = s.agent("Second shop", "Organization")
    s.stock(shop, ids["garments"], 60, s.place(shop, "bin C", "52.3400", "4.8800"))
    first = _commitments(show, "use")
    for days in (17, 10):
        other = service.plan_from_demand(
            s.node, s.keys[s.coord], ids["panel"], qty(5, "om2:one"),
            NOW + timedelta(days=days), s.hub, now=NOW, publish=False,
        )  # fmt: skip
        assert [u for u in other["unmet"] if u["what"] == "transport"] == []
        [trip] = _commitments(service.show(s.node.store, other["plan"]), "use")
        assert trip["resource"] == ids["van"]
        assert _disjoint(_blocks([*first, trip]))
    assert trip["begins"][:10] == "2026-03-07"


def test_a_worker_booked_by_one_plan_is_not_booked_at_the_same_time_by_another(planned) -> None:
    """The first plan books Pia for 20 of the 24 hours of its pressing day. A second plan
    pressing 15 panels the same day needs 6 hours: Pia still has 10 hours on her offer, but only
    4 hours of that day free, so she gets those 4 and 2 hours are asked of the market."""
    s, ids, _out, show = planned
    [first] = [c for c in _commitments(show, "work") if c["spec"] == ids["pressing"]]
    second = service.plan_from_demand(
        s.node,
        s.keys[s.coord],
        ids["panel"],
        qty(15, "om2:one"),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
        publish=False,
    )
    shown = service.show(s.node.store, second["plan"])
    [pia] = [c for c in _commitments(shown, "work") if c["spec"] == ids["pressing"]]
    assert (pia["provider"], pia["quantity"]) == (ids["presser"], "4")
    assert pia["ends"] <= first["begins"] or pia["begins"] >= first["ends"]
    short = next(u for u in second["unmet"] if u["what"] == "work" and u["spec"] == ids["pressing"])
    assert short["quantity"] == "2"


def _blocks(cs: list[dict]) -> list[tuple[str, str]]:
    return sorted((c["begins"], c["ends"]) for c in cs)


def _disjoint(blocks: list[tuple[str, str]]) -> bool:
    return all(a[1] <= b[0] for a, b in pairwise(blocks))


def test_the_vans_driver_is_booked_for_each_trip_and_every_transport_says_who_drives(
    planned,
) -> None:
    """Dan drives his van: each trip books a block of his time inside its process, as long as
    the trip, never two at once; the pickups and drop-offs name him and those blocks, and the
    plan's progress says who drives each process's transport."""
    s, ids, _out, show = planned
    dan = ids["driver"]
    procs = {p["id"]: p for p in show["processes"]}
    uses = _commitments(show, "use")
    assert uses and {c["provider"] for c in uses} == {dan}
    for c in uses:
        p = procs[c["process"]]
        assert p["begins"] <= c["begins"] < c["ends"] <= p["ends"]
        hours = (parse_time(c["ends"]) - parse_time(c["begins"])) / timedelta(hours=1)
        assert Decimal(c["quantity"]) == Decimal(str(round(hours, 1)))
    assert _disjoint(_blocks(uses))
    for c in _commitments(show, "transport"):
        why = c["explanation"]
        trips = [(u["begins"][:19], u["ends"][:19]) for u in uses
                 if u["explanation"]["load"] == why["load"]]  # fmt: skip
        assert why["driver"] == dan
        assert [(b[:19], e[:19]) for b, e in why["driving"]] == sorted(trips)
    state = service.progress(s.node.store, show["id"], now=NOW)
    drivers = {p["name"]: p["drivers"] for p in state["processes"]}
    assert drivers["collect used garments"] == [dan]
    assert drivers["transport to press panels"] == [dan]
    assert drivers["sort"] == []


def test_a_driver_is_not_asked_to_drive_outside_the_hours_they_offer(node: Node) -> None:
    """Dan offers sorting from 9 March on, so he drives only from then: the fibre for the
    pressing (11 March) goes in his van, but nobody can collect the garments on 7 March, and
    the market is asked for that transport."""
    s, ids = textile(node)
    dan = ids["driver"]
    s.offer_work(dan, ids["sorting"], 4, s.place(dan, "Dan", "52.3700", "4.9100"),
                 NOW + timedelta(days=7), NOW + timedelta(days=21))  # fmt: skip
    out = service.plan_from_demand(
        node, s.keys[s.coord], ids["panel"], qty(50, "om2:one"), NOW + timedelta(days=10),
        s.hub, now=NOW, publish=False,
    )  # fmt: skip
    carried = {u["resource"] for u in out["unmet"] if u["what"] == "transport"}
    assert carried == {ids["bin_a"], ids["bin_b"]}
    assert all("driver" in u["why"] for u in out["unmet"] if u["what"] == "transport")
    shown = service.show(node.store, out["plan"])
    [use] = _commitments(shown, "use")
    assert use["explanation"]["resources"] == [ids["fibre_stock"]]
    assert use["provider"] == dan and use["begins"] >= "2026-03-09"


def test_a_driver_booked_for_work_by_another_plan_drives_around_it(node: Node) -> None:
    """Dan, who drives the van, also sorts, and is the nearest sorter: the first plan books him
    to sort from the morning of 8 March. A second plan collecting garments that day books him
    for the trip only when he is not sorting for the first."""
    s, ids = textile(node)
    dan = ids["driver"]
    s.offer_work(dan, ids["sorting"], 30, s.place(dan, "Dan", "52.3700", "4.9001"),
                 NOW, NOW + timedelta(days=14))  # fmt: skip
    first = service.plan_from_demand(
        node, s.keys[s.coord], ids["panel"], qty(50, "om2:one"), NOW + timedelta(days=10),
        s.hub, now=NOW, publish=False,
    )  # fmt: skip
    work = [c for c in _commitments(service.show(node.store, first["plan"]), "work")
            if c["provider"] == dan]  # fmt: skip
    assert work and work[0]["begins"][:10] == "2026-03-08"
    shop = s.agent("Second shop", "Organization")
    s.stock(shop, ids["garments"], 60, s.place(shop, "bin C", "52.3400", "4.8800"))
    second = service.plan_from_demand(
        node, s.keys[s.coord], ids["panel"], qty(5, "om2:one"), NOW + timedelta(days=11),
        s.hub, now=NOW, publish=False,
    )  # fmt: skip
    [trip] = _commitments(service.show(node.store, second["plan"]), "use")
    assert (trip["provider"], trip["begins"][:10]) == (dan, "2026-03-08")
    assert _disjoint(_blocks([*work, trip]))
