"""Per-request batch loading, so nested fields cost one query per kind, not one per object.

A connection resolver *wants* the ids its nodes refer to; the first field that needs any of
them loads everything wanted so far with one ``IN (...)`` query. The loaders live for one request
(one database connection, one cache) and are dropped after each write, so a mutation's answer
shows what the mutation did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from reflow.api.nodes import event_node, object_node, resource_node
from reflow.store.schema import events, resources, vf_objects

Node = dict[str, Any]

_FLOW_REFS = {
    "provider": "object", "receiver": "object", "inputOf": "object", "outputOf": "object",
    "resourceInventoriedAs": "resource", "resourceConformsTo": "object", "atLocation": "object",
    "stage": "object", "plannedWithin": "object",
}  # fmt: skip

# Which loader each reference field of each GraphQL type goes through.
REFS: dict[str, dict[str, str]] = {
    "EconomicResource": {
        "conformsTo": "object", "lot": "object", "stage": "object", "containedIn": "resource",
        "primaryAccountable": "object", "custodian": "object", "currentLocation": "object",
        "createdBy": "event", "previous": "event",
    },
    "EconomicEvent": {
        "inputOf": "object", "outputOf": "object", "provider": "object", "receiver": "object",
        "resourceInventoriedAs": "resource", "toResourceInventoriedAs": "resource",
        "resourceConformsTo": "object", "atLocation": "object", "toLocation": "object",
        "triggeredBy": "event", "corrects": "event", "realizationOf": "object",
        "correctedBy": "event", "previous": "event", "toPrevious": "event",
    },
    "Process": {"basedOn": "object", "atLocation": "object", "plannedWithin": "object"},
    "Person": {"primaryLocation": "object"},
    "Organization": {"primaryLocation": "object"},
    "EcologicalAgent": {"primaryLocation": "object"},
    "Intent": _FLOW_REFS,
    "Commitment": {**_FLOW_REFS, "independentDemandOf": "object", "clauseOf": "object"},
    "Claim": {
        "provider": "object", "receiver": "object", "resourceConformsTo": "object",
        "triggeredBy": "event",
    },
    "Proposal": {"eligibleLocation": "object"},
    "Agreement": {"bundledIn": "object"},
    "Recipe": {"primaryOutput": "object"},
    "RecipeProcess": {"processConformsTo": "object"},
    "RecipeFlow": {
        "recipeInputOf": "object", "recipeOutputOf": "object", "resourceConformsTo": "object",
        "stage": "object", "recipeClauseOf": "object",
    },
    "Fulfillment": {"fulfilledBy": "event", "fulfills": "object"},
    "Settlement": {"settledBy": "event", "settles": "object"},
    "Satisfaction": {"satisfies": "object"},
    "ProposedIntent": {"publishedIn": "object", "publishes": "object"},
    "ProposedTo": {"proposed": "object", "proposedTo": "object"},
}  # fmt: skip
# Fields holding lists of ids (the GraphQL field has the data key's name).
LIST_REFS: dict[str, dict[str, str]] = {
    "Plan": {"hasIndependentDemand": "object"},
    "Agreement": {"stipulates": "object", "stipulatesReciprocal": "object"},
    "Recipe": {"recipeIncludes": "object"},
    "ProposalList": {"lists": "object"},
}

# Lists of ids a node's 0.x join fields point through (a commitment's ``satisfies``: the
# Satisfaction joins' targets): wanted when the node is loaded, like LIST_REFS.
JOIN_LISTS: dict[str, tuple[str, ...]] = {
    "Commitment": ("satisfies",),
    "EconomicEvent": ("fulfills", "satisfies", "settles"),
}
# Fields that name either an event or another object (wanted from both loaders).
EITHER_REFS: dict[str, tuple[str, ...]] = {"Satisfaction": ("satisfiedBy",)}

_TABLES: dict[str, tuple[Table, Callable[[Any], Node]]] = {
    "object": (vf_objects, object_node),
    "resource": (resources, resource_node),
    "event": (events, event_node),
}


_STATEMENTS: dict[tuple[str, str, int], str] = {}
_KIND_OF = {"EconomicResource": "resource", "EconomicEvent": "event"}


class Loader:
    def __init__(self, owner: Loaders, table: Table, convert: Callable[[Any], Node]) -> None:
        self.owner = owner
        self.table = table
        self.convert = convert
        self.cache: dict[str, Node | None] = {}
        self.pending: set[str] = set()

    def want(self, ids: Iterable[str | None]) -> None:
        for i in ids:
            if isinstance(i, str) and i not in self.cache:
                self.pending.add(i)

    def get(self, object_id: Any) -> Node | None:
        if not isinstance(object_id, str):
            return None
        if object_id not in self.cache:
            self.pending.add(object_id)
            self._load()
        return self.cache.get(object_id)

    def get_many(self, ids: Iterable[Any]) -> list[Node]:
        ids = [i for i in ids if isinstance(i, str)]
        self.want(ids)
        out = [self.get(i) for i in ids]
        return [n for n in out if n is not None]

    def put(self, node: Node) -> None:
        self.cache[node["id"]] = node

    def _load(self) -> None:
        batch = sorted(self.pending)
        self.pending.clear()
        for i in batch:
            self.cache[i] = None
        for start in range(0, len(batch), 500):
            chunk = batch[start : start + 500]
            rows = self.owner.fetch_by_ids(self.table, chunk)
            loaded = [self.convert(row) for row in rows]
            for node in loaded:
                self.cache[node["id"]] = node
            self.owner.prime(loaded)  # the next level of references, in one query per kind


# A batched reverse lookup: for a batch of parent ids, the rows that point to each, in order.
BatchFetch = Callable[["Loaders", list[str]], dict[str, list[Node]]]
LOOKUPS: dict[str, BatchFetch] = {}
# GraphQL type -> the lookups whose parents are nodes of that type (wanted when one is primed).
LOOKUPS_OF_TYPE: dict[str, list[str]] = {}
BATCH = 500  # parents per query


def register_lookup(name: str, parent_types: Iterable[str], fetch: BatchFetch) -> None:
    """Declare a reverse lookup (``name``) over nodes of ``parent_types``.

    Every node of those types the request loads is *wanted*; the first ``Loaders.lookup`` of
    any of them fetches for all wanted at once, so a list of N parents costs one query, not N.
    """
    LOOKUPS[name] = fetch
    for t in parent_types:
        names = LOOKUPS_OF_TYPE.setdefault(t, [])
        if name not in names:
            names.append(name)


# A batched connection: for a batch of parent ids and the field's arguments, each one's page.
PageFetch = Callable[["Loaders", list[str], dict[str, Any]], dict[str, dict[str, Any]]]
PAGE_LOOKUPS: dict[str, PageFetch] = {}


def register_page_lookup(name: str, parent_types: Iterable[str], fetch: PageFetch) -> None:
    """Declare a connection field (``name``) of ``parent_types`` loaded for all parents at once."""
    PAGE_LOOKUPS[name] = fetch
    for t in parent_types:
        names = LOOKUPS_OF_TYPE.setdefault(t, [])
        if name not in names:
            names.append(name)


def column_lookup(table: Table, column: str, convert: Callable[[Any], Node]) -> BatchFetch:
    """Rows of ``table`` whose ``column`` holds the parent's id, ordered by id."""
    col = table.c[column]

    def fetch(loaders: Loaders, parents: list[str]) -> dict[str, list[Node]]:
        found: dict[str, list[Node]] = {}
        for start in range(0, len(parents), BATCH):
            chunk = parents[start : start + BATCH]
            rows = loaders.conn().execute(select(table).where(col.in_(chunk)).order_by(table.c.id))
            for row in rows:
                found.setdefault(row._mapping[column], []).append(convert(row))
        return found

    return fetch


register_lookup("inputs", ["Process"], column_lookup(events, "input_of", event_node))
register_lookup("outputs", ["Process"], column_lookup(events, "output_of", event_node))
register_lookup(
    "contains", ["EconomicResource"], column_lookup(resources, "contained_in", resource_node)
)


class Loaders:
    """The loaders of one request, over one lazily opened connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self.by_kind = {k: Loader(self, t, c) for k, (t, c) in _TABLES.items()}
        self.found: dict[str, dict[str, Any]] = {}  # lookup -> parent -> rows (or a page)
        self.wanted: dict[str, set[str]] = {}  # lookup -> parents not fetched yet

    def fetch_by_ids(self, table: Table, ids: list[str]) -> list[Any]:
        """Rows of ``table`` with these ids, through a statement text compiled once per size.

        This is the hot path of every read, so it skips SQLAlchemy's per-call compilation.
        """
        style = self.engine.dialect.paramstyle
        key = (style, table.name, len(ids))
        sql = _STATEMENTS.get(key)
        if sql is None:
            mark = "?" if style == "qmark" else "%s"
            cols = ", ".join(c.name for c in table.columns)
            sql = f"SELECT {cols} FROM {table.name} WHERE id IN ({', '.join([mark] * len(ids))})"
            _STATEMENTS[key] = sql
        return list(self.conn().exec_driver_sql(sql, tuple(ids)).all())

    def conn(self) -> Connection:
        if self._conn is None:
            self._conn = self.engine.connect()
        return self._conn

    def reset(self) -> None:
        """Forget everything read so far (after a write)."""
        self.close()
        self.by_kind = {k: Loader(self, t, c) for k, (t, c) in _TABLES.items()}
        self.found = {}
        self.wanted = {}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def objects(self) -> Loader:
        return self.by_kind["object"]

    @property
    def resources(self) -> Loader:
        return self.by_kind["resource"]

    @property
    def events(self) -> Loader:
        return self.by_kind["event"]

    def lookup(self, name: str, parent: str) -> list[Node]:
        """The rows of lookup ``name`` that point to ``parent``; fetched for every wanted
        parent at once."""
        found = self.found.setdefault(name, {})
        if parent not in found:
            batch = self.wanted.pop(name, set())
            batch.add(parent)
            batch.difference_update(found)
            parents = sorted(batch)
            fetched = LOOKUPS[name](self, parents)
            for p in parents:
                found[p] = fetched.get(p, [])
            self.prime(n for p in parents for n in found[p])
        return found[parent]

    def page(self, name: str, parent: str, args: dict[str, Any]) -> dict[str, Any]:
        """The page of connection ``name`` of ``parent`` for these arguments; fetched for every
        wanted parent at once (the same field of a list's items has the same arguments)."""
        key = f"{name}:{json.dumps(args, sort_keys=True, default=str)}"
        found = self.found.setdefault(key, {})
        if parent not in found:
            parents = sorted((self.wanted.get(name, set()) - found.keys()) | {parent})
            fetched = PAGE_LOOKUPS[name](self, parents, args)
            found.update(fetched)
            self.prime(e["node"] for p in parents for e in fetched[p]["edges"])
        page: dict[str, Any] = found[parent]
        return page

    def prime(self, nodes: Iterable[Node]) -> None:
        """Remember the nodes and want every id they refer to (one query per kind later)."""
        for node in nodes:
            typename = node.get("__typename", "")
            kind = _KIND_OF.get(typename, "object")
            self.by_kind[kind].cache.setdefault(node["id"], node)
            for field, loader in REFS.get(typename, {}).items():
                self.by_kind[loader].want([node.get(field)])
            for name in LOOKUPS_OF_TYPE.get(typename, ()):
                self.wanted.setdefault(name, set()).add(node["id"])
            for field in JOIN_LISTS.get(typename, ()):
                value = node.get(field)
                if isinstance(value, list):
                    self.by_kind["object"].want(value)
            for field in EITHER_REFS.get(typename, ()):
                self.by_kind["event"].want([node.get(field)])
                self.by_kind["object"].want([node.get(field)])
            for field, loader in LIST_REFS.get(typename, {}).items():
                value = node.get(field)
                if isinstance(value, list):
                    self.by_kind[loader].want(value)
