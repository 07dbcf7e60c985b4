"""What a value walk reads of the store: the events, resources and processes behind a product.

A trace must not ask the database once per node, so this reuses the trace's set-based loader
(``reflow.trace.graph.load_graph``: one recursive query finds every event reachable backwards
from the product) and then fetches the value columns of those events, every output of the
processes reached (a second shirt takes its part of the sewing), the resources they name and the
processes' plans, each in a few ``IN`` queries. The walk over them is pure
(``reflow.value.contributions``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, text

from reflow.errors import NotFound
from reflow.store.sqlstore import SqlStore
from reflow.trace.graph import RESOURCE, Node, load_graph


@dataclass(frozen=True, slots=True)
class Ev:
    id: str
    action: str
    provider: str
    receiver: str
    input_of: str | None
    output_of: str | None
    res: str | None
    to: str | None
    conforms_to: str | None
    quantity: Decimal | None
    unit: str | None
    effort: Decimal | None
    effort_unit: str | None
    time: str | None
    corrected_by: str | None


@dataclass(frozen=True, slots=True)
class Res:
    id: str
    conforms_to: str | None
    unit: str | None
    accountable: str | None


@dataclass
class Facts:
    events: dict[str, Ev]
    resources: dict[str, Res]
    plans: dict[str, str]  # process -> plan


def _chunks(ids: list[str], n: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(ids), n):
        yield ids[i : i + n]


def _dec(v: str | None) -> Decimal | None:
    return Decimal(v) if v is not None else None


_EV_COLS = (
    "SELECT id, action, provider, receiver, input_of, output_of, resource_inventoried_as, "
    "to_resource_inventoried_as, resource_conforms_to, resource_quantity, resource_unit, "
    "effort_quantity, effort_unit, COALESCE(has_point_in_time, has_end, has_beginning), "
    "corrected_by "
)


def load_facts(store: SqlStore, product: str) -> Facts:
    """The events, resources and processes behind ``product``: one recursive query, few IN's."""
    graph = load_graph(store, Node(RESOURCE, product), "back")
    ids = sorted(graph.events)
    events: dict[str, Ev] = {}
    resources: dict[str, Res] = {}
    plans: dict[str, str] = {}
    ev_sql = text(_EV_COLS + "FROM economic_events WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    res_sql = text(
        "SELECT id, conforms_to, unit, primary_accountable FROM economic_resources WHERE id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    proc_sql = text(
        "SELECT id, data FROM vf_objects WHERE type = 'Process' AND id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    # A process's other outputs (a second shirt) are not on the way back, but they take their
    # part of the process: fetch every output of the processes reached.
    outs_sql = text(_EV_COLS + "FROM economic_events WHERE output_of IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    with store.engine.connect() as conn:
        for sql, keys in ((ev_sql, ids), (outs_sql, sorted(graph.processes))):
            for part in _chunks(keys):
                for r in conn.execute(sql, {"ids": part}):
                    events[r[0]] = Ev(
                        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], _dec(r[9]), r[10],
                        _dec(r[11]), r[12], r[13], r[14],
                    )  # fmt: skip
        rids = sorted({x for e in events.values() for x in (e.res, e.to) if x} | {product})
        for part in _chunks(rids):
            for r in conn.execute(res_sql, {"ids": part}):
                resources[r[0]] = Res(r[0], r[1], r[2], r[3])
        pids = sorted({x for e in events.values() for x in (e.input_of, e.output_of) if x})
        for part in _chunks(pids):
            for r in conn.execute(proc_sql, {"ids": part}):
                plan = json.loads(r[1]).get("plannedWithin")
                if plan:
                    plans[r[0]] = plan
    if product not in resources:
        raise NotFound(f"no economic resource {product!r}", field="product")
    return Facts(events, resources, plans)
