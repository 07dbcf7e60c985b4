"""Track and trace over a node's store: load the graph in one query, then walk it in memory.

This is what the CLI, the API and the passport call; the walk itself is pure
(``reflow.trace.algorithms``) and the loading set-based (``reflow.trace.graph``).
"""

from __future__ import annotations

from reflow.errors import RuleViolation
from reflow.store.sqlstore import SqlStore
from reflow.trace.algorithms import FlowResult, next_, previous, trace, track
from reflow.trace.graph import Node, load_graph, load_neighbourhood, start_node


def _depth(depth: int | None) -> int | None:
    if depth is not None and depth < 0:
        raise RuleViolation("depth must be 0 or more", field="depth", rule="non-negative")
    return depth


def trace_item(store: SqlStore, item_id: str, depth: int | None = None) -> FlowResult:
    """Trace a resource, event or process backwards to its sources."""
    start = start_node(store, item_id)
    return trace(load_graph(store, start, "back"), start, _depth(depth))


def track_item(store: SqlStore, item_id: str, depth: int | None = None) -> FlowResult:
    """Track a resource, event or process forwards to wherever it went."""
    start = start_node(store, item_id)
    return track(load_graph(store, start, "forward"), start, _depth(depth))


def step(store: SqlStore, item_id: str, forward: bool) -> list[Node]:
    """``previous`` (or ``next``) of one item: the items one flow step away."""
    start = start_node(store, item_id)
    graph = load_neighbourhood(store, start)
    return next_(graph, start) if forward else previous(graph, start)
