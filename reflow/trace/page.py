"""The passport as a web page, and the two routes that serve it (HTML and signed JSON).

The page is rendered from the passport document itself and shows the verification result of
that very document, so what a reader sees is what they could verify offline. The map uses
Leaflet from the ``xstatic-leaflet`` package, served by the node (no CDN, no tile server: the
places and legs are drawn on a blank canvas); the QR codes are inline SVG.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import qrcode
import qrcode.image.svg
from jinja2 import Environment, PackageLoader, select_autoescape

from reflow.errors import NotFound, ReflowError
from reflow.trace.passport import VerifyResult, export_passport, verify_passport
from reflow.vf.units import get_unit

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import Route

    from reflow.node import Node

LEAFLET_URL = "/static/leaflet"  # where the web app mounts ``leaflet_directory()``


def leaflet_directory() -> str:
    """The directory of Leaflet's files (leaflet.js, leaflet.css, images/) to serve locally."""
    import xstatic.pkg.leaflet

    return str(xstatic.pkg.leaflet.BASE_DIR)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("reflow.trace", "templates"), autoescape=select_autoescape(["html"])
    )
    env.globals["unit_label"] = _unit_label
    return env


def _unit_label(unit: str | None) -> str:
    if not unit:
        return ""
    if unit == "om2:one":
        return ""
    try:
        return get_unit(unit).symbol
    except ReflowError:
        return unit


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no XML declaration, so it can sit inside HTML)."""
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return str(img.to_string(encoding="unicode"))


def _names(doc: dict[str, Any]) -> dict[str, str]:
    g = doc["graph"]
    out: dict[str, str] = {}
    for section in ("agents", "locations", "processes", "resources"):
        for item in g.get(section, []):
            if item.get("name"):
                out[item["@id"]] = item["name"]
    return out


def _timeline(doc: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    roles = {f["id"]: f.get("role", "flow") for f in doc["trace"]["flows"]}
    out = []
    for ev in reversed(doc["graph"]["events"]):
        q = ev.get("resourceQuantity") or ev.get("effortQuantity") or {}
        place = ev.get("toLocation") or ev.get("atLocation")
        process = ev.get("inputOf") or ev.get("outputOf")
        quantity = f"{q.get('hasNumericalValue', '')} {_unit_label(q.get('hasUnit'))}".strip()
        out.append({
            "action": ev["action"], "quantity": quantity,
            "resource": names.get(ev.get("resourceInventoriedAs", ""), ""),
            "process": names.get(process, process) if process else None,
            "place": names.get(place, place) if place else None,
            "provider": names.get(ev["provider"], ev["provider"][:12]),
            "receiver": names.get(ev["receiver"], ev["receiver"][:12]),
            "when": ev.get("hasPointInTime") or ev.get("hasBeginning"),
            "role": roles.get(ev["@id"], "flow"),
        })  # fmt: skip
    return out


def _map_data(doc: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    coords: dict[str, list[float]] = {}
    points = []
    for loc in doc["graph"]["locations"]:
        try:
            lat, long = float(loc["lat"]), float(loc["long"])
        except (KeyError, TypeError, ValueError):
            continue
        coords[loc["@id"]] = [lat, long]
        points.append({"name": names.get(loc["@id"], ""), "lat": lat, "long": long})
    legs = [
        [coords[leg["from"]], coords[leg["to"]]]
        for leg in doc["summary"]["legs"]
        if leg["from"] in coords and leg["to"] in coords
    ]
    return {"points": points, "legs": legs}


def render_passport_page(
    doc: dict[str, Any], verdict: VerifyResult, page_url: str, json_url: str
) -> str:
    """The HTML page of a passport document and its verification result."""
    names = _names(doc)
    summary = doc["summary"]
    legs = [
        {**leg, "from": names.get(leg["from"], leg["from"]), "to": names.get(leg["to"], leg["to"])}
        for leg in summary["legs"]
    ]
    return _env().get_template("passport.html").render(
        product=summary["product"], summary=summary, counts=summary["counts"],
        verdict=verdict, issued=doc.get("issued"), issuer=doc.get("issuer"),
        proofs=len(doc.get("proofs", [])), timeline=_timeline(doc, names), legs=legs,
        map_data=_map_data(doc, names), leaflet_url=LEAFLET_URL, json_url=json_url,
        qr_page=qr_svg(page_url), qr_json=qr_svg(json_url),
    )  # fmt: skip


def passport_routes(node: Node) -> list[Route]:
    """``GET /passport/{id}`` (HTML) and ``GET /passport/{id}.json`` (the signed document)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    async def _doc(rid: str) -> dict[str, Any] | None:
        try:
            return await run_in_threadpool(export_passport, node, rid)
        except NotFound:
            return None

    def _missing(rid: str) -> JSONResponse:
        body = {"error": {"code": "NOT_FOUND", "message": f"no economic resource {rid!r}",
                          "field": "id"}}  # fmt: skip
        return JSONResponse(body, status_code=404)

    async def as_json(request: Request) -> Response:
        rid = request.path_params["id"]
        doc = await _doc(rid)
        if doc is None:
            return _missing(rid)
        text = json.dumps(doc, ensure_ascii=False, indent=2)
        return Response(text, media_type="application/ld+json")

    async def as_html(request: Request) -> Response:
        rid = request.path_params["id"]
        doc = await _doc(rid)
        if doc is None:
            return _missing(rid)
        verdict = verify_passport(json.loads(json.dumps(doc)))
        page_url = str(request.url_for("passport_page", id=rid))
        json_url = str(request.url_for("passport_json", id=rid))
        html = render_passport_page(doc, verdict, page_url, json_url)
        return HTMLResponse(html)

    return [
        Route("/passport/{id}.json", as_json, methods=["GET"], name="passport_json"),
        Route("/passport/{id}", as_html, methods=["GET"], name="passport_page"),
    ]
