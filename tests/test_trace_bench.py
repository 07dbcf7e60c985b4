"""The trace benchmark's lineage, small: a fixed number of queries per trace whatever its length
(no N+1), and the walk reaches what a plain DFS over the same edges reaches."""

from __future__ import annotations

from sqlalchemy import event

from reflow.bench.trace import NETWORK, lineage, plain_dfs
from reflow.ledger.ledger import Ledger
from reflow.store.sqlstore import SqlStore
from reflow.trace.graph import RESOURCE, Node
from reflow.trace.index import current_graph
from reflow.trace.service import trace_item


def test_a_long_lineage_is_traced_whole_in_a_fixed_number_of_queries(
    sqlite_store: SqlStore,
) -> None:
    records, last = lineage(2000)
    receipts = Ledger(sqlite_store, NETWORK).append_many(records)
    assert all(r.status == "applied" for r in receipts)
    queries: list[str] = []

    def count(*args: object) -> None:
        queries.append(str(args[2]))

    event.listen(sqlite_store.engine, "before_cursor_execute", count)
    try:
        result = trace_item(sqlite_store, last)
        cold = len(queries)
        trace_item(sqlite_store, last)
    finally:
        event.remove(sqlite_store.engine, "before_cursor_execute", count)
    assert (cold, len(queries) - cold) == (5, 2)
    with current_graph(sqlite_store) as graph:
        reached = plain_dfs(graph, Node(RESOURCE, last))
    # The walk reaches every item a plain DFS over the same edges reaches: 4 items a step,
    # the raised resource and its raise, the tool and its raise.
    assert len(result.flows) == reached >= 2000
    assert result.flows[-1].node.kind == "EconomicEvent"  # the walk ends at a raise
