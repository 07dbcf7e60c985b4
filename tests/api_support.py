"""Test support for the API: the ASGI app of a test node behind signed clients."""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from reflow.api.app import create_app
from reflow.client import Client
from reflow.ledger.keys import KeyPair
from reflow.node import Node

URL = "http://testserver"


class SyncASGITransport(httpx.BaseTransport):
    """Runs each request through the ASGI app in its own event loop (sync tests, no server)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[httpx.Response, bytes]:
            response = await self.inner.handle_async_request(request)
            return response, await response.aread()

        response, content = anyio.run(call)
        return httpx.Response(response.status_code, headers=response.headers, content=content)


class Api:
    """Clients of one node's app; agents are created through the API by the node's admin key."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.app = create_app(node)
        self.http = httpx.Client(transport=SyncASGITransport(self.app), base_url=URL)
        self.admin = node.keystore.get(node.info.node_key)

    def client(self, key: KeyPair | None = None) -> Client:
        return Client(URL, key, http=self.http)

    def as_(self, agent: str) -> Client:
        return self.client(self.node.keystore.get(agent))

    def agent(self, name: str, type_name: str = "Person") -> str:
        field = "createPerson" if type_name == "Person" else "createOrganization"
        arg = "person" if type_name == "Person" else "organization"
        q = f"mutation($a: AgentCreateParams!) {{ {field}({arg}: $a) {{ agent {{ id name }} }} }}"
        out = self.client(self.admin).query(q, {"a": {"name": name}})
        agent: str = out[field]["agent"]["id"]
        return agent

    def create(self, by: str, type_name: str, arg: str, data: dict[str, Any]) -> str:
        params = f"{type_name}CreateParams"
        q = f"mutation($d: {params}!) {{ create{type_name}({arg}: $d) {{ {arg} {{ id }} }} }}"
        out = self.as_(by).query(q, {"d": data})
        object_id: str = out[f"create{type_name}"][arg]["id"]
        return object_id

    def spec(self, by: str, name: str, **data: Any) -> str:
        return self.create(
            by, "ResourceSpecification", "resourceSpecification", {"name": name, **data}
        )

    def place(self, by: str, name: str, lat: str = "52.37", long: str = "4.89") -> str:
        return self.create(
            by, "SpatialThing", "spatialThing", {"name": name, "lat": lat, "long": long}
        )

    def event(self, by: str, new: dict[str, Any] | None = None, **event: Any) -> dict[str, Any]:
        q = """mutation($e: EconomicEventCreateParams!, $r: EconomicResourceCreateParams) {
          createEconomicEvent(event: $e, newInventoriedResource: $r) {
            economicEvent { id action { id } }
            economicResource { id accountingQuantity { hasNumericalValue } }
          }
        }"""
        out: dict[str, Any] = self.as_(by).query(q, {"e": event, "r": new})["createEconomicEvent"]
        return out


def qty(value: str | int, unit: str = "om2:kilogram") -> dict[str, str]:
    return {"hasNumericalValue": str(value), "hasUnit": unit}
