"""No N+1: nested fields of a list cost one query per kind of thing, however long the list."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, qty
from sqlalchemy import event

from reflow.node import Node

QUERY = """{ processes(first: 50) { edges { node { name
  inputs { action { id } provider { name }
           resourceInventoriedAs { name conformsTo { name } currentLocation { name } } }
  outputs { resourceInventoriedAs { primaryAccountable { name } } } } } } }"""


def _statements(api: Api) -> int:
    count = [0]

    def seen(*_: Any) -> None:
        count[0] += 1

    engine = api.node.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = api.http.post(
            "/api", json={"query": QUERY}, headers={"cache-control": "no-cache"}
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert "errors" not in response.json()
    return count[0]


def _workshop(api: Api, anna: str, wood: str, place: str, n: int) -> None:
    for i in range(n):
        proc = api.create(anna, "Process", "process", {"name": f"step {i}"})
        plank = api.event(
            anna, {"name": f"plank {i}", "currentLocation": place}, action="raise",
            provider=anna, receiver=anna, resourceConformsTo=wood, resourceQuantity=qty(2),
        )["economicResource"]["id"]  # fmt: skip
        api.event(anna, action="consume", provider=anna, receiver=anna, inputOf=proc,
                  resourceInventoriedAs=plank, resourceQuantity=qty(1))  # fmt: skip
        api.event(anna, {"name": f"part {i}"}, action="produce", provider=anna, receiver=anna,
                  outputOf=proc, resourceConformsTo=wood, resourceQuantity=qty(1))  # fmt: skip


def test_nested_fields_of_a_list_are_loaded_in_batches(node: Node) -> None:
    api = Api(node)
    anna = api.agent("Anna")
    wood = api.spec(anna, "wood")
    place = api.place(anna, "yard")
    _workshop(api, anna, wood, place, 2)
    few = _statements(api)
    _workshop(api, anna, wood, place, 6)
    many = _statements(api)
    assert many == few


DEALS = """{
  commitments(first: 50) { edges { node { id
    fulfilledBy { fulfilledBy { id } } satisfies { satisfies { __typename } } } } }
  intents(first: 50) { edges { node { satisfiedBy { satisfiedBy { __typename } } } } }
  agreements(first: 50) { edges { node { commitments { id } economicEvents { id } } } }
  economicEvents(first: 50) { edges { node { fulfills { fulfills { id } } } } }
  agents(first: 50) { edges { node { name proposals { id } } } }
  processes(first: 50) { edges { node { committedInputs { id } intendedInputs { id } } } }
}"""
PUBLISH = """mutation($p: ProposalCreateParams!, $i: [IntentCreateParams!]!) {
  publishRequest(proposal: $p, intents: $i) { proposal { primaryIntents { id } } } }"""


def _deals(api: Api, maker: str, chair: str, stock: str, n: int, start: int) -> None:
    """``n`` buyers, each with a request, an agreement, a commitment that satisfies the
    request's intent and is planned into a process, and the event that fulfils it."""
    for i in range(start, start + n):
        buyer = api.agent(f"buyer {i}")
        wanted = {"action": "transfer", "receiver": buyer, "resourceConformsTo": chair,
                  "resourceQuantity": qty(1, "om2:one")}  # fmt: skip
        published = api.as_(buyer).query(PUBLISH, {"p": {"name": f"need {i}"}, "i": [wanted]})
        intent = published["publishRequest"]["proposal"]["primaryIntents"][0]["id"]
        agreement = api.create(buyer, "Agreement", "agreement", {"name": f"deal {i}"})
        proc = api.create(maker, "Process", "process", {"name": f"deliver {i}"})
        commitment = api.create(maker, "Commitment", "commitment", {
            "action": "transfer", "provider": maker, "receiver": buyer, "inputOf": proc,
            "resourceConformsTo": chair, "resourceQuantity": qty(1, "om2:one"),
            "clauseOf": agreement, "satisfies": [intent],
        })  # fmt: skip
        api.event(maker, action="transfer", provider=maker, receiver=buyer,
                  resourceInventoriedAs=stock, resourceQuantity=qty(1, "om2:one"),
                  fulfills=[commitment], realizationOf=agreement)  # fmt: skip


def _count(api: Api, query: str) -> tuple[int, dict[str, Any]]:
    count = [0]

    def seen(*_: Any) -> None:
        count[0] += 1

    engine = api.node.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = api.http.post("/api", json={"query": query},
                                 headers={"cache-control": "no-cache"})  # fmt: skip
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    out = response.json()
    assert "errors" not in out, out
    data: dict[str, Any] = out["data"]
    return count[0], data


def test_reverse_lookups_of_a_list_cost_the_same_for_any_number_of_parents(node: Node) -> None:
    api = Api(node)
    maker = api.agent("Maker")
    chair = api.spec(maker, "chair")
    stock = api.event(maker, {"name": "chairs"}, action="raise", provider=maker, receiver=maker,
                      resourceConformsTo=chair, resourceQuantity=qty(100, "om2:one"),
                      )["economicResource"]["id"]  # fmt: skip
    _deals(api, maker, chair, stock, 2, 0)
    few, _ = _count(api, DEALS)
    _deals(api, maker, chair, stock, 5, 2)
    many, data = _count(api, DEALS)
    assert many == few
    # and the answers are the lookups' (7 deals, each joined once)
    commitments = [e["node"] for e in data["commitments"]["edges"]]
    assert len(commitments) == 7
    assert all(len(c["fulfilledBy"]) == 1 and len(c["satisfies"]) == 1 for c in commitments)
    agreements = [e["node"] for e in data["agreements"]["edges"]]
    assert all(len(a["commitments"]) == 1 and len(a["economicEvents"]) == 1 for a in agreements)
    buyers = [e["node"] for e in data["agents"]["edges"] if e["node"]["name"] != "Maker"]
    assert len(buyers) == 7 and all(len(b["proposals"]) == 1 for b in buyers)
    intents = [e["node"] for e in data["intents"]["edges"]]
    satisfied = [s["satisfiedBy"]["__typename"] for i in intents for s in i["satisfiedBy"]]
    assert satisfied == ["Commitment"] * 7
    processes = [e["node"] for e in data["processes"]["edges"]]
    assert all(len(p["committedInputs"]) == 1 for p in processes)


AGENTS = """{ agents(first: 50) { edges { node { name
  inventoriedEconomicResources(first: 2) { edges { node { id } } pageInfo { totalCount } }
  economicEvents(first: 3) { edges { node { id } } pageInfo { totalCount hasNextPage } } } } } }"""


def test_connections_of_a_list_of_agents_cost_the_same_for_any_number_of_agents(
    node: Node,
) -> None:
    api = Api(node)
    maker = api.agent("Maker")
    chair = api.spec(maker, "chair")
    stock = api.event(maker, {"name": "chairs"}, action="raise", provider=maker, receiver=maker,
                      resourceConformsTo=chair, resourceQuantity=qty(100, "om2:one"),
                      )["economicResource"]["id"]  # fmt: skip
    _deals(api, maker, chair, stock, 2, 0)
    few, _ = _count(api, AGENTS)
    _deals(api, maker, chair, stock, 4, 2)
    many, data = _count(api, AGENTS)
    assert many == few
    agents = {e["node"]["name"]: e["node"] for e in data["agents"]["edges"]}
    made = agents["Maker"]["economicEvents"]
    assert made["pageInfo"] == {"totalCount": 7, "hasNextPage": True}  # a raise, 6 transfers
    assert len(made["edges"]) == 3
    buyer = agents["buyer 3"]
    assert buyer["inventoriedEconomicResources"]["pageInfo"]["totalCount"] == 1
    assert buyer["economicEvents"]["pageInfo"] == {"totalCount": 1, "hasNextPage": False}


@pytest.mark.parametrize(
    "args",
    ["first: 3", "last: 3", "first: 2, after: $c", "last: 2, before: $c", "first: 0", "last: 9"],
)
def test_an_agents_events_page_is_the_page_of_the_filtered_list(node: Node, args: str) -> None:
    api = Api(node)
    maker = api.agent("Maker")
    chair = api.spec(maker, "chair")
    stock = api.event(maker, {"name": "chairs"}, action="raise", provider=maker, receiver=maker,
                      resourceConformsTo=chair, resourceQuantity=qty(100, "om2:one"),
                      )["economicResource"]["id"]  # fmt: skip
    _deals(api, maker, chair, stock, 4, 0)
    every = api.client().query("query($a: [ID!]) { economicEvents(filter: {agent: $a}) "
                               "{ edges { cursor } } }", {"a": [maker]})  # fmt: skip
    middle = every["economicEvents"]["edges"][2]["cursor"]
    page = "edges { cursor node { id } } pageInfo { hasPreviousPage hasNextPage totalCount }"
    q = f"""query($a: ID!, $as: [ID!], $c: ID) {{
      agent(id: $a) {{ economicEvents({args}) {{ {page} }} }}
      economicEvents(filter: {{agent: $as}}, {args}) {{ {page} }} }}"""
    variables = {"a": maker, "as": [maker]}
    if "$c" in args:
        variables["c"] = middle
    else:
        q = q.replace(", $c: ID", "")
    out = api.client().query(q, variables)
    assert out["agent"]["economicEvents"] == out["economicEvents"]
