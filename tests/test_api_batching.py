"""No N+1: nested fields of a list cost one query per kind of thing, however long the list."""

from __future__ import annotations

from typing import Any

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
