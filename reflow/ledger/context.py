"""What a record's handler sees: the record, the state before it, and who the signer may act as."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.records import Record, derive_id
from reflow.vf.state import EventState, ProcessState, ResourceState
from reflow.vf.types import AGENT_TYPES

if TYPE_CHECKING:
    from reflow.ledger.port import LedgerStore


class BatchView:
    """The store's state overlaid with what earlier records of the same batch changed."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self.pending = Changes()

    def resource(self, resource_id: str) -> ResourceState | None:
        found = self.pending.resources.get(resource_id)
        return found if found is not None else self.store.resource(resource_id)

    def contents(self, container_id: str) -> list[ResourceState]:
        out = {r.id: r for r in self.store.contents(container_id)}
        for r in self.pending.resources.values():
            if r.contained_in == container_id:
                out[r.id] = r
            else:
                out.pop(r.id, None)
        return [out[k] for k in sorted(out)]

    def process(self, process_id: str) -> ProcessState | None:
        obj = self.object(process_id)
        if obj is None or obj.type != "Process" or obj.deleted:
            return None
        return ProcessState(
            id=obj.id,
            based_on=obj.data.get("basedOn"),
            finished=bool(obj.data.get("finished")),
            name=obj.data.get("name"),
        )

    def event(self, event_id: str) -> EventState | None:
        found = self.pending.events.get(event_id)
        return found if found is not None else self.store.event(event_id)

    def events_on(self, process_id: str, resource_id: str, action: str) -> list[EventState]:
        found = {e.id: e for e in self.store.events_on(process_id, resource_id, action)}
        for e in self.pending.events.values():
            if (
                e.action == action
                and e.resource_inventoried_as == resource_id
                and (e.input_of == process_id or e.output_of == process_id)
            ):
                found[e.id] = e
        return [found[k] for k in sorted(found)]

    def object(self, object_id: str) -> VfObject | None:
        found = self.pending.objects.get(object_id)
        return found if found is not None else self.store.object(object_id)

    def exists(self, type_name: str, object_id: str) -> bool:
        if type_name == "EconomicResource":
            return self.resource(object_id) is not None
        if type_name == "EconomicEvent":
            return self.event(object_id) is not None
        obj = self.object(object_id)
        if obj is None or obj.deleted:
            return False
        if type_name == "Agent":
            return obj.type in AGENT_TYPES
        return obj.type == type_name

    def agent(self, agent_id: str) -> VfObject | None:
        obj = self.object(agent_id)
        return obj if obj is not None and obj.type in AGENT_TYPES else None


@dataclass(slots=True)
class Context:
    record: Record
    view: BatchView
    acting: frozenset[str] = field(default_factory=frozenset)

    def id(self, role: str = "") -> str:
        return derive_id(self.record.hash, role)

    @property
    def author(self) -> str:
        return self.record.author
