"""Catch-up: events are placed when a report asks, and the figures do not depend on when.

Ingest does not place events; every report first brings ``report_event_places`` up to the log
from its own position. A node that never ran a report holds the same state (digest) as one
that did; records appended after a report are in the next one; a territory loaded after a
report re-locates the rows; and a rebuild, or placing everything from scratch, gives the same
figures as placing little by little.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from report_world import TEXTILE, City, build, load_territory
from sqlalchemy import func, inspect, select
from support import NETWORK, World, qty

from reflow.ledger.ledger import Ledger
from reflow.report.catchup import catch_up
from reflow.report.circularity import circularity
from reflow.report.flows import flow_accounts
from reflow.report.participation import participation
from reflow.report.scope import Scope
from reflow.report.tables import event_places, position
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.store.schema import records
from reflow.store.sqlstore import SqlStore


def figures(city: City) -> dict[str, Any]:
    engine, scope = city.engine, Scope.make()
    return {
        "flows": flow_accounts(engine, scope),
        "mci": circularity(engine, scope),
        "participation": participation(engine, scope),
    }


def from_scratch(city: City) -> dict[str, Any]:
    """The figures when every event is placed in one go, from the first record."""
    with city.engine.begin() as conn:
        for table in (event_places, position):
            conn.execute(table.delete())
    return figures(city)


def placed_rows(city: City) -> int:
    with city.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(event_places)).scalar() or 0)


def test_ingest_places_nothing_and_the_first_report_places_every_event(world: World) -> None:
    city = build(world)
    assert placed_rows(city) == 0
    rows = {(r["district"], r["material"]): r for r in flow_accounts(city.engine, Scope.make())}
    assert rows[("A", TEXTILE)]["inflow_kg"] == pytest.approx(180.6)
    assert placed_rows(city) > 0
    with city.engine.connect() as conn:
        last = conn.execute(select(func.max(records.c.pos))).scalar()
        assert conn.execute(select(position.c.pos)).scalar() == last
    assert catch_up(city.engine) == 0  # nothing new: nothing to do


def test_a_node_that_never_ran_a_report_has_the_same_digest(world: World, tmp_path: Path) -> None:
    city = build(world)
    store = world.ledger.store
    other = SqlStore.open(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        receipts = Ledger(other, NETWORK).append_many(list(store.iter_records()))
        assert {r.status for r in receipts} == {"applied"}
        figures(city)  # this node runs reports, the other one never does
        assert placed_rows(city) > 0
        assert state_digest(store) == state_digest(other)
    finally:
        other.close()


def test_records_appended_after_a_report_are_in_the_next_one(world: World) -> None:
    city = build(world)
    before = figures(city)
    collector = city.ids["collector"]
    collect = world.ledger.store.event(city.ids["collect"])
    assert collect is not None
    world.event(
        collector, {"name": "another bale"}, action="raise", provider=collector,
        receiver=collector, resourceConformsTo=collect.body["resourceConformsTo"],
        resourceQuantity=qty(5), toLocation=collect.body["toLocation"],
        hasPointInTime="2026-03-20T10:00:00Z",
    )  # fmt: skip
    after = figures(city)
    assert after != before
    a = {(r["district"], r["material"]): r for r in before["flows"]}[("A", TEXTILE)]
    b = {(r["district"], r["material"]): r for r in after["flows"]}[("A", TEXTILE)]
    assert b["inflow_kg"] == pytest.approx(a["inflow_kg"] + 5)
    assert after == from_scratch(city)


def test_a_territory_loaded_after_a_report_re_places_the_events(world: World) -> None:
    city = build(world, territory=False)
    in_cells = figures(city)
    assert ("A", TEXTILE) not in {(r["district"], r["material"]) for r in in_cells["flows"]}
    load_territory(world, city.ids["collector"])
    in_districts = figures(city)
    rows = {(r["district"], r["material"]): r for r in in_districts["flows"]}
    assert rows[("A", TEXTILE)]["inflow_kg"] == pytest.approx(180.6)
    assert rows[("B", TEXTILE)]["outflow_kg"] == pytest.approx(80)
    assert in_districts == from_scratch(city)


def test_catch_up_after_a_rebuild_gives_the_same_figures(world: World) -> None:
    city = build(world)
    before = figures(city)
    store = world.ledger.store
    digest = state_digest(store)
    rebuild(store, NETWORK)
    assert placed_rows(city) == 0  # rebuild clears the cache with the projections
    assert state_digest(store) == digest
    assert figures(city) == before


def test_catch_up_goes_in_batches_and_each_batch_moves_the_position(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reflow.report.catchup as catchup

    city = build(world)
    whole = figures(city)
    monkeypatch.setattr(catchup, "BATCH", 3)
    with city.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(records)).scalar()
    with city.engine.begin() as conn:
        for table in (event_places, position):
            conn.execute(table.delete())
    assert catch_up(city.engine) == count
    assert figures(city) == whole


def test_reports_while_the_ledger_appends_place_every_event_once(world: World) -> None:
    city = build(world)
    collector = city.ids["collector"]
    collect = world.ledger.store.event(city.ids["collect"])
    assert collect is not None
    errors: list[BaseException] = []
    stop = threading.Event()

    def reports() -> None:
        try:
            while not stop.is_set():
                catch_up(city.engine)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    thread = threading.Thread(target=reports)
    thread.start()
    try:
        for day in range(10, 22):
            world.event(
                collector, {"name": f"bale {day}"}, action="raise", provider=collector,
                receiver=collector, resourceConformsTo=collect.body["resourceConformsTo"],
                resourceQuantity=qty(1), toLocation=collect.body["toLocation"],
                hasPointInTime=f"2026-03-{day}T10:00:00Z",
            )  # fmt: skip
    finally:
        stop.set()
        thread.join()
    assert errors == []
    live = figures(city)
    rows = {(r["district"], r["material"]): r for r in live["flows"]}
    assert rows[("A", TEXTILE)]["inflow_kg"] == pytest.approx(180.6 + 12)
    assert live == from_scratch(city)


def test_a_first_report_after_a_place_moved_keeps_events_where_they_happened(
    world: World,
) -> None:
    city = build(world)
    collect = world.ledger.store.event(city.ids["collect"])
    assert collect is not None
    depot = collect.body["toLocation"]
    world.submit(
        world.keys[city.ids["collector"]], "vf.update",
        {"id": depot, "data": {"lat": "52.35", "long": "4.95"}},  # now in district B
    )  # fmt: skip
    moved = world.ledger.store.object(depot)
    assert moved is not None and moved.data["long"] == "4.95"
    late = figures(city)  # nothing was placed before the place moved
    rows = {(r["district"], r["material"]): r for r in late["flows"]}
    assert rows[("A", TEXTILE)]["inflow_kg"] == pytest.approx(180.6)
    assert late == from_scratch(city)


def test_a_store_upgraded_from_report_0001_keeps_its_rows_and_places_nothing_twice(
    world: World,
) -> None:
    from alembic import command
    from alembic.config import Config

    import reflow.store.database as database

    city = build(world)
    before = figures(city)
    store = world.ledger.store
    digest = state_digest(store)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(database.__file__).parent / "migrations"))
    with city.engine.begin() as conn:  # back to the schema before the catch-up
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "report_0001")
        assert not inspect(conn).has_table("report_position")
    database.migrate(city.engine)
    with city.engine.connect() as conn:
        last = conn.execute(select(func.max(records.c.pos))).scalar()
        assert conn.execute(select(position.c.pos)).scalar() == last
    assert catch_up(city.engine) == 0
    assert figures(city) == before
    assert state_digest(store) == digest


def test_an_events_figures_are_those_of_its_moment_however_the_records_are_batched(
    world: World,
) -> None:
    """A place moved later in the same batch must not move an event recorded before: one batch
    or one record at a time, the event keeps the coordinates it was recorded at."""
    from reflow.report.tables import event_inputs

    ann = world.agent("Ann")
    spec = world.spec(ann, "cotton")
    here = world.place(ann, "here", lat="52.1", long="4.1")
    key = world.keys[ann]
    raised = world.chain.sign(key, "vf.event", {"event": {
        "action": "raise", "provider": ann, "receiver": ann, "resourceConformsTo": spec,
        "resourceQuantity": qty(5), "toLocation": here}})  # fmt: skip
    world.chain.accepted(raised)
    moved = world.chain.sign(key, "vf.update", {"id": here, "data": {"lat": "53.9"}})
    world.chain.accepted(moved)
    receipts = world.ledger.append_many([raised, moved])  # one batch
    assert [r.status for r in receipts] == ["applied", "applied"]
    event_id = receipts[0].created["EconomicEvent"]
    with world.ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        lat = conn.execute(
            select(event_inputs.c.lat).where(event_inputs.c.event_id == event_id)
        ).scalar_one()
    assert lat == "52.1"
