"""The ValueFlows 1.0 event rules: ``judge`` decides whether an event is valid and what it does.

Pure: it reads state only through a ``StateView`` and returns the new states of the resources the
event touches, so nothing happens unless the caller persists the outcome. The behaviour of each
action comes from the one table in ``reflow.vf.actions``; this module says what those behaviours
mean for resources:

* quantities — accounting (rights) and onhand (custody) effects, never below zero;
* creation — produce/raise may create ``resourceInventoriedAs``; transfers, moves and copies may
  create ``toResourceInventoriedAs`` (copying the identity fields of the source);
* custody — VF 1.0 has no custodian field; like Zenflows we keep one, derived from onhand effects
  and from the *implied transfers* (provider ≠ receiver on produce/consume/deliverService is a full
  transfer, on pickup/dropoff/accept/modify a custody transfer);
* location, containment (combine/separate; a container carries its contents along, a contained
  resource cannot be used alone), primaryAccountable, stage and state;
* pairing — dropoff needs its pickup, modify its accept, in the same process for the same resource;
* authorisation — who may decrement or move a resource (its accountable agent or custodian);
* corrections — an event that ``corrects`` another undoes that one's own quantity effects first.

``judge`` is here with what each action does to quantities, holders, location, stage and state;
the parts with rules of their own live beside it: ``containment``, ``pairing``, ``corrections``
and ``history`` (the breadcrumbs, ordered alike on every node); ``work`` holds what they share.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Final, final

from reflow.errors import AuthorisationError, NotFound, UnitError
from reflow.vf.actions import Action
from reflow.vf.containment import (
    carry_contents,
    check_containment,
    container_for_combine,
)
from reflow.vf.corrections import (
    check_correction,
    check_correction_on,
    check_takes_own,
    check_undone,
    undo,
)
from reflow.vf.event import EventInput, NewResource
from reflow.vf.fixed import Fixed
from reflow.vf.history import after_holders, into_history, note_holder_changes
from reflow.vf.pairing import check_pairing
from reflow.vf.state import Delta, EventState, ProcessState, ResourceState, StateView
from reflow.vf.units import compatible, convert, get_unit
from reflow.vf.values import evolve
from reflow.vf.work import EXACT, ZERO, Work, exact_sum, violation

# Actions whose event must name the process it belongs to, and on which side.
NEEDS_INPUT_OF = frozenset({"pickup", "accept", "use", "work", "cite"})
NEEDS_OUTPUT_OF = frozenset({"dropoff", "modify"})
IMPLIED_CUSTODY = frozenset({"pickup", "dropoff", "accept", "modify"})


@final
class Outcome(Fixed):
    """What an accepted event does: its recorded form and the new state of each resource."""

    def __init__(
        self,
        *,
        event: EventState,
        resources: dict[str, ResourceState],
        created: tuple[str, ...],
        relinked: dict[str, EventState],
    ) -> None:
        self.event: Final = event
        self.resources: Final = resources
        self.created: Final = created  # ids of resources the event created
        # earlier-recorded events whose breadcrumb now points at this one (it arrived late)
        self.relinked: Final = relinked
        self._sealed = True

    def __repr__(self) -> str:
        return f"Outcome(event={self.event.id!r}, resources={sorted(self.resources)})"


def _check_parties(ev: EventInput, view: StateView, acting: frozenset[str]) -> None:
    for key, agent in (("provider", ev.provider), ("receiver", ev.receiver)):
        if not view.exists("Agent", agent):
            raise NotFound(f"no agent {agent!r}", field=f"event.{key}")
    if ev.provider not in acting and ev.receiver not in acting:
        raise AuthorisationError(
            "the signer must be the event's provider or receiver (or act for one of them)",
            field="event.provider",
            rule="signer-is-party",
        )
    if ev.action.id in ("raise", "lower", "move") and ev.provider != ev.receiver:
        raise violation(
            f"{ev.action.id} changes one agent's own resource: provider and receiver must be "
            "the same agent",
            "receiver",
            "same-agent",
        )


def _check_process_side(
    ev: EventInput, view: StateView, acting: frozenset[str], deps: frozenset[str]
) -> None:
    a = ev.action
    side = a.input_output
    if side is None and (ev.input_of or ev.output_of):
        field = "inputOf" if ev.input_of else "outputOf"
        raise violation(f"{a.id} is not part of a process: remove {field}", field, "io")
    if side == "input" and ev.output_of:
        raise violation(f"{a.id} is an input: use inputOf, not outputOf", "outputOf", "io")
    if side == "output" and ev.input_of:
        raise violation(f"{a.id} is an output: use outputOf, not inputOf", "inputOf", "io")
    if side == "outputInput" and ev.input_of and ev.input_of == ev.output_of:
        raise violation(f"{a.id} cannot be input and output of the same process", "inputOf", "io")
    if a.id in NEEDS_INPUT_OF and not ev.input_of:
        raise violation(
            f"{a.id} needs inputOf: the process it is an input of", "inputOf", "required"
        )
    if a.id in NEEDS_OUTPUT_OF and not ev.output_of:
        raise violation(
            f"{a.id} needs outputOf: the process it is an output of", "outputOf", "required"
        )
    for key, pid in (("inputOf", ev.input_of), ("outputOf", ev.output_of)):
        if pid is None:
            continue
        proc = view.process(pid)
        if proc is None:
            raise NotFound(f"no process {pid!r}", field=f"event.{key}")
        if (proc.deleted or proc.finished) and _knew_it_closed(proc, acting, deps):
            if proc.deleted:
                raise NotFound(f"no process {pid!r} (it was withdrawn)", field=f"event.{key}")
            raise violation(f"process {pid!r} is finished", key, "process-open")


def _knew_it_closed(proc: ProcessState, acting: frozenset[str], deps: frozenset[str]) -> bool:
    """Whether the record carrying the event comes after the process was finished or withdrawn:
    its signer closed it (its own chain orders the two) or names that record in its deps.

    Another chain's event on a process closed meanwhile is accepted: refusing it would depend on
    whether the closing arrived first, and nodes would disagree (see ``history``). It is a late
    report of what happened in the process while it was open, as far as its author knew.
    """
    return proc.owner in acting or (proc.last_record is not None and proc.last_record in deps)


def _check_quantities(ev: EventInput, correcting: bool) -> None:
    kind = ev.action.event_quantity
    rq, eq = ev.resource_quantity, ev.effort_quantity
    if eq is not None and get_unit(eq.unit).dimension != "time":
        raise violation(
            f"effortQuantity is time spent; {eq.unit} does not measure time",
            "effortQuantity.hasUnit",
            "effort-is-time",
        )
    if kind == "resource" and rq is None:
        raise violation(f"{ev.action.id} needs resourceQuantity", "resourceQuantity", "required")
    if kind == "effort":
        if eq is None:
            raise violation(f"{ev.action.id} needs effortQuantity", "effortQuantity", "required")
        if rq is not None:
            raise violation(
                f"{ev.action.id} has no resourceQuantity: it measures effort only",
                "resourceQuantity",
                "event-quantity",
            )
    if kind == "both" and rq is None and eq is None:
        raise violation(
            f"{ev.action.id} needs resourceQuantity or effortQuantity",
            "resourceQuantity",
            "required",
        )
    if not correcting:
        for key, m in (("resourceQuantity", rq), ("effortQuantity", eq)):
            if m is not None and m.value == ZERO:
                raise violation(
                    f"{key} must be greater than zero (a correction may set it to zero)",
                    key,
                    "positive-quantity",
                )


def _in_unit(ev: EventInput, res: ResourceState) -> Decimal:
    """The event's resource quantity in the resource's own unit."""
    rq = ev.resource_quantity
    if rq is None:
        return ZERO
    if res.unit is None or res.unit == rq.unit:
        return rq.value
    try:
        return convert(rq.value, rq.unit, res.unit)
    except UnitError as exc:
        raise UnitError(
            exc.message, field="event.resourceQuantity.hasUnit", rule=exc.rule
        ) from None


def _new_from_event(
    ev: EventInput, new: NewResource | None, rid: str, eid: str, view: StateView
) -> ResourceState:
    spec = ev.resource_conforms_to
    if spec is None:
        raise violation(
            f"to create a resource, {ev.action.id} needs resourceConformsTo "
            "(or name an existing resourceInventoriedAs)",
            "resourceConformsTo",
            "required",
        )
    if not view.exists("ResourceSpecification", spec):
        raise NotFound(f"no resource specification {spec!r}", field="event.resourceConformsTo")
    new = new or NewResource()
    loc = ev.to_location or new.current_location
    return ResourceState(
        id=rid,
        conforms_to=spec,
        unit=ev.resource_quantity.unit if ev.resource_quantity else None,
        primary_accountable=ev.receiver,
        custodian=ev.receiver,
        current_location=loc,
        name=new.name,
        note=new.note,
        tracking_identifier=new.tracking_identifier,
        classified_as=new.classified_as or ev.resource_classified_as,
        lot=new.lot,
        image=new.image,
        created_by=eid,
        holder_event=eid,
    )


def _new_to(ev: EventInput, res: ResourceState, rid: str, eid: str) -> ResourceState:
    """The receiving resource a transfer, move or copy creates: same identity, new holder."""
    a = ev.action.id
    accountable = ev.receiver if ev.action.accountable_effect else res.primary_accountable
    custodian = ev.receiver if ev.action.onhand_effect else res.custodian
    if a == "move":
        accountable, custodian = res.primary_accountable, res.custodian
    return ResourceState(
        id=rid,
        conforms_to=res.conforms_to,
        unit=res.unit,
        primary_accountable=accountable,
        custodian=custodian,
        # Only an action that moves the goods places them (transferAllRights moves nothing).
        current_location=(
            ev.to_location
            if ev.to_location and ev.action.location_effect in ("updateTo", "new")
            else res.current_location
        ),
        stage=res.stage,
        state=res.state,
        name=res.name,
        note=res.note,
        tracking_identifier=res.tracking_identifier,
        classified_as=res.classified_as,
        lot=res.lot,
        image=res.image,
        created_by=eid,
        holder_event=eid,
    )


def _check_holder(ev: EventInput, res: ResourceState, acting: frozenset[str]) -> None:
    """Each quantity has one writer: its accountable agent (rights) or custodian (custody)."""
    a = ev.action
    decrements_rights = a.accounting_effect in ("decrement", "decrementIncrement")
    if (decrements_rights or a.id == "copy") and (
        res.primary_accountable != ev.provider or ev.provider not in acting
    ):
        raise AuthorisationError(
            f"only the resource's accountable agent ({res.primary_accountable}) may "
            f"{a.id} it, as the provider, signing the record",
            field="event.resourceInventoriedAs",
            rule="accountable-decrements",
        )
    if a.onhand_effect in ("decrement", "decrementIncrement") and (
        res.custodian != ev.provider or ev.provider not in acting
    ):
        raise AuthorisationError(
            f"only the resource's custodian ({res.custodian}) may {a.id} it, as the "
            "provider, signing the record",
            field="event.resourceInventoriedAs",
            rule="custodian-decrements",
        )
    if a.id in ("dropoff", "modify") and (
        res.custodian != ev.provider or ev.provider not in acting
    ):
        raise AuthorisationError(
            f"{a.id} must be provided by the resource's custodian ({res.custodian}), who "
            "picked it up or accepted it, signing the record",
            field="event.provider",
            rule="custodian-returns",
        )
    if a.id in ("produce", "raise") and (
        res.primary_accountable != ev.receiver or res.custodian != ev.receiver
    ):
        raise AuthorisationError(
            f"{a.id} can add only to a resource the receiver holds (accountable and custodian)",
            field="event.resourceInventoriedAs",
            rule="increment-own",
        )
    outsider = res.custodian not in (ev.provider, ev.receiver)
    if outsider and (a.id == "separate" or (a.id in ("use", "cite") and ev.state is not None)):
        raise AuthorisationError(
            f"{a.id} that changes the resource must involve its custodian ({res.custodian})",
            field="event.resourceInventoriedAs",
            rule="custodian-changes",
        )


def _apply_quantity(
    w: Work, res_id: str, d_acc: Decimal, d_on: Decimal, deltas: list[Delta], field: str
) -> None:
    if d_acc == ZERO and d_on == ZERO:
        return
    r = w.get(res_id, field)
    acc, on = exact_sum(r.accounting_quantity, d_acc), exact_sum(r.onhand_quantity, d_on)
    if acc < ZERO or on < ZERO:
        short = "accountingQuantity" if acc < ZERO else "onhandQuantity"
        have = r.accounting_quantity if acc < ZERO else r.onhand_quantity
        raise violation(
            f"not enough: resource {res_id!r} has {short} {have} {r.unit}, "
            f"the event would take it below zero",
            "resourceQuantity",
            "no-negative-quantity",
        )
    w.put(evolve(r, accounting_quantity=acc, onhand_quantity=on))
    deltas.append(Delta(res_id, d_acc, d_on))


def _effect_deltas(effect: str | None, q: Decimal) -> tuple[Decimal, Decimal]:
    """(change to res, change to `to`) for one quantity effect of the table."""
    if effect == "increment":
        return q, ZERO
    if effect == "decrement":
        return EXACT.minus(q), ZERO
    if effect == "decrementIncrement":
        return EXACT.minus(q), q
    if effect == "incrementTo":
        return ZERO, q
    return ZERO, ZERO


def judge(
    ev: EventInput,
    new: NewResource | None,
    view: StateView,
    *,
    event_id: str,
    new_id: Callable[[str], str],
    acting: frozenset[str],
    author: str,
    record: str | None = None,
    clock: int = 0,
    deps: frozenset[str] = frozenset(),
) -> Outcome:
    """Validate ``ev`` against ``view`` and compute its effects; raise if any rule refuses it.

    ``acting`` is the set of agents the record's signer may act as (itself and the organisations
    it acts for); ``new_id`` names a resource the event creates by its role (``resource``, or
    ``to`` for the receiving side), asked only when one is made (each is a hash); ``author`` is
    the signer itself; ``record`` the hash of the record carrying it; ``clock`` that record's
    logical clock, which orders the resources' breadcrumbs; ``deps`` the records it names as
    seen.
    """
    a: Action = ev.action
    correcting = ev.corrects is not None
    _check_parties(ev, view, acting)
    _check_process_side(ev, view, acting, deps)
    _check_quantities(ev, correcting)
    for key, ref, type_name in (
        ("resourceConformsTo", ev.resource_conforms_to, "ResourceSpecification"),
        ("toLocation", ev.to_location, "SpatialThing"),
        ("atLocation", ev.at_location, "SpatialThing"),
    ):
        if ref is not None and not view.exists(type_name, ref):
            raise NotFound(f"no {type_name} {ref!r}", field=f"event.{key}")

    w = Work(view)
    old: EventState | None = None
    if correcting:
        old = check_correction(ev, view, author)
        undo(old, w)

    created: list[str] = []
    deltas: list[Delta] = []
    res: ResourceState | None = None
    qty = ZERO
    if ev.resource_inventoried_as is not None:
        res = w.get(ev.resource_inventoried_as, "event.resourceInventoriedAs")
        if ev.resource_conforms_to and ev.resource_conforms_to != res.conforms_to:
            raise violation(
                f"resource {res.id!r} conforms to {res.conforms_to!r}, "
                f"not {ev.resource_conforms_to!r}",
                "resourceConformsTo",
                "same-specification",
            )
        qty = _in_unit(ev, res)
        if not correcting:
            _check_holder(ev, res, acting)
            check_containment(ev, res, w, qty)
            check_pairing(ev, res, qty, view)
        else:
            check_correction_on(ev, res, qty, view)
    elif a.create_resource == "optional" and ev.resource_quantity is not None:
        res = _new_from_event(ev, new, new_id("resource"), event_id, view)
        w.put(res)
        created.append(res.id)
        qty = ev.resource_quantity.value
    elif a.accounting_effect or a.onhand_effect or a.id in ("combine", "separate"):
        raise violation(
            f"{a.id} needs resourceInventoriedAs: the resource it acts on",
            "resourceInventoriedAs",
            "required",
        )
    elif a.id in ("use", "cite") and ev.resource_conforms_to is None:
        raise violation(
            f"{a.id} needs resourceInventoriedAs or resourceConformsTo",
            "resourceInventoriedAs",
            "required",
        )

    # The receiving side of transfers, moves and copies.
    to: ResourceState | None = None
    if a.create_resource == "optionalTo" and res is not None:
        if ev.to_resource_inventoried_as is not None:
            to = w.get(ev.to_resource_inventoried_as, "event.toResourceInventoriedAs")
            _check_to(ev, res, to)
        elif correcting:
            raise violation(
                "a correction names the resource the corrected event created",
                "toResourceInventoriedAs",
                "correction-same-event",
            )
        else:
            to = _new_to(ev, res, new_id("to"), event_id)
            w.put(to)
            created.append(to.id)
    elif ev.to_resource_inventoried_as is not None and a.id != "combine":
        raise violation(f"{a.id} has no receiving resource", "toResourceInventoriedAs", "io")

    if res is not None:
        r_acc, t_acc = _effect_deltas(a.accounting_effect, qty)
        r_on, t_on = _effect_deltas(a.onhand_effect, qty)
        _apply_quantity(w, res.id, r_acc, r_on, deltas, "event.resourceInventoriedAs")
        if to is not None:
            _apply_quantity(w, to.id, t_acc, t_on, deltas, "event.toResourceInventoriedAs")
        if not correcting:
            _apply_properties(ev, w, res.id, to.id if to else None, view)
    if correcting:
        check_undone(w)
        check_takes_own(w, acting)

    relinked: dict[str, EventState] = {}
    eid_prev = to_prev = None
    clock = after_holders(clock, w.view, res, created) if res is not None else clock
    clock = after_holders(clock, w.view, to, created) if to is not None else clock
    note_holder_changes(w, created, event_id)
    if res is not None:
        eid_prev = into_history(w, res.id, (clock, event_id), created, relinked)
    if to is not None:
        to_prev = into_history(w, to.id, (clock, event_id), created, relinked)

    rq = ev.resource_quantity
    eq = ev.effort_quantity
    state = EventState(
        id=event_id,
        action=a.id,
        provider=ev.provider,
        receiver=ev.receiver,
        input_of=ev.input_of,
        output_of=ev.output_of,
        resource_inventoried_as=res.id if res else None,
        to_resource_inventoried_as=to.id if to else ev.to_resource_inventoried_as,
        resource_quantity=rq.value if rq else None,
        resource_unit=rq.unit if rq else None,
        effort_quantity=eq.value if eq else None,
        effort_unit=eq.unit if eq else None,
        previous_event=eid_prev,
        to_previous_event=to_prev,
        corrects=old.id if old else None,
        author=author,
        record=record,
        deltas=tuple(deltas),
        body=ev.body,
        clock=clock,
    )
    return Outcome(
        event=state, resources=dict(w.changed), created=tuple(created), relinked=relinked
    )


def _check_to(ev: EventInput, res: ResourceState, to: ResourceState) -> None:
    a = ev.action.id
    if to.id == res.id:
        raise violation(
            "the receiving resource must be another resource",
            "toResourceInventoriedAs",
            "distinct-resources",
        )
    if to.conforms_to != res.conforms_to:
        raise violation(
            f"both resources must conform to the same specification ({res.conforms_to!r} and "
            f"{to.conforms_to!r})",
            "toResourceInventoriedAs",
            "same-specification",
        )
    if to.contained_in is not None:
        raise violation(
            f"resource {to.id!r} is packed: separate it first",
            "toResourceInventoriedAs",
            "contained-resource",
        )
    if res.unit and to.unit and res.unit != to.unit:
        if not compatible(res.unit, to.unit):
            raise UnitError(
                f"the receiving resource is kept in {to.unit}, which cannot hold {res.unit}",
                field="event.toResourceInventoriedAs",
                rule="compatible-units",
            )
        raise violation(
            f"the receiving resource is kept in {to.unit}, the source in {res.unit}: use one unit",
            "toResourceInventoriedAs",
            "same-unit",
        )
    rights = ev.action.accounting_effect is not None and a != "move"
    custody = ev.action.onhand_effect is not None and a != "move"
    owner = res.primary_accountable if a == "move" else ev.receiver
    keeper = res.custodian if a == "move" else ev.receiver
    if (rights or a == "move") and to.primary_accountable != owner:
        raise AuthorisationError(
            f"the receiving resource belongs to {to.primary_accountable}, not {owner}",
            field="event.toResourceInventoriedAs",
            rule="receiver-holds-to",
        )
    if (custody or a == "move") and to.custodian != keeper:
        raise AuthorisationError(
            f"the receiving resource is in the custody of {to.custodian}, not {keeper}",
            field="event.toResourceInventoriedAs",
            rule="receiver-holds-to",
        )


def _apply_properties(
    ev: EventInput, w: Work, res_id: str, to_id: str | None, view: StateView
) -> None:
    """Location, containment, holders, stage and state, as the action's table row says."""
    a = ev.action
    res = w.get(res_id, "event.resourceInventoriedAs")
    changes: dict[str, str | None] = {}
    carried: dict[str, str | None] = {}

    if a.location_effect == "update" and ev.to_location:
        changes["current_location"] = carried["current_location"] = ev.to_location
    if a.id in IMPLIED_CUSTODY and ev.provider != ev.receiver:
        changes["custodian"] = carried["custodian"] = ev.receiver
    if a.contained_effect == "update":
        changes["contained_in"] = container_for_combine(ev, res, w)
    elif a.contained_effect == "remove":
        changes["contained_in"] = None
    if a.stage_effect == "update" and ev.output_of:
        proc = view.process(ev.output_of)
        if proc is not None and not proc.deleted and proc.based_on:
            changes["stage"] = proc.based_on
    if a.state_effect == "update" and ev.state is not None:
        changes["state"] = ev.state
    if changes:
        w.put(evolve(res, **changes))
    if carried:
        carry_contents(w, res_id, **carried)

    if to_id is None:
        return
    to = w.get(to_id, "event.toResourceInventoriedAs")
    to_changes: dict[str, str | None] = {}
    if a.location_effect == "updateTo" and ev.to_location:
        to_changes["current_location"] = ev.to_location
    if a.accountable_effect == "updateTo":
        to_changes["primary_accountable"] = ev.receiver
    if a.onhand_effect == "decrementIncrement":
        to_changes["custodian"] = ev.receiver
    if a.state_effect == "updateTo" and ev.state is not None:
        to_changes["state"] = ev.state
    if to_changes:
        w.put(evolve(to, **to_changes))
    # A container given away or moved whole takes its contents into the receiving resource.
    if w.contents(res_id):
        to_now = w.get(to_id, "event.toResourceInventoriedAs")
        for inner in w.contents(res_id):
            w.put(evolve(inner, contained_in=to_id))
        carried_to = {"current_location": to_now.current_location, "custodian": to_now.custodian}
        if a.accountable_effect == "updateTo":  # checked: the contents were the giver's
            carried_to["primary_accountable"] = to_now.primary_accountable
        carry_contents(w, to_id, **carried_to)
