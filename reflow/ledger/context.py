"""What a record's handler sees: the record, the state before it, and who the signer may act as."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reflow.ledger.changes import Changes, VfObject, process_state
from reflow.ledger.records import Record, derive_id
from reflow.vf.state import EventState, ProcessState, ResourceState
from reflow.vf.types import AGENT_TYPES

if TYPE_CHECKING:
    from reflow.ledger.port import LedgerStore


class BatchView:
    """The store's state overlaid with what earlier records of the same batch changed.

    A view may sit on a ``parent`` view: the batch before it, whose commit may still be in
    flight while this batch is judged (the ingest pipeline). Reads fall through own changes,
    then the parent's, then the store.
    """

    def __init__(self, store: LedgerStore, parent: BatchView | None = None) -> None:
        self.store = store
        self.parent = parent
        self.pending = Changes()
        # container id -> ids of pending resources packed into it
        self._moved: dict[str, set[str]] = {}
        # (process, resource, action) -> pending events, for pairing
        self._on: dict[tuple[str, str, str], list[EventState]] = {}

    @property
    def base(self) -> LedgerStore | BatchView:
        return self.parent if self.parent is not None else self.store

    def add(self, changes: Changes) -> None:
        """Overlay an accepted record's changes for the records after it in the batch."""
        for r in changes.resources.values():
            # Only arrivals need an index: contents() drops members whose pending state
            # left the container.
            if r.contained_in:
                self._moved.setdefault(r.contained_in, set()).add(r.id)
        for e in changes.events.values():
            if e.resource_inventoried_as is None:
                continue
            for proc in {e.input_of, e.output_of} - {None}:
                key = (str(proc), e.resource_inventoried_as, e.action)
                same = [x for x in self._on.get(key, []) if x.id != e.id]
                self._on[key] = [*same, e]
        self.pending.merge(changes)

    def resource(self, resource_id: str) -> ResourceState | None:
        found = self.pending.resources.get(resource_id)
        return found if found is not None else self.base.resource(resource_id)

    def may_contain(self, container_id: str) -> bool:
        """False when ``container_id`` certainly holds nothing (the cheap common case)."""
        return container_id in self._moved or self.base.may_contain(container_id)

    def contents(self, container_id: str) -> list[ResourceState]:
        if not self.may_contain(container_id):
            return []
        out = {r.id: r for r in self.base.contents(container_id)}
        for rid in self._moved.get(container_id, ()):
            r = self.pending.resources[rid]
            if r.contained_in == container_id:
                out[r.id] = r
            else:
                out.pop(r.id, None)
        for rid in list(out):
            pending = self.pending.resources.get(rid)
            if pending is not None and pending.contained_in != container_id:
                del out[rid]
        return [out[k] for k in sorted(out)]

    def process(self, process_id: str) -> ProcessState | None:
        return process_state(self.object(process_id))

    def event(self, event_id: str) -> EventState | None:
        found = self.pending.events.get(event_id)
        return found if found is not None else self.base.event(event_id)

    def events_on(self, process_id: str, resource_id: str, action: str) -> list[EventState]:
        found = {e.id: e for e in self.base.events_on(process_id, resource_id, action)}
        for e in self._on.get((process_id, resource_id, action), ()):
            found[e.id] = e
        return [found[k] for k in sorted(found)]

    def object(self, object_id: str) -> VfObject | None:
        found = self.pending.objects.get(object_id)
        return found if found is not None else self.base.object(object_id)

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


# (the field an error names, e.g. ``event.fulfills[0]``; the id as given; the object it names)
EventRef = tuple[str, Any, VfObject | None]


class Context:
    """One record being judged: the record, the view it is judged against, who its signer may
    act as, and its logical clock (one more than its author's previous record's and its deps').
    A plain class, so that compiled its constructor is native (one is made for every record)."""

    def __init__(
        self, record: Record, view: BatchView, acting: frozenset[str] = frozenset(), clock: int = 0
    ) -> None:
        self.record = record
        self.view = view
        self.acting = acting
        self.clock = clock
        self._ids: dict[str, str] = {}  # role -> id (each is a sha256)

    def id(self, role: str = "") -> str:
        found = self._ids.get(role)
        if found is None:
            found = self._ids[role] = derive_id(self.record.hash, role)
        return found

    @property
    def author(self) -> str:
        return self.record.author

    def event_refs(self, name: str) -> tuple[dict[str, Any], list[EventRef]]:
        """For a ``vf.event`` record, its event and the objects it names under ``name``
        (``fulfills``, ``settles``…): ``(field, id, object or None)`` each, ``field`` as an error
        names it (``event.fulfills[0]``). Nothing for other records or no such list."""
        event = self.record.body.get("event") if self.record.kind == "vf.event" else None
        ids = event.get(name) if isinstance(event, dict) else None
        if not isinstance(event, dict) or not isinstance(ids, list):
            return {}, []
        return event, [
            (f"event.{name}[{i}]", ref, self.view.object(ref) if isinstance(ref, str) else None)
            for i, ref in enumerate(ids)
        ]
