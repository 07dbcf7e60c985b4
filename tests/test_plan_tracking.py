"""Tracking a plan: events fulfil its commitments; processes are done, late or at risk; and
re-planning after an agent withdraws keeps what is done and assigns the rest again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from plan_scene import NOW, Scene, hours, qty, textile

from reflow.ledger.ledger import Ledger
from reflow.ledger.records import Record
from reflow.market import service as market
from reflow.node import Node
from reflow.plan import service
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.store.sqlstore import SqlStore


@pytest.fixture
def planned(node: Node) -> tuple[Scene, dict[str, str], str]:
    s, ids = textile(node)
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
    return s, ids, out["plan"]


def _find(state: dict, role: str, **match: str) -> dict:
    cs = [c for p in state["processes"] for c in p["commitments"]] + state["loose"]
    return next(c for c in cs if c["role"] == role and all(c[k] == v for k, v in match.items()))


def test_a_fresh_plan_is_on_track(planned) -> None:
    s, _ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW)
    assert state["status"] == "on_track"
    assert {p["status"] for p in state["processes"]} == {"on_track"}


def test_events_fulfil_commitments_and_a_process_gets_done(planned) -> None:
    s, ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW)
    press = next(p for p in state["processes"] if p["name"] == "press panels")
    work = _find(state, "work", provider=ids["presser"])
    for h in (8, 12):
        event = {
            "action": "work",
            "provider": ids["presser"],
            "receiver": s.coord,
            "effortQuantity": hours(h),
            "inputOf": press["id"],
            "fulfills": [work["id"]],
        }
        s.node.submit(s.keys[ids["presser"]], "vf.event", {"event": event})
    after = service.progress(s.node.store, plan, now=NOW + timedelta(days=9, hours=12))
    work = _find(after, "work", provider=ids["presser"])
    assert (work["fulfilled"], work["complete"]) == ("20", True)
    press = next(p for p in after["processes"] if p["name"] == "press panels")
    assert press["status"] == "at_risk" or press["status"] == "on_track"
    sort = next(p for p in after["processes"] if p["name"] == "sort")
    assert sort["status"] == "late"  # its end (day 8) passed with nothing fulfilled
    assert after["status"] == "late"


def test_a_process_that_should_have_begun_with_nothing_done_is_at_risk(planned) -> None:
    s, _ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW + timedelta(days=5, hours=2))
    collect = next(p for p in state["processes"] if p["name"] == "collect used garments")
    assert collect["status"] == "at_risk"
    assert state["status"] == "at_risk"


def test_a_withdrawn_offer_puts_the_work_at_risk_and_replanning_reassigns_it(planned) -> None:
    s, ids, plan = planned
    omar = ids["sorter_Omar"]
    state = service.progress(s.node.store, plan, now=NOW)
    fibre = _find(state, "supply", resource=ids["fibre_stock"])
    holder = fibre["provider"]
    event = {
        "action": "transfer",
        "provider": holder,
        "receiver": s.coord,
        "resourceInventoriedAs": ids["fibre_stock"],
        "resourceQuantity": qty(80),
        "fulfills": [fibre["id"]],
    }
    s.node.submit(s.keys[holder], "vf.event", {"event": event})
    omar_work = _find(state, "work", provider=omar)
    market.withdraw(s.node, s.keys[omar], ids["offer_Omar"])
    state = service.progress(s.node.store, plan, now=NOW)
    sort = next(p for p in state["processes"] if p["name"] == "sort")
    assert sort["status"] == "at_risk" and "withdrawn" in sort["reasons"][0]

    out = service.replan(s.node, s.keys[s.coord], plan, now=NOW + timedelta(hours=1))
    assert out["cancelled"] > 0
    after = service.progress(s.node.store, plan, now=NOW + timedelta(hours=1))
    live = [c for p in after["processes"] for c in p["commitments"]] + after["loose"]
    assert omar_work["id"] not in {c["id"] for c in live}  # cancelled
    assert fibre["id"] in {c["id"] for c in live}  # done: kept
    sorting = [c for c in live if c["role"] == "work" and c["spec"] == ids["sorting"]]
    assert [(c["provider"], c["quantity"]) for c in sorting] == [(ids["sorter_Sara"], "10")]
    short = next(u for u in out["unmet"] if u["what"] == "work")
    assert (short["spec"], short["quantity"]) == (ids["sorting"], "5")
    assert len(out["requests"]) == 1
    assert [c["role"] for c in live].count("demand") == 1
    fibre_need = next(n for n in out["netting"] if n["spec"] == ids["fibre"])
    assert fibre_need["netted"] == "80"  # the fibre now at the coordinator's still counts


def test_plan_projections_rebuild_from_the_log(planned) -> None:
    s, ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW)
    work = _find(state, "work", provider=ids["presser"])
    event = {
        "action": "work",
        "provider": ids["presser"],
        "receiver": s.coord,
        "effortQuantity": hours(5),
        "inputOf": work["process"],
        "fulfills": [work["id"]],
    }
    s.node.submit(s.keys[ids["presser"]], "vf.event", {"event": event})
    market.withdraw(s.node, s.keys[ids["sorter_Omar"]], ids["offer_Omar"])
    service.replan(s.node, s.keys[s.coord], plan, now=NOW, publish=False)
    before = state_digest(s.node.store)
    shown = service.progress(s.node.store, plan, now=NOW)
    rebuild(s.node.store, s.node.info.network)
    assert state_digest(s.node.store) == before
    assert service.progress(s.node.store, plan, now=NOW) == shown


def test_the_use_of_the_van_is_fulfilled_in_hours(planned) -> None:
    s, ids, plan = planned
    state = service.progress(s.node.store, plan, now=NOW)
    use = _find(state, "use", resource=ids["van"])
    event = {
        "action": "use",
        "provider": ids["driver"],
        "receiver": s.coord,
        "resourceInventoriedAs": ids["van"],
        "effortQuantity": hours(use["quantity"]),
        "inputOf": use["process"],
        "fulfills": [use["id"]],
    }
    s.node.submit(s.keys[ids["driver"]], "vf.event", {"event": event})
    after = _find(service.progress(s.node.store, plan, now=NOW), "use", id=use["id"])
    assert after["complete"] and after["fulfilled"] == use["quantity"]


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Fresh, empty databases on the backend the ``node`` of the test runs on."""
    if request.node.callspec.params["database_url"] == "sqlite":
        return lambda name: f"sqlite:///{tmp_path / name}.sqlite"
    factory = request.getfixturevalue("pg_database_factory")
    return lambda _name: factory()  # type: ignore[no-any-return]


def test_work_on_a_commitment_the_planner_cancelled_meanwhile_is_judged_alike_on_every_node(
    planned, fresh_url: Callable[[str], str]
) -> None:
    """Pia records 5 hours of pressing against her commitment while the planner, elsewhere,
    cancels it. One node hears the work first, another the cancellation first: both accept
    both records and reach the same state, where the work is counted against the cancelled
    commitment and the plan shows it as such."""
    s, ids, plan = planned
    work = _find(service.progress(s.node.store, plan, now=NOW), "work", provider=ids["presser"])
    base = list(s.node.store.iter_records())
    event = {"action": "work", "provider": ids["presser"], "receiver": s.coord,
             "effortQuantity": hours(5), "inputOf": work["process"],
             "fulfills": [work["id"]]}  # fmt: skip
    worked = s.node.sign(s.keys[ids["presser"]], "vf.event", {"event": event})
    body = {"plan": plan, "plannedAt": "2026-03-02T09:00:00Z", "summary": {},
            "cancel": [work["id"]], "processes": [], "commitments": []}  # fmt: skip
    cancel = s.node.sign(s.keys[s.coord], "plan.revise", body)

    def replay(name: str, order: list[Record]) -> tuple[SqlStore, list[str]]:
        store = SqlStore.open(fresh_url(name))
        ledger = Ledger(store, s.node.info.network)
        receipts = [ledger.append_many([r])[0] for r in [*base, *order]][len(base) :]
        return store, [r.status for r in receipts]

    x, x_said = replay("work-first", [worked, cancel])
    y, y_said = replay("cancel-first", [cancel, worked])
    try:
        assert x_said == y_said == ["applied", "applied"]
        assert state_digest(x) == state_digest(y)
        for store in (x, y):
            state = service.progress(store, plan, now=NOW)
            assert work["id"] not in {c["id"] for p in state["processes"] for c in p["commitments"]}
            [gone] = state["cancelled"]
            assert (gone["id"], gone["fulfilled"], gone["cancelled"]) == (work["id"], "5", True)
    finally:
        x.close()
        y.close()
