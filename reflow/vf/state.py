"""What the rules read and write: the state of resources, processes and recorded events.

These are the projection rows the pure rules work on. They are frozen: the rules never mutate
state, they return new values (``dataclasses.replace``) which the ledger then persists, so a
rejected event can leave nothing half-applied.
"""

from __future__ import annotations

from dataclasses import field
from decimal import Decimal
from typing import Any, Protocol

from reflow.vf.values import value_type


@value_type
class ResourceState:
    """An EconomicResource as the ledger knows it after the events so far."""

    id: str
    conforms_to: str | None
    unit: str | None
    accounting_quantity: Decimal = Decimal(0)
    onhand_quantity: Decimal = Decimal(0)
    primary_accountable: str | None = None
    # VF 1.0 has no custodian; like Zenflows we keep the agent in physical custody, derived
    # from the onhand effects, because authorisation and custody transfers need it.
    custodian: str | None = None
    current_location: str | None = None
    contained_in: str | None = None
    stage: str | None = None
    state: str | None = None
    previous_event: str | None = None
    name: str | None = None
    note: str | None = None
    tracking_identifier: str | None = None
    classified_as: tuple[str, ...] = ()
    lot: str | None = None
    image: str | None = None
    created_by: str | None = None  # the event that created it
    # the event that gave it its present holders (its creation, or the last transfer of rights
    # or custody): every later event on it comes after that one (see history.after_holders)
    holder_event: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conforms_to": self.conforms_to,
            "unit": self.unit,
            "accounting_quantity": self.accounting_quantity,
            "onhand_quantity": self.onhand_quantity,
            "primary_accountable": self.primary_accountable,
            "custodian": self.custodian,
            "current_location": self.current_location,
            "contained_in": self.contained_in,
            "stage": self.stage,
            "state": self.state,
            "previous_event": self.previous_event,
            "name": self.name,
            "note": self.note,
            "tracking_identifier": self.tracking_identifier,
            "classified_as": list(self.classified_as),
            "lot": self.lot,
            "image": self.image,
            "created_by": self.created_by,
            "holder_event": self.holder_event,
        }


@value_type
class ProcessState:
    """A Process as far as the event rules need it."""

    id: str
    based_on: str | None = None
    finished: bool = False
    name: str | None = None
    deleted: bool = False
    owner: str | None = None  # the agent that created it (only it finishes or deletes it)
    last_record: str | None = None  # the record that last wrote it (finished or deleted it)


@value_type
class Delta:
    """One event's own change to one resource's quantities (used to undo it on correction)."""

    resource: str
    accounting: Decimal
    onhand: Decimal


@value_type
class EventState:
    """A recorded EconomicEvent with what it did, as corrections, pairing and trace need it."""

    id: str
    action: str
    provider: str
    receiver: str
    input_of: str | None = None
    output_of: str | None = None
    resource_inventoried_as: str | None = None
    to_resource_inventoried_as: str | None = None
    resource_quantity: Decimal | None = None
    resource_unit: str | None = None
    effort_quantity: Decimal | None = None
    effort_unit: str | None = None
    previous_event: str | None = None
    to_previous_event: str | None = None
    corrects: str | None = None
    corrected_by: str | None = None
    author: str | None = None
    record: str | None = None  # hash of the record that created the event
    deltas: tuple[Delta, ...] = ()
    body: dict[str, Any] = field(default_factory=dict)
    # the logical clock of its record: breadcrumbs order a resource's events by (clock, id)
    clock: int = 0


class StateView(Protocol):
    """Read-only access to the state the rules judge an event against.

    The ledger gives the rules a view over the store plus what earlier records of the same batch
    changed; the rules never see a database.
    """

    def resource(self, resource_id: str) -> ResourceState | None: ...

    def contents(self, container_id: str) -> list[ResourceState]:
        """Resources directly contained in ``container_id``."""
        ...

    def process(self, process_id: str) -> ProcessState | None: ...

    def event(self, event_id: str) -> EventState | None: ...

    def events_on(self, process_id: str, resource_id: str, action: str) -> list[EventState]:
        """Recorded events of ``action`` on ``resource_id`` in ``process_id`` (for pairing)."""
        ...

    def exists(self, type_name: str, object_id: str) -> bool:
        """Whether an object of a VF type (Agent, SpatialThing, ResourceSpecification…) exists."""
        ...
