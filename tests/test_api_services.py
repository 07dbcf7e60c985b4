"""The services' fields through the API: trace and track, market, governance, value, plans
and reports — each a thin call into its service, read through the ASGI app."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Api, qty

from reflow.client import ApiError
from reflow.node import Node


@pytest.fixture
def api(node: Node) -> Api:
    return Api(node)


def _flour_into_bread(api: Api) -> dict[str, str]:
    """A baker raises flour, consumes it in a baking process and produces bread."""
    baker = api.agent("Baker")
    flour_spec, bread_spec = api.spec(baker, "flour"), api.spec(baker, "bread")
    flour = api.event(
        baker, {"name": "flour"}, action="raise", provider=baker, receiver=baker,
        resourceConformsTo=flour_spec, resourceQuantity=qty(10),
    )  # fmt: skip
    baking = api.create(baker, "Process", "process", {"name": "baking"})
    consumed = api.event(
        baker, action="consume", provider=baker, receiver=baker, inputOf=baking,
        resourceInventoriedAs=flour["economicResource"]["id"], resourceQuantity=qty(4),
    )  # fmt: skip
    bread = api.event(
        baker, {"name": "bread"}, action="produce", provider=baker, receiver=baker,
        outputOf=baking, resourceConformsTo=bread_spec, resourceQuantity=qty(5),
    )  # fmt: skip
    return {
        "baker": baker, "flour": flour["economicResource"]["id"],
        "raised": flour["economicEvent"]["id"], "baking": baking,
        "consumed": consumed["economicEvent"]["id"], "produced": bread["economicEvent"]["id"],
        "bread": bread["economicResource"]["id"],
    }  # fmt: skip


FLOW = "__typename ... on EconomicResource { id } ... on EconomicEvent { id } ... on Process { id }"


def test_trace_and_track_list_the_flow_in_walk_order(api: Api) -> None:
    ids = _flour_into_bread(api)
    out = api.client().query(
        f"""query($b: ID!, $f: ID!) {{
          economicResource(id: $b) {{ trace {{ {FLOW} }} shallow: trace(depth: 1) {{ {FLOW} }} }}
          flour: economicResource(id: $f) {{ track {{ {FLOW} }} next {{ {FLOW} }} }}
        }}""",
        {"b": ids["bread"], "f": ids["flour"]},
    )
    back = [(i["__typename"], i["id"]) for i in out["economicResource"]["trace"]]
    assert back[0] == ("EconomicResource", ids["bread"])
    assert [i for _, i in back] == [
        ids["bread"], ids["produced"], ids["baking"], ids["consumed"], ids["flour"], ids["raised"]
    ]  # fmt: skip
    assert len(out["economicResource"]["shallow"]) < len(back)
    forward = [i["id"] for i in out["flour"]["track"]]
    assert forward[0] == ids["flour"] and forward[-1] == ids["bread"]
    assert ids["consumed"] in [i["id"] for i in out["flour"]["next"]]


def test_passport_of_a_resource_and_errors_for_unknown_ones(api: Api) -> None:
    ids = _flour_into_bread(api)
    q = "query($r: ID!) { passport(resource: $r) }"
    passport: dict[str, Any] = api.client().query(q, {"r": ids["bread"]})["passport"]
    assert ids["bread"] in str(passport)
    with pytest.raises(ApiError) as err:
        api.client().query(q, {"r": "nope"})
    assert err.value.errors[0]["extensions"]["code"] == "NOT_FOUND"
