"""The trace benchmark: a trace through the store against a plain in-memory DFS of the same edges.

A lineage of ``nodes`` items is recorded through the ledger: a raised resource, then step after
step a process that consumes the last resource and produces the next (4 items a step: process,
two events, resource), with a tool used in every tenth step so the graph is not a bare list.
Records are signed up front (their ids derive from their hashes) and appended in batches.
The figures: the full store trace (one recursive query + the walk), the walk alone over the
loaded graph, a plain DFS over the same adjacency (the ceiling), the ratio, and the queries the
trace issued (counted with SQLAlchemy's ``before_cursor_execute``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import derive_id, sign_record
from reflow.store.sqlstore import SqlStore
from reflow.trace.algorithms import trace
from reflow.trace.graph import EVENT, PROCESS, RESOURCE, FlowGraph, Node, load_graph, paused_gc
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


def _best(fn: Callable[[], Any], runs: int) -> tuple[dict[str, float], Any]:
    """Wall-clock (fastest, median) and CPU (fastest) milliseconds over ``runs`` runs.

    On a shared machine wall-clock time measures the neighbours as much as the code; CPU time
    of this process (SQLite runs in it) is the steadier figure, so the ratios use it.
    """
    wall, cpu = [], []
    out = None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
    ms = {"min": min(wall), "median": statistics.median(wall), "cpu": min(cpu)}
    return {k: round(v * 1000, 2) for k, v in ms.items()}, out


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
    queries: list[str] = []

    def count(*args: Any) -> None:
        queries.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    store_s, result = _best(lambda: trace_item(store, last), 1)
    event.remove(store.engine, "before_cursor_execute", count)
    store_s, result = _best(lambda: trace_item(store, last), runs)
    load_s, graph = _best(lambda: load_graph(store, start, "back"), runs)
    walk_s, _ = _best(lambda: trace(graph, start), runs)
    dfs_s, reached = _best(lambda: _paused(plain_dfs, graph, start), runs)
    store.close()
    return {
        "nodes": nodes,
        "records": len(records),
        "backend": url.split(":", 1)[0],
        "build_s": round(build, 2),
        "traced_items": len(result.flows),
        "plain_dfs_items": reached,
        "trace_ms": store_s,
        "load_ms": load_s,
        "walk_ms": walk_s,
        "in_memory_dfs_ms": dfs_s,
        "ratio_trace_to_dfs": round(store_s["cpu"] / max(dfs_s["cpu"], 1e-9), 2),
        "ratio_walk_to_dfs": round(walk_s["cpu"] / max(dfs_s["cpu"], 1e-9), 2),
        "queries": len(queries),
        "targets": {"trace_ms_at_10k": 100, "ratio": 2},
    }
