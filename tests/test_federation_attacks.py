"""A peer that lies: forged, malformed, oversized, endless or replayed data.

Specification: such a peer is cut off with its reason and a growing backoff, and nothing of its
bad data is applied (the honest node's state digest does not move).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from federation_support import Cluster, ServerThread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from reflow.federation.peers import make_hello
from reflow.federation.queries import heads
from reflow.ledger.keys import KeyPair
from reflow.ledger.records import sign_record
from reflow.node import Node
from reflow.store.digest import state_digest

Body = Callable[[], Any]


def evil_peer(
    network: str, heads_body: Body, records_body: Body, log_body: Body | None = None
) -> Starlette:
    """A peer that greets correctly, then serves whatever the test tells it to."""
    key = KeyPair.generate()

    async def hello(request: Request) -> Response:
        theirs = await request.json()
        return JSONResponse(make_hello(key, network, nonce=theirs["nonce"]))

    async def get_heads(request: Request) -> Response:
        return Response(heads_body(), media_type="application/json")

    async def records(request: Request) -> Response:
        return StreamingResponse(records_body(), media_type="application/x-ndjson")

    async def log(request: Request) -> Response:
        return StreamingResponse((log_body or lines())(), media_type="text/plain")

    async def evidence(request: Request) -> Response:
        return JSONResponse({"equivocations": []})

    return Starlette(routes=[
        Route("/fed/hello", hello, methods=["POST"]), Route("/fed/heads", get_heads),
        Route("/fed/records", records), Route("/fed/log", log, methods=["GET", "POST"]),
        Route("/fed/equivocations", evidence)])  # fmt: skip


def honest_world(tmp_path: Path) -> tuple[Cluster, Node, KeyPair]:
    cluster = Cluster(tmp_path, ["b"])
    node = cluster.nodes["b"]
    anna = node.new_agent("Person", {"name": "Anna"})
    node.submit(anna, "vf.create", {"type": "SpatialThing", "data": {"name": "depot"}})
    return cluster, node, anna


def claim(author: str, seq: int) -> Body:
    return lambda: json.dumps({"heads": {author: {"seq": seq, "hash": "0" * 64}}})


def lines(*items: bytes) -> Body:
    async def gen() -> AsyncIterator[bytes]:
        for item in items:
            yield item

    return gen


def attack(cluster: Cluster, app: Starlette) -> str:
    """Let node b pull from the evil peer; return the reason it was cut off."""
    cluster.mesh.apps["evil"] = app
    cluster.services["b"].book.add("http://evil")
    before = state_digest(cluster.nodes["b"].store)["digest"]
    assert cluster.sync("b", "evil") == [None]
    assert state_digest(cluster.nodes["b"].store)["digest"] == before  # nothing applied
    st = cluster.services["b"].state("http://evil")
    assert st.cutoffs == 1 and st.retry_at > time.monotonic() + 5
    return st.reason or ""


def next_record(node: Node, key: KeyPair, **change: Any) -> dict[str, Any]:
    rec = node.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "shed"}})
    return {**rec.to_dict(), **change}


def test_a_forged_record_cuts_the_peer_off(tmp_path: Path) -> None:
    cluster, node, anna = honest_world(tmp_path)
    forged = next_record(node, anna, body={"type": "SpatialThing", "data": {"name": "mine"}})
    app = evil_peer(node.info.network, claim(anna.public, 3),
                    lines(json.dumps(forged).encode() + b"\n"))  # fmt: skip
    reason = attack(cluster, app)
    assert "forged" in reason and "signature" in reason
    assert heads(node.store)[anna.public]["seq"] == 2
    cluster.close()


def test_a_record_of_another_network_cuts_the_peer_off(tmp_path: Path) -> None:
    cluster, node, anna = honest_world(tmp_path)
    head = node.store.head(anna.public)
    other = sign_record(anna, network="elsewhere", seq=3, prev=head[1], kind="vf.create",
                        body={"type": "SpatialThing", "data": {"name": "x"}})  # fmt: skip
    app = evil_peer(node.info.network, claim(anna.public, 3), lines(other.to_json().encode()))
    assert "network" in attack(cluster, app)
    cluster.close()


@pytest.mark.parametrize(
    ("heads_body", "records", "why"),
    [
        (lambda: b"<html>", lines(), "not JSON"),
        (lambda: b'{"heads": {"x": {"seq": "1"}}}', lines(), "bad head"),
        (None, lines(b"garbage\n"), "not JSON"),
        (None, lines(b"[1, 2]\n"), "not a JSON object"),
        (None, lines(b"{" + b" " * 400_000 + b"}\n"), "bytes"),
    ],
)
def test_garbage_and_oversized_answers_cut_the_peer_off(
    tmp_path: Path, heads_body: Body | None, records: Body, why: str
) -> None:
    cluster, node, anna = honest_world(tmp_path)
    app = evil_peer(node.info.network, heads_body or claim(anna.public, 5), records)
    assert why in attack(cluster, app)
    cluster.close()


@pytest.mark.parametrize(
    ("log", "why"),
    [
        (lines(b"garbage\n"), "position"),
        (lines(b"7 {}\n"), "malformed"),
        (lines(b"7 {}\n", b"5 {}\n"), "do not increase"),
        (lines(b"7 nonsense\n"), "not JSON"),
    ],
)
def test_a_garbled_log_cuts_the_peer_off(tmp_path: Path, log: Body, why: str) -> None:
    cluster, node, anna = honest_world(tmp_path)
    app = evil_peer(node.info.network, claim(anna.public, 2), lines(), log)
    assert why in attack(cluster, app)
    cluster.close()


def test_an_endless_answer_cuts_the_peer_off(tmp_path: Path) -> None:
    cluster, node, anna = honest_world(tmp_path)
    rec = json.dumps(next_record(node, anna)).encode() + b"\n"

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield rec
            await asyncio.sleep(0)

    app = evil_peer(node.info.network, claim(anna.public, 3), lambda: endless())
    server = ServerThread(app)
    try:
        cluster.services["b"].book.add(server.url)
        assert cluster.sync("b", server.url.removeprefix("http://")) == [None]
        st = cluster.services["b"].state(server.url)
        assert st.cutoffs == 1 and "more than the 1 lines" in (st.reason or "")
        assert heads(node.store)[anna.public]["seq"] == 2
    finally:
        server.stop()
        cluster.close()


def test_a_replayed_old_record_is_refused_as_not_what_was_asked(tmp_path: Path) -> None:
    cluster, node, anna = honest_world(tmp_path)
    old = node.store.get_record(node.store.hash_at(anna.public, 1))
    app = evil_peer(node.info.network, claim(anna.public, 3), lines(old.to_json().encode()))
    assert "asked for" in attack(cluster, app)
    cluster.close()


def test_a_replayed_record_on_the_live_stream_is_a_harmless_duplicate(tmp_path: Path) -> None:
    cluster, node, anna = honest_world(tmp_path)
    old = node.store.get_record(node.store.hash_at(anna.public, 2))
    service = cluster.services["b"]
    before = state_digest(node.store)["digest"]
    asyncio.run(service._deliver("http://evil", [old.to_json().encode()]))
    assert state_digest(node.store)["digest"] == before
    assert service.state("http://evil").cutoffs == 0
    cluster.close()


def test_backoff_grows_with_each_cutoff(tmp_path: Path) -> None:
    cluster, node, _ = honest_world(tmp_path)
    app = evil_peer(node.info.network, lambda: b"nonsense", lines())
    cluster.mesh.apps["evil"] = app
    cluster.services["b"].book.add("http://evil")
    delays = []
    for _ in range(3):
        cluster.sync("b", "evil")
        st = cluster.services["b"].state("http://evil")
        delays.append(round(st.retry_at - time.monotonic()))
    assert delays[0] < delays[1] < delays[2]
    cluster.close()


def test_records_of_non_members_are_refused_and_their_forwarder_cut_off(tmp_path: Path) -> None:
    from reflow.govern.genesis import network_id_of
    from reflow.govern.network import genesis_body

    founder = KeyPair.generate()
    body = genesis_body("Closed city", founder=founder.public, policy="invitation")
    cluster = Cluster(tmp_path, ["a", "b"], network=network_id_of(body))
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    a.submit(founder, "network.genesis", body)
    a.submit(founder, "agent.declare", {"type": "Person", "data": {"name": "Founder"}})
    strangers = [KeyPair.generate() for _ in range(3)]
    for s in strangers:
        a.submit(s, "agent.declare", {"type": "Person", "data": {"name": "Stranger"}})
    cluster.sync("b", "a")
    # Their records are signed correctly, but they are not members: A never took them, and B
    # refuses them when a peer forwards them.
    place = {"type": "SpatialThing", "data": {"name": "squat"}}
    forwarded = [a.sign(s, "vf.create", place) for s in strangers]
    log = lines(*(b"%d %s\n" % (i + 10, r.to_json().encode()) for i, r in enumerate(forwarded)))
    app = evil_peer(a.info.network, lambda: b'{"heads": {}}', lines(), log)
    reason = attack(cluster, app)
    assert "refuse" in reason and "member" in reason
    assert all(b.store.head(s.public)[0] == 1 for s in strangers)
    cluster.close()
