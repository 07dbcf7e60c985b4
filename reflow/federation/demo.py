"""Several nodes on one machine: different pilots' agents on each, replicating as they work.

``run_demo_nodes(3)`` makes ``node1..node3`` (one network, each with its own SQLite database and
node key, each listing the others as peers), seeds each with its pilot's agents and stock, starts
one server process per node on ports 8001, 8002, 8003, and then keeps recording small events on
a random node every few seconds while printing what every node holds — the record counts and
digests line up within a second or two of each write.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from reflow.federation.peers import PeerBook
from reflow.federation.processes import python_module
from reflow.ledger.keys import KeyPair
from reflow.node import Node, network_id
from reflow.settings import Settings

DEMO_NETWORK = network_id({"name": "reflow-demo", "purpose": "several nodes on one machine"})
PILOTS = [
    ("Textile pilot (Amsterdam)", "Organization", "Mara", "cotton offcuts"),
    ("Repair cafe (Oost)", "Organization", "Joost", "repaired garments"),
    ("Municipality (circular procurement)", "Organization", "Ilse", "insulation panels"),
    ("Makerspace (Noord)", "Organization", "Sam", "recycled PET filament"),
    ("Food bank (West)", "Organization", "Noor", "surplus bread"),
]


def _qty(n: int) -> dict[str, str]:
    return {"hasNumericalValue": str(n), "hasUnit": "om2:kilogram"}


class DemoNode:
    def __init__(self, directory: Path, index: int, port: int) -> None:
        self.name = f"node{index + 1}"
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        settings = Settings.from_env({}, data_dir=directory / self.name)
        self.node = Node.init(settings, network_name="reflow-demo", network=DEMO_NETWORK)
        self.people: list[KeyPair] = []
        self.stock: list[tuple[KeyPair, str]] = []
        self.proc: subprocess.Popen[bytes] | None = None

    def seed(self, pilot: tuple[str, str, str, str]) -> None:
        org_name, org_type, person, material = pilot
        node = self.node
        if node.store.head(node.info.node_key) is not None or self.people:
            return
        node.new_agent(org_type, {"name": org_name})
        who = node.new_agent("Person", {"name": f"{person} ({org_name.split(' (')[0]})"})
        self.people.append(who)
        spec = node.submit(who, "vf.create", {"type": "ResourceSpecification",
                                              "data": {"name": material}})  # fmt: skip
        made = node.submit(who, "vf.event", {
            "event": {"action": "raise", "provider": who.public, "receiver": who.public,
                      "resourceConformsTo": spec.created["ResourceSpecification"],
                      "resourceQuantity": _qty(100)},
            "newInventoriedResource": {"name": material}})  # fmt: skip
        self.stock.append((who, made.created["EconomicResource"]))

    def start(self, interval: float) -> None:
        args = python_module("reflow.federation.runner", "--data-dir",
                             str(self.node.settings.data_dir), "--port", str(self.port),
                             "--sync-interval", str(interval))  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + "/fed/info", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
        self.node.close()


def _work(rng: random.Random, nodes: list[DemoNode]) -> str:
    """One small, valid event on a random node: raise, use up, or give to another agent."""
    here = rng.choice([n for n in nodes if n.stock])
    who, rid = rng.choice(here.stock)
    node = here.node
    node.store.refresh()
    res = node.store.resource(rid)
    have = int(res.accounting_quantity) if res is not None else 0
    roll = rng.random()
    if have < 5 or roll < 0.4:
        node.submit(who, "vf.event", {"event": {"action": "raise", "provider": who.public,
                    "receiver": who.public, "resourceInventoriedAs": rid,
                    "resourceQuantity": _qty(10)}})  # fmt: skip
        return f"{here.name}: +10 kg {res.name if res else rid}"
    others = [p for n in nodes for p in n.people if p is not who and node.store.object(p.public)]
    if others and roll < 0.7:
        to = rng.choice(others)
        node.submit(who, "vf.event", {"event": {"action": "transfer", "provider": who.public,
                    "receiver": to.public, "resourceInventoriedAs": rid,
                    "resourceQuantity": _qty(2)}})  # fmt: skip
        return f"{here.name}: 2 kg {res.name if res else rid} given to another pilot"
    node.submit(who, "vf.event", {"event": {"action": "consume", "provider": who.public,
                "receiver": who.public, "resourceInventoriedAs": rid,
                "resourceQuantity": _qty(1)}})  # fmt: skip
    return f"{here.name}: 1 kg {res.name if res else rid} used"


STATUS_TIMEOUT = 15.0  # seconds a node may take to give its digest before it is shown down


def status(nodes: list[DemoNode]) -> list[dict[str, Any]]:
    out = []
    for n in nodes:
        try:
            # a node busy applying a stream answers late on a loaded machine: late is not down
            d = httpx.get(n.url + "/fed/digest", timeout=STATUS_TIMEOUT).json()
            out.append({"node": n.name, "records": d["tables"]["records"], "digest": d["digest"]})
        except (httpx.HTTPError, ValueError, KeyError):
            out.append({"node": n.name, "records": None, "digest": "(down)"})
    return out


def run_demo_nodes(
    n: int = 3,
    base_port: int = 8001,
    *,
    directory: Path = Path("demo-nodes"),
    seconds: float = 0.0,
    every: float = 3.0,
    interval: float = 1.0,
    say: Callable[[str], Any] = print,
) -> list[dict[str, Any]]:
    """Start ``n`` replicating nodes and keep them busy; return the last status."""
    n = max(1, min(n, len(PILOTS)))
    nodes = [DemoNode(Path(directory), i, base_port + i) for i in range(n)]
    for node in nodes:
        for other in nodes:
            if other is not node:
                PeerBook(node.node.settings.data_dir).add(other.url)
    for node, pilot in zip(nodes, PILOTS, strict=False):
        node.seed(pilot)
    for node in nodes:
        node.start(interval)
    rng = random.Random(1)
    last: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 60
        while not all(x.ready() for x in nodes) and time.monotonic() < deadline:
            time.sleep(0.2)
        say(f"{n} nodes up: " + ", ".join(f"{x.name} {x.url}" for x in nodes))
        say("watch: curl -s URL/fed/digest  |  curl -N URL/fed/stream  |  URL/fed/peers")
        started = time.monotonic()
        while seconds <= 0 or time.monotonic() - started < seconds:
            time.sleep(every)
            say(_work(rng, nodes))
            time.sleep(min(2.0, every))
            last = status(nodes)
            same = len({s["digest"] for s in last}) == 1
            line = "  ".join(
                f"{s['node']}: {s['records']} records {s['digest'][:10]}" for s in last
            )
            say(f"  {line}  {'= in sync' if same else '(syncing)'}")
    except KeyboardInterrupt:
        pass
    finally:
        for node in nodes:
            node.stop()
    return last
