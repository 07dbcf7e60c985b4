"""Three nodes as three server processes on 127.0.0.1, each with its own database.

Specification: agents on each node record a story that crosses nodes (a resource produced on A,
transferred to an agent of B, consumed on B by that agent, signed on B); the servers replicate on
their own (live stream and periodic pulls) and ``reflow digest`` is then equal on all three. A
node that is stopped while the others keep writing catches up when it comes back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from federation_support import free_port, qty, spawn_node, stop_process, wait_ready

from reflow.errors import StaleStateError
from reflow.federation.peers import PeerBook
from reflow.federation.queries import heads
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Receipt
from reflow.node import Node
from reflow.settings import Settings

NETWORK = "fed-process-net"


class Net:
    """Three node directories with peers.json filled in, and their server processes."""

    def __init__(self, root: Path, dbs: dict[str, str]) -> None:
        self.dbs = dbs
        self.dirs = {n: root / n for n in dbs}
        self.ports = {n: free_port() for n in dbs}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for n in dbs:
            Node.init(self.settings(n), network_name="fed", network=NETWORK).close()
            for other in dbs:
                if other != n:
                    PeerBook(self.dirs[n]).add(f"http://127.0.0.1:{self.ports[other]}")

    def settings(self, n: str) -> Settings:
        return Settings.from_env({}, data_dir=self.dirs[n], database_url=self.dbs[n] or None)

    def start(self, *names: str) -> None:
        """Start the servers together (each takes seconds to import on a busy machine)."""
        for n in names:
            self.procs[n] = spawn_node(self.dirs[n], self.ports[n], db=self.dbs[n], wait=False)
        for n in names:
            wait_ready(self.procs[n], self.ports[n])

    def stop(self, n: str) -> None:
        stop_process(self.procs.pop(n))

    def open(self, n: str) -> Node:
        return Node.open(self.settings(n))

    def digest(self, n: str) -> str:
        args = [sys.executable, "-c", "from reflow.cli import main; main()", "digest",
                "--data-dir", str(self.dirs[n]), "--json"]  # fmt: skip
        if self.dbs[n]:
            args += ["--db", self.dbs[n]]
        out = subprocess.run(args, capture_output=True, check=True, timeout=60)
        return str(json.loads(out.stdout)["digest"])

    def close(self) -> None:
        procs = list(self.procs.values())
        self.procs.clear()
        for p in procs:
            p.terminate()
        for p in procs:
            stop_process(p)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def same_heads(nodes: list[Node]) -> bool:
    for node in nodes:
        node.store.refresh()
    return len({json.dumps(heads(node.store), sort_keys=True) for node in nodes}) == 1


def submit(node: Node, key: KeyPair, kind: str, body: dict[str, object]) -> Receipt:
    """``node.submit``, again if the server process appended at the same moment.

    Two processes write each SQLite file here (the test and the node's server); the ledger
    judges a batch again when another writer got in first, a few times, then gives up.
    """
    for attempt in range(20):
        try:
            return node.submit(key, kind, body)
        except StaleStateError:
            if attempt == 19:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def agent(node: Node, type_name: str, name: str) -> KeyPair:
    key = node.keystore.create(label=name)
    submit(node, key, "agent.declare", {"type": type_name, "data": {"name": name}})
    return key


def story(a: Node, b: Node) -> None:
    anna = agent(a, "Person", "Anna (textile pilot)")
    cafe = agent(b, "Organization", "Repair cafe (reuse pilot)")
    wait_for(lambda: a.store.object(cafe.public) is not None or _refresh(a), "A to learn of B")
    spec = submit(a, anna, "vf.create", {"type": "ResourceSpecification",
                                        "data": {"name": "cotton"}}).created  # fmt: skip
    made = submit(a, anna, "vf.event", {
        "event": {"action": "produce", "provider": anna.public, "receiver": anna.public,
                  "resourceConformsTo": spec["ResourceSpecification"],
                  "resourceQuantity": qty(10)},
        "newInventoriedResource": {"name": "cotton bale"}})  # fmt: skip
    moved = submit(a, anna, "vf.event", {"event": {
        "action": "transfer", "provider": anna.public, "receiver": cafe.public,
        "resourceInventoriedAs": made.created["EconomicResource"],
        "resourceQuantity": qty(4)}})  # fmt: skip
    given = moved.created["toEconomicResource"]
    wait_for(lambda: _refresh(b) or b.store.resource(given) is not None, "B to get the transfer")
    submit(b, cafe, "vf.event", {"event": {
        "action": "consume", "provider": cafe.public, "receiver": cafe.public,
        "resourceInventoriedAs": given, "resourceQuantity": qty(1)}})  # fmt: skip


def _refresh(node: Node) -> bool:
    node.store.refresh()
    return False


@pytest.fixture
def sqlite_net(tmp_path: Path) -> Iterator[Net]:
    net = Net(tmp_path, {"a": "", "b": "", "c": ""})
    yield net
    net.close()


def run_story(net: Net) -> None:
    net.start("a", "b", "c")
    a, b, c = net.open("a"), net.open("b"), net.open("c")
    try:
        story(a, b)
        wait_for(lambda: same_heads([a, b, c]), "three nodes to hold the same chains")
    finally:
        for node in (a, b, c):
            node.close()
    digests = {n: net.digest(n) for n in "abc"}
    assert len(set(digests.values())) == 1, digests


def test_three_server_processes_converge_on_sqlite(sqlite_net: Net) -> None:
    run_story(sqlite_net)


@pytest.mark.postgres
def test_three_server_processes_converge_on_postgresql(
    tmp_path: Path, pg_database_factory: Callable[[], str]
) -> None:
    net = Net(tmp_path, {n: pg_database_factory() for n in "abc"})
    try:
        run_story(net)
    finally:
        net.close()


@pytest.mark.slow  # three server starts, a stop and a restart: ~25-45 s on a busy machine
def test_a_stopped_node_catches_up_after_restart(sqlite_net: Net) -> None:
    net = sqlite_net
    run_story(net)
    net.stop("c")
    a, b = net.open("a"), net.open("b")
    ada = agent(a, "Person", "Ada")
    bob = agent(b, "Person", "Bob")
    for i in range(20):
        submit(a, ada, "vf.create", {"type": "SpatialThing", "data": {"name": f"a{i}"}})
        submit(b, bob, "vf.create", {"type": "SpatialThing", "data": {"name": f"b{i}"}})
    net.start("c")
    c = net.open("c")
    try:
        wait_for(lambda: same_heads([a, b, c]), "C to catch up")
    finally:
        for node in (a, b, c):
            node.close()
    assert len({net.digest(n) for n in "abc"}) == 1


@pytest.mark.slow  # two server starts and a few demo rounds: ~15-25 s on a busy machine
def test_the_demo_runs_nodes_that_agree(tmp_path: Path) -> None:
    from reflow.federation.demo import run_demo_nodes

    first = free_port()
    said: list[str] = []
    last = run_demo_nodes(2, base_port=first, directory=tmp_path, seconds=3, every=1.0,
                          interval=0.3, say=said.append)  # fmt: skip
    assert said[0].startswith("2 nodes up")
    assert [s["node"] for s in last] == ["node1", "node2"]
    assert len({s["digest"] for s in last}) == 1 and last[0]["records"] > 8
