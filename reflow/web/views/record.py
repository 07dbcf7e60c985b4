"""Recording events from a form: every VF action, errors shown next to the field they name.

The form's inputs carry VF field names, so the refusal of ``vf.event`` (a ``ReflowError`` whose
field is e.g. ``event.resourceQuantity.hasUnit``) lands on the input it is about. The body is
built by ``reflow.recording.event_body``, the same code the command line uses.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import ReflowError
from reflow.inventory import list_agents, name_of
from reflow.recording import EventFlags, event_body
from reflow.store.queries import all_resources
from reflow.vf.state import ResourceState
from reflow.web import mapdata
from reflow.web.render import REFUSED, Web, field_errors, options, unit_label

ACTIONS = ("produce", "consume", "use", "work", "cite", "deliverService", "transfer",
           "transferAllRights", "transferCustody", "move", "pickup", "dropoff", "accept",
           "modify", "combine", "separate", "raise", "lower", "copy")  # fmt: skip
INPUTS = ("action", "provider", "receiver", "resourceInventoriedAs", "toResourceInventoriedAs",
          "resourceConformsTo", "resourceQuantity", "effortQuantity", "inputOf", "outputOf",
          "atLocation", "toLocation", "state", "note", "fulfills", "name", "trackingIdentifier",
          "hasPointInTime")  # fmt: skip


def _choices(web: Web) -> dict[str, Any]:
    store = web.node.store
    return {
        "actions": [(a, a) for a in ACTIONS],
        "agents": [(a["id"], a["name"] or a["id"][:10]) for a in list_agents(web.node)],
        "resources": [(r.id, _resource_label(store, r)) for r in all_resources(store)],
        "specs": options(store, "ResourceSpecification"),
        "processes": [(p.id, p.data.get("name", p.id)) for p in store.objects_of_type("Process")],
        "places": [(p["id"], p["name"]) for p in mapdata.places(web.node).values()],
    }  # fmt: skip


def _resource_label(store: Any, r: ResourceState) -> str:
    """Name, tracking id, holder and what is on hand: enough to tell same-named batches apart."""
    held = f"{r.onhand_quantity.normalize():f} {unit_label(r.unit)}" if r.onhand_quantity else "0"
    who = name_of(store, r.primary_accountable) or ""
    return f"{r.name or r.id[:10]} ({r.tracking_identifier or r.id[:8]}) · {who} · {held}"


def _body(form: Any, agent: str) -> dict[str, Any]:
    def get(name: str) -> str | None:
        value = str(form.get(name) or "").strip()
        return value or None

    flags = EventFlags(
        action=get("action"), provider=get("provider"), receiver=get("receiver"),
        resource=get("resourceInventoriedAs"), to_resource=get("toResourceInventoriedAs"),
        spec=get("resourceConformsTo"), quantity=get("resourceQuantity"),
        effort=get("effortQuantity"), input_of=get("inputOf"), output_of=get("outputOf"),
        at_location=get("atLocation"), to_location=get("toLocation"), state=get("state"),
        note=get("note"), name=get("name"), tracking_id=get("trackingIdentifier"),
    )  # fmt: skip
    base: dict[str, Any] = {}
    if get("fulfills"):
        base["fulfills"] = [get("fulfills")]
    when = get("hasPointInTime")
    if when:  # a datetime-local input gives local minutes without a zone: read it as UTC
        base["hasPointInTime"] = when + ":00Z" if len(when) == 16 else when
    return event_body(agent, base, flags)


def routes(web: Web) -> list[Route]:
    async def page(request: Request) -> Response:
        return web.page(request, "record.html", errors={}, form=request.query_params,
                        created=None, **_choices(web))  # fmt: skip

    async def submit(request: Request) -> Response:
        form = await request.form()
        try:
            user = web.sessions.require(request, str(form.get("csrf") or ""))
            body = _body(form, user.agent)
            receipt = web.node.submit(user.key, "vf.event", body)
        except ReflowError as exc:
            return web.page(request, "record.html", REFUSED, errors=field_errors(exc, INPUTS),
                            form=form, created=None, **_choices(web))  # fmt: skip
        return web.page(request, "record.html", errors={}, form={}, created=dict(receipt.created),
                        record=receipt.hash, **_choices(web))  # fmt: skip

    return [
        Route("/record", page, methods=["GET"]),
        Route("/record", submit, methods=["POST"]),
    ]
