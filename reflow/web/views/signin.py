"""Signing in: as an agent whose key this node keeps (with its passphrase if sealed), or with a
keyring pasted or uploaded once and held in this process's memory for the session only."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.errors import ReflowError, RuleViolation
from reflow.identity.zenroom_compat import keypair_from_zenroom_keyring
from reflow.inventory import list_agents, name_of
from reflow.web.render import REFUSED, Web, field_errors


def routes(web: Web) -> list[Route]:
    def agents() -> list[dict[str, object]]:
        return [a for a in list_agents(web.node) if a["localKey"]]

    async def page(request: Request) -> Response:
        return web.page(request, "signin.html", agents=agents(), errors={}, form={})

    async def with_keystore(request: Request) -> Response:
        form = await request.form()
        agent = str(form.get("agent") or "")
        try:
            if not web.node.keystore.has(agent):
                raise RuleViolation("choose an agent this node keeps a key for", field="agent",
                                    rule="key-in-keystore")  # fmt: skip
            key = web.node.key(agent, str(form.get("passphrase") or "") or None)
        except ReflowError as exc:
            errors = field_errors(exc, ["agent", "passphrase"])
            return web.page(
                request, "signin.html", REFUSED, agents=agents(), errors=errors, form=form
            )
        response = web.redirect(str(form.get("next") or "/"))
        web.sessions.start(response, agent, name_of(web.node.store, agent) or agent[:10], key,
                           "keystore")  # fmt: skip
        return response

    async def with_keyring(request: Request) -> Response:
        form = await request.form()
        raw = form.get("keyring_file")
        text = str(form.get("keyring") or "")
        if raw is not None and not isinstance(raw, str):
            text = (await raw.read()).decode("utf-8", "replace") or text
        try:
            try:
                data = json.loads(text)
            except ValueError:
                raise RuleViolation(
                    "the keyring is not JSON", field="keyring", rule="json"
                ) from None
            if not isinstance(data, dict):
                raise RuleViolation("the keyring is a JSON object", field="keyring", rule="json")
            key = keypair_from_zenroom_keyring(data)
            if web.node.store.object(key.public) is None:
                raise RuleViolation("no agent with this key is declared on this network",
                                    field="keyring", rule="declared-agent")  # fmt: skip
        except ReflowError as exc:
            errors = field_errors(exc, ["keyring"])
            return web.page(
                request, "signin.html", REFUSED, agents=agents(), errors=errors, form={}
            )
        response = web.redirect("/")
        name = name_of(web.node.store, key.public) or key.public[:10]
        web.sessions.start(response, key.public, name, key, "keyring")
        return response

    async def signout(request: Request) -> Response:
        response = web.redirect("/")
        web.sessions.end(request, response)
        return response

    return [
        Route("/signin", page, methods=["GET"]),
        Route("/signin", with_keystore, methods=["POST"]),
        Route("/signin/keyring", with_keyring, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
    ]
