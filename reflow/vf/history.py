"""A resource's history: the ``previousEvent`` breadcrumbs, ordered the same on every node.

Events that touch one resource are chained by (logical clock, event id), never by arrival, so
two nodes that hold the same records chain them alike (see ``into_history``).
"""

from __future__ import annotations

from reflow.vf.state import EventState, ResourceState, StateView
from reflow.vf.values import evolve
from reflow.vf.work import Work


def after_holders(clock: int, view: StateView, res: ResourceState, created: list[str]) -> int:
    """An event on a resource comes after the event that gave the resource its present holders
    (its creation, or the last transfer of rights or custody): every rule an event meets — who
    may take from it, who holds the receiving side — rests on those holders. A record should
    name that event in its deps, which its clock then follows; a client may leave them out, so
    the event's clock is raised past it. That event is always there when the event is judged,
    so every node raises the clock alike.
    """
    if res.id in created:
        return clock
    origin_id = res.holder_event or res.created_by
    origin = view.event(origin_id) if origin_id is not None else None
    return max(clock, origin.clock + 1) if origin is not None else clock


def note_holder_changes(w: Work, created: list[str], event_id: str) -> None:
    """Mark the resources whose accountable agent or custodian this event changed."""
    for r in list(w.changed.values()):
        if r.id in created:
            continue
        before = w.view.resource(r.id)
        if before is not None and (
            before.custodian != r.custodian or before.primary_accountable != r.primary_accountable
        ):
            w.put(evolve(r, holder_event=event_id))


def on_side(e: EventState, resource_id: str) -> str | None:
    """The breadcrumb ``e`` keeps for ``resource_id`` (it may touch it as either side)."""
    return e.previous_event if e.resource_inventoried_as == resource_id else e.to_previous_event


def into_history(
    w: Work,
    resource_id: str,
    key: tuple[int, str],
    created: list[str],
    relinked: dict[str, EventState],
) -> str | None:
    """Put the event ``key`` names into the resource's breadcrumb chain; return its predecessor.

    A resource's events are ordered by (logical clock, event id), never by arrival: the clock
    of a record is one more than the clocks of its author's previous record and of its deps, so
    an event comes after everything its author had seen and declared, and two nodes that hold the
    same events chain them alike. Usually the event is the newest and becomes the resource's
    ``previous_event``; an event from another chain that arrives after newer ones is linked in
    between, and the event after it is relinked to it (returned in ``relinked``).
    """
    event_id = key[1]
    cur = w.get(resource_id, "event.resourceInventoriedAs")
    if resource_id in created or cur.previous_event is None:
        w.put(evolve(cur, previous_event=event_id))
        return None
    later: EventState | None = None
    before: str | None = cur.previous_event
    while before is not None:
        e = relinked.get(before) or w.view.event(before)
        if e is None or (e.clock, e.id) < key:
            break
        later, before = e, on_side(e, resource_id)
    if later is None:
        w.put(evolve(cur, previous_event=event_id))
    elif later.resource_inventoried_as == resource_id:
        relinked[later.id] = evolve(later, previous_event=event_id)
    else:
        relinked[later.id] = evolve(later, to_previous_event=event_id)
    return before
