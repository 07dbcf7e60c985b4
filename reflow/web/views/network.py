"""The network page: this node, its peers and their sync state, members and roles, and alerts
for equivocations (an author who signed two records at one place in its chain)."""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reflow.federation.peers import PeerBook
from reflow.govern.network import members, network_info
from reflow.inventory import list_agents, name_of
from reflow.store.queries import count_records
from reflow.store.schema import equivocations
from reflow.web.render import Web


def routes(web: Web) -> list[Route]:
    node = web.node

    async def page(request: Request) -> Response:
        with node.store.engine.connect() as conn:
            alerts = [dict(r._mapping) for r in conn.execute(
                select(equivocations).order_by(equivocations.c.id.desc()).limit(50))]  # fmt: skip
        for a in alerts:
            a["authorName"] = name_of(node.store, a["author"])
            a.pop("record", None)
        info = network_info(node.store)
        return web.page(
            request, "network.html", node_info=node.info.as_dict(),
            records=count_records(node.store),
            network=info, genesis=json.dumps(info["genesis"], indent=1) if info else "",
            members=members(node.store), agents=list_agents(node),
            peers=[asdict(p) for p in PeerBook(node.settings.data_dir).list()], alerts=alerts,
        )  # fmt: skip

    return [Route("/network", page, methods=["GET"])]
