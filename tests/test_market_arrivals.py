"""A proposal that reaches a node by replication is announced to its subscribers too."""

from __future__ import annotations

import asyncio

from market_world import C
from support import qty

from reflow.federation.inbox import Inbox
from reflow.ledger.records import sign_record
from reflow.market.service import intent, publish
from reflow.market.stream import STREAM
from reflow.node import Node


def test_a_replicated_offer_reaches_the_matching_requester(node: Node) -> None:
    maker = node.new_agent("Organization", {"name": "Insulation maker"})
    shop = node.new_agent("Organization", {"name": "Textile workshop"})
    wanted = intent("request", maker.public, qty(25), classes=[C["textile-fibre"]])
    request = publish(node, maker, {"purpose": "request"}, [wanted], stream=None)["proposal"]
    # The shop's offer is signed elsewhere and arrives as a record, the way replication
    # delivers it: through the inbox, not through this node's market service.
    seq, prev = node.next_position(shop.public)
    offered = intent("offer", shop.public, qty(40), classes=[C["cotton"]])
    record = sign_record(
        shop,
        network=node.info.network,
        seq=seq,
        prev=prev,
        kind="market.publish",
        body={"proposal": {"purpose": "offer"}, "intents": [offered]},
    )

    async def scenario() -> dict[str, object]:
        mine = STREAM.subscribe(maker.public)
        try:
            outcome = Inbox(node.ledger).offer([record.to_dict()])
            assert outcome.applied == 1
            return (await asyncio.wait_for(mine.get(), 2)).as_dict()
        finally:
            mine.close()

    notice = asyncio.run(scenario())
    assert (notice["agent"], notice["proposal"]) == (maker.public, request)
    assert not STREAM.listening  # the subscription is gone; arrivals cost nothing again


def test_the_match_stream_is_served_as_server_sent_events(node: Node) -> None:
    import httpx
    from starlette.applications import Starlette

    from reflow.web import web_routes

    maker = node.new_agent("Organization", {"name": "Insulation maker"})
    shop = node.new_agent("Organization", {"name": "Textile workshop"})
    wanted = intent("request", maker.public, qty(25), classes=[C["textile-fibre"]])
    request = publish(node, maker, {"purpose": "request"}, [wanted], stream=None)["proposal"]
    app = Starlette(routes=web_routes(node))

    async def scenario() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            url = f"/market/stream?agent={maker.public}&limit=1"
            answer = asyncio.create_task(client.get(url))
            while not STREAM.listening:  # the stream has subscribed: now the offer comes
                await asyncio.sleep(0.01)
            offered = intent("offer", shop.public, qty(40), classes=[C["cotton"]])
            publish(node, shop, {"purpose": "offer"}, [offered])
            done = await answer
            assert done.headers["content-type"].startswith("text/event-stream")
            return done.text.splitlines()

    lines = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert "event: MatchFound" in lines
    data = next(line for line in lines if line.startswith("data: "))
    assert f'"proposal": "{request}"' in data and maker.public in data
