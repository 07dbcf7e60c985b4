"""Planning, proposals, agreements, claims and recipes through the API.

The whole market cycle: an offer with its intent, an agreement with a commitment that
satisfies the intent, and an event that fulfils the commitment — read back through VF 1.0's
properties and through the 0.x join types (Fulfillment, Satisfaction, Settlement).
"""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, qty

from reflow.client import ApiError
from reflow.node import Node


@pytest.fixture
def api(node: Node) -> Api:
    return Api(node)


def _mutate(api: Api, by: str, field: str, arg: str, params: str, data: dict[str, Any]) -> str:
    q = f"mutation($d: {params}!) {{ {field}({arg}: $d) {{ {arg} {{ id }} }} }}"
    object_id: str = api.as_(by).query(q, {"d": data})[field][arg]["id"]
    return object_id


def test_offer_agreement_commitment_event_cycle(api: Api) -> None:
    maker, buyer = api.agent("Maker"), api.agent("Buyer")
    chair = api.spec(maker, "chair")
    stock = api.event(
        maker, {"name": "chairs"}, action="raise", provider=maker, receiver=maker,
        resourceConformsTo=chair, resourceQuantity=qty(5, "om2:one"),
    )["economicResource"]["id"]  # fmt: skip
    # the maker offers chairs: an intent published in a proposal
    intent = api.create(maker, "Intent", "intent", {
        "action": "transfer", "provider": maker, "resourceConformsTo": chair,
        "resourceQuantity": qty(2, "om2:one"),
    })  # fmt: skip
    proposal = api.create(maker, "Proposal", "proposal", {"name": "chairs", "purpose": "offer"})
    api.as_(maker).query(
        "mutation($p: ID!, $i: ID!) { proposeIntent(publishedIn: $p, publishes: $i) "
        "{ proposedIntent { id reciprocal } } }",
        {"p": proposal, "i": intent},
    )
    # the buyer commits to receive two of them under an agreement
    agreement = api.create(buyer, "Agreement", "agreement", {"name": "two chairs"})
    commitment = api.create(maker, "Commitment", "commitment", {
        "action": "transfer", "provider": maker, "receiver": buyer, "resourceConformsTo": chair,
        "resourceQuantity": qty(2, "om2:one"), "clauseOf": agreement, "satisfies": [intent],
    })  # fmt: skip
    # the maker hands them over, fulfilling the commitment
    handed = api.event(
        maker, action="transfer", provider=maker, receiver=buyer, resourceInventoriedAs=stock,
        resourceQuantity=qty(2, "om2:one"), fulfills=[commitment], realizationOf=agreement,
    )["economicEvent"]["id"]  # fmt: skip
    out = api.client().query(
        """query($p: ID!, $a: ID!, $c: ID!, $e: ID!, $i: ID!) {
          proposal(id: $p) { purpose primaryIntents { id } publishes { publishes { id } } }
          agreement(id: $a) { commitments { id } economicEvents { id } }
          commitment(id: $c) {
            provider { name } clauseOf { name } satisfiesIntents { id }
            fulfilledBy { fulfilledBy { id action { id } }
                          resourceQuantity { hasNumericalValue } } }
          economicEvent(id: $e) { fulfills { fulfills { id } } realizationOf { id } }
          intent(id: $i) { satisfiedBy { satisfiedBy { __typename ... on Commitment { id } } } }
        }""",
        {"p": proposal, "a": agreement, "c": commitment, "e": handed, "i": intent},
    )
    assert out["proposal"] == {
        "purpose": "offer", "primaryIntents": [{"id": intent}],
        "publishes": [{"publishes": {"id": intent}}],
    }  # fmt: skip
    assert out["agreement"] == {"commitments": [{"id": commitment}],
                                "economicEvents": [{"id": handed}]}  # fmt: skip
    c = out["commitment"]
    assert c["provider"] == {"name": "Maker"} and c["clauseOf"] == {"name": "two chairs"}
    assert c["satisfiesIntents"] == [{"id": intent}]
    assert c["fulfilledBy"] == [{
        "fulfilledBy": {"id": handed, "action": {"id": "transfer"}},
        "resourceQuantity": {"hasNumericalValue": "2"},
    }]  # fmt: skip
    assert out["economicEvent"] == {"fulfills": [{"fulfills": {"id": commitment}}],
                                    "realizationOf": {"id": agreement}}  # fmt: skip
    assert out["intent"]["satisfiedBy"] == [
        {"satisfiedBy": {"__typename": "Commitment", "id": commitment}}
    ]


def test_join_records_link_events_after_the_fact(api: Api) -> None:
    worker, org = api.agent("Worker"), api.agent("Coop", "Organization")
    sewing = api.create(org, "Process", "process", {"name": "sewing"})
    hours = api.event(
        worker, action="work", provider=worker, receiver=org, inputOf=sewing,
        effortQuantity=qty(3, "om2:hour"),
    )["economicEvent"]["id"]  # fmt: skip
    commitment = api.create(worker, "Commitment", "commitment", {
        "action": "work", "provider": worker, "receiver": org, "effortQuantity": qty(8, "om2:hour"),
    })  # fmt: skip
    claim = api.create(worker, "Claim", "claim", {
        "action": "transfer", "provider": org, "receiver": worker, "triggeredBy": hours,
        "resourceQuantity": qty(30, "iso4217:EUR"),
    })  # fmt: skip
    three_hours = qty(3, "om2:hour")
    link = {"fulfilledBy": hours, "fulfills": commitment, "effortQuantity": three_hours}
    f = _mutate(api, worker, "createFulfillment", "fulfillment", "FulfillmentCreateParams", link)
    s = _mutate(api, worker, "createSettlement", "settlement", "SettlementCreateParams",
                {"settledBy": hours, "settles": claim, "note": "paid in kind"})  # fmt: skip
    out = api.client().query(
        """query($c: ID!, $k: ID!) {
          commitment(id: $c) {
            fulfilledBy { id effortQuantity { hasNumericalValue hasUnit { id } } } }
          claim(id: $k) { triggeredBy { id } settledBy { id note settledBy { id } } }
        }""",
        {"c": commitment, "k": claim},
    )
    assert out["commitment"]["fulfilledBy"] == [
        {"id": f, "effortQuantity": {"hasNumericalValue": "3", "hasUnit": {"id": "om2:hour"}}}
    ]
    assert out["claim"] == {"triggeredBy": {"id": hours},
                            "settledBy": [{"id": s, "note": "paid in kind",
                                           "settledBy": {"id": hours}}]}  # fmt: skip
    stranger = api.agent("Stranger")
    with pytest.raises(ApiError) as err:
        _mutate(api, stranger, "createFulfillment", "fulfillment", "FulfillmentCreateParams",
                {"fulfilledBy": hours, "fulfills": commitment})  # fmt: skip
    assert err.value.errors[0]["extensions"]["rule"] == "flow-agent-relates"


def test_objects_are_updated_and_withdrawn_by_their_author(api: Api) -> None:
    anna, bob = api.agent("Anna"), api.agent("Bob")
    plan = api.create(anna, "Plan", "plan", {"name": "repair week"})
    q = "mutation($p: PlanUpdateParams!) { updatePlan(plan: $p) { plan { name due } } }"
    out = api.as_(anna).query(q, {"p": {"id": plan, "due": "2025-01-10T00:00:00Z"}})
    assert out["updatePlan"]["plan"] == {"name": "repair week", "due": "2025-01-10T00:00:00Z"}
    with pytest.raises(ApiError) as err:
        api.as_(bob).query(q, {"p": {"id": plan, "name": "mine now"}})
    assert err.value.code == "FORBIDDEN"
    assert api.as_(anna).query("mutation($id: ID!) { deletePlan(id: $id) }", {"id": plan})
    assert api.client().query("query($id: ID!) { plan(id: $id) { id } }", {"id": plan}) == {
        "plan": None
    }


def test_recipes_list_their_processes_and_flows(api: Api) -> None:
    anna = api.agent("Anna")
    wood, chair = api.spec(anna, "wood"), api.spec(anna, "chair")
    assemble = api.create(anna, "RecipeProcess", "recipeProcess",
                          {"name": "assemble", "hasDuration": qty(2, "om2:hour")})  # fmt: skip
    api.create(anna, "RecipeFlow", "recipeFlow", {
        "action": "consume", "recipeInputOf": assemble, "resourceConformsTo": wood,
        "resourceQuantity": qty(4),
    })  # fmt: skip
    api.create(anna, "RecipeFlow", "recipeFlow", {
        "action": "produce", "recipeOutputOf": assemble, "resourceConformsTo": chair,
        "resourceQuantity": qty(1, "om2:one"),
    })  # fmt: skip
    data = {"name": "chair", "primaryOutput": chair, "recipeIncludes": [assemble]}
    recipe = api.create(anna, "Recipe", "recipe", data)
    out = api.client().query(
        """query($r: ID!) { recipe(id: $r) { primaryOutput { name } recipeIncludes {
             name hasDuration { hasNumericalValue hasUnit { symbol } }
             recipeInputs { action { id } resourceConformsTo { name } }
             recipeOutputs { action { id } resourceQuantity { hasNumericalValue } } } } }""",
        {"r": recipe},
    )["recipe"]
    assert out["primaryOutput"] == {"name": "chair"}
    step = out["recipeIncludes"][0]
    assert step["hasDuration"] == {"hasNumericalValue": "2", "hasUnit": {"symbol": "h"}}
    assert step["recipeInputs"] == [
        {"action": {"id": "consume"}, "resourceConformsTo": {"name": "wood"}}
    ]
    assert step["recipeOutputs"] == [{"action": {"id": "produce"},
                                      "resourceQuantity": {"hasNumericalValue": "1"}}]  # fmt: skip


def test_intents_are_filtered_by_action_and_agent(api: Api) -> None:
    anna, bob = api.agent("Anna"), api.agent("Bob")
    wood = api.spec(anna, "wood")
    api.create(anna, "Intent", "intent", {"action": "transfer", "provider": anna,
                                          "resourceConformsTo": wood})  # fmt: skip
    api.create(bob, "Intent", "intent", {"action": "work", "receiver": bob})
    q = """query($f: FlowFilterParams) { intents(filter: $f) {
             edges { node { action { id } provider { name } } } pageInfo { totalCount } } }"""
    out = api.client().query(q, {"f": {"action": ["transfer"]}})["intents"]
    assert out["pageInfo"]["totalCount"] == 1
    assert out["edges"][0]["node"] == {"action": {"id": "transfer"}, "provider": {"name": "Anna"}}
    assert (
        api.client().query(q, {"f": {"receiver": [bob]}})["intents"]["pageInfo"]["totalCount"] == 1
    )


def test_create_params_only_name_fields_the_vf_types_know(api: Api) -> None:
    """Every …CreateParams input of a VF object names only fields its record schema accepts."""
    from reflow.api.schema import build_schema
    from reflow.vf.types import VF_TYPES

    schema = build_schema()
    for name, t in VF_TYPES.items():
        params = schema.type_map.get(f"{name}CreateParams")
        if params is None:
            continue
        assert set(params.fields) <= set(t.fields), name  # type: ignore[attr-defined]
