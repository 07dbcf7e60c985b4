"""The map (``/``): agents, inventory, offers and requests at their places, flows as lines."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import ReflowError
from reflow.report.scope import Scope
from reflow.web import mapdata
from reflow.web.render import Web, field_errors


def routes(web: Web) -> list[Route]:
    async def page(request: Request) -> Response:
        q = request.query_params
        material = q.get("material") or None
        city = q.get("city") or None
        errors: dict[str, str] = {}
        try:
            scope = Scope.make(material=material, start=q.get("from"), end=q.get("to"))
        except ReflowError as exc:
            errors = field_errors(exc, ["material", "from", "to"])
            scope = Scope.make(material=material)
        data = {
            "markers": mapdata.markers(web.node, material, city),
            "flows": mapdata.flows(web.node, scope, city),
        }
        return web.page(
            request, "map.html", data=json.dumps(data), errors=errors,
            materials=mapdata.class_labels(web.node), material=material or "",
            cities=[(c, c) for c in mapdata.cities(web.node)], city=city or "",
            start=q.get("from", ""), end=q.get("to", ""), counts=_counts(data["markers"]),
            flows=data["flows"],
        )  # fmt: skip

    return [Route("/", page, methods=["GET"], name="map")]


def _counts(markers: list[dict[str, str]]) -> dict[str, int]:
    out = {"agent": 0, "resource": 0, "offer": 0, "request": 0}
    for m in markers:
        out[m["kind"]] += 1
    return out
