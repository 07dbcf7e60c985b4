"""Territory: districts from GeoJSON records, the border rule, the H3 fallback, re-placing events.

A point belongs to the district with the smallest id among those whose closed polygon covers it;
with no polygons, districts are H3 cells; loading a territory re-places every projected event,
and a rebuild from the log gives the same report tables (same state digest).
"""

from __future__ import annotations

from decimal import Decimal

import h3
import pytest
from report_world import DISTRICTS, TEXTILE, build, load_territory, square
from sqlalchemy import select
from support import NETWORK, World

from reflow.errors import RuleViolation
from reflow.report.catchup import catch_up
from reflow.report.flows import flow_accounts
from reflow.report.scope import Scope
from reflow.report.tables import districts, event_places
from reflow.report.territory import (
    BAD_COORDINATES,
    OUTSIDE,
    Territory,
    for_record,
    parse_feature_collection,
)
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild


def _territory() -> Territory:
    return Territory(parse_feature_collection(for_record(DISTRICTS)))


@pytest.mark.parametrize(
    ("lat", "long", "district"),
    [
        ("52.35", "4.85", "A"),
        ("52.35", "4.95", "B"),
        ("52.35", "4.90", "A"),  # on the shared border: the smaller id
        ("52.40", "4.90", "A"),  # the corner shared by both
        ("52.30", "4.95", "B"),  # on B's outer edge: closed polygons include it
    ],
)
def test_points_fall_in_one_district(lat: str, long: str, district: str) -> None:
    assert _territory().locate(Decimal(lat), Decimal(long)) == (district, None)


def test_a_point_outside_every_district_has_a_reason() -> None:
    assert _territory().locate(Decimal("48.85"), Decimal("2.35")) == (None, OUTSIDE)
    for terr in (_territory(), Territory([])):
        assert terr.locate(Decimal("200"), Decimal("4.85")) == (None, BAD_COORDINATES)


def test_without_polygons_districts_are_h3_cells() -> None:
    terr = Territory([], h3_resolution=7)
    cell, why = terr.locate(Decimal("52.35"), Decimal("4.85"))
    assert (cell, why) == (h3.latlng_to_cell(52.35, 4.85, 7), None)
    assert terr.geometry_of(cell)["type"] == "Polygon"  # type: ignore[index]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"type": "Feature"}, "body.districts"),
        ({"type": "FeatureCollection", "features": []}, "body.districts"),
        (
            {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]},
            "body.districts.features[0].id",
        ),
        (
            {"type": "FeatureCollection", "features": [square("A", "a", "4.8", "4.9")] * 2},
            "body.districts.features[1].id",
        ),
        (
            {"type": "FeatureCollection", "features": [{
                "type": "Feature", "id": "X",
                "geometry": {"type": "Point", "coordinates": ["4.8", "52.3"]}}]},
            "body.districts.features[0].geometry",
        ),
    ],
)  # fmt: skip
def test_bad_geojson_is_refused_naming_the_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(RuleViolation) as err:
        parse_feature_collection(doc, "body.districts")
    assert err.value.field == field


def test_the_h3_fallback_then_loading_districts_replaces_every_event(world: World) -> None:
    city = build(world, territory=False)
    engine = city.engine
    catch_up(engine)  # what every report does first
    with engine.connect() as conn:
        collect = conn.execute(
            select(event_places.c.district).where(event_places.c.event_id == city.ids["collect"])
        ).scalar()
    assert collect == h3.latlng_to_cell(52.35, 4.85, 8)
    load_territory(world, city.ids["collector"])
    rows = {(r["district"], r["material"]): r for r in flow_accounts(engine, Scope.make())}
    assert rows[("A", TEXTILE)]["inflow_kg"] == pytest.approx(180.6)
    assert rows[("B", TEXTILE)]["outflow_kg"] == pytest.approx(80)
    # a new territory with A only: B's events are now outside it
    one = {"type": "FeatureCollection", "features": [DISTRICTS["features"][0]]}  # type: ignore[index]
    world.submit(
        world.keys[city.ids["collector"]], "territory.define",
        {"name": "West only", "districts": for_record(one)},
    )  # fmt: skip
    catch_up(engine)
    with engine.connect() as conn:
        assert [r.id for r in conn.execute(select(districts.c.id))] == ["A"]
        reasons = conn.execute(
            select(event_places.c.place_reason).where(event_places.c.event_id == city.ids["panels"])
        ).scalar()
    assert reasons == OUTSIDE


def test_rebuild_from_the_log_gives_the_same_report_tables(world: World) -> None:
    build(world)
    store = world.ledger.store
    before = state_digest(store)
    rebuild(store, NETWORK)
    assert state_digest(store) == before


def test_a_territory_record_is_checked(world: World) -> None:
    anna = world.agent("Anna")
    with pytest.raises(RuleViolation) as err:
        world.submit(world.keys[anna], "territory.define", {"name": "X", "h3Resolution": 16})
    assert err.value.field == "body.h3Resolution"
    with pytest.raises(RuleViolation) as err:
        world.submit(world.keys[anna], "territory.define", {"districts": {}})
    assert err.value.field == "body.name"


def test_several_territories_in_one_batch_end_in_the_last_one(world: World) -> None:
    city = build(world, territory=False)
    key = world.keys[city.ids["collector"]]
    west = {"type": "FeatureCollection", "features": [DISTRICTS["features"][0]]}  # type: ignore[index]
    recs = []
    for name, doc in (("West only", west), ("Testcity", DISTRICTS)):
        rec = world.chain.sign(
            key, "territory.define", {"name": name, "districts": for_record(doc)}
        )
        world.chain.accepted(rec)
        recs.append(rec)
    assert [r.status for r in world.ledger.append_many(recs)] == ["applied", "applied"]
    store = world.ledger.store

    def placed() -> tuple[list[str], str | None]:
        catch_up(store.engine)
        with store.engine.connect() as conn:
            ids = [r.id for r in conn.execute(select(districts.c.id).order_by(districts.c.id))]
            panels = conn.execute(
                select(event_places.c.district).where(event_places.c.event_id == city.ids["panels"])
            ).scalar()
        return ids, panels

    assert placed() == (["A", "B"], "B")
    before = state_digest(store)
    rebuild(store, NETWORK)  # replays both in one batch as well
    assert placed() == (["A", "B"], "B")
    assert state_digest(store) == before
