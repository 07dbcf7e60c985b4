"""The plan page, in-process (httpx over ASGI, no browser): every commitment shows its
provider's answer, and a provider signed in accepts or refuses its own commitments there."""

from __future__ import annotations

from datetime import timedelta

from plan_scene import NOW, qty, textile
from starlette.applications import Starlette
from test_market_web import _csrf, _signed_in

from reflow.node import Node
from reflow.plan import service
from reflow.web import web_routes


def test_a_provider_answers_its_commitment_on_the_plan_page(node: Node) -> None:
    s, ids = textile(node)
    plan = service.plan_from_demand(
        node, s.keys[s.coord], ids["panel"], qty(50, "om2:one"), NOW + timedelta(days=10),
        s.hub, now=NOW, publish=False,
    )["plan"]  # fmt: skip
    shown = service.show(node.store, plan)
    live = [c for p in shown["processes"] for c in p["commitments"]]
    pia = next(c for c in live if c["provider"] == ids["presser"] and c["role"] == "work")
    app = Starlette(routes=web_routes(node))

    omar = _signed_in(app, ids["sorter_Omar"])
    _token, page = _csrf(omar, f"/plans/{plan}")
    assert f'value="{pia["id"]}"' not in page  # only the provider may answer
    assert "Providers&#39; answers" in page or "Providers' answers" in page

    client = _signed_in(app, ids["presser"])
    token, page = _csrf(client, f"/plans/{plan}")
    assert page.count(f'name="commitment" value="{pia["id"]}"') == 2  # accept and refuse
    sent = client.post(f"/plans/{plan}/answer", data={
        "csrf": token, "commitment": pia["id"], "answer": "refuse", "note": "the press is broken",
    })  # fmt: skip
    assert sent.status_code in (302, 303) and sent.headers["location"] == f"/plans/{plan}"
    page = client.get(f"/plans/{plan}").text
    assert "the press is broken" in page and "refused" in page
    assert f'name="commitment" value="{pia["id"]}"' not in page  # nothing left to answer
    again = client.post(f"/plans/{plan}/answer", data={
        "csrf": token, "commitment": pia["id"], "answer": "accept",
    })  # fmt: skip
    assert "a refused commitment is not accepted again" in again.text
    assert service.progress(node.store, plan, now=NOW)["answers"]["refused"] == 1
