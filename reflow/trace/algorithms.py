"""Track and trace: ValueFlows' ``previous``/``next`` and the walks built on them. Pure, no I/O.

The VF spec (``algorithms/track.md``) defines one step (``previous``/``next``) for resources,
events and processes, and a depth-first walk with a visited set that uses *pairing sets* so a
walk that enters a repair, cleaning or transport process through one resource's ``modify``,
``dropoff`` or ``separate`` leaves it only through that same resource's ``accept``, ``pickup`` or
``combine`` — never through the other things that passed through the same process. Its
``previousEvent`` breadcrumbs order a resource's history without clocks (they are unreliable in a
distributed system); siblings with no breadcrumb between them are ordered by id.

What this module adds to the spec's sketch, and why:

* A resource is walked *along its breadcrumb chain* from the point where the walk reached it
  (its ``previousEvent`` now, or the breadcrumb the arriving event carries), so repeated
  processes on one resource come out in causal order and nothing later than that point is
  taken for a cause. Each chain link is walked once, which keeps the walk linear.
* The item's own lineage (the start, what passed through pairs, custody copies across
  transfers) shows everything that happened to it, uses included ("lineage" mode); a resource
  that was merely an input of a traced process shows only how it came to be ("input" mode), so
  a sewing machine's other jobs never leak into a gown's trace.
* A process the item was only *used* in (surgery) appears as a leaf in a trace: it happened to
  the item but did not make it.
* Containers: a trace that enters a process through ``separate`` of R also shows the container's
  legs (its ``pickup``/``dropoff`` in that process) as leaves — how R travelled — without
  walking into the container's own history; a track that enters through ``combine`` alike.
* Events that a later event corrects are left out; their correction stands in for them.

``triggeredBy`` is not a step: VF 1.0 took it out of the event's ``previous``/``next`` in
``track.md`` and narrowed the property to a Claim's (valueflows commit 7818ab5, "remove
triggeredBy", 2024), so an event recorded with it is walked by its flows alone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from reflow.errors import NotFound
from reflow.trace.graph import EVENT, PROCESS, RESOURCE, EventLink, FlowGraph, Node, paused_gc

LINEAGE, INPUT = "lineage", "input"
PAIR_BACK = {"modify": "accept", "dropoff": "pickup", "separate": "combine"}
PAIR_FORWARD = {v: k for k, v in PAIR_BACK.items()}
PASS_IN = frozenset(PAIR_FORWARD)  # inputs that pass a resource through a process
PASS_OUT = frozenset(PAIR_BACK)
INTO = frozenset({"produce", "raise", "lower", "separate"})  # add to res without a process too
HAPPENINGS = frozenset({"use", "cite", "accept", "pickup", "combine"})
_START = "\x00start"  # position marker: "from the resource's newest (or first) breadcrumb"


class Flow(NamedTuple):
    """One item of a walk: the node, the node it was reached from, its depth and its role."""

    node: Node
    parent: Node | None
    depth: int
    role: str = "flow"  # start | flow | carrier (a container's leg) | used-in (a leaf process)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.node.kind, "id": self.node.id, "depth": self.depth}
        out["parent"] = self.parent.id if self.parent else None
        if self.role != "flow":
            out["role"] = self.role
        return out


@dataclass(slots=True)
class FlowResult:
    """An ordered flow list (the walk's visiting order) that also reads as a tree."""

    start: Node
    direction: str
    flows: list[Flow] = field(default_factory=list)
    # Events the walk stepped over along breadcrumb chains (listed or not): what a verifier
    # needs to repeat the walk.
    walked: set[str] = field(default_factory=set)

    @property
    def nodes(self) -> list[Node]:
        return [f.node for f in self.flows]

    def ids(self, kind: str | None = None) -> list[str]:
        return [f.node.id for f in self.flows if kind is None or f.node.kind == kind]

    def tree(self) -> dict[str, Any]:
        """The walk as nested ``{"type", "id", "role"?, "children"}``, children in walk order."""
        made: dict[Node, dict[str, Any]] = {}
        root: dict[str, Any] = {}
        for f in self.flows:
            item: dict[str, Any] = {"type": f.node.kind, "id": f.node.id, "children": []}
            if f.role not in ("flow", "start"):
                item["role"] = f.role
            made[f.node] = item
            if f.parent is None:
                root = item
            else:
                made[f.parent]["children"].append(item)
        return root


# The walk runs once per item of a trace, so it is written for CPython's costs: the stack holds
# plain tuples, children are pushed straight onto it (last pushed, first walked), and nodes and
# flows are built with ``tuple.__new__`` (a NamedTuple's own ``__new__`` is a Python function
# that costs as much again).
_new = tuple.__new__
Task = tuple[Node, Node | None, int, Any, str]  # node, parent, depth, how it was reached, role
_LEG = ("leg", None)
_INPUT = ("input", None)
_OUTPUT = ("output", None)


def _by_id(e: EventLink) -> str:
    return e.id


class _Walk:
    __slots__ = ("events", "forward", "g", "heads", "limit", "visited", "walked")

    def __init__(
        self, g: FlowGraph, forward: bool, depth: int | None, heads: Mapping[str, str | None]
    ) -> None:
        self.g = g
        self.events = g.events
        self.heads = heads
        self.forward = forward
        self.limit = sys.maxsize if depth is None else depth
        self.visited: set[Node] = set()
        self.walked: set[tuple[str, str, str]] = set()  # (mode, resource, event) chain links

    def run(self, start: Node) -> FlowResult:
        _check_start(self.g, start, self.heads)
        result = FlowResult(start, "track" if self.forward else "trace")
        # A start process was entered through no event: no pairing applies (ctx None).
        ctx: Any = {RESOURCE: (_START, LINEAGE), EVENT: ("start", None)}.get(start.kind)
        stack: list[Task] = [(start, None, 0, ctx, "start")]
        expand = self._forward if self.forward else self._back
        visited = self.visited
        flows = result.flows
        limit = self.limit
        pop = stack.pop
        while stack:
            node, parent, depth, ctx, role = pop()
            if depth > limit:
                continue
            if node in visited:
                if node[0] == EVENT:
                    continue
                # Reached again at another point: continue it in place (the spec's jump to the
                # saved breadcrumb) without listing it twice.
                expand(node, ctx, parent, depth, stack)
                continue
            visited.add(node)
            flows.append(_new(Flow, (node, parent, depth, role)))
            if depth < limit:
                expand(node, ctx, node, depth + 1, stack)
        result.walked = {key[2] for key in self.walked}
        return result

    # -- backwards -----------------------------------------------------------------------------

    def _back(self, node: Node, ctx: Any, parent: Node | None, d: int, stack: list[Task]) -> None:
        kind, nid = node
        if kind == RESOURCE:
            pos, mode = ctx
            self._chain_back(nid, self.heads.get(nid) if pos == _START else pos, mode, parent, d,
                             stack)  # fmt: skip
            return
        if kind == PROCESS:
            if ctx != "leaf":
                self._process_back(nid, ctx, parent, d, stack)
            return
        e = self.events[nid]
        how = ctx[0]
        if how == "leg":
            return
        if how == "chain":
            if e.to == ctx[1] and e.res is not None:
                stack.append((_new(Node, (RESOURCE, e.res)), parent, d,
                              (e.previous_event, LINEAGE), "flow"))  # fmt: skip
            elif e.output_of is not None:
                stack.append((_new(Node, (PROCESS, e.output_of)), parent, d, e, "flow"))
            elif e.input_of is not None:
                stack.append((_new(Node, (PROCESS, e.input_of)), parent, d, "leaf", "used-in"))
            return
        if e.output_of is not None:
            stack.append((_new(Node, (PROCESS, e.output_of)), parent, d, e, "flow"))
        elif how == "start" and e.action in ("raise", "lower") and e.previous_event is None:
            return
        elif e.res is not None:
            mode = LINEAGE if how == "start" or e.action in PASS_IN else INPUT
            stack.append((_new(Node, (RESOURCE, e.res)), parent, d, (e.previous_event, mode),
                          "flow"))  # fmt: skip

    def _chain_back(
        self, rid: str, pos: str | None, mode: str, parent: Node | None, d: int, stack: list[Task]
    ) -> None:
        """Push ``rid``'s breadcrumb chain from ``pos`` backwards (newest walked first)."""
        events = self.events
        walked = self.walked
        chain = ("chain", rid)  # one context for all the events of this chain
        found: list[Task] = []
        eid = pos
        while eid is not None:
            key = (mode, rid, eid)
            if key in walked:
                break
            walked.add(key)
            e = events.get(eid)
            if e is None:
                break
            if e.corrected_by is None and _into(e, rid, mode):
                found.append((_new(Node, (EVENT, eid)), parent, d, chain, "flow"))
            eid = e.previous_event if e.res == rid else e.to_previous_event
        if found:
            found.reverse()
            stack.extend(found)

    def _process_back(
        self, pid: str, via: EventLink | None, parent: Node | None, d: int, stack: list[Task]
    ) -> None:
        """Push a process's inputs: the pair of ``via`` (or all, without it), breadcrumb first,
        then the container's legs, then the rest by id descending."""
        ins = self.g.inputs.get(pid)
        if not ins:
            return
        live = [e for e in ins if e.corrected_by is None]
        if len(live) > 1:
            live.sort(key=_by_id, reverse=True)
        if via is None:
            kids = [(_new(Node, (EVENT, e.id)), parent, d, _INPUT, "flow") for e in live]
            kids.reverse()
            stack.extend(kids)
            return
        action, vres = via.action, via.res
        pair = PAIR_BACK.get(action)
        carrier = None
        if action == "separate":
            carrier = next((e.to for e in live if e.action == "combine" and e.res == vres), None)
        kids: list[Task] = []
        legs: list[Task] = []
        if carrier is not None:
            outs = sorted(self.g.outputs.get(pid, ()), key=_by_id, reverse=True)
            legs = [
                (_new(Node, (EVENT, e.id)), parent, d, _LEG, "carrier")
                for e in outs
                if e.res == carrier and e.action in ("dropoff", "modify") and not e.corrected_by
            ]
        crumb = via.previous_event
        first: Task | None = None
        for e in live:
            if e.action in PASS_IN and not (e.action == pair and e.res == vres):
                # Another item passing through: only the container's own leg is shown.
                if carrier is not None and e.res == carrier and e.action != "combine":
                    legs.append((_new(Node, (EVENT, e.id)), parent, d, _LEG, "carrier"))
                continue
            task = (_new(Node, (EVENT, e.id)), parent, d, _INPUT, "flow")
            if first is None and e.id == crumb:
                first = task
            else:
                kids.append(task)
        # Walked in this order: the breadcrumb, the legs, the others (pushed in reverse).
        kids.reverse()
        stack.extend(kids)
        legs.reverse()
        stack.extend(legs)
        if first is not None:
            stack.append(first)

    # -- forwards ------------------------------------------------------------------------------

    def _forward(
        self, node: Node, ctx: Any, parent: Node | None, d: int, stack: list[Task]
    ) -> None:
        kind, nid = node
        if kind == RESOURCE:
            pos = ctx[0]
            self._chain_forward(nid, None if pos == _START else pos, parent, d, stack)
            return
        if kind == PROCESS:
            self._process_forward(nid, ctx, parent, d, stack)
            return
        e = self.events[nid]
        how = ctx[0]
        if how == "leg":
            return
        if e.input_of is not None:
            stack.append((_new(Node, (PROCESS, e.input_of)), parent, d, e, "flow"))
        elif e.to is not None and e.action != "combine":
            stack.append((_new(Node, (RESOURCE, e.to)), parent, d, (e.id, LINEAGE), "flow"))
        elif how != "chain" and e.res is not None and e.action != "lower":
            stack.append((_new(Node, (RESOURCE, e.res)), parent, d, (e.id, LINEAGE), "flow"))

    def _chain_forward(
        self, rid: str, pos: str | None, parent: Node | None, d: int, stack: list[Task]
    ) -> None:
        """Push the events after ``pos`` on ``rid``, depth first along the breadcrumbs, each
        branch in id order."""
        after = self.g.after
        walked = self.walked
        chain = ("chain", rid)  # one context for all the events of this chain
        found: list[Task] = []
        todo = _sorted_desc(after.get((rid, pos)))
        while todo:
            e = todo.pop()
            key = ("f", rid, e.id)
            if key in walked:
                continue
            walked.add(key)
            if e.corrected_by is None and _out_of(e, rid):
                found.append((_new(Node, (EVENT, e.id)), parent, d, chain, "flow"))
            nxt = after.get((rid, e.id))
            if nxt:
                todo.extend(_sorted_desc(nxt))
        if found:
            found.reverse()
            stack.extend(found)

    def _process_forward(
        self, pid: str, via: EventLink | None, parent: Node | None, d: int, stack: list[Task]
    ) -> None:
        """Push a process's outputs: the container's legs, then those that follow ``via`` by
        their breadcrumb, then the rest by id (the pair of ``via`` only, of pass-through ones)."""
        outs = self.g.outputs.get(pid, ())
        live = [e for e in outs if e.corrected_by is None]
        if len(live) > 1:
            live.sort(key=_by_id)
        legs: list[Task] = []
        if via is None:
            kids = [(_new(Node, (EVENT, e.id)), parent, d, _OUTPUT, "flow") for e in live]
        else:
            pair = PAIR_FORWARD.get(via.action)
            vres, vid = via.res, via.id
            carrier = via.to if via.action == "combine" else None
            if carrier is not None:
                legs = [
                    (_new(Node, (EVENT, e.id)), parent, d, _LEG, "carrier")
                    for e in sorted(self.g.inputs.get(pid, ()), key=_by_id)
                    if e.res == carrier and e.action in ("pickup", "accept") and not e.corrected_by
                ]
            first: list[Task] = []
            kids = []
            for e in live:
                if e.action in PASS_OUT and not (e.action == pair and e.res == vres):
                    if carrier is not None and e.res == carrier:
                        legs.append((_new(Node, (EVENT, e.id)), parent, d, _LEG, "carrier"))
                    continue
                task = (_new(Node, (EVENT, e.id)), parent, d, _OUTPUT, "flow")
                (first if e.previous_event == vid else kids).append(task)
            kids = first + kids
        # Walked in this order: the legs, then the outputs (pushed in reverse).
        kids.reverse()
        stack.extend(kids)
        if legs:
            legs.reverse()
            stack.extend(legs)


def _sorted_desc(events: list[EventLink] | None) -> list[EventLink]:
    """``events`` by id descending, as a new list (popped from the end: ascending)."""
    if not events:
        return []
    if len(events) == 1:
        return [events[0]]
    return sorted(events, key=_by_id, reverse=True)


def _into(e: EventLink, rid: str, mode: str) -> bool:
    """Whether event ``e`` on ``rid``'s chain belongs to ``rid``'s history in this mode."""
    if e.to == rid:
        return e.action != "combine"
    if e.res != rid:
        return False
    if e.output_of is not None or e.action in INTO:
        return True
    return mode == LINEAGE and e.action in HAPPENINGS


def _out_of(e: EventLink, rid: str) -> bool:
    """Whether event ``e`` on ``rid``'s chain takes ``rid`` somewhere (into a process, away)."""
    return e.res == rid and e.output_of is None and e.action not in ("produce", "raise", "separate")


def _check_start(g: FlowGraph, start: Node, heads: Mapping[str, str | None]) -> None:
    kind = start.kind
    if kind == RESOURCE:
        known = start.id in heads or g.has_resource(start.id)
    elif kind == EVENT:
        known = start.id in g.events
    elif kind == PROCESS:
        return  # a process with no events yet is a walk of one item
    else:
        raise NotFound(f"unknown item type {kind!r}", field="type")
    if not known:
        raise NotFound(f"no {kind} {start.id!r} in the flow graph", field="id")


def trace(
    g: FlowGraph,
    start: Node,
    depth: int | None = None,
    heads: Mapping[str, str | None] | None = None,
) -> FlowResult:
    """Everything that went into ``start``, walking backwards; ``depth`` limits the steps.

    ``heads`` gives resources' newest breadcrumbs in place of the graph's own (a shared graph
    whose resources' breadcrumbs move on is told the start's as it is now).
    """
    with paused_gc():
        return _Walk(g, False, depth, g.heads if heads is None else heads).run(start)


def track(
    g: FlowGraph,
    start: Node,
    depth: int | None = None,
    heads: Mapping[str, str | None] | None = None,
) -> FlowResult:
    """Everything ``start`` went into, walking forwards; ``depth`` limits the steps."""
    with paused_gc():
        return _Walk(g, True, depth, g.heads if heads is None else heads).run(start)


def _sorted(nodes: Iterable[Node]) -> list[Node]:
    return sorted(set(nodes), key=lambda n: n.id)


def previous(g: FlowGraph, item: Node) -> list[Node]:
    """One step back, as the spec defines it (no pairing: that needs a path), ordered by id."""
    if item.kind == RESOURCE:
        rid = item.id
        into = [e for e in g.on_res.get(rid, ()) if e.output_of or e.action in INTO]
        into += g.on_to.get(rid, [])
        return _sorted(Node(EVENT, e.id) for e in into if not e.corrected_by)
    if item.kind == PROCESS:
        return _sorted(Node(EVENT, e.id) for e in g.inputs.get(item.id, ()) if not e.corrected_by)
    e = g.events.get(item.id)
    if e is None:
        raise NotFound(f"no economic event {item.id!r}", field="id")
    if e.output_of is not None:
        return [Node(PROCESS, e.output_of)]
    if e.action in ("raise", "lower") and e.previous_event is None:
        return []
    return [Node(RESOURCE, e.res)] if e.res is not None else []


def next_(g: FlowGraph, item: Node) -> list[Node]:
    """One step forward, as the spec defines it, ordered by id (``next`` is a builtin)."""
    if item.kind == RESOURCE:
        outs = [e for e in g.on_res.get(item.id, ()) if _out_of(e, item.id)]
        return _sorted(Node(EVENT, e.id) for e in outs if not e.corrected_by)
    if item.kind == PROCESS:
        return _sorted(Node(EVENT, e.id) for e in g.outputs.get(item.id, ()) if not e.corrected_by)
    e = g.events.get(item.id)
    if e is None:
        raise NotFound(f"no economic event {item.id!r}", field="id")
    if e.input_of is not None:
        return [Node(PROCESS, e.input_of)]
    if e.res is not None and (e.output_of is not None or e.action in ("produce", "raise")):
        return [Node(RESOURCE, e.res)]
    if e.to is not None and e.action != "combine":
        return [Node(RESOURCE, e.to)]
    return []
