"""The trace index never answers from a stale state, on every backend.

Each store keeps the links of every event in memory (``reflow.trace.index``) and brings them up
to date before each trace. These scenarios write, trace, then write more — through the same
ledger, through a second store on the same database (as another process would), corrections,
rebuilds, a writer thread — and check every trace against one walked over a graph read from the
tables just then (the one-query reach load, no index).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from support import NETWORK, World, qty

from reflow.ledger.ledger import Ledger
from reflow.store.rebuild import rebuild
from reflow.store.sqlstore import SqlStore
from reflow.trace.algorithms import Flow, trace, track
from reflow.trace.graph import load_graph, locate
from reflow.trace.index import index_of
from reflow.trace.service import trace_item, track_item


def from_tables(store: SqlStore, item: str, forward: bool = False) -> list[Flow]:
    """The walk over a graph read from the tables now, without the index."""
    start, _head = locate(store, item)
    graph = load_graph(store, start, "forward" if forward else "back")
    return (track if forward else trace)(graph, start).flows


class Lineage:
    """Cotton raised, then step after step a process consuming the last product making the next."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.maker = world.agent("Mia (maker)")
        self.spec = world.spec(self.maker, "yarn")
        made = self.event(action="raise", resourceConformsTo=self.spec, resourceQuantity=qty(10))
        self.first = self.last = made["EconomicResource"]
        self.steps = 0

    def event(self, **fields: object) -> dict[str, str]:
        return self.world.event(self.maker, provider=self.maker, receiver=self.maker, **fields)

    def step(self, world: World | None = None) -> str:
        """One more step, written through ``world`` (another store's) if given."""
        w = world or self.world
        me = self.maker
        self.steps += 1
        proc = w.process(me, f"step {self.steps}")
        w.event(me, provider=me, receiver=me, action="consume", inputOf=proc,
                resourceInventoriedAs=self.last, resourceQuantity=qty(1))  # fmt: skip
        made = w.event(me, provider=me, receiver=me, action="produce", outputOf=proc,
                       resourceConformsTo=self.spec, resourceQuantity=qty(1))  # fmt: skip
        self.last = made["EconomicResource"]
        return proc


@pytest.fixture
def other(database_url: str, world: World) -> Iterator[World]:
    """A second store and ledger on the same database, signing on the same agents' chains."""
    store = SqlStore.open(database_url)
    twin = World(Ledger(store, NETWORK))
    twin.keys, twin.chain = world.keys, world.chain
    yield twin
    store.close()


def test_writes_through_the_same_ledger_reach_the_next_trace(world: World) -> None:
    store = world.ledger.store
    line = Lineage(world)
    line.step()
    before = trace_item(store, line.last)
    proc = line.step()
    after = trace_item(store, line.last)
    assert proc in after.ids() and proc not in before.ids()
    assert after.flows == from_tables(store, line.last)
    assert track_item(store, line.first).flows == from_tables(store, line.first, forward=True)
    # The second trace read only what the new records added.
    assert index_of(store).loads == {"full": 1, "delta": 1}


def test_writes_from_another_store_reach_the_next_trace(world: World, other: World) -> None:
    store = world.ledger.store
    line = Lineage(world)
    line.step()
    assert trace_item(store, line.last).flows == from_tables(store, line.last)
    proc = line.step(other)  # written by another store object, as another process would
    after = trace_item(store, line.last)
    assert proc in after.ids()
    assert after.flows == from_tables(store, line.last)
    tracked = track_item(store, line.first)
    assert line.last in tracked.ids()
    assert tracked.flows == from_tables(store, line.first, forward=True)


def test_a_correction_written_elsewhere_takes_the_corrected_event_out(
    world: World, other: World
) -> None:
    store = world.ledger.store
    line = Lineage(world)
    made = line.event(action="raise", resourceConformsTo=line.spec, resourceQuantity=qty(10))
    bale, wrong = made["EconomicResource"], made["EconomicEvent"]
    assert trace_item(store, bale).ids() == [bale, wrong]
    fixed = other.event(line.maker, provider=line.maker, receiver=line.maker, action="raise",
                        resourceInventoriedAs=bale, resourceQuantity=qty(9),
                        corrects=wrong)["EconomicEvent"]  # fmt: skip
    # The index had the raise as it was; its row now says who corrected it.
    assert trace_item(store, bale).ids() == [bale, fixed]


def tamper(store: SqlStore, event_id: str) -> None:
    """Change a projection row behind the ledger's back (what a rebuild puts right)."""
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE economic_events SET corrected_by = 'nobody' WHERE id = :i"),
            {"i": event_id},
        )


@pytest.mark.parametrize("by", ["the tracing store", "another store"])
def test_a_rebuild_is_seen_by_the_next_trace(world: World, other: World, by: str) -> None:
    line = Lineage(world)
    line.step()
    good = trace_item(world.ledger.store, line.last).flows
    produce = good[1].node.id  # the step's produce event, first on the product's chain
    tamper(world.ledger.store, produce)
    tracer = other.ledger.store
    # A store that loads its index now holds the tampered row: the produce is left out.
    assert [f.node.id for f in trace_item(tracer, line.last).flows] == [line.last]
    rebuild(tracer if by == "the tracing store" else world.ledger.store, NETWORK)
    # The log did not grow, but the rows were rewritten: the index is loaded again.
    assert trace_item(tracer, line.last).flows == good
    assert index_of(tracer).loads == {"full": 2, "delta": 0}


def test_traces_while_another_thread_writes(world: World, other: World) -> None:
    """Walks run under the index's lock: none sees a half-applied update or fails."""
    store = world.ledger.store
    line = Lineage(world)
    line.step()
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for _ in range(8):
                line.step(other)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    lengths = []
    while not done.is_set():
        lengths.append(len(track_item(store, line.first).flows))
        trace_item(store, line.first)
    writer.join()
    assert not errors
    assert lengths and lengths == sorted(lengths)  # the lineage only grows
    assert track_item(store, line.first).flows == from_tables(store, line.first, forward=True)
    assert trace_item(store, line.last).flows == from_tables(store, line.last)
