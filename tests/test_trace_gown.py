"""Track and trace of a surgical gown's life, on every backend.

The gown scenario (``gown_scene``): cotton raised and sold, sewn into a gown (scraps as a second
output) with a machine that also sews shirts and a cited design, bought by a laundry, washed with
another gown, lent to a hospital for a surgery and given back, washed again, packed in a box with
the other gown, carried by a courier and unpacked. The walks must come out in causal order by
the breadcrumbs, siblings with no breadcrumb between them ordered by id (descending backwards,
ascending forwards), and never leak into the other gown, the shirts, or the box's own history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from gown_scene import Gown, build_gown
from sqlalchemy import event, select
from support import NETWORK, World, qty

from reflow.errors import NotFound
from reflow.ledger.ledger import Ledger
from reflow.store.schema import events
from reflow.store.sqlstore import SqlStore
from reflow.trace.algorithms import trace, track
from reflow.trace.graph import EVENT, PROCESS, RESOURCE, EventLink, FlowGraph, Node, load_graph
from reflow.trace.service import step, trace_item, track_item


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def recorded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, Gown]]:
    """The gown's life recorded once per backend for the read-only tests of this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('gown') / 'gown.sqlite'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    store = SqlStore.open(url)
    world = World(Ledger(store, NETWORK))
    yield world, build_gown(world)
    store.close()


@pytest.fixture
def gown(recorded: tuple[World, Gown]) -> Gown:
    return recorded[1]


@pytest.fixture
def shared(recorded: tuple[World, Gown]) -> World:
    return recorded[0]


def names(g: Gown, ids: list[str]) -> list[str]:
    back = {v: k for k, v in g.ids.items()}
    return [back.get(i, i) for i in ids]


def by_id(g: Gown, groups: list[list[str]], *, desc: bool) -> list[str]:
    """Sibling subtrees in id order of their first item (the sibling itself)."""
    ordered = sorted(groups, key=lambda grp: g.ids[grp[0]], reverse=desc)
    return [name for grp in ordered for name in grp]


def expected_trace(g: Gown) -> list[str]:
    return [
        "gown",
        "unpack_gown", "ship", "pack_gown", "dropoff_box", "pickup_box",
        "wash2_modify_gown", "wash2", "wash2_accept_gown",
        *by_id(g, [["wash2_soap", "soap", "raise_soap"], ["wash2_water", "water", "raise_water"]],
               desc=True),
        "give_back", "lent", "use_gown", "surgery", "lend",
        "wash1_modify_gown", "wash1", "wash1_accept_gown",
        *by_id(g, [["wash1_soap"], ["wash1_water"]], desc=True),
        "sell_gown", "gown_made", "produce_gown", "sew",
        *by_id(g, [
            ["cite_design", "pattern", "produce_pattern", "design", "design_work"],
            ["use_machine", "machine", "raise_machine"],
            ["consume_cotton", "cotton", "sell_cotton", "bale", "raise_bale"],
            ["sew_work"],
        ], desc=True),
    ]  # fmt: skip


def test_trace_of_the_gown_is_its_whole_history_in_causal_order(world: World) -> None:
    gown = build_gown(world)
    result = trace_item(world.ledger.store, gown.gown)
    assert names(gown, result.ids()) == expected_trace(gown)


def test_trace_marks_container_legs_and_processes_only_used_in(gown: Gown, shared: World) -> None:
    result = trace_item(shared.ledger.store, gown.gown)
    roles = {f.node.id: f.role for f in result.flows}
    assert roles[gown.pickup_box] == roles[gown.dropoff_box] == "carrier"
    assert roles[gown.surgery] == "used-in"
    assert roles[gown.gown] == "start"
    # The surgeon worked in the surgery, not on the gown: the used-in process is a leaf.
    assert gown.surgeon_work not in result.ids()


def test_track_of_the_cotton_follows_it_into_gown_and_scraps(gown: Gown, shared: World) -> None:
    result = track_item(shared.ledger.store, gown.bale)
    expected = [
        "bale", "sell_cotton", "cotton", "consume_cotton", "sew",
        *by_id(gown, [
            ["produce_gown", "gown_made", "sell_gown", "gown",
             "wash1_accept_gown", "wash1", "wash1_modify_gown",
             "lend", "lent", "use_gown", "surgery", "give_back",
             "wash2_accept_gown", "wash2", "wash2_modify_gown",
             "pack_gown", "ship", "pickup_box", "dropoff_box", "unpack_gown"],
            ["produce_scraps", "scraps"],
        ], desc=False),
    ]  # fmt: skip
    assert names(gown, result.ids()) == expected


def test_track_of_the_machine_reaches_everything_it_sewed(gown: Gown, shared: World) -> None:
    result = track_item(shared.ledger.store, gown.machine)
    ids = set(names(gown, result.ids()))
    assert {"shirts1", "shirt1", "shirts2", "shirt2", "sew", "gown", "scraps"} <= ids
    assert "other" not in ids and "bale" not in ids


def test_pairing_keeps_the_other_gown_out_of_the_wash(gown: Gown, shared: World) -> None:
    store = shared.ledger.store
    ours = set(trace_item(store, gown.gown).ids())
    theirs = set(trace_item(store, gown.other).ids())
    other_only = {"other", "raise_other", "wash1_accept_other", "wash1_modify_other",
                  "pack_other", "unpack_other"}  # fmt: skip
    assert not {gown.ids[k] for k in other_only} & ours
    # Both went through the same wash and the same box: those are shared, nothing else of ours.
    shared = {"wash1", "wash1_soap", "wash1_water", "soap", "water", "raise_soap",
              "raise_water", "ship", "pickup_box", "dropoff_box"}  # fmt: skip
    assert set(names(gown, list(ours & theirs))) == shared
    # Entering the wash through the gown's modify leaves only through the gown's accept.
    from_modify = trace_item(store, gown.wash1_modify_gown, depth=2)
    assert names(gown, from_modify.ids()) == [
        "wash1_modify_gown",
        "wash1",
        "wash1_accept_gown",
        *by_id(gown, [["wash1_soap"], ["wash1_water"]], desc=True),
    ]


def test_trace_leaves_out_the_shirts_the_machine_also_sewed(gown: Gown, shared: World) -> None:
    ids = set(names(gown, trace_item(shared.ledger.store, gown.gown).ids()))
    assert not {"shirts1", "shirts2", "use_m_shirts1", "use_m_shirts2", "shirt1"} & ids


def test_depth_limits_the_walk_and_the_tree_nests_it(gown: Gown, shared: World) -> None:
    result = trace_item(shared.ledger.store, gown.gown, depth=1)
    # One step back from the gown: the events of its own breadcrumb chain, newest first.
    assert names(gown, result.ids()) == [
        "gown", "unpack_gown", "pack_gown", "wash2_modify_gown", "wash2_accept_gown",
        "give_back", "wash1_modify_gown", "wash1_accept_gown", "sell_gown",
    ]  # fmt: skip
    tree = result.tree()
    assert tree["id"] == gown.gown and len(tree["children"]) == 8
    full = trace_item(shared.ledger.store, gown.gown).tree()
    ship = full["children"][0]["children"][0]
    assert (ship["type"], ship["id"]) == (PROCESS, gown.ship)
    assert [c.get("role") for c in ship["children"]] == [None, "carrier", "carrier"]


def test_previous_and_next_are_one_step(gown: Gown, shared: World) -> None:
    store = shared.ledger.store
    assert step(store, gown.wash1, forward=False) == sorted(
        (Node(EVENT, gown.ids[k]) for k in ("wash1_accept_gown", "wash1_accept_other",
                                            "wash1_water", "wash1_soap")),
        key=lambda n: n.id,
    )  # fmt: skip
    assert step(store, gown.wash1_modify_gown, forward=False) == [Node(PROCESS, gown.wash1)]
    assert step(store, gown.wash1_accept_gown, forward=True) == [Node(PROCESS, gown.wash1)]
    assert step(store, gown.give_back, forward=True) == [Node(RESOURCE, gown.gown)]
    assert step(store, gown.give_back, forward=False) == [Node(RESOURCE, gown.lent)]
    assert step(store, gown.cotton, forward=True) == [Node(EVENT, gown.consume_cotton)]


def test_an_event_or_a_process_can_start_a_walk(gown: Gown, shared: World) -> None:
    store = shared.ledger.store
    from_event = trace_item(store, gown.produce_gown)
    assert from_event.ids()[:2] == [gown.produce_gown, gown.sew]
    from_process = track_item(store, gown.wash2)
    assert names(gown, from_process.ids()) == [
        "wash2", "wash2_modify_gown", "gown", "pack_gown", "ship", "pickup_box",
        "dropoff_box", "unpack_gown"
    ]  # fmt: skip
    with pytest.raises(NotFound):
        trace_item(store, "no-such-thing")


def test_a_process_traced_back_shows_all_its_inputs(gown: Gown, shared: World) -> None:
    """Started at a process, no event chose a pairing: every input counts (it used to crash)."""
    result = trace_item(shared.ledger.store, gown.wash2)
    inputs = ["wash2_accept_gown", "wash2_soap", "wash2_water"]
    assert [c["id"] for c in result.tree()["children"]] == sorted(
        (gown.ids[k] for k in inputs), reverse=True
    )
    ids = set(names(gown, result.ids()))
    assert {"gown", "wash1", "sew", "cotton", "raise_bale", "soap", "water"} <= ids
    assert not {"wash2_modify_gown", "pack_gown", "unpack_gown", "other"} & ids


def test_the_store_graph_walks_like_the_whole_table_in_memory(gown: Gown, shared: World) -> None:
    """The one-query reach loads every event the walk needs: same result as all events."""
    store = shared.ledger.store
    with store.engine.connect() as conn:
        cols = [events.c.id, events.c.action, events.c.input_of, events.c.output_of,
                events.c.resource_inventoried_as, events.c.to_resource_inventoried_as,
                events.c.previous_event, events.c.to_previous_event,
                events.c.corrected_by]  # fmt: skip
        rows = conn.execute(select(*cols)).all()
    for start, walk, direction in ((gown.gown, trace, "back"), (gown.bale, track, "forward"),
                                   (gown.machine, track, "forward")):  # fmt: skip
        node = Node(RESOURCE, start)
        heads = {start: store.resource(start).previous_event}
        whole = FlowGraph((EventLink(*r) for r in rows), heads)
        assert walk(load_graph(store, node, direction), node).flows == walk(whole, node).flows


def queries_of(store: SqlStore, act: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        act()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return seen


def test_a_trace_asks_a_fixed_number_of_queries(gown: Gown, shared: World) -> None:
    """No query per item: a store's first trace loads its trace index, the next ones reuse it."""
    url = shared.ledger.store.engine.url.render_as_string(hide_password=False)
    store = SqlStore.open(url)  # a store object of its own: its trace index starts empty
    try:
        cold = queries_of(store, lambda: trace_item(store, gown.gown))
        warm = queries_of(store, lambda: track_item(store, gown.bale))
    finally:
        store.close()
    # What the id names; the store's version; a snapshot (or lock), the version in it, the events.
    assert len(cold) == 5
    assert len(warm) == 2  # what the id names; the store's version, unchanged


def test_a_corrected_event_gives_way_to_its_correction(world: World) -> None:
    anna = world.agent("Anna")
    cotton = world.spec(anna, "cotton")
    made = world.event(anna, action="raise", provider=anna, receiver=anna,
                       resourceConformsTo=cotton, resourceQuantity=qty(10))  # fmt: skip
    bale, wrong = made["EconomicResource"], made["EconomicEvent"]
    fixed = world.event(anna, action="raise", provider=anna, receiver=anna,
                        resourceInventoriedAs=bale, resourceQuantity=qty(9),
                        corrects=wrong)["EconomicEvent"]  # fmt: skip
    assert trace_item(world.ledger.store, bale).ids() == [bale, fixed]
    assert track_item(world.ledger.store, bale).ids() == [bale]


def test_triggered_by_is_not_a_flow_step(world: World) -> None:
    """VF 1.0 took ``triggeredBy`` out of ``previous``/``next`` (and gave the property to Claim
    only): an event recorded with it is traced and tracked by its flows, never by its trigger."""
    anna = world.agent("Anna")
    cotton = world.spec(anna, "cotton")
    coin = world.spec(anna, "coin")
    made = world.event(anna, action="raise", provider=anna, receiver=anna,
                       resourceConformsTo=cotton, resourceQuantity=qty(10))  # fmt: skip
    bale, harvest = made["EconomicResource"], made["EconomicEvent"]
    paid = world.event(anna, action="raise", provider=anna, receiver=anna, triggeredBy=harvest,
                       resourceConformsTo=coin, resourceQuantity=qty(5, "om2:one"))  # fmt: skip
    coins, payment = paid["EconomicResource"], paid["EconomicEvent"]
    store = world.ledger.store
    assert trace_item(store, coins).ids() == [coins, payment]
    assert trace_item(store, payment).ids() == [payment]
    assert track_item(store, bale).ids() == [bale]
    assert track_item(store, harvest).ids() == [harvest, bale]
    assert step(store, payment, forward=False) == []
    assert step(store, harvest, forward=True) == [Node(RESOURCE, bale)]
