"""Materials: which group a flow belongs to, whether it is waste, and its mass in kg.

Material groups are the classification URIs (``resourceClassifiedAs``) of the resource
specification (then of the resource, then of the event): the group of a flow is the smallest
such URI that is not a waste class, or ``unclassified``. Waste is decided in one place here:
a flow is waste when any of those URIs is in :data:`WASTE_CLASSES`, or the resource's ``state``
(or its stage's name) is in :data:`WASTE_STATES`.

Mass: a quantity in a mass unit converts exactly (``reflow.vf.units.convert``); a quantity in
another unit uses the specification's ``massPerUnit`` (kg per one ``defaultUnitOfResource``,
e.g. a shirt = 0.2 kg). Anything else has no mass and is reported as *unconverted* with its
unit and reason — never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from reflow.errors import RuleViolation
from reflow.vf.measure import Measure
from reflow.vf.units import compatible, convert

KG = "om2:kilogram"
UNCLASSIFIED = "unclassified"

#: Classification URIs that mark a resource (or specification) as waste.
WASTE_CLASSES: frozenset[str] = frozenset(
    {
        "https://reflowos.eu/ns/material#waste",
        "http://www.wikidata.org/entity/Q45701",  # waste (Wikidata)
        "https://www.eea.europa.eu/themes/waste",
        "reflow:waste",
    }
)
#: Resource states (and stage names) that mark a resource as waste.
WASTE_STATES: frozenset[str] = frozenset({"waste", "discarded", "scrap"})


def is_waste_class(uris: Iterable[str]) -> bool:
    return any(u in WASTE_CLASSES for u in uris)


def material_group(uris: Iterable[str]) -> str:
    """The smallest non-waste classification URI, or ``unclassified``."""
    groups = sorted(u for u in uris if u not in WASTE_CLASSES)
    return groups[0] if groups else UNCLASSIFIED


def _is_mass(unit: str) -> bool:
    try:
        return compatible(unit, KG)
    except RuleViolation:
        return False


def mass_kg(
    quantity: Decimal | None, unit: str | None, spec: dict[str, Any] | None
) -> tuple[Decimal | None, str | None]:
    """(mass in kg, None) or (None, the reason it cannot be known)."""
    if quantity is None or unit is None:
        return None, "no resource quantity"
    if _is_mass(unit):
        return convert(quantity, unit, KG), None
    per = (spec or {}).get("massPerUnit")
    if per is None:
        return None, f"no mass for unit {unit} (the specification declares no massPerUnit)"
    try:
        per_m = Measure.from_vf(per, "massPerUnit")
        per_kg = convert(per_m.value, per_m.unit, KG)
    except RuleViolation:
        return None, f"the specification's massPerUnit is not a mass ({per})"
    spec_unit = (spec or {}).get("defaultUnitOfResource")
    count = quantity
    if spec_unit and spec_unit != unit:
        try:
            count = convert(quantity, unit, spec_unit)
        except RuleViolation:
            return None, f"unit {unit} is not the specification's unit {spec_unit}"
    return count * per_kg, None
