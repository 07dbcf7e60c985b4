"""What every page needs to render: the node, the sessions and the Jinja environment.

Views are plain functions; they get one ``Web`` object and call the services themselves. This
module only renders (templates get ``_``, the signed-in agent and the CSRF token) and maps a
``ReflowError``'s field (``event.resourceQuantity.hasUnit``) to the form input it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from reflow.errors import ReflowError
from reflow.node import Node
from reflow.vf.units import get_unit
from reflow.web.i18n import choose_language, translator
from reflow.web.session import Sessions, WebSession

FORM_ERROR = "_form"  # errors that belong to no single input
# The status of a form sent back with its errors shown next to the fields. 200, not 400: it is a
# page to correct and send again, and browsers log every 4xx document as a console error.
REFUSED = 200


def unit_label(unit: str | None) -> str:
    """``om2:kilogram`` -> ``kg``; the id itself when the unit is unknown."""
    if not unit or unit == "om2:one":
        return ""
    try:
        return get_unit(unit).symbol
    except ReflowError:
        return unit


def quantity(measure: dict[str, Any] | None) -> str:
    """A VF measure as people read it: ``12.5 kg``."""
    if not measure:
        return ""
    return f"{measure.get('hasNumericalValue', '')} {unit_label(measure.get('hasUnit'))}".strip()


def short(value: str | None, n: int = 10) -> str:
    return "" if not value else (value if len(value) <= n else value[:n] + "…")


def number(value: Any) -> float:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return 0.0


@dataclass
class Web:
    node: Node
    sessions: Sessions
    env: Environment

    @classmethod
    def make(cls, node: Node, sessions: Sessions) -> Web:
        env = Environment(
            loader=PackageLoader("reflow.web", "templates"),
            autoescape=select_autoescape(["html"]),
        )
        env.filters.update(quantity=quantity, unit=unit_label, short=short)
        return cls(node, sessions, env)

    def user(self, request: Request) -> WebSession | None:
        return self.sessions.current(request)

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        user = self.user(request)
        lang = choose_language(
            request.headers.get("accept-language"), request.query_params.get("lang")
        )
        html = self.env.get_template(template).render(
            request=request, _=translator(lang), lang=lang, user=user,
            csrf=self.sessions.csrf(user), tiles_url=self.node.settings.tiles_url,
            network_name=self.node.info.network_name, **ctx,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status)

    def redirect(self, url: str) -> Response:
        return RedirectResponse(url, status_code=303)


def options(store: Any, type_name: str) -> list[tuple[str, str]]:
    """``(id, name)`` of every object of a type, for a ``<select>``."""
    return [(o.id, str(o.data.get("name", o.id))) for o in store.objects_of_type(type_name)]


def field_errors(exc: ReflowError, inputs: Iterable[str]) -> dict[str, str]:
    """``{input name: message}``: the error next to the input it names, else at the form's top.

    The field is tried whole, then without the record wrappers (``body.``, ``event.``,
    ``newInventoriedResource.``), then with its last parts cut off, so ``event.resourceQuantity
    .hasNumericalValue`` lands on the ``resourceQuantity`` input.
    """
    known = set(inputs)
    field = exc.field or ""
    for prefix in ("body.", "event.", "newInventoriedResource.", "proposal.", "intents[0]."):
        field = field.removeprefix(prefix)
    parts = field.replace("[", ".").split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in known:
            return {candidate: exc.message}
    return {FORM_ERROR: f"{exc.message}" + (f" ({exc.field})" if exc.field else "")}
