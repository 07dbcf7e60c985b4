"""The six pilot scenarios: each loads, verifies, rebuilds to the same digest and answers its
pilot's headline question with a query.

Every scenario is loaded once per module on SQLite (a few seconds each); the PostgreSQL run loads
all six again on a fresh database each.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import and_, func, select

from reflow import scenarios
from reflow.ledger.records import verified
from reflow.node import Node
from reflow.scenarios.builder import Loaded, derive_key
from reflow.settings import Settings
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.store.schema import events as ev
from reflow.store.schema import resources as res
from reflow.trace.passport import export_passport, verify_passport
from reflow.trace.service import trace_item

MARCH = ("2026-03-01", "2026-04-01")


def _node(path: Path, url: str | None = None, network: str | None = None) -> Node:
    settings = Settings.from_env({}, data_dir=path, database_url=url)
    return Node.init(settings, network_name="pilots", network=network)


@pytest.fixture(scope="module")
def pilots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Node, Loaded]]]:
    """Each scenario on its own SQLite node, loaded once for the module."""
    out = {}
    for name in scenarios.SCENARIOS:
        node = _node(tmp_path_factory.mktemp(name))
        out[name] = (node, scenarios.load(node, name))
    yield out
    for node, _ in out.values():
        node.close()


def _sum(node: Node, *where: Any, column: Any = ev.c.resource_quantity) -> Decimal:
    """Exact sum of a decimal-text column (summed in Python: the column is TEXT)."""
    with node.store.engine.connect() as conn:
        rows = conn.execute(select(column).where(and_(*where))).scalars()
        return sum((Decimal(v) for v in rows), Decimal(0))


def _in_march() -> Any:
    return and_(ev.c.has_point_in_time >= MARCH[0], ev.c.has_point_in_time < MARCH[1])


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_every_record_of_a_scenario_verifies_and_rebuilds_to_the_live_digest(
    pilots: dict[str, tuple[Node, Loaded]], name: str
) -> None:
    node, loaded = pilots[name]
    assert not loaded.already_loaded and loaded.records > 40
    count = 0
    for rec in node.store.iter_records():
        verified({**rec.to_dict()})  # parses and checks the signature
        count += 1
    assert count == loaded.records
    live = state_digest(node.store)["digest"]
    rebuild(node.store, node.info.network)
    assert state_digest(node.store)["digest"] == live


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_the_passport_of_each_scenario_has_depth(
    pilots: dict[str, tuple[Node, Loaded]], name: str
) -> None:
    """At least four processes and two transfers behind the resource the demo points to."""
    node, loaded = pilots[name]
    assert loaded.passport is not None
    flow = trace_item(node.store, loaded.passport)
    processes = {n.id for n in flow.nodes if n.kind == "Process"}
    events = [node.store.event(n.id) for n in flow.nodes if n.kind == "EconomicEvent"]
    transfers = [e for e in events if e is not None and e.action == "transfer"]
    assert len(processes) >= 4, name
    assert len(transfers) >= 2, name


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_each_scenario_has_offers_a_recipe_a_plan_a_distribution_and_a_territory(
    pilots: dict[str, tuple[Node, Loaded]], name: str
) -> None:
    node, loaded = pilots[name]
    types = {t: node.store.objects_of_type(t) for t in ("Proposal", "Recipe", "Plan")}
    purposes = {p.data.get("purpose") for p in types["Proposal"]}
    assert {"offer", "request"} <= purposes
    assert len(types["Recipe"]) == 1
    assert loaded.ids["plan"] in {p.id for p in types["Plan"]}
    assert loaded.ids["shared"], "the income was distributed by the equation"
    if name in ("textile", "food"):  # a request accepted on the market: an agreement
        agreement = node.store.object(loaded.ids["agreement"])
        assert agreement is not None and agreement.type == "Agreement"
    from reflow.report.tables import districts

    with node.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(districts)).scalar_one() >= 3


def test_textile_how_many_kg_of_garments_were_kept_from_waste_this_month(
    pilots: dict[str, tuple[Node, Loaded]],
) -> None:
    # Garments that went into repair or into shredding (for insulation) in March.
    node, loaded = pilots["textile"]
    diverted = [loaded.ids["repair"], loaded.ids["shred"]]
    kept = _sum(node, ev.c.action == "consume", ev.c.input_of.in_(diverted), _in_march(),
                ev.c.resource_unit == "om2:kilogram")  # fmt: skip
    assert kept == Decimal("220")  # 40 kg repaired + 180 kg shredded into insulation


def test_water_how_many_litres_were_reused(pilots: dict[str, tuple[Node, Loaded]]) -> None:
    node, loaded = pilots["water"]
    reused = _sum(node, ev.c.action == "consume", ev.c.input_of == loaded.ids["grow"],
                  ev.c.resource_unit == "om2:litre")  # fmt: skip
    assert reused == Decimal("7000")  # 3000 L treated greywater + 4000 L rainwater


def test_food_kg_of_surplus_redistributed_versus_composted(
    pilots: dict[str, tuple[Node, Loaded]],
) -> None:
    node, loaded = pilots["food"]
    bank = loaded.agents["bank"]
    edible = select(res.c.id).where(res.c.conforms_to == loaded.ids["edible"])
    redistributed = _sum(node, ev.c.action == "transfer", ev.c.provider == bank,
                         ev.c.resource_inventoried_as.in_(edible))  # fmt: skip
    compost_runs = select(ev.c.output_of).where(ev.c.resource_conforms_to == loaded.ids["compost"])
    composted = _sum(node, ev.c.action == "consume", ev.c.input_of.in_(compost_runs))
    assert (redistributed, composted) == (Decimal("210"), Decimal("90"))


def test_fair_the_passport_verifies_offline_and_shows_the_farm(
    pilots: dict[str, tuple[Node, Loaded]],
) -> None:
    from reflow.scenarios.fair import FARM_NAME

    node, loaded = pilots["fair"]
    doc = export_passport(node, loaded.passport or "")
    verdict = verify_passport(doc)
    assert verdict.ok, verdict.as_dict()
    farm = loaded.agents["farm"]
    declared = [p for p in doc["proofs"] if p["kind"] == "agent.declare" and p["author"] == farm]
    assert declared and declared[0]["body"]["data"]["name"] == FARM_NAME
    assert any(p["author"] == farm and p["kind"] == "vf.event" for p in doc["proofs"])


def test_the_demo_pages_serve_each_pilots_passport(pilots: dict[str, tuple[Node, Loaded]]) -> None:
    """What ``reflow demo`` prints is there: the web page, GraphQL and each pilot's passport."""
    import httpx
    from api_support import SyncASGITransport

    from reflow.api.app import create_app
    from reflow.web import web_routes

    def app(node: Node) -> Any:
        return create_app(node, extra_routes=web_routes(node))

    for name, (node, loaded) in pilots.items():
        client = httpx.Client(transport=SyncASGITransport(app(node)), base_url="http://t")
        page = client.get(f"/passport/{loaded.passport}")
        assert page.status_code == 200 and "Verified." in page.text, name
        if name == "fair":
            from reflow.scenarios.fair import FARM_NAME

            assert FARM_NAME in page.text
    node, _ = pilots["textile"]
    client = httpx.Client(transport=SyncASGITransport(app(node)), base_url="http://t")
    assert client.get("/").status_code == 200
    answer = client.post("/api", json={"query": "{ __typename }"})
    assert answer.status_code == 200 and answer.json()["data"] == {"__typename": "Query"}


def test_plastics_kg_of_waste_turned_into_filament(pilots: dict[str, tuple[Node, Loaded]]) -> None:
    node, loaded = pilots["plastics"]
    filament = _sum(node, ev.c.action == "produce",
                    ev.c.resource_conforms_to == loaded.ids["filament"])  # fmt: skip
    assert filament == Decimal("90")


def test_energy_kwh_shared_per_member(pilots: dict[str, tuple[Node, Loaded]]) -> None:
    node, loaded = pilots["energy"]
    power = select(res.c.id).where(res.c.conforms_to == loaded.ids["power"])
    shared = {}
    for member in ("mette", "lars", "freja"):
        shared[member] = _sum(node, ev.c.action == "transfer",
                              ev.c.receiver == loaded.agents[member],
                              ev.c.resource_inventoried_as.in_(power))  # fmt: skip
    assert shared == {"mette": Decimal("1400"), "lars": Decimal("1250"), "freja": Decimal("1100")}


def test_loading_twice_adds_nothing(pilots: dict[str, tuple[Node, Loaded]]) -> None:
    node, first = pilots["water"]
    before = state_digest(node.store)["digest"]
    again = scenarios.load(node, "water")
    assert again.already_loaded and again.records == 0
    assert (again.passport, again.agents) == (first.passport, first.agents)
    assert state_digest(node.store)["digest"] == before


def test_a_load_that_stopped_part_way_is_refused_not_repeated(tmp_path: Path) -> None:
    from reflow.errors import ConflictError

    node = _node(tmp_path / "half")
    try:
        key = derive_key(0, "water", "coop")  # the scenario's first agent, declared, no marker
        node.keystore.add(key, label="demo:water:coop")
        node.submit(key, "agent.declare", {"type": "Organization", "data": {"name": "coop"}})
        with pytest.raises(ConflictError) as err:
            scenarios.load(node, "water")
        assert (err.value.field, err.value.rule) == ("data-dir", "demo-loads-once")
    finally:
        node.close()


def test_the_same_seed_gives_the_same_records_and_another_seed_other_keys(
    tmp_path: Path, pilots: dict[str, tuple[Node, Loaded]]
) -> None:
    node, first = pilots["fair"]
    twin = _node(tmp_path / "twin", network=node.info.network)
    try:
        second = scenarios.load(twin, "fair")
        assert second.agents == first.agents and second.passport == first.passport
        assert state_digest(twin.store)["digest"] == state_digest(node.store)["digest"]
    finally:
        twin.close()
    assert derive_key(1, "fair", "farm").public != first.agents["farm"]


@pytest.mark.postgres
@pytest.mark.slow
def test_all_six_load_on_postgresql_and_move_to_sqlite_by_export(
    tmp_path: Path, pg_database_factory: Any
) -> None:
    """The whole demo city on PostgreSQL: rebuild keeps its digest; its JSON-LD export imported
    into an empty SQLite node gives the same digest (the records are the state)."""
    from reflow.interop.jsonld import export_document, import_records
    from reflow.report.tables import districts

    node = _node(tmp_path / "pg", url=pg_database_factory())
    try:
        for name in scenarios.SCENARIOS:
            assert scenarios.load(node, name).records > 40
        scenarios.load_pilot_territory(node)
        with node.store.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(districts)).scalar_one()
        assert count == sum(len(m.DISTRICTS) for m in scenarios.SCENARIOS.values())
        live = state_digest(node.store)["digest"]
        rebuild(node.store, node.info.network)
        assert state_digest(node.store)["digest"] == live
        doc = export_document(node.store, node.info.network)
    finally:
        node.close()
    lite = _node(tmp_path / "lite", network=doc["reflow:network"])
    try:
        import_records(lite.ledger, doc)
        assert state_digest(lite.store)["digest"] == live
    finally:
        lite.close()
