"""Randomised schedules: random writes on random nodes, random pulls, partitions and restarts.

Specification: whatever the schedule, once every node can reach every other and has pulled,
all nodes hold the same records and the same state digest; a forged record offered anywhere
along the way is never applied. Seeded: ``REFLOW_FED_SEEDS=200`` runs more.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from federation_support import Cluster, qty
from sqlalchemy import select

from reflow.federation.queries import heads
from reflow.ledger.keys import KeyPair
from reflow.store.digest import state_digest
from reflow.store.schema import resources

SEEDS = int(os.environ.get("REFLOW_FED_SEEDS", "20"))
NAMES = ["a", "b", "c"]


@pytest.fixture
def fast_dir() -> Iterator[Path]:
    """Nodes on tmpfs where there is one: the schedules commit often, fsync is not the subject."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    path = Path(tempfile.mkdtemp(prefix="reflow-fed-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Schedule:
    def __init__(self, root: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cluster = Cluster(root, NAMES)
        self.home: dict[str, str] = {}  # agent -> node that holds its key
        self.keys: dict[str, KeyPair] = {}
        self.specs: dict[str, str] = {}
        self.forged = 0
        for name in NAMES:
            for i in range(2):
                key = self.cluster.nodes[name].new_agent("Person", {"name": f"{name}{i}"})
                self.home[key.public], self.keys[key.public] = name, key
                made = self.cluster.nodes[name].submit(
                    key, "vf.create", {"type": "ResourceSpecification", "data": {"name": "stuff"}}
                )
                self.specs[key.public] = made.created["ResourceSpecification"]

    def up(self) -> list[str]:
        return [n for n in NAMES if n in self.cluster.nodes]

    def holdings(self, node_name: str, agent: str) -> list[tuple[str, int]]:
        store = self.cluster.nodes[node_name].store
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(resources.c.id, resources.c.accounting_quantity)
                .where(resources.c.primary_accountable == agent)
                .order_by(resources.c.id)
            ).all()
        return [(r.id, int(r.accounting_quantity)) for r in rows if int(r.accounting_quantity) > 0]

    def write(self) -> None:
        name = self.rng.choice(self.up())
        node = self.cluster.nodes[name]
        agent = self.rng.choice([a for a, h in self.home.items() if h == name])
        key = self.keys[agent]
        held = self.holdings(name, agent)
        known = [a for a in self.home if a != agent and node.store.object(a) is not None]
        choice = self.rng.random()

        def event(action: str, **fields: object) -> dict[str, object]:
            return {"action": action, "provider": agent, "receiver": agent, **fields}

        if not held or choice < 0.3:
            lot = {"name": f"lot {self.rng.randint(1, 999)}"}
            body = {"event": event("raise", resourceConformsTo=self.specs[agent],
                                   resourceQuantity=qty(self.rng.randint(5, 20))),
                    "newInventoriedResource": lot}  # fmt: skip
        elif choice < 0.45:
            rid, _ = self.rng.choice(held)
            body = {"event": event("raise", resourceInventoriedAs=rid, resourceQuantity=qty(3))}
        elif choice < 0.75 and known:
            rid, n = self.rng.choice(held)
            body = {"event": {**event("transfer", resourceInventoriedAs=rid,
                                      resourceQuantity=qty(self.rng.randint(1, n))),
                              "receiver": self.rng.choice(known)}}  # fmt: skip
        else:
            rid, n = self.rng.choice(held)
            body = {"event": event("consume", resourceInventoriedAs=rid,
                                   resourceQuantity=qty(self.rng.randint(1, n)))}  # fmt: skip
        node.submit(key, "vf.event", body)

    def forge(self) -> None:
        """Offer a tampered copy of some record to a node: it must never be applied."""
        name = self.rng.choice(self.up())
        node = self.cluster.nodes[name]
        recs = list(node.store.iter_records())
        rec = self.rng.choice(recs).to_dict()
        rec["seq"] += 1_000
        out = self.cluster.services[name].inbox.offer([rec])
        assert out.applied == 0 and out.forged
        assert node.store.hash_at(rec["author"], rec["seq"]) is None
        self.forged += 1

    def step(self) -> None:
        roll = self.rng.random()
        up = self.up()
        if roll < 0.45:
            self.write()
        elif roll < 0.8 and len(up) > 1:
            x, y = self.rng.sample(up, 2)
            self.cluster.sync(x, y)
        elif roll < 0.9:
            down = [n for n in NAMES if n not in up]
            if down:
                self.cluster.start(down[0])
            elif len(up) > 1:
                self.cluster.stop(self.rng.choice(up))
        else:
            self.forge()

    def heal(self) -> None:
        for name in NAMES:
            if name not in self.cluster.nodes:
                self.cluster.start(name)
        for _ in range(2):
            for name in NAMES:
                self.cluster.sync(name)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_random_schedules_always_converge(fast_dir: Path, seed: int) -> None:
    schedule = Schedule(fast_dir, seed)
    for _ in range(20):
        schedule.step()
    schedule.heal()
    nodes = schedule.cluster.nodes
    digests = {n: state_digest(node.store)["digest"] for n, node in nodes.items()}
    assert len(set(digests.values())) == 1, digests
    assert len({str(sorted(heads(node.store).items())) for node in nodes.values()}) == 1
    assert all(not s.inbox.held for s in schedule.cluster.services.values())
    schedule.cluster.close()
