"""The match benchmark: one match query against a city full of open offers and requests.

The store is filled the honest way — every proposal is a signed ``market.publish`` record
appended through ``Ledger.append_many`` — with intents spread uniformly over a city's area
(Amsterdam's bounding box), classified in a generated three-level taxonomy (recorded with a
``market.taxonomy`` record) or conforming to specifications classified in it. Then random
proposals are matched one at a time and the latency of each whole ``matches`` call (taxonomy,
candidate query, exact checks, ranking) is measured.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import derive_id, sign_record
from reflow.market import kinds  # noqa: F401  (registers the market's record kinds)
from reflow.market.matching import matches
from reflow.store.sqlstore import SqlStore

NETWORK = "bench-market"
CITY = (52.28, 52.43, 4.75, 5.02)  # lat/long box of Amsterdam
BLOCK = 2000
CREATED = "2026-01-01T00:00:00Z"
AT = "2026-06-01T00:00:00Z"


class _Signer:
    def __init__(self, rng: random.Random) -> None:
        self.key = KeyPair(rng.randbytes(32))
        self.seq, self.prev = 0, None

    def sign(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        rec = sign_record(self.key, network=NETWORK, seq=self.seq + 1, prev=self.prev, kind=kind,
                          body=body, created=CREATED)  # fmt: skip
        self.seq, self.prev = rec.seq, rec.hash
        return rec.to_dict()


def _taxonomy(branching: int) -> list[dict[str, str]]:
    out = []
    for a in range(branching):
        top = f"urn:bench:c{a}"
        out.append({"uri": top, "label": f"class {a}"})
        for b in range(branching):
            mid = f"{top}.{b}"
            out.append({"uri": mid, "label": f"class {a}.{b}", "broader": top})
            out.extend(
                {"uri": f"{mid}.{c}", "label": f"class {a}.{b}.{c}", "broader": mid}
                for c in range(branching)
            )
    return out


def _kg(value: int) -> dict[str, str]:
    return {"hasNumericalValue": str(value), "hasUnit": "om2:kilogram"}


def build(
    intents: int, agents: int, seed: int, branching: int = 10
) -> tuple[list[list[dict[str, Any]]], list[str]]:
    """Blocks of signed records, and the ids of the proposals they publish."""
    rng = random.Random(seed)
    people = [_Signer(rng) for _ in range(agents)]
    setup: list[dict[str, Any]] = []
    for i, p in enumerate(people):
        kind = "Organization" if i % 3 else "Person"
        setup.append(p.sign("agent.declare", {"type": kind, "data": {"name": f"agent {i}"}}))
    concepts = _taxonomy(branching)
    leaves = [c["uri"] for c in concepts if c["uri"].count(".") == 2]
    mids = [c["uri"] for c in concepts if c["uri"].count(".") == 1]
    setup.append(people[0].sign("market.taxonomy", {"scheme": "urn:bench", "concepts": concepts}))
    places: list[str] = []
    for i in range(max(agents * 4, 100)):
        p = people[i % agents]
        lat, lon = rng.uniform(CITY[0], CITY[1]), rng.uniform(CITY[2], CITY[3])
        data = {"name": f"place {i}", "lat": f"{lat:.5f}", "long": f"{lon:.5f}"}
        rec = p.sign("vf.create", {"type": "SpatialThing", "data": data})
        setup.append(rec)
        places.append(derive_id(_hash(rec), ""))
    specs: list[str] = []
    for i in range(300):
        data = {"name": f"spec {i}", "resourceClassifiedAs": [rng.choice(leaves)]}
        rec = people[i % agents].sign("vf.create", {"type": "ResourceSpecification", "data": data})
        setup.append(rec)
        specs.append(derive_id(_hash(rec), ""))
    blocks, block, ids = [setup], [], []
    for i in range(intents):
        p = people[rng.randrange(agents)]
        purpose = "offer" if i % 2 == 0 else "request"
        side = "provider" if purpose == "offer" else "receiver"
        amount = rng.randint(1, 100)
        intent: dict[str, Any] = {"action": "transfer", side: p.key.public,
                                  "resourceQuantity": _kg(amount),
                                  "atLocation": rng.choice(places)}  # fmt: skip
        roll = rng.random()
        if roll < 0.3:
            intent["resourceConformsTo"] = rng.choice(specs)
        elif purpose == "request" and roll < 0.5:
            intent["resourceClassifiedAs"] = [rng.choice(mids)]
        else:
            intent["resourceClassifiedAs"] = [rng.choice(leaves)]
        if purpose == "request":
            intent["minimumQuantity"] = _kg(max(1, amount // 2))
        proposal: dict[str, Any] = {"purpose": purpose}
        if rng.random() < 0.2:
            proposal["hasEnd"] = "2026-03-01T00:00:00Z"  # expired at query time
        body: dict[str, Any] = {"proposal": proposal, "intents": [intent]}
        if purpose == "request":
            body["radiusKm"] = str(rng.choice([2, 5, 10]))
        rec = p.sign("market.publish", body)
        ids.append(derive_id(_hash(rec), "proposal"))
        block.append(rec)
        if len(block) >= BLOCK:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    return blocks, ids


def _hash(rec: dict[str, Any]) -> str:
    from reflow.ledger.records import record_from_dict

    return record_from_dict(rec).hash


def run(
    url: str,
    intents: int,
    *,
    agents: int = 500,
    queries: int = 300,
    seed: int = 7,
    branching: int = 10,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """``branching`` children per concept, three levels: 10 gives 1,110 concepts."""
    t0 = time.perf_counter()
    blocks, ids = build(intents, agents, seed, branching)
    build_s = time.perf_counter() - t0
    store = SqlStore.open(url)
    ledger = Ledger(store, NETWORK)
    total = sum(len(b) for b in blocks)
    done = refused = 0
    t1 = time.perf_counter()
    for block in blocks:
        for receipt in ledger.append_many(block):
            refused += not receipt.ok
        done += len(block)
        if progress:
            progress("publish", done, total)
    load_s = time.perf_counter() - t1
    rng = random.Random(seed + 1)
    sample = [rng.choice(ids) for _ in range(queries)]
    matches(store, sample[0], at=AT)  # warm the connection pool and caches
    times, found = [], []
    for i, pid in enumerate(sample):
        start = time.perf_counter()
        found.append(len(matches(store, pid, at=AT)))
        times.append((time.perf_counter() - start) * 1000)
        if progress:
            progress("match", i + 1, queries)
    store.close()
    times.sort()
    return {
        "backend": url.split(":", 1)[0].split("+")[0],
        "intents": intents,
        "records": total,
        "refused": refused,
        "sign_s": round(build_s, 1),
        "load_s": round(load_s, 1),
        "load_records_per_s": round(total / load_s),
        "queries": queries,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
        "mean_matches": round(statistics.fmean(found), 1),
        "concepts": branching + branching**2 + branching**3,
        "target_p95_ms": 50,
    }
