"""The market's web pages when the publisher's key is sealed: accept waits, the publisher answers.

In-process (httpx over ASGI, no browser): the acceptor is told the acceptance waits,
and the publisher, signed in with its passphrase, sees it on the proposal page and confirms it
(an agreement) or declines it.
"""

from __future__ import annotations

import re

import httpx
from api_support import URL, SyncASGITransport
from market_world import C
from starlette.applications import Starlette
from support import qty

from reflow.market.service import acceptance, intent, publish
from reflow.node import Node
from reflow.web import web_routes


def _signed_in(app: Starlette, agent: str, passphrase: str = "") -> httpx.Client:
    client = httpx.Client(transport=SyncASGITransport(app), base_url=URL)
    response = client.post("/signin", data={"agent": agent, "passphrase": passphrase})
    assert response.status_code in (302, 303), response.text
    return client


def _csrf(client: httpx.Client, path: str) -> tuple[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1), page.text


def test_a_pending_acceptance_is_confirmed_or_declined_by_the_publisher(node: Node) -> None:
    shop = node.new_agent("Organization", {"name": "Workshop"}, passphrase="long pass words")
    maker = node.new_agent("Organization", {"name": "Maker"})
    given = intent("offer", shop.public, qty(40), classes=[C["cotton"]])
    offer = publish(node, shop, {"purpose": "offer"}, [given], stream=None)["proposal"]
    app = Starlette(routes=web_routes(node))

    acceptor = _signed_in(app, maker.public)
    token, _ = _csrf(acceptor, f"/market/{offer}")
    asked = []
    for amount in ("10 kg", "5 kg"):
        sent = acceptor.post(f"/market/{offer}/accept", data={"csrf": token, "quantity": amount})
        assert sent.status_code in (302, 303)
        assert sent.headers["location"].startswith(f"/market/{offer}?pending=")
        asked.append(sent.headers["location"].split("pending=")[1])
    page = acceptor.get(sent.headers["location"]).text
    assert "waiting for the publisher to confirm" in page
    assert f"/acceptances/{asked[0]}/confirm" not in page  # only the publisher may answer

    publisher = _signed_in(app, shop.public, "long pass words")
    token, page = _csrf(publisher, f"/market/{offer}")
    assert f"/acceptances/{asked[0]}/confirm" in page
    done = publisher.post(f"/acceptances/{asked[0]}/confirm", data={"csrf": token})
    assert done.status_code in (302, 303) and done.headers["location"].startswith("/agreements/")
    assert publisher.get(done.headers["location"]).status_code == 200
    no = publisher.post(f"/acceptances/{asked[1]}/decline", data={"csrf": token})
    assert no.status_code in (302, 303)
    assert [acceptance(node.store, a)["status"] for a in asked] == ["confirmed", "declined"]
    # answering twice is refused with the rule, on the proposal page
    again = publisher.post(f"/acceptances/{asked[1]}/confirm", data={"csrf": token})
    assert "the acceptance is already declined" in again.text
