"""Track and trace over a node's store: the store's trace index, brought up to date, walked.

This is what the CLI and the API call. A trace asks the database two questions whatever its
length: what the id names (with a resource's newest breadcrumb), then the store's version, to
bring the trace index (``reflow.trace.index``) up to date; the walk itself is pure
(``reflow.trace.algorithms``).
"""

from __future__ import annotations

from reflow.errors import RuleViolation
from reflow.store.sqlstore import SqlStore
from reflow.trace.algorithms import FlowResult, next_, previous, trace, track
from reflow.trace.graph import RESOURCE, Node, load_neighbourhood, locate, start_node
from reflow.trace.index import current_graph


def _depth(depth: int | None) -> int | None:
    if depth is not None and depth < 0:
        raise RuleViolation("depth must be 0 or more", field="depth", rule="non-negative")
    return depth


def trace_item(store: SqlStore, item_id: str, depth: int | None = None) -> FlowResult:
    """Trace a resource, event or process backwards to its sources."""
    return _walk(store, item_id, depth, forward=False)


def track_item(store: SqlStore, item_id: str, depth: int | None = None) -> FlowResult:
    """Track a resource, event or process forwards to wherever it went."""
    return _walk(store, item_id, depth, forward=True)


def _walk(store: SqlStore, item_id: str, depth: int | None, forward: bool) -> FlowResult:
    limit = _depth(depth)
    # The start is read before the index is brought up to date, so the index holds at least
    # every event up to the start's breadcrumb.
    start, head = locate(store, item_id)
    heads = {start.id: head} if start.kind == RESOURCE else {}
    with current_graph(store) as graph:
        return (track if forward else trace)(graph, start, limit, heads)


def step(store: SqlStore, item_id: str, forward: bool) -> list[Node]:
    """``previous`` (or ``next``) of one item: the items one flow step away."""
    start = start_node(store, item_id)
    graph = load_neighbourhood(store, start)
    return next_(graph, start) if forward else previous(graph, start)
