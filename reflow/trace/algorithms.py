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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Flow:
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


Task = tuple[Node, Node | None, int, Any, str]  # node, parent, depth, how it was reached, role


class _Walk:
    def __init__(self, g: FlowGraph, forward: bool, depth: int | None) -> None:
        self.g = g
        self.forward = forward
        self.limit = depth
        self.visited: set[Node] = set()
        self.walked: set[tuple[str, str, str]] = set()  # (mode, resource, event) chain links

    def run(self, start: Node) -> FlowResult:
        _check_start(self.g, start)
        result = FlowResult(start, "track" if self.forward else "trace")
        # A start process was entered through no event: no pairing applies (ctx None).
        ctx: Any = {RESOURCE: (_START, LINEAGE), EVENT: ("start", None)}.get(start.kind)
        stack: list[Task] = [(start, None, 0, ctx, "start")]
        children = self._forward if self.forward else self._back
        while stack:
            node, parent, depth, ctx, role = stack.pop()
            if self.limit is not None and depth > self.limit:
                continue
            if node in self.visited:
                if node.kind == EVENT:
                    continue
                # Reached again at another point: continue it in place (the spec's jump to the
                # saved breadcrumb) without listing it twice.
                self._push(stack, children(node, ctx), parent, depth)
                continue
            self.visited.add(node)
            result.flows.append(Flow(node, parent, depth, role))
            if self.limit is None or depth < self.limit:
                self._push(stack, children(node, ctx), node, depth + 1)
        result.walked = {key[2] for key in self.walked}
        return result

    def _push(
        self, stack: list[Task], kids: list[tuple[Node, Any, str]], parent: Node | None, d: int
    ) -> None:
        for node, ctx, role in reversed(kids):
            if node.kind != EVENT or node not in self.visited:
                stack.append((node, parent, d, ctx, role))

    # -- backwards -----------------------------------------------------------------------------

    def _back(self, node: Node, ctx: Any) -> list[tuple[Node, Any, str]]:
        g = self.g
        if node.kind == RESOURCE:
            pos, mode = ctx
            return self._chain_back(node.id, g.heads.get(node.id) if pos == _START else pos, mode)
        if node.kind == PROCESS:
            return [] if ctx == "leaf" else self._process_back(node.id, ctx)
        e = g.events[node.id]
        how, on = ctx
        if how == "leg":
            return []
        if how == "chain":
            if e.to == on and e.res is not None:
                return [(Node(RESOURCE, e.res), (e.previous_event, LINEAGE), "flow")]
            if e.output_of is not None:
                return [(Node(PROCESS, e.output_of), e, "flow")]
            if e.input_of is not None:
                return [(Node(PROCESS, e.input_of), "leaf", "used-in")]
            return []
        kids: list[tuple[Node, Any, str]] = []
        if e.output_of is not None:
            kids.append((Node(PROCESS, e.output_of), e, "flow"))
        elif how == "start" and e.action in ("raise", "lower") and e.previous_event is None:
            return []
        elif e.res is not None:
            mode = LINEAGE if how == "start" or e.action in PASS_IN else INPUT
            kids.append((Node(RESOURCE, e.res), (e.previous_event, mode), "flow"))
        return kids

    def _chain_back(self, rid: str, pos: str | None, mode: str) -> list[tuple[Node, Any, str]]:
        out: list[tuple[Node, Any, str]] = []
        eid = pos
        while eid is not None:
            key = (mode, rid, eid)
            if key in self.walked:
                break
            self.walked.add(key)
            e = self.g.events.get(eid)
            if e is None:
                break
            if e.corrected_by is None and _into(e, rid, mode):
                out.append((Node(EVENT, e.id), ("chain", rid), "flow"))
            eid = e.previous_event if e.res == rid else e.to_previous_event
        return out

    def _process_back(self, pid: str, via: EventLink | None) -> list[tuple[Node, Any, str]]:
        live = sorted(
            (e for e in self.g.inputs.get(pid, ()) if e.corrected_by is None),
            key=lambda e: e.id,
            reverse=True,
        )
        pair = PAIR_BACK.get(via.action) if via is not None else None
        carrier = None
        if via is not None and via.action == "separate":
            carrier = next((e.to for e in live if e.action == "combine" and e.res == via.res), None)
        kids: list[tuple[Node, Any, str]] = []
        legs: list[tuple[Node, Any, str]] = []
        if carrier is not None:
            legs = [
                (Node(EVENT, e.id), ("leg", None), "carrier")
                for e in sorted(self.g.outputs.get(pid, ()), key=lambda e: e.id, reverse=True)
                if e.res == carrier and e.action in ("dropoff", "modify") and not e.corrected_by
            ]
        for e in live:
            if e.action in PASS_IN and via is not None:
                if e.action == pair and e.res == via.res:
                    kids.append((Node(EVENT, e.id), ("input", None), "flow"))
                elif carrier is not None and e.res == carrier and e.action != "combine":
                    legs.append((Node(EVENT, e.id), ("leg", None), "carrier"))
                continue
            kids.append((Node(EVENT, e.id), ("input", None), "flow"))
        crumb = via.previous_event if via is not None else None
        kids.sort(key=lambda k: k[0].id != crumb)  # stable: the breadcrumb first, then by id
        return kids[:1] + legs + kids[1:] if kids and kids[0][0].id == crumb else legs + kids

    # -- forwards ------------------------------------------------------------------------------

    def _forward(self, node: Node, ctx: Any) -> list[tuple[Node, Any, str]]:
        g = self.g
        if node.kind == RESOURCE:
            pos, _mode = ctx
            return self._chain_forward(node.id, None if pos == _START else pos)
        if node.kind == PROCESS:
            return self._process_forward(node.id, ctx if isinstance(ctx, EventLink) else None)
        e = g.events[node.id]
        how, _on = ctx
        if how == "leg":
            return []
        kids: list[tuple[Node, Any, str]] = []
        if e.input_of is not None:
            kids.append((Node(PROCESS, e.input_of), e, "flow"))
        elif e.to is not None and e.action != "combine":
            kids.append((Node(RESOURCE, e.to), (e.id, LINEAGE), "flow"))
        elif how != "chain" and e.res is not None and e.action != "lower":
            kids.append((Node(RESOURCE, e.res), (e.id, LINEAGE), "flow"))
        return kids

    def _chain_forward(self, rid: str, pos: str | None) -> list[tuple[Node, Any, str]]:
        out: list[tuple[Node, Any, str]] = []
        after = self.g.after
        todo = sorted(after.get((rid, pos), ()), key=lambda e: e.id, reverse=True)
        while todo:
            e = todo.pop()
            key = ("f", rid, e.id)
            if key in self.walked:
                continue
            self.walked.add(key)
            if e.corrected_by is None and _out_of(e, rid):
                out.append((Node(EVENT, e.id), ("chain", rid), "flow"))
            todo.extend(sorted(after.get((rid, e.id), ()), key=lambda e: e.id, reverse=True))
        return out

    def _process_forward(self, pid: str, via: EventLink | None) -> list[tuple[Node, Any, str]]:
        live = sorted(
            (e for e in self.g.outputs.get(pid, ()) if e.corrected_by is None), key=lambda e: e.id
        )
        pair = PAIR_FORWARD.get(via.action) if via is not None else None
        carrier = via.to if via is not None and via.action == "combine" else None
        kids: list[tuple[Node, Any, str]] = []
        legs: list[tuple[Node, Any, str]] = []
        if carrier is not None:
            legs = [
                (Node(EVENT, e.id), ("leg", None), "carrier")
                for e in sorted(self.g.inputs.get(pid, ()), key=lambda e: e.id)
                if e.res == carrier and e.action in ("pickup", "accept") and not e.corrected_by
            ]
        for e in live:
            if e.action in PASS_OUT and via is not None:
                if e.action == pair and e.res == via.res:
                    kids.append((Node(EVENT, e.id), ("output", None), "flow"))
                elif carrier is not None and e.res == carrier:
                    legs.append((Node(EVENT, e.id), ("leg", None), "carrier"))
                continue
            kids.append((Node(EVENT, e.id), ("output", None), "flow"))
        first = [k for k in kids if via is not None and _crumb_of(self.g, k[0].id) == via.id]
        rest = [k for k in kids if k not in first]
        return legs + first + rest


def _crumb_of(g: FlowGraph, eid: str) -> str | None:
    return g.events[eid].previous_event


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


def _check_start(g: FlowGraph, start: Node) -> None:
    known = {
        RESOURCE: g.has_resource(start.id),
        EVENT: start.id in g.events,
        PROCESS: start.id in g.processes,
    }.get(start.kind)
    if known is None:
        raise NotFound(f"unknown item type {start.kind!r}", field="type")
    if not known and start.kind != PROCESS:
        raise NotFound(f"no {start.kind} {start.id!r} in the flow graph", field="id")


def trace(g: FlowGraph, start: Node, depth: int | None = None) -> FlowResult:
    """Everything that went into ``start``, walking backwards; ``depth`` limits the steps."""
    with paused_gc():
        return _Walk(g, False, depth).run(start)


def track(g: FlowGraph, start: Node, depth: int | None = None) -> FlowResult:
    """Everything ``start`` went into, walking forwards; ``depth`` limits the steps."""
    with paused_gc():
        return _Walk(g, True, depth).run(start)


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
