"""Replication between nodes in one process (real client, server and ledger; no sockets).

Specifications: nodes that exchanged the same records have the same state digest; a record that
came before what it builds on waits and is applied later; the order of arrival does not change
the result; equivocations are detected, gossiped and hold the author's later records.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from federation_support import Cluster, make_node, qty

from reflow.federation.inbox import Inbox
from reflow.federation.queries import heads
from reflow.ledger.records import sign_record
from reflow.node import Node
from reflow.store.digest import state_digest


def digest(node: Node) -> str:
    return state_digest(node.store)["digest"]


def circular_story(cluster: Cluster) -> dict[str, str]:
    """A resource produced on A, transferred to an agent of B, consumed on B (signed on B)."""
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    anna = a.new_agent("Person", {"name": "Anna"})
    cafe = b.new_agent("Organization", {"name": "Repair cafe"})
    cluster.sync("a", "b")  # A learns the cafe exists
    cotton = a.submit(anna, "vf.create", {"type": "ResourceSpecification",
                                          "data": {"name": "cotton"}}).created  # fmt: skip
    spec = cotton["ResourceSpecification"]
    made = a.submit(anna, "vf.event", {
        "event": {"action": "raise", "provider": anna.public, "receiver": anna.public,
                  "resourceConformsTo": spec, "resourceQuantity": qty(10)},
        "newInventoriedResource": {"name": "cotton bale"}})  # fmt: skip
    bale = made.created["EconomicResource"]
    moved = a.submit(anna, "vf.event", {"event": {
        "action": "transfer", "provider": anna.public, "receiver": cafe.public,
        "resourceInventoriedAs": bale, "resourceQuantity": qty(4)}})  # fmt: skip
    given = moved.created["toEconomicResource"]
    cluster.sync("b", "a")
    used = b.submit(cafe, "vf.event", {"event": {
        "action": "consume", "provider": cafe.public, "receiver": cafe.public,
        "resourceInventoriedAs": given, "resourceQuantity": qty(1)}})  # fmt: skip
    return {"bale": bale, "given": given, "consume": used.hash, "transfer": moved.hash}


def test_three_nodes_converge_on_a_story_across_nodes(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a", "b", "c"])
    story = circular_story(cluster)
    # The consume names the transfer it builds on, so it is applied only after it.
    assert story["transfer"] in cluster.nodes["b"].store.get_record(story["consume"]).deps
    cluster.sync("c", "b")  # B relays A's records too: C needs only one peer
    assert not cluster.services["c"].inbox.held
    cluster.sync("a", "b")
    digests = {n: digest(node) for n, node in cluster.nodes.items()}
    assert len(set(digests.values())) == 1, digests
    given = cluster.nodes["a"].store.resource(story["given"])
    assert str(given.accounting_quantity) == "3"
    cluster.close()


def test_arrival_order_does_not_change_the_state(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a", "b"])
    circular_story(cluster)
    cluster.sync("a", "b")
    source = cluster.nodes["a"]
    records = list(source.store.iter_records())
    expected = digest(source)
    for seed in range(6):
        rng = random.Random(seed)
        shuffled = records[:]
        rng.shuffle(shuffled)
        node = make_node(tmp_path / "orders", f"n{seed}", cluster.network)
        inbox = Inbox(node.ledger, cap=len(records))
        while shuffled:
            take = rng.randint(1, 4)
            inbox.offer(shuffled[:take])
            shuffled = shuffled[take:]
        inbox.retry()
        assert not inbox.held
        assert digest(node) == expected, f"seed {seed}"
        again = inbox.offer(records)  # idempotent: everything is a duplicate now
        assert (again.applied, again.duplicate) == (0, len(records))
        node.close()
    cluster.close()


def test_the_pending_buffer_is_bounded(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a", "b"])
    circular_story(cluster)
    cluster.sync("a", "b")
    records = list(cluster.nodes["a"].store.iter_records())
    node = make_node(tmp_path / "small", "n", cluster.network)
    inbox = Inbox(node.ledger, cap=2)
    out = inbox.offer(list(reversed(records)))
    assert len(inbox.held) == 2 and out.dropped > 0
    node.close()
    cluster.close()


def test_a_node_that_was_down_catches_up_and_converges(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a", "b", "c"])
    circular_story(cluster)
    for name in "abc":
        cluster.sync(name)
    cluster.stop("c")
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    ada = a.new_agent("Person", {"name": "Ada"})
    bob = b.new_agent("Person", {"name": "Bob"})
    for i in range(30):
        a.submit(ada, "vf.create", {"type": "SpatialThing", "data": {"name": f"a{i}"}})
        b.submit(bob, "vf.create", {"type": "SpatialThing", "data": {"name": f"b{i}"}})
    cluster.sync("a")  # C is down: A keeps going, and backs off C
    assert cluster.services["a"].state("http://c").failures == 1
    cluster.start("c")
    cluster.sync("c")
    cluster.sync("b")
    assert len({digest(n) for n in cluster.nodes.values()}) == 1
    cluster.close()


def test_equivocation_is_detected_gossiped_and_holds_later_records(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a", "b", "c"])
    a, b, c = cluster.nodes["a"], cluster.nodes["b"], cluster.nodes["c"]
    eve = a.new_agent("Person", {"name": "Eve"})
    cluster.sync("b", "a")
    # Eve signs two different records at seq 2, one given to A, the other to B.
    one = a.sign(eve, "vf.create", {"type": "SpatialThing", "data": {"name": "here"}})
    two = b.sign(eve, "vf.create", {"type": "SpatialThing", "data": {"name": "there"}})
    assert (one.seq, two.seq) == (2, 2) and one.hash != two.hash
    a.ledger.append(one)
    b.ledger.append(two)
    cluster.sync("b", "a")
    assert [e["author"] for e in b.store.equivocations()] == [eve.public]
    # C never talked to A: it learns the evidence from B's gossip and checks it itself.
    cluster.sync("c", "b")
    assert [(e["author"], e["seq"]) for e in c.store.equivocations()] == [(eve.public, 2)]
    # Eve's later records are held on C; her records before the fork are not.
    later = sign_record(
        eve,
        network=a.info.network,
        seq=3,
        prev=c.store.hash_at(eve.public, 2),
        kind="vf.create",
        body={"type": "SpatialThing", "data": {"name": "x"}},
    )
    receipt = c.ledger.append_many([later])[0]
    assert (receipt.status, receipt.error.rule) == ("rejected", "equivocating-author")
    assert heads(c.store)[eve.public]["seq"] == 2
    cluster.close()


def test_federated_search_tags_results_with_their_node_and_survives_a_dead_peer(
    tmp_path: Path,
) -> None:
    import asyncio

    from reflow.federation.search import federated_search, search_peers

    cluster = Cluster(tmp_path, ["a", "b", "c"])
    circular_story(cluster)
    cluster.sync("c", "a")
    offer = cluster.nodes["b"].new_agent("Person", {"name": "Olga"})
    cluster.nodes["b"].submit(offer, "vf.create", {"type": "Proposal", "data": {
        "name": "Cotton offcuts", "purpose": "offer"}})  # fmt: skip
    cluster.mesh.down.add("c")
    service = cluster.services["a"]
    urls = ["http://b", "http://c"]
    out = asyncio.run(
        federated_search(cluster.nodes["a"], urls, "cotton", "resource", http=service.http)
    )
    nodes = sorted({r["node"] for r in out["results"]})
    assert nodes == ["http://b", "local"]
    assert "http://c" in out["errors"]
    offers = asyncio.run(search_peers(["http://b"], "offcut", "offer", http=service.http))
    assert [(r["name"], r["node"]) for r in offers["results"]] == [("Cotton offcuts", "http://b")]
    requests = asyncio.run(search_peers(["http://b"], "offcut", "request", http=service.http))
    assert requests["results"] == []
    cluster.close()


def test_new_records_arrive_over_the_live_stream_without_a_pull(tmp_path: Path) -> None:
    import asyncio
    import time

    from federation_support import ServerThread

    from reflow.federation.http import federation_app
    from reflow.federation.service import FederationService

    cluster = Cluster(tmp_path, ["a", "b"])
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    anna = a.new_agent("Person", {"name": "Anna"})
    server = ServerThread(federation_app(a, sync=False))

    async def go() -> float:
        service = FederationService(b, interval=3600)
        try:
            await service.sync_peer(server.url)  # greets, pulls, then subscribes
            assert service.state(server.url).greeted
            for _ in range(50):  # until the subscription is open
                if service.state(server.url).streaming:
                    break
                await asyncio.sleep(0.1)
            place = {"type": "SpatialThing", "data": {"name": "depot"}}
            written = await asyncio.to_thread(a.submit, anna, "vf.create", place)
            started = time.monotonic()
            while time.monotonic() - started < 10:
                if await asyncio.to_thread(b.store.has_record, written.hash):
                    return time.monotonic() - started
                await asyncio.sleep(0.05)
            raise AssertionError("the record did not arrive over the stream")
        finally:
            for task in service._streams.values():
                task.cancel()
            await service.http.aclose()

    try:
        latency = asyncio.run(go())
    finally:
        server.stop()
        cluster.close()
    assert latency < 5


def test_a_fork_below_the_peers_head_is_found_and_kept_as_evidence(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a", "b"])
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    eve = a.new_agent("Person", {"name": "Eve"})
    cluster.sync("b", "a")
    one = a.sign(eve, "vf.create", {"type": "SpatialThing", "data": {"name": "here"}})
    two = b.sign(eve, "vf.create", {"type": "SpatialThing", "data": {"name": "there"}})
    a.ledger.append(one)
    b.ledger.append(two)
    a.submit(eve, "vf.create", {"type": "SpatialThing", "data": {"name": "and on"}})  # seq 3
    reports = cluster.sync("b", "a")
    assert reports[0] is not None and reports[0].rejected == 0  # the peer is not blamed
    assert [(e["author"], e["seq"]) for e in b.store.equivocations()] == [(eve.public, 2)]
    assert b.store.head(eve.public)[0] == 2  # never both branches
    cluster.close()


def test_a_peer_back_from_a_partition_is_pulled_as_soon_as_it_greets_us(tmp_path: Path) -> None:
    import asyncio

    from starlette.applications import Starlette

    from reflow.federation.http import federation_routes

    cluster = Cluster(tmp_path, ["a", "b", "c"])
    a = cluster.services["a"]
    cluster.mesh.apps["a"] = Starlette(routes=federation_routes(cluster.nodes["a"], a))
    cluster.mesh.down.update({"b", "c"})
    for _ in range(4):  # A keeps failing to reach them: its backoff grows
        cluster.sync("a", "b", "c")
    b_state, c_state = a.state("http://b"), a.state("http://c")
    assert not b_state.usable() and b_state.retry_at > time.monotonic() + 2
    c_state.cut_off = True  # as if C had been cut off for misbehaving instead
    cluster.mesh.down.clear()
    a._wake.clear()
    for name in ("b", "c"):
        service = cluster.services[name]
        asyncio.run(service.greet(service.state("http://a")))
    assert b_state.usable() and a._wake.is_set()  # pulled from in the next round, not later
    assert not c_state.usable()  # a cut-off stands whatever the peer says
    cluster.close()
