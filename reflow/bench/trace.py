"""The trace benchmark: a trace through the store against a plain in-memory DFS of the same edges.

A lineage of ``nodes`` items is recorded through the ledger: a raised resource, then step after
step a process that consumes the last resource and produces the next (4 items a step: process,
two events, resource), with a tool used in every tenth step so the graph is not a bare list.
Records are signed up front (their ids derive from their hashes) and appended in batches.

The figures, each the best of ``runs``:

* ``trace_cold_ms``: ``trace_item`` on a store whose trace index is empty (what the first trace
  of a node pays: reading every event into the index, then the walk);
* ``trace_warm_ms``: ``trace_item`` again (what every later trace pays: two small queries, the
  walk); ``index_load_ms``: the cold load alone;
* ``walk_ms``: the walk alone over the index's graph;
* ``in_memory_dfs_ms``: a plain DFS over the same graph's edges, no pairing, no breadcrumbs, no
  result list: the ceiling;
* the ratios of CPU times, the warm trace's being the target's (``ratio``), and the queries each
  trace issued (counted with SQLAlchemy's ``before_cursor_execute``).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import derive_id, sign_record
from reflow.store.sqlstore import SqlStore
from reflow.trace.algorithms import trace
from reflow.trace.graph import EVENT, PROCESS, RESOURCE, FlowGraph, Node, paused_gc
from reflow.trace.index import current_graph, forget, index_of
from reflow.trace.service import trace_item

NETWORK = "bench-trace"
BATCH = 5000


class _Signer:
    def __init__(self, seed: int) -> None:
        self.key = KeyPair(seed.to_bytes(32, "big"))
        self.seq = 0
        self.prev: str | None = None
        self.records: list[dict[str, Any]] = []

    def sign(self, kind: str, body: dict[str, Any]) -> str:
        rec = sign_record(self.key, network=NETWORK, seq=self.seq + 1, prev=self.prev, kind=kind,
                          body=body, created="2026-01-01T00:00:00Z")  # fmt: skip
        self.seq, self.prev = rec.seq, rec.hash
        self.records.append(rec.to_dict())
        return rec.hash


def lineage(nodes: int) -> tuple[list[dict[str, Any]], str]:
    """Signed records of a lineage of about ``nodes`` items, and the id of its last resource."""
    s = _Signer(7)
    me = s.key.public
    s.sign("agent.declare", {"type": "Organization", "data": {"name": "bench"}})
    spec = derive_id(s.sign("vf.create", {"type": "ResourceSpecification", "data": {"name": "x"}}))
    qty = {"hasNumericalValue": "1", "hasUnit": "om2:kilogram"}
    one = {"hasNumericalValue": "1", "hasUnit": "om2:one"}
    base = {"provider": me, "receiver": me}
    h = s.sign("vf.event", {"event": {**base, "action": "raise", "resourceConformsTo": spec,
                                      "resourceQuantity": qty}})  # fmt: skip
    last = derive_id(h, "resource")
    h = s.sign("vf.event", {"event": {**base, "action": "raise", "resourceConformsTo": spec,
                                      "resourceQuantity": one}})  # fmt: skip
    tool = derive_id(h, "resource")
    count = 2
    step = 0
    while count < nodes:
        step += 1
        proc = derive_id(s.sign("vf.create", {"type": "Process", "data": {"name": f"p{step}"}}))
        s.sign("vf.event", {"event": {**base, "action": "consume", "inputOf": proc,
                                      "resourceInventoriedAs": last,
                                      "resourceQuantity": qty}})  # fmt: skip
        if step % 10 == 0:
            s.sign("vf.event", {"event": {**base, "action": "use", "inputOf": proc,
                                          "resourceInventoriedAs": tool,
                                          "effortQuantity": {"hasNumericalValue": "1",
                                                             "hasUnit": "om2:hour"}}})  # fmt: skip
            count += 1
        h = s.sign("vf.event", {"event": {**base, "action": "produce", "outputOf": proc,
                                          "resourceConformsTo": spec,
                                          "resourceQuantity": qty}})  # fmt: skip
        last = derive_id(h, "resource")
        count += 4
    return s.records, last


def plain_dfs(g: FlowGraph, start: Node) -> int:
    """A bare DFS backwards over the same edges, no pairing or breadcrumbs: the ceiling."""
    seen = {start}
    stack = [start]
    while stack:
        n = stack.pop()
        if n.kind == RESOURCE:
            into = [e for e in g.on_res.get(n.id, ()) if e.output_of or e.action == "raise"]
            nxt = [Node(EVENT, e.id) for e in [*into, *g.on_to.get(n.id, ())]]
        elif n.kind == PROCESS:
            nxt = [Node(EVENT, e.id) for e in g.inputs.get(n.id, ())]
        else:
            e = g.events[n.id]
            nxt = [Node(PROCESS, e.output_of)] if e.output_of else (
                [Node(RESOURCE, e.res)] if e.res and e.action != "raise" else [])  # fmt: skip
        for m in nxt:
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return len(seen)


def _paused(fn: Callable[..., Any], *args: Any) -> Any:
    with paused_gc():  # the same footing as the walk, which pauses the collector too
        return fn(*args)


def _best(fn: Callable[[], Any], runs: int, setup: Callable[[], Any] | None = None
          ) -> tuple[dict[str, float], Any]:  # fmt: skip
    """Wall-clock (fastest, median) and CPU (fastest) milliseconds over ``runs`` runs.

    On a shared machine wall-clock time measures the neighbours as much as the code; CPU time
    of this process (SQLite runs in it) is the steadier figure, so the ratios use it.
    ``setup`` runs before each run, untimed.
    """
    wall, cpu = [], []
    out = None
    for _ in range(runs):
        if setup is not None:
            setup()
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
    ms = {"min": min(wall), "median": statistics.median(wall), "cpu": min(cpu)}
    return {k: round(v * 1000, 2) for k, v in ms.items()}, out


def _queries(store: SqlStore, fn: Callable[[], Any]) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return len(seen)


def _index_bytes(store: SqlStore) -> int:
    """What the loaded index holds in memory (traced allocations of one load, untimed)."""
    forget(store)
    tracemalloc.start()
    try:
        with current_graph(store):
            size, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return size


def run(url: str, nodes: int, runs: int = 5, progress: Callable[[int, int], None] | None = None
        ) -> dict[str, Any]:  # fmt: skip
    records, last = lineage(nodes)
    store = SqlStore.open(url)
    ledger = Ledger(store, NETWORK)
    t0 = time.perf_counter()
    for i in range(0, len(records), BATCH):
        for r in ledger.append_many(records[i : i + BATCH]):
            if not r.ok:
                raise RuntimeError(f"bench record refused: {r.error}")
        if progress:
            progress(min(i + BATCH, len(records)), len(records))
    build = time.perf_counter() - t0
    start = Node(RESOURCE, last)
    trace_item(store, last)  # warm the database's page cache
    forget(store)
    cold_queries = _queries(store, lambda: trace_item(store, last))
    warm_queries = _queries(store, lambda: trace_item(store, last))
    cold_s, _ = _best(lambda: trace_item(store, last), runs, setup=lambda: forget(store))
    load_s, _ = _best(lambda: index_of(store).refresh(store), runs, setup=lambda: forget(store))
    warm_s, result = _best(lambda: trace_item(store, last), runs)
    head = {last: store.resource(last).previous_event}  # type: ignore[union-attr]
    with current_graph(store) as graph:
        walk_s, _ = _best(lambda: trace(graph, start, None, head), runs)
        dfs_s, reached = _best(lambda: _paused(plain_dfs, graph, start), runs)
        events = len(graph.events)
    index_bytes = _index_bytes(store)
    store.close()
    return {
        "nodes": nodes,
        "records": len(records),
        "events": events,
        "backend": url.split(":", 1)[0],
        "build_s": round(build, 2),
        "traced_items": len(result.flows),
        "plain_dfs_items": reached,
        "trace_cold_ms": cold_s,
        "trace_warm_ms": warm_s,
        "index_load_ms": load_s,
        "walk_ms": walk_s,
        "in_memory_dfs_ms": dfs_s,
        "ratio": round(warm_s["cpu"] / max(dfs_s["cpu"], 1e-9), 2),
        "ratio_uses": "trace_warm_ms.cpu / in_memory_dfs_ms.cpu",
        "ratio_cold_to_dfs": round(cold_s["cpu"] / max(dfs_s["cpu"], 1e-9), 2),
        "ratio_walk_to_dfs": round(walk_s["cpu"] / max(dfs_s["cpu"], 1e-9), 2),
        "queries_cold": cold_queries,
        "queries_warm": warm_queries,
        "index_bytes_per_event": round(index_bytes / max(events, 1)),
        "targets": {"trace_ms_at_10k": 100, "ratio": 2},
    }
