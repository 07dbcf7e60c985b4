"""Resolvers of the planning, proposal, agreement, claim and recipe modules.

These VF classes are plain VF objects (``vf.create``/``vf.update``/``vf.delete`` records), so
their queries and mutations are the generic ones; what is particular here are the reverse
lookups (a commitment's fulfilments, a process's planned flows) and the 0.x join types served
over VF 1.0's plain properties: ``Fulfillment`` over an event's ``fulfills``, ``Satisfaction``
over ``satisfies``, ``Settlement`` over ``settles``, ``ProposedIntent`` over a proposal's
``publishes``/``reciprocal`` — plus the join records ``vf.relation`` stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ariadne import ObjectType, UnionType
from graphql import GraphQLResolveInfo
from sqlalchemy import or_, select

from reflow.api.context import ctx_of
from reflow.api.loaders import BATCH, Loaders, register_lookup
from reflow.api.nodes import event_node, object_node
from reflow.api.read_resolvers import (
    OBJECT_TYPES,
    event_action,
    get_object,
    register_object_queries,
)
from reflow.api.write_resolvers import clean, mutation, register_object_mutations
from reflow.store.codec import dumps
from reflow.store.schema import events, vf_objects

Info = GraphQLResolveInfo
Node = dict[str, Any]
Resolver = Callable[..., Any]

FLOW_TYPES = [
    "Intent", "Commitment", "Plan", "Proposal", "ProposalList", "Agreement", "AgreementBundle",
    "Claim", "Recipe", "RecipeProcess", "RecipeFlow", "RecipeExchange",
]  # fmt: skip
OBJECT_TYPES.update({t: [t] for t in FLOW_TYPES})
register_object_queries(
    [
        ("intent", "intents", "Intent"), ("commitment", "commitments", "Commitment"),
        ("plan", "plans", "Plan"), ("proposal", "proposals", "Proposal"),
        ("proposalList", None, "ProposalList"), ("agreement", "agreements", "Agreement"),
        ("agreementBundle", None, "AgreementBundle"), ("claim", "claims", "Claim"),
        ("recipe", "recipes", "Recipe"), ("recipeProcess", None, "RecipeProcess"),
        ("recipeFlow", None, "RecipeFlow"), ("recipeExchange", None, "RecipeExchange"),
    ],
    OBJECT_TYPES,
)  # fmt: skip


def _arg(type_name: str) -> str:
    return type_name[0].lower() + type_name[1:]


register_object_mutations(
    {t: (t, _arg(t), _arg(t)) for t in FLOW_TYPES if t not in ("ProposalList", "AgreementBundle")},
    {t: (t, _arg(t), _arg(t)) for t in ("ProposalList", "AgreementBundle")},
)


# -- reverse lookups ------------------------------------------------------------------------


def object_lookup(
    type_name: str, key: str, parent_types: list[str], *, listed: bool = False
) -> str:
    """Register the lookup of objects of ``type_name`` whose ``key`` is (or, ``listed``,
    contains) the parent's id; its name."""
    name = f"objects:{type_name}:{key}:{'listed' if listed else 'one'}"

    def pattern(value: str) -> str:
        return f"%{dumps(value)}%" if listed else f"%{dumps(key)}:{dumps(value)}%"

    def fetch(loaders: Loaders, parents: list[str]) -> dict[str, list[Node]]:
        found: dict[str, list[Node]] = {}
        for start in range(0, len(parents), BATCH):
            chunk = parents[start : start + BATCH]
            wanted = set(chunk)
            rows = loaders.conn().execute(
                select(vf_objects)
                .where(
                    vf_objects.c.type == type_name,
                    vf_objects.c.deleted.is_(False),
                    or_(*(vf_objects.c.data.like(pattern(v)) for v in chunk)),
                )
                .order_by(vf_objects.c.id)
            )
            for row in rows:
                node = object_node(row)
                have = node.get(key)
                for parent in _matches(have if listed else [have], wanted):
                    found.setdefault(parent, []).append(node)
        return found

    register_lookup(name, parent_types, fetch)
    return name


def event_lookup(key: str, parent_types: list[str]) -> str:
    """Register the lookup of events whose body property ``key`` is or lists the parent's id."""
    name = f"events:{key}"

    def fetch(loaders: Loaders, parents: list[str]) -> dict[str, list[Node]]:
        found: dict[str, list[Node]] = {}
        for start in range(0, len(parents), BATCH):
            chunk = parents[start : start + BATCH]
            wanted = set(chunk)
            rows = loaders.conn().execute(
                select(events)
                .where(or_(*(events.c.body.like(f"%{dumps(v)}%") for v in chunk)))
                .order_by(events.c.id)
            )
            for row in rows:
                node = event_node(row)
                have = node.get(key)
                for parent in _matches(have if isinstance(have, list) else [have], wanted):
                    found.setdefault(parent, []).append(node)
        return found

    register_lookup(name, parent_types, fetch)
    return name


def _matches(values: Any, wanted: set[str]) -> list[str]:
    """The wanted parents among ``values`` (each once)."""
    if not isinstance(values, list):
        return []
    return sorted({v for v in values if isinstance(v, str) and v in wanted})


def _join(type_name: str, by_field: str, by: Node, what_field: str, what: str) -> Node:
    return {
        "__typename": type_name,
        "id": f"{by['id']}/{what}",
        by_field: by["id"],
        "_byType": by.get("__typename"),  # which loader holds the flow (an event or not)
        what_field: what,
        "resourceQuantity": by.get("resourceQuantity"),
        "effortQuantity": by.get("effortQuantity"),
        "note": None,
    }


# (join type, flow field, target field, property on the flow that VF 1.0 records)
JOINS = {
    "Fulfillment": ("fulfilledBy", "fulfills"),
    "Satisfaction": ("satisfiedBy", "satisfies"),
    "Settlement": ("settledBy", "settles"),
}


# The types whose nodes fulfil, satisfy or settle (the flows) and are fulfilled, satisfied or
# settled (the targets).
FLOW_PARENTS = ["Commitment", "EconomicEvent"]
TARGET_PARENTS = {"fulfills": ["Commitment"], "satisfies": ["Intent"], "settles": ["Claim"]}


def joins_of_flow(type_name: str) -> Resolver:
    """An event's (or commitment's) fulfilments/satisfactions/settlements."""
    by_field, what_field = JOINS[type_name]
    recorded = object_lookup(type_name, by_field, FLOW_PARENTS)

    def resolve(obj: Node, info: Info) -> list[Node]:
        loaders = ctx_of(info).loaders
        listed = obj.get(what_field)
        derived = [
            _join(type_name, by_field, obj, what_field, t)
            for t in (listed if isinstance(listed, list) else [])
        ]
        return derived + loaders.lookup(recorded, obj["id"])

    return resolve


def joins_of_target(type_name: str, *, commitments_too: bool = False) -> Resolver:
    """A commitment's fulfilments, an intent's satisfactions, a claim's settlements."""
    by_field, what_field = JOINS[type_name]
    parents = TARGET_PARENTS[what_field]
    by_events = event_lookup(what_field, parents)
    by_commitments = object_lookup("Commitment", what_field, parents, listed=True)
    recorded = object_lookup(type_name, what_field, parents)

    def resolve(obj: Node, info: Info) -> list[Node]:
        loaders = ctx_of(info).loaders
        flows = list(loaders.lookup(by_events, obj["id"]))
        if commitments_too:
            flows += loaders.lookup(by_commitments, obj["id"])
        derived = [_join(type_name, by_field, f, what_field, obj["id"]) for f in flows]
        return derived + loaders.lookup(recorded, obj["id"])

    return resolve


def satisfied_by(obj: Node, info: Info) -> Node | None:
    """An event or a commitment: a join derived from a flow knows which; a recorded one's
    reference was wanted from both loaders when it was loaded (``EITHER_REFS``)."""
    loaders = ctx_of(info).loaders
    ref, by_type = obj["satisfiedBy"], obj.get("_byType")
    if by_type is not None:
        return (loaders.events if by_type == "EconomicEvent" else loaders.objects).get(ref)
    return loaders.events.get(ref) or loaders.objects.get(ref)


def related(parent: str, type_name: str, key: str) -> Resolver:
    """Objects of ``type_name`` whose ``key`` names the ``parent`` (a process's commitments)."""
    name = object_lookup(type_name, key, [parent])

    def resolve(obj: Node, info: Info, **_: Any) -> list[Node]:
        return ctx_of(info).loaders.lookup(name, obj["id"])

    return resolve


REALIZATIONS = event_lookup("realizationOf", ["Agreement"])


def agreement_events(obj: Node, info: Info) -> list[Node]:
    return ctx_of(info).loaders.lookup(REALIZATIONS, obj["id"])


def proposed_intents(obj: Node, info: Info) -> list[Node]:
    out = []
    for key, reciprocal in (("publishes", False), ("reciprocal", True)):
        for intent in obj.get(key) or []:
            out.append({
                "__typename": "ProposedIntent", "id": f"{obj['id']}/{intent}",
                "publishedIn": obj["id"], "publishes": intent, "reciprocal": reciprocal,
            })  # fmt: skip
    ctx_of(info).loaders.objects.want(n["publishes"] for n in out)
    return out


def proposed_to(obj: Node, info: Info) -> list[Node]:
    return [
        {"__typename": "ProposedTo", "id": f"{obj['id']}/{agent}", "proposed": obj["id"],
         "proposedTo": agent}
        for agent in obj.get("proposedTo") or []
    ]  # fmt: skip


def intents_of(key: str) -> Resolver:
    def resolve(obj: Node, info: Info) -> list[Node]:
        return ctx_of(info).loaders.objects.get_many(obj.get(key) or [])

    return resolve


def bind(types: dict[str, ObjectType]) -> list[Any]:
    """Add this module's field resolvers to the shared ObjectTypes; extra bindables returned."""
    for name in ("Intent", "Commitment", "Claim", "RecipeFlow"):
        types[name].set_field("action", event_action)
    event, commitment = types["EconomicEvent"], types["Commitment"]
    event.set_field("fulfills", joins_of_flow("Fulfillment"))
    event.set_field("satisfies", joins_of_flow("Satisfaction"))
    event.set_field("settles", joins_of_flow("Settlement"))
    commitment.set_field("satisfies", joins_of_flow("Satisfaction"))
    commitment.set_field("satisfiesIntents", intents_of("satisfies"))
    commitment.set_field("fulfilledBy", joins_of_target("Fulfillment"))
    types["Intent"].set_field("satisfiedBy", joins_of_target("Satisfaction", commitments_too=True))
    types["Claim"].set_field("settledBy", joins_of_target("Settlement"))
    process = types["Process"]
    process.set_field("committedInputs", related("Process", "Commitment", "inputOf"))
    process.set_field("committedOutputs", related("Process", "Commitment", "outputOf"))
    process.set_field("intendedInputs", related("Process", "Intent", "inputOf"))
    process.set_field("intendedOutputs", related("Process", "Intent", "outputOf"))
    types["Plan"].set_field("processes", related("Plan", "Process", "plannedWithin"))
    agreement = types["Agreement"]
    agreement.set_field("commitments", related("Agreement", "Commitment", "clauseOf"))
    agreement.set_field("economicEvents", agreement_events)
    proposal = types["Proposal"]
    proposal.set_field("primaryIntents", intents_of("publishes"))
    proposal.set_field("reciprocalIntents", intents_of("reciprocal"))
    proposal.set_field("publishes", proposed_intents)
    proposal.set_field("proposedTo", proposed_to)
    recipe_process = types.setdefault("RecipeProcess", ObjectType("RecipeProcess"))
    recipe_process.set_field(
        "recipeInputs", related("RecipeProcess", "RecipeFlow", "recipeInputOf")
    )
    recipe_process.set_field(
        "recipeOutputs", related("RecipeProcess", "RecipeFlow", "recipeOutputOf")
    )
    satisfaction = types.setdefault("Satisfaction", ObjectType("Satisfaction"))
    satisfaction.set_field("satisfiedBy", satisfied_by)
    satisfaction.set_field(
        "satisfies", lambda obj, info: ctx_of(info).loaders.objects.get(obj["satisfies"])
    )
    return [UnionType("EventOrCommitment")]


# -- mutations --------------------------------------------------------------------------------


def create_relation(type_name: str, arg: str) -> Resolver:
    def resolve(_: Any, info: Info, **args: Any) -> Node:
        ctx = ctx_of(info)
        body = {"type": type_name, "data": clean(args[arg])}
        receipt = ctx.submit(ctx.signer_key(), "vf.relation", body)
        return {arg: ctx.loaders.objects.get(receipt.created[type_name])}

    return resolve


mutation.set_field("createFulfillment", create_relation("Fulfillment", "fulfillment"))
mutation.set_field("createSatisfaction", create_relation("Satisfaction", "satisfaction"))
mutation.set_field("createSettlement", create_relation("Settlement", "settlement"))


def _add_to_list(info: Info, object_id: str, key: str, value: str) -> Node:
    ctx = ctx_of(info)
    key_pair = ctx.signer_key()
    current = get_object(["Proposal"])(None, info, id=object_id)
    listed = list((current or {}).get(key) or [])
    if value not in listed:
        listed.append(value)
    ctx.submit(key_pair, "vf.update", {"id": object_id, "data": {key: listed}})
    return ctx.loaders.objects.get(object_id) or {}


@mutation.field("proposeIntent")
def resolve_propose_intent(
    _: Any, info: Info, publishedIn: str, publishes: str, reciprocal: bool | None = None
) -> Node:
    key = "reciprocal" if reciprocal else "publishes"
    _add_to_list(info, publishedIn, key, publishes)
    node = {
        "__typename": "ProposedIntent", "id": f"{publishedIn}/{publishes}",
        "publishedIn": publishedIn, "publishes": publishes, "reciprocal": bool(reciprocal),
    }  # fmt: skip
    return {"proposedIntent": node}


@mutation.field("proposeTo")
def resolve_propose_to(_: Any, info: Info, proposed: str, proposedTo: str) -> Node:
    _add_to_list(info, proposed, "proposedTo", proposedTo)
    node = {"__typename": "ProposedTo", "id": f"{proposed}/{proposedTo}",
            "proposed": proposed, "proposedTo": proposedTo}  # fmt: skip
    return {"proposedTo": node}
