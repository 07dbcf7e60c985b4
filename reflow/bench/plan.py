"""The planning benchmark: a 4-level recipe tree (~190 processes), 10 000 inventoried
resources and 500 agents offering skills with hours, then one ``plan_from_demand``.

The store is filled the honest way — signed records through ``Ledger.append_many`` — and only
the planning is timed: reading, explosion and netting, scheduling, the CP-SAT assignment,
drafting the commitments and recording the plan (one ``plan.create`` record).
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reflow.ledger.keys import KeyPair
from reflow.ledger.records import Record, sign_record
from reflow.node import Node
from reflow.plan import service
from reflow.settings import Settings

CITY = (52.28, 52.43, 4.75, 5.02)
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
CREATED = "2026-05-01T00:00:00Z"


def _q(v: Any, unit: str = "om2:kilogram") -> dict[str, str]:
    return {"hasNumericalValue": str(v), "hasUnit": unit}


class _Chain:
    """Signs the records of one author in order (bulk set-up, without the node's lookups)."""

    def __init__(self, network: str, key: KeyPair, seq: int = 0, prev: str | None = None) -> None:
        self.network, self.key, self.seq, self.prev = network, key, seq, prev

    def sign(self, kind: str, body: dict[str, Any]) -> Record:
        rec = sign_record(
            self.key,
            network=self.network,
            seq=self.seq + 1,
            prev=self.prev,
            kind=kind,
            body=body,
            created=CREATED,
        )
        self.seq, self.prev = rec.seq, rec.hash
        return rec


def _append(node: Node, records: list[Record]) -> dict[str, str]:
    created: dict[str, str] = {}
    for rec, receipt in zip(records, node.ledger.append_many(records), strict=True):
        if receipt.status not in ("applied", "duplicate"):
            raise RuntimeError(f"set-up record refused: {receipt.status} {receipt.error}")
        for role, oid in receipt.created.items():
            created[f"{rec.hash}:{role}"] = oid
    return created


def _tree(branching: tuple[int, ...]) -> tuple[list[dict[str, Any]], int]:
    """Node i: (level, parent); the top product is node 0."""
    nodes = [{"level": 0, "parent": None}]
    frontier = [0]
    for level, b in enumerate(branching, start=1):
        nxt = []
        for parent in frontier:
            for _ in range(b):
                nodes.append({"level": level, "parent": parent})
                nxt.append(len(nodes) - 1)
        frontier = nxt
    return nodes, len(nodes)


def setup(node: Node, *, resources: int, agents: int, skills: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    net = node.info.network
    coord_key = node.keystore.create(label="bench coordinator")
    coord = _Chain(net, coord_key)
    recs = [coord.sign("agent.declare", {"type": "Organization", "data": {"name": "coordinator"}})]
    hub = coord.sign(
        "vf.create",
        {"type": "SpatialThing", "data": {"name": "hub", "lat": "52.3600", "long": "4.9000"}},
    )
    recs.append(hub)
    places = []
    for i in range(60):
        lat = rng.uniform(CITY[0], CITY[1])
        lon = rng.uniform(CITY[2], CITY[3])
        places.append(
            coord.sign(
                "vf.create",
                {
                    "type": "SpatialThing",
                    "data": {"name": f"place {i}", "lat": f"{lat:.5f}", "long": f"{lon:.5f}"},
                },
            )
        )
    nodes, n = _tree((6, 5, 5))
    raws = 25
    specs = [
        coord.sign("vf.create", {"type": "ResourceSpecification", "data": {"name": f"part {i}"}})
        for i in range(n)
    ]
    raw_specs = [
        coord.sign("vf.create", {"type": "ResourceSpecification", "data": {"name": f"raw {i}"}})
        for i in range(raws)
    ]
    skill_specs = [
        coord.sign("vf.create", {"type": "ResourceSpecification", "data": {"name": f"skill {i}"}})
        for i in range(skills)
    ]
    van_spec = coord.sign(
        "vf.create",
        {
            "type": "ResourceSpecification",
            "data": {"name": "van", "resourceClassifiedAs": ["reflow:vehicle"]},
        },
    )
    recs += places + specs + raw_specs + skill_specs + [van_spec]
    made = _append(node, recs)

    def oid(rec: Record, role: str) -> str:
        return made[f"{rec.hash}:{role}"]

    spec_ids = [oid(r, "ResourceSpecification") for r in specs]
    raw_ids = [oid(r, "ResourceSpecification") for r in raw_specs]
    skill_ids = [oid(r, "ResourceSpecification") for r in skill_specs]
    place_ids = [oid(r, "SpatialThing") for r in places]
    processes, flows = [], []
    for i, nd in enumerate(nodes):
        processes.append(
            {
                "key": f"p{i}",
                "name": f"make part {i}",
                "hasDuration": _q(rng.choice((4, 8, 12, 24)), "om2:hour"),
            }
        )
        flows.append(
            {
                "action": "produce",
                "recipeOutputOf": f"p{i}",
                "resourceConformsTo": spec_ids[i],
                "resourceQuantity": _q(1),
            }
        )
        flows.append(
            {
                "action": "work",
                "recipeInputOf": f"p{i}",
                "resourceConformsTo": skill_ids[i % skills],
                "effortQuantity": _q("0.2", "om2:hour"),
            }
        )
        if nd["parent"] is not None:
            flows.append(
                {
                    "action": "consume",
                    "recipeInputOf": f"p{nd['parent']}",
                    "resourceConformsTo": spec_ids[i],
                    "resourceQuantity": _q(1),
                }
            )
        if nd["level"] == 3:
            flows.append(
                {
                    "action": "consume",
                    "recipeInputOf": f"p{i}",
                    "resourceConformsTo": raw_ids[i % raws],
                    "resourceQuantity": _q(2),
                }
            )
    recipe = coord.sign(
        "recipe.define",
        {
            "recipe": {"name": "bench product", "primaryOutput": spec_ids[0]},
            "processes": processes,
            "flows": flows,
        },
    )
    recs = [recipe]
    chains = []
    for i in range(agents):
        c = _Chain(net, KeyPair(rng.randbytes(32)))
        chains.append(c)
        recs.append(c.sign("agent.declare", {"type": "Person", "data": {"name": f"agent {i}"}}))
    _append(node, recs)
    recs = []
    begins = NOW - timedelta(days=1)
    for i, c in enumerate(chains):
        at = rng.choice(place_ids)
        for s in rng.sample(skill_ids, 2):
            intent = {
                "action": "work",
                "provider": c.key.public,
                "resourceConformsTo": s,
                "effortQuantity": _q(rng.choice((8, 16, 24, 40)), "om2:hour"),
                "atLocation": at,
                "hasBeginning": begins.isoformat(),
                "hasEnd": (NOW + timedelta(days=60)).isoformat(),
            }
            recs.append(
                c.sign("market.publish", {"proposal": {"purpose": "offer"}, "intents": [intent]})
            )
        if i < 20:
            recs.append(
                c.sign(
                    "vf.event",
                    {
                        "event": {
                            "action": "raise",
                            "provider": c.key.public,
                            "receiver": c.key.public,
                            "resourceConformsTo": oid(van_spec, "ResourceSpecification"),
                            "resourceQuantity": _q(1, "om2:one"),
                            "atLocation": at,
                        },
                        "newInventoriedResource": {
                            "name": f"van {i}",
                            "currentLocation": at,
                            "classifiedAs": ["reflow:vehicle", "reflow:vehicle-capacity-kg:2000"],
                        },
                    },
                )
            )
    holders = chains[:100]
    for i in range(resources):
        c = holders[i % len(holders)]
        at = rng.choice(place_ids)
        spec = raw_ids[i % raws] if i % 10 else spec_ids[rng.randrange(1, n)]
        amount = rng.choice((10, 20, 40, 60)) if i % 10 else 1
        recs.append(
            c.sign(
                "vf.event",
                {
                    "event": {
                        "action": "raise",
                        "provider": c.key.public,
                        "receiver": c.key.public,
                        "resourceConformsTo": spec,
                        "resourceQuantity": _q(amount),
                        "atLocation": at,
                    },
                    "newInventoriedResource": {"name": f"lot {i}", "currentLocation": at},
                },
            )
        )
    _append(node, recs)
    return {
        "coordinator": coord_key,
        "top": spec_ids[0],
        "hub": oid(hub, "SpatialThing"),
        "processes": n,
    }


def run(
    *,
    resources: int = 10_000,
    agents: int = 500,
    skills: int = 20,
    quantity: int = 40,
    seed: int = 7,
    seconds: float = 2.0,
    db: str | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reflow-bench-plan-") as tmp:
        url = db or f"sqlite:///{Path(tmp) / 'plan.sqlite'}"
        node = Node.init(
            Settings.from_env({}, data_dir=Path(tmp) / "node", database_url=url),
            network_name="bench-plan",
        )
        try:
            t0 = time.perf_counter()
            world = setup(node, resources=resources, agents=agents, skills=skills, seed=seed)
            setup_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = service.plan_from_demand(
                node,
                world["coordinator"],
                world["top"],
                _q(quantity, "om2:kilogram"),
                NOW + timedelta(days=30),
                world["hub"],
                now=NOW,
                seconds=seconds,
            )
            total = time.perf_counter() - t0
            shown = service.show(node.store, out["plan"])
        finally:
            node.close()
    commitments = [c for p in shown["processes"] for c in p["commitments"]] + shown["loose"]
    return {
        "recipeProcesses": world["processes"],
        "resources": resources,
        "agents": agents,
        "setupSeconds": round(setup_s, 2),
        "phases": out["phases"],
        "totalSeconds": round(total, 3),
        "targetSeconds": 5.0,
        "solver": out["solver"],
        "plannedProcesses": len(shown["processes"]),
        "commitments": len(commitments),
        "unmet": len(out["unmet"]),
        "lateByHours": out["lateByHours"],
    }
