"""Value: record a value equation, distribute an income by it (or preview), and read each share
with its explanation — bucket, rule, weight and the contributions behind it
(``reflow.value.service``)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import ReflowError, RuleViolation
from reflow.inventory import name_of
from reflow.value import service
from reflow.web.render import REFUSED, Web, field_errors

EXAMPLE = {
    "name": "Textile loop: contributors by work and material",
    "scope": "network",
    "currency": "iso4217:EUR",
    "buckets": [
        {"name": "contributors", "percent": "100", "of": "total",
         "pays": {"contributions": {"kinds": ["work", "resource"]}}},
    ],
    "rates": {"work": {"*": "20"}, "resource": {"*": "1"}},
}  # fmt: skip


def routes(web: Web) -> list[Route]:
    store = web.node.store

    def page_with(request: Request, status: int = 200, **ctx: Any) -> Response:
        ctx.setdefault("errors", {})
        ctx.setdefault("form", {})
        ctx.setdefault("result", None)
        return web.page(request, "value.html", status, equations=service.list_equations(store),
                        example=json.dumps(EXAMPLE, indent=1), **ctx)  # fmt: skip

    async def page(request: Request) -> Response:
        return page_with(request)

    async def create(request: Request) -> Response:
        form = await request.form()
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            try:
                data = json.loads(str(form.get("equation") or ""), parse_float=str)
            except ValueError:
                raise RuleViolation(
                    "the equation is not JSON", field="equation", rule="json"
                ) from None
            service.check_equation(data)
            service.create_equation(web.node, user.key, data)
        except ReflowError as exc:
            errors = {"equation": f"{exc.message}" + (f" ({exc.field})" if exc.field else "")}
            return page_with(request, REFUSED, errors=errors, form=form)
        return web.redirect("/value")

    async def distribute(request: Request) -> Response:
        form = await request.form()
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            plan, created = service.distribute(
                web.node, user.key, str(form.get("income") or ""),
                str(form.get("equation_id") or ""),
                product=str(form.get("product") or "") or None, dry_run=bool(form.get("dry_run")),
            )  # fmt: skip
        except ReflowError as exc:
            errors = field_errors(exc, ["income", "equation_id", "product"])
            if exc.field == "equation":
                errors = {"equation_id": exc.message}
            return page_with(request, REFUSED, errors=errors, form=form)
        result = plan.as_dict()
        for s in result["shares"]:
            s["name"] = name_of(store, s["agent"]) or s["agent"][:10]
        return page_with(request, result=result, committed=bool(created), form=form)

    return [
        Route("/value", page, methods=["GET"]),
        Route("/value/equations", create, methods=["POST"]),
        Route("/value/distribute", distribute, methods=["POST"]),
    ]
