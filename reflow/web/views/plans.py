"""Plans: create one from a demand, see its schedule as a timeline and its commitments with
provider, status, what is late or at risk and each provider's answer; a provider signed in
accepts or refuses its commitments here (``reflow.plan.service``)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import NotFound, ReflowError
from reflow.inventory import name_of
from reflow.plan import service
from reflow.plan.tables import plans
from reflow.recording import parse_quantity
from reflow.web import gantt, mapdata
from reflow.web.render import REFUSED, Web, field_errors, options

INPUTS = ("spec", "quantity", "due", "place", "name", "radius")


def routes(web: Web) -> list[Route]:
    store = web.node.store

    def listing(
        request: Request, errors: dict[str, str], form: object, status: int = 200
    ) -> Response:
        with store.engine.connect() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(select(plans).order_by(plans.c.created.desc()))
            ]
        for r in rows:
            r["specName"] = name_of(store, r["spec"])
        return web.page(
            request, "plans.html", status, plans=rows, errors=errors, form=form,
            specs=options(store, "ResourceSpecification"),
            places=[(p["id"], p["name"]) for p in mapdata.places(web.node).values()],
        )  # fmt: skip

    async def page(request: Request) -> Response:
        return listing(request, {}, {})

    async def create(request: Request) -> Response:
        form = await request.form()
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            out = service.plan_from_demand(
                web.node, user.key, str(form.get("spec") or ""),
                parse_quantity(str(form.get("quantity") or ""), "quantity"),
                str(form.get("due") or ""), str(form.get("place") or "") or None,
                name=str(form.get("name") or "") or None,
                radius_km=float(form.get("radius") or 50), seconds=2.0,
            )  # fmt: skip
        except (ReflowError, ValueError) as exc:
            if not isinstance(exc, ReflowError):
                exc = ReflowError(str(exc), field="radius")
            return listing(request, field_errors(exc, INPUTS), form, REFUSED)
        return web.redirect(f"/plans/{out['plan']}")

    def detail(request: Request, errors: dict[str, str], status: int = 200) -> Response:
        try:
            p = service.progress(store, request.path_params["id"])
        except NotFound as exc:
            return web.page(request, "error.html", 404, message=exc.message)
        for proc in p["processes"]:
            for c in proc["commitments"]:
                c["providerName"] = name_of(store, c["provider"]) or c["provider"][:10]
        for c in p["loose"]:
            c["providerName"] = name_of(store, c["provider"]) or c["provider"][:10]
        chart = gantt.bars(p["processes"], p.get("due"), p.get("asOf"))
        return web.page(
            request, "plan.html", status, p=p, chart=chart, errors=errors,
            specName=name_of(store, p["spec"]),
        )  # fmt: skip

    async def plan(request: Request) -> Response:
        return detail(request, {})

    async def answer(request: Request) -> Response:
        """The provider of a commitment accepts or refuses it."""
        form = await request.form()
        cid, note = str(form.get("commitment") or ""), str(form.get("note") or "") or None
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            if form.get("answer") == "accept":
                service.accept(web.node, user.key, cid, note)
            else:
                service.refuse(web.node, user.key, cid, note)
        except ReflowError as exc:
            return detail(request, field_errors(exc, ["commitment", "note"]), REFUSED)
        return web.redirect(f"/plans/{request.path_params['id']}")

    return [
        Route("/plans", page, methods=["GET"]),
        Route("/plans", create, methods=["POST"]),
        Route("/plans/{id}", plan, methods=["GET"]),
        Route("/plans/{id}/answer", answer, methods=["POST"]),
    ]
