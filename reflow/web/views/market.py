"""The marketplace: browse offers and requests, publish one, see its matches, accept, follow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import NotFound, ReflowError, RuleViolation
from reflow.inventory import name_of
from reflow.market import service
from reflow.market.search import find
from reflow.market.tables import agreements
from reflow.recording import parse_quantity
from reflow.web import mapdata
from reflow.web.render import REFUSED, Web, field_errors, options

PUBLISH_INPUTS = ("purpose", "kind", "spec", "classification", "quantity", "minimum", "place",
                  "begins", "ends", "in_return", "name", "note", "radius")  # fmt: skip


def _choices(web: Web) -> dict[str, Any]:
    store = web.node.store
    return {
        "specs": options(store, "ResourceSpecification"),
        "places": [(p["id"], p["name"]) for p in mapdata.places(web.node).values()],
        "classes": list(mapdata.class_labels(web.node).items()),
    }  # fmt: skip


def _publish_args(
    form: FormData, agent: str
) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """The proposal and intents a filled-in publish form describes (the service checks them)."""
    purpose = str(form.get("purpose") or "offer")
    skill = form.get("kind") == "skill"
    quantity_text = str(form.get("quantity") or "").strip()
    if not quantity_text:
        raise RuleViolation(
            "say how much, e.g. '40 kg' or '10 h'", field="quantity", rule="required"
        )
    extra: dict[str, Any] = {}
    if form.get("place"):
        extra["atLocation"] = str(form["place"])
    classes = [str(form["classification"])] if form.get("classification") else None
    minimum = parse_quantity(str(form["minimum"]), "minimum") if form.get("minimum") else None
    intents = [service.intent(
        purpose, agent, parse_quantity(quantity_text, "quantity"),
        spec=str(form.get("spec") or "") or None,
        classes=classes, minimum=minimum, skill=skill, **extra,
    )]  # fmt: skip
    if form.get("in_return"):
        back = parse_quantity(str(form["in_return"]), "in_return")
        intents.append(service.intent(purpose, agent, back, role="reciprocal"))
    proposal: dict[str, Any] = {"purpose": purpose}
    for key, name in (("name", "name"), ("note", "note"), ("begins", "hasBeginning"),
                      ("ends", "hasEnd")):  # fmt: skip
        if form.get(key):
            proposal[name] = str(form[key])
    return proposal, intents, str(form.get("radius") or "") or None


def routes(web: Web) -> list[Route]:
    store = web.node.store

    def browse(request: Request, errors: dict[str, str], form: Any, status: int = 200) -> Response:
        q = request.query_params
        classified = q.get("classification") or None
        spec = q.get("spec") or None
        purposes = (
            [q["purpose"]] if q.get("purpose") in ("offer", "request") else ["offer", "request"]
        )
        rows = [
            r for p in purposes for r in find(store, p, classified=classified, spec=spec, limit=200)
        ]
        labels = mapdata.class_labels(web.node)
        for r in rows:
            r["classes"] = [labels.get(c, c) for c in r["classes"]]
            r["agentName"] = name_of(store, r["agent"]) or r["agent"][:10]
            r["what"] = name_of(store, r["spec"]) or ", ".join(r["classes"]) or r["action"]
            r["placeName"] = name_of(store, r["location"])
        user = web.user(request)
        mine = service.open_proposals(store, user.agent) if user else []
        return web.page(request, "market.html", status, rows=rows, mine=mine, errors=errors,
                        form=form, filters=q, **_choices(web))  # fmt: skip

    async def page(request: Request) -> Response:
        return browse(request, {}, {})

    async def publish(request: Request) -> Response:
        form = await request.form()
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            proposal, intents, radius = _publish_args(form, user.agent)
            out = service.publish(web.node, user.key, proposal, intents, radius_km=radius)
        except ReflowError as exc:
            return browse(request, field_errors(exc, PUBLISH_INPUTS), form, REFUSED)
        return web.redirect(f"/market/{out['proposal']}?published=1")

    def detail(request: Request, pid: str, errors: dict[str, str], status: int = 200) -> Response:
        prop = store.object(pid)
        if prop is None or prop.type != "Proposal":
            raise NotFound(f"no proposal {pid!r}", field="id")
        intents = [{"id": i, **(store.object(i).data if store.object(i) else {})}
                   for i in prop.data.get("publishes", [])]  # fmt: skip
        found = [m.as_dict() for m in service.matches(store, pid)]
        for m in found:
            m["agentName"] = name_of(store, m["agent"]) or m["agent"][:10]
            m["name"] = name_of(store, m["proposal"])
        with store.engine.connect() as conn:
            deals = conn.execute(select(agreements).where(
                or_(agreements.c.proposal == pid, agreements.c.own == pid))).all()  # fmt: skip
        return web.page(
            request, "proposal.html", status, proposal={"id": pid, **prop.data}, author=prop.author,
            authorName=name_of(store, prop.author), intents=intents, matches=found,
            agreements=[dict(a._mapping) for a in deals], errors=errors,
            published=request.query_params.get("published"),
            pending=request.query_params.get("pending"),
            waiting=service.pending_acceptances(store, None, proposal=pid),
        )  # fmt: skip

    async def proposal(request: Request) -> Response:
        try:
            return detail(request, request.path_params["id"], {})
        except NotFound as exc:
            return web.page(request, "error.html", 404, message=exc.message)

    async def accept(request: Request) -> Response:
        pid = request.path_params["id"]
        form = await request.form()
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            q = parse_quantity(str(form.get("quantity") or ""), "quantity")
            out = service.accept(web.node, user.key, str(form.get("match") or pid), q,
                                 own=str(form.get("own") or "") or None)  # fmt: skip
        except ReflowError as exc:
            return detail(request, pid, field_errors(exc, ["quantity", "own"]), REFUSED)
        if out["agreement"] is None:  # the publisher signs elsewhere: it confirms later
            return web.redirect(f"/market/{pid}?pending={out['acceptance']}")
        return web.redirect(f"/agreements/{out['agreement']}")

    async def decide(request: Request) -> Response:
        """The publisher's answer to a pending acceptance: confirm or decline."""
        aid, verb = request.path_params["id"], request.path_params["verb"]
        form = await request.form()
        try:
            if verb not in ("confirm", "decline"):
                raise NotFound(f"no answer {verb!r}", field="verb")
            pid = service.acceptance(store, aid)["proposal"]
        except NotFound as exc:
            return web.page(request, "error.html", 404, message=exc.message)
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            if verb == "confirm":
                out = service.confirm(web.node, user.key, aid)
                return web.redirect(f"/agreements/{out['agreement']}")
            service.decline(web.node, user.key, aid, str(form.get("reason") or "") or None)
        except ReflowError as exc:
            return detail(request, pid, field_errors(exc, []), REFUSED)
        return web.redirect(f"/market/{pid}")

    async def withdraw(request: Request) -> Response:
        pid = request.path_params["id"]
        form = await request.form()
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            service.withdraw(web.node, user.key, pid)
        except ReflowError as exc:
            return detail(request, pid, field_errors(exc, []), REFUSED)
        return web.redirect(f"/market/{pid}")

    async def agreement(request: Request) -> Response:
        try:
            status = service.agreement_status(store, request.path_params["id"])
        except NotFound as exc:
            return web.page(request, "error.html", 404, message=exc.message)
        for c in status["commitments"]:
            c["providerName"] = name_of(store, c["provider"]) or c["provider"][:10]
            c["receiverName"] = name_of(store, c["receiver"]) or c["receiver"][:10]
        return web.page(request, "agreement.html", agreement=status)

    return [
        Route("/market", page, methods=["GET"]),
        Route("/market/publish", publish, methods=["POST"]),
        Route("/market/{id}", proposal, methods=["GET"]),
        Route("/market/{id}/accept", accept, methods=["POST"]),
        Route("/market/{id}/withdraw", withdraw, methods=["POST"]),
        Route("/acceptances/{id}/{verb:str}", decide, methods=["POST"]),
        Route("/agreements/{id}", agreement, methods=["GET"]),
    ]
