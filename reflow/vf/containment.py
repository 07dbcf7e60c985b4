"""Containment: combine packs a resource into a container, separate unpacks it; a container
carries its contents along, and a packed resource is not used alone.
"""

from __future__ import annotations

from decimal import Decimal

from reflow.errors import AuthorisationError
from reflow.vf.event import EventInput
from reflow.vf.state import ResourceState, StateView
from reflow.vf.units import convert
from reflow.vf.values import evolve
from reflow.vf.work import ZERO, Work, violation

# Output actions and the input they pair with in the same process (from the table's pairsWith).
# A container may not be created into or consumed while it holds resources.
NOT_ON_CONTAINERS = frozenset({"produce", "raise", "consume", "lower", "copy"})


# Actions that take a resource whole: custody and containment are per resource.
TAKE_WHOLE = frozenset({"pickup", "accept", "combine"})


MOVES_WITH_CONTENTS = frozenset(
    {"pickup", "dropoff", "accept", "modify", "transfer", "transferCustody", "move",
     "transferAllRights"}
)  # fmt: skip


def check_containment(ev: EventInput, res: ResourceState, w: Work, qty: Decimal) -> None:
    a = ev.action.id
    if res.contained_in is not None and a != "separate":
        raise violation(
            f"resource {res.id!r} is packed in {res.contained_in!r}: separate it first",
            "resourceInventoriedAs",
            "contained-resource",
        )
    if a == "separate" and res.contained_in is None:
        raise violation(
            f"resource {res.id!r} is not packed in anything",
            "resourceInventoriedAs",
            "not-contained",
        )
    if a == "separate":
        packed = packed_quantity(res, w.view)
        if packed is not None and qty != packed:
            raise violation(
                f"separate unpacks the whole resource as it was packed ({packed} {res.unit})",
                "resourceQuantity",
                "whole-resource",
            )
    holds = bool(w.contents(res.id))
    if holds and ev.action.accountable_effect == "updateTo":
        for inner in nested_contents(w, res.id):
            if inner.primary_accountable != res.primary_accountable:
                raise AuthorisationError(
                    f"{inner.id!r} inside belongs to {inner.primary_accountable}: only its "
                    "accountable agent may give its rights away; separate it first",
                    field="event.resourceInventoriedAs",
                    rule="contents-accountable",
                )
    if holds and a in NOT_ON_CONTAINERS:
        raise violation(
            f"resource {res.id!r} contains other resources: separate them before you {a} it",
            "resourceInventoriedAs",
            "container",
        )
    # dropoff/modify give back what their pickup/accept took (pairing checks that quantity):
    # the container's onhand is zero in between, so "whole" is about the decrementing side.
    returns = a in ("dropoff", "modify")
    whole = a in TAKE_WHOLE or (holds and a in MOVES_WITH_CONTENTS and not returns)
    if whole and qty != res.onhand_quantity:
        raise violation(
            f"{a} takes the whole resource ({res.onhand_quantity} {res.unit}); "
            "split it with a transfer or move first",
            "resourceQuantity",
            "whole-resource",
        )


def packed_quantity(res: ResourceState, view: StateView) -> Decimal | None:
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


def nested_contents(w: Work, container_id: str) -> list[ResourceState]:
    out: list[ResourceState] = []
    stack = [container_id]
    while stack:
        for inner in w.contents(stack.pop()):
            out.append(inner)
            stack.append(inner.id)
    return out


def container_for_combine(ev: EventInput, res: ResourceState, w: Work) -> str:
    cid = ev.to_resource_inventoried_as
    if cid is None:
        raise violation(
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
            raise violation(
                "a resource cannot be packed inside itself",
                "toResourceInventoriedAs",
                "containment-cycle",
            )
        if seen.contained_in is None:
            break
        seen = w.get(seen.contained_in, "event.toResourceInventoriedAs")
    return container.id


def carry_contents(w: Work, container_id: str, **changes: str | None) -> None:
    """A container carries what it holds: location and holders follow, all the way down."""
    stack = [container_id]
    while stack:
        for inner in w.contents(stack.pop()):
            w.put(evolve(inner, **changes))
            stack.append(inner.id)
