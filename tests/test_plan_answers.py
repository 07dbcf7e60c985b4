"""Providers answer the commitments a plan gives them: they accept or refuse, with a signed record.

A plan counts its answers (accepted, refused, pending); a refusal puts the work at risk, and the
next revision gives it to another provider — or asks the market for it when nobody else can.
An answer's verdict depends only on the answer's own chain and the plan record it names, so
every node reaches it whatever order the records arrive in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from plan_scene import NOW, Scene, qty, sqlite_node_at, textile
from sqlalchemy import select

from reflow.errors import AuthorisationError, NotFound, RuleViolation
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import sign_record
from reflow.market.tables import intents
from reflow.node import Node
from reflow.plan import service
from reflow.store.digest import state_digest
from reflow.store.sqlstore import SqlStore


def _plan(s: Scene, ids: dict[str, str], publish: bool = False) -> str:
    return service.plan_from_demand(
        s.node,
        s.keys[s.coord],
        ids["panel"],
        qty(50, "om2:one"),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
        publish=publish,
    )["plan"]


def _live(state: dict) -> list[dict]:
    return [c for p in state["processes"] for c in p["commitments"]] + state["loose"]


def _work(state: dict, provider: str) -> dict:
    return next(c for c in _live(state) if c["role"] == "work" and c["provider"] == provider)


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Node]:
    yield from sqlite_node_at(tmp_path)


def test_providers_accept_or_refuse_and_the_plan_counts_the_answers(node: Node) -> None:
    s, ids = textile(node)
    plan = _plan(s, ids)
    state = service.progress(node.store, plan, now=NOW)
    others = [c for c in _live(state) if c["provider"] != s.coord]
    assert state["answers"] == {"accepted": 0, "refused": 0, "pending": len(others)}
    own = next(c for c in _live(state) if c["role"] == "output")
    assert (own["answer"], own["answeredBy"]) == ("accepted", "plan")  # signed with the plan

    sara, pia = ids["sorter_Sara"], ids["presser"]
    service.accept(node, s.keys[sara], _work(state, sara)["id"], note="Tuesdays are best")
    service.refuse(node, s.keys[pia], _work(state, pia)["id"], reason="the press is broken")

    after = service.progress(node.store, plan, now=NOW)
    assert after["answers"] == {"accepted": 1, "refused": 1, "pending": len(others) - 2}
    assert (_work(after, sara)["answer"], _work(after, sara)["answerNote"]) == (
        "accepted",
        "Tuesdays are best",
    )
    assert _work(after, pia)["answer"] == "refused"
    press = next(p for p in after["processes"] if p["name"] == "press panels")
    assert press["status"] == "at_risk"
    assert any("refused its work: the press is broken" in r for r in press["reasons"])
    assert after["status"] == "at_risk"


def test_a_refused_commitment_goes_to_another_provider_and_the_rest_stays(node: Node) -> None:
    """Sara refuses her 10 hours of sorting. Omar has 3 of his 8 hours free; a third sorter,
    Ana, farther away, offers 20: the revision gives the 10 hours to Omar (3, nearer) and Ana
    (7), and Omar's accepted 5 hours stay as they were, accepted."""
    s, ids = textile(node)
    ana = s.agent("Ana")
    s.offer_work(ana, ids["sorting"], 20, s.place(ana, "Ana", "52.4200", "4.9"),
                 NOW, NOW + timedelta(days=14))  # fmt: skip
    plan = _plan(s, ids)
    state = service.progress(node.store, plan, now=NOW)
    sara, omar = _work(state, ids["sorter_Sara"]), _work(state, ids["sorter_Omar"])
    assert (sara["quantity"], omar["quantity"]) == ("10", "5")
    service.accept(node, s.keys[ids["sorter_Omar"]], omar["id"])
    service.refuse(node, s.keys[ids["sorter_Sara"]], sara["id"], reason="ill")

    out = service.replan(node, s.keys[s.coord], plan, now=NOW, publish=False)
    assert out["cancelled"] == 1 and out["refusals"] == 1
    said = next(r for r in node.store.iter_records() if r.kind == "plan.refuse")
    revised = next(r for r in node.store.iter_records() if r.kind == "plan.revise")
    assert said.hash in revised.deps  # every node applies the refusal before the revision
    after = service.progress(node.store, plan, now=NOW)
    sorting = sorted(
        (c["provider"] == omar["provider"], c["quantity"], c["answer"], c["id"] == omar["id"])
        for c in _live(after)
        if c["role"] == "work" and c["spec"] == ids["sorting"]
    )
    assert sorting == [
        (False, "7", "pending", False),  # Ana
        (True, "3", "pending", False),  # Omar's free hours, a new commitment
        (True, "5", "accepted", True),  # the same commitment as before, still accepted
    ]
    assert {c["provider"] for c in _live(after) if c["role"] == "work"} >= {ana}
    assert sara["id"] not in {c["id"] for c in _live(after)}
    assert not [u for u in out["unmet"] if u["what"] == "work"]


def test_a_refusal_nobody_else_can_take_is_requested_on_the_market(node: Node) -> None:
    s, ids = textile(node)
    plan = _plan(s, ids)
    state = service.progress(node.store, plan, now=NOW)
    service.refuse(node, s.keys[ids["presser"]], _work(state, ids["presser"])["id"])

    out = service.replan(node, s.keys[s.coord], plan, now=NOW)
    [short] = [u for u in out["unmet"] if u["what"] == "work"]
    assert (short["spec"], short["quantity"]) == (ids["pressing"], "20")
    [request] = out["requests"]
    with node.store.engine.connect() as conn:
        rows = conn.execute(select(intents).where(intents.c.proposal == request)).all()
    assert [(r.spec, r.available, r.purpose) for r in rows if r.is_work] == [
        (ids["pressing"], "20", "request")
    ]
    after = service.progress(node.store, plan, now=NOW)
    assert not [c for c in _live(after) if c["role"] == "work" and c["spec"] == ids["pressing"]]


def _trips(state: dict) -> dict[str, str]:
    """Per resource carried, the vehicle that carries it."""
    return {r: c["resource"] for c in _live(state) if c["role"] == "use"
            for r in c["explanation"]["resources"]}  # fmt: skip


def test_a_refused_trip_loses_that_van_for_those_goods_only(node: Node) -> None:
    """Dan refuses to pick up the fibre for the pressing. The revision plans that whole trip
    again (pickup, drop-off and the use of a van) and gives it to Eva's van, farther away. Dan's
    van is ruled out for the fibre only: it still collects the garments, including those of a
    new lot that replaces most of bin B, sold meanwhile."""
    s, ids = textile(node)
    dan, van = ids["driver"], ids["van"]
    eva = s.agent("Eva")
    eva_van = s.van(eva, 300, s.place(eva, "Eva's yard", "52.4500", "4.9000"))
    plan = _plan(s, ids)
    state = service.progress(node.store, plan, now=NOW)
    assert _trips(state) == {ids["fibre_stock"]: van, ids["bin_a"]: van, ids["bin_b"]: van}
    [pickup] = [c for c in _live(state) if c["action"] == "pickup"
                and c["explanation"]["resources"] == [ids["fibre_stock"]]]  # fmt: skip
    fibre_trip = [c["id"] for c in _live(state) if c["role"] in ("transport", "use")
                  and c["explanation"]["resources"] == [ids["fibre_stock"]]]  # fmt: skip
    service.refuse(node, s.keys[dan], pickup["id"], reason="not on Wednesdays")
    shop = next(c["provider"] for c in _live(state) if c["resource"] == ids["bin_b"])
    sold = {"action": "lower", "provider": shop, "receiver": shop,
            "resourceInventoriedAs": ids["bin_b"], "resourceQuantity": qty(30)}  # fmt: skip
    node.submit(s.keys[shop], "vf.event", {"event": sold})
    other = s.agent("Second shop", "Organization")
    bin_c = s.stock(other, ids["garments"], 60, s.place(other, "bin C", "52.3400", "4.8800"))

    out = service.replan(node, s.keys[s.coord], plan, now=NOW, publish=False)
    after = service.progress(node.store, plan, now=NOW)
    assert _trips(after) == {
        ids["fibre_stock"]: eva_van,
        ids["bin_a"]: van,
        ids["bin_b"]: van,
        bin_c: van,
    }
    assert not set(fibre_trip) & {c["id"] for c in _live(after)}  # the whole refused trip
    assert [u for u in out["unmet"] if u["what"] == "transport"] == []
    leg = next(p for p in after["processes"] if p["name"] == "transport to press panels")
    assert leg["drivers"] == [eva]


def test_answers_are_refused_when_they_cannot_stand(lite: Node) -> None:
    s, ids = textile(lite)
    plan = _plan(s, ids)
    state = service.progress(lite.store, plan, now=NOW)
    pia, sara = ids["presser"], ids["sorter_Sara"]
    work = _work(state, pia)
    record = service.show(lite.store, plan)["record"]

    with pytest.raises(NotFound) as err:
        lite.submit(s.keys[pia], "plan.accept", {"commitment": "nope"}, deps=[record])
    assert err.value.field == "body.commitment"
    seq, prev = lite.next_position(pia)
    bare = sign_record(s.keys[pia], network=lite.info.network, seq=seq, prev=prev,
                       kind="plan.accept", body={"commitment": work["id"]}, deps=())  # fmt: skip
    with pytest.raises(RuleViolation) as err:  # without the plan record in its deps
        lite.ledger.append(bare)
    assert (err.value.field, err.value.rule) == ("deps", "deps-commitment")
    with pytest.raises(AuthorisationError) as err:
        service.accept(lite, s.keys[sara], work["id"])
    assert (err.value.field, err.value.rule) == ("body.commitment", "provider")
    own = next(c for c in _live(state) if c["role"] == "output")
    with pytest.raises(RuleViolation) as err:
        service.refuse(lite, s.keys[s.coord], own["id"])
    assert err.value.rule == "own-commitment"
    with pytest.raises(RuleViolation) as err:
        lite.submit(s.keys[pia], "plan.accept", {"commitment": work["id"], "note": 3},
                    deps=[record])  # fmt: skip
    assert (err.value.field, err.value.rule) == ("body.note", "type")

    service.accept(lite, s.keys[pia], work["id"])
    with pytest.raises(RuleViolation) as err:
        service.accept(lite, s.keys[pia], work["id"])
    assert err.value.rule == "answered"
    service.refuse(lite, s.keys[pia], work["id"], reason="changed my mind")  # allowed
    with pytest.raises(RuleViolation) as err:
        service.accept(lite, s.keys[pia], work["id"])
    assert err.value.rule == "already-refused"
    assert _work(service.progress(lite.store, plan, now=NOW), pia)["answer"] == "refused"


def test_an_answer_and_a_cancellation_converge_whatever_the_order(
    lite: Node, tmp_path: Path
) -> None:
    """Pia accepts while the planner cancels her commitment: a node hearing the cancellation
    first still applies the acceptance (it changes nothing there), so both nodes agree."""
    s, ids = textile(lite)
    plan = _plan(s, ids)
    work = _work(service.progress(lite.store, plan, now=NOW), ids["presser"])
    base = list(lite.store.iter_records())
    made = service.show(lite.store, plan)["record"]
    yes = lite.sign(s.keys[ids["presser"]], "plan.accept", {"commitment": work["id"]}, [made])
    body = {"plan": plan, "plannedAt": "2026-03-02T09:00:00Z", "summary": {},
            "cancel": [work["id"]], "processes": [], "commitments": []}  # fmt: skip
    cancel = lite.sign(s.keys[s.coord], "plan.revise", body)

    def replay(name: str, order: list) -> tuple[SqlStore, list[str]]:
        store = SqlStore.open(f"sqlite:///{tmp_path / name}")
        ledger = Ledger(store, lite.info.network)
        return store, [ledger.append_many([r])[0].status for r in [*base, *order]][len(base) :]

    x, x_status = replay("x.sqlite", [yes, cancel])
    y, y_status = replay("y.sqlite", [cancel, yes])
    assert x_status == y_status == ["applied", "applied"]
    assert state_digest(x) == state_digest(y)
    x.close()
    y.close()
