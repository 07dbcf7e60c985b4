"""Per-request batch loading, so nested fields cost one query per kind, not one per object.

A connection resolver *wants* the ids its nodes refer to; the first field that needs any of
them loads everything wanted so far with one ``IN (...)`` query. The loaders live for one request
(one database connection, one cache) and are dropped after each write, so a mutation's answer
shows what the mutation did.
"""

from __future__ import annotations

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


class ReverseLoader:
    """Rows that point *to* a parent (a process's input events, a container's contents),
    loaded for every wanted parent at once."""

    def __init__(
        self, owner: Loaders, table: Table, column: str, convert: Callable[[Any], Node]
    ) -> None:
        self.owner = owner
        self.table = table
        self.column = column
        self.convert = convert
        self.cache: dict[str, list[Node]] = {}
        self.pending: set[str] = set()

    def want(self, parent: str) -> None:
        if parent not in self.cache:
            self.pending.add(parent)

    def get(self, parent: str) -> list[Node]:
        if parent not in self.cache:
            self.pending.add(parent)
            batch = sorted(self.pending)
            self.pending.clear()
            found: dict[str, list[Node]] = {p: [] for p in batch}
            col = self.table.c[self.column]
            for start in range(0, len(batch), 500):
                rows = (
                    self.owner.conn()
                    .execute(
                        select(self.table)
                        .where(col.in_(batch[start : start + 500]))
                        .order_by(self.table.c.id)
                    )
                    .all()
                )
                for row in rows:
                    node = self.convert(row)
                    found[row._mapping[self.column]].append(node)
            self.cache.update(found)
            self.owner.prime(n for nodes in found.values() for n in nodes)
        return self.cache[parent]


# (GraphQL type whose nodes are parents, name, table, column pointing to the parent)
_REVERSE: list[tuple[str, str, Table, str, Callable[[Any], Node]]] = [
    ("Process", "inputs", events, "input_of", event_node),
    ("Process", "outputs", events, "output_of", event_node),
    ("EconomicResource", "contains", resources, "contained_in", resource_node),
]


class Loaders:
    """The loaders of one request, over one lazily opened connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self.by_kind = {k: Loader(self, t, c) for k, (t, c) in _TABLES.items()}
        self.reverse = {name: ReverseLoader(self, t, col, c) for _, name, t, col, c in _REVERSE}

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
        self.reverse = {name: ReverseLoader(self, t, col, c) for _, name, t, col, c in _REVERSE}

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

    def prime(self, nodes: Iterable[Node]) -> None:
        """Remember the nodes and want every id they refer to (one query per kind later)."""
        for node in nodes:
            typename = node.get("__typename", "")
            kind = _KIND_OF.get(typename, "object")
            self.by_kind[kind].cache.setdefault(node["id"], node)
            for field, loader in REFS.get(typename, {}).items():
                self.by_kind[loader].want([node.get(field)])
            for parent_type, name, _t, _c, _f in _REVERSE:
                if parent_type == typename:
                    self.reverse[name].want(node["id"])
            for field, loader in LIST_REFS.get(typename, {}).items():
                value = node.get(field)
                if isinstance(value, list):
                    self.by_kind[loader].want(value)
