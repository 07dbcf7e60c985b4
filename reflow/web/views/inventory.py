"""The inventory: search resources by name, kind, classification, place and holder; one
resource with its quantities, place, stage, state, contents and history."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import NotFound
from reflow.inventory import list_agents, list_resources, resource_detail
from reflow.web import mapdata
from reflow.web.render import Web, options


def _matches(r: dict[str, Any], q: dict[str, str], classes: set[str]) -> bool:
    text = q.get("q", "").lower()
    if text and text not in f"{r['name'] or ''} {r['trackingIdentifier'] or ''}".lower():
        return False
    for key, ref in (("spec", "conformsTo"), ("place", "currentLocation")):
        if q.get(key) and (r[ref] or {}).get("id") != q[key]:
            return False
    return not (q.get("classification") and q["classification"] not in classes)


def routes(web: Web) -> list[Route]:
    store = web.node.store

    async def page(request: Request) -> Response:
        q = dict(request.query_params)
        rows = []
        for r in list_resources(store, holder=q.get("holder") or None):
            spec = store.object(r["conformsTo"]["id"]) if r["conformsTo"] else None
            res = store.resource(r["id"])
            classes = set(res.classified_as if res else ()) | set(
                spec.data.get("resourceClassifiedAs", []) if spec else [])  # fmt: skip
            if _matches(r, q, classes):
                rows.append(r)
        return web.page(
            request, "inventory.html", rows=rows, q=q,
            specs=options(store, "ResourceSpecification"),
            places=[(p["id"], p["name"]) for p in mapdata.places(web.node).values()],
            agents=[(a["id"], a["name"] or a["id"][:10]) for a in list_agents(web.node)],
            classes=list(mapdata.class_labels(web.node).items()),
        )  # fmt: skip

    async def resource(request: Request) -> Response:
        try:
            r = resource_detail(store, request.path_params["id"])
        except NotFound as exc:
            return web.page(request, "error.html", 404, message=exc.message)
        return web.page(request, "resource.html", r=r)

    return [
        Route("/inventory", page, methods=["GET"]),
        Route("/resources/{id}", resource, methods=["GET"]),
    ]
