"""The VF 1.0 classes other than events and resources, as data schemas.

Agents, places, specifications, processes, plans, intents, proposals, commitments, agreements,
claims and recipes are created and updated by records whose body is VF data. One schema per class
says which fields it has, of what kind, which are required and what they refer to, so every
such record is checked the same way on every node (and the API and JSON-LD import share it).
Rules that need state beyond "the referenced object exists" belong to the service that owns the
class (market, plan, value), which adds them on top.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from reflow.errors import RuleViolation
from reflow.vf.actions import get_action
from reflow.vf.measure import Measure

AGENT_TYPES = frozenset({"Person", "Organization", "EcologicalAgent"})


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a VF class. ``kind`` is one of the keys of ``_CHECKS`` or ``ref``/``refs``."""

    kind: str
    required: bool = False
    ref: str | None = None  # the VF class a ref/refs field points to ("Agent" = any agent)


@dataclass(frozen=True, slots=True)
class VfType:
    name: str
    fields: Mapping[str, Field]
    mutable: bool = True  # VF objects may be updated by their author; events never

    def check(self, data: Any, where: str, *, partial: bool = False) -> dict[str, Any]:
        """Check ``data`` against the schema; returns it unchanged, or raises naming the field."""
        if not isinstance(data, dict):
            raise RuleViolation(f"a {self.name} must be an object", field=where, rule="type")
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise RuleViolation(
                f"{self.name} has no field {unknown[0]!r}",
                field=f"{where}.{unknown[0]}",
                rule="known-fields",
            )
        for key, f in self.fields.items():
            value = data.get(key)
            if value is None:
                if f.required and not partial:
                    raise RuleViolation(
                        f"{key} is required", field=f"{where}.{key}", rule="required"
                    )
                continue
            _check_value(f, value, f"{where}.{key}")
        return data

    def references(self, data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """(field, VF class, id) for every reference in ``data``, to check they exist."""
        out = []
        for key, f in self.fields.items():
            value = data.get(key)
            if value is None or f.ref is None:
                continue
            ids = value if f.kind == "refs" else [value]
            out.extend((key, f.ref, i) for i in ids)
        return out


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _is_datetime(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_decimal(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        return False
    try:
        return Decimal(v).is_finite()
    except InvalidOperation:
        return False


def _is_measure(v: Any) -> bool:
    Measure.from_vf(v, "measure")
    return True


def _is_action(v: Any) -> bool:
    get_action(v)
    return True


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "text": (_is_text, "a non-empty string"),
    "uri": (_is_text, "a URI string"),
    "uris": (lambda v: isinstance(v, list) and all(_is_text(x) for x in v), "a list of URIs"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "datetime": (_is_datetime, "an ISO 8601 date-time"),
    "decimal": (_is_decimal, "a decimal number written as a string"),
    "measure": (_is_measure, "a measure {hasNumericalValue, hasUnit}"),
    "action": (_is_action, "a VF action id"),
    "ref": (_is_text, "the id of an object"),
    "refs": (lambda v: isinstance(v, list) and all(_is_text(x) for x in v), "a list of ids"),
    "purpose": (lambda v: v in ("offer", "request"), "offer or request"),
}


def _check_value(f: Field, value: Any, where: str) -> None:
    check, expected = _CHECKS[f.kind]
    try:
        ok = check(value)
    except RuleViolation as exc:
        raise RuleViolation(
            f"{where.rsplit('.', 1)[-1]}: {exc.message}", field=where, rule=exc.rule
        ) from None
    if not ok:
        raise RuleViolation(
            f"{where.rsplit('.', 1)[-1]} must be {expected}", field=where, rule="type"
        )


def _f(kind: str, ref: str | None = None, *, required: bool = False) -> Field:
    return Field(kind, required, ref)


_NAMED = {"name": _f("text", required=True), "note": _f("text"), "image": _f("uri")}
_TIMES = {
    "hasBeginning": _f("datetime"),
    "hasEnd": _f("datetime"),
    "hasPointInTime": _f("datetime"),
    "due": _f("datetime"),
}
_FLOW = {
    "action": _f("action", required=True),
    "inputOf": _f("ref", "Process"),
    "outputOf": _f("ref", "Process"),
    "resourceInventoriedAs": _f("ref", "EconomicResource"),
    "resourceConformsTo": _f("ref", "ResourceSpecification"),
    "resourceClassifiedAs": _f("uris"),
    "resourceQuantity": _f("measure"),
    "effortQuantity": _f("measure"),
    "atLocation": _f("ref", "SpatialThing"),
    "finished": _f("bool"),
    "note": _f("text"),
    "name": _f("text"),
    "stage": _f("ref", "ProcessSpecification"),
    "state": _f("text"),
    "plannedWithin": _f("ref", "Plan"),
    "inScopeOf": _f("refs", "Agent"),
    "image": _f("uri"),
    "agreedIn": _f("uri"),
    **_TIMES,
}

VF_TYPES: dict[str, VfType] = {
    t.name: t
    for t in (
        VfType(
            "Person",
            {**_NAMED, "primaryLocation": _f("ref", "SpatialThing"), "classifiedAs": _f("uris")},
        ),
        VfType(
            "Organization",
            {**_NAMED, "primaryLocation": _f("ref", "SpatialThing"), "classifiedAs": _f("uris")},
        ),
        VfType(
            "EcologicalAgent",
            {**_NAMED, "primaryLocation": _f("ref", "SpatialThing"), "classifiedAs": _f("uris")},
        ),
        VfType(
            "SpatialThing",
            {
                **_NAMED,
                "lat": _f("decimal"),
                "long": _f("decimal"),
                "alt": _f("decimal"),
                "mappableAddress": _f("text"),
            },
        ),
        VfType(
            "ResourceSpecification",
            {
                **_NAMED,
                "resourceClassifiedAs": _f("uris"),
                "defaultUnitOfResource": _f("text"),
                "defaultUnitOfEffort": _f("text"),
                "substitutable": _f("bool"),
                "mediumOfExchange": _f("bool"),
                # ReflowOS extension: mass of one unit, so territory reports can speak in kg.
                "massPerUnit": _f("measure"),
            },
        ),
        VfType("ProcessSpecification", {**_NAMED}),
        VfType(
            "Process",
            {
                **_NAMED,
                "hasBeginning": _f("datetime"),
                "hasEnd": _f("datetime"),
                "finished": _f("bool"),
                "basedOn": _f("ref", "ProcessSpecification"),
                "classifiedAs": _f("uris"),
                "plannedWithin": _f("ref", "Plan"),
                "inScopeOf": _f("refs", "Agent"),
                "atLocation": _f("ref", "SpatialThing"),
            },
        ),
        VfType(
            "BatchLotRecord",
            {
                "batchLotCode": _f("text", required=True),
                "expirationDate": _f("datetime"),
                "note": _f("text"),
            },
        ),
        VfType(
            "Plan",
            {
                **_NAMED,
                "due": _f("datetime"),
                "inScopeOf": _f("refs", "Agent"),
                "hasIndependentDemand": _f("refs", "Commitment"),
            },
        ),
        VfType(
            "Intent",
            {
                **_FLOW,
                "provider": _f("ref", "Agent"),
                "receiver": _f("ref", "Agent"),
                "availableQuantity": _f("measure"),
                "minimumQuantity": _f("measure"),
            },
        ),
        VfType(
            "Commitment",
            {
                **_FLOW,
                "provider": _f("ref", "Agent", required=True),
                "receiver": _f("ref", "Agent", required=True),
                "clauseOf": _f("ref", "Agreement"),
                "independentDemandOf": _f("ref", "Plan"),
                "satisfies": _f("refs", "Intent"),
                "created": _f("datetime"),
            },
        ),
        VfType(
            "Proposal",
            {
                "name": _f("text"),
                "note": _f("text"),
                "hasBeginning": _f("datetime"),
                "hasEnd": _f("datetime"),
                "unitBased": _f("bool"),
                "purpose": _f("purpose"),
                "eligibleLocation": _f("ref", "SpatialThing"),
                "proposedTo": _f("refs", "Agent"),
                "publishes": _f("refs", "Intent"),
                "reciprocal": _f("refs", "Intent"),
                "inScopeOf": _f("refs", "Agent"),
                "created": _f("datetime"),
            },
        ),
        VfType(
            "ProposalList",
            {"name": _f("text"), "note": _f("text"), "lists": _f("refs", "Proposal")},
        ),
        VfType(
            "Agreement",
            {
                "name": _f("text"),
                "note": _f("text"),
                "created": _f("datetime"),
                "stipulates": _f("refs", "Commitment"),
                "stipulatesReciprocal": _f("refs", "Commitment"),
                "bundledIn": _f("ref", "AgreementBundle"),
            },
        ),
        VfType(
            "AgreementBundle", {"name": _f("text"), "note": _f("text"), "created": _f("datetime")}
        ),
        VfType(
            "Claim",
            {
                "action": _f("action", required=True),
                "provider": _f("ref", "Agent", required=True),
                "receiver": _f("ref", "Agent", required=True),
                "resourceConformsTo": _f("ref", "ResourceSpecification"),
                "resourceClassifiedAs": _f("uris"),
                "resourceQuantity": _f("measure"),
                "effortQuantity": _f("measure"),
                "triggeredBy": _f("ref", "EconomicEvent"),
                "due": _f("datetime"),
                "created": _f("datetime"),
                "finished": _f("bool"),
                "note": _f("text"),
                "agreedIn": _f("uri"),
            },
        ),
        VfType(
            "Recipe",
            {
                **_NAMED,
                "primaryOutput": _f("ref", "ResourceSpecification"),
                "recipeIncludes": _f("refs", "RecipeProcess"),
            },
        ),
        VfType(
            "RecipeProcess",
            {
                **_NAMED,
                "hasDuration": _f("measure"),
                "processConformsTo": _f("ref", "ProcessSpecification"),
                "processClassifiedAs": _f("uris"),
            },
        ),
        VfType(
            "RecipeFlow",
            {
                "action": _f("action", required=True),
                "note": _f("text"),
                "recipeInputOf": _f("ref", "RecipeProcess"),
                "recipeOutputOf": _f("ref", "RecipeProcess"),
                "resourceConformsTo": _f("ref", "ResourceSpecification"),
                "resourceClassifiedAs": _f("uris"),
                "resourceQuantity": _f("measure"),
                "effortQuantity": _f("measure"),
                "stage": _f("ref", "ProcessSpecification"),
                "state": _f("text"),
                "recipeClauseOf": _f("ref", "RecipeExchange"),
            },
        ),
        VfType("RecipeExchange", {**_NAMED}),
    )
}


def get_type(name: Any, where: str = "type") -> VfType:
    if not isinstance(name, str) or name not in VF_TYPES:
        raise RuleViolation(
            f"unknown VF type {name!r}; known: {', '.join(sorted(VF_TYPES))}",
            field=where,
            rule="vf-type",
        )
    return VF_TYPES[name]
