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
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation

from reflow.errors import AuthorisationError, ConflictError, NotFound, RuleViolation, UnitError
from reflow.vf.actions import Action
from reflow.vf.event import EventInput, NewResource
from reflow.vf.state import Delta, EventState, ResourceState, StateView
from reflow.vf.units import compatible, convert, get_unit
from reflow.vf.values import evolve, value_type

ZERO = Decimal(0)
# Quantities are summed exactly: the default context (28 digits) would round silently.
_EXACT = Context(prec=1000, traps=[Inexact, InvalidOperation])

# Actions whose event must name the process it belongs to, and on which side.
NEEDS_INPUT_OF = frozenset({"pickup", "accept", "use", "work", "cite"})
NEEDS_OUTPUT_OF = frozenset({"dropoff", "modify"})
# Output actions and the input they pair with in the same process (from the table's pairsWith).
# A container may not be created into or consumed while it holds resources.
NOT_ON_CONTAINERS = frozenset({"produce", "raise", "consume", "lower", "copy"})
# Actions that take a resource whole: custody and containment are per resource.
TAKE_WHOLE = frozenset({"pickup", "accept", "combine"})
IMPLIED_CUSTODY = frozenset({"pickup", "dropoff", "accept", "modify"})
MOVES_WITH_CONTENTS = frozenset(
    {"pickup", "dropoff", "accept", "modify", "transfer", "transferCustody", "move",
     "transferAllRights"}
)  # fmt: skip


@value_type
class Outcome:
    """What an accepted event does: its recorded form and the new state of each resource."""

    event: EventState
    resources: dict[str, ResourceState]
    created: tuple[str, ...]  # ids of resources the event created
    # earlier-recorded events whose breadcrumb now points at this one (it arrived late)
    relinked: dict[str, EventState]


class _Work:
    """The resources an event is changing, read once from the view and updated in place."""

    def __init__(self, view: StateView) -> None:
        self.view = view
        self.changed: dict[str, ResourceState] = {}

    def get(self, resource_id: str, field: str) -> ResourceState:
        found = self.changed.get(resource_id) or self.view.resource(resource_id)
        if found is None:
            raise NotFound(f"no economic resource {resource_id!r}", field=field)
        return found

    def put(self, res: ResourceState) -> None:
        self.changed[res.id] = res

    def contents(self, container_id: str) -> list[ResourceState]:
        """Contents as changed so far: the view's, overlaid with this event's own changes."""
        out = {r.id: self.changed.get(r.id, r) for r in self.view.contents(container_id)}
        for r in self.changed.values():
            if r.contained_in == container_id:
                out[r.id] = r
            elif r.id in out and r.contained_in != container_id:
                del out[r.id]
        return [out[k] for k in sorted(out)]


def _violation(message: str, field: str, rule: str) -> RuleViolation:
    return RuleViolation(message, field=f"event.{field}", rule=rule)


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
        raise _violation(
            f"{ev.action.id} changes one agent's own resource: provider and receiver must be "
            "the same agent",
            "receiver",
            "same-agent",
        )


def _check_process_side(ev: EventInput, view: StateView) -> None:
    a = ev.action
    side = a.input_output
    if side is None and (ev.input_of or ev.output_of):
        field = "inputOf" if ev.input_of else "outputOf"
        raise _violation(f"{a.id} is not part of a process: remove {field}", field, "io")
    if side == "input" and ev.output_of:
        raise _violation(f"{a.id} is an input: use inputOf, not outputOf", "outputOf", "io")
    if side == "output" and ev.input_of:
        raise _violation(f"{a.id} is an output: use outputOf, not inputOf", "inputOf", "io")
    if side == "outputInput" and ev.input_of and ev.input_of == ev.output_of:
        raise _violation(f"{a.id} cannot be input and output of the same process", "inputOf", "io")
    if a.id in NEEDS_INPUT_OF and not ev.input_of:
        raise _violation(
            f"{a.id} needs inputOf: the process it is an input of", "inputOf", "required"
        )
    if a.id in NEEDS_OUTPUT_OF and not ev.output_of:
        raise _violation(
            f"{a.id} needs outputOf: the process it is an output of", "outputOf", "required"
        )
    for key, pid in (("inputOf", ev.input_of), ("outputOf", ev.output_of)):
        if pid is None:
            continue
        proc = view.process(pid)
        if proc is None:
            raise NotFound(f"no process {pid!r}", field=f"event.{key}")
        if proc.finished:
            raise _violation(f"process {pid!r} is finished", key, "process-open")


def _check_quantities(ev: EventInput, correcting: bool) -> None:
    kind = ev.action.event_quantity
    rq, eq = ev.resource_quantity, ev.effort_quantity
    if eq is not None and get_unit(eq.unit).dimension != "time":
        raise _violation(
            f"effortQuantity is time spent; {eq.unit} does not measure time",
            "effortQuantity.hasUnit",
            "effort-is-time",
        )
    if kind == "resource" and rq is None:
        raise _violation(f"{ev.action.id} needs resourceQuantity", "resourceQuantity", "required")
    if kind == "effort":
        if eq is None:
            raise _violation(f"{ev.action.id} needs effortQuantity", "effortQuantity", "required")
        if rq is not None:
            raise _violation(
                f"{ev.action.id} has no resourceQuantity: it measures effort only",
                "resourceQuantity",
                "event-quantity",
            )
    if kind == "both" and rq is None and eq is None:
        raise _violation(
            f"{ev.action.id} needs resourceQuantity or effortQuantity",
            "resourceQuantity",
            "required",
        )
    if not correcting:
        for key, m in (("resourceQuantity", rq), ("effortQuantity", eq)):
            if m is not None and m.value == ZERO:
                raise _violation(
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
        raise _violation(
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


def _check_pairing(ev: EventInput, res: ResourceState, qty: Decimal, view: StateView) -> None:
    a = ev.action
    if a.id in ("pickup", "accept"):
        assert ev.input_of is not None  # _check_process_side required it
        if view.events_on(ev.input_of, res.id, a.id):
            raise ConflictError(
                f"resource {res.id!r} already has a {a.id} in process {ev.input_of!r}",
                field="event.resourceInventoriedAs",
                rule="one-pair-per-process",
            )
    if a.id in ("dropoff", "modify"):
        assert ev.output_of is not None
        inputs = view.events_on(ev.output_of, res.id, a.pairs_with or "")
        live = [e for e in inputs if e.corrected_by is None]
        if not live:
            raise _violation(
                f"{a.id} needs a {a.pairs_with} of the same resource in the same process "
                f"({ev.output_of})",
                "outputOf",
                "paired",
            )
        if view.events_on(ev.output_of, res.id, a.id):
            raise ConflictError(
                f"the {a.pairs_with} of {res.id!r} in {ev.output_of!r} already has its {a.id}",
                field="event.outputOf",
                rule="paired",
            )
        _check_paired_quantity(ev, res, qty, live[0])


def _check_paired_quantity(
    ev: EventInput, res: ResourceState, qty: Decimal, pair: EventState
) -> None:
    a = ev.action
    pair_qty = pair.resource_quantity or ZERO
    if res.unit and pair.resource_unit and pair.resource_unit != res.unit:
        pair_qty = convert(pair_qty, pair.resource_unit, res.unit)
    if pair_qty != qty:
        raise _violation(
            f"{a.id} must have the quantity of its {a.pairs_with} ({pair_qty} {res.unit})",
            "resourceQuantity",
            "paired-quantity",
        )


def _check_correction_on(ev: EventInput, res: ResourceState, qty: Decimal, view: StateView) -> None:
    """A correction changes an event's quantities, so it meets the rules that hold of the
    resource *now*: a resource packed since is not taken from alone (separate it first), and a
    corrected dropoff or modify still returns what its live pickup or accept took (correct that
    one first). Holders are checked by ``_check_takes_own`` on what the correction changes.
    """
    a = ev.action.id
    if res.contained_in is not None and a not in ("combine", "separate"):
        raise _violation(
            f"resource {res.id!r} is packed in {res.contained_in!r}: separate it first",
            "resourceInventoriedAs",
            "contained-resource",
        )
    if a in ("dropoff", "modify") and ev.output_of is not None:
        pairs = view.events_on(ev.output_of, res.id, ev.action.pairs_with or "")
        live = [e for e in pairs if e.corrected_by is None]
        if live:
            _check_paired_quantity(ev, res, qty, live[0])


def _check_containment(ev: EventInput, res: ResourceState, w: _Work, qty: Decimal) -> None:
    a = ev.action.id
    if res.contained_in is not None and a != "separate":
        raise _violation(
            f"resource {res.id!r} is packed in {res.contained_in!r}: separate it first",
            "resourceInventoriedAs",
            "contained-resource",
        )
    if a == "separate" and res.contained_in is None:
        raise _violation(
            f"resource {res.id!r} is not packed in anything",
            "resourceInventoriedAs",
            "not-contained",
        )
    if a == "separate":
        packed = _packed_quantity(res, w.view)
        if packed is not None and qty != packed:
            raise _violation(
                f"separate unpacks the whole resource as it was packed ({packed} {res.unit})",
                "resourceQuantity",
                "whole-resource",
            )
    holds = bool(w.contents(res.id))
    if holds and ev.action.accountable_effect == "updateTo":
        for inner in _nested_contents(w, res.id):
            if inner.primary_accountable != res.primary_accountable:
                raise AuthorisationError(
                    f"{inner.id!r} inside belongs to {inner.primary_accountable}: only its "
                    "accountable agent may give its rights away; separate it first",
                    field="event.resourceInventoriedAs",
                    rule="contents-accountable",
                )
    if holds and a in NOT_ON_CONTAINERS:
        raise _violation(
            f"resource {res.id!r} contains other resources: separate them before you {a} it",
            "resourceInventoriedAs",
            "container",
        )
    # dropoff/modify give back what their pickup/accept took (pairing checks that quantity):
    # the container's onhand is zero in between, so "whole" is about the decrementing side.
    returns = a in ("dropoff", "modify")
    whole = a in TAKE_WHOLE or (holds and a in MOVES_WITH_CONTENTS and not returns)
    if whole and qty != res.onhand_quantity:
        raise _violation(
            f"{a} takes the whole resource ({res.onhand_quantity} {res.unit}); "
            "split it with a transfer or move first",
            "resourceQuantity",
            "whole-resource",
        )


def _packed_quantity(res: ResourceState, view: StateView) -> Decimal | None:
    """What the combine that packed ``res`` took, in its unit: the latest on its breadcrumb.

    Nothing but separate (or a correction) acts on a contained resource, so the walk is short.
    """
    eid = res.previous_event
    while eid is not None:
        e = view.event(eid)
        if e is None:
            return None
        if e.resource_inventoried_as == res.id:
            if e.action == "combine":
                q = e.resource_quantity or ZERO
                if res.unit and e.resource_unit and e.resource_unit != res.unit:
                    q = convert(q, e.resource_unit, res.unit)
                return q
            eid = e.previous_event
        else:
            eid = e.to_previous_event
    return None


def _nested_contents(w: _Work, container_id: str) -> list[ResourceState]:
    out: list[ResourceState] = []
    stack = [container_id]
    while stack:
        for inner in w.contents(stack.pop()):
            out.append(inner)
            stack.append(inner.id)
    return out


def _container_for_combine(ev: EventInput, res: ResourceState, w: _Work) -> str:
    cid = ev.to_resource_inventoried_as
    if cid is None:
        raise _violation(
            "combine needs toResourceInventoriedAs: the container",
            "toResourceInventoriedAs",
            "required",
        )
    container = w.get(cid, "event.toResourceInventoriedAs")
    if container.custodian != ev.provider:
        raise AuthorisationError(
            f"the container is in the custody of {container.custodian}: only its custodian "
            "packs resources into it",
            field="event.toResourceInventoriedAs",
            rule="custodian-packs",
        )
    seen = container
    while True:
        if seen.id == res.id:
            raise _violation(
                "a resource cannot be packed inside itself",
                "toResourceInventoriedAs",
                "containment-cycle",
            )
        if seen.contained_in is None:
            break
        seen = w.get(seen.contained_in, "event.toResourceInventoriedAs")
    return container.id


def _apply_quantity(
    w: _Work, res_id: str, d_acc: Decimal, d_on: Decimal, deltas: list[Delta], field: str
) -> None:
    if d_acc == ZERO and d_on == ZERO:
        return
    r = w.get(res_id, field)
    acc, on = _sum(r.accounting_quantity, d_acc), _sum(r.onhand_quantity, d_on)
    if acc < ZERO or on < ZERO:
        short = "accountingQuantity" if acc < ZERO else "onhandQuantity"
        have = r.accounting_quantity if acc < ZERO else r.onhand_quantity
        raise _violation(
            f"not enough: resource {res_id!r} has {short} {have} {r.unit}, "
            f"the event would take it below zero",
            "resourceQuantity",
            "no-negative-quantity",
        )
    w.put(evolve(r, accounting_quantity=acc, onhand_quantity=on))
    deltas.append(Delta(res_id, d_acc, d_on))


def _sum(a: Decimal, b: Decimal) -> Decimal:
    try:
        return _EXACT.add(a, b)
    except (Inexact, InvalidOperation):
        raise _violation(
            "the quantity has too many digits to be kept exactly",
            "resourceQuantity",
            "exact-quantity",
        ) from None


def _effect_deltas(effect: str | None, q: Decimal) -> tuple[Decimal, Decimal]:
    """(change to res, change to `to`) for one quantity effect of the table."""
    if effect == "increment":
        return q, ZERO
    if effect == "decrement":
        return _EXACT.minus(q), ZERO
    if effect == "decrementIncrement":
        return _EXACT.minus(q), q
    if effect == "incrementTo":
        return ZERO, q
    return ZERO, ZERO


def _carry_contents(w: _Work, container_id: str, **changes: str | None) -> None:
    """A container carries what it holds: location and holders follow, all the way down."""
    stack = [container_id]
    while stack:
        for inner in w.contents(stack.pop()):
            w.put(evolve(inner, **changes))
            stack.append(inner.id)


def _undo(corrected: EventState, w: _Work) -> None:
    for d in corrected.deltas:
        r = w.get(d.resource, "event.corrects")
        acc = _sum(r.accounting_quantity, _EXACT.minus(d.accounting))
        on = _sum(r.onhand_quantity, _EXACT.minus(d.onhand))
        # may be below zero for now: the correction's own quantity is applied next
        w.put(evolve(r, accounting_quantity=acc, onhand_quantity=on))


def _check_undone(w: _Work) -> None:
    """After a correction, no resource may be left below zero."""
    for r in w.changed.values():
        if r.accounting_quantity < ZERO or r.onhand_quantity < ZERO:
            raise _violation(
                f"cannot correct: resource {r.id!r} has already been used since "
                "(the correction would leave it below zero)",
                "corrects",
                "no-negative-quantity",
            )


def _check_takes_own(w: _Work, acting: frozenset[str]) -> None:
    """A correction may lower a quantity only where an event could: the holder's own."""
    for r in w.changed.values():
        before = w.view.resource(r.id)
        if before is None:
            continue
        takes_rights = r.accounting_quantity < before.accounting_quantity
        takes_custody = r.onhand_quantity < before.onhand_quantity
        if (takes_rights and before.primary_accountable not in acting) or (
            takes_custody and before.custodian not in acting
        ):
            raise AuthorisationError(
                f"the correction would take from resource {r.id!r}, which "
                f"{before.primary_accountable} holds now: only its holder may give it back",
                field="event.corrects",
                rule="correction-takes-own",
            )


def _check_correction(ev: EventInput, view: StateView, author: str) -> EventState:
    assert ev.corrects is not None
    old = view.event(ev.corrects)
    if old is None:
        raise NotFound(f"no event {ev.corrects!r} to correct", field="event.corrects")
    if old.corrected_by is not None:
        raise ConflictError(
            f"event {old.id!r} was already corrected by {old.corrected_by!r}; correct that one",
            field="event.corrects",
            rule="corrected-once",
        )
    if old.author != author:
        raise AuthorisationError(
            "only the author of an event may correct it",
            field="event.corrects",
            rule="author-corrects",
        )
    same = {
        "action": (ev.action.id, old.action),
        "provider": (ev.provider, old.provider),
        "receiver": (ev.receiver, old.receiver),
        "inputOf": (ev.input_of, old.input_of),
        "outputOf": (ev.output_of, old.output_of),
        "resourceInventoriedAs": (ev.resource_inventoried_as, old.resource_inventoried_as),
        "toResourceInventoriedAs": (ev.to_resource_inventoried_as, old.to_resource_inventoried_as),
    }
    for key, (new_v, old_v) in same.items():
        if new_v != old_v:
            raise _violation(
                f"a correction keeps the corrected event's {key} ({old_v!r})",
                key,
                "correction-same-event",
            )
    return old


def judge(
    ev: EventInput,
    new: NewResource | None,
    view: StateView,
    *,
    event_id: str,
    new_resource_id: str,
    new_to_id: str,
    acting: frozenset[str],
    author: str,
    record: str | None = None,
    clock: int = 0,
) -> Outcome:
    """Validate ``ev`` against ``view`` and compute its effects; raise if any rule refuses it.

    ``acting`` is the set of agents the record's signer may act as (itself and the organisations
    it acts for); ``author`` is the signer itself; ``record`` the hash of the record carrying it;
    ``clock`` that record's logical clock, which orders the resources' breadcrumbs.
    """
    a: Action = ev.action
    correcting = ev.corrects is not None
    _check_parties(ev, view, acting)
    _check_process_side(ev, view)
    _check_quantities(ev, correcting)
    for key, ref, type_name in (
        ("resourceConformsTo", ev.resource_conforms_to, "ResourceSpecification"),
        ("toLocation", ev.to_location, "SpatialThing"),
        ("atLocation", ev.at_location, "SpatialThing"),
    ):
        if ref is not None and not view.exists(type_name, ref):
            raise NotFound(f"no {type_name} {ref!r}", field=f"event.{key}")

    w = _Work(view)
    old: EventState | None = None
    if correcting:
        old = _check_correction(ev, view, author)
        _undo(old, w)

    created: list[str] = []
    deltas: list[Delta] = []
    res: ResourceState | None = None
    qty = ZERO
    if ev.resource_inventoried_as is not None:
        res = w.get(ev.resource_inventoried_as, "event.resourceInventoriedAs")
        if ev.resource_conforms_to and ev.resource_conforms_to != res.conforms_to:
            raise _violation(
                f"resource {res.id!r} conforms to {res.conforms_to!r}, "
                f"not {ev.resource_conforms_to!r}",
                "resourceConformsTo",
                "same-specification",
            )
        qty = _in_unit(ev, res)
        if not correcting:
            _check_holder(ev, res, acting)
            _check_containment(ev, res, w, qty)
            _check_pairing(ev, res, qty, view)
        else:
            _check_correction_on(ev, res, qty, view)
    elif a.create_resource == "optional" and ev.resource_quantity is not None:
        res = _new_from_event(ev, new, new_resource_id, event_id, view)
        w.put(res)
        created.append(res.id)
        qty = ev.resource_quantity.value
    elif a.accounting_effect or a.onhand_effect or a.id in ("combine", "separate"):
        raise _violation(
            f"{a.id} needs resourceInventoriedAs: the resource it acts on",
            "resourceInventoriedAs",
            "required",
        )
    elif a.id in ("use", "cite") and ev.resource_conforms_to is None:
        raise _violation(
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
            raise _violation(
                "a correction names the resource the corrected event created",
                "toResourceInventoriedAs",
                "correction-same-event",
            )
        else:
            to = _new_to(ev, res, new_to_id, event_id)
            w.put(to)
            created.append(to.id)
    elif ev.to_resource_inventoried_as is not None and a.id != "combine":
        raise _violation(f"{a.id} has no receiving resource", "toResourceInventoriedAs", "io")

    if res is not None:
        r_acc, t_acc = _effect_deltas(a.accounting_effect, qty)
        r_on, t_on = _effect_deltas(a.onhand_effect, qty)
        _apply_quantity(w, res.id, r_acc, r_on, deltas, "event.resourceInventoriedAs")
        if to is not None:
            _apply_quantity(w, to.id, t_acc, t_on, deltas, "event.toResourceInventoriedAs")
        if not correcting:
            _apply_properties(ev, w, res.id, to.id if to else None, view)
    if correcting:
        _check_undone(w)
        _check_takes_own(w, acting)

    relinked: dict[str, EventState] = {}
    eid_prev = to_prev = None
    clock = _after_holders(clock, w.view, res, created) if res is not None else clock
    clock = _after_holders(clock, w.view, to, created) if to is not None else clock
    _note_holder_changes(w, created, event_id)
    if res is not None:
        eid_prev = _into_history(w, res.id, (clock, event_id), created, relinked)
    if to is not None:
        to_prev = _into_history(w, to.id, (clock, event_id), created, relinked)

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


def _after_holders(clock: int, view: StateView, res: ResourceState, created: list[str]) -> int:
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


def _note_holder_changes(w: _Work, created: list[str], event_id: str) -> None:
    """Mark the resources whose accountable agent or custodian this event changed."""
    for r in list(w.changed.values()):
        if r.id in created:
            continue
        before = w.view.resource(r.id)
        if before is not None and (
            before.custodian != r.custodian or before.primary_accountable != r.primary_accountable
        ):
            w.put(evolve(r, holder_event=event_id))


def _on_side(e: EventState, resource_id: str) -> str | None:
    """The breadcrumb ``e`` keeps for ``resource_id`` (it may touch it as either side)."""
    return e.previous_event if e.resource_inventoried_as == resource_id else e.to_previous_event


def _into_history(
    w: _Work,
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
        later, before = e, _on_side(e, resource_id)
    if later is None:
        w.put(evolve(cur, previous_event=event_id))
    elif later.resource_inventoried_as == resource_id:
        relinked[later.id] = evolve(later, previous_event=event_id)
    else:
        relinked[later.id] = evolve(later, to_previous_event=event_id)
    return before


def _check_to(ev: EventInput, res: ResourceState, to: ResourceState) -> None:
    a = ev.action.id
    if to.id == res.id:
        raise _violation(
            "the receiving resource must be another resource",
            "toResourceInventoriedAs",
            "distinct-resources",
        )
    if to.conforms_to != res.conforms_to:
        raise _violation(
            f"both resources must conform to the same specification ({res.conforms_to!r} and "
            f"{to.conforms_to!r})",
            "toResourceInventoriedAs",
            "same-specification",
        )
    if to.contained_in is not None:
        raise _violation(
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
        raise _violation(
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
    ev: EventInput, w: _Work, res_id: str, to_id: str | None, view: StateView
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
        changes["contained_in"] = _container_for_combine(ev, res, w)
    elif a.contained_effect == "remove":
        changes["contained_in"] = None
    if a.stage_effect == "update" and ev.output_of:
        proc = view.process(ev.output_of)
        if proc is not None and proc.based_on:
            changes["stage"] = proc.based_on
    if a.state_effect == "update" and ev.state is not None:
        changes["state"] = ev.state
    if changes:
        w.put(evolve(res, **changes))
    if carried:
        _carry_contents(w, res_id, **carried)

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
        _carry_contents(w, to_id, **carried_to)
