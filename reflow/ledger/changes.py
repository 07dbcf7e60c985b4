"""What an accepted record changes: the projection rows it writes.

Handlers of record kinds return a ``Changes``; the ledger overlays it on the state seen by later
records of the same batch and hands all of them to the store in one transaction. Nothing here
touches a database: the store decides how each kind of change becomes rows.
"""

from __future__ import annotations

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


class Changes:
    """What one record (or a batch, merged) changes in the projections.

    A plain class rather than a dataclass: compiled, its constructor is native code, and the
    ledger makes one for every record it judges (a dataclass's generated ``__init__`` stays
    interpreted)."""

    def __init__(
        self,
        resources: dict[str, ResourceState] | None = None,
        events: dict[str, EventState] | None = None,
        objects: dict[str, VfObject] | None = None,
        rows: list[tuple[str, dict[str, Any]]] | None = None,
        created: dict[str, str] | None = None,
        clock: int = 0,
        relinks: int = 0,
    ) -> None:
        self.resources: dict[str, ResourceState] = {} if resources is None else resources
        self.events: dict[str, EventState] = {} if events is None else events
        self.objects: dict[str, VfObject] = {} if objects is None else objects
        # Rows of tables owned by outer services: (table name, row); upserted by primary key.
        self.rows: list[tuple[str, dict[str, Any]]] = [] if rows is None else rows
        # ids of the objects the record created, by role (shown to whoever submitted it)
        self.created: dict[str, str] = {} if created is None else created
        # the record's logical clock (set by the ledger; stored with the record)
        self.clock = clock
        # how many earlier-recorded events this record relinked (it arrived after newer events
        # on a resource): caches of event rows that only read new records' events must reload
        self.relinks = relinks

    def __repr__(self) -> str:
        return (
            f"Changes(resources={len(self.resources)}, events={len(self.events)}, "
            f"objects={len(self.objects)}, rows={len(self.rows)}, clock={self.clock})"
        )

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
