"""What the event rules share: the resources an event is changing, exact sums, and the error
that names an event's field.
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation

from reflow.errors import NotFound, RuleViolation
from reflow.vf.state import ResourceState, StateView

ZERO = Decimal(0)


# Quantities are summed exactly: the default context (28 digits) would round silently.
EXACT = Context(prec=1000, traps=[Inexact, InvalidOperation])


class Work:
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


def violation(message: str, field: str, rule: str) -> RuleViolation:
    return RuleViolation(message, field=f"event.{field}", rule=rule)


def exact_sum(a: Decimal, b: Decimal) -> Decimal:
    try:
        return EXACT.add(a, b)
    except (Inexact, InvalidOperation):
        raise violation(
            "the quantity has too many digits to be kept exactly",
            "resourceQuantity",
            "exact-quantity",
        ) from None
