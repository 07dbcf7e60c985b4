"""Records from different chains that touch the same resource commute: every node that holds
the same records holds the same state, whatever order the records arrived in.

Quantities commute by construction (each decrement is ordered by its holder's chain). The
``previousEvent`` breadcrumbs must too: a resource's newest breadcrumb and each event's link to
the one before it are the same on every node.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support import NETWORK, Chain, qty

from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import Record, derive_id
from reflow.store.digest import state_digest
from reflow.store.sqlstore import SqlStore


def _replay(path: Path, records: list[Record]) -> SqlStore:
    store = SqlStore.open(f"sqlite:///{path}")
    ledger = Ledger(store, NETWORK)
    for rec in records:  # one at a time: each arrival is its own batch, as on a live node
        assert ledger.append_many([rec])[0].status == "applied", rec.kind
    return store


def _scene() -> tuple[list[Record], list[Record]]:
    """Base records, then three concurrent ones that all touch B's stock R."""
    chain = Chain()
    a, b, c = KeyPair(b"a" * 32), KeyPair(b"b" * 32), KeyPair(b"c" * 32)
    base: list[Record] = []

    def sign(key: KeyPair, kind: str, body: dict[str, object]) -> Record:
        rec = chain.sign(key, kind, body)
        chain.accepted(rec)
        return rec

    for key, name in ((a, "A"), (b, "B"), (c, "C")):
        base.append(sign(key, "agent.declare", {"type": "Person", "data": {"name": name}}))
    spec_rec = sign(b, "vf.create", {"type": "ResourceSpecification", "data": {"name": "wool"}})
    base.append(spec_rec)
    spec = derive_id(spec_rec.hash)

    def raise_(key: KeyPair, amount: int) -> str:
        rec = sign(key, "vf.event", {"event": {
            "action": "raise", "provider": key.public, "receiver": key.public,
            "resourceConformsTo": spec, "resourceQuantity": qty(amount)}})  # fmt: skip
        base.append(rec)
        return derive_id(rec.hash, "resource")

    r_a, r_b, r_c = raise_(a, 10), raise_(b, 10), raise_(c, 10)
    concurrent = [
        # A and C each give B part of their stock, into B's resource R; B uses up some of R.
        sign(a, "vf.event", {"event": {
            "action": "transfer", "provider": a.public, "receiver": b.public,
            "resourceInventoriedAs": r_a, "toResourceInventoriedAs": r_b,
            "resourceQuantity": qty(3)}}),
        sign(c, "vf.event", {"event": {
            "action": "transfer", "provider": c.public, "receiver": b.public,
            "resourceInventoriedAs": r_c, "toResourceInventoriedAs": r_b,
            "resourceQuantity": qty(2)}}),
        sign(b, "vf.event", {"event": {
            "action": "consume", "provider": b.public, "receiver": b.public,
            "resourceInventoriedAs": r_b, "resourceQuantity": qty(4)}}),
    ]  # fmt: skip
    return base, concurrent


def test_concurrent_writes_to_one_resource_give_one_state_in_every_arrival_order(
    tmp_path: Path,
) -> None:
    base, concurrent = _scene()
    digests = set()
    for i, order in enumerate(itertools.permutations(concurrent)):
        store = _replay(tmp_path / f"{i}.sqlite", [*base, *order])
        digests.add(state_digest(store)["digest"])
        store.close()
    assert len(digests) == 1


def test_a_batch_and_single_arrivals_agree(tmp_path: Path) -> None:
    base, concurrent = _scene()
    one_by_one = _replay(tmp_path / "single.sqlite", [*base, *reversed(concurrent)])
    batch = SqlStore.open(f"sqlite:///{tmp_path / 'batch.sqlite'}")
    receipts = Ledger(batch, NETWORK).append_many([*base, *concurrent])
    assert {r.status for r in receipts} == {"applied"}
    assert state_digest(batch) == state_digest(one_by_one)


def test_an_authors_events_on_a_resource_stay_in_chain_order(tmp_path: Path) -> None:
    """Raised past a resource's creation, an event's clock still orders its author's next ones
    after it: the record keeps the raised clock."""
    base, concurrent = _scene()
    store = _replay(tmp_path / "x.sqlite", [*base, *concurrent])
    ledger = Ledger(store, NETWORK)
    chain = Chain()
    b = KeyPair(b"b" * 32)
    chain.heads[b.public] = store.head(b.public)  # type: ignore[assignment]
    r_b = derive_id(base[-2].hash, "resource")
    ids = []
    for _ in range(3):
        rec = chain.sign(b, "vf.event", {"event": {
            "action": "consume", "provider": b.public, "receiver": b.public,
            "resourceInventoriedAs": r_b, "resourceQuantity": qty(1)}})  # fmt: skip
        ledger.append(rec)
        chain.accepted(rec)
        ids.append(derive_id(rec.hash, "event"))
    crumbs = [store.event(i).previous_event for i in ids]  # type: ignore[union-attr]
    assert crumbs[1:] == ids[:-1]
    assert store.resource(r_b).previous_event == ids[-1]  # type: ignore[union-attr]


@settings(max_examples=12, deadline=None)
@given(st.data())
def test_random_concurrent_writes_converge_in_any_order(data: st.DataObject) -> None:
    """Agents raise stock, then write concurrently — transfers into each other's resources,
    consumes and moves of their own — each record signed against the base state only. Two
    random arrival orders of those records give the same digest."""
    chain = Chain()
    keys = [KeyPair(bytes([i + 1]) * 32) for i in range(data.draw(st.integers(2, 4)))]
    base: list[Record] = []

    def sign(key: KeyPair, kind: str, body: dict[str, object]) -> Record:
        rec = chain.sign(key, kind, body)
        chain.accepted(rec)
        return rec

    for i, key in enumerate(keys):
        base.append(sign(key, "agent.declare", {"type": "Person", "data": {"name": f"p{i}"}}))
    spec_rec = sign(keys[0], "vf.create", {"type": "ResourceSpecification", "data": {"name": "x"}})
    base.append(spec_rec)
    spec = derive_id(spec_rec.hash)
    stock: dict[str, str] = {}
    for key in keys:
        rec = sign(key, "vf.event", {"event": {
            "action": "raise", "provider": key.public, "receiver": key.public,
            "resourceConformsTo": spec, "resourceQuantity": qty(100)}})  # fmt: skip
        base.append(rec)
        stock[key.public] = derive_id(rec.hash, "resource")
    concurrent: list[Record] = []
    for _ in range(data.draw(st.integers(2, 8))):
        key = data.draw(st.sampled_from(keys))
        mine = stock[key.public]
        what = data.draw(st.sampled_from(["give", "consume", "move"]))
        if what == "give":
            other = data.draw(st.sampled_from([k for k in keys if k is not key]))
            event = {"action": "transfer", "provider": key.public, "receiver": other.public,
                     "resourceInventoriedAs": mine, "toResourceInventoriedAs": stock[other.public],
                     "resourceQuantity": qty(5)}  # fmt: skip
        elif what == "consume":
            event = {"action": "consume", "provider": key.public, "receiver": key.public,
                     "resourceInventoriedAs": mine, "resourceQuantity": qty(3)}  # fmt: skip
        else:
            event = {"action": "move", "provider": key.public, "receiver": key.public,
                     "resourceInventoriedAs": mine, "resourceQuantity": qty(1)}  # fmt: skip
        concurrent.append(sign(key, "vf.event", {"event": event}))

    def replay(order: list[Record]) -> str:
        store = SqlStore.open("sqlite://")
        ledger = Ledger(store, NETWORK)
        for rec in [*base, *order]:
            assert ledger.append_many([rec])[0].status == "applied"
        digest = str(state_digest(store)["digest"])
        store.close()
        return digest

    # another interleaving of the chains (each chain keeps its own order)
    lanes = {k.public: [r for r in concurrent if r.author == k.public] for k in keys}
    shuffled: list[Record] = []
    while any(lanes.values()):
        author = data.draw(st.sampled_from(sorted(a for a, lane in lanes.items() if lane)))
        shuffled.append(lanes[author].pop(0))
    by_chain = sorted(concurrent, key=lambda r: (r.author, r.seq))
    assert replay(shuffled) == replay(by_chain)


def _process_scene() -> tuple[list[Record], Record, Record, KeyPair, KeyPair, str]:
    chain = Chain()
    a, b = KeyPair(b"a" * 32), KeyPair(b"b" * 32)
    base: list[Record] = []

    def sign(
        key: KeyPair, kind: str, body: dict[str, object], deps: tuple[str, ...] = ()
    ) -> Record:
        rec = chain.sign(key, kind, body, deps)
        chain.accepted(rec)
        return rec

    for key, name in ((a, "Workshop"), (b, "Tailor")):
        base.append(sign(key, "agent.declare", {"type": "Person", "data": {"name": name}}))
    made = sign(a, "vf.create", {"type": "Process", "data": {"name": "repairs"}})
    base.append(made)
    proc = derive_id(made.hash)
    work = sign(b, "vf.event", {"event": {
        "action": "work", "provider": b.public, "receiver": a.public, "inputOf": proc,
        "effortQuantity": qty(2, "om2:hour")}})  # fmt: skip
    finish = sign(a, "vf.update", {"id": proc, "data": {"finished": True}})
    return base, work, finish, a, b, proc


def test_work_on_a_process_closed_meanwhile_counts_in_either_order(tmp_path: Path) -> None:
    """The tailor's work, signed while the process was open, and the workshop's closing of it
    are on two chains: every node accepts both, whichever came first."""
    base, work, finish, *_ = _process_scene()
    x = _replay(tmp_path / "x.sqlite", [*base, work, finish])
    y = _replay(tmp_path / "y.sqlite", [*base, finish, work])
    assert state_digest(x) == state_digest(y)


def test_who_knew_the_process_was_closed_cannot_record_in_it(tmp_path: Path) -> None:
    """The process's owner (its own chain orders the closing first) and anyone naming the
    closing record in deps are refused: for them the process is finished."""
    base, _work, finish, a, b, proc = _process_scene()
    store = _replay(tmp_path / "x.sqlite", [*base, finish])
    ledger = Ledger(store, NETWORK)
    chain = Chain()
    chain.heads[a.public] = store.head(a.public)  # type: ignore[assignment]
    chain.heads[b.public] = store.head(b.public)  # type: ignore[assignment]
    event = {"action": "work", "provider": b.public, "receiver": a.public, "inputOf": proc,
             "effortQuantity": qty(1, "om2:hour")}  # fmt: skip
    own = chain.sign(a, "vf.event", {"event": {**event, "provider": a.public}})
    seen = chain.sign(b, "vf.event", {"event": event}, (finish.hash,))
    for rec in (own, seen):
        receipt = ledger.append_many([rec])[0]
        assert receipt.status == "rejected"
        assert receipt.error is not None and receipt.error.rule == "process-open"
