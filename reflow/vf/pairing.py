"""Pairing: a dropoff gives back what its pickup took, a modify what its accept took — the same
resource, in the same process, in the same quantity — and each input has one such output.
"""

from __future__ import annotations

from decimal import Decimal

from reflow.errors import ConflictError
from reflow.vf.event import EventInput
from reflow.vf.state import EventState, ResourceState, StateView
from reflow.vf.units import convert
from reflow.vf.work import ZERO, violation


def check_pairing(ev: EventInput, res: ResourceState, qty: Decimal, view: StateView) -> None:
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
            raise violation(
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
        check_paired_quantity(ev, res, qty, live[0])


def check_paired_quantity(
    ev: EventInput, res: ResourceState, qty: Decimal, pair: EventState
) -> None:
    a = ev.action
    pair_qty = pair.resource_quantity or ZERO
    if res.unit and pair.resource_unit and pair.resource_unit != res.unit:
        pair_qty = convert(pair_qty, pair.resource_unit, res.unit)
    if pair_qty != qty:
        raise violation(
            f"{a.id} must have the quantity of its {a.pairs_with} ({pair_qty} {res.unit})",
            "resourceQuantity",
            "paired-quantity",
        )
