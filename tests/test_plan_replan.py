"""Re-planning keeps what is done and credits what is partly done: a commitment half fulfilled
keeps its fulfilled part, and only the rest is planned again — work hours, inputs consumed and
output produced each counted once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from plan_scene import NOW, Scene, hours, qty, textile

from reflow.market import service as market
from reflow.node import Node
from reflow.plan import service

LATER = NOW + timedelta(hours=1)


def _live(state: dict) -> list[dict]:
    return [c for p in state["processes"] for c in p["commitments"]] + state["loose"]


def _process(state: dict, name: str) -> dict:
    return next(p for p in state["processes"] if p["name"] == name)


@pytest.fixture
def planned(node: Node) -> tuple[Scene, dict[str, str], str]:
    """The textile plan for 50 panels, with a second press operator, Leo, farther away."""
    s, ids = textile(node)
    leo = ids["presser_Leo"] = s.agent("Leo")
    s.offer_work(leo, ids["pressing"], 30, s.place(leo, "Leo", "52.4300", "4.9"),
                 NOW, NOW + timedelta(days=14))  # fmt: skip
    out = service.plan_from_demand(
        node, s.keys[s.coord], ids["panel"], qty(50, "om2:one"), NOW + timedelta(days=10),
        s.hub, now=NOW, publish=False,
    )  # fmt: skip
    return s, ids, out["plan"]


def _work_done(s: Scene, worker: str, c: dict, h: int) -> None:
    event = {
        "action": "work",
        "provider": worker,
        "receiver": s.coord,
        "effortQuantity": hours(h),
        "inputOf": c["process"],
        "fulfills": [c["id"]],
    }
    s.node.submit(s.keys[worker], "vf.event", {"event": event})


def test_half_done_work_keeps_its_done_part_and_only_the_rest_is_reassigned(planned) -> None:
    """Pia pressed 8 of her 20 hours, then withdrew her offer: her commitment is reduced to
    the 8 hours done (complete), and only the other 12 go to Leo."""
    s, ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW)
    [pia] = [c for c in _live(state) if c["role"] == "work" and c["spec"] == ids["pressing"]]
    assert (pia["provider"], pia["quantity"]) == (ids["presser"], "20")
    _work_done(s, ids["presser"], pia, 8)
    market.withdraw(s.node, s.keys[ids["presser"]], ids["offer_Pia"])

    out = service.replan(s.node, s.keys[s.coord], plan, now=LATER, publish=False)
    assert out["reduced"] == 1 and out["cancelled"] == 0
    after = service.progress(s.node.store, plan, now=LATER)
    press = _process(after, "press panels")
    assert press["id"] == pia["process"]  # the process under way is kept, with its times
    work = sorted(
        (c["provider"], c["quantity"], c.get("planned"), c["complete"])
        for c in press["commitments"]
        if c["role"] == "work"
    )
    assert work == sorted(
        [(ids["presser"], "8", "20", True), (ids["presser_Leo"], "12", None, False)]
    )
    assert not [u for u in out["unmet"] if u["what"] == "work"]


def test_inputs_consumed_by_a_process_under_way_are_not_asked_for_again(planned) -> None:
    """The shredding has consumed 100 of its 150 kg of sorted textile (from a lot that came in
    after planning): the revision needs only 50 kg more, so the sorting shrinks to 50 kg."""
    s, ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW)
    shred = _process(state, "shred into fibre")
    [take] = [c for c in shred["commitments"] if c["role"] == "input"]
    assert take["quantity"] == "150"
    lot = s.stock(s.coord, ids["sorted"], 100, s.hub)
    event = {"action": "consume", "provider": s.coord, "receiver": s.coord,
             "resourceInventoriedAs": lot, "resourceQuantity": qty(100),
             "inputOf": shred["id"], "fulfills": [take["id"]]}  # fmt: skip
    s.node.submit(s.keys[s.coord], "vf.event", {"event": event})

    out = service.replan(s.node, s.keys[s.coord], plan, now=LATER, publish=False)
    sorted_need = next(n for n in out["netting"] if n["spec"] == ids["sorted"])
    assert (sorted_need["gross"], sorted_need["net"]) == ("50", "50")
    after = service.progress(s.node.store, plan, now=LATER)
    shred = _process(after, "shred into fibre")
    inputs = sorted(
        (c["quantity"], c["complete"]) for c in shred["commitments"] if c["role"] == "input"
    )
    assert inputs == [("100", True), ("50", False)]  # the part consumed, and the rest
    [sorting] = [c for c in _live(after) if c["role"] == "output" and c["spec"] == ids["sorted"]]
    assert sorting["quantity"] == "50"


def test_work_that_went_into_output_already_made_is_not_credited_twice(planned) -> None:
    """Pia pressed 20 panels in 8 hours and withdrew. The 20 panels are in stock (netted), so 30
    are still to press — 12 hours, all of them to plan again: her 8 hours made the 20 panels
    and are not credited a second time."""
    s, ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW)
    press = _process(state, "press panels")
    [pia] = [c for c in press["commitments"] if c["role"] == "work"]
    [made] = [c for c in press["commitments"] if c["role"] == "output"]
    _work_done(s, ids["presser"], pia, 8)
    event = {"action": "produce", "provider": s.coord, "receiver": s.coord,
             "resourceConformsTo": ids["panel"], "resourceQuantity": qty(20, "om2:one"),
             "outputOf": press["id"], "atLocation": s.hub, "fulfills": [made["id"]]}  # fmt: skip
    new = {"name": "panels", "currentLocation": s.hub}
    s.node.submit(s.keys[s.coord], "vf.event", {"event": event, "newInventoriedResource": new})
    market.withdraw(s.node, s.keys[ids["presser"]], ids["offer_Pia"])

    out = service.replan(s.node, s.keys[s.coord], plan, now=LATER, publish=False)
    panels = next(n for n in out["netting"] if n["spec"] == ids["panel"])
    assert (panels["gross"], panels["netted"], panels["net"]) == ("50", "20", "30")
    after = service.progress(s.node.store, plan, now=LATER)
    press = _process(after, "press panels")
    work = {c["provider"]: Decimal(c["quantity"]) for c in press["commitments"]
            if c["role"] == "work"}  # fmt: skip
    assert work == {ids["presser"]: 8, ids["presser_Leo"]: 12}
    outputs = sorted(c["quantity"] for c in press["commitments"] if c["role"] == "output")
    assert outputs == ["20", "30"]  # the 20 made (reduced), the 30 still to make


def test_a_revision_with_nothing_changed_keeps_every_commitment_and_its_answers(planned) -> None:
    s, ids, plan = planned
    before = service.progress(s.node.store, plan, now=NOW)
    pia = next(c for c in _live(before) if c["provider"] == ids["presser"])
    service.accept(s.node, s.keys[ids["presser"]], pia["id"])
    out = service.replan(s.node, s.keys[s.coord], plan, now=LATER, publish=False)
    assert (out["cancelled"], out["reduced"]) == (0, 0)
    assert out["kept"] == len(_live(before)) - 1  # all but the demand, which is never re-planned
    after = service.progress(s.node.store, plan, now=LATER)
    assert sorted(c["id"] for c in _live(after)) == sorted(c["id"] for c in _live(before))
    assert next(c for c in _live(after) if c["id"] == pia["id"])["answer"] == "accepted"


def test_what_a_process_no_longer_needed_holds_is_cancelled_in_the_revision(planned) -> None:
    """Sara and Omar accepted their sorting and Dan his trips to collect garments. Then 200 kg
    of fibre arrive at the hub: the revision needs no collecting, sorting or shredding any more.
    It cancels those processes with every open commitment in them — the accepted work and
    trips too — and the garments they would have collected, in one signed record whose list
    of cancellations is in a fixed order (commitments, then processes, each by id)."""
    s, ids, plan = planned
    before = service.progress(s.node.store, plan, now=NOW)
    for c in _live(before):
        if c["provider"] in (ids["sorter_Sara"], ids["sorter_Omar"], ids["driver"]):
            if c["process"] == _process(before, "press panels")["id"]:
                continue
            service.accept(s.node, s.keys[c["provider"]], c["id"])
    s.stock(s.coord, ids["fibre"], 200, s.hub)

    out = service.replan(s.node, s.keys[s.coord], plan, now=LATER, publish=False)
    gone = {"collect used garments", "sort", "shred into fibre"}
    old = {p["id"]: p for p in before["processes"] if p["name"] in gone}
    held = {c["id"] for p in old.values() for c in p["commitments"]}
    held |= {c["id"] for c in before["loose"] if c["resource"] in (ids["bin_a"], ids["bin_b"])}
    [revised] = [r for r in s.node.store.iter_records() if r.kind == "plan.revise"]
    assert revised.author == s.coord
    assert revised.body["cancel"] == sorted(held) + sorted(old)
    assert out["cancelled"] == len(held) + len(old)
    after = service.progress(s.node.store, plan, now=LATER)
    assert {p["name"] for p in after["processes"]} == {"transport to press panels", "press panels"}
    assert not held & {c["id"] for c in _live(after)}
    kept = {c["id"] for c in _live(before)} - held
    assert kept <= {c["id"] for c in _live(after)}  # the pressing and its fibre stand as they were


def test_work_recorded_against_a_commitment_cancelled_meanwhile_counts_as_done(planned) -> None:
    """Pia withdrew and the revision gave her 20 hours of pressing to Leo; she had pressed 5
    hours before she heard, and records them against her old commitment. When Leo then
    refuses, the next revision asks the market for 15 hours, not 20."""
    s, ids, plan = planned
    pia = _work(service.progress(s.node.store, plan, now=NOW), ids["presser"])
    market.withdraw(s.node, s.keys[ids["presser"]], ids["offer_Pia"])
    service.replan(s.node, s.keys[s.coord], plan, now=LATER, publish=False)
    _work_done(s, ids["presser"], pia, 5)
    state = service.progress(s.node.store, plan, now=LATER)
    assert [(c["id"], c["fulfilled"]) for c in state["cancelled"]] == [(pia["id"], "5")]
    leo = _work(state, ids["presser_Leo"])
    assert leo["quantity"] == "20"
    service.refuse(s.node, s.keys[ids["presser_Leo"]], leo["id"])

    out = service.replan(s.node, s.keys[s.coord], plan, now=LATER, publish=False)
    [short] = [u for u in out["unmet"] if u["what"] == "work"]
    assert (short["spec"], short["quantity"]) == (ids["pressing"], "15")


def _work(state: dict, provider: str) -> dict:
    return next(c for c in _live(state) if c["role"] == "work" and c["provider"] == provider)
