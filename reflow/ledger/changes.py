"""What an accepted record changes: the projection rows it writes.

Handlers of record kinds return a ``Changes``; the ledger overlays it on the state seen by later
records of the same batch and hands all of them to the store in one transaction. Nothing here
touches a database: the store decides how each kind of change becomes rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reflow.vf.state import EventState, ProcessState, ResourceState
from reflow.vf.values import value_type


@value_type
class VfObject:
    """Any VF object other than events and resources (agents, places, specs, processes…)."""

    type: str
    id: str
    data: dict[str, Any]
    author: str
    record: str  # hash of the record that last wrote it
    created: str
    deleted: bool = False


@dataclass(slots=True)
class Changes:
    resources: dict[str, ResourceState] = field(default_factory=dict)
    events: dict[str, EventState] = field(default_factory=dict)
    objects: dict[str, VfObject] = field(default_factory=dict)
    # Rows of tables owned by outer services: (table name, row); upserted by primary key.
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # ids of the objects the record created, by role (shown to whoever submitted it)
    created: dict[str, str] = field(default_factory=dict)
    # the record's logical clock (set by the ledger; stored with the record)
    clock: int = 0
    # how many earlier-recorded events this record relinked (it arrived after newer events on
    # a resource): caches of event rows that only read new records' events must reload
    relinks: int = 0

    def merge(self, other: Changes) -> None:
        self.resources.update(other.resources)
        self.events.update(other.events)
        self.objects.update(other.objects)
        self.rows.extend(other.rows)


def process_state(obj: VfObject | None) -> ProcessState | None:
    """What the event rules need of a Process object (withdrawn ones included: the rules decide
    whether an event may still name it)."""
    if obj is None or obj.type != "Process":
        return None
    return ProcessState(
        id=obj.id,
        based_on=obj.data.get("basedOn"),
        finished=bool(obj.data.get("finished")),
        name=obj.data.get("name"),
        deleted=obj.deleted,
        owner=obj.author,
        last_record=obj.record,
    )
