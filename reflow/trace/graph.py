"""The flow graph a walk runs over, and the set-based reads that fill it.

A trace must not ask the database once per node (a lineage of 10 000 steps would be 10 000
round trips). Traces walk the store's trace index (``reflow.trace.index``: every event's links,
read in one query and kept current), located by ``locate`` in one more. ``load_graph`` reads
just the reach of one walk: one recursive SQL query (``WITH RECURSIVE``, the same text on SQLite
and PostgreSQL) finds every resource and process that can be reached in the direction of the
walk, and returns in the same statement the few columns of every event that touches them; the
value service uses it (it wants the events behind a product, not the whole graph), and tests
check the index against it. Walks (``reflow.trace.algorithms``) run over plain dictionaries
with no I/O.

The reach is a superset of what the walk keeps: it ignores the pairing rules (those need the
path), so a container's or a shared input's other events may be loaded and then left out.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

from sqlalchemy import text

from reflow.errors import NotFound
from reflow.store.sqlstore import SqlStore

Direction = Literal["back", "forward"]

RESOURCE = "EconomicResource"
EVENT = "EconomicEvent"
PROCESS = "Process"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or walking a large graph.

    A walk allocates hundreds of thousands of small tuples and creates no reference cycles;
    Python's collector would rescan the whole growing heap again and again (at 100 000 items
    that made loading three times slower), so it is paused and restored afterwards.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Node(NamedTuple):
    """One item of a flow: its VF type and id."""

    kind: str
    id: str


class EventLink(NamedTuple):
    """What the walk needs of an EconomicEvent: its action and the ids it links."""

    id: str
    action: str
    input_of: str | None
    output_of: str | None
    res: str | None  # resourceInventoriedAs
    to: str | None  # toResourceInventoriedAs
    previous_event: str | None  # breadcrumb on ``res``
    to_previous_event: str | None  # breadcrumb on ``to``
    corrected_by: str | None


class FlowGraph:
    """Events indexed every way the walk looks them up; resources' newest breadcrumb.

    The per-resource indexes are built on first use (a backward walk never needs them) and
    from then on kept current by ``put``, so a graph that lives on (the store's trace index)
    takes new events without rebuilding them.
    """

    def __init__(self, events: Iterable[EventLink], heads: dict[str, str | None]) -> None:
        self.events: dict[str, EventLink] = {}
        self.inputs: dict[str, list[EventLink]] = {}
        self.outputs: dict[str, list[EventLink]] = {}
        self.heads = heads  # resource id -> its previousEvent now
        self.processes: set[str] = set()
        self._by_resource: tuple[dict[str, list[EventLink]], ...] | None = None
        self._after: dict[tuple[str, str | None], list[EventLink]] | None = None
        for e in events:
            self.add(e)

    def add(self, e: EventLink) -> None:
        """Add an event not seen before (one seen before is left as it is)."""
        if e.id in self.events:
            return
        self.events[e.id] = e
        self._link(e)

    def put(self, e: EventLink) -> None:
        """Add an event, or replace what is known of it (a correction sets ``corrected_by``)."""
        old = self.events.get(e.id)
        if old is not None:
            if old == e:
                return
            self._unlink(old)
        self.events[e.id] = e
        self._link(e)

    def _link(self, e: EventLink) -> None:
        if e.input_of is not None:
            self.inputs.setdefault(e.input_of, []).append(e)
            self.processes.add(e.input_of)
        if e.output_of is not None:
            self.outputs.setdefault(e.output_of, []).append(e)
            self.processes.add(e.output_of)
        if self._by_resource is not None or self._after is not None:
            for index, key in self._resource_keys(e):
                index.setdefault(key, []).append(e)

    def _unlink(self, e: EventLink) -> None:
        if e.input_of is not None:
            _remove(self.inputs, e.input_of, e)
        if e.output_of is not None:
            _remove(self.outputs, e.output_of, e)
        for pid in (e.input_of, e.output_of):
            if pid is not None and pid not in self.inputs and pid not in self.outputs:
                self.processes.discard(pid)
        for index, key in self._resource_keys(e):
            _remove(index, key, e)

    def _resource_keys(self, e: EventLink) -> list[tuple[dict[Any, list[EventLink]], Any]]:
        """Where ``e`` goes in the per-resource indexes already built (none before first use)."""
        keys: list[tuple[dict[Any, list[EventLink]], Any]] = []
        if self._by_resource is not None:
            on_res, on_to = self._by_resource
            if e.res is not None:
                keys.append((on_res, e.res))
            if e.to is not None and e.action != "combine":
                keys.append((on_to, e.to))
        if self._after is not None:
            if e.res is not None:
                keys.append((self._after, (e.res, e.previous_event)))
            if e.to is not None and e.action != "combine":
                keys.append((self._after, (e.to, e.to_previous_event)))
        return keys

    def _resource_index(self) -> tuple[dict[str, list[EventLink]], ...]:
        if self._by_resource is None:
            on_res: dict[str, list[EventLink]] = {}
            on_to: dict[str, list[EventLink]] = {}
            for e in self.events.values():
                if e.res is not None:
                    on_res.setdefault(e.res, []).append(e)
                if e.to is not None and e.action != "combine":  # combine's "to" is a container
                    on_to.setdefault(e.to, []).append(e)
            self._by_resource = (on_res, on_to)
        return self._by_resource

    @property
    def on_res(self) -> dict[str, list[EventLink]]:
        """resource -> events with it as resourceInventoriedAs."""
        return self._resource_index()[0]

    @property
    def on_to(self) -> dict[str, list[EventLink]]:
        """resource -> events with it as toResourceInventoriedAs (not combine's container)."""
        return self._resource_index()[1]

    @property
    def after(self) -> dict[tuple[str, str | None], list[EventLink]]:
        """(resource, breadcrumb) -> the events that came right after it on that resource."""
        if self._after is None:
            after: dict[tuple[str, str | None], list[EventLink]] = {}
            for e in self.events.values():
                if e.res is not None:
                    after.setdefault((e.res, e.previous_event), []).append(e)
                if e.to is not None and e.action != "combine":
                    after.setdefault((e.to, e.to_previous_event), []).append(e)
            self._after = after
        return self._after

    def has_resource(self, rid: str) -> bool:
        return rid in self.heads or rid in self.on_res or rid in self.on_to

    def kind_of(self, item_id: str) -> str | None:
        if item_id in self.events:
            return EVENT
        if self.has_resource(item_id):
            return RESOURCE
        if item_id in self.processes:
            return PROCESS
        return None


def _remove(index: dict[Any, list[EventLink]], key: Any, e: EventLink) -> None:
    """Take ``e`` out of ``index[key]`` (the very object: equal links are the same event)."""
    items = index.get(key)
    if items is None:
        return
    items[:] = [x for x in items if x is not e]
    if not items:
        del index[key]


# The columns of economic_events the walk reads, in EventLink's order.
LINK_COLS = (
    "e.id, e.action, e.input_of, e.output_of, e.resource_inventoried_as, "
    "e.to_resource_inventoried_as, e.previous_event, e.to_previous_event, e.corrected_by"
)

# Backwards: a resource leads to the process its outputs came from and to the source of the
# transfers into it; a process leads to the resources of its inputs.
_BACK_STEP = """
  SELECT CASE
      WHEN e.to_resource_inventoried_as = r.id AND e.action <> 'combine'
        THEN e.resource_inventoried_as
      WHEN e.resource_inventoried_as = r.id THEN e.output_of
      WHEN e.input_of = r.id THEN e.resource_inventoried_as
    END
  FROM reach r JOIN economic_events e
    ON e.to_resource_inventoried_as = r.id OR e.resource_inventoried_as = r.id
       OR e.input_of = r.id
"""

# Forwards: a resource leads to the processes it went into and to the resources it was
# transferred or moved to; a process leads to the resources of its outputs.
_FORWARD_STEP = """
  SELECT CASE
      WHEN e.resource_inventoried_as = r.id THEN COALESCE(e.input_of,
        CASE WHEN e.action <> 'combine' THEN e.to_resource_inventoried_as END)
      WHEN e.output_of = r.id THEN e.resource_inventoried_as
    END
  FROM reach r JOIN economic_events e
    ON e.resource_inventoried_as = r.id OR e.output_of = r.id
"""


def _query(direction: Direction, n_seeds: int) -> str:
    """The portable query (PostgreSQL): one recursive term, then every event touching the reach."""
    seeds = " UNION ".join(f"SELECT CAST(:s{i} AS VARCHAR)" for i in range(n_seeds))
    step = _BACK_STEP if direction == "back" else _FORWARD_STEP
    return f"""
WITH RECURSIVE reach(id) AS ({seeds} UNION {step}),
ids AS (SELECT id FROM reach WHERE id IS NOT NULL)
SELECT {LINK_COLS} FROM economic_events e
WHERE e.resource_inventoried_as IN (SELECT id FROM ids)
   OR e.to_resource_inventoried_as IN (SELECT id FROM ids)
   OR e.input_of IN (SELECT id FROM ids)
   OR e.output_of IN (SELECT id FROM ids)
"""


# SQLite (3.34+) allows several recursive terms: one per kind of step, each probing only the
# index it needs (k = 'R' resource, 'P' process), and the final joins fetch each event about once.
_SQLITE_STEPS = {
    "back": """
  UNION SELECT e.resource_inventoried_as, 'R' FROM reach r JOIN economic_events e
    ON e.to_resource_inventoried_as = r.id
    WHERE r.k = 'R' AND e.action <> 'combine' AND e.resource_inventoried_as IS NOT NULL
  UNION SELECT e.output_of, 'P' FROM reach r JOIN economic_events e
    ON e.resource_inventoried_as = r.id WHERE r.k = 'R' AND e.output_of IS NOT NULL
  UNION SELECT e.resource_inventoried_as, 'R' FROM reach r JOIN economic_events e
    ON e.input_of = r.id WHERE r.k = 'P' AND e.resource_inventoried_as IS NOT NULL""",
    "forward": """
  UNION SELECT e.input_of, 'P' FROM reach r JOIN economic_events e
    ON e.resource_inventoried_as = r.id WHERE r.k = 'R' AND e.input_of IS NOT NULL
  UNION SELECT e.to_resource_inventoried_as, 'R' FROM reach r JOIN economic_events e
    ON e.resource_inventoried_as = r.id
    WHERE r.k = 'R' AND e.action <> 'combine' AND e.to_resource_inventoried_as IS NOT NULL
  UNION SELECT e.resource_inventoried_as, 'R' FROM reach r JOIN economic_events e
    ON e.output_of = r.id WHERE r.k = 'P' AND e.resource_inventoried_as IS NOT NULL""",
}
# Events on reached resources, plus those the steps did not bring: a process's events with no
# resource (work, services) and, forwards, transfers into a reached resource from elsewhere.
_SQLITE_FETCH = {
    "back": f"""
SELECT {LINK_COLS} FROM reach r JOIN economic_events e
  ON e.resource_inventoried_as = r.id WHERE r.k = 'R'
UNION ALL SELECT {LINK_COLS} FROM reach r JOIN economic_events e
  ON e.input_of = r.id WHERE r.k = 'P' AND e.resource_inventoried_as IS NULL""",
    "forward": f"""
SELECT {LINK_COLS} FROM reach r JOIN economic_events e
  ON e.resource_inventoried_as = r.id WHERE r.k = 'R'
UNION ALL SELECT {LINK_COLS} FROM reach r JOIN economic_events e
  ON e.to_resource_inventoried_as = r.id WHERE r.k = 'R' AND e.action <> 'combine'
UNION ALL SELECT {LINK_COLS} FROM reach r JOIN economic_events e
  ON e.output_of = r.id WHERE r.k = 'P' AND e.resource_inventoried_as IS NULL""",
}


def _sqlite_query(direction: Direction, kinds: list[str]) -> str:
    seeds = " UNION ".join(f"SELECT :s{i}, '{k}'" for i, k in enumerate(kinds))
    return (
        f"WITH RECURSIVE reach(id, k) AS ({seeds}{_SQLITE_STEPS[direction]})"
        f"{_SQLITE_FETCH[direction]}"
    )


# What an id names, and a resource's newest breadcrumb, in one round trip (resource first).
_LOCATE = """
SELECT 0, previous_event FROM economic_resources WHERE id = :i
UNION ALL SELECT 1, NULL FROM economic_events WHERE id = :i
UNION ALL SELECT 2, NULL FROM vf_objects WHERE id = :i AND type = 'Process'
ORDER BY 1
"""


def locate(store: SqlStore, item_id: str) -> tuple[Node, str | None]:
    """Which kind of thing ``item_id`` names and, for a resource, its ``previousEvent`` now.

    NotFound if it names nothing that can be traced.
    """
    with store.engine.connect() as conn:
        row = conn.execute(text(_LOCATE), {"i": item_id}).first()
    if row is None:
        raise NotFound(f"nothing to trace with id {item_id!r}", field="id")
    return Node((RESOURCE, EVENT, PROCESS)[row[0]], item_id), row[1]


def start_node(store: SqlStore, item_id: str) -> Node:
    """Which kind of thing ``item_id`` names (resource, event or process); NotFound if none."""
    return locate(store, item_id)[0]


def load_graph(store: SqlStore, start: Node, direction: Direction) -> FlowGraph:
    """Every event the walk from ``start`` may need, in one query (plus the start's row)."""
    heads: dict[str, str | None] = {}
    with store.engine.connect() as conn:
        if start.kind == RESOURCE:
            row = conn.execute(
                text("SELECT previous_event FROM economic_resources WHERE id = :i"),
                {"i": start.id},
            ).first()
            if row is None:
                raise NotFound(f"no economic resource {start.id!r}", field="id")
            heads[start.id] = row[0]
            seeds = [(start.id, "R")]
        elif start.kind == EVENT:
            row = conn.execute(
                text(f"SELECT {LINK_COLS} FROM economic_events e WHERE e.id = :i"), {"i": start.id}
            ).first()
            if row is None:
                raise NotFound(f"no economic event {start.id!r}", field="id")
            ev = EventLink(*row)
            seeds = [(x, "R") for x in (ev.res, ev.to) if x is not None]
            seeds += [(x, "P") for x in (ev.input_of, ev.output_of) if x is not None]
        else:
            seeds = [(start.id, "P")]
        if not seeds:
            return FlowGraph([ev], heads)
        params = {f"s{i}": s for i, (s, _k) in enumerate(seeds)}
        with paused_gc():
            if store.dialect == "sqlite":
                # sqlite3 takes :name parameters itself; reading the driver's cursor directly
                # spares building a SQLAlchemy Row for each of thousands of rows (the query
                # still goes through the engine, its events and its connection pool).
                sql = _sqlite_query(direction, [k for _s, k in seeds])
                result = conn.exec_driver_sql(sql, params)
                rows = result.cursor.fetchall()
                result.close()
            else:
                rows = conn.execute(text(_query(direction, len(seeds))), params).all()
            return FlowGraph((EventLink(*r) for r in rows), heads)


def load_neighbourhood(store: SqlStore, start: Node) -> FlowGraph:
    """The events one step from ``start`` (for ``previous``/``next``), in one query."""
    sql = (
        f"SELECT {LINK_COLS} FROM economic_events e WHERE e.id = :i "
        "OR e.resource_inventoried_as = :i OR e.to_resource_inventoried_as = :i "
        "OR e.input_of = :i OR e.output_of = :i"
    )
    with store.engine.connect() as conn:
        rows = conn.execute(text(sql), {"i": start.id}).all()
    return FlowGraph((EventLink(*r) for r in rows), {})
