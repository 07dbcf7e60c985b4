"""The GraphQL API end to end through the ASGI app, on SQLite and PostgreSQL.

Agents, specifications and places are created through the API; events are recorded through
``createEconomicEvent`` and the resources they change are read back with their specification,
place and exact quantities.
"""

from __future__ import annotations

import pytest
from api_support import Api, qty

from reflow.client import ApiError
from reflow.node import Node


@pytest.fixture
def api(node: Node) -> Api:
    return Api(node)


RESOURCE = """query($id: ID!) {
  economicResource(id: $id) {
    id name
    conformsTo { id name }
    currentLocation { id name lat long }
    primaryAccountable { id name }
    custodian { id }
    accountingQuantity { hasNumericalValue hasUnit { id symbol } }
    onhandQuantity { hasNumericalValue }
    previous { id action { id } }
  }
}"""


def test_node_endpoints_answer(api: Api) -> None:
    assert api.http.get("/health").json()["status"] == "ok"
    sdl = api.http.get("/schema").text
    assert "createEconomicEvent(" in sdl and "type EconomicResource" in sdl
    play = api.http.get("/play")
    assert play.status_code == 200 and "/api" in play.text and "cdn" not in play.text.lower()
    api.client().query("{ actions { id } }")
    metrics = api.http.get("/metrics").text
    assert 'reflow_http_requests_total{route="graphql",status="200"}' in metrics


def test_agents_specs_and_places_are_created_and_read_back(api: Api) -> None:
    anna = api.agent("Anna")
    repair = api.agent("Repair Café", "Organization")
    cotton = api.spec(anna, "cotton", defaultUnitOfResource="om2:kilogram")
    depot = api.place(anna, "depot", "52.3702", "4.8952")
    out = api.client().query(
        """query($a: ID!, $o: ID!, $s: ID!, $p: ID!) {
          person(id: $a) { id name }
          agent(id: $o) { __typename id name }
          resourceSpecification(id: $s) { name defaultUnitOfResource { id symbol } }
          spatialThing(id: $p) { name lat long }
          people { edges { node { name } } pageInfo { totalCount } }
        }""",
        {"a": anna, "o": repair, "s": cotton, "p": depot},
    )
    assert out["person"] == {"id": anna, "name": "Anna"}
    assert out["agent"] == {"__typename": "Organization", "id": repair, "name": "Repair Café"}
    assert out["resourceSpecification"]["defaultUnitOfResource"] == {
        "id": "om2:kilogram",
        "symbol": "kg",
    }
    assert out["spatialThing"] == {"name": "depot", "lat": "52.3702", "long": "4.8952"}
    assert out["people"]["pageInfo"]["totalCount"] == 1


def test_raise_and_transfer_change_resources_exactly(api: Api) -> None:
    anna, clinic = api.agent("Anna"), api.agent("Clinic", "Organization")
    cotton = api.spec(anna, "cotton")
    depot = api.place(anna, "depot")
    made = api.event(
        anna,
        {"name": "bale", "currentLocation": depot},
        action="raise", provider=anna, receiver=anna, resourceConformsTo=cotton,
        resourceQuantity=qty(10),
    )  # fmt: skip
    bale = made["economicResource"]["id"]
    assert made["economicResource"]["accountingQuantity"] == {"hasNumericalValue": "10"}
    given = api.event(
        anna,
        action="transfer", provider=anna, receiver=clinic, resourceInventoriedAs=bale,
        resourceQuantity={"hasNumericalValue": 2.5, "hasUnit": "kg"},
    )  # fmt: skip
    out = api.client().query(RESOURCE, {"id": bale})["economicResource"]
    assert out["name"] == "bale"
    assert out["conformsTo"] == {"id": cotton, "name": "cotton"}
    assert out["currentLocation"]["name"] == "depot"
    assert out["accountingQuantity"] == {
        "hasNumericalValue": "7.5",
        "hasUnit": {"id": "om2:kilogram", "symbol": "kg"},
    }
    assert out["previous"] == {"id": given["economicEvent"]["id"], "action": {"id": "transfer"}}
    theirs = api.client().query(
        """query($c: [ID!]) { economicResources(filter: {primaryAccountable: $c}) {
             edges { node { accountingQuantity { hasNumericalValue } custodian { id } } } } }""",
        {"c": [clinic]},
    )["economicResources"]["edges"]
    assert [e["node"] for e in theirs] == [
        {"accountingQuantity": {"hasNumericalValue": "2.5"}, "custodian": {"id": clinic}}
    ]


def test_resources_near_a_point_are_found_by_distance(api: Api) -> None:
    anna = api.agent("Anna")
    wood = api.spec(anna, "wood")
    amsterdam = api.place(anna, "Amsterdam", "52.3676", "4.9041")
    utrecht = api.place(anna, "Utrecht", "52.0907", "5.1214")
    for place in (amsterdam, utrecht):
        api.event(
            anna, {"name": "plank", "currentLocation": place},
            action="raise", provider=anna, receiver=anna, resourceConformsTo=wood,
            resourceQuantity=qty(1, "om2:one"),
        )  # fmt: skip
    q = """query($km: Decimal) { economicResources(
             filter: {nearLat: "52.37", nearLong: "4.90", nearDistanceKm: $km}) {
             edges { node { currentLocation { name } } } pageInfo { totalCount } } }"""
    near = api.client().query(q, {"km": 5})["economicResources"]
    assert [e["node"]["currentLocation"]["name"] for e in near["edges"]] == ["Amsterdam"]
    both = api.client().query(q, {"km": "50"})["economicResources"]
    assert both["pageInfo"]["totalCount"] == 2


def test_events_are_listed_by_action_and_agent(api: Api) -> None:
    anna, bob = api.agent("Anna"), api.agent("Bob")
    wood = api.spec(anna, "wood")
    made = api.event(
        anna, {"name": "plank"}, action="raise", provider=anna, receiver=anna,
        resourceConformsTo=wood, resourceQuantity=qty(3),
    )  # fmt: skip
    plank = made["economicResource"]["id"]
    api.event(
        anna, action="transfer", provider=anna, receiver=bob, resourceInventoriedAs=plank,
        resourceQuantity=qty(1), hasPointInTime="2024-05-01T10:00:00Z",
    )  # fmt: skip
    q = """query($f: EconomicEventFilterParams) { economicEvents(filter: $f) {
             edges { node { action { id } provider { name } receiver { name }
                            resourceInventoriedAs { id } } } } }"""
    got = api.client().query(q, {"f": {"agent": [bob]}})["economicEvents"]["edges"]
    assert [(e["node"]["action"]["id"], e["node"]["receiver"]["name"]) for e in got] == [
        ("transfer", "Bob")
    ]
    raised = api.client().query(q, {"f": {"action": ["raise"]}})["economicEvents"]["edges"]
    assert raised[0]["node"]["resourceInventoriedAs"] == {"id": plank}
    dated = api.client().query(q, {"f": {"startDate": "2024-01-01T00:00:00Z"}})
    assert len(dated["economicEvents"]["edges"]) == 1


def test_connections_page_forwards_and_backwards(api: Api) -> None:
    anna = api.agent("Anna")
    ids = sorted(api.spec(anna, f"spec {i}") for i in range(5))
    q = """query($first: Int, $after: ID, $last: Int, $before: ID) {
      resourceSpecifications(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id } }
        pageInfo { startCursor endCursor hasPreviousPage hasNextPage totalCount }
      } }"""
    c = api.client()
    page1 = c.query(q, {"first": 2})["resourceSpecifications"]
    assert [e["node"]["id"] for e in page1["edges"]] == ids[:2]
    assert page1["pageInfo"]["hasNextPage"] and not page1["pageInfo"]["hasPreviousPage"]
    assert page1["pageInfo"]["totalCount"] == 5
    page2 = c.query(q, {"first": 2, "after": page1["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in page2["resourceSpecifications"]["edges"]] == ids[2:4]
    tail = c.query(q, {"last": 2})["resourceSpecifications"]
    assert [e["node"]["id"] for e in tail["edges"]] == ids[3:]
    assert tail["pageInfo"]["hasPreviousPage"]
    before = c.query(q, {"last": 2, "before": tail["pageInfo"]["startCursor"]})
    assert [e["node"]["id"] for e in before["resourceSpecifications"]["edges"]] == ids[1:3]


def test_process_inputs_and_outputs_are_followed(api: Api) -> None:
    anna = api.agent("Anna")
    wood, chair = api.spec(anna, "wood"), api.spec(anna, "chair")
    plank = api.event(
        anna, {"name": "planks"}, action="raise", provider=anna, receiver=anna,
        resourceConformsTo=wood, resourceQuantity=qty(10),
    )["economicResource"]["id"]  # fmt: skip
    proc = api.create(anna, "Process", "process", {"name": "make chair"})
    api.event(
        anna, action="consume", provider=anna, receiver=anna, inputOf=proc,
        resourceInventoriedAs=plank, resourceQuantity=qty(4),
    )  # fmt: skip
    api.event(
        anna, {"name": "chair"}, action="produce", provider=anna, receiver=anna, outputOf=proc,
        resourceConformsTo=chair, resourceQuantity=qty(1, "om2:one"),
    )  # fmt: skip
    out = api.client().query(
        """query($p: ID!) { process(id: $p) { name
             inputs { action { id } resourceInventoriedAs { name } }
             outputs { action { id } resourceInventoriedAs { name conformsTo { name } } }
             previous { id } } }""",
        {"p": proc},
    )["process"]
    assert out["inputs"] == [
        {"action": {"id": "consume"}, "resourceInventoriedAs": {"name": "planks"}}
    ]
    assert out["outputs"][0]["resourceInventoriedAs"] == {
        "name": "chair",
        "conformsTo": {"name": "chair"},
    }
    assert len(out["previous"]) == 1


def test_a_cached_answer_is_dropped_when_the_log_grows(api: Api) -> None:
    anna = api.agent("Anna")
    q = "{ resourceSpecifications { pageInfo { totalCount } } }"
    count = lambda: api.client().query(q)["resourceSpecifications"]["pageInfo"]["totalCount"]  # noqa: E731
    assert count() == 0
    assert count() == 0  # answered from the cache
    api.spec(anna, "wood")
    assert count() == 1
    fresh = api.http.post("/api", json={"query": q}, headers={"cache-control": "no-cache"})
    assert fresh.json()["data"]["resourceSpecifications"]["pageInfo"]["totalCount"] == 1


def test_an_agent_lists_what_it_holds_and_did(api: Api) -> None:
    anna, bob = api.agent("Anna"), api.agent("Bob")
    wood = api.spec(anna, "wood")
    plank = api.event(
        anna, {"name": "plank"}, action="raise", provider=anna, receiver=anna,
        resourceConformsTo=wood, resourceQuantity=qty(3),
    )["economicResource"]["id"]  # fmt: skip
    api.event(anna, action="transfer", provider=anna, receiver=bob, resourceInventoriedAs=plank,
              resourceQuantity=qty(1))  # fmt: skip
    q = """query($id: ID!) { agent(id: $id) {
      inventoriedEconomicResources { edges { node { accountingQuantity { hasNumericalValue } } } }
      economicEvents { edges { node { action { id } } } pageInfo { totalCount } } } }"""
    bobs = api.client().query(q, {"id": bob})["agent"]
    assert [e["node"]["accountingQuantity"]["hasNumericalValue"]
            for e in bobs["inventoriedEconomicResources"]["edges"]] == ["1"]  # fmt: skip
    assert bobs["economicEvents"]["pageInfo"]["totalCount"] == 1
    annas = api.client().query(q, {"id": anna})["agent"]
    assert annas["economicEvents"]["pageInfo"]["totalCount"] == 2


def test_the_accountable_agent_describes_a_resource(api: Api) -> None:
    anna, bob = api.agent("Anna"), api.agent("Bob")
    wood = api.spec(anna, "wood")
    plank = api.event(
        anna, {"name": "plank"}, action="raise", provider=anna, receiver=anna,
        resourceConformsTo=wood, resourceQuantity=qty(3),
    )["economicResource"]["id"]  # fmt: skip
    q = """mutation($r: EconomicResourceUpdateParams!) { updateEconomicResource(resource: $r) {
             economicResource { name note classifiedAs
                                accountingQuantity { hasNumericalValue } } } }"""
    change = {"id": plank, "name": "oak plank", "note": "dry", "classifiedAs": ["urn:wood:oak"]}
    out = api.as_(anna).query(q, {"r": change})["updateEconomicResource"]["economicResource"]
    assert out == {"name": "oak plank", "note": "dry", "classifiedAs": ["urn:wood:oak"],
                   "accountingQuantity": {"hasNumericalValue": "3"}}  # fmt: skip
    with pytest.raises(ApiError) as err:
        api.as_(bob).query(q, {"r": {"id": plank, "name": "mine"}})
    assert err.value.errors[0]["extensions"]["rule"] == "accountable-describes"
