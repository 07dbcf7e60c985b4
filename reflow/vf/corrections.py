"""Corrections: an event that ``corrects`` another keeps its identity (action, parties,
resources, processes), undoes its quantity effects and applies its own; it meets the rules that
hold of the resource now, and takes from no one who does not hold it.
"""

from __future__ import annotations

from decimal import Decimal

from reflow.errors import AuthorisationError, ConflictError, NotFound
from reflow.vf.event import EventInput
from reflow.vf.pairing import check_paired_quantity
from reflow.vf.state import EventState, ResourceState, StateView
from reflow.vf.values import evolve
from reflow.vf.work import EXACT, ZERO, Work, exact_sum, violation


def undo(corrected: EventState, w: Work) -> None:
    for d in corrected.deltas:
        r = w.get(d.resource, "event.corrects")
        acc = exact_sum(r.accounting_quantity, EXACT.minus(d.accounting))
        on = exact_sum(r.onhand_quantity, EXACT.minus(d.onhand))
        # may be below zero for now: the correction's own quantity is applied next
        w.put(evolve(r, accounting_quantity=acc, onhand_quantity=on))


def check_undone(w: Work) -> None:
    """After a correction, no resource may be left below zero."""
    for r in w.changed.values():
        if r.accounting_quantity < ZERO or r.onhand_quantity < ZERO:
            raise violation(
                f"cannot correct: resource {r.id!r} has already been used since "
                "(the correction would leave it below zero)",
                "corrects",
                "no-negative-quantity",
            )


def check_takes_own(w: Work, acting: frozenset[str]) -> None:
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


def check_correction(ev: EventInput, view: StateView, author: str) -> EventState:
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
            raise violation(
                f"a correction keeps the corrected event's {key} ({old_v!r})",
                key,
                "correction-same-event",
            )
    return old


def check_correction_on(ev: EventInput, res: ResourceState, qty: Decimal, view: StateView) -> None:
    """A correction changes an event's quantities, so it meets the rules that hold of the
    resource *now*: a resource packed since is not taken from alone (separate it first), and a
    corrected dropoff or modify still returns what its live pickup or accept took (correct that
    one first). Holders are checked by ``check_takes_own`` on what the correction changes.
    """
    a = ev.action.id
    if res.contained_in is not None and a not in ("combine", "separate"):
        raise violation(
            f"resource {res.id!r} is packed in {res.contained_in!r}: separate it first",
            "resourceInventoriedAs",
            "contained-resource",
        )
    if a in ("dropoff", "modify") and ev.output_of is not None:
        pairs = view.events_on(ev.output_of, res.id, ev.action.pairs_with or "")
        live = [e for e in pairs if e.corrected_by is None]
        if live:
            check_paired_quantity(ev, res, qty, live[0])
